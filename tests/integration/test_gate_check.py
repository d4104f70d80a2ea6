"""gate check, why, replay and the policy source on real git repositories and real ledgers.

Calls the Python API (not the CLI) so each test controls the ledger clock, the policy directory
and what is in the ledger; tests/integration/test_gate_e2e.py covers the commands.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import LedgerFixture
from tidegate.diff import Options
from tidegate.errors import UsageError
from tidegate.gate.check import (
    CheckRequest,
    approvals_input,
    build_input,
    check,
    waiver_report,
    waivers_input,
)
from tidegate.gate.patch import analyse_range
from tidegate.gate.policy_source import (
    EMPTY_DIGEST,
    LoadedPolicy,
    default_policy_dir,
    load_policy,
    policy_at_revision,
)
from tidegate.gate.records import Recorded, entries_of, find_decision
from tidegate.gate.reduce import without_changes
from tidegate.gate.replay import ACTION_RANK, parse_since, replay
from tidegate.gate.review import approve
from tidegate.gate.why import explain
from tidegate.ledger.kinds import GATE_APPROVAL, GATE_DECISION, GATE_WAIVER, POLICY_LOADED
from tidegate.ledger.log import AppendRequest
from tidegate.policy.engine import decide
from tidegate.rbac import load_rbac
from tidegate.schemas import schema_errors

DEFAULT_POLICIES = Path(__file__).resolve().parents[2] / "policies"

CHARGE = '''"""Charging customers."""


def charge(amount, currency="USD", retries=3):
    """Charge ``amount`` in ``currency``."""
    if amount <= 0:
        raise ValueError("amount must be positive")
    return {"amount": amount, "currency": currency, "retries": retries}
'''

TEST_TEXT = """from util.text import shout


def test_shout():
    assert shout("a") == "A!"
    assert shout("") == "!"
"""


def git(repo: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


class Shop:
    """A temporary git repository with the default policies committed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True)
        git(root, "init", "-q", "-b", "main")
        git(root, "config", "user.email", "dev@example.com")
        git(root, "config", "user.name", "Dev")
        self.write("src/payments/charge.py", CHARGE)
        self.write("tests/test_text.py", TEST_TEXT)
        self.write("docs/guide.md", "# Guide\n")
        shutil.copytree(DEFAULT_POLICIES, root / "policies")
        self.base = self.commit("initial")

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def commit(self, message: str) -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)
        return git(self.root, "rev-parse", "HEAD")

    def request(self, actor: str = "agent:codex", base: str | None = None) -> CheckRequest:
        return CheckRequest(
            repo=self.root, repository="shop", actor=actor, base=base or self.base, head="HEAD"
        )

    def no_retries(self) -> str:
        self.write("src/payments/charge.py", CHARGE.replace("retries=3", "retries=0"))
        return self.commit("no retries")


@pytest.fixture
def shop(tmp_path: Path) -> Shop:
    return Shop(tmp_path / "shop")


def policy_copy(tmp_path: Path, name: str = "policies") -> Path:
    target = tmp_path / name
    shutil.copytree(DEFAULT_POLICIES, target)
    return target


def edit_rbac(policy_dir: Path, change: Any) -> None:
    path = policy_dir / "data" / "rbac.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


@pytest.fixture(scope="module")
def default_policy() -> LoadedPolicy:
    loaded = load_policy(DEFAULT_POLICIES)
    assert loaded.engine is not None, loaded.error
    return loaded


def recorded_decisions(fixture: LedgerFixture) -> list[Recorded]:
    return list(entries_of(fixture.store, GATE_DECISION))


# --- check: fail closed ----------------------------------------------------------------------


def test_normal_check_records_a_valid_decision_and_input(
    shop: Shop, fresh_ledger: LedgerFixture, default_policy: LoadedPolicy
) -> None:
    shop.no_retries()
    result = check(shop.request(), fresh_ledger.ledger, default_policy)
    assert result.exit_code == 10
    assert result.record["decision"]["action"] == "review"
    assert result.record["error"] is None
    assert schema_errors(result.input_doc, "gate-input") == []
    [recorded] = recorded_decisions(fresh_ledger)
    assert recorded.body == result.record and recorded.seq == result.seq
    assert schema_errors(recorded.body, "ledger/gate.decision") == []
    assert recorded.body["policy"]["digest"] == default_policy.digest
    # The policy that decided is recorded once, with its files as blobs.
    [loaded] = list(entries_of(fresh_ledger.store, POLICY_LOADED))
    assert loaded.body["digest"] == default_policy.digest
    assert set(loaded.blobs) == {f["path"] for f in loaded.body["files"]}
    check(shop.request(), fresh_ledger.ledger, default_policy)
    assert len(list(entries_of(fresh_ledger.store, POLICY_LOADED))) == 1


