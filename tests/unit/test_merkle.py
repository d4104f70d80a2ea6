"""Merkle math against a naive RFC 6962 reference, known vectors, and hostile proofs."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidegate.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    consistency_plan,
    hash_children,
    hash_leaf,
    hash_spans,
    inclusion_plan,
    node_id_key,
    nodes_for_spans,
    span_nodes,
    verify_consistency,
    verify_inclusion,
)

# RFC 6962 reference vectors (as used by certificate-transparency and transparency-dev/merkle).
VECTOR_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
VECTOR_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
VECTOR_INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 3): [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    ],
    (1, 5): [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}
VECTOR_CONSISTENCY = {
    (1, 1): [],
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


# --- A deliberately naive reference: RFC 6962 section 2.1, recursion on lists. ---


def naive_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hash_children(naive_root(leaves[:k]), naive_root(leaves[k:]))


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_root(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_root(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [naive_root(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*naive_subproof(m, leaves[:k], complete), naive_root(leaves[k:])]
    return [*naive_subproof(m - k, leaves[k:], False), naive_root(leaves[:k])]


def naive_consistency(m: int, leaves: list[bytes]) -> list[bytes]:
    if m in (0, len(leaves)):
        return []
    return naive_subproof(m, leaves, True)


def build(size: int) -> tuple[list[bytes], dict[tuple[int, int], bytes]]:
    """Leaf hashes of ``size`` distinct leaves, and every perfect node a store would keep."""
    tree = CompactRange()
    nodes: dict[tuple[int, int], bytes] = {}
    leaves = []
    for i in range(size):
        leaf = hash_leaf(i.to_bytes(8, "big"))
        leaves.append(leaf)
        nodes.update(tree.append(leaf))
    return leaves, nodes


def proof_from_store(
    spans: list[tuple[int, int]], nodes: dict[tuple[int, int], bytes]
) -> list[bytes]:
    return hash_spans(spans, {n: nodes[n] for n in nodes_for_spans(spans)})


def test_rfc6962_vectors_roots_and_proofs() -> None:
    leaves = [hash_leaf(d) for d in VECTOR_LEAVES]
    tree = CompactRange()
    nodes: dict[tuple[int, int], bytes] = {}
    for i, leaf in enumerate(leaves):
        nodes.update(tree.append(leaf))
        assert tree.root().hex() == VECTOR_ROOTS[i]
    for (index, size), expected in VECTOR_INCLUSION.items():
        proof = proof_from_store(inclusion_plan(index, size), nodes)
        assert [p.hex() for p in proof] == expected
        verify_inclusion(leaves[index], index, size, proof, bytes.fromhex(VECTOR_ROOTS[size - 1]))
    for (old, new), expected in VECTOR_CONSISTENCY.items():
        proof = proof_from_store(consistency_plan(old, new), nodes)
        assert [p.hex() for p in proof] == expected
        verify_consistency(
            old,
            new,
            bytes.fromhex(VECTOR_ROOTS[old - 1]),
            bytes.fromhex(VECTOR_ROOTS[new - 1]),
            proof,
        )


def test_empty_tree_root_is_hash_of_nothing() -> None:
    assert CompactRange().root() == EMPTY_ROOT == hashlib.sha256(b"").digest()


@settings(max_examples=300, deadline=None)
@given(size=st.integers(min_value=1, max_value=300), data=st.data())
def test_inclusion_matches_naive_and_verifies(size: int, data: st.DataObject) -> None:
    leaves, nodes = build(size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    root = naive_root(leaves)
    proof = proof_from_store(inclusion_plan(index, size), nodes)
    assert proof == naive_path(index, leaves)
    assert hash_spans([(0, size)], nodes)[0] == root
    verify_inclusion(leaves[index], index, size, proof, root)


@settings(max_examples=300, deadline=None)
@given(new=st.integers(min_value=1, max_value=300), data=st.data())
def test_consistency_matches_naive_and_verifies(new: int, data: st.DataObject) -> None:
    leaves, nodes = build(new)
    old = data.draw(st.integers(min_value=0, max_value=new))
    proof = proof_from_store(consistency_plan(old, new), nodes)
    assert proof == naive_consistency(old, leaves)
    verify_consistency(old, new, naive_root(leaves[:old]), naive_root(leaves), proof)


@settings(max_examples=200, deadline=None)
@given(size=st.integers(min_value=2, max_value=200), data=st.data())
def test_tampered_inclusion_proofs_fail(size: int, data: st.DataObject) -> None:
    leaves, nodes = build(size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    root = naive_root(leaves)
    proof = proof_from_store(inclusion_plan(index, size), nodes)
    with pytest.raises(ProofError):
        verify_inclusion(hash_leaf(b"forged"), index, size, proof, root)
    other = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index))
    with pytest.raises(ProofError):
        verify_inclusion(leaves[index], other, size, proof, root)
    if proof:
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bad = list(proof)
        bad[position] = bytes(b ^ 1 for b in bad[position])
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, size, bad, root)
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, size, proof[:-1], root)
    with pytest.raises(ProofError):
        verify_inclusion(leaves[index], index, size, [*proof, root], root)


@settings(max_examples=200, deadline=None)
@given(new=st.integers(min_value=2, max_value=200), data=st.data())
def test_tampered_consistency_proofs_fail(new: int, data: st.DataObject) -> None:
    leaves, nodes = build(new)
    old = data.draw(st.integers(min_value=1, max_value=new - 1))
    proof = proof_from_store(consistency_plan(old, new), nodes)
    old_root, new_root = naive_root(leaves[:old]), naive_root(leaves)
    forked = [*leaves[: old - 1], hash_leaf(b"rewritten"), *leaves[old:]]
    with pytest.raises(ProofError):
        verify_consistency(old, new, naive_root(forked[:old]), new_root, proof)
    with pytest.raises(ProofError):
        verify_consistency(old, new, old_root, naive_root(forked), proof)
    position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    bad = list(proof)
    bad[position] = bytes(b ^ 0x80 for b in bad[position])
    with pytest.raises(ProofError):
        verify_consistency(old, new, old_root, new_root, bad)
    with pytest.raises(ProofError):
        verify_consistency(new, old, new_root, old_root, proof)


def test_consistency_edge_cases() -> None:
    root = hash_leaf(b"x")
    verify_consistency(3, 3, root, root, [])
    verify_consistency(0, 5, EMPTY_ROOT, root, [])
    with pytest.raises(ProofError):
        verify_consistency(3, 3, root, hash_leaf(b"y"), [])
    with pytest.raises(ProofError):
        verify_consistency(2, 3, root, root, [])
    with pytest.raises(ProofError):
        verify_consistency(0, 3, EMPTY_ROOT, root, [root])


def test_plans_reject_impossible_ranges() -> None:
    with pytest.raises(ValueError):
        inclusion_plan(5, 5)
    with pytest.raises(ValueError):
        consistency_plan(6, 5)
    with pytest.raises(ProofError):
        verify_inclusion(hash_leaf(b""), 3, 3, [], EMPTY_ROOT)


@given(
    begin_level=st.integers(0, 20), begin_index=st.integers(0, 1000), length=st.integers(1, 5000)
)
def test_span_nodes_are_aligned_disjoint_and_cover(
    begin_level: int, begin_index: int, length: int
) -> None:
    begin = begin_index << begin_level
    end = begin + length
    covered = begin
    for level, index in span_nodes(begin, end):
        assert index << level == covered  # contiguous and aligned
        covered += 1 << level
    assert covered == end


@given(level=st.integers(0, 60), index=st.integers(0, 2**48 - 1))
def test_node_keys_are_unique(level: int, index: int) -> None:
    key = node_id_key((level, index))
    assert key >> 56 == level
    assert key & (2**56 - 1) == index


@settings(max_examples=100, deadline=None)
@given(size=st.integers(min_value=0, max_value=200), extra=st.integers(min_value=1, max_value=50))
def test_compact_range_restores_from_stored_frontier(size: int, extra: int) -> None:
    leaves, nodes = build(size + extra)
    restored = CompactRange.from_nodes(size, lambda ids: {n: nodes[n] for n in ids if n in nodes})
    assert restored.root() == naive_root(leaves[:size])
    for leaf in leaves[size:]:
        restored.append(leaf)
    assert restored.root() == naive_root(leaves)
