"""The error every policy problem raises: an unreadable bundle or a failing engine."""

from __future__ import annotations

from tidegate.errors import TidegateError


class PolicyError(TidegateError):
    """A policy bundle cannot be loaded or an engine cannot evaluate it (names file:line)."""

    exit_code = 1
