"""The deterministic guards: environment precedence, faketime strings, the injected sitecustomize."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from tidegate.sandbox.backend import CommandSpec, Guards, GuardUnavailable
from tidegate.sandbox.guards import (
    SANDBOX_PATH,
    SITE_DIR,
    build_environment,
    faketime_value,
    refuse,
    sitecustomize_source,
)

LIB = "/lib/faketime.so.1"
EPOCH = 1767225600  # 2026-01-01T00:00:00Z


def test_environment_is_cleared_to_fixed_defaults() -> None:
    env = build_environment(CommandSpec(argv=("true",)), LIB).env
    assert env == {
        "PATH": SANDBOX_PATH,
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "TZ": "UTC",
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
    }


def test_contract_overrides_defaults_and_guards_override_contract() -> None:
    contract = {"PATH": "/opt/bin", "LANG": "de_DE.UTF-8", "TZ": "Europe/Paris", "X": "1"}
    guards = Guards(tz="UTC", locale="C.UTF-8", seed=3, clock="frozen", epoch=EPOCH)
    env = build_environment(CommandSpec(argv=("true",), env=contract, guards=guards), LIB).env
    assert env["PATH"] == "/opt/bin"
    assert env["X"] == "1"
    assert (env["TZ"], env["LANG"], env["LC_ALL"]) == ("UTC", "C.UTF-8", "C.UTF-8")
    assert env["PYTHONHASHSEED"] == "3"


def test_guard_paths_are_prepended_to_contract_values() -> None:
    contract = {"PYTHONPATH": "/w/src", "LD_PRELOAD": "/lib/other.so"}
    guards = Guards(seed=1, clock="start-at", epoch=EPOCH)
    env = build_environment(CommandSpec(argv=("true",), env=contract, guards=guards), LIB).env
    assert env["PYTHONPATH"] == f"{SITE_DIR}:/w/src"
    assert env["LD_PRELOAD"] == f"{LIB} /lib/other.so"


def test_seed_sets_hash_seeds_and_writes_sitecustomize() -> None:
    built = build_environment(CommandSpec(argv=("true",), guards=Guards(seed=42)), LIB)
    assert built.env["PYTHONHASHSEED"] == "42"
    assert built.env["PERL_HASH_SEED"] == "2a"
    assert built.site_files == {"sitecustomize.py": sitecustomize_source(42)}
    assert {s.guard: s.enforced for s in built.statuses}["seed"] is True


def test_no_seed_leaves_hashing_random_and_records_it() -> None:
    built = build_environment(CommandSpec(argv=("true",)), LIB)
    assert "PYTHONHASHSEED" not in built.env
    assert built.site_files == {}
    statuses = {s.guard: s for s in built.statuses}
    assert statuses["seed"].enforced is False
    assert statuses["clock"].enforced is False
    assert statuses["environment"].enforced is True


def test_faketime_strings() -> None:
    # An absolute time freezes the clock; "@" starts it there and lets it run.
    assert faketime_value("frozen", EPOCH) == "2026-01-01 00:00:00"
    assert faketime_value("start-at", EPOCH + 61) == "@2026-01-01 00:01:01"
    with pytest.raises(ValueError, match="real"):
        faketime_value("real", EPOCH)


def test_clock_guard_sets_faketime_variables() -> None:
    guards = Guards(clock="frozen", epoch=EPOCH)
    built = build_environment(CommandSpec(argv=("true",), guards=guards), LIB)
    assert built.env["FAKETIME"] == "2026-01-01 00:00:00"
    assert built.env["FAKETIME_DONT_FAKE_MONOTONIC"] == "1"
    assert built.env["LD_PRELOAD"] == LIB


def test_clock_without_libfaketime_is_refused() -> None:
    guards = Guards(clock="frozen", epoch=EPOCH)
    with pytest.raises(GuardUnavailable, match=r"'clock'.*libfaketime") as caught:
        build_environment(CommandSpec(argv=("true",), guards=guards), None)
    assert caught.value.guard == "clock"  # type: ignore[attr-defined]


def test_clock_without_epoch_is_refused() -> None:
    with pytest.raises(GuardUnavailable, match="epoch"):
        build_environment(CommandSpec(argv=("true",), guards=Guards(clock="start-at")), LIB)


def test_refuse_names_the_guard() -> None:
    error = refuse("network", "no filter", hint="use none")
    assert error.message == "guard 'network' cannot be enforced: no filter"
    assert error.hint == "use none"


def _python(site: Path, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_sitecustomize_seeds_random(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(sitecustomize_source(7))
    printed = _python(tmp_path, "import random; print(random.random())")
    assert printed == str(random.Random(7).random())


def test_sitecustomize_seeds_numpy_random_when_imported(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(sitecustomize_source(9))
    # A stand-in numpy with a real package layout: the hook must seed it on import only.
    package = tmp_path / "numpy" / "random"
    package.mkdir(parents=True)
    (tmp_path / "numpy" / "__init__.py").write_text("")
    (package / "__init__.py").write_text(
        "SEEDED = None\ndef seed(s):\n    global SEEDED\n    SEEDED = s\n"
    )
    code = (
        "import sys; print('numpy' in sys.modules); import numpy.random; print(numpy.random.SEEDED)"
    )
    assert _python(tmp_path, code).split() == ["False", "9"]
