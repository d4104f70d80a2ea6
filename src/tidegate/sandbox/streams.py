"""Command output as both backends keep it: each stream read to the end, capped, then a result."""

from __future__ import annotations

from tidegate.sandbox.backend import CommandResult, Limits


class CappedStream:
    """One output stream read to the end, of which at most ``cap`` bytes are kept."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.truncated = False

    def feed(self, chunk: bytes) -> None:
        """Keep what fits under the cap; note that the rest was dropped."""
        room = self.cap - len(self.data)
        if len(chunk) > room:
            self.truncated = True
            chunk = chunk[: max(room, 0)]
        self.data += chunk


def command_result(
    status: str,
    exit_code: int | None,
    duration_ms: float,
    out: CappedStream,
    err: CappedStream,
    limits: Limits,
    violations: list[tuple[str, str]],
) -> CommandResult:
    """Return the CommandResult of a finished command, with an output violation per capped stream."""
    for name, stream in (("stdout", out), ("stderr", err)):
        if stream.truncated:
            violations.append(("output", f"{name} over {limits.output_bytes} bytes: truncated"))
    return CommandResult(
        status=status,
        exit_code=exit_code,
        duration_ms=duration_ms,
        stdout=bytes(out.data),
        stderr=bytes(err.data),
        stdout_truncated=out.truncated,
        stderr_truncated=err.truncated,
        violations=violations,
    )
