"""The C2SP tlog-tiles layout: index paths, tile coordinates and widths, entry bundles."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tidegate.errors import FormatError
from tidegate.ledger.merkle import CompactRange, hash_leaf
from tidegate.ledger.tiles import (
    MAX_BUNDLE_ENTRY,
    TILE_WIDTH,
    Tile,
    decode_bundle,
    encode_bundle,
    hashes_at_level,
    index_path,
    parse_index_path,
    split_tile,
    tile_levels,
    tile_of,
    tiles_at_level,
    tiles_for_size,
)


@pytest.mark.parametrize(
    ("n", "path"),
    [
        (0, "000"),
        (5, "005"),
        (999, "999"),
        (1000, "x001/000"),
        (1234067, "x001/x234/067"),
        (10**9, "x001/x000/x000/000"),
    ],
)
def test_index_paths_follow_c2sp(n: int, path: str) -> None:
    assert index_path(n) == path
    assert parse_index_path(path) == n


@pytest.mark.parametrize(
    "bad", ["", "1", "0001", "x001", "001/002", "x000/001", "x01/001", "../001"]
)
def test_non_canonical_index_paths_are_refused(bad: str) -> None:
    with pytest.raises(FormatError):
        parse_index_path(bad)


def test_tile_paths_and_bundle_paths() -> None:
    assert Tile(0, 0, 256).path() == "tile/0/000"
    assert Tile(0, 1234067, 256).path() == "tile/0/x001/x234/067"
    assert Tile(1, 3, 17).path() == "tile/1/003.p/17"
    assert Tile(0, 3, 17).bundle_path() == "tile/entries/003.p/17"
    assert Tile(0, 1000, 256).bundle_path() == "tile/entries/x001/000"
    with pytest.raises(ValueError, match="level-0"):
        Tile(1, 0, 256).bundle_path()
    with pytest.raises(ValueError, match="width"):
        Tile(0, 0, 0).path()
    assert Tile(2, 1, 5).first_entry() == 256**3


def test_the_specs_example_tree_of_70000() -> None:
    # c2sp.org/tlog-tiles: 273 full level-0 tiles, a partial one of width 112, one full level-1
    # tile, a partial level-1 tile of width 17 and a partial level-2 tile of width 1.
    tiles = list(tiles_for_size(70_000))
    level0 = [t for t in tiles if t.level == 0]
    assert len(level0) == 274
    assert all(t.full for t in level0[:273])
    assert level0[-1] == Tile(0, 273, 112)
    assert [t for t in tiles if t.level == 1] == [Tile(1, 0, 256), Tile(1, 1, 17)]
    assert [t for t in tiles if t.level == 2] == [Tile(2, 0, 1)]
    assert tile_levels(70_000) == 3


def test_a_tree_of_256_has_a_full_tile_and_a_level_1_tile_of_width_1() -> None:
    assert list(tiles_for_size(256)) == [Tile(0, 0, 256), Tile(1, 0, 1)]
    assert list(tiles_for_size(0)) == []
    assert list(tiles_for_size(1)) == [Tile(0, 0, 1)]


@given(st.integers(min_value=0, max_value=300_000))
def test_tiles_cover_each_level_exactly(size: int) -> None:
    for level in range(tile_levels(size)):
        tiles = list(tiles_at_level(size, level))
        assert sum(t.width for t in tiles) == hashes_at_level(size, level)
        assert all(t.full for t in tiles[:-1])
        assert tiles[-1].width == (hashes_at_level(size, level) - 1) % TILE_WIDTH + 1
    assert hashes_at_level(size, tile_levels(size)) == 0


@given(st.integers(min_value=1, max_value=10**7), st.data())
def test_tile_of_finds_the_tile_holding_a_node(size: int, data: st.DataObject) -> None:
    level = data.draw(st.integers(min_value=0, max_value=tile_levels(size) - 1))
    node = data.draw(st.integers(min_value=0, max_value=hashes_at_level(size, level) - 1))
    tile = tile_of(level, node, size)
    assert tile in set(tiles_at_level(size, level))
    assert tile.first_node <= node < tile.first_node + tile.width
    with pytest.raises(ValueError, match="not in a tree"):
        tile_of(level, hashes_at_level(size, level), size)


def test_tile_hashes_are_the_tree_nodes_of_every_eighth_level() -> None:
    # A tile at level L holds the MTH of 256**L consecutive leaves.
    size = 600
    tree = CompactRange()
    nodes: dict[tuple[int, int], bytes] = {}
    for i in range(size):
        for node, value in tree.append(hash_leaf(str(i).encode())):
            nodes[node] = value
    for tile in tiles_for_size(size):
        for i in range(tile.width):
            assert (8 * tile.level, tile.first_node + i) in nodes
    assert (8, 2) not in nodes  # only two full level-0 tiles: the level-1 tile has width 2
    assert Tile(1, 0, 2) in set(tiles_for_size(size))


def test_entry_bundles_round_trip() -> None:
    entries = [b"", b"a", b"x" * 300, b"y" * MAX_BUNDLE_ENTRY]
    data = encode_bundle(entries)
    assert data[:2] == b"\x00\x00"
    assert data[2:4] == b"\x00\x01"
    assert decode_bundle(data, 4, source="b") == entries
    assert encode_bundle([]) == b""
    assert decode_bundle(b"", 0, source="b") == []


def test_oversized_entries_do_not_fit_a_bundle() -> None:
    with pytest.raises(ValueError, match="65536 bytes"):
        encode_bundle([b"z" * (MAX_BUNDLE_ENTRY + 1)])


@pytest.mark.parametrize(
    ("data", "count", "message"),
    [
        (b"\x00", 1, "truncated length prefix at byte 0"),
        (b"\x00\x05abc", 1, "entry 0 claims 5 bytes"),
        (b"\x00\x01a", 2, "holds 1 entries, its tile needs 2"),
        (b"\x00\x01a\x00\x01b", 1, "holds 2 entries, its tile needs 1"),
    ],
)
def test_malformed_bundles_are_named(data: bytes, count: int, message: str) -> None:
    with pytest.raises(FormatError, match=message) as info:
        decode_bundle(data, count, source="tile/entries/007")
    assert info.value.message.startswith("tile/entries/007: ")


def test_split_tile_checks_the_width() -> None:
    hashes = [hashlib.sha256(bytes([i])).digest() for i in range(3)]
    assert split_tile(b"".join(hashes), Tile(0, 0, 3)) == hashes
    with pytest.raises(FormatError, match=r"tile/0/000\.p/3 is 64 bytes"):
        split_tile(b"".join(hashes[:2]), Tile(0, 0, 3))
