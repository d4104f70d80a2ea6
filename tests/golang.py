"""Build the Go programs of the independent checks with Debian's golang.org/x/mod, offline."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

GOPATH = Path("/usr/share/gocode")
X_MOD = GOPATH / "src" / "golang.org" / "x" / "mod"
REQUIRE_GO_ENV = "TIDEGATE_REQUIRE_GO"


def go_missing() -> str | None:
    """Say what is missing for the Go checks, or None when Go and x/mod are installed."""
    if shutil.which("go") is None:
        return "the `go` command is not installed"
    if not (X_MOD / "sumdb" / "note").is_dir() or not (X_MOD / "sumdb" / "tlog").is_dir():
        return f"golang.org/x/mod is not installed in {X_MOD}"
    return None


def build_go(package: Path, work: Path, name: str) -> Path:
    """Build the Go package in ``package`` into ``work/name`` (GOPATH mode, no network).

    Skips the calling test when Go is missing, or fails it when TIDEGATE_REQUIRE_GO is set.
    """
    missing = go_missing()
    if missing:
        message = (
            f"{missing}: run scripts/test.sh, which installs golang-go and golang-golang-x-mod-dev"
        )
        if os.environ.get(REQUIRE_GO_ENV):
            pytest.fail(f"{REQUIRE_GO_ENV} is set but {message}")
        pytest.skip(message)
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": str(GOPATH),
        "GOCACHE": str(work / "gocache"),
        "GOENV": "off",
        "GOFLAGS": "",
        "GOPROXY": "off",
        "CGO_ENABLED": "0",
    }
    binary = work / name
    result = subprocess.run(
        ["go", "build", "-o", str(binary), "."],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"go build of {package} failed:\n{result.stderr}"
    return binary
