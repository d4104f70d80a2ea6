"""The trust file: which public keys may sign entries and checkpoints, and when."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path

from tidegate._time import parse_time
from tidegate.errors import ConfigError, FormatError
from tidegate.ledger.keys import key_id
from tidegate.ledger.note import NoteVerifier, check_key_name
from tidegate.schemas import schema_errors


@dataclass(frozen=True)
class TrustedKey:
    """A public key and the window [valid_from, valid_until] in which it may sign entries."""

    public_key: bytes
    valid_from: str
    valid_until: str | None = None

    @property
    def keyid(self) -> str:
        """The key id derived from the public key."""
        return key_id(self.public_key)

    @cached_property
    def _window(self) -> tuple[datetime, datetime | None]:
        until = None if self.valid_until is None else parse_time(self.valid_until)
        return parse_time(self.valid_from), until

    def covers(self, moment: datetime) -> bool:
        """Return whether an entry stamped ``moment`` falls inside this key's window."""
        start, until = self._window
        return start <= moment and (until is None or moment <= until)


@dataclass(frozen=True)
class TrustPolicy:
    """The keys a verifier accepts for one log (``origin``)."""

    origin: str
    keys: tuple[TrustedKey, ...]
    windows_enforced: bool = True

    @cached_property
    def _by_id(self) -> dict[str, TrustedKey]:
        return {k.keyid: k for k in self.keys}

    def key(self, keyid: str) -> TrustedKey | None:
        """Return the trusted key with this id, if any."""
        return self._by_id.get(keyid)

    def note_verifiers(self) -> list[NoteVerifier]:
        """Return note verifiers (key name = origin) for checking checkpoints."""
        return [NoteVerifier(self.origin, k.public_key) for k in self.keys]

    def with_key(self, key: TrustedKey) -> TrustPolicy:
        """Return a policy with ``key`` added (or its window replaced if already present)."""
        others = tuple(k for k in self.keys if k.keyid != key.keyid)
        return replace(self, keys=(*others, key))

    def to_json(self) -> str:
        """Serialize as the trust file (schemas/trust.schema.json)."""
        document = {
            "version": 1,
            "origin": self.origin,
            "keys": [
                {
                    "keyid": k.keyid,
                    "algorithm": "ed25519",
                    "public_key": base64.b64encode(k.public_key).decode(),
                    "valid_from": k.valid_from,
                    "valid_until": k.valid_until,
                    "note_verifier": NoteVerifier(self.origin, k.public_key).vkey(),
                }
                for k in self.keys
            ],
        }
        return json.dumps(document, indent=2) + "\n"


def parse_trust(text: str, *, source: str) -> TrustPolicy:
    """Parse and validate a trust file; errors name the file and the JSON path at fault."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"trust file {source}: invalid JSON at line {exc.lineno}: {exc.msg}"
        ) from exc
    errors = schema_errors(document, "trust")
    if errors:
        raise ConfigError(f"trust file {source} is invalid: {'; '.join(errors)}")
    try:
        check_key_name(document["origin"])
    except FormatError as exc:
        raise ConfigError(f"trust file {source}: $.origin: {exc.message}") from exc
    keys: list[TrustedKey] = []
    for index, item in enumerate(document["keys"]):
        public_key = base64.b64decode(item["public_key"])
        trusted = TrustedKey(public_key, item["valid_from"], item.get("valid_until"))
        if trusted.keyid != item["keyid"]:
            raise ConfigError(
                f"trust file {source}: $.keys[{index}].keyid does not match its public key"
            )
        try:
            parse_time(trusted.valid_from)
            if trusted.valid_until is not None:
                parse_time(trusted.valid_until)
        except ValueError as exc:
            raise ConfigError(f"trust file {source}: $.keys[{index}]: {exc}") from exc
        keys.append(trusted)
    return TrustPolicy(document["origin"], tuple(keys))


def load_trust(path: Path) -> TrustPolicy:
    """Read the trust file at ``path``."""
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise ConfigError(f"trust file {path} does not exist", hint="run `tidegate init`") from exc
    return parse_trust(text, source=str(path))


def save_trust(policy: TrustPolicy, path: Path) -> None:
    """Write the trust file atomically (write, fsync, rename)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w") as handle:
        handle.write(policy.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
