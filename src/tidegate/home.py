"""The `.tidegate` home: create it, open its ledger, rotate its signing key."""

from __future__ import annotations

import base64
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tidegate._time import utc_now
from tidegate.config import (
    DEFAULT_LEDGER_URL,
    DEFAULT_TRUST_FILE,
    HOME_DIR_NAME,
    Settings,
    resolve_ledger_url,
    set_signing_key,
    write_config,
)
from tidegate.errors import ConfigError, StoreError, TidegateError
from tidegate.ledger.keys import generate_key, load_key, load_public_key, write_key
from tidegate.ledger.kinds import KEY_ROTATED
from tidegate.ledger.log import AppendedEntry, AppendRequest, Ledger
from tidegate.ledger.note import check_key_name
from tidegate.ledger.store import LedgerStore
from tidegate.ledger.trust import TrustedKey, TrustPolicy, load_trust, save_trust


@dataclass(frozen=True)
class InitResult:
    """What `tidegate init` created."""

    home: Path
    origin: str
    keyid: str
    key_path: Path
    ledger_url: str


def default_origin() -> str:
    """Return a fresh, unique checkpoint origin for a new ledger."""
    return f"tidegate.local/ledger-{secrets.token_hex(6)}"


def init_home(
    directory: Path, *, origin: str | None = None, ledger_url: str | None = None
) -> InitResult:
    """Create ``directory/.tidegate`` with config, a 0600 signing key, trust file and ledger.

    MUST refuse an existing home or ledger, and MUST leave nothing behind when it fails.
    """
    home = directory / HOME_DIR_NAME
    if home.exists():
        raise ConfigError(
            f"{home} already exists; refusing to overwrite it", hint="use the existing ledger"
        )
    origin = check_key_name(origin or default_origin())
    url_setting = ledger_url or DEFAULT_LEDGER_URL
    home.mkdir(mode=0o700, parents=True)
    try:
        key = generate_key()
        key_rel = f"keys/{key.keyid}.pem"
        write_key(key, home / key_rel)
        (home / "keys").chmod(0o700)
        now = utc_now()
        save_trust(
            TrustPolicy(origin, (TrustedKey(key.public_key, now),)), home / DEFAULT_TRUST_FILE
        )
        url = resolve_ledger_url(url_setting, home)
        store = LedgerStore(url)
        try:
            store.create(origin, now)
        finally:
            store.close()
        write_config(
            home, ledger_url=url_setting, key=key_rel, trust=DEFAULT_TRUST_FILE, actor=None
        )
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)
        raise
    return InitResult(home, origin, key.keyid, home / key_rel, url)


def open_store(settings: Settings) -> LedgerStore:
    """Open the configured ledger database; a missing SQLite file is an error, not created."""
    prefix = "sqlite:///"
    if settings.ledger_url.startswith(prefix):
        path = Path(settings.ledger_url[len(prefix) :])
        if not path.is_file():
            raise StoreError(f"ledger database {path} does not exist", hint="run `tidegate init`")
    return LedgerStore(settings.ledger_url)


def open_ledger(settings: Settings, *, writable: bool) -> Ledger:
    """Open the ledger; with ``writable`` the signing key is loaded (and checked) first."""
    signer = load_key(settings.key_path) if writable else None
    store = open_store(settings)
    try:
        origin = store.meta()["origin"]
    except TidegateError:
        store.close()
        raise
    return Ledger(store, origin=origin, signer=signer, actor=settings.actor)


def verification_trust(
    store: LedgerStore, public_keys: Sequence[tuple[str, bytes]], trust_path: Path
) -> TrustPolicy:
    """Return the trust policy for `ledger verify`.

    Given public keys (source, PEM or note verifier key bytes), only they are trusted and key
    windows are not enforced: the auditor's check with nothing but a public key. Otherwise the
    trust file is used.
    """
    if not public_keys:
        return load_trust(trust_path)
    origin = store.meta()["origin"]
    keys = [
        TrustedKey(load_public_key(data, source=source, note_name=origin).public_key, "")
        for source, data in public_keys
    ]
    return TrustPolicy(origin, tuple(keys), windows_enforced=False)


@dataclass(frozen=True)
class RotationResult:
    """What `tidegate keys rotate` did."""

    old_keyid: str
    new_keyid: str
    new_key_path: Path
    entry: AppendedEntry


def rotate_key(settings: Settings, *, reason: str | None = None) -> RotationResult:
    """Replace the signing key: a `key.rotated` entry signed by both keys, then the trust file.

    The new key is trusted before the entry is written and the old key's window is closed
    at the entry's time after it, so a crash in between never leaves a ledger that fails
    to verify.
    """
    old = load_key(settings.key_path)
    trust = load_trust(settings.trust_path)
    if trust.key(old.keyid) is None:
        raise ConfigError(
            f"the signing key {old.keyid} is not in the trust file {settings.trust_path}"
        )
    new = generate_key()
    new_rel = f"keys/{new.keyid}.pem"
    new_path = settings.home / new_rel
    write_key(new, new_path)
    trust = trust.with_key(TrustedKey(new.public_key, utc_now()))
    save_trust(trust, settings.trust_path)
    ledger = open_ledger(settings, writable=True)
    try:
        body: dict[str, str] = {
            "old_keyid": old.keyid,
            "new_keyid": new.keyid,
            "new_public_key": base64.b64encode(new.public_key).decode(),
        }
        if reason:
            body["reason"] = reason
        entry = ledger.append(AppendRequest(KEY_ROTATED, body, co_signers=[new]))
    finally:
        ledger.store.close()
    previous = trust.key(old.keyid)
    assert previous is not None
    trust = trust.with_key(TrustedKey(old.public_key, previous.valid_from, entry.time))
    save_trust(trust, settings.trust_path)
    set_signing_key(settings.home, new_rel)
    return RotationResult(old.keyid, new.keyid, new_path, entry)
