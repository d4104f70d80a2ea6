"""Sandboxed, deterministic, traced runs of tasks (the task spec is built; backends are next)."""
