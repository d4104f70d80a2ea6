"""Loading policy bundles: layout, digests, and every hostile input named by file and line."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tidegate.policy import bundle as bundle_module
from tidegate.policy.bundle import PolicyBundle, load_bundle
from tidegate.policy.embedded import EmbeddedEngine
from tidegate.policy.errors import PolicyError

POLICIES = Path(__file__).resolve().parents[1] / "data" / "policies"
CONFORMANCE = POLICIES / "conformance"
MODULE = "package tidegate.gate\n\nimport rego.v1\n\ndecision := {}\n"


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create ``files`` (relative path -> content) under ``root`` and return ``root``."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def failure(root: Path, *, with_tests: bool = False) -> str:
    """Return the message of the PolicyError loading ``root`` raises."""
    with pytest.raises(PolicyError) as caught:
        load_bundle(root, with_tests=with_tests)
    assert "\n" not in caught.value.message
    return caught.value.message


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def listed_digest(pairs: list[list[str]]) -> str:
    """The documented digest: sha256 of the canonical JSON of sorted [path, sha256] pairs."""
    canonical = json.dumps(sorted(pairs), separators=(",", ":"), sort_keys=True)
    return sha(canonical.encode())


# --------------------------------------------------------------------------------------------
# layout and digests
# --------------------------------------------------------------------------------------------


def test_the_fixture_bundle_loads_modules_data_and_digests() -> None:
    loaded = load_bundle(CONFORMANCE)
    assert [f.path for f in loaded.modules] == ["gate.rego", "lib/util.rego"]
    assert loaded.tests == ()
    assert [f.path for f in loaded.data_files] == ["data/risk.yaml", "data/rules.json"]
    assert set(loaded.data) == {"risk", "rules"}
    assert loaded.data["risk"]["weights"]["coverage"] == 20
    for policy_file in loaded.modules + loaded.data_files:
        assert policy_file.sha256 == sha((CONFORMANCE / policy_file.path).read_bytes())
    assert loaded.digest == listed_digest([[f.path, f.sha256] for f in loaded.modules])
    assert loaded.data_digest == listed_digest([[f.path, f.sha256] for f in loaded.data_files])


def test_tests_are_loaded_only_when_asked() -> None:
    with_tests = load_bundle(CONFORMANCE, with_tests=True)
    assert [f.path for f in with_tests.tests] == ["gate_test.rego"]
    assert with_tests.digest == load_bundle(CONFORMANCE).digest


def test_digests_follow_modules_and_data_but_not_tests(tmp_path: Path) -> None:
    root = write(
        tmp_path / "p",
        {"a.rego": MODULE, "a_test.rego": "package tidegate.a_test\n", "data/x.json": "{}"},
    )
    first = load_bundle(root, with_tests=True)
    (root / "a_test.rego").write_text("package tidegate.a_test\n# changed\n")
    assert load_bundle(root).digest == first.digest
    (root / "data/x.json").write_text('{"k": 1}')
    second = load_bundle(root)
    assert (second.digest, second.data_digest != first.data_digest) == (first.digest, True)
    (root / "a.rego").write_text(MODULE + "# changed\n")
    assert load_bundle(root).digest != first.digest


def test_hidden_directories_files_and_data_are_not_modules(tmp_path: Path) -> None:
    root = write(
        tmp_path / "p",
        {
            "z/b.rego": MODULE.replace("gate", "b"),
            "a.rego": MODULE,
            ".git/x.rego": "not rego",
            "sub/.hidden.rego": "not rego",
            "data/inside.rego": "not rego",
            "data/.swp.json": "not json",
            "data/notes.txt": "ignored",
            "README.md": "ignored",
        },
    )
    loaded = load_bundle(root)
    assert [f.path for f in loaded.modules] == ["a.rego", "z/b.rego"]
    assert loaded.data == {}


def test_yaml_dates_stay_strings_and_yml_json_both_load(tmp_path: Path) -> None:
    root = write(
        tmp_path / "p",
        {"a.rego": MODULE, "data/dates.yml": "expires: 2025-01-31\n", "data/n.json": '{"a": 1.5}'},
    )
    assert load_bundle(root).data == {"dates": {"expires": "2025-01-31"}, "n": {"a": 1.5}}


def test_source_names_carry_the_bundle_directory_name() -> None:
    loaded = load_bundle(CONFORMANCE)
    assert isinstance(loaded, PolicyBundle)
    assert loaded.source_name("lib/util.rego") == "conformance/lib/util.rego"


# --------------------------------------------------------------------------------------------
# hostile and broken bundles
# --------------------------------------------------------------------------------------------


def test_a_missing_directory(tmp_path: Path) -> None:
    assert failure(tmp_path / "nope") == f"policy directory {tmp_path / 'nope'} does not exist"


def test_a_file_is_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    assert "is not a directory" in failure(tmp_path / "f")


def test_an_empty_directory_has_no_modules(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert "has no Rego modules" in failure(tmp_path / "empty")


def test_only_tests_is_no_modules(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"a_test.rego": "package t\n"})
    assert "has no Rego modules" in failure(root, with_tests=True)


def test_invalid_utf8_in_a_module_names_line_and_byte(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"bad.rego": b"package x\n\n# caf\xe9\n"})
    assert (
        failure(root) == "p/bad.rego:3: invalid UTF-8 at byte offset 16 (invalid continuation byte)"
    )


def test_invalid_utf8_in_a_data_file(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"a.rego": MODULE, "data/x.yaml": b"a: 1\nb: \xff\n"})
    assert failure(root).startswith("p/data/x.yaml:2: invalid UTF-8 at byte offset 8")


def test_two_data_files_with_one_stem(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"a.rego": MODULE, "data/risk.json": "{}", "data/risk.yaml": "{}"})
    assert failure(root) == (
        "p/data/risk.yaml: p/data/risk.json already provides data.tidegate.risk"
        " (one data file per name)"
    )


def test_bad_yaml_names_line_and_column(tmp_path: Path) -> None:
    root = write(
        tmp_path / "p", {"a.rego": MODULE, "data/risk.yaml": "weights:\n  size: 10\n bad: [1\n"}
    )
    message = failure(root)
    assert message.startswith("p/data/risk.yaml:3:2: invalid YAML:"), message


def test_bad_json_names_line_and_column(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"a.rego": MODULE, "data/x.json": '{\n  "a": 1,\n}\n'})
    assert failure(root).startswith("p/data/x.json:3:1: invalid JSON:")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("x.json", '{"a": 1, "a": 2}', "p/data/x.json: invalid JSON: duplicate key 'a'"),
        ("x.yaml", "a: 1\nb: 2\na: 3\n", "p/data/x.yaml:3:1: invalid YAML:"),
    ],
)
def test_duplicate_keys_are_refused(tmp_path: Path, name: str, text: str, expected: str) -> None:
    root = write(tmp_path / "p", {"a.rego": MODULE, f"data/{name}": text})
    message = failure(root)
    assert message.startswith(expected), message
    if name.endswith(".yaml"):
        assert "duplicate key 'a'" in message


@pytest.mark.parametrize(
    ("text", "kind"),
    [("- 1\n- 2\n", "an array"), ("", "null (an empty document)"), ("42\n", "a number")],
)
def test_data_must_be_an_object(tmp_path: Path, text: str, kind: str) -> None:
    root = write(tmp_path / "p", {"a.rego": MODULE, "data/x.yaml": text})
    assert (
        failure(root) == f"p/data/x.yaml: a data document must be an object (mapping), not {kind}"
    )


def test_data_keys_must_be_strings(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"a.rego": MODULE, "data/x.yaml": "levels:\n  1: low\n"})
    assert failure(root) == (
        "p/data/x.yaml: $.levels has the key 1, which is not a string (quote it in YAML)"
    )


def test_data_names_must_be_identifiers(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"a.rego": MODULE, "data/my-data.json": "{}"})
    assert "must be Rego identifiers" in failure(root)


def test_a_package_under_a_data_name_collides(tmp_path: Path) -> None:
    root = write(
        tmp_path / "p",
        {"a.rego": MODULE, "b.rego": "package tidegate.risk.extra\n", "data/risk.json": "{}"},
    )
    assert failure(root) == (
        "p/b.rego:1: package tidegate.risk.extra collides with p/data/risk.json"
        " (data.tidegate.risk)"
    )


def test_a_symlinked_module_escaping_the_root_is_refused(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"secret.rego": MODULE})
    root = write(tmp_path / "p", {"a.rego": MODULE})
    os.symlink(outside / "secret.rego", root / "b.rego")
    message = failure(root)
    assert message.startswith("p/b.rego: symlink points outside the policy directory"), message


def test_a_symlinked_directory_escaping_the_root_is_refused(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"secret.rego": MODULE})
    root = write(tmp_path / "p", {"a.rego": MODULE})
    os.symlink(outside, root / "lib")
    assert failure(root).startswith("p/lib: symlink points outside the policy directory")


def test_a_symlinked_data_file_escaping_the_root_is_refused(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"x.json": "{}"})
    root = write(tmp_path / "p", {"a.rego": MODULE, "data/keep.json": "{}"})
    os.symlink(outside / "x.json", root / "data" / "x.json")
    assert failure(root).startswith("p/data/x.json: symlink points outside")


def test_a_broken_symlink_is_refused(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"a.rego": MODULE})
    os.symlink(tmp_path / "missing.rego", root / "b.rego")
    assert failure(root) == "p/b.rego: broken or looping symlink"


def test_a_symlink_inside_the_root_is_read(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"real/a.rego": MODULE})
    os.symlink(root / "real" / "a.rego", root / "alias.rego")
    loaded = load_bundle(root)
    assert [f.path for f in loaded.modules] == ["alias.rego", "real/a.rego"]
    assert loaded.modules[0].sha256 == loaded.modules[1].sha256


def test_a_file_over_the_size_cap_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bundle_module, "MAX_FILE_BYTES", 64)
    root = write(tmp_path / "p", {"a.rego": MODULE + "#" * 100})
    assert failure(root) == "p/a.rego: larger than 64 bytes"


def test_too_many_files_and_too_many_bytes_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write(tmp_path / "p", {f"m{i}.rego": MODULE.replace("gate", f"m{i}") for i in range(4)})
    monkeypatch.setattr(bundle_module, "MAX_FILES", 3)
    assert failure(root) == "p/m3.rego: the bundle has more than 3 files"
    monkeypatch.setattr(bundle_module, "MAX_FILES", 100)
    monkeypatch.setattr(bundle_module, "MAX_TOTAL_BYTES", 2 * len(MODULE))
    assert "the bundle is larger than" in failure(root)


def test_broken_rego_names_file_line_and_column(tmp_path: Path) -> None:
    root = write(
        tmp_path / "policies",
        {
            "good.rego": MODULE,
            "bad.rego": "package tidegate.bad\n\nimport rego.v1\n\nx := [1, 2\n\ny := 3\n",
        },
    )
    with pytest.raises(PolicyError) as caught:
        EmbeddedEngine(load_bundle(root))
    assert caught.value.message == "policies/bad.rego:7:1: expecting `]` while parsing array"
