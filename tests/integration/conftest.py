"""Fixtures shared by the integration tests: the real sandbox backends, a task repository, a ledger."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LedgerFixture, create_ledger
from tidegate.ledger.store import sqlite_url
from tidegate.sandbox.backend import Backend, CommandSpec, GuardUnavailable
from tidegate.sandbox.bwrap import BwrapBackend


def _unavailable(variable: str, why: str, module_level: bool = False) -> None:
    if os.environ.get(variable) == "1":
        pytest.fail(f"{variable}=1 but {why}", pytrace=False)
    pytest.skip(why, allow_module_level=module_level)


def docker_backend(module_level: bool = False) -> Backend:
    """Return the docker backend on $TIDEGATE_DOCKER_IMAGE, or skip (fail under
    TIDEGATE_REQUIRE_DOCKER=1) saying why it cannot run here."""
    image = os.environ.get("TIDEGATE_DOCKER_IMAGE")
    if not image:
        _unavailable(
            "TIDEGATE_REQUIRE_DOCKER",
            "no docker image: run under scripts/with-docker.sh (sets TIDEGATE_DOCKER_IMAGE)",
            module_level,
        )
    try:
        from tidegate.sandbox.docker import DockerBackend
    except ImportError as exc:
        _unavailable(
            "TIDEGATE_REQUIRE_DOCKER", f"the docker SDK is not installed: {exc}", module_level
        )
    backend = DockerBackend(image=image)
    try:
        backend.guards(CommandSpec(("true",)))
    except GuardUnavailable as exc:
        _unavailable(
            "TIDEGATE_REQUIRE_DOCKER", f"docker cannot run here: {exc.message}", module_level
        )
    return backend


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An empty directory for a backend to run commands in."""
    path = tmp_path / "workspace"
    path.mkdir()
    return path


@pytest.fixture(scope="module", params=["bwrap", "docker"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "docker":
        return docker_backend()
    if shutil.which("bwrap") is None:
        _unavailable(
            "TIDEGATE_REQUIRE_BWRAP", "bubblewrap is not installed: apt-get install bubblewrap"
        )
    return BwrapBackend()


def git(repo: Path, *args: str) -> None:
    """Run git in ``repo`` with a fixed author (checked)."""
    subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
        },
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A temporary git repository with a few files, one commit."""
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "README.md").write_text("hello\n")
    (root / "old.txt").write_text("to be deleted\n")
    (root / "run.sh").write_text("#!/bin/sh\necho run\n")
    (root / "run.sh").chmod(0o755)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[LedgerFixture]:
    """A fresh SQLite ledger."""
    fixture = create_ledger(sqlite_url(tmp_path / "ledger.db"))
    yield fixture
    fixture.store.close()