@pytest.mark.parametrize("fault", ["missing", "bad-yaml", "bad-rego"])
def test_policy_that_fails_to_load_is_recorded_as_a_deny_with_the_error(
    shop: Shop, fresh_ledger: LedgerFixture, tmp_path: Path, fault: str
) -> None:
    policy_dir = tmp_path / "nowhere"
    if fault != "missing":
        policy_dir = policy_copy(tmp_path)
        if fault == "bad-yaml":
            (policy_dir / "data" / "risk.yaml").write_text("bands: [unclosed\n")
        else:
            (policy_dir / "rules.rego").write_text(
                (policy_dir / "rules.rego").read_text() + "\nbad if {\n  x ==\n}\n"
            )
    loaded = load_policy(policy_dir)
    assert loaded.engine is None and loaded.error
    shop.write("docs/guide.md", "# Guide\n\nMore.\n")
    shop.commit("docs")
    result = check(shop.request(), fresh_ledger.ledger, loaded)
    assert result.exit_code == 1
    [recorded] = recorded_decisions(fresh_ledger)
    assert recorded.body["error"] == loaded.error
    decision = recorded.body["decision"]
    assert decision["action"] == "deny"
    assert [r["rule"] for r in decision["reasons"]] == ["engine.error"]
    assert loaded.error in decision["reasons"][0]["message"]
    assert schema_errors(recorded.body, "ledger/gate.decision") == []
    if fault == "missing":
        assert recorded.body["policy"]["digest"] == EMPTY_DIGEST
        assert list(entries_of(fresh_ledger.store, POLICY_LOADED)) == []
    if fault == "bad-rego":
        assert "rules.rego:" in recorded.body["error"]
    # The input is still recorded, so the decision can be explained and replayed.
    assert "input.json" in recorded.blobs


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (
            lambda d: d["roles"]["reviewer"].update(permissions="patches.approve"),
            "rbac.roles.reviewer.permissions",
        ),
        (lambda d: d["actors"]["bob"].update(kind="robot"), "rbac.actors.bob.kind"),
        (
            lambda d: d["actors"]["bob"]["grants"].append({"role": "ghost"}),
            "rbac.actors.bob.grants[1].role",
        ),
    ],
)
def test_bad_rbac_data_fails_closed(
    shop: Shop, fresh_ledger: LedgerFixture, tmp_path: Path, change: Any, where: str
) -> None:
    policy_dir = policy_copy(tmp_path)
    edit_rbac(policy_dir, change)
    loaded = load_policy(policy_dir)
    assert loaded.engine is not None and loaded.error is None  # the bundle itself loads
    shop.write("docs/guide.md", "# Guide\n\nMore.\n")
    shop.commit("docs")  # would be allowed with good data
    result = check(shop.request(), fresh_ledger.ledger, loaded)
    assert result.exit_code == 1
    assert result.record["decision"]["action"] == "deny"
    assert [r["rule"] for r in result.record["decision"]["reasons"]] == ["engine.error"]
    assert result.record["error"].startswith("policy data rbac: ")
    assert where in result.record["error"]
    # Nobody is resolved with broken data: the actor has no roles.
    assert result.record["actor"]["roles"] == []


def test_bad_paths_data_fails_closed(
    shop: Shop, fresh_ledger: LedgerFixture, tmp_path: Path
) -> None:
    policy_dir = policy_copy(tmp_path)
    (policy_dir / "data" / "paths.yaml").write_text("criticality: [{glob: x, level: high}]\n")
    shop.write("docs/guide.md", "# Guide\n\nMore.\n")
    shop.commit("docs")
    result = check(shop.request(), fresh_ledger.ledger, load_policy(policy_dir))
    assert result.record["decision"]["action"] == "deny"
    assert result.record["error"].startswith("policy data paths: ")


# --- check: approvals ------------------------------------------------------------------------


