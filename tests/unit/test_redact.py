"""Redaction (issue 9 §2): SAS query strings, signatures and tokens never survive; everything else does."""

from __future__ import annotations

import io
import logging
import string

from hypothesis import assume, given
from hypothesis import strategies as st

from reconciler.core.redact import REDACTED, redact_json, redact_text, without_query

SAS = "sv=2022-11-02&ss=b&srt=o&sp=r&se=2031-01-01T00%3A00%3A00Z&skoid=4f0c-11&sktid=72f9-22&sig=AbC%2Bd3F%3D"
BLOB = "https://imagevhds.blob.core.windows.net/vhds/ubuntu.vhd"

secret_chars = st.text(alphabet=string.ascii_letters + string.digits + "%+/=", min_size=12, max_size=60)
hosts = st.sampled_from(
    [
        "imagevhds.blob.core.windows.net",
        "acct.blob.core.usgovcloudapi.net",
        "md-abc.z3.blob.storage.azure.net",
        "downloads.contoso.com",
    ]
)


def test_a_blob_uri_loses_its_whole_query() -> None:
    assert redact_text(f"{BLOB}?{SAS}") == f"{BLOB}?{REDACTED}"


def test_azures_error_message_quoting_the_sas_is_redacted() -> None:
    message = f"Source {BLOB}?{SAS} is not found. Please check source exists."
    assert redact_text(message) == f"Source {BLOB}?{REDACTED} is not found. Please check source exists."


def test_arm_urls_keep_their_query() -> None:
    url = "https://management.azure.com/subscriptions/x/galleries?api-version=2025-03-03&$expand=ReplicationStatus"
    assert redact_text(f"GET {url}") == f"GET {url}"
    privacy = "https://contoso.com/privacy?lang=en"
    assert redact_text(privacy) == privacy


def test_a_sas_on_any_host_and_loose_signatures_are_redacted() -> None:
    assert redact_text("https://cdn.contoso.com/x.vhd?sv=1&sig=abc") == f"https://cdn.contoso.com/x.vhd?{REDACTED}"
    assert redact_text("the token sv=1&sig=abcdef&skoid=1234 expired") == (
        f"the token sv=1&sig={REDACTED}&skoid={REDACTED} expired"
    )


def test_tokens_and_connection_strings_are_redacted() -> None:
    jwt = "eyJhbGciOiJub25lIn0.eyJhdWQiOiJodHRwcyJ9.c2lnbmF0dXJl"
    assert jwt not in redact_text(f"Authorization: Bearer {jwt}")
    assert jwt not in redact_text(f"token={jwt}")
    assert redact_text("AccountKey=abc123==;EndpointSuffix=core.windows.net") == (
        f"AccountKey={REDACTED};EndpointSuffix=core.windows.net"
    )


def test_json_documents_are_redacted_everywhere_keys_kept() -> None:
    doc = {"uri": f"{BLOB}?{SAS}", "list": [f"x {BLOB}?{SAS}"], "n": 3, "none": None}
    assert redact_json(doc) == {"uri": f"{BLOB}?{REDACTED}", "list": [f"x {BLOB}?{REDACTED}"], "n": 3, "none": None}


def test_without_query() -> None:
    assert without_query(f"{BLOB}?{SAS}") == BLOB
    assert without_query(f"{BLOB}#frag") == BLOB
    assert without_query(BLOB) == BLOB


@given(host=hosts, sig=secret_chars, prefix=st.text(max_size=30), suffix=st.sampled_from(["", " ", "\n", '"', "'"]))
def test_no_signature_survives(host: str, sig: str, prefix: str, suffix: str) -> None:
    text = f"{prefix} https://{host}/c/blob.vhd?sv=2022-11-02&se=2030-01-01&sr=b&sp=r&sig={sig}{suffix}tail"
    out = redact_text(text)
    assert f"sig={sig}" not in out
    assert redact_text(out) == out  # idempotent


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="=:"), max_size=200))
def test_text_without_urls_or_secrets_is_unchanged(text: str) -> None:
    assume("eyJ" not in text and "bearer" not in text.lower())
    assert redact_text(text) == text


def test_the_log_filter_redacts_messages_arguments_and_tracebacks() -> None:
    from reconciler.cli import RedactSecrets

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets())
    logger = logging.getLogger("azure.test_redact")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        logger.debug("Request URL: %r", f"{BLOB}?{SAS}")
        try:
            raise ValueError(f"Source {BLOB}?{SAS} is not found")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "AbC%2Bd3F" not in output and "4f0c-11" not in output
    assert output.count(f"{BLOB}?{REDACTED}") == 2


def test_cli_logging_passes_every_record_of_azure_and_reconciler_through_the_filter() -> None:
    from reconciler.cli import RedactSecrets, configure_logging

    configure_logging("debug")
    try:
        for name in ("azure", "reconciler"):
            handlers = [h for h in logging.getLogger(name).handlers if h.get_name() == "reconcile"]
            assert handlers and any(isinstance(f, RedactSecrets) for f in handlers[0].filters)
    finally:
        configure_logging("warning")


def test_plan_values_and_plan_documents_are_redacted_at_the_boundary() -> None:
    from reconciler.render.values import field_line

    _, text = field_line("properties.uri", None, f"{BLOB}?{SAS}")
    assert text == f'properties.uri: "{BLOB}?{REDACTED}"'


def test_replication_details_are_redacted_as_they_are_read() -> None:
    """`reconcile status` and apply progress show Azure's per-region details, which may quote the source URI."""
    import asyncio
    import json

    from reconciler.azure.reads import read_version
    from reconciler.azure.session import Clients
    from tests.unit.plan_fixtures import version

    class Response:
        status_code = 200
        headers = {"content-type": "application/json"}

        async def read(self) -> bytes:
            failed = {"region": "West Europe", "state": "Failed", "progress": 10}
            failed["details"] = f"Cannot read source {BLOB}?{SAS}: the SAS expired"
            body = {
                "name": "1.0.0",
                "location": "westeurope",
                "properties": {"provisioningState": "Failed", "replicationStatus": {"summary": [failed]}},
            }
            return json.dumps(body).encode()

    class Arm:  # what `send_request` of an SDK client answers for the version's GET
        async def send_request(self, request: object) -> Response:
            return Response()

    found = asyncio.run(read_version(Clients(resources=Arm()), version()))
    assert found is not None
    assert found.info.replication[0].details == f"Cannot read source {BLOB}?{REDACTED}: the SAS expired"


def test_a_saved_plan_is_private_even_over_a_leftover_temporary_file(tmp_path: object) -> None:
    import os
    import stat
    from pathlib import Path

    from reconciler.apply.saved_plan import write_plan_file
    from reconciler.core.diff import DiffOptions
    from reconciler.core.plan import build_plan
    from reconciler.core.target_info import TargetInfo
    from tests.unit.plan_fixtures import desired_state, gallery, live_state

    directory = Path(str(tmp_path))
    leftover = directory / "plan.json.tmp"  # a crash between creating and renaming it
    leftover.write_text("{}")
    os.chmod(leftover, 0o644)
    info = TargetInfo("endpoint", "test", "https://127.0.0.1:1", "sub", None)
    plan = build_plan(desired_state(gallery()), live_state(), info, options=DiffOptions(), manifest_paths=["m.yaml"])
    write_plan_file(plan, str(directory / "plan.json"))
    assert stat.S_IMODE((directory / "plan.json").stat().st_mode) == 0o600
