"""Runs the build steps declared in deploy.toml."""

import logging
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


class BuildFailed(RuntimeError):
    def __init__(self, step: str, returncode: int, output: str) -> None:
        super().__init__(f"step {step!r} failed with exit code {returncode}")
        self.step = step
        self.returncode = returncode
        self.output = output


@dataclass
class Step:
    name: str
    command: str
    env: dict[str, str] = field(default_factory=dict)
    allow_failure: bool = False


class BuildRunner:
    def __init__(self, workdir: Path, steps: list[Step]) -> None:
        self.workdir = workdir
        self.steps = steps

    def _env(self, step: Step) -> dict[str, str]:
        env = dict(os.environ)
        env.update(step.env)
        env["BUILD_STEP"] = step.name
        return env

    def run_step(self, step: Step) -> str:
        log.info("running step %s: %s", step.name, step.command)
        result = subprocess.run(
            step.command,
            cwd=self.workdir,
            env=self._env(step),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 and not step.allow_failure:
            raise BuildFailed(step.name, result.returncode, result.stdout + result.stderr)
        return result.stdout

    def run(self) -> dict[str, str]:
        outputs = {}
        for step in self.steps:
            outputs[step.name] = self.run_step(step)
        return outputs
