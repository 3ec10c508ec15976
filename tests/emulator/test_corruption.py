"""Response corruption faults, each shown through a raw HTTPS client: what a broken network or server sends.

These are the read-path cases of issue 9 (§1 malformed live data, §3 foreign or looping nextLink, slow and
silent servers, undocumented LRO states) as emulator faults, so the client's handling of each can be tested.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from reconciler.emulator import EmulatorServer

from .conftest import RG, SUB, Raw, gallery_path, make_definition, version_body

GALLERIES = f"/subscriptions/{SUB}/providers/Microsoft.Compute/galleries"
IMAGES = gallery_path("g1") + "/images"
VERSION = IMAGES + "/img1/versions/1.0.0"


@pytest.fixture
def estate(client: Any, raw: Raw) -> None:
    """Gallery g1 with definition img1 and version 1.0.0 (replicated)."""
    make_definition(client)
    assert raw("PUT", VERSION, version_body()).status_code == 201


def test_html_page_with_status_200_like_a_captive_portal(raw: Raw, adm: Any, estate: None) -> None:
    adm.corrupt({"kind": "html", "match": r"^GET .*/galleries/g1/images$"})
    answer = raw("GET", IMAGES)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.text.startswith("<!DOCTYPE html>") and "Sign in" in answer.text
    assert "x-ms-request-id" not in answer.headers
    with pytest.raises(ValueError):
        answer.json()
    assert raw("GET", gallery_path("g1")).json()["name"] == "g1", "other paths are untouched"


def test_502_html_page_like_a_gateway(raw: Raw, adm: Any, estate: None) -> None:
    adm.corrupt({"kind": "html", "status": 502, "match": "/images/img1$"})
    answer = raw("GET", IMAGES + "/img1")
    assert answer.status_code == 502 and answer.reason == "Bad Gateway"
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "<title>502 Bad Gateway</title>" in answer.text
    assert "Microsoft-Azure-Application-Gateway" in answer.text


def test_truncated_json_is_well_framed_but_not_json(raw: Raw, adm: Any, estate: None) -> None:
    whole = raw("GET", IMAGES + "/img1").content
    adm.corrupt({"kind": "truncate", "match": "/images/img1$"})
    cut = raw("GET", IMAGES + "/img1")
    assert cut.status_code == 200 and cut.content == whole[: len(whole) // 2]
    assert int(cut.headers["Content-Length"]) == len(whole) // 2
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.content)
    adm.corrupt({"kind": "truncate", "bytes": 10, "match": "/images/img1$"})
    assert raw("GET", IMAGES + "/img1").content == whole[:10]


def test_truncated_json_with_the_full_length_announced_ends_the_connection(raw: Raw, adm: Any, estate: None) -> None:
    adm.corrupt({"kind": "truncate", "closeEarly": True, "match": "/images/img1$"})
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        raw("GET", IMAGES + "/img1")


@pytest.mark.parametrize("field", ["properties", "name", "id"])
def test_list_items_without_a_field(raw: Raw, adm: Any, estate: None, field: str) -> None:
    adm.corrupt({"kind": "removeFields", "fields": [f"value.*.{field}"], "match": r"/images$"})
    (item,) = raw("GET", IMAGES).json()["value"]
    assert field not in item
    assert {"properties", "name", "id"} - {field} <= set(item)


def test_a_list_without_value(raw: Raw, adm: Any, estate: None) -> None:
    adm.corrupt({"kind": "removeFields", "fields": ["value"], "match": r"/images$"})
    assert raw("GET", IMAGES).json() == {}


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (VERSION, "properties.publishingProfile"),
        (VERSION, "properties.storageProfile"),
        (IMAGES + "/img1", "properties.identifier"),
        (IMAGES + "/img1", "properties.osState"),
    ],
)
def test_a_resource_without_a_required_part(raw: Raw, adm: Any, estate: None, path: str, field: str) -> None:
    adm.corrupt({"kind": "removeFields", "fields": [field], "match": f"{path.rsplit('/', 1)[-1]}$"})
    properties = raw("GET", path).json()["properties"]
    assert field.split(".")[1] not in properties and properties, properties


def test_unknown_enum_values(raw: Raw, adm: Any, estate: None) -> None:
    adm.corrupt(
        {"kind": "setFields", "fields": {"value.*.properties.osState": "Hibernated"}, "match": r"/images$"},
        {
            "kind": "setFields",
            "fields": {"properties.osType": "Plan9", "properties.hyperVGeneration": "V3"},
            "match": "/images/img1$",
        },
        {"kind": "setFields", "fields": {"properties.storageProfile.osDiskImage.hostCaching": "Sometimes"}},
    )
    assert raw("GET", IMAGES).json()["value"][0]["properties"]["osState"] == "Hibernated"
    image = raw("GET", IMAGES + "/img1").json()["properties"]
    assert (image["osType"], image["hyperVGeneration"]) == ("Plan9", "V3")
    version = raw("GET", VERSION).json()["properties"]
    assert version["storageProfile"]["osDiskImage"]["hostCaching"] == "Sometimes"


def test_a_next_link_to_another_host(raw: Raw, adm: Any, estate: None) -> None:
    elsewhere = "https://attacker.invalid/steal?token=please"
    adm.corrupt({"kind": "nextLink", "url": elsewhere, "match": f"^GET {GALLERIES}$", "count": 1})
    page = raw("GET", GALLERIES).json()
    assert page["nextLink"] == elsewhere and [g["name"] for g in page["value"]] == ["g1"]
    assert "nextLink" not in raw("GET", GALLERIES).json(), "count 1: only the next matching answer"


def test_a_next_link_to_itself_loops(raw: Raw, adm: Any, estate: None) -> None:
    adm.corrupt({"kind": "nextLink", "url": "self", "match": f"^GET {GALLERIES}$"})
    first = raw("GET", GALLERIES).json()
    assert first["nextLink"].startswith(f"{raw.url}{GALLERIES}?api-version=")
    again = raw.session.get(first["nextLink"], headers={"Authorization": f"Bearer {raw.token}"}, verify=raw.verify)
    assert again.json() == first, "following it gives the same page and the same link, forever"


def test_an_undocumented_lro_status(raw: Raw, adm: Any, client: Any) -> None:
    make_definition(client)
    adm.corrupt({"kind": "lroStatus", "match": "capsOperations|/versions/"})
    created = raw("PUT", VERSION, version_body())
    assert created.json()["properties"]["provisioningState"] == "Paused"
    operation = created.headers["Azure-AsyncOperation"]
    auth = {"Authorization": f"Bearer {raw.token}"}
    polls = [raw.session.get(operation, headers=auth, verify=raw.verify).json()["status"] for _ in range(3)]
    assert polls == ["Paused"] * 3
    adm.clear_faults()
    assert raw.session.get(operation, headers=auth, verify=raw.verify).json()["status"] == "Succeeded"


def test_rules_are_scoped_counted_and_shown(raw: Raw, adm: Any, estate: None) -> None:
    shown = adm.corrupt({"kind": "html", "match": "/images/img1$", "count": 2})
    assert shown["corrupt"] == [{"kind": "html", "match": "/images/img1$", "count": 2, "status": 200}]
    assert raw("GET", gallery_path("g1")).json()["name"] == "g1", "the match scopes the rule"
    types = [raw("GET", IMAGES + "/img1").headers["Content-Type"] for _ in range(3)]
    assert types == ["text/html; charset=utf-8"] * 2 + ["application/json; charset=utf-8"]
    assert adm.call("GET", "/_emulator/faults")["corrupt"] == [], "a used-up rule is gone"


def test_admin_endpoints_are_never_corrupted(raw: Raw, adm: Any) -> None:
    adm.corrupt({"kind": "html"})  # no match: every ARM request
    assert raw("GET", f"/subscriptions/{SUB}").headers["Content-Type"].startswith("text/html")
    assert adm.call("GET", "/_emulator/health") == {"status": "ok"}
    assert adm.clear_faults()["corrupt"] == []
    assert raw("GET", f"/subscriptions/{SUB}").json()["subscriptionId"] == SUB


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "explode"}, "unknown corruption kind"),
        ({"kind": "html", "match": "("}, "match is not a regular expression"),
        ({"kind": "html", "count": 0}, "count must be a whole number"),
        ({"kind": "html", "status": 42}, "invalid status"),
        ({"kind": "html", "colour": "red"}, "unknown setting(s) colour"),
        ({"kind": "removeFields", "fields": []}, "must be a non-empty list"),
        ({"kind": "setFields", "fields": ["a"]}, "must be a non-empty object"),
        ({"kind": "nextLink", "url": "elsewhere"}, "absolute http(s) URL"),
        ({"kind": "slowBody", "byteMs": -1}, "invalid byteMs"),
        ({"kind": "silent", "holdSeconds": 0}, "invalid holdSeconds"),
        ("html", "must be a JSON object"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(adm: Any, rule: Any, message: str) -> None:
    with pytest.raises(RuntimeError, match="400") as raised:
        adm.corrupt(rule)
    assert message in str(raised.value)
    assert adm.call("GET", "/_emulator/faults")["corrupt"] == []


# --- slow and silent servers, on a raw TLS socket ---------------------------------------------------------


@pytest.fixture
def tls(emu: EmulatorServer) -> Iterator[ssl.SSLSocket]:
    context = ssl.create_default_context(cafile=str(emu.ca_path))
    plain = socket.create_connection(("127.0.0.1", emu.port), timeout=10)
    with context.wrap_socket(plain, server_hostname="127.0.0.1") as sock:
        yield sock


def _request(sock: ssl.SSLSocket, raw: Raw, path: str) -> None:
    head = (
        f"GET {path}?api-version=2024-03-03 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {raw.token}\r\nConnection: close\r\n\r\n"
    )
    sock.sendall(head.encode())


def _reads(sock: ssl.SSLSocket) -> list[bytes]:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return chunks


def test_a_slow_body_arrives_one_byte_at_a_time(tls: ssl.SSLSocket, raw: Raw, adm: Any) -> None:
    path = f"/subscriptions/{SUB}/resourcegroups/{RG}"
    whole = raw("GET", path).content
    adm.corrupt({"kind": "slowBody", "byteMs": 5, "match": f"^GET {path}$"})
    _request(tls, raw, path)
    chunks = _reads(tls)
    head, _, first = chunks[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and f"Content-Length: {len(whole)}".encode() in head
    body = [first, *chunks[1:]] if first else chunks[1:]
    assert all(len(c) == 1 for c in body), "every read returns a single byte: no read ever times out"
    assert b"".join(body) == whole


def test_slow_headers_too(tls: ssl.SSLSocket, raw: Raw, adm: Any) -> None:
    path = f"/subscriptions/{SUB}/resourcegroups/{RG}"
    adm.corrupt({"kind": "slowBody", "byteMs": 2, "headers": True, "match": f"^GET {path}$"})
    _request(tls, raw, path)
    chunks = _reads(tls)
    assert chunks[:8] == [bytes([c]) for c in b"HTTP/1.1"] and all(len(c) == 1 for c in chunks)


def test_a_silent_server_never_answers_but_carries_out_the_request(raw: Raw, adm: Any, client: Any) -> None:
    adm.corrupt({"kind": "silent", "match": "^PUT .*/galleries/quiet$", "count": 1})
    with pytest.raises(requests.exceptions.ReadTimeout):
        raw("PUT", gallery_path("quiet"), {"location": "eastus"}, timeout=(10, 0.5))
    assert raw("GET", gallery_path("quiet")).json()["name"] == "quiet", "accepted, only the answer was lost"
    assert raw("PUT", gallery_path("quiet"), {"location": "eastus"}).status_code == 200, "count 1: answered again"


def test_a_silent_answer_is_bounded(raw: Raw, adm: Any) -> None:
    adm.corrupt({"kind": "silent", "holdSeconds": 0.2})
    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        raw("GET", f"/subscriptions/{SUB}", timeout=(10, 60))
    assert not isinstance(raised.value, requests.exceptions.ReadTimeout), "closed by the server, not timed out"


def test_stopping_the_server_ends_slow_and_silent_answers() -> None:
    from reconciler.emulator.testing import admin, emulator_server

    with emulator_server() as srv:
        admin(srv).corrupt({"kind": "silent", "holdSeconds": 3600})
        context = ssl.create_default_context(cafile=str(srv.ca_path))
        plain = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        sock = context.wrap_socket(plain, server_hostname="127.0.0.1")
        sock.sendall(f"GET /subscriptions/{SUB}?api-version=2024-03-03 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    with sock:
        assert sock.recv(1) == b"", "the held connection is closed when the server stops"
