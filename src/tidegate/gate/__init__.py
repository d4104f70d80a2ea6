"""The policy gate: check, why, approve, waive, and their reports."""
