"""`tidegate doctor` probes this machine for real: what it reports must match what runs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tidegate.cli import run
from tidegate.sandbox import doctor
from tidegate.sandbox.backend import CommandSpec, Guards, Limits
from tidegate.sandbox.bwrap import BwrapBackend


def doctor_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    capsys.readouterr()
    code = run(["doctor", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_doctor_reports_every_bwrap_guard(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIDEGATE_DOCKER_IMAGE", raising=False)
    code, report = doctor_json(capsys)
    checks = report["checks"]
    assert isinstance(checks, list)
    bwrap = {c["guard"]: c for c in checks if c["backend"] == "bwrap"}
    assert set(bwrap) == {
        "namespaces",
        "clock",
        "seccomp",
        "memory",
        "processes",
        "network",
        "allow-list",
    }
    assert {c["backend"] for c in checks} >= {"bwrap", "docker"}
    if os.environ.get("TIDEGATE_REQUIRE_BWRAP") == "1":
        assert "bwrap" in report["backends"], bwrap
        # A real round trip through the egress proxy, with another host port staying shut.
        assert bwrap["allow-list"]["ok"], bwrap["allow-list"]
        assert "another stayed shut" in bwrap["allow-list"]["detail"]
    assert code == (0 if report["backends"] else 1)


def test_doctor_agrees_with_the_backend(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """When doctor says bwrap works, a guarded command really runs; when not, it is refused."""
    if shutil.which("bwrap") is None:
        pytest.skip("bwrap is not installed")
    rows = doctor.doctor_report()
    usable = "bwrap" in doctor.usable_backends(rows)
    command = CommandSpec(
        ("sh", "-c", "date +%s"),
        limits=Limits(wall_seconds=10, memory_mb=64, processes=32),
        guards=Guards(clock="frozen", epoch=1767225600, seed=3),
    )
    if not usable:
        if os.environ.get("TIDEGATE_REQUIRE_BWRAP") == "1":
            pytest.fail(f"TIDEGATE_REQUIRE_BWRAP=1 but doctor says: {rows}", pytrace=False)
        pytest.skip("doctor says bwrap is not fully usable here")
    result = BwrapBackend().run(tmp_path, command)
    assert result.status == "ok", result.stderr
    assert result.stdout.strip() == b"1767225600"


def test_doctor_names_the_missing_docker_image(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIDEGATE_DOCKER_IMAGE", raising=False)
    _, report = doctor_json(capsys)
    docker = [c for c in report["checks"] if c["backend"] == "docker"]  # type: ignore[union-attr]
    assert docker
    if os.environ.get("TIDEGATE_REQUIRE_DOCKER") == "1":
        assert docker[0]["guard"] == "engine" and docker[0]["ok"], docker[0]
    if docker[0]["ok"]:  # the engine answers: the image is what is missing
        assert any(c["guard"] == "image" and "--image" in c["detail"] for c in docker)
        assert "docker" not in report["backends"]


def test_render_aligns_columns() -> None:
    rows = [
        doctor.DoctorRow("bwrap", "clock", True, "fine"),
        doctor.DoctorRow("docker", "engine", False, "not reachable"),
    ]
    lines = doctor.render(rows).splitlines()
    assert lines[0].index("clock") == lines[1].index("engine")
    assert "NO" in lines[1]
    assert doctor.usable_backends(rows) == ["bwrap"]


def test_allow_list_row_does_not_decide_usability() -> None:
    """Only tasks with network allow need the forwarder: its failure is reported, not fatal."""
    rows = [
        doctor.DoctorRow("bwrap", "namespaces", True, "fine"),
        doctor.DoctorRow("bwrap", "allow-list", False, "no python3 inside"),
        doctor.DoctorRow("docker", "engine", True, "fine"),
        doctor.DoctorRow("docker", "run", False, "failed"),
    ]
    assert doctor.usable_backends(rows) == ["bwrap"]


def test_doctor_runs_a_container_of_the_image(capsys: pytest.CaptureFixture[str]) -> None:
    image = os.environ.get("TIDEGATE_DOCKER_IMAGE")
    if not image:
        if os.environ.get("TIDEGATE_REQUIRE_DOCKER") == "1":
            pytest.fail(
                "TIDEGATE_REQUIRE_DOCKER=1 but TIDEGATE_DOCKER_IMAGE is unset", pytrace=False
            )
        pytest.skip("no docker image: run under scripts/with-docker.sh")
    code, report = doctor_json(capsys, "--image", image)
    docker = {c["guard"]: c for c in report["checks"] if c["backend"] == "docker"}  # type: ignore[union-attr]
    assert docker["run"]["ok"], docker["run"]
    assert docker["clock"]["ok"] and docker["seccomp"]["ok"] and docker["image"]["ok"]
    assert docker["allow-list"]["ok"], docker["allow-list"]
    assert "docker" in report["backends"] and code == 0
    # A tag is not a pin: the same image named by tag makes docker unusable, with the reason.
    code, report = doctor_json(capsys, "--image", "tidegate-sandbox:base")
    refused = [c for c in report["checks"] if c["backend"] == "docker" and not c["ok"]]  # type: ignore[union-attr]
    assert refused and refused[0]["guard"] == "image" and "digest" in refused[0]["detail"]
    assert "docker" not in report["backends"]
