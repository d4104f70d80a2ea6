"""Loads the service configuration from TOML with environment overrides."""

import logging
import os
import signal
import tomllib
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ENV_PREFIX = "SVC_"

_current: dict[str, Any] = {}


def _coerce(value: str) -> Any:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if value.isdigit():
        return int(value)
    return value


def apply_env(config: dict[str, Any], environ: dict[str, str]) -> dict[str, Any]:
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        section, _, name = key[len(ENV_PREFIX):].lower().partition("__")
        config.setdefault(section, {})[name] = _coerce(value)
    return config


def load_config(path: Path) -> dict[str, Any]:
    text = Path(path).read_text(encoding="utf-8")
    config = tomllib.loads(text)
    return apply_env(config, dict(os.environ))


def _on_sighup(signum: int, _frame: Any) -> None:
    log.info("SIGHUP received (signal %d), reloading configuration", signum)
    _current.update(load_config(os.environ.get("SVC_CONFIG", "service.toml")))


def install_reload_handler() -> None:
    signal.signal(signal.SIGHUP, _on_sighup)
