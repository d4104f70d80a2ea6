"""Retention purges and disclosure of commitments, on real SQLite and PostgreSQL.

The service layer is driven directly with a controlled clock; the commands through a Typer app
built here (they are registered on `tidegate ledger` by the CLI itself).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from tests.conftest import LedgerFixture
from tidegate._time import format_time, parse_time, utc_now
from tidegate.cli import _retention
from tidegate.cli._state import CliState
from tidegate.config import CONFIG_FILE, RetentionSettings, load_retention, load_settings
from tidegate.errors import ConfigError, LedgerError, TidegateError, UsageError
from tidegate.home import init_home, open_ledger
from tidegate.ledger.commitment import commit_fields
from tidegate.ledger.entry import parse_entry
from tidegate.ledger.log import AppendRequest, Ledger
from tidegate.ledger.retention import (
    PURGE_CATEGORY,
    Criteria,
    apply_purge,
    blob_status,
    criteria_for,
    parse_before,
    plan_purge,
    purge,
)
from tidegate.ledger.store import LedgerStore
from tidegate.ledger.trust import load_trust
from tidegate.ledger.verify import verify_ledger

NOW = datetime(2025, 1, 1, tzinfo=UTC)
POLICY = RetentionSettings(default_days=30, kinds={"note": 180})


class Clock:
    """A settable clock for the ledger's append times."""

    def __init__(self) -> None:
        self.now = format_time(NOW)

    def __call__(self) -> str:
        return self.now


@dataclass
class Timed:
    """A fresh ledger whose appends are stamped by ``clock``."""

    fx: LedgerFixture
    clock: Clock
    ledger: Ledger

    @property
    def store(self) -> LedgerStore:
        return self.ledger.store

    def add(self, when: datetime, message: str, **blobs: bytes) -> int:
        self.clock.now = format_time(when)
        return self.ledger.append(AppendRequest("note", {"message": message}, blobs=blobs)).seq

    def purge(self, before: datetime, now: datetime = NOW, **options: Any) -> Any:
        self.clock.now = format_time(now)
        policy = options.pop("retention", POLICY)
        return purge(self.ledger, policy, before=before, now=now, **options)

    def rows(self) -> list[tuple[int, bytes, bytes]]:
        return [(e.seq, e.leaf_hash, e.envelope) for chunk in self.store.entries() for e in chunk]

    def purged(self, *contents: bytes) -> list[bool]:
        digests = [hashlib.sha256(c).hexdigest() for c in contents]
        states = self.store.blob_states(digests)
        return [states[d].purged for d in digests]

    def verify(self) -> Any:
        report = verify_ledger(self.store, self.fx.trust, workers=1)
        assert report.ok, report.failures
        return report


@pytest.fixture
def timed(fresh_ledger: LedgerFixture) -> Timed:
    clock = Clock()
    ledger = Ledger(
        fresh_ledger.store,
        origin="test.example/log",
        signer=fresh_ledger.key,
        actor="t",
        clock=clock,
    )
    return Timed(fresh_ledger, clock, ledger)


def day(text_: str) -> datetime:
    return parse_before(text_)


def test_purge_respects_retention_per_kind_and_before(timed: Timed) -> None:
    timed.add(day("2024-01-01"), "a", log=b"A")
    timed.add(day("2024-06-01"), "b", log=b"B")
    timed.add(day("2024-10-01"), "c", log=b"C")  # 92 days old: note keeps 180
    timed.add(day("2024-12-31"), "d")
    rows = timed.rows()

    first = timed.purge(day("2024-05-01"))
    assert [b.entries for b in first.plan.blobs] == [(0,)]
    assert timed.purged(b"A", b"B", b"C") == [True, False, False]

    second = timed.purge(NOW)
    assert [b.entries for b in second.plan.blobs] == [(1,)]
    assert timed.purged(b"A", b"B", b"C") == [True, True, False]

    # Without the per-kind override the default (30 days) applies to notes.
    third = timed.purge(NOW, retention=RetentionSettings(default_days=30))
    assert [b.entries for b in third.plan.blobs] == [(2,)]
    assert timed.purged(b"A", b"B", b"C") == [True, True, True]

    assert timed.rows()[: len(rows)] == rows  # entries are never modified
    assert timed.store.size() == len(rows) + 3  # one note per purge
    report = timed.verify()
    assert (report.blobs_purged, report.blobs_checked) == (3, 0)