def forge_approval(
    fixture: LedgerFixture, decision: dict[str, Any], approver: str, seq: int
) -> None:
    fixture.ledger.append(
        AppendRequest(
            GATE_APPROVAL,
            {
                "decision_id": decision["decision_id"],
                "decision_seq": seq,
                "patch_digest": decision["subject"]["patch_digest"],
                "repository": "shop",
                "approver": approver,
                "roles": ["reviewer"],
                "author": decision["actor"]["id"],
                "comment": None,
            },
            actor=approver,
        )
    )


def test_approvals_by_the_author_are_not_counted(
    shop: Shop, fresh_ledger: LedgerFixture, default_policy: LoadedPolicy
) -> None:
    shop.no_retries()
    first = check(shop.request(actor="bob"), fresh_ledger.ledger, default_policy)
    assert first.record["decision"]["action"] == "review"
    # approve() refuses the author; a forged entry must not count either.
    forge_approval(fresh_ledger, first.record, "bob", first.seq)
    second = check(shop.request(actor="bob"), fresh_ledger.ledger, default_policy)
    assert second.input_doc["approvals"] == []
    assert second.record["decision"]["action"] == "review"
    assert second.record["decision"]["required_approvals"][0]["satisfied"] == 0
    rbac = load_rbac(default_policy.data["rbac"])
    approve(fresh_ledger.ledger, rbac, second.record["decision_id"], "alice", "ok")
    third = check(shop.request(actor="bob"), fresh_ledger.ledger, default_policy)
    assert [a["actor"] for a in third.input_doc["approvals"]] == ["alice"]
    assert third.record["decision"]["action"] == "canary"


def test_a_revoked_role_no_longer_counts(
    shop: Shop, fresh_ledger: LedgerFixture, default_policy: LoadedPolicy, tmp_path: Path
) -> None:
    shop.no_retries()
    first = check(shop.request(), fresh_ledger.ledger, default_policy)
    rbac = load_rbac(default_policy.data["rbac"])
    approve(fresh_ledger.ledger, rbac, first.record["decision_id"], "bob", None)
    approved = check(shop.request(), fresh_ledger.ledger, default_policy)
    assert approved.record["decision"]["action"] == "canary"
    assert approved.input_doc["approvals"][0]["roles"] == ["reviewer"]

    revoked = policy_copy(tmp_path, "revoked")
    edit_rbac(revoked, lambda d: d["actors"]["bob"].update(grants=[]))
    result = check(shop.request(), fresh_ledger.ledger, load_policy(revoked))
    assert result.input_doc["approvals"] == []
    assert result.record["decision"]["action"] == "review"

    moved = policy_copy(tmp_path, "moved")
    edit_rbac(
        moved,
        lambda d: d["actors"]["bob"].update(
            grants=[{"role": "reviewer", "repositories": ["acme/*"]}]
        ),
    )
    result = check(shop.request(), fresh_ledger.ledger, load_policy(moved))
    assert result.record["decision"]["action"] == "review"

    demoted = policy_copy(tmp_path, "demoted")
    edit_rbac(demoted, lambda d: d["actors"]["bob"].update(grants=[{"role": "agent-runner"}]))
    result = check(shop.request(), fresh_ledger.ledger, load_policy(demoted))
    assert result.input_doc["approvals"][0]["roles"] == ["agent-runner"]
    assert result.record["decision"]["action"] == "review"


def test_approvals_input_keeps_the_latest_per_approver_with_current_roles() -> None:
    rbac = load_rbac(yaml.safe_load((DEFAULT_POLICIES / "data" / "rbac.yaml").read_text()))

    def record(seq: int, approver: str, comment: str) -> Recorded:
        body = {"approver": approver, "decision_id": f"dec-{seq}", "comment": comment}
        return Recorded(seq, f"2030-01-0{seq}T00:00:00.000Z", approver, body, {})

    records = [
        record(1, "bob", "first"),
        record(2, "agent:codex", "mine"),
        record(3, "nobody", "who?"),
        record(4, "bob", "second"),
        record(5, "alice", "fine"),
    ]
    result = approvals_input(records, "agent:codex", rbac, "shop")
    assert result == [
        {
            "id": "5",
            "actor": "alice",
            "roles": ["reviewer", "senior-reviewer"],
            "decision_id": "dec-5",
            "time": "2030-01-05T00:00:00.000Z",
            "comment": "fine",
        },
        {
            "id": "4",
            "actor": "bob",
            "roles": ["reviewer"],
            "decision_id": "dec-4",
            "time": "2030-01-04T00:00:00.000Z",
            "comment": "second",
        },
    ]


