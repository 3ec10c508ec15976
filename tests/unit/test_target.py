"""Target choice and plain-words Azure errors."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

from reconciler.azure.errors import explain_error
from reconciler.azure.target import AZURE, ENDPOINT, LOCAL, TargetError, TargetRequest, choose_target, resolve_cloud

SUB = "11111111-1111-1111-1111-111111111111"


@pytest.mark.parametrize(
    ("request_", "manifest_sub", "env", "expected"),
    [
        pytest.param(TargetRequest(), None, {}, (LOCAL, None), id="nothing names a subscription: embedded emulator"),
        pytest.param(TargetRequest(), None, {"AZURE_SUBSCRIPTION_ID": SUB}, (AZURE, SUB), id="env names one"),
        pytest.param(TargetRequest(), SUB, {}, (AZURE, SUB), id="manifest names one"),
        pytest.param(
            TargetRequest(subscription="x"),
            SUB,
            {"AZURE_SUBSCRIPTION_ID": "y"},
            (AZURE, "x"),
            id="flag beats manifest beats env",
        ),
        pytest.param(TargetRequest(), SUB, {"RECONCILE_TARGET": "local"}, (LOCAL, SUB), id="RECONCILE_TARGET=local"),
        pytest.param(TargetRequest(target="local"), SUB, {}, (LOCAL, SUB), id="--target local with a subscription"),
        pytest.param(TargetRequest(endpoint="https://127.0.0.1:1"), None, {}, (ENDPOINT, None), id="--endpoint"),
    ],
)
def test_target_precedence(request_: TargetRequest, manifest_sub: str | None, env: dict, expected: tuple) -> None:
    assert choose_target(request_, manifest_sub, env) == expected


def test_azure_without_a_subscription_and_unknown_targets_are_clear_errors() -> None:
    with pytest.raises(TargetError, match="AZURE_SUBSCRIPTION_ID"):
        choose_target(TargetRequest(target="azure"), None, {})
    with pytest.raises(TargetError, match="RECONCILE_TARGET is 'prod'"):
        choose_target(TargetRequest(), None, {"RECONCILE_TARGET": "prod"})


def test_sovereign_clouds_switch_endpoint_audience_and_authority_together() -> None:
    gov = resolve_cloud("azureusgovernment")
    assert (gov.arm_endpoint, gov.scope, gov.authority_host) == (
        "https://management.usgovcloudapi.net",
        "https://management.usgovcloudapi.net/.default",
        "login.microsoftonline.us",
    )
    assert resolve_cloud("AzureChinaCloud").authority_host == "login.chinacloudapi.cn"
    with pytest.raises(TargetError, match="unknown cloud"):
        resolve_cloud("Mars")


class _Error:
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message


def _http_error(status: int, code: str, message: str) -> HttpResponseError:
    err = HttpResponseError(message=message)
    err.status_code = status
    err.error = _Error(code, message)  # type: ignore[assignment]
    return err


def test_missing_credentials_are_one_sentence() -> None:
    text = explain_error(
        ClientAuthenticationError(
            "DefaultAzureCredential failed to retrieve a token\n"
            "EnvironmentCredential: ...\nManagedIdentityCredential: ..."
        )
    )
    assert "az login" in text and "AZURE_FEDERATED_TOKEN_FILE" in text
    assert "EnvironmentCredential" not in text and "\n" not in text


def test_permission_errors_name_the_refused_action() -> None:
    err = _http_error(
        403,
        "AuthorizationFailed",
        "The client 'x' with object id 'y' does not have authorization to "
        "perform action 'Microsoft.Compute/galleries/write' over scope '/subscriptions/s'.",
    )
    text = explain_error(err, what="apply")
    assert "Microsoft.Compute/galleries/write" in text and text.startswith("apply: permission denied")


def test_subscription_and_connection_errors() -> None:
    text = explain_error(_http_error(404, "SubscriptionNotFound", "The subscription 's' could not be found."))
    assert "not found or is not visible to the credential" in text
    assert "cannot reach" in explain_error(ServiceRequestError("Connection refused"))
