"""Fault and load controls: injected 429/500/503/drops recovered by azure-core, throttling, latency, counters."""

from __future__ import annotations

import time
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from .conftest import RG, SUB, gallery_path


@pytest.fixture
def gallery(client: Any) -> None:
    client.galleries.begin_create_or_update(RG, "g1", {"location": "eastus"}).result()


@pytest.mark.parametrize("fault", ["next429", "next500", "next503", "nextDrop"])
def test_one_shot_faults_are_retried_by_azure_core(client: Any, adm: Any, gallery: None, fault: str) -> None:
    adm.faults(**{fault: 2, "retryAfter": 0, "match": "^GET .*/galleries/g1$"})
    adm.reset()
    assert client.galleries.get(RG, "g1").name == "g1"
    assert adm.requests()["byOperation"]["Galleries_Get"] == 3  # two faults, then the real answer
    assert adm.call("GET", "/_emulator/faults")[fault] == 0


def test_429_body_and_retry_after(raw: Any, adm: Any) -> None:
    adm.faults(next429=1, retryAfter=7)
    resp = raw("GET", f"/subscriptions/{SUB}/providers/Microsoft.Compute/galleries")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
    error = resp.json()["error"]
    assert error["code"] == "OperationNotAllowed"
    assert error["message"].startswith("The server rejected the request because too many requests")
    assert error["details"][0]["code"] == "TooManyRequests"
    assert raw("GET", f"/subscriptions/{SUB}/providers/Microsoft.Compute/galleries").status_code == 200


def test_persistent_500_gives_up(client: Any, adm: Any, gallery: None) -> None:
    adm.faults(rate500=1.0, match="galleries/g1$", seed=1)
    with pytest.raises(HttpResponseError) as info:
        client.galleries.get(RG, "g1")
    assert info.value.status_code == 500
    # other paths are untouched by a `match`
    assert list(client.galleries.list_by_resource_group(RG))
    adm.clear_faults()
    assert client.galleries.get(RG, "g1").name == "g1"


def test_rates_are_deterministic_with_a_seed(raw: Any, adm: Any) -> None:
    def run() -> list[int]:
        adm.faults(rate503=0.5, seed=42, retryAfter=0)
        return [raw("GET", f"/subscriptions/{SUB}/resourcegroups/{RG}").status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second and 503 in first and 200 in first


def test_drop_rate_drops_connections(raw: Any, adm: Any) -> None:
    import requests

    adm.faults(dropRate=1.0)
    with pytest.raises(requests.ConnectionError):
        raw("GET", f"/subscriptions/{SUB}")
    adm.clear_faults()
    assert raw("GET", f"/subscriptions/{SUB}").status_code == 200


def test_throttle_token_bucket(emu: Any, raw: Any, adm: Any) -> None:
    frozen = time.monotonic()
    emu.backend.faults.clock = lambda: frozen  # no refill while the bucket drains
    adm.faults(throttle=True)
    path = f"/subscriptions/{SUB}/resourcegroups/{RG}"
    first = raw("GET", path)
    assert first.headers["x-ms-ratelimit-remaining-subscription-reads"] == "249"
    codes = [raw("GET", path) for _ in range(300)]
    throttled = [r for r in codes if r.status_code == 429]
    assert len(throttled) == 300 - 249, "a bucket of 250 reads runs dry after 250 reads"
    assert int(throttled[0].headers["Retry-After"]) >= 1
    assert throttled[0].headers["x-ms-ratelimit-remaining-subscription-reads"] == "0"
    write = raw("PUT", gallery_path("gw"), {"location": "eastus"})
    assert write.status_code == 201 and write.headers["x-ms-ratelimit-remaining-subscription-writes"] == "199"
    adm.faults(throttle=False)
    assert raw("GET", path).status_code == 200


def test_latency(raw: Any, adm: Any) -> None:
    path = f"/subscriptions/{SUB}"
    adm.faults(latencyMs=150)
    start = time.perf_counter()
    raw("GET", path)
    assert time.perf_counter() - start >= 0.15
    adm.clear_faults()
    adm.config(latency_ms=100)
    start = time.perf_counter()
    raw("GET", path)
    assert time.perf_counter() - start >= 0.1


def test_request_counter_and_reset(client: Any, adm: Any, gallery: None) -> None:
    adm.reset()
    client.galleries.get(RG, "g1")
    client.galleries.get(RG, "g1")
    list(client.galleries.list())
    counts = adm.requests()
    assert counts["byOperation"] == {"Galleries_Get": 2, "Galleries_List": 1}
    assert counts["total"] == 3
    assert adm.reset()["total"] == 0


def test_bad_admin_input(adm: Any) -> None:
    with pytest.raises(RuntimeError, match="400"):
        adm.faults(rate429=2.0)
    with pytest.raises(RuntimeError, match="Unknown fault setting"):
        adm.faults(bogus=1)
    with pytest.raises(RuntimeError, match="400"):
        adm.faults(match="(")
    with pytest.raises(RuntimeError, match="400"):
        adm.config(page_size=0)
    with pytest.raises(RuntimeError, match="404"):
        adm.call("GET", "/_emulator/nope")


def test_next403_refuses_like_a_missing_rbac_permission(client: Any, adm: Any) -> None:
    adm.faults(next403=1, match=r"^PUT .*/galleries/g2$")
    with pytest.raises(HttpResponseError) as info:
        client.galleries.begin_create_or_update(RG, "g2", {"location": "eastus"}).result()
    assert info.value.status_code == 403 and info.value.error.code == "AuthorizationFailed"
    assert "perform action 'Microsoft.Compute/galleries/write' over scope" in info.value.error.message
    assert adm.requests()["byOperation"]["Galleries_CreateOrUpdate"] == 1  # a 403 is not retried
    client.galleries.begin_create_or_update(RG, "g2", {"location": "eastus"}).result()  # one-shot


@pytest.mark.parametrize(
    ("method", "path", "api", "action"),
    [
        ("GET", f"/subscriptions/{SUB}/locations", "2022-12-01", "Microsoft.Resources/subscriptions/locations/read"),
        ("PUT", f"/subscriptions/{SUB}/resourcegroups/rg9", "2022-09-01",
         "Microsoft.Resources/subscriptions/resourceGroups/write"),
        ("GET", f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/vm",
         "2024-07-01", "Microsoft.Compute/virtualMachines/read"),
    ],
)  # fmt: skip
def test_next403_names_the_action_of_the_path(
    raw: Any, adm: Any, method: str, path: str, api: str, action: str
) -> None:
    adm.faults(next403=1)
    body = {"location": "eastus"} if method == "PUT" else None
    error = raw(method, path, body=body, api=api).json()["error"]
    assert error["code"] == "AuthorizationFailed"
    assert f"perform action '{action}' over scope" in error["message"]
