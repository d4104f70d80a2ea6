"""`tidegate doctor`: which sandbox backends and guards work on this machine (thin command)."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from typing import Annotated

import typer

from tidegate.cli._console import emit, say


class DoctorFormat(StrEnum):
    """Output formats of `tidegate doctor`."""

    text = "text"
    json = "json"


def doctor(
    image: Annotated[
        str | None,
        typer.Option(
            "--image",
            help="Docker image to probe (NAME@sha256:...) [default: $TIDEGATE_DOCKER_IMAGE].",
        ),
    ] = None,
    output_format: Annotated[
        DoctorFormat, typer.Option("--format", help="text or json.")
    ] = DoctorFormat.text,
) -> None:
    """Probe each sandbox backend and guard for real (namespaces, seccomp, clock, cgroups, engine).

    Every check runs something: a bwrap sandbox, a faked `date`, a seccomp filter loaded by
    bwrap, cgroup directories, the docker engine and a container of the image. Exit 0 when at
    least one backend has every guard working, 1 when none has.
    """
    from tidegate.sandbox.doctor import doctor_report, render, to_json, usable_backends

    rows = doctor_report(image or os.environ.get("TIDEGATE_DOCKER_IMAGE"))
    usable = usable_backends(rows)
    if output_format is DoctorFormat.json:
        emit(json.dumps(to_json(rows), indent=2))
    else:
        emit(render(rows))
    say(f"usable backends: {', '.join(usable)}" if usable else "no backend has every guard working")
    if not usable:
        raise typer.Exit(1)