def test_criteria_per_kind_kind_filter_and_override() -> None:
    policy = RetentionSettings(default_days=30, kinds={"note": 180, "gate.verdict": 0})
    crit = Criteria(before=NOW, now=NOW, retention=policy)
    assert not crit.eligible("note", NOW - timedelta(days=100))
    assert crit.eligible("note", NOW - timedelta(days=181))
    assert crit.eligible("other", NOW - timedelta(days=31))
    assert not crit.eligible("other", NOW - timedelta(days=29))
    assert crit.eligible("gate.verdict", NOW - timedelta(seconds=1))
    assert not crit.eligible("gate.verdict", NOW)  # not before --before
    only = Criteria(NOW, NOW, policy, kinds=frozenset({"gate.verdict"}))
    assert not only.eligible("note", NOW - timedelta(days=999))
    none = Criteria(NOW, NOW, RetentionSettings(kinds={"note": 1}))
    assert not none.eligible("other", datetime(1990, 1, 1, tzinfo=UTC))
    forced = Criteria(NOW - timedelta(days=1), NOW, none.retention, ignore_retention=True)
    assert forced.eligible("other", NOW - timedelta(days=2))
    assert not forced.eligible("other", NOW - timedelta(hours=1))
    huge = Criteria(NOW, NOW, RetentionSettings(default_days=1_000_000))
    assert not huge.eligible("note", datetime(1, 1, 2, tzinfo=UTC))


def test_kind_filter(timed: Timed) -> None:
    timed.add(day("2024-01-01"), "a", log=b"A")
    size = timed.store.size()
    assert timed.purge(NOW, kinds=["key.rotated"]).plan.blobs == ()
    assert timed.store.size() == size and timed.purged(b"A") == [False]
    result = timed.purge(NOW, kinds=["note"])
    assert timed.purged(b"A") == [True]
    note = parse_entry(timed.store.entry(result.notes[0].seq).envelope)  # type: ignore[union-attr]
    assert note.body["purge"]["kinds"] == ["note"]


def test_shared_blob_is_purged_only_when_every_entry_is_eligible(timed: Timed) -> None:
    timed.add(day("2024-01-01"), "old", log=b"shared")
    timed.add(day("2024-12-20"), "young", out=b"shared")
    size = timed.store.size()
    kept = timed.purge(NOW)
    assert kept.plan.blobs == () and kept.plan.kept_shared == 1 and kept.notes == ()
    assert timed.store.size() == size and timed.purged(b"shared") == [False]

    later = day("2025-07-01")  # the young entry is now 193 days old
    done = timed.purge(later, now=later)
    assert [b.entries for b in done.plan.blobs] == [(0, 1)]
    assert timed.purged(b"shared") == [True]
    assert timed.verify().blobs_purged == 2  # counted per reference


def test_the_purge_note_records_what_was_purged(timed: Timed) -> None:
    timed.add(day("2024-01-01"), "a", log=b"A", out=b"AA")
    timed.add(day("2024-02-01"), "b", log=b"B")
    result = timed.purge(day("2024-12-01"))
    (note_entry,) = result.notes
    assert note_entry.seq == 2 and note_entry.time == format_time(NOW)
    body = parse_entry(timed.store.entry(note_entry.seq).envelope).body  # type: ignore[union-attr]
    digests = sorted(hashlib.sha256(c).hexdigest() for c in (b"A", b"AA", b"B"))
    assert body == {
        "message": "retention purge: deleted the contents of 3 blob(s), 4 bytes, referenced by "
        "2 entries; the entries are unchanged",
        "category": PURGE_CATEGORY,
        "refs": [f"sha256:{d}" for d in digests],
        "purge": {
            "before": "2024-12-01T00:00:00.000Z",
            "ignore_retention": False,
            "retention": {"default_days": 30, "kinds": {"note": 180}},
            "blobs": 3,
            "bytes": 4,
            "entries": 2,
            "part": 1,
            "parts": 1,
        },
    }
    states = timed.store.blob_states(digests)
    assert {s.purged_at for s in states.values()} == {note_entry.time}
    assert result.as_json()["notes"] == [2] and result.purged_at == note_entry.time
    assert [m["status"] for m in blob_status(timed.store, 0)] == ["purged", "purged"]
    assert blob_status(timed.store, 0)[0]["purged_at"] == note_entry.time