# --- check: waivers --------------------------------------------------------------------------


def test_waivers_input_and_report() -> None:
    now = datetime(2030, 6, 15, tzinfo=UTC)

    def record(waiver_id: str, expires: Any) -> Recorded:
        body = {
            "waiver_id": waiver_id,
            "rule": "tests.weakened",
            "path": "tests/**",
            "symbol": None,
            "patch_digest": None,
            "expires": expires,
            "reason": "r",
        }
        return Recorded(1, "2030-01-01T00:00:00.000Z", "sec-sam", body, {})

    waivers = waivers_input(
        [
            record("w-active", "2030-07-01"),
            record("w-old", "2030-01-01"),
            record("w-bad", "soon"),
            record("w-unused", "2031-01-01"),
        ],
        now,
    )
    assert [(w["id"], w["status"]) for w in waivers] == [
        ("w-active", "active"),
        ("w-old", "expired"),
        ("w-bad", "malformed"),
        ("w-unused", "active"),
    ]
    assert waivers[0]["actor"] == "sec-sam" and waivers[0]["expires"] == "2030-07-01"
    report = waiver_report(
        {"waivers": waivers}, {"waived": [{"waiver": "w-active"}, {"waiver": "w-active"}]}
    )
    assert report == {
        "applied": ["w-active"],
        "expired": ["w-bad", "w-old"],
        "unused": ["w-unused"],
    }
    assert waiver_report({}, {}) == {"applied": [], "expired": [], "unused": []}


def test_waivers_are_read_at_the_ledger_clock(
    shop: Shop, fresh_ledger: LedgerFixture, default_policy: LoadedPolicy
) -> None:
    shop.write("tests/test_text.py", TEST_TEXT.replace('    assert shout("") == "!"\n', ""))
    shop.commit("drop an assertion")
    fresh_ledger.ledger.append(
        AppendRequest(
            GATE_WAIVER,
            {
                "waiver_id": "wvr-" + "1" * 20,
                "rule": "tests.weakened",
                "path": "tests/**",
                "symbol": None,
                "patch_digest": None,
                "repository": "shop",
                "expires": "2030-06-15",
                "reason": "legacy",
            },
            actor="sec-sam",
        )
    )
    fresh_ledger.ledger.clock = lambda: "2030-06-15T23:00:00.000Z"
    active = check(shop.request(), fresh_ledger.ledger, default_policy)
    assert active.record["waivers"]["applied"] == ["wvr-" + "1" * 20]
    assert "tests.weakened" not in {r["rule"] for r in active.record["decision"]["reasons"]}
    fresh_ledger.ledger.clock = lambda: "2030-06-16T00:00:00.000Z"
    expired = check(shop.request(), fresh_ledger.ledger, default_policy)
    assert expired.record["waivers"] == {
        "applied": [],
        "expired": ["wvr-" + "1" * 20],
        "unused": [],
    }
    assert "tests.weakened" in {r["rule"] for r in expired.record["decision"]["reasons"]}


# --- build_input / reduce on a real input ----------------------------------------------------


def test_build_input_is_valid_and_reduces_back_to_itself(
    shop: Shop, fresh_ledger: LedgerFixture, default_policy: LoadedPolicy
) -> None:
    shop.no_retries()
    shop.write("tests/test_text.py", TEST_TEXT.replace('    assert shout("") == "!"\n', ""))
    shop.commit("more")
    result = check(shop.request(), fresh_ledger.ledger, default_policy)
    document = result.input_doc
    assert schema_errors(document, "gate-input") == []
    assert document["actor"] == {
        "id": "agent:codex",
        "kind": "agent",
        "roles": ["agent-runner"],
        "permissions": ["agents.run"],
    }
    assert (
        document["subject"]["patch_digest"]
        == analyse_range(shop.root, shop.base, "HEAD", Options()).digest
    )
    assert without_changes(document, set()) == document
    weakened = document["features"]["tests_weakened"]["changes"]
    assert weakened
    reduced = without_changes(document, set(weakened))
    assert reduced["features"]["tests_weakened"]["count"] == 0
    assert schema_errors(reduced, "gate-input") == []


