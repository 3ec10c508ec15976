"""Safe YAML loading: positions, plain data only, and refusal of what PyYAML would silently accept."""

from __future__ import annotations

from pathlib import Path

from reconciler.manifest import load_manifests
from reconciler.manifest.yaml_source import ALIAS_BUDGET, MAX_FILE_BYTES, load_yaml_file, parse_yaml


def test_values_and_keys_keep_their_line_and_column() -> None:
    docs, diags = parse_yaml("a:\n  b: [x, {c: 1}]\n", "f.yaml")
    assert not diags
    doc = docs[0]
    assert doc.data == {"a": {"b": ["x", {"c": 1}]}}
    assert doc.keys[("a", "b")] == (2, 3)
    assert doc.values[("a", "b", 1, "c")] == (2, 14)
    assert doc.pos(("a", "b", 7)) == (2, 6), "unknown paths fall back to the nearest written ancestor"


def test_timestamps_stay_strings_and_scalars_keep_yaml_types() -> None:
    docs, _ = parse_yaml("d: 2030-01-01\nt: 2030-01-01T00:00:00Z\nn: 3\nb: true\nz: ~\nv: 1.0.0\n", "f.yaml")
    assert docs[0].data == {"d": "2030-01-01", "t": "2030-01-01T00:00:00Z", "n": 3, "b": True, "z": None, "v": "1.0.0"}


def test_mapping_keys_are_names_even_when_they_look_like_numbers() -> None:
    docs, _ = parse_yaml("0: a\n1.0: b\n", "f.yaml")
    assert docs[0].data == {"0": "a", "1.0": "b"}


def test_merge_keys_work_and_explicit_keys_win() -> None:
    docs, diags = parse_yaml("base: &b {x: 1, y: 2}\nuse:\n  y: 3\n  <<: *b\n", "f.yaml")
    assert not diags
    assert docs[0].data["use"] == {"x": 1, "y": 3}


def test_small_aliases_are_fine() -> None:
    docs, diags = parse_yaml("r: &r [westeurope, northeurope]\na: *r\nb: *r\n", "f.yaml")
    assert not diags and docs[0].data["b"] == ["westeurope", "northeurope"]


def test_alias_expansion_is_budgeted() -> None:
    levels = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    levels += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 6)]
    docs, diags = parse_yaml("\n".join(levels) + "\n", "bomb.yaml")
    assert docs == []
    assert [d.message for d in diags] == [
        f"aliases expand to more than {ALIAS_BUDGET} nodes (an alias bomb?); refusing to load"
    ]


def test_duplicate_keys_are_reported_with_both_lines() -> None:
    docs, diags = parse_yaml("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert docs == [], "a document with YAML errors is not checked further"
    (d,) = diags
    assert (d.line, d.column, d.path) == (3, 1, "a")
    assert "first written at line 1" in d.message


def test_tags_are_refused_not_constructed() -> None:
    _, diags = parse_yaml("a: !!python/object/apply:os.system [echo pwned]\n", "f.yaml")
    assert "unsupported YAML tag" in diags[0].message


def test_multiple_documents_each_become_a_manifest_and_empty_ones_are_dropped() -> None:
    docs, diags = parse_yaml("a: 1\n---\n---\nb: 2\n", "f.yaml")
    assert not diags
    assert [(d.index, d.data) for d in docs] == [(0, {"a": 1}), (2, {"b": 2})]


def test_tab_indentation_gets_a_clear_message() -> None:
    _, diags = parse_yaml("a:\n  b: 1\n\tc: 2\n", "f.yaml")
    (d,) = diags
    assert (d.line, d.column) == (3, 1)
    assert d.message.startswith("tab character in indentation")


def test_tabs_inside_values_are_fine() -> None:
    docs, diags = parse_yaml('a: "x\ty"\n', "f.yaml")
    assert not diags and docs[0].data == {"a": "x\ty"}


def test_syntax_errors_carry_line_and_column() -> None:
    _, diags = parse_yaml("a: [1, 2\nb: 3\n", "f.yaml")
    (d,) = diags
    assert d.message.startswith("invalid YAML:") and d.line is not None and d.column is not None


def test_control_characters_are_reported() -> None:
    _, diags = parse_yaml("a: b\x07\n", "f.yaml")
    assert diags[0].message.startswith("invalid YAML: unacceptable character #x0007")
    assert (diags[0].line, diags[0].column) == (1, 5)


def test_non_utf8_files_name_the_byte_and_position(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: 1\nb: café\n".encode("latin-1"))
    _, diags = load_yaml_file(path, "latin1.yaml")
    (d,) = diags
    assert (d.line, d.column) == (2, 7)
    assert "not valid UTF-8 (byte 0xe9)" in d.message


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffa: 1\n".encode())
    docs, diags = load_yaml_file(path, "bom.yaml")
    assert not diags and docs[0].data == {"a": 1}


def test_files_over_the_size_limit_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as f:  # sparse: a 50 MB file costs nothing to create
        f.truncate(50 * 1024 * 1024)
    bundle, diags = load_manifests([path], env={})
    (d,) = diags
    assert d.message == f"file is 50.0 MB; manifests are limited to {MAX_FILE_BYTES // 1024 // 1024} MB"
    assert d.file == str(path) and bundle.has_errors


def test_empty_files_and_comment_only_files_are_errors(tmp_path: Path) -> None:
    for name, text in (("empty.yaml", ""), ("comments.yaml", "# nothing here\n")):
        path = tmp_path / name
        path.write_text(text)
        _, diags = load_manifests([path], env={})
        assert [d.message for d in diags] == ["manifest file is empty: it contains no YAML document"]


def test_a_directory_without_manifests_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("not a manifest")
    _, diags = load_manifests([tmp_path], env={})
    (d,) = diags
    assert d.message == f"no manifests found in directory '{tmp_path}'"


def test_missing_paths_are_errors(tmp_path: Path) -> None:
    _, diags = load_manifests([tmp_path / "nope"], env={})
    assert diags[0].message.startswith("no such file or directory")
