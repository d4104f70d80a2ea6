"""SQL storage of the ledger (SQLite or PostgreSQL) through SQLAlchemy Core.

Tables: ``meta`` (format version, origin), ``entry`` (exact DSSE bytes by sequence number),
``tree_node`` (every completed perfect Merkle subtree, so appends and proofs stay O(log n)),
``blob`` (content-addressed payloads) and ``checkpoint`` (signed notes). Entry rows are the
truth; ``tree_node`` is derived from them and re-checked by ``verify``.

Writers are serialized across processes: SQLite by ``BEGIN IMMEDIATE``, PostgreSQL by a
transaction-scoped advisory lock. A write transaction that returned is durable (SQLite WAL
with ``synchronous=FULL``; PostgreSQL's default synchronous commit).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from tidegate.errors import StoreError
from tidegate.ledger.merkle import NodeId, node_id_key

FORMAT_VERSION = "1"
KEY_INTEGER = BigInteger().with_variant(Integer, "sqlite")
"""64-bit keys; on SQLite an INTEGER PRIMARY KEY is the rowid itself (no second index)."""
ADVISORY_LOCK_KEY = 0x7469646567617465  # "tidegate"
SQLITE_BUSY_TIMEOUT_MS = 120_000
_MULTI_ROW_LIMIT = 16


# Plain SQLAlchemy Core tables: the ORM layer (SQLModel, pydantic) cost ~90 ms of import time on
# every command, a fifth of `gate check`'s budget, and the store never used it.
_METADATA = MetaData()

META = Table(
    "meta",
    _METADATA,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)
"""Ledger-wide settings (format version, origin)."""

ENTRY = Table(
    "entry",
    _METADATA,
    Column("seq", KEY_INTEGER, primary_key=True, autoincrement=False),
    Column("leaf_hash", LargeBinary, nullable=False),
    Column("kind", String, nullable=False, index=True),
    Column("time", String, nullable=False),
    Column("actor", String, nullable=False),
    Column("keyid", String, nullable=False),
    Column("envelope", LargeBinary, nullable=False),
)
"""One entry: its exact bytes plus columns copied out of it for listing."""

NODE = Table(
    "tree_node",
    _METADATA,
    Column("id", KEY_INTEGER, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary, nullable=False),
)
"""A completed perfect subtree; ``id`` packs (level, index), see merkle.node_id_key."""

BLOB = Table(
    "blob",
    _METADATA,
    Column("sha256", String, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=True),
    Column("created", String, nullable=False),
    Column("purged_at", String, nullable=True),
)
"""A content-addressed payload; ``content`` is NULL once purged."""

CHECKPOINT = Table(
    "checkpoint",
    _METADATA,
    Column("size", KEY_INTEGER, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary, nullable=False),
    Column("note", LargeBinary, nullable=False),
    Column("created", String, nullable=False),
)
"""A signed checkpoint note issued by this ledger."""

_TABLES = [META, ENTRY, NODE, BLOB, CHECKPOINT]


@dataclass(frozen=True)
class StoredEntry:
    """An entry row as read back."""

    seq: int
    leaf_hash: bytes
    kind: str
    time: str
    actor: str
    keyid: str
    envelope: bytes


@dataclass(frozen=True)
class StoredBlob:
    """A blob row as read back (``content`` None when purged)."""

    sha256: str
    size: int
    content: bytes | None
    purged_at: str | None


@dataclass(frozen=True)
class BlobState:
    """A blob's size and whether its bytes were purged, read without the bytes."""

    sha256: str
    size: int
    purged: bool
    purged_at: str | None


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint row as read back."""

    size: int
    root_hash: bytes
    note: bytes
    created: str


def describe_url(url: str) -> str:
    """Return ``url`` with any password masked, safe for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return "<unparseable database URL>"


