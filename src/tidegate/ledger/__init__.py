"""The append-only ledger: signed entries, a Merkle tree, checkpoints, proofs and verification.

This module is the public surface; the submodules hold the implementation.
"""

from tidegate.ledger.entry import BlobRef, ParsedEntry, Subject, parse_entry
from tidegate.ledger.keys import SigningKey, generate_key, load_key
from tidegate.ledger.log import AppendedEntry, AppendRequest, Ledger, SignedCheckpoint
from tidegate.ledger.note import Checkpoint, NoteVerifier, open_checkpoint, parse_vkey
from tidegate.ledger.proof import (
    ConsistencyProofFile,
    InclusionProofFile,
    parse_consistency_proof,
    parse_inclusion_proof,
)
from tidegate.ledger.report import Failure, Finding
from tidegate.ledger.store import LedgerStore
from tidegate.ledger.trust import TrustedKey, TrustPolicy, load_trust
from tidegate.ledger.verify import VerifyReport, verify_ledger

__all__ = [
    "AppendRequest",
    "AppendedEntry",
    "BlobRef",
    "Checkpoint",
    "ConsistencyProofFile",
    "Failure",
    "Finding",
    "InclusionProofFile",
    "Ledger",
    "LedgerStore",
    "NoteVerifier",
    "ParsedEntry",
    "SignedCheckpoint",
    "SigningKey",
    "Subject",
    "TrustPolicy",
    "TrustedKey",
    "VerifyReport",
    "generate_key",
    "load_key",
    "load_trust",
    "open_checkpoint",
    "parse_consistency_proof",
    "parse_entry",
    "parse_inclusion_proof",
    "parse_vkey",
    "verify_ledger",
]