def test_build_input_uses_the_ledger_for_approvals_and_waivers(
    shop: Shop, fresh_ledger: LedgerFixture, default_policy: LoadedPolicy
) -> None:
    shop.no_retries()
    request = shop.request()
    patch = analyse_range(shop.root, shop.base, "HEAD", Options())
    rbac = load_rbac(default_policy.data["rbac"])
    identity = rbac.resolve("agent:codex", "shop")
    from tidegate.risk.paths import path_rules

    paths = path_rules(default_policy.data["paths"])
    empty = build_input(request, patch, identity, paths, fresh_ledger.ledger, rbac)
    assert empty["approvals"] == [] and empty["waivers"] == [] and empty["run"] is None
    first = check(request, fresh_ledger.ledger, default_policy)
    approve(fresh_ledger.ledger, rbac, first.record["decision_id"], "bob", None)
    with_approval = build_input(request, patch, identity, paths, fresh_ledger.ledger, rbac)
    assert [a["actor"] for a in with_approval["approvals"]] == ["bob"]
    with pytest.raises(UsageError, match=r"run run-x has no run\.finished entry"):
        build_input(
            CheckRequest(
                repo=shop.root,
                repository="shop",
                actor="agent:codex",
                base=shop.base,
                run_id="run-x",
            ),
            patch,
            identity,
            paths,
            fresh_ledger.ledger,
            rbac,
        )


# --- why on recorded decisions ---------------------------------------------------------------


def purge(fixture: LedgerFixture, digests: list[str]) -> None:
    with fixture.store.write() as tx:
        tx.purge_blobs(digests, "2030-01-01T00:00:00.000Z")


def test_explain_a_recorded_decision(
    shop: Shop, fresh_ledger: LedgerFixture, default_policy: LoadedPolicy
) -> None:
    shop.no_retries()
    result = check(shop.request(), fresh_ledger.ledger, default_policy)
    rbac = load_rbac(default_policy.data["rbac"])
    approve(fresh_ledger.ledger, rbac, result.record["decision_id"], "bob", "fine")
    why = explain(fresh_ledger.store, result.record["decision_id"], default_policy)
    assert schema_errors(why, "gate-why") == []
    assert why["seq"] == result.seq and why["action"] == "review"
    assert why["rules"] == result.record["decision"]["reasons"]
    assert [p["actor"] for p in why["approvals"]["present"]] == ["bob"]
    assert {f["feature"] for f in why["features"]} == set(result.input_doc["features"])
    counterfactual = why["counterfactual"]
    assert counterfactual["note"] == "re-evaluated with the policy that decided (same digests)"
    assert counterfactual["exhaustive"] is True
    assert [r["kind"] for r in counterfactual["remove"]] == ["function.param.default_changed"]
    assert ACTION_RANK[counterfactual["lowered_to"]] < ACTION_RANK["review"]


def test_explain_uses_the_recorded_policy_when_it_changed_since(
    shop: Shop, fresh_ledger: LedgerFixture, tmp_path: Path
) -> None:
    policy_dir = policy_copy(tmp_path)
    original = load_policy(policy_dir)
    shop.no_retries()
    result = check(shop.request(), fresh_ledger.ledger, original)
    assert result.record["decision"]["action"] == "review"
    # The policy changes after the decision: everything at or above 0 is now critical (deny),
    # so nothing could be lowered under the current policy.
    risk = policy_dir / "data" / "risk.yaml"
    risk.write_text(risk.read_text().replace("min: 750", "min: 0"))
    current = load_policy(policy_dir)
    assert current.engine is not None and current.data_digest != original.data_digest
    assert decide(current.engine, result.input_doc).decision["action"] == "deny"
    [loaded] = list(entries_of(fresh_ledger.store, POLICY_LOADED))
    why = explain(fresh_ledger.store, result.record["decision_id"], current)
    assert schema_errors(why, "gate-why") == []
    counterfactual = why["counterfactual"]
    assert "recorded policy" in counterfactual["note"]
    assert f"(entry {loaded.seq})" in counterfactual["note"]
    assert [r["kind"] for r in counterfactual["remove"]] == ["function.param.default_changed"]
    assert counterfactual["lowered_to"] in ("allow", "canary")


