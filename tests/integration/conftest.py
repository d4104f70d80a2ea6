"""Fixtures shared by the integration tests: the real sandbox backends."""

from __future__ import annotations

import os
import shutil

import pytest

from tidegate.sandbox.backend import Backend, CommandSpec, GuardUnavailable
from tidegate.sandbox.bwrap import BwrapBackend


def _unavailable(variable: str, why: str) -> None:
    if os.environ.get(variable) == "1":
        pytest.fail(f"{variable}=1 but {why}", pytrace=False)
    pytest.skip(why)


def _docker_backend() -> Backend:
    image = os.environ.get("TIDEGATE_DOCKER_IMAGE")
    if not image:
        _unavailable(
            "TIDEGATE_REQUIRE_DOCKER",
            "no docker image: run under scripts/with-docker.sh (sets TIDEGATE_DOCKER_IMAGE)",
        )
    try:
        from tidegate.sandbox.docker import DockerBackend
    except ImportError as exc:
        _unavailable("TIDEGATE_REQUIRE_DOCKER", f"the docker SDK is not installed: {exc}")
    backend = DockerBackend(image=image)
    try:
        backend.guards(CommandSpec(("true",)))
    except GuardUnavailable as exc:
        _unavailable("TIDEGATE_REQUIRE_DOCKER", f"docker cannot run here: {exc.message}")
    return backend


@pytest.fixture(scope="module", params=["bwrap", "docker"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "docker":
        return _docker_backend()
    if shutil.which("bwrap") is None:
        _unavailable(
            "TIDEGATE_REQUIRE_BWRAP", "bubblewrap is not installed: apt-get install bubblewrap"
        )
    return BwrapBackend()
