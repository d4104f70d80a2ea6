"""The tidegate error hierarchy; the CLI maps these to exit codes in one place.

TidegateError                 root: every failure tidegate reports on purpose
├── UsageError                the request itself is wrong (exit 2)
├── ConfigError               .tidegate/ or TIDEGATE_* settings are missing or invalid
├── KeyFileError              a signing or public key is missing, unreadable or too open
└── LedgerError               the ledger store, an entry or a proof cannot be used
    ├── EntryRejected         an append was refused; nothing was written (exit 2)
    ├── FormatError           a checkpoint, note, proof or entry does not parse
    └── StoreError            the database failed or is not a tidegate ledger
"""

from __future__ import annotations


class TidegateError(Exception):
    """Root of every error tidegate raises on purpose; carries the user's next step."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """Return the one-line message plus, when known, what the user should do next."""
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class UsageError(TidegateError):
    """The command line or request is invalid; nothing was attempted."""

    exit_code = 2


class ConfigError(TidegateError):
    """Configuration is missing or invalid."""


class KeyFileError(TidegateError):
    """A key file is missing, malformed or has permissions that expose it."""


class LedgerError(TidegateError):
    """The ledger cannot be read, written or proven."""


class EntryRejected(LedgerError):
    """An append was refused before anything was written (the request was invalid)."""

    exit_code = 2


class FormatError(LedgerError):
    """A serialized ledger artefact (entry, note, checkpoint, proof) is malformed."""


class StoreError(LedgerError):
    """The backing database failed or does not hold a tidegate ledger."""