def test_explain_falls_back_to_the_current_policy_when_the_recorded_one_is_purged(
    shop: Shop, fresh_ledger: LedgerFixture, tmp_path: Path, default_policy: LoadedPolicy
) -> None:
    policy_dir = policy_copy(tmp_path)
    shop.no_retries()
    result = check(shop.request(), fresh_ledger.ledger, load_policy(policy_dir))
    [loaded] = list(entries_of(fresh_ledger.store, POLICY_LOADED))
    purge(fresh_ledger, [loaded.blobs["rules.rego"]])
    (policy_dir / "rules.rego").write_text((policy_dir / "rules.rego").read_text() + "\n# edited\n")
    current = load_policy(policy_dir)
    why = explain(fresh_ledger.store, result.record["decision_id"], current)
    assert schema_errors(why, "gate-why") == []
    note = why["counterfactual"]["note"]
    assert "is not recoverable from the ledger" in note
    assert current.digest[:12] in note


def test_explain_when_the_input_was_purged(
    shop: Shop, fresh_ledger: LedgerFixture, default_policy: LoadedPolicy
) -> None:
    shop.no_retries()
    result = check(shop.request(), fresh_ledger.ledger, default_policy)
    record = find_decision(fresh_ledger.store, result.record["decision_id"])
    purge(fresh_ledger, [record.blobs["input.json"]])
    why = explain(fresh_ledger.store, result.record["decision_id"], default_policy)
    assert schema_errors(why, "gate-why") == []
    assert why["features"] == []
    assert why["rules"] == result.record["decision"]["reasons"]
    assert why["counterfactual"] == {
        "lowered_to": None,
        "remove": [],
        "searched": 0,
        "exhaustive": False,
        "note": "the decision's input was purged; it cannot be re-evaluated",
    }


def test_explain_without_any_engine(
    shop: Shop, fresh_ledger: LedgerFixture, tmp_path: Path
) -> None:
    shop.no_retries()
    broken = load_policy(tmp_path / "nowhere")
    result = check(shop.request(), fresh_ledger.ledger, broken)
    why = explain(fresh_ledger.store, result.record["decision_id"], broken)
    assert schema_errors(why, "gate-why") == []
    assert why["error"] == broken.error
    assert why["counterfactual"]["note"].startswith("the gate failed closed (")
    assert why["counterfactual"]["remove"] == []


def test_explain_of_a_fail_closed_decision_does_not_blame_the_changes(
    shop: Shop, fresh_ledger: LedgerFixture, tmp_path: Path, default_policy: LoadedPolicy
) -> None:
    # Broken paths data: the gate fails closed, but the actor is resolved (rbac is fine).
    broken_dir = policy_copy(tmp_path, "broken-paths")
    (broken_dir / "data" / "paths.yaml").write_text("criticality: [{glob: x, level: high}]\n")
    shop.no_retries()
    result = check(shop.request(), fresh_ledger.ledger, load_policy(broken_dir))
    assert result.record["decision"]["action"] == "deny"
    assert result.record["error"].startswith("policy data paths: ")
    # The current policy alone, with every change kept, already decides below deny: the
    # deny was the engine fault, no change caused it.
    assert default_policy.engine is not None
    baseline = decide(default_policy.engine, result.input_doc).decision["action"]
    assert ACTION_RANK[baseline] < ACTION_RANK["deny"]
    why = explain(fresh_ledger.store, result.record["decision_id"], default_policy)
    assert why["counterfactual"]["remove"] == []


# --- replay ----------------------------------------------------------------------------------


