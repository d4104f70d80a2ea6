"""Exit codes of a recorded decision: the one mapping `gate check` and its reports share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EXIT_PROCEED, EXIT_ERROR, EXIT_REVIEW, EXIT_DENY = 0, 1, 10, 20
EXIT_CODES: Mapping[str, int] = {
    "allow": EXIT_PROCEED,
    "canary": EXIT_PROCEED,
    "review": EXIT_REVIEW,
    "deny": EXIT_DENY,
}


def exit_code(record: Mapping[str, Any]) -> int:
    """0 proceed (allow, canary), 10 review required, 20 denied, 1 could not decide."""
    if record.get("error"):
        return EXIT_ERROR
    return EXIT_CODES[str(record["decision"]["action"])]
