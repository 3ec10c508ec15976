"""Unsigned JWTs for the managed-identity endpoint and the bearer check on ARM calls."""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from typing import Any

DEFAULT_TENANT = "00000000-0000-0000-0000-000000000001"
EMULATOR_PRINCIPAL = "00000000-0000-0000-0000-0000000000e1"


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_token(
    tenant: str = DEFAULT_TENANT, audience: str = "https://management.azure.com/", lifetime: int = 3600
) -> tuple[str, int]:
    """A well-formed JWT with the claims az and the SDKs read; unsigned because nothing verifies it.

    :returns: (token, expires_on epoch seconds)
    """
    now = int(time.time())
    claims = {
        "aud": audience,
        "iss": f"https://sts.windows.net/{tenant}/",
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "tid": tenant,
        "oid": EMULATOR_PRINCIPAL,
        "sub": EMULATOR_PRINCIPAL,
        "appid": EMULATOR_PRINCIPAL,
        "idtyp": "app",
        "uti": uuid.uuid4().hex,
        "ver": "1.0",
    }
    return f"{_b64({'typ': 'JWT', 'alg': 'none'})}.{_b64(claims)}.", now + lifetime


def _decode(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def is_well_formed(token: str) -> bool:
    """Three dot-separated parts whose first two are base64url JSON objects; the signature is not checked."""
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        return isinstance(_decode(parts[0]), dict) and isinstance(_decode(parts[1]), dict)
    except (ValueError, binascii.Error):
        return False
