"""The docker backend's own behaviour against a real engine: image pinning, refusals, container
lifecycle, versions. Escapes, limits and determinism are in the shared suite
(test_sandbox_backends.py), which runs them against both backends."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import docker_backend
from tidegate.sandbox.backend import (
    CommandResult,
    CommandSpec,
    Guards,
    GuardUnavailable,
    Limits,
)

# Skips (fails under TIDEGATE_REQUIRE_DOCKER=1) exactly as the shared suite does.
SHARED = docker_backend(module_level=True)

from tidegate.sandbox.docker import DockerBackend  # noqa: E402  (after the skip: needs the SDK)
from tidegate.sandbox.proxy import EgressProxy  # noqa: E402

IMAGE = os.environ["TIDEGATE_DOCKER_IMAGE"]
IMAGE_ID = "sha256:" + IMAGE.rpartition("sha256:")[2]


@pytest.fixture(scope="module")
def backend() -> DockerBackend:
    assert isinstance(SHARED, DockerBackend)
    return SHARED


@pytest.fixture(scope="module")
def client(backend: DockerBackend) -> Any:
    return backend.client()


def run(
    backend: DockerBackend,
    workspace: Path,
    argv: tuple[str, ...],
    *,
    limits: Limits | None = None,
    guards: Guards | None = None,
    env: dict[str, str] | None = None,
) -> CommandResult:
    """Run ``argv`` in the container (wall time 60 s unless ``limits`` says otherwise)."""
    command = CommandSpec(
        argv=argv,
        env=env or {},
        limits=limits or Limits(wall_seconds=60),
        guards=guards or Guards(),
    )
    return backend.run(workspace, command)


def py(backend: DockerBackend, workspace: Path, code: str, **kwargs: Any) -> CommandResult:
    """Run a Python snippet with the image's python3."""
    return run(backend, workspace, ("python3", "-c", code), **kwargs)


def sh(backend: DockerBackend, workspace: Path, script: str, **kwargs: Any) -> CommandResult:
    """Run a shell script with the image's busybox sh."""
    return run(backend, workspace, ("sh", "-c", script), **kwargs)


def test_bare_tag_refused_without_allow_tag(client: Any) -> None:
    tag = "tidegate-sandbox:test-tag"
    client.api.tag(IMAGE_ID, "tidegate-sandbox", "test-tag")
    try:
        with pytest.raises(GuardUnavailable) as refused:
            DockerBackend(tag).guards(CommandSpec(argv=("true",)))
        assert refused.value.guard == "image"
        allowed = DockerBackend(tag, allow_tag=True)
        rows = {row.guard: row.how for row in allowed.guards(CommandSpec(argv=("true",)))}
        assert IMAGE_ID in rows["image"]
        assert allowed.versions()["docker_image"] == IMAGE_ID
    finally:
        client.api.remove_image(tag)


def test_both_pinned_forms_accepted() -> None:
    for reference in (IMAGE, IMAGE_ID):
        rows = {row.guard for row in DockerBackend(reference).guards(CommandSpec(argv=("true",)))}
        assert {"network", "filesystem", "capabilities", "seccomp", "image", "output"} <= rows


def test_unknown_digest_refused() -> None:
    with pytest.raises(GuardUnavailable) as refused:
        DockerBackend("tidegate-sandbox@sha256:" + "0" * 64).guards(CommandSpec(argv=("true",)))
    assert refused.value.guard == "image"


def test_trace_refused(backend: DockerBackend, tmp_path: Path) -> None:
    with pytest.raises(GuardUnavailable) as refused:
        backend.guards(CommandSpec(argv=("true",), trace_file=tmp_path / "trace"))
    assert refused.value.guard == "trace"


def test_cwd_escape_refused(backend: DockerBackend) -> None:
    with pytest.raises(GuardUnavailable) as refused:
        backend.guards(CommandSpec(argv=("true",), cwd="../etc"))
    assert refused.value.guard == "filesystem"


