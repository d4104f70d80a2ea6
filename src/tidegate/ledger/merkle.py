"""RFC 6962 / RFC 9162 Merkle tree math: hashing, proof planning, proof verification.

Pure functions, no I/O. Trees are addressed by *nodes*: ``(level, index)`` names the perfect
subtree covering leaves ``[index * 2**level, (index + 1) * 2**level)``. A store keeps every
perfect node it has ever completed; proofs and roots at any size are computed from at most
O(log n) of them. What to fetch (``*_plan``) is computed separately from fetching it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeId = tuple[int, int]
"""A perfect subtree: (level, index); level 0 nodes are leaves."""

Span = tuple[int, int]
"""A half-open range of leaves [begin, end) whose RFC 6962 MTH is one proof element."""


class ProofError(ValueError):
    """A proof does not verify; the message says which check failed."""


def hash_leaf(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash SHA-256(0x00 || data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior hash SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(size: int) -> int:
    """Return the largest power of two strictly below ``size`` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def node_id_key(node: NodeId) -> int:
    """Pack a node id into one integer (level in the top bits) for storage as a key."""
    level, index = node
    return (level << 56) | index


def span_nodes(begin: int, end: int) -> list[NodeId]:
    """Decompose leaves [begin, end) into aligned perfect subtrees, left to right.

    For the spans that RFC 6962's recursion produces (and for any [0, n)), the hash of the
    span is the right fold of these nodes' hashes (see ``fold_nodes``).
    """
    nodes: list[NodeId] = []
    while begin < end:
        level = (begin & -begin).bit_length() - 1 if begin else 63
        while (1 << level) > end - begin:
            level -= 1
        nodes.append((level, begin >> level))
        begin += 1 << level
    return nodes


def fold_nodes(hashes: Sequence[bytes]) -> bytes:
    """Combine the hashes of a span's nodes (left to right) into the span's MTH."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for node_hash in reversed(hashes[:-1]):
        acc = hash_children(node_hash, acc)
    return acc


def inclusion_plan(index: int, size: int) -> list[Span]:
    """Return the spans whose hashes form the inclusion proof of ``index`` in a tree of ``size``.

    Ordered as RFC 6962 PATH: the leaf's sibling first, the root's child last.
    """
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    spans: list[Span] = []
    begin, end = 0, size
    while end - begin > 1:
        k = split_point(end - begin)
        if index - begin < k:
            spans.append((begin + k, end))
            end = begin + k
        else:
            spans.append((begin, begin + k))
            begin += k
    spans.reverse()
    return spans


def consistency_plan(old_size: int, new_size: int) -> list[Span]:
    """Return the spans whose hashes form the RFC 6962 consistency proof old_size -> new_size."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"cannot prove consistency from size {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    spans: list[Span] = []
    begin, end, complete = 0, new_size, True
    while True:
        size, m = end - begin, old_size - begin
        if m == size:
            if not complete:
                spans.append((begin, end))
            break
        k = split_point(size)
        if m <= k:
            spans.append((begin + k, end))
            end = begin + k
        else:
            spans.append((begin, begin + k))
            begin += k
            complete = False
    spans.reverse()
    return spans


def nodes_for_spans(spans: Iterable[Span]) -> list[NodeId]:
    """Return the distinct stored nodes needed to hash every span, in a stable order."""
    seen: dict[NodeId, None] = {}
    for begin, end in spans:
        for node in span_nodes(begin, end):
            seen.setdefault(node, None)
    return list(seen)


def hash_spans(spans: Sequence[Span], nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """Hash each span from fetched node hashes; raises KeyError naming a missing node."""
    return [fold_nodes([nodes[n] for n in span_nodes(b, e)]) for b, e in spans]


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an inclusion proof (RFC 9162 section 2.1.3.2); raise ProofError if it fails."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = hash_children(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofError("inclusion proof leads to a different root hash")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check a consistency proof (RFC 9162 section 2.1.4.2); raise ProofError if it fails."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"tree size went from {old_size} to {new_size}: a log never shrinks")
    if old_size == new_size:
        if proof:
            raise ProofError("a consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError(f"two different root hashes for the same size {old_size}")
        return
    if old_size == 0:
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than expected")
        if fn & 1 or fn == sn:
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than expected")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root hash")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root hash")


@dataclass
class CompactRange:
    """The right edge of a tree: the perfect subtrees of its size, enough to append and to root.

    ``append`` returns every perfect node it completes, so a store can keep them for proofs.
    """

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    @classmethod
    def from_nodes(
        cls, size: int, fetch: Callable[[Sequence[NodeId]], Mapping[NodeId, bytes]]
    ) -> CompactRange:
        """Rebuild the range of a tree of ``size`` from its stored frontier nodes."""
        frontier = span_nodes(0, size)
        found = fetch(frontier)
        missing = [n for n in frontier if n not in found]
        if missing:
            raise KeyError(f"tree nodes missing for size {size}: {missing}")
        return cls(size, [found[n] for n in frontier])

    def frontier(self) -> list[NodeId]:
        """Return the node ids of the perfect subtrees held, left to right."""
        return span_nodes(0, self.size)

    def append(self, leaf_hash: bytes) -> list[tuple[NodeId, bytes]]:
        """Add one leaf; return the nodes it completed (the leaf itself first)."""
        index = self.size
        created: list[tuple[NodeId, bytes]] = [((0, index), leaf_hash)]
        self.hashes.append(leaf_hash)
        level = 0
        while index & 1:
            right = self.hashes.pop()
            left = self.hashes.pop()
            parent = hash_children(left, right)
            self.hashes.append(parent)
            level += 1
            index >>= 1
            created.append(((level, index), parent))
        self.size += 1
        return created

    def root(self) -> bytes:
        """Return the root hash of the tree of ``size`` leaves."""
        return fold_nodes(self.hashes)

    def copy(self) -> CompactRange:
        """Return an independent copy (appends to it leave this one unchanged)."""
        return CompactRange(self.size, list(self.hashes))
