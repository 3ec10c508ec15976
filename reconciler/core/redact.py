"""Secrets out of everything the tool shows, saves or logs: SAS query strings, signatures and tokens.

A SAS (`https://acct.blob.core.windows.net/c/x.vhd?sv=...&se=...&sig=...`) lets whoever reads it read
the blob; a bearer token lets them act on the subscription. Each output boundary passes its text through
`redact_text` (or a JSON document through `redact_json`): plan text, Markdown and JSON, saved plans, apply
progress and results, the audit journal, error messages that come back from Azure, and log lines.

What is replaced, with azure-core's placeholder ``REDACTED`` (its HttpLoggingPolicy uses the same word):

- the whole query string of a URL on an Azure Storage host (a blob URI's query is its SAS), or of any URL
  whose query carries a SAS or secret parameter (`sig`, `skoid`, `code`, ...);
- SAS parameters that name a secret or an identity (`sig=`, `skoid=`, `sktid=`, ...) outside a URL;
- `Bearer <token>`, JSON Web Tokens (`eyJ...`), and `AccountKey=`/`SharedAccessSignature=`-style
  connection-string parts.

Other URLs keep their query (ARM's `api-version`, `$expand`, a `?lang=en` on a privacy statement URI), so
redacting a plan does not change what it says. Source of the SAS parameter names: Azure Storage,
"Create a service SAS" / "Create a user delegation SAS" (learn.microsoft.com/rest/api/storageservices).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REDACTED = "REDACTED"

# Query parameters that make a query secret: a SAS's signature and the identities of a user delegation SAS,
# OAuth codes and tokens, keys and passwords.
_SECRET_PARAMS = frozenset(
    {
        "sig", "skoid", "sktid", "saoid", "suoid", "scid", "signature", "code", "token", "access_token",
        "refresh_token", "id_token", "client_secret", "client_assertion", "password", "secret", "key", "api_key",
        "apikey", "sas", "x-ms-signature",
    }
)  # fmt: skip
_STORAGE_HOST = re.compile(
    r"\.(blob|dfs|file|queue|table|web)\.(core\.windows\.net|core\.usgovcloudapi\.net|core\.chinacloudapi\.cn"
    r"|storage\.azure\.net)$|\.blob\.storage\.azure\.net$",
    re.IGNORECASE,
)
# A URL ends at whitespace, a quote, an angle bracket, a backslash or a backtick (JSON, Markdown and log text).
_URL = re.compile(r"""https?://[^\s"'<>\\`]+""", re.IGNORECASE)
# Parameters that are a secret (or an identity) wherever they appear, also outside a URL ("...token 'sv=..&sig=..'").
_LOOSE_PARAM = re.compile(r"""(?i)(?<![\w-])(sig|skoid|sktid|saoid|suoid|scid)=([^&\s"'<>\\`;,]+)""")
_CONNECTION_PART = re.compile(
    r"""(?i)\b(AccountKey|SharedAccessKey|SharedAccessSignature|ClientSecret|client_secret|password)=([^;&\s"'<>]+)"""
)
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{20,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")


def _secret_query(query: str) -> bool:
    names = {part.split("=", 1)[0].lower() for part in query.split("&")}
    return bool(names & _SECRET_PARAMS)


def _redact_url(match: re.Match[str]) -> str:
    found = match.group(0)
    # Punctuation that ends a sentence or a bracket is not part of the URL ("... is not found: ...").
    url = found.rstrip(".,;:!?)]}")
    return _redact_query(url) + found[len(url) :]


def _redact_query(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL after all (an unbalanced "[" in the host): redact its query blindly
        head, _, _ = url.partition("?")
        return f"{head}?{REDACTED}" if "?" in url else url
    if not parts.query:
        return url
    storage = bool(_STORAGE_HOST.search(parts.hostname or ""))
    if storage or _secret_query(parts.query):
        return urlunsplit((parts.scheme, parts.netloc, parts.path, REDACTED, parts.fragment))
    return url


def redact_text(text: str) -> str:
    """`text` with SAS query strings, signatures, bearer tokens and JWTs replaced by ``REDACTED``.

    Idempotent; text without secrets comes back unchanged.
    """
    if not text:
        return text
    out = _URL.sub(_redact_url, text)
    out = _LOOSE_PARAM.sub(lambda match: f"{match.group(1)}={REDACTED}", out)
    out = _CONNECTION_PART.sub(lambda match: f"{match.group(1)}={REDACTED}", out)
    out = _BEARER.sub(f"Bearer {REDACTED}", out)
    return _JWT.sub(REDACTED, out)


def redact_json(value: Any) -> Any:
    """A copy of a JSON-shaped value with every string passed through `redact_text` (keys are left as they are)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: redact_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_json(item) for item in value]
    return value


def without_query(uri: str) -> str:
    """The URI without its query string and fragment: a blob's identity without the SAS that grants access to it."""
    return uri.split("?", 1)[0].split("#", 1)[0]