def test_unreachable_engine_refused() -> None:
    import docker

    dead = docker.DockerClient(base_url="unix:///nonexistent/docker.sock", version="1.41")
    with pytest.raises(GuardUnavailable) as refused:
        DockerBackend(IMAGE, client=dead).guards(CommandSpec(argv=("true",)))
    assert refused.value.guard == "engine"


def test_echo_and_exit_code(backend: DockerBackend, workspace: Path) -> None:
    result = sh(backend, workspace, "echo hello; echo oops >&2; exit 3")
    assert (result.status, result.exit_code) == ("failed", 3)
    assert (result.stdout, result.stderr) == (b"hello\n", b"oops\n")
    assert sh(backend, workspace, "true").status == "ok"


def test_workspace_write_visible_and_cwd(backend: DockerBackend, workspace: Path) -> None:
    (workspace / "sub").mkdir()
    command = CommandSpec(
        argv=("sh", "-c", "pwd; echo made > out.txt"), cwd="sub", limits=Limits(wall_seconds=60)
    )
    result = backend.run(workspace, command)
    assert result.status == "ok", result.stderr
    assert result.stdout == b"/workspace/sub\n"
    assert (workspace / "sub" / "out.txt").read_text() == "made\n"


def test_capabilities_dropped(backend: DockerBackend, workspace: Path) -> None:
    result = sh(backend, workspace, "grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status")
    assert result.status == "ok", result.stderr
    for line in result.stdout.decode().splitlines():
        assert int(line.split()[1], 16) == 0, line
    assert b"NoNewPrivs:\t1" in sh(backend, workspace, "cat /proc/self/status").stdout


def test_wall_time_kills_container(backend: DockerBackend, client: Any, workspace: Path) -> None:
    before = {c["Id"] for c in client.api.containers(all=True)}
    result = sh(backend, workspace, "sleep 30", limits=Limits(wall_seconds=1))
    assert result.status == "timeout"
    assert result.exit_code is None
    assert result.duration_ms < 15000
    assert any(guard == "wall_time" for guard, _ in result.violations)
    # The container is gone, not merely stopped (other workers' containers may come and go).
    left = [
        c
        for c in client.api.containers(all=True)
        if c["Id"] not in before and "sleep 30" in c.get("Command", "")
    ]
    assert left == []


def test_versions(backend: DockerBackend) -> None:
    found = backend.versions()
    assert found["docker_image"] == IMAGE_ID
    assert found["docker_engine"] and found["docker_api"]


def test_both_streams_over_cap_finish(backend: DockerBackend, workspace: Path) -> None:
    script = "head -c 20000000 /dev/zero; head -c 20000000 /dev/zero >&2; echo done > end"
    result = sh(backend, workspace, script, limits=Limits(wall_seconds=60, output_bytes=100))
    assert result.status == "ok", result
    assert result.stdout_truncated and result.stderr_truncated
    assert (workspace / "end").read_text() == "done\n"


def test_allow_list_container_has_no_network_but_loopback(
    backend: DockerBackend, workspace: Path
) -> None:
    """With an allow-list the container keeps network_mode none: only the engine's hosts file
    (for the names) and the unprivileged-port sysctl change, and the forwarder starts it."""
    command = CommandSpec(
        ("true",), guards=Guards(network="allow", allow=(("api.example.com", 443),))
    )
    _, env, _, route = backend._plan(command)
    assert route is not None
    with EgressProxy(route.plan) as proxy:
        config = backend._container_config(
            backend.client().api,
            workspace,
            command,
            env,
            str(workspace),
            backend.resolve_image(),
            route,
            proxy,
        )
    host = config["host_config"]
    assert host["NetworkMode"] == "none"
    assert host["ExtraHosts"] == ["api.example.com:127.0.0.2"]
    assert host["Sysctls"] == {"net.ipv4.ip_unprivileged_port_start": "0"}
    assert host["CapDrop"] == ["ALL"]
    assert config["command"][:3] == [route.python, "-I", "-S"]
    assert config["command"][-2:] == ["--", "true"]
    seccomp = next(o for o in host["SecurityOpt"] if o.startswith("seccomp="))
    assert '"SCMP_CMP_GE"' in seccomp  # the allow-mode family rules, not the file's AF_UNIX-only
