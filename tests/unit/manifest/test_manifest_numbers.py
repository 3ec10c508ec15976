"""Numbers mean what they say: YAML 1.1 integer spellings and decimals in integer fields are refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.manifest import build_desired_state, load_manifests
from reconciler.manifest.yaml_source import int_spelling, parse_yaml

from .conftest import NOW

VERSION = """apiVersion: gallery-reconciler/v1
scope: {{resourceGroup: rg, location: westeurope}}
galleries:
  corp:
    definitions:
      ubuntu:
        identifier: {{publisher: p, offer: o, sku: s}}
        osType: Linux
        osState: Generalized
        hyperVGeneration: V2
        recommended: {{vCPUs: {{min: {vcpus}}}}}
        versions:
          "1.0.0":
            source: {{snapshot: {{name: os}}}}
            dataDisks: [{{lun: {lun}, source: {{snapshot: {{name: data}}}}}}]
            replicaCount: {count}
            targetRegions: [{{name: westeurope, replicas: {replicas}}}]
"""
FIELDS = {
    "count": "replicaCount",
    "replicas": "targetRegions.0.replicas",
    "lun": "dataDisks.0.lun",
    "vcpus": "recommended.vCPUs.min",
}


def _load(write: Callable[[str, str], Path], **values: str) -> list[str]:
    text = VERSION.format(**{"count": "2", "replicas": "1", "lun": "0", "vcpus": "2", **values})
    _, diags = load_manifests([write("m.yaml", text)], env={}, now=NOW)
    return [str(d) for d in diags.errors]


@pytest.mark.parametrize(
    ("text", "value", "form"),
    [
        ("010", 8, "octal"),
        ("0x0a", 10, "hexadecimal"),
        ("0b11", 3, "binary"),
        ("1_0", 10, "digits with '_' separators"),
        ("1:0", 60, "sexagesimal (base 60)"),
        ("-012", -10, "octal"),
    ],
)
def test_yaml_11_integer_spellings_are_recorded_with_their_value(text: str, value: int, form: str) -> None:
    (doc,), diags = parse_yaml(f"n: {text}\n", "f.yaml")
    assert not diags and doc.data == {"n": value}
    spelling = doc.int_spellings[("n",)]
    assert (spelling.text, spelling.value, spelling.form) == (text, value, form)


@given(st.integers())
def test_plain_decimal_is_no_special_spelling(number: int) -> None:
    assert int_spelling(str(number)) is None
    (doc,), _ = parse_yaml(f"n: {number}\nq: '010'\n", "f.yaml")
    assert doc.data == {"n": number, "q": "010"} and not doc.int_spellings


@pytest.mark.parametrize("field", list(FIELDS))
@pytest.mark.parametrize(("text", "meant"), [("010", 8), ("0x0a", 10), ("0b11", 3), ("1_0", 10), ("1:0", 60)])
def test_every_integer_field_refuses_other_spellings_naming_what_they_mean(
    write: Callable[[str, str], Path], field: str, text: str, meant: int
) -> None:
    errors = _load(write, **{field: text})
    mine = [e for e in errors if f".{FIELDS[field]}: '{text}' would mean {meant} " in e]
    assert len(mine) == 1, errors
    assert mine[0].startswith(f"{write('m.yaml', '').parent}/m.yaml:")
    assert "numbers must be written in plain decimal" in mine[0]


@pytest.mark.parametrize("field", list(FIELDS))
def test_decimals_in_integer_fields_are_refused(write: Callable[[str, str], Path], field: str) -> None:
    errors = _load(write, **{field: "2.0"})
    assert any(f".{FIELDS[field]}: expected a whole number, got a decimal number (2.0) (write 2)" in e for e in errors)


def test_plain_decimals_load_and_build(write: Callable[[str, str], Path]) -> None:
    text = VERSION.format(count="2", replicas="3", lun="10", vcpus="4")
    bundle, diags = load_manifests([write("m.yaml", text)], env={}, now=NOW)
    assert not diags
    state, _ = build_desired_state(bundle)
    (version,) = state.versions
    assert version.replica_count == 2 and version.target_regions[0].replica_count == 3
    assert version.data_disks[0].lun == 10


def test_a_spelling_in_a_text_field_is_one_error_not_two(write: Callable[[str, str], Path]) -> None:
    text = VERSION.format(count="2", replicas="1", lun="0", vcpus="2").replace("sku: s", "sku: 012")
    _, diags = load_manifests([write("m.yaml", text)], env={}, now=NOW)
    (only,) = diags.errors
    assert only.path == "galleries.corp.definitions.ubuntu.identifier.sku"
    assert only.message.startswith("'012' would mean 10") and only.line == 7
