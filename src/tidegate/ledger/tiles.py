"""The C2SP tlog-tiles layout (c2sp.org/tlog-tiles): tile coordinates, paths and entry bundles.

Pure functions, no I/O. A tile of height 8 at level ``L`` and index ``N`` holds up to 256
consecutive Merkle tree hashes of tree level ``8 * L`` (level 0: leaf hashes), starting at
node index ``N * 256``; the tiles of a tree of size ``s`` are the full tiles of each level plus
at most one partial tile per level, ``(s >> 8L) mod 256`` hashes wide. Entry bundles hold the
entries of one level-0 tile, each as a big-endian uint16 length and the entry's bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tidegate.errors import FormatError
from tidegate.ledger.merkle import HASH_SIZE

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_BUNDLE_ENTRY = 0xFFFF
"""The largest entry an entry bundle can hold (its length is a uint16)."""
_PATH_ELEMENT = 1000
_INDEX_PATH_RE = re.compile(r"(?:x[0-9]{3}/)*[0-9]{3}")


@dataclass(frozen=True)
class Tile:
    """A tile: its level (tree level ``8 * level``), index within the level and width."""

    level: int
    index: int
    width: int

    @property
    def full(self) -> bool:
        """Whether the tile holds all 256 hashes."""
        return self.width == TILE_WIDTH

    @property
    def first_node(self) -> int:
        """The index, within tree level ``8 * level``, of the tile's first hash."""
        return self.index * TILE_WIDTH

    def path(self) -> str:
        """Return the tile's path: ``tile/<L>/<N>[.p/<W>]``."""
        return f"tile/{self.level}/{_with_width(self.index, self.width)}"

    def bundle_path(self) -> str:
        """Return the path of the entry bundle of a level-0 tile: ``tile/entries/<N>[.p/<W>]``."""
        if self.level != 0:
            raise ValueError(f"only level-0 tiles have entry bundles, not {self.path()}")
        return f"tile/entries/{_with_width(self.index, self.width)}"

    def first_entry(self) -> int:
        """Return the first entry (leaf) the tile spans."""
        return self.first_node << (TILE_HEIGHT * self.level)


def index_path(n: int) -> str:
    """Encode ``n`` as zero-padded 3-digit path elements, all but the last prefixed ``x``.

    For example 1234067 is ``x001/x234/067`` and 5 is ``005``.
    """
    if n < 0:
        raise ValueError(f"tile index {n} is negative")
    parts = [f"{n % _PATH_ELEMENT:03d}"]
    n //= _PATH_ELEMENT
    while n:
        parts.append(f"x{n % _PATH_ELEMENT:03d}")
        n //= _PATH_ELEMENT
    return "/".join(reversed(parts))


def parse_index_path(text: str) -> int:
    """Decode an ``index_path``; raise FormatError unless it is exactly the canonical form."""
    if not _INDEX_PATH_RE.fullmatch(text):
        raise FormatError(f"{text!r} is not a tile index path such as x001/x234/067")
    value = int(text.replace("x", "").replace("/", ""))
    if index_path(value) != text:
        raise FormatError(f"{text!r} is not the canonical path of index {value}")
    return value


def _with_width(index: int, width: int) -> str:
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width {width} is not between 1 and {TILE_WIDTH}")
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return index_path(index) + suffix


def hashes_at_level(size: int, level: int) -> int:
    """Return how many hashes the tiles of ``level`` hold for a tree of ``size`` entries."""
    return size >> (TILE_HEIGHT * level)


def tiles_at_level(size: int, level: int) -> Iterator[Tile]:
    """Yield the tiles of one level for a tree of ``size``: full ones, then the partial one."""
    count = hashes_at_level(size, level)
    for index in range(0, (count + TILE_WIDTH - 1) // TILE_WIDTH):
        yield Tile(level, index, min(TILE_WIDTH, count - index * TILE_WIDTH))


def tile_levels(size: int) -> int:
    """Return the number of tile levels a tree of ``size`` entries has (0 for the empty tree)."""
    levels = 0
    while hashes_at_level(size, levels):
        levels += 1
    return levels


def tiles_for_size(size: int) -> Iterator[Tile]:
    """Yield every tile of a tree of ``size`` entries, level by level."""
    for level in range(tile_levels(size)):
        yield from tiles_at_level(size, level)


def tile_of(level: int, node_index: int, size: int) -> Tile:
    """Return the tile of a tree of ``size`` that holds hash ``node_index`` of tile level ``level``."""
    count = hashes_at_level(size, level)
    if not 0 <= node_index < count:
        raise ValueError(f"node {node_index} of tile level {level} is not in a tree of size {size}")
    index = node_index // TILE_WIDTH
    return Tile(level, index, min(TILE_WIDTH, count - index * TILE_WIDTH))


def split_tile(data: bytes, tile: Tile) -> list[bytes]:
    """Split tile data into its hashes; raise FormatError if it has the wrong length."""
    if len(data) != tile.width * HASH_SIZE:
        raise FormatError(
            f"{tile.path()} is {len(data)} bytes; a tile of width {tile.width} is "
            f"{tile.width * HASH_SIZE}"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """Return an entry bundle; raise ValueError if an entry is longer than 65535 bytes."""
    parts: list[bytes] = []
    for entry in entries:
        if len(entry) > MAX_BUNDLE_ENTRY:
            raise ValueError(f"an entry of {len(entry)} bytes does not fit in an entry bundle")
        parts.append(len(entry).to_bytes(2, "big"))
        parts.append(entry)
    return b"".join(parts)


def decode_bundle(data: bytes, count: int, *, source: str) -> list[bytes]:
    """Split an entry bundle into exactly ``count`` entries; raise FormatError naming ``source``."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise FormatError(f"{source}: truncated length prefix at byte {offset}")
        length = int.from_bytes(data[offset : offset + 2], "big")
        start = offset + 2
        if start + length > len(data):
            raise FormatError(
                f"{source}: entry {len(entries)} claims {length} bytes at byte {start}, "
                f"only {len(data) - start} remain"
            )
        entries.append(data[start : start + length])
        offset = start + length
    if len(entries) != count:
        raise FormatError(f"{source}: holds {len(entries)} entries, its tile needs {count}")
    return entries
