"""Property: no input, however broken, makes loading or building raise; problems come back as diagnostics."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.manifest import build_desired_state, load_manifests
from reconciler.manifest.yaml_source import parse_yaml

from .conftest import NOW, REPO

KEYS = [
    "apiVersion", "scope", "galleries", "definitions", "versions", "source", "targetRegions", "identifier", "osType",
    "osState", "dataDisks", "lun", "name", "replicas", "managedImage", "galleryImageVersion", "address", "vhd", "uri",
    "storageAccount", "encryption", "dataDiskEncryptionSets", "features", "tags", "location", "resourceGroup",
]  # fmt: skip
scalars = st.none() | st.booleans() | st.integers(-5, 200) | st.sampled_from([*KEYS, "westeurope", "a/b/c", "1.0.0"])
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([*"ab:- \n\t[]{}&*!#'\"$%=,0.", "${X}", "<<: ", "&a ", "*a"]), max_size=40))
def test_arbitrary_text_never_raises(tokens: list[str]) -> None:
    parse_yaml("".join(tokens), "fuzz.yaml")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_arbitrary_manifest_shaped_data_never_raises(data: Any) -> None:
    if isinstance(data, dict):
        data = {"apiVersion": "gallery-reconciler/v1", **data}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.yaml").write_text(yaml.safe_dump(data))
        bundle, _ = load_manifests([tmp], env={}, now=NOW)
        build_desired_state(bundle)


def _mutations() -> list[str]:
    """The full example with one line removed each time: near-valid input exercises the rules, not just the schema."""
    text = (REPO / "manifests" / "full" / "staging" / "ubuntu.yaml").read_text().splitlines()
    return ["\n".join(text[:i] + text[i + 1 :]) for i in range(len(text))]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(_mutations()))
def test_near_valid_manifests_never_raise(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.yaml").write_text(text)
        other = (REPO / "manifests" / "full" / "staging" / "gallery.yaml").read_text()
        (Path(tmp) / "g.yaml").write_text(other)
        bundle, _ = load_manifests([tmp], env={}, now=NOW)
        build_desired_state(bundle)