def test_dry_run_writes_nothing(timed: Timed) -> None:
    timed.add(day("2024-01-01"), "a", log=b"A")
    rows = timed.rows()
    result = timed.purge(NOW, dry_run=True)
    assert result.dry_run and len(result.plan.blobs) == 1 and result.notes == ()
    assert timed.rows() == rows and timed.purged(b"A") == [False]
    assert timed.verify().blobs_checked == 1


def test_fails_closed_without_retention_and_in_the_future(timed: Timed) -> None:
    timed.add(day("2020-01-01"), "a", log=b"A")
    result = timed.purge(NOW, retention=RetentionSettings())
    assert result.plan.blobs == () and result.plan.kinds_without_retention == ("note",)
    assert timed.store.size() == 1 and timed.purged(b"A") == [False]
    with pytest.raises(UsageError, match="is in the future"):
        timed.purge(NOW + timedelta(seconds=1))

    forced = timed.purge(NOW, retention=RetentionSettings(), ignore_retention=True)
    assert timed.purged(b"A") == [True]
    body = parse_entry(timed.store.entry(forced.notes[0].seq).envelope).body  # type: ignore[union-attr]
    assert body["purge"]["ignore_retention"] is True
    timed.verify()


def test_entries_appended_after_planning_keep_their_blob(timed: Timed) -> None:
    timed.add(day("2024-01-01"), "a", log=b"A")
    timed.add(day("2024-01-02"), "b", log=b"B")
    criteria = criteria_for(timed.ledger, POLICY, before=NOW, now=NOW)
    plan = plan_purge(timed.store, criteria)
    assert len(plan.blobs) == 2
    timed.add(NOW, "a again", log=b"A")  # appended between planning and purging
    result = apply_purge(timed.ledger, plan)
    assert [b.entries for b in result.plan.blobs] == [(1,)]
    assert timed.purged(b"A", b"B") == [False, True]
    # Another purge of the same plan finds nothing left to do, and writes nothing.
    size = timed.store.size()
    assert apply_purge(timed.ledger, plan).notes == () and timed.store.size() == size
    timed.verify()


def test_a_failed_note_rolls_the_purge_back(timed: Timed) -> None:
    timed.add(day("2024-01-01"), "a", log=b"A")
    plan = plan_purge(timed.store, criteria_for(timed.ledger, POLICY, before=NOW, now=NOW))
    read_only = Ledger(timed.store, origin="test.example/log", signer=None, actor="t")
    with pytest.raises(LedgerError, match="read-only"):
        apply_purge(read_only, plan)
    assert timed.store.size() == 1 and timed.purged(b"A") == [False]
    assert apply_purge(timed.ledger, plan).notes  # the store is still usable
    timed.verify()


def test_reappending_purged_bytes_restores_them(timed: Timed) -> None:
    timed.add(day("2024-01-01"), "a", log=b"A")
    timed.purge(NOW)
    assert timed.purged(b"A") == [True]
    timed.add(NOW, "again", log=b"A")
    assert timed.purged(b"A") == [False]
    report = timed.verify()
    assert (report.blobs_checked, report.blobs_purged) == (2, 0)


