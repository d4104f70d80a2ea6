"""Loads application settings from a JSON file with defaults."""

import json
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PORT = 8080

DEFAULTS: dict[str, Any] = {
    "port": DEFAULT_PORT,
    "debug": False,
    "database": {"url": "sqlite:///app.db", "pool_size": 5},
    "features": [],
}


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = value
    return result


def load_settings(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    overlay = path.with_suffix(".yaml")
    if overlay.exists():
        with overlay.open(encoding="utf-8") as fh:
            data.update(yaml.load(fh, Loader=yaml.Loader))
    return merge(DEFAULTS, data)


def validate(settings: dict[str, Any]) -> list[str]:
    problems = []
    if not 0 < settings["port"] < 65536:
        problems.append(f"invalid port {settings['port']}")
    if settings["database"]["pool_size"] < 1:
        problems.append("database.pool_size must be at least 1")
    return problems
