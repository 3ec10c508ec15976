"""Issue 9 §2: a VHD source's SAS reaches Azure in the PUT body and nowhere else; a rotated SAS is no change.

Every output of plan and apply is scanned for the signature: plan text, Markdown, --json, the saved plan,
apply progress and summary (text and --json), the journal, and the logs at debug level, including the
text Azure sends back when it refuses the source.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, changed

pytestmark = pytest.mark.e2e

RG = "platform-images"
SIGNATURE = "Zm9vYmFyU2VjcmV0U2lnbmF0dXJl%3D"
OTHER_SIGNATURE = "cm90YXRlZFNpZ25hdHVyZQ%3D%3D"
USER_OID = "4c6b5f2e-0000-4000-8000-00000000beef"


def sas(signature: str) -> str:
    return (
        f"sv=2022-11-02&ss=b&srt=o&sp=r&se=2031-01-01T00%3A00%3A00Z&skoid={USER_OID}"
        f"&sktid=72f988bf-0000-0000-0000-000000000000&sig={signature}"
    )


def manifest(workdir: Path, uri: str, account: str) -> str:
    path = workdir / "vhd.yaml"
    path.write_text(
        f"""\
apiVersion: gallery-reconciler/v1
scope: {{resourceGroup: {RG}, location: westeurope}}
galleries:
  vhdgal:
    definitions:
      fromvhd:
        identifier: {{publisher: acme, offer: vhd, sku: one}}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        versions:
          "1.0.0":
            source:
              vhd:
                uri: "{uri}"
                storageAccount: {{resourceGroup: {RG}, name: {account}}}
            targetRegions: [westeurope]
""",
        encoding="utf-8",
    )
    return str(path)


def assert_clean(text: str, where: str) -> None:
    assert SIGNATURE not in text and OTHER_SIGNATURE not in text, f"a SAS signature in {where}"
    assert USER_OID not in text, f"the SAS's signing object id in {where}"


def open_account(run: Cli) -> str:
    """A storage account without a blob list: the emulator accepts any blob URI on it, as Azure does with a SAS."""
    run.admin.seed({"storageAccounts": [{"resourceGroup": RG, "name": "sasvhds", "location": "westeurope"}]})
    return "https://sasvhds.blob.core.windows.net/vhds/ubuntu.vhd"


def test_the_sas_goes_to_azure_and_nowhere_else(run: Cli) -> None:
    blob = open_account(run)
    path = manifest(run.workdir, f"{blob}?{sas(SIGNATURE)}", "sasvhds")

    text = run("plan", path).output
    assert f'"{blob}"' in text  # the blob is shown, its SAS is not
    assert_clean(text, "plan text")
    assert_clean(run("plan", "--markdown", path).output, "plan --markdown")
    document = run("plan", "--json", path).stdout
    assert_clean(document, "plan --json")
    created = next(r for r in json.loads(document)["resources"] if r["address"] == "vhdgal/fromvhd/1.0.0")
    source = next(c for c in created["changes"] if c["path"] == "storageProfile.source")
    assert source["after"]["uri"] == blob

    run("plan", "--out", "plan.json", path)
    saved = run.workdir / "plan.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert_clean(saved.read_text(), "the saved plan")

    result = run("--log-level", "debug", "apply", "--journal", "journal.jsonl", "plan.json")
    assert "Request URL: " in result.output  # azure-core's request log is in the output scanned
    assert_clean(result.output, "apply output and debug logs")
    journal = run.workdir / "journal.jsonl"
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600
    assert_clean(journal.read_text(), "the journal")

    # Azure got the whole URI: it needs the SAS to read the blob.
    body = run.compute().gallery_image_versions.get(RG, "vhdgal", "fromvhd", "1.0.0").as_dict()
    assert body["properties"]["storageProfile"]["osDiskImage"]["source"]["uri"] == f"{blob}?{sas(SIGNATURE)}"

    # A rotated SAS is the same blob: no change.
    rotated = manifest(run.workdir, f"{blob}?{sas(OTHER_SIGNATURE)}", "sasvhds")
    plan = run.plan_json(rotated)
    assert changed(plan) == {}
    assert_clean(json.dumps(plan), "the plan after rotation")


def test_azures_refusal_quoting_the_sas_is_redacted_in_every_output(run: Cli) -> None:
    # imagevhds lists its blobs: this one is not among them, and the emulator, like the Compute RP, quotes the
    # source URI, SAS and all, in its error message.
    path = manifest(
        run.workdir, f"https://imagevhds.blob.core.windows.net/vhds/missing.vhd?{sas(SIGNATURE)}", "imagevhds"
    )
    text = run("--log-level", "debug", "apply", "--auto-approve", "--journal", "j.jsonl", path, expect=1)
    assert "is not found" in text.output  # Azure's message is there, without its secret
    assert "Request URL: " in text.output
    assert "missing.vhd?REDACTED" in text.output
    assert_clean(text.output, "apply output and debug logs")
    as_json = run("apply", "--auto-approve", "--json", "--journal", "j.jsonl", path, expect=1).stdout
    assert_clean(as_json, "apply --json")
    failed = [r for r in json.loads(as_json)["results"] if r["status"] == "failed"]
    assert failed and "missing.vhd?REDACTED" in failed[0]["message"]
    journal = (run.workdir / "j.jsonl").read_text()
    assert "is not found" in journal
    assert_clean(journal, "the journal")


def test_a_journal_left_readable_by_others_is_made_private(run: Cli) -> None:
    journal = run.workdir / "old.jsonl"
    journal.write_text("")
    journal.chmod(0o644)
    blob = open_account(run)
    run("apply", "--auto-approve", "--journal", str(journal), manifest(run.workdir, blob, "sasvhds"))
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600
    assert journal.read_text().count("\n") == 3  # gallery, definition, version


def test_manifest_diagnostics_shown_by_plan_do_not_quote_the_sas(run: Cli) -> None:
    path = manifest(run.workdir, f"http://imagevhds.blob.core.windows.net/vhds/x.vhd?{sas(SIGNATURE)}", "imagevhds")
    result = run("plan", path, expect=1)
    assert "must be an https URI" in result.output
    assert_clean(result.output, "plan's diagnostics")