def test_a_large_purge_is_recorded_in_several_notes(timed: Timed) -> None:
    timed.clock.now = "2024-01-01T00:00:00.000Z"
    timed.ledger.append_batch(
        [
            AppendRequest("note", {"message": str(i)}, blobs={"b": str(i).encode()})
            for i in range(1001)
        ]
    )
    result = timed.purge(NOW)
    assert len(result.notes) == 2 and len(result.plan.blobs) == 1001
    bodies = [parse_entry(timed.store.entry(n.seq).envelope).body for n in result.notes]  # type: ignore[union-attr]
    assert [len(b["refs"]) for b in bodies] == [1000, 1]
    assert [(b["purge"]["part"], b["purge"]["parts"]) for b in bodies] == [(1, 2), (2, 2)]
    assert timed.verify().blobs_purged == 1001


def test_a_malformed_entry_stops_the_purge(timed: Timed) -> None:
    timed.add(day("2024-01-01"), "a", log=b"A")
    with timed.store.engine.begin() as conn:
        conn.execute(text("UPDATE entry SET envelope = :e WHERE seq = 0"), {"e": b"{}"})
    with pytest.raises(LedgerError, match="entry 0 is malformed"):
        timed.purge(NOW)
    assert timed.purged(b"A") == [False]


def test_blob_status_marks_missing_blobs(timed: Timed) -> None:
    timed.add(day("2024-01-01"), "a", log=b"A", out=b"B")
    with timed.store.engine.begin() as conn:
        conn.execute(
            text("DELETE FROM blob WHERE sha256 = :d"), {"d": hashlib.sha256(b"B").hexdigest()}
        )
    assert [(m["name"], m["status"]) for m in blob_status(timed.store, 0)] == [
        ("log", "stored"),
        ("out", "missing"),
    ]


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("", RetentionSettings()),
        ("[retention]\ndefault_days = 90\n", RetentionSettings(90)),
        (
            "[retention]\ndefault_days = 0\n[retention.kinds]\nnote = 30\n",
            RetentionSettings(0, {"note": 30}),
        ),
    ],
)
def test_retention_config(tmp_path: Path, toml: str, expected: RetentionSettings) -> None:
    (tmp_path / CONFIG_FILE).write_text(toml)
    loaded = load_retention(tmp_path)
    assert loaded == expected
    assert loaded.days_for("note") == expected.kinds.get("note", expected.default_days)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("retention = 3\n", "[retention] must be a table"),
        ("[retention]\ndefault_days = -1\n", "retention.default_days must be a whole number"),
        ('[retention]\ndefault_days = "30"\n', "retention.default_days must be a whole number"),
        ("[retention]\ndefault_days = true\n", "retention.default_days must be a whole number"),
        ("[retention]\ndefault_days = 1.5\n", "retention.default_days must be a whole number"),
        ("[retention.kinds]\nnote = -2\n", "retention.kinds.note must be a whole number"),
        ("[retention]\nkinds = 3\n", "[retention.kinds] must be a table"),
        ("[retention]\ndays = 3\n", "unknown key(s) in [retention]: days"),
    ],
)
def test_bad_retention_config(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / CONFIG_FILE).write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_retention(tmp_path)
    assert info.value.message.startswith(f"config file {tmp_path / CONFIG_FILE}: ")
    assert message in info.value.message


@pytest.mark.parametrize(
    ("text_", "expected"),
    [
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T10:00:00.000Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ],
)
def test_parse_before(text_: str, expected: datetime) -> None:
    assert parse_before(text_) == expected


@pytest.mark.parametrize("text_", ["yesterday", "2024-13-01", "2024-05-01T10:00:00", ""])
def test_parse_before_refuses(text_: str) -> None:
    with pytest.raises(UsageError, match="is not a date"):
        parse_before(text_)


# The commands, through a Typer app built here.


def cli_app(home: Path) -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = CliState(home=home, verbose=False)

    app.command("purge")(_retention.purge)
    app.command("disclose")(_retention.disclose)
    return app


