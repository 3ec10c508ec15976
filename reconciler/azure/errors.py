"""Azure and connection errors in plain words: what failed, and what to do.

Also the errors the tool raises itself about what a server sent (a foreign host, a paging loop, a request
without an answer in time): azure-core `AzureError`s, so every caller that reports Azure's errors reports them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from azure.core.exceptions import AzureError, ServiceResponseTimeoutError

from reconciler.core.redact import redact_text

if TYPE_CHECKING:
    from reconciler.azure.target import Target

_ACTION = re.compile(r"perform action '([^']+)'")


class ForeignEndpoint(AzureError):
    """A request to another scheme, host or port than the target's endpoint, refused before it was sent.

    A list's `nextLink` or an operation's polling URL comes from the server; following one elsewhere
    would hand the bearer token to that host.
    """


class MalformedResponse(AzureError):
    """An answer that is not what Azure returns (HTML, truncated JSON, a list without items): never read as data."""


class PagingLoop(AzureError):
    """A list whose `nextLink`s repeat, or that goes on for more pages than any real list has."""


class RequestTimedOut(ServiceResponseTimeoutError):
    """No complete answer to one HTTP request within the request deadline (`--request-timeout`)."""


def explain_error(err: BaseException, target: Target | None = None, what: str | None = None) -> str:
    """One sentence for an Azure or connection error, saying what failed and what to do.

    Secrets in the text (a SAS in a URI that Azure quotes back, a token) are redacted.
    """
    return redact_text(_explain(err, target, what))


def _explain(err: BaseException, target: Target | None, what: str | None) -> str:
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

    prefix = f"{what}: " if what else ""
    if isinstance(err, (ForeignEndpoint, PagingLoop, MalformedResponse, RequestTimedOut)):
        return prefix + err.message
    # A credential chain that found nothing raises ClientAuthenticationError with no HTTP response;
    # ARM's own 401 comes with one and is reported below.
    if isinstance(err, ClientAuthenticationError) and getattr(err, "response", None) is None:
        return (
            prefix + "no Azure credential is available. Sign in with `az login`, or set AZURE_CLIENT_ID, "
            "AZURE_TENANT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE for workload identity / "
            "CI OIDC), or run where a managed identity is assigned"
        )
    if isinstance(err, HttpResponseError):
        code = getattr(getattr(err, "error", None), "code", None) or ""
        message = getattr(getattr(err, "error", None), "message", None) or err.message or str(err)
        message = message.splitlines()[0] if message else ""
        status = err.status_code
        if status == 403 or code in ("AuthorizationFailed", "LinkedAuthorizationFailed"):
            action = _ACTION.search(message)
            needed = f" the RBAC action '{action.group(1)}'" if action else " permission"
            return (
                prefix + f"permission denied: the signed-in identity lacks{needed}. Grant it a role that "
                f"includes it (for example 'Compute Gallery Artifacts Publisher' or Contributor) on the "
                f"resource group. Azure said: {message}"
            )
        if status == 401:
            return prefix + f"Azure refused the credential ({code or status}): {message}"
        if code == "SubscriptionNotFound" or (
            status == 404 and "subscription" in message.lower() and code != "ResourceGroupNotFound"
        ):
            sub = target.subscription_id if target else "the subscription"
            return (
                prefix + f"subscription {sub} was not found or is not visible to the credential; check the "
                f"subscription id and that the identity has access to it ({message})"
            )
        if code == "ResourceGroupNotFound":
            return (
                prefix + f"{message} Create it, or set scope.createResourceGroup: true in the manifest so "
                "the tool creates it"
            )
        return prefix + (f"{code}: {message}" if code else f"HTTP {status}: {message}")
    if isinstance(err, ServiceRequestError):
        where = target.endpoint if target else "the ARM endpoint"
        return prefix + f"cannot reach {where}: {err}. Check the endpoint, network and --ca-bundle"
    return prefix + f"{type(err).__name__}: {err}"