class WriteTransaction:
    """The operations an append needs, inside one serialized write transaction.

    Appends are the hot path, so this speaks SQL to the driver's cursor directly; SQLAlchemy
    still owns the schema, the connection pool and every other query.
    """

    def __init__(self, cursor: Any, placeholder: str, dialect: str) -> None:
        self._cursor = cursor
        self._ph = placeholder
        self._dialect = dialect

    def head(self) -> tuple[int, bytes | None]:
        """Return (size, leaf hash of the last entry) as committed."""
        self._cursor.execute("SELECT seq, leaf_hash FROM entry ORDER BY seq DESC LIMIT 1")
        row = self._cursor.fetchone()
        if row is None:
            return 0, None
        return int(row[0]) + 1, bytes(row[1])

    def nodes(self, ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """Return the stored hashes of the given tree nodes (absent ones omitted)."""
        return _fetch_nodes_raw(self._cursor, self._ph, ids)

    def _insert(self, into: str, rows: Sequence[tuple[Any, ...]], suffix: str = "") -> None:
        """Insert rows: a few in one multi-row statement (one round trip), many with executemany."""
        if not rows:
            return
        one = "(" + ", ".join([self._ph] * len(rows[0])) + ")"
        if len(rows) <= _MULTI_ROW_LIMIT:
            values = ", ".join([one] * len(rows))
            self._cursor.execute(
                f"INSERT INTO {into} VALUES {values}{suffix}", [v for r in rows for v in r]
            )
        else:
            self._cursor.executemany(f"INSERT INTO {into} VALUES {one}{suffix}", rows)

    def insert(
        self,
        entries: Sequence[Mapping[str, Any]],
        nodes: Sequence[tuple[NodeId, bytes]],
        blobs: Sequence[Mapping[str, Any]],
    ) -> None:
        """Insert entry, node and blob rows (blobs already present are kept; purged ones refilled)."""
        self._insert(
            "blob (sha256, size, content, created)",
            [(b["sha256"], b["size"], b["content"], b["created"]) for b in blobs],
            # A new entry may bring back the bytes of a purged blob: it needs them.
            " ON CONFLICT (sha256) DO UPDATE SET content = excluded.content, purged_at = NULL"
            " WHERE blob.content IS NULL",
        )
        self._insert(
            "entry (seq, leaf_hash, kind, time, actor, keyid, envelope)",
            [
                (
                    e["seq"],
                    e["leaf_hash"],
                    e["kind"],
                    e["time"],
                    e["actor"],
                    e["keyid"],
                    e["envelope"],
                )
                for e in entries
            ],
        )
        self._insert("tree_node (id, hash)", [(node_id_key(n), h) for n, h in nodes])

    def purge_blobs(self, digests: Sequence[str], purged_at: str) -> int:
        """Delete the bytes of these blobs (rows stay, stamped ``purged_at``); return how many."""
        purged = 0
        secure = self._dialect == "sqlite"
        if secure:  # overwrite the freed pages with zeros instead of leaving the bytes behind
            self._cursor.execute("PRAGMA secure_delete")
            previous = int(self._cursor.fetchone()[0])
            self._cursor.execute("PRAGMA secure_delete = 1")
        for start in range(0, len(digests), 500):
            batch = list(digests[start : start + 500])
            marks = ", ".join([self._ph] * len(batch))
            self._cursor.execute(
                f"UPDATE blob SET content = NULL, purged_at = {self._ph} "
                f"WHERE content IS NOT NULL AND sha256 IN ({marks})",
                [purged_at, *batch],
            )
            purged += int(self._cursor.rowcount)
        if secure:
            self._cursor.execute(f"PRAGMA secure_delete = {previous}")
        return purged

    def insert_checkpoint(self, row: Mapping[str, Any]) -> None:
        """Store a checkpoint unless one of the same size exists."""
        ph = self._ph
        self._cursor.execute(
            f"INSERT INTO checkpoint (size, root_hash, note, created) VALUES ({ph}, {ph}, {ph}, {ph}) "
            "ON CONFLICT (size) DO NOTHING",
            (row["size"], row["root_hash"], row["note"], row["created"]),
        )

    def checkpoint_note(self, size: int) -> bytes | None:
        """Return the stored note of the checkpoint of ``size`` (with any cosignatures)."""
        self._cursor.execute(f"SELECT note FROM checkpoint WHERE size = {self._ph}", (size,))
        row = self._cursor.fetchone()
        return None if row is None else bytes(row[0])

    def replace_checkpoint_note(self, size: int, old: bytes, new: bytes) -> bool:
        """Replace a checkpoint's note if it is still ``old``; return whether it was.

        Only cosignature lines are ever added this way: callers keep the signed text and the
        log's own signature lines byte for byte.
        """
        ph = self._ph
        self._cursor.execute(
            f"UPDATE checkpoint SET note = {ph} WHERE size = {ph} AND note = {ph}", (new, size, old)
        )
        return int(self._cursor.rowcount) == 1


def _fetch_nodes_raw(cursor: Any, placeholder: str, ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
    if not ids:
        return {}
    by_key = {node_id_key(n): n for n in ids}
    found: dict[NodeId, bytes] = {}
    keys = list(by_key)
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        marks = ", ".join([placeholder] * len(batch))
        cursor.execute(f"SELECT id, hash FROM tree_node WHERE id IN ({marks})", batch)
        found.update({by_key[int(key)]: bytes(value) for key, value in cursor.fetchall()})
    return found


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # pysqlite's own transaction handling is turned off so that we choose BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


class LedgerStore:
    """A ledger database; MUST be the only way tidegate touches the tables."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.safe_url = describe_url(url)
        try:
            self.engine: Engine = create_engine(url, pool_pre_ping=False)
        except (sa_exc.ArgumentError, ImportError) as exc:
            raise StoreError(f"cannot use ledger URL {self.safe_url}: {exc}") from exc
        self.dialect = self.engine.dialect.name
        self._placeholder = "?" if self.dialect == "sqlite" else "%s"
        self._writer: Any = None
        self._open_write: WriteTransaction | None = None
        self._driver_error: type[Exception] = self.engine.dialect.loaded_dbapi.Error
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_on_begin)
        elif self.dialect != "postgresql":
            raise StoreError(
                f"ledger URL {self.safe_url}: only sqlite and postgresql are supported"
            )

    def close(self) -> None:
        """Release every database connection."""
        if self._writer is not None:
            with suppress(Exception):
                self._writer.close()
            self._writer = None
        self.engine.dispose()

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except sa_exc.DBAPIError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
            raise StoreError(
                f"ledger database {self.safe_url}: {action} failed: {detail}",
                hint="check that the database is reachable and is a tidegate ledger",
            ) from exc
        except self._driver_error as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(
                f"ledger database {self.safe_url}: {action} failed: {detail}",
                hint="check that the database is reachable and is a tidegate ledger",
            ) from exc
        except sa_exc.SQLAlchemyError as exc:
            raise StoreError(f"ledger database {self.safe_url}: {action} failed: {exc}") from exc

    def create(self, origin: str, created: str) -> None:
        """Create the tables and record the format version and origin; refuse if present."""
        with self._errors("creating the ledger"):
            if inspect(self.engine).has_table("meta"):
                raise StoreError(
                    f"ledger database {self.safe_url} already holds a ledger; refusing to overwrite"
                )
            _METADATA.create_all(self.engine, tables=_TABLES)
            with self.engine.begin() as conn:
                conn.execute(
                    META.insert(),
                    [
                        {"key": "format_version", "value": FORMAT_VERSION},
                        {"key": "origin", "value": origin},
                        {"key": "created", "value": created},
                    ],
                )

    def meta(self) -> dict[str, str]:
        """Return the ledger's settings; raise StoreError if this is not a tidegate ledger."""
        with self._errors("reading the ledger's settings"):
            if not inspect(self.engine).has_table("meta"):
                raise StoreError(
                    f"{self.safe_url} holds no tidegate ledger",
                    hint="run `tidegate init`, or check TIDEGATE_LEDGER_URL",
                )
            with self.engine.connect() as conn:
                rows = conn.execute(select(META.c.key, META.c.value)).all()
        settings = {str(k): str(v) for k, v in rows}
        if settings.get("format_version") != FORMAT_VERSION:
            raise StoreError(
                f"ledger {self.safe_url} has format version {settings.get('format_version')!r}; "
                f"this tidegate reads version {FORMAT_VERSION}"
            )
        return settings

    @contextmanager
    def write(self) -> Iterator[WriteTransaction]:
        """Run one serialized write transaction; it is durable once this block exits.

        Writes reuse one driver connection (appends are the hot path); after any failure it is
        discarded and the next write opens a fresh one. A write opened inside another one joins
        it: it commits, or rolls back, with the outermost (e.g. a purge and its ledger note).
        """
        if self._open_write is not None:
            yield self._open_write
            return
        with self._errors("writing"):
            if self._writer is None:
                self._writer = self.engine.raw_connection()
            connection = self._writer
            try:
                cursor = connection.cursor()
                if self.dialect == "sqlite":
                    cursor.execute("BEGIN IMMEDIATE")
                else:
                    cursor.execute(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})")
                self._open_write = WriteTransaction(cursor, self._placeholder, self.dialect)
                try:
                    yield self._open_write
                finally:
                    self._open_write = None
                connection.commit()
            except BaseException:
                self._writer = None
                with suppress(Exception):
                    connection.rollback()
                with suppress(Exception):
                    connection.close()
                raise

    @contextmanager
    def _cursor(self, action: str) -> Iterator[Any]:
        """Yield a driver cursor for a short read on the hot path (proofs, verify)."""
        with self._errors(action):
            connection = self.engine.raw_connection()
            try:
                yield connection.cursor()
                connection.commit()
            finally:
                connection.close()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """Open a read-only snapshot for consistent multi-query reads."""
        with self._errors("reading"), self.engine.connect() as conn, conn.begin():
            if self.dialect == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield conn

    def size(self) -> int:
        """Return the number of entries (last sequence number + 1)."""
        with self._cursor("reading the ledger size") as cursor:
            cursor.execute("SELECT max(seq) FROM entry")
            last = cursor.fetchone()[0]
        return 0 if last is None else int(last) + 1

    def count(self) -> int:
        """Return how many entry rows exist (equals size() unless rows were deleted)."""
        with self.read() as conn:
            return int(conn.execute(select(func.count()).select_from(ENTRY)).scalar_one())

    def nodes(self, ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """Return stored tree node hashes (a hot path: proofs, verify)."""
        with self._cursor("reading tree nodes") as cursor:
            return _fetch_nodes_raw(cursor, self._placeholder, ids)

    def node_range(self, level: int, start: int, stop: int) -> list[tuple[int, bytes]]:
        """Return (index, hash) of the stored nodes of ``level`` with start <= index < stop.

        One range scan of the primary key, in index order (export writes tiles from it).
        """
        ph = self._placeholder
        with self._cursor("reading tree nodes") as cursor:
            cursor.execute(
                f"SELECT id, hash FROM tree_node WHERE id >= {ph} AND id < {ph} ORDER BY id",
                (node_id_key((level, start)), node_id_key((level, stop))),
            )
            mask = (1 << 56) - 1
            return [(int(key) & mask, bytes(value)) for key, value in cursor.fetchall()]

    def entry(self, seq: int) -> StoredEntry | None:
        """Return the entry with this sequence number, if stored."""
        with self.read() as conn:
            row = conn.execute(select(ENTRY).where(ENTRY.c.seq == seq)).first()
        return None if row is None else _entry(row)

    def entries(
        self, start: int = 0, stop: int | None = None, *, kind: str | None = None, chunk: int = 2000
    ) -> Iterator[list[StoredEntry]]:
        """Yield entries with start <= seq < stop in ascending order, a chunk at a time."""
        cursor = start
        while True:
            query = select(ENTRY).where(ENTRY.c.seq >= cursor).order_by(ENTRY.c.seq).limit(chunk)
            if stop is not None:
                query = query.where(ENTRY.c.seq < stop)
            if kind is not None:
                query = query.where(ENTRY.c.kind == kind)
            with self.read() as conn:
                rows = [_entry(r) for r in conn.execute(query).all()]
            if not rows:
                return
            yield rows
            cursor = rows[-1].seq + 1

    def seq_ranges(self, chunk: int) -> Iterator[tuple[int, int]]:
        """Yield [start, stop) ranges of sequence numbers holding ``chunk`` entries each.

        Bounded by rows, not numbers, so a hostile sequence number (say 10**15) costs nothing.
        """
        ph = self._placeholder
        query = f"SELECT seq FROM entry WHERE seq >= {ph} ORDER BY seq LIMIT 1 OFFSET {ph}"
        with self._cursor("reading entries") as cursor:
            cursor.execute(query, (0, 0))
            row: Any = cursor.fetchone()
            start = None if row is None else int(row[0])
            while start is not None:
                cursor.execute(query, (start, chunk))
                row = cursor.fetchone()
                stop = None if row is None else int(row[0])
                yield start, (stop if stop is not None else 2**63 - 1)
                start = stop

    def entry_rows(self, start: int, stop: int) -> list[tuple[int, bytes, bytes]]:
        """Return (seq, stored leaf hash, entry bytes) for start <= seq < stop (verify's hot path)."""
        ph = self._placeholder
        with self._cursor("reading entries") as cursor:
            cursor.execute(
                f"SELECT seq, leaf_hash, envelope FROM entry WHERE seq >= {ph} AND seq < {ph} ORDER BY seq",
                (start, stop),
            )
            return [
                (int(seq), bytes(leaf), bytes(envelope))
                for seq, leaf, envelope in cursor.fetchall()
            ]

    def blobs(self, digests: Sequence[str]) -> dict[str, StoredBlob]:
        """Return the stored blobs with these sha256 digests."""
        if not digests:
            return {}
        with self.read() as conn:
            rows = conn.execute(select(BLOB).where(BLOB.c.sha256.in_(list(set(digests))))).all()
        return {
            r.sha256: StoredBlob(
                r.sha256, int(r.size), None if r.content is None else bytes(r.content), r.purged_at
            )
            for r in rows
        }

    def blob_states(self, digests: Sequence[str]) -> dict[str, BlobState]:
        """Return the size and purge state of the stored blobs with these digests (no bytes read)."""
        unique = sorted(set(digests))
        states: dict[str, BlobState] = {}
        with self.read() as conn:
            for start in range(0, len(unique), 500):
                query = select(
                    BLOB.c.sha256, BLOB.c.size, BLOB.c.content.is_(None), BLOB.c.purged_at
                ).where(BLOB.c.sha256.in_(unique[start : start + 500]))
                rows: list[Any] = list(conn.execute(query).all())
                for digest, size, purged, purged_at in rows:
                    states[digest] = BlobState(digest, int(size), bool(purged), purged_at)
        return states

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Return every stored checkpoint, smallest size first."""
        with self.read() as conn:
            rows = conn.execute(select(CHECKPOINT).order_by(CHECKPOINT.c.size)).all()
        return [
            StoredCheckpoint(int(r.size), bytes(r.root_hash), bytes(r.note), r.created)
            for r in rows
        ]

    def checkpoint(self, size: int) -> StoredCheckpoint | None:
        """Return the checkpoint of ``size``, if one was issued."""
        with self.read() as conn:
            r = conn.execute(select(CHECKPOINT).where(CHECKPOINT.c.size == size)).first()
        return (
            None
            if r is None
            else StoredCheckpoint(int(r.size), bytes(r.root_hash), bytes(r.note), r.created)
        )

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """Return the checkpoint of the largest size, if any."""
        with self.read() as conn:
            r = conn.execute(select(CHECKPOINT).order_by(CHECKPOINT.c.size.desc()).limit(1)).first()
        return (
            None
            if r is None
            else StoredCheckpoint(int(r.size), bytes(r.root_hash), bytes(r.note), r.created)
        )


def _entry(row: Any) -> StoredEntry:
    return StoredEntry(
        seq=int(row.seq),
        leaf_hash=bytes(row.leaf_hash),
        kind=row.kind,
        time=row.time,
        actor=row.actor,
        keyid=row.keyid,
        envelope=bytes(row.envelope),
    )


def sqlite_url(path: Path) -> str:
    """Return the SQLAlchemy URL of a SQLite database file."""
    return f"sqlite:///{path}"