@dataclass
class Project:
    """A tidegate home on one backend and its `purge` / `disclose` commands."""

    home: Path
    app: typer.Typer

    def __call__(self, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
        result = CliRunner().invoke(self.app, list(args), input=stdin, env={"NO_COLOR": "1"})
        if isinstance(result.exception, TidegateError):  # as tidegate.cli.run maps them
            return result.exception.exit_code, result.stdout, result.exception.diagnostics()
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception
        )
        return result.exit_code, result.stdout, result.stderr

    def ledger(self) -> Ledger:
        return open_ledger(load_settings(self.home), writable=True)

    def configure(self, toml: str) -> None:
        with open(self.home / CONFIG_FILE, "a") as handle:
            handle.write(toml)


@pytest.fixture(params=["sqlite", "postgres"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Project:
    url = None if request.param == "sqlite" else str(request.getfixturevalue("postgres_database"))
    home = init_home(tmp_path, origin="retention.example/log", ledger_url=url).home
    return Project(home, cli_app(home))


def test_purge_command(project: Project) -> None:
    ledger = project.ledger()
    try:
        ledger.append(AppendRequest("note", {"message": "run"}, blobs={"log": b"secret log"}))
        last = ledger.append(AppendRequest("note", {"message": "bare"}))
    finally:
        ledger.store.close()
    # A cut-off just after the entries, and a clock already past it: no race with the command.
    cutoff = format_time(parse_time(last.time) + timedelta(milliseconds=1))
    while utc_now() <= cutoff:
        pass
    digest = hashlib.sha256(b"secret log").hexdigest()

    code, out, err = project("purge", "--before", cutoff)
    assert (code, out) == (0, "")
    assert "nothing to purge" in err and "no retention period for kind(s) note" in err

    project.configure("\n[retention]\ndefault_days = 0\n")
    code, out, err = project("purge", "--before", cutoff, "--dry-run")
    assert (code, out) == (0, f"{digest}  10  entries 0\n")
    assert "dry run: would purge 1 blob(s), 10 bytes, of 1 entries; nothing was written" in err

    code, out, err = project("purge", "--before", cutoff, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["notes"] == [2] and report["blobs"][0]["sha256"] == digest
    assert "recorded in note entry 2" in err

    settings = load_settings(project.home)
    ledger = open_ledger(settings, writable=False)
    try:
        verified = verify_ledger(ledger.store, load_trust(settings.trust_path), workers=1)
        assert verified.ok and verified.blobs_purged == 1
        body = parse_entry(ledger.store.entry(2).envelope).body  # type: ignore[union-attr]
        assert body["category"] == PURGE_CATEGORY
    finally:
        ledger.store.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--before", "2999-01-01"], "is in the future"),
        (["--before", "soon"], "--before 'soon' is not a date"),
    ],
)
def test_purge_command_usage_errors(project: Project, args: list[str], message: str) -> None:
    code, out, err = project("purge", *args)
    assert (code, out) == (2, "") and message in err


def test_purge_command_bad_config(project: Project) -> None:
    project.configure("\n[retention]\ndefault_days = -3\n")
    code, _, err = project("purge", "--before", "2020-01-01")
    assert code == 1 and "retention.default_days must be a whole number" in err


def test_disclose_command(project: Project, tmp_path: Path) -> None:
    body = {"message": "pay Zoë", "labels": {"ticket": "SEC-7", "team": "ops"}, "detail": [1]}
    committed, fields = commit_fields(body, ["/message", "/labels/ticket", "/detail/0"])
    ledger = project.ledger()
    try:
        seq = ledger.append(AppendRequest("note", committed)).seq
    finally:
        ledger.store.close()
    salts = {f.field: f.salt.hex() for f in fields}
    secrets_ = list(salts.values())

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        code, out, err = project("disclose", *args, stdin=stdin)
        for secret in secrets_:
            assert secret not in out and secret not in err
            assert secret.upper() not in out and secret.upper() not in err
        return code, out, err

    msg = salts["/message"]
    assert run(str(seq), "/message", "--value", '"pay Zoë"', "--salt", msg)[:2] == (0, "match\n")
    assert run(str(seq), "message", "--value", '"pay Zoë"', "--salt", msg.upper())[0] == 0
    code, out, err = run(str(seq), "/message", "--value", '"pay Zoe"', "--salt", msg)
    assert (code, out) == (1, "mismatch\n") and "do not open commitment sha256:" in err
    other = salts["/labels/ticket"]
    assert run(str(seq), "/message", "--value", '"pay Zoë"', "--salt", other)[:2] == (
        1,
        "mismatch\n",
    )
    assert run(str(seq), "/labels/ticket", "--value", '"SEC-7"', "--salt", other)[0] == 0
    assert run(str(seq), "/detail/0", "--value", "1.0", "--salt", salts["/detail/0"])[0] == 0
    code, out, err = run(str(seq), "/labels/team", "--value", '"ops"', "--salt", msg)
    assert (code, out) == (1, "no-commitment\n") and "has no commitment at /labels/team" in err
    code, out, err = run(str(seq), "/nope", "--value", "1", "--salt", msg)
    assert (code, out) == (1, "no-commitment\n") and "has no field /nope" in err

    code, out, _ = run(
        str(seq), "/message", "--value", '"pay Zoë"', "--salt", msg, "--format", "json"
    )
    document = json.loads(out)
    assert code == 0 and document["result"] == "match" and document["seq"] == seq
    assert set(document) == {"seq", "field", "leaf_hash", "commitment", "result", "detail"}

    salt_file = tmp_path / "salt"
    salt_file.write_text(msg + "\n")
    value_file = tmp_path / "value.json"
    value_file.write_text('"pay Zoë"')
    assert (
        run(str(seq), "/message", "--value-file", str(value_file), "--salt-file", str(salt_file))[0]
        == 0
    )
    assert run(str(seq), "/message", "--value", '"pay Zoë"', "--salt-file", "-", stdin=msg)[0] == 0

    usage = [
        ["/message", "--value", '"x"', "--salt", msg[:-2] + "zz"],
        ["/message", "--value", '"x"', "--salt", msg[:10]],
        ["/message", "--value", "{bad", "--salt", msg],
        ["/message", "--value", "NaN", "--salt", msg],
        ["/message", "--salt", msg],
        ["/message", "--value", '"x"'],
        ["/message", "--value", '"x"', "--value-file", str(value_file), "--salt", msg],
        ["/message", "--value-file", "-", "--salt-file", "-"],
        ["/message", "--value-file", str(tmp_path / "absent"), "--salt", msg],
        ["/a~2", "--value", '"x"', "--salt", msg],
    ]
    for args in usage:
        code, out, err = run(str(seq), *args)
        assert (code, out) == (2, ""), (args, err)
    assert run("-1", "/message", "--value", '"x"', "--salt", msg)[0] == 2
    code, _, err = run("99", "/message", "--value", '"x"', "--salt", msg)
    assert code == 1 and "entry 99 does not exist" in err


def test_the_ledger_does_not_read_configuration() -> None:
    """tidegate.ledger depends on no CLI-side module: retention settings are passed in."""
    import ast

    root = Path(__file__).resolve().parents[2] / "src" / "tidegate" / "ledger"
    for module in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not name.startswith(("tidegate.config", "tidegate.home", "tidegate.cli")), (
                    f"{module.name} imports {name}"
                )


class Periods:
    """Retention periods from somewhere other than config.toml."""

    def days_for(self, kind: str) -> int | None:
        return 10 if kind == "note" else None

    def as_json(self) -> dict[str, Any]:
        return {"source": "test", "note": 10}


def test_any_retention_periods_object_is_accepted(timed: Timed) -> None:
    timed.add(NOW - timedelta(days=20), "old", log=b"old bytes")
    result = timed.purge(NOW, retention=Periods())
    assert timed.purged(b"old bytes") == [True]
    note = parse_entry(timed.store.entry(result.notes[0].seq).envelope)  # type: ignore[union-attr]
    assert note.body["purge"]["retention"] == {"source": "test", "note": 10}
    timed.verify()