def test_replay_since_and_purged_inputs(
    shop: Shop, fresh_ledger: LedgerFixture, default_policy: LoadedPolicy, tmp_path: Path
) -> None:
    shop.no_retries()
    ledger = fresh_ledger.ledger
    ledger.clock = lambda: "2030-01-01T10:00:00.000Z"
    old = check(shop.request(), ledger, default_policy)
    ledger.clock = lambda: "2030-02-01T10:00:00.000Z"
    # Another author: another input blob (identical inputs share one blob).
    middle = check(shop.request(actor="alice"), ledger, default_policy)
    ledger.clock = lambda: "2030-03-01T10:00:00.000Z"
    new = check(shop.request(), ledger, default_policy)
    purge(
        fresh_ledger,
        [find_decision(fresh_ledger.store, middle.record["decision_id"]).blobs["input.json"]],
    )

    stricter = policy_copy(tmp_path, "stricter")
    risk = stricter / "data" / "risk.yaml"
    risk.write_text(risk.read_text().replace("min: 750", "min: 300"))
    engine = load_policy(stricter).engine
    assert engine is not None

    seen: list[int] = []
    report = replay(fresh_ledger.store, engine, progress=seen.append)
    assert report.replayed == 2 and seen == [1, 2]
    assert [f.decision_id for f in report.flips] == [
        old.record["decision_id"],
        new.record["decision_id"],
    ]
    assert report.flips[0].as_json()["direction"] == "stricter"
    assert (report.flips[0].recorded, report.flips[0].now) == ("review", "deny")
    [skipped] = report.skipped
    assert skipped["decision_id"] == middle.record["decision_id"]
    assert skipped["seq"] == middle.seq and "purged" in skipped["why"]

    since = replay(fresh_ledger.store, engine, since=parse_since("2030-02-01"))
    assert [f.decision_id for f in since.flips] == [new.record["decision_id"]]
    assert [s["decision_id"] for s in since.skipped] == [middle.record["decision_id"]]
    later = replay(fresh_ledger.store, engine, since=parse_since("2030-03-01T10:00:00.001Z"))
    assert later.as_json() == {"replayed": 0, "unchanged": 0, "changed": [], "skipped": []}

    same = replay(fresh_ledger.store, default_policy.engine)  # type: ignore[arg-type]
    assert (same.replayed, same.unchanged, same.flips) == (2, 2, [])


def test_parse_since() -> None:
    assert parse_since("2030-02-01") == datetime(2030, 2, 1, tzinfo=UTC)
    assert parse_since("2030-02-01T05:00:00+05:00") == datetime(2030, 2, 1, tzinfo=UTC)
    for bad in ("yesterday", "2030-02-01T00:00:00", "2030-13-01"):
        with pytest.raises(UsageError, match="--since"):
            parse_since(bad)


# --- policy source ---------------------------------------------------------------------------


def test_policy_at_revision_reads_the_base_not_the_working_tree(shop: Shop, tmp_path: Path) -> None:
    rules = shop.root / "policies" / "rules.rego"
    base_text = rules.read_text()
    rules.write_text(base_text + "\n# committed later\n")
    shop.commit("edit policy")
    rules.write_text(base_text + "\n# not committed\n")
    extracted = policy_at_revision(shop.root, shop.base, tmp_path / "scratch")
    assert extracted == tmp_path / "scratch" / "policies"
    assert (extracted / "rules.rego").read_text() == base_text
    assert load_policy(extracted).digest == load_policy(DEFAULT_POLICIES).digest
    head = policy_at_revision(shop.root, "HEAD", tmp_path / "scratch-head")
    assert head is not None and (head / "rules.rego").read_text().endswith("# committed later\n")


def test_policy_at_revision_without_policies_is_none(tmp_path: Path) -> None:
    root = tmp_path / "bare"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    (root / "README").write_text("x\n")
    (root / "policies.txt").write_text("not a directory\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    assert policy_at_revision(root, "HEAD", tmp_path / "scratch") is None
    assert policy_at_revision(root, "no-such-revision", tmp_path / "scratch") is None
    assert not (tmp_path / "scratch" / "policies").exists()
    # Without its own policies/, the repository is judged by tidegate's defaults.
    assert default_policy_dir(root) == DEFAULT_POLICIES
    (root / "policies").mkdir()
    assert default_policy_dir(root) == root / "policies"


def test_loaded_policy_of_an_unreadable_directory(tmp_path: Path) -> None:
    loaded = load_policy(tmp_path / "nowhere")
    assert loaded.bundle is None and loaded.engine is None and loaded.error
    assert loaded.digest == loaded.data_digest == EMPTY_DIGEST
    assert loaded.data == {}
    info = loaded.engine_info()
    assert (info.name, info.version) == ("embedded", "unavailable")
    unreachable = load_policy(tmp_path / "nowhere", opa_url="http://127.0.0.1:9")
    assert unreachable.engine_info().name == "opa"


def test_approval_entries_are_valid_json_documents(
    shop: Shop, fresh_ledger: LedgerFixture, default_policy: LoadedPolicy
) -> None:
    shop.no_retries()
    result = check(shop.request(), fresh_ledger.ledger, default_policy)
    approve(
        fresh_ledger.ledger,
        load_rbac(default_policy.data["rbac"]),
        result.record["decision_id"],
        "alice",
        None,
    )
    [record] = list(entries_of(fresh_ledger.store, GATE_APPROVAL))
    assert json.loads(json.dumps(record.body))["roles"] == ["reviewer"]
