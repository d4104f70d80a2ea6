"""Settings: `.tidegate/config.toml` found upward from the working directory, then TIDEGATE_*.

Precedence: command-line flags > environment variables > config.toml > built-in defaults.
"""

from __future__ import annotations

import getpass
import os
import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tidegate.errors import ConfigError

HOME_DIR_NAME = ".tidegate"
CONFIG_FILE = "config.toml"
DEFAULT_LEDGER_URL = "sqlite:///ledger.db"
DEFAULT_TRUST_FILE = "trust.json"

ENV_DIR = "TIDEGATE_DIR"
"""Path of the `.tidegate` directory to use instead of searching upward."""
ENV_LEDGER_URL = "TIDEGATE_LEDGER_URL"
"""Ledger database URL (sqlite:///PATH or postgresql+psycopg://...)."""
ENV_KEY = "TIDEGATE_KEY"
"""Path of the Ed25519 signing key file."""
ENV_ACTOR = "TIDEGATE_ACTOR"
"""Identity recorded as the actor of new entries."""
MAX_RETENTION_DAYS = 1_000_000


@dataclass(frozen=True)
class Settings:
    """Resolved settings of one tidegate home."""

    home: Path
    ledger_url: str
    key_path: Path
    trust_path: Path
    actor: str


def default_actor() -> str:
    """Return ``user@host`` for the current process, the actor when none is configured."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def find_home(start: Path) -> Path | None:
    """Return the nearest `.tidegate` directory at or above ``start``."""
    for directory in (start, *start.parents):
        candidate = directory / HOME_DIR_NAME
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    return None


def resolve_ledger_url(url: str, home: Path) -> str:
    """Resolve a relative SQLite path in ``url`` against the tidegate home."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        return prefix + str(home / url[len(prefix) :])
    return url


def _read_config(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from exc


def _string(config: dict[str, Any], section: str, key: str, path: Path) -> str | None:
    table = config.get(section, {})
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path}: [{section}] must be a table")
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"config file {path}: {section}.{key} must be a string")
    return value


def load_settings(
    explicit_home: Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Find the tidegate home and resolve every setting; raise ConfigError if there is none."""
    env = dict(os.environ) if environ is None else environ
    home = (
        explicit_home or (Path(env[ENV_DIR]) if env.get(ENV_DIR) else None) or find_home(Path.cwd())
    )
    if home is None:
        raise ConfigError(
            f"no {HOME_DIR_NAME}/{CONFIG_FILE} in {Path.cwd()} or any parent directory",
            hint=f"run `tidegate init` here, or set {ENV_DIR}",
        )
    config_path = home / CONFIG_FILE
    if not config_path.is_file():
        raise ConfigError(f"{config_path} does not exist", hint="run `tidegate init`")
    config = _read_config(config_path)
    url = (
        env.get(ENV_LEDGER_URL)
        or _string(config, "ledger", "url", config_path)
        or DEFAULT_LEDGER_URL
    )
    key = env.get(ENV_KEY) or _string(config, "signing", "key", config_path)
    if not key:
        raise ConfigError(
            f"config file {config_path}: signing.key is not set", hint=f"set it or {ENV_KEY}"
        )
    trust = _string(config, "trust", "file", config_path) or DEFAULT_TRUST_FILE
    actor = env.get(ENV_ACTOR) or _string(config, "actor", "id", config_path) or default_actor()
    return Settings(
        home=home,
        ledger_url=resolve_ledger_url(url, home),
        key_path=home / key,
        trust_path=home / trust,
        actor=actor,
    )


@dataclass(frozen=True)
class RetentionSettings:
    """How many days blob contents are kept: per entry kind, else the default (None: forever)."""

    default_days: int | None = None
    kinds: Mapping[str, int] = field(default_factory=dict)

    def days_for(self, kind: str) -> int | None:
        """Return the retention period of ``kind`` in days, or None if its blobs are kept forever."""
        return self.kinds.get(kind, self.default_days)

    def as_json(self) -> dict[str, Any]:
        """Return the policy as a JSON object (recorded in purge notes)."""
        return {"default_days": self.default_days, "kinds": dict(sorted(self.kinds.items()))}


def _days(value: object, where: str, path: Path) -> int:
    if type(value) is not int or not 0 <= value <= MAX_RETENTION_DAYS:
        raise ConfigError(
            f"config file {path}: {where} must be a whole number of days, 0 to {MAX_RETENTION_DAYS}"
        )
    return value


def load_retention(home: Path) -> RetentionSettings:
    """Read the ``[retention]`` table of ``home``'s config.toml; absent, every blob is kept."""
    path = home / CONFIG_FILE
    table = _read_config(path).get("retention", {})
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path}: [retention] must be a table")
    unknown = sorted(set(table) - {"default_days", "kinds"})
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown key(s) in [retention]: {', '.join(unknown)}",
            hint="[retention] takes default_days and a [retention.kinds] table",
        )
    kinds = table.get("kinds", {})
    if not isinstance(kinds, dict):
        raise ConfigError(f"config file {path}: [retention.kinds] must be a table")
    default = table.get("default_days")
    return RetentionSettings(
        None if default is None else _days(default, "retention.default_days", path),
        {str(k): _days(v, f"retention.kinds.{k}", path) for k, v in kinds.items()},
    )


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def write_config(home: Path, *, ledger_url: str, key: str, trust: str, actor: str | None) -> Path:
    """Write config.toml (atomically) with the given values."""
    lines = [
        "# tidegate configuration. TIDEGATE_* environment variables override these values;",
        "# relative paths are relative to this directory.",
        "",
        "[ledger]",
        f"url = {_quote(ledger_url)}",
        "",
        "[signing]",
        f"key = {_quote(key)}",
        "",
        "[trust]",
        f"file = {_quote(trust)}",
    ]
    if actor:
        lines += ["", "[actor]", f"id = {_quote(actor)}"]
    path = home / CONFIG_FILE
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return path


def set_signing_key(home: Path, key: str) -> Path:
    """Point config.toml's signing.key at ``key``, keeping every other line as it is."""
    path = home / CONFIG_FILE
    lines = path.read_text().splitlines()
    table, replaced = "", False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            table = stripped.strip("[]").strip()
        elif table == "signing" and stripped.split("=", 1)[0].strip() == "key":
            lines[index] = f"key = {_quote(key)}"
            replaced = True
    if not replaced:
        lines += ["", "[signing]", f"key = {_quote(key)}"]
    text = "\n".join(lines) + "\n"
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: cannot update signing.key: {exc}") from exc
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path
