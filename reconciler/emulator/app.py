"""Request dispatch: admin paths, then ARM routes with faults, latency, auth and error serialisation."""

from __future__ import annotations

import ipaddress
import time

from . import admin, routes
from .backend import Backend
from .common import Ctx, Request, Response
from .errors import ArmError
from .tokens import is_well_formed

_WWW_AUTH = (
    'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", '
    "error_description=\"The authentication failed because of missing or invalid 'Authorization' header.\""
)


def is_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def error_response(err: ArmError) -> Response:
    return Response(err.status, err.body(), dict(err.headers))


class App:
    """Turns a parsed Request into a Response; shared by all server threads."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._good_tokens: set[str] = set()

    def handle(self, req: Request) -> Response:
        if req.path.startswith("/_emulator/") or req.path == "/_emulator":
            if not is_loopback(req.client_ip):
                return error_response(ArmError(403, "Forbidden", "Admin endpoints answer loopback clients only."))
            try:
                return admin.handle(self.backend, req)
            except ArmError as err:
                return error_response(err)
        found = routes.match(req.method, req.path)
        if found is None:
            self.backend.count("Unknown")
            return error_response(self._unknown(req))
        route, params, operation = found
        self.backend.count(operation)
        extra: dict[str, str] = {}
        if route.auth:
            latency = self.backend.config.latency_ms + self.backend.faults.latency_ms(req.method, req.path)
            if latency:
                time.sleep(latency / 1000.0)
            if self.backend.faults.active:
                fault, extra = self.backend.faults.decide(req.method, req.path, params.get("sub"))
                if isinstance(fault, Response):
                    return fault
                if isinstance(fault, ArmError):
                    resp = error_response(fault)
                    resp.headers.update(extra)
                    return resp
            denied = self._check_token(req)
            if denied is not None:
                return error_response(denied)
        elif route.operation == "ManagedIdentity_GetToken" and not is_loopback(req.client_ip):
            return error_response(ArmError(403, "Forbidden", "The token endpoint answers loopback clients only."))
        try:
            resp = route.handler(Ctx(req, params, self.backend))
        except ArmError as err:
            resp = error_response(err)
        if extra:
            resp.headers.update(extra)
        return resp

    def _check_token(self, req: Request) -> ArmError | None:
        header = req.headers.get("authorization")
        if not header:
            return ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                headers={"WWW-Authenticate": _WWW_AUTH},
            )
        scheme, _, token = header.partition(" ")
        if token in self._good_tokens and scheme.lower() == "bearer":
            return None
        if scheme.lower() != "bearer" or not token:
            return ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                headers={"WWW-Authenticate": _WWW_AUTH},
            )
        if not is_well_formed(token.strip()):
            return ArmError(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
                headers={"WWW-Authenticate": _WWW_AUTH},
            )
        if len(self._good_tokens) > 1000:
            self._good_tokens.clear()
        self._good_tokens.add(token)
        return None

    def _unknown(self, req: Request) -> ArmError:
        if routes.path_known(req.path):
            return ArmError(
                405, "MethodNotAllowed", f"The requested method '{req.method}' is not allowed on '{req.path}'."
            )
        return ArmError(
            404, "NotFound", f"No HTTP resource was found that matches the request URI '{req.base_url}{req.path}'."
        )
