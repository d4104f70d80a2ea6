"""The gate's reports: every format of `gate check` and `gate why` on hand-built decisions.

The sample documents in tests/data/gate are valid against the schemas (checked here), so the
reports are tested on the shapes the checker really records. SARIF is validated against the
official SARIF 2.1.0 schema (vendored), plus what GitHub code scanning requires on top.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator
from markdown_it import MarkdownIt

from tidegate.gate.render import SARIF_FINGERPRINT, render_check, render_why
from tidegate.schemas import schema_errors

DATA = Path(__file__).resolve().parents[1] / "data"
GATE = DATA / "gate"

# name -> (record, input, seq, action, exit code)
CASES = {
    "review": ("decision-review.json", "input-review.json", 58, "review", 10),
    "deny": ("decision-deny.json", "input-deny.json", None, "deny", 20),
    "canary": ("decision-canary.json", "input-canary.json", 7, "canary", 0),
    "error": ("decision-error.json", "input-review.json", 3, "deny", 1),
}
HOSTILE_NAMES = [
    "<img src=x onerror=alert(1)>.py",
    "a|b|c.py",
    "@admin/owned.py",
    "evil`code`.py",
    "line1\nline2\r\n## heading.py",
    "[click](https://evil.example)/x.py",
    "&lt;script&gt;.py",
]


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((GATE / name).read_text())
    return document


def case(name: str) -> tuple[dict[str, Any], dict[str, Any], int | None]:
    record, input_doc, seq, _, _ = CASES[name]
    return load(record), load(input_doc), seq


@cache
def sarif_validator() -> Draft7Validator:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def sarif_errors(text: str) -> list[str]:
    log = json.loads(text)
    return [f"{list(e.absolute_path)}: {e.message}" for e in sarif_validator().iter_errors(log)]


def markdown_html(text: str) -> str:
    # GitHub renders comments as GFM with (sanitised) HTML allowed: html=True is the worse case.
    html: str = (
        MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(text)
    )
    return html


def hostile(record: dict[str, Any], input_doc: dict[str, Any], name: str) -> None:
    """Put ``name`` wherever a patch or policy controls a string of the review sample."""
    reason = record["decision"]["reasons"][1]
    reason["message"] = f"weakened {name}"
    reason["evidence"][0]["file"] = name
    reason["evidence"][0]["symbol"] = f"sym {name}"
    record["decision"]["waived"][0]["message"] = name
    for kind in input_doc["change"]["kinds"]:
        kind["file"] = name
        kind["symbol"] = name
        kind["description"] = f"changed {name}"
    input_doc["change"]["unparsed"][0]["path"] = name


# -- sample documents ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("input-review.json", "gate-input"),
        ("input-deny.json", "gate-input"),
        ("input-canary.json", "gate-input"),
        ("decision-review.json", "ledger/gate.decision"),
        ("decision-deny.json", "ledger/gate.decision"),
        ("decision-canary.json", "ledger/gate.decision"),
        ("decision-error.json", "ledger/gate.decision"),
        ("why-review.json", "gate-why"),
    ],
)
def test_sample_documents_match_their_schemas(name: str, schema: str) -> None:
    assert schema_errors(load(name), schema) == []


def test_why_schema_rejects_a_malformed_counterfactual_and_unknown_fields() -> None:
    why = load("why-review.json")
    why["counterfactual"]["lowered_to"] = "maybe"
    assert any("counterfactual" in e for e in schema_errors(why, "gate-why"))
    why = load("why-review.json")
    why["extra"] = 1
    assert schema_errors(why, "gate-why")
    why = load("why-review.json")
    why["counterfactual"] = None
    why["features"] = []
    assert schema_errors(why, "gate-why") == []


def test_unknown_formats_are_refused() -> None:
    record, input_doc, seq = case("review")
    with pytest.raises(ValueError, match="unknown report format"):
        render_check(record, input_doc, "html", seq=seq)
    with pytest.raises(ValueError, match="unknown why format"):
        render_why(load("why-review.json"), "markdown")


# -- text ---------------------------------------------------------------------------------


def test_text_review_reads_top_down_and_ends_with_the_ledger_entry() -> None:
    record, input_doc, seq = case("review")
    lines = render_check(record, input_doc, "text", seq=seq).splitlines()
    assert lines[0] == "REVIEW REQUIRED  dec-0a1b2c3d4e5f60718293  risk 511/1000 (high)"
    reasons = [line for line in lines if line.startswith("  review ")]
    # tests.weakened (high) is more severe than risk.band (medium).
    assert [r.split()[1] for r in reasons] == ["tests.weakened", "risk.band"]
    assert "      tests/test_session.py:31 test_expired_token (assertion.removed)" in lines
    assert "  reviewer: 1/2 approved, 1 more needed (rules: tests.weakened)" in lines
    assert "  senior-reviewer: 1/1 approved, satisfied (rules: risk.band)" in lines
    assert (
        "waivers: applied wvr-77aa00bb11cc22dd33ee; expired wvr-0011aa22bb33cc44dd55; unused none"
        in lines
    )
    assert "rollout: manual promotion, first step 5%" in lines
    assert lines[-1] == "ledger: entry 58; ask why: tidegate gate why dec-0a1b2c3d4e5f60718293"


def test_text_deny_puts_deny_reasons_first_and_says_when_unrecorded() -> None:
    record, input_doc, seq = case("deny")
    lines = render_check(record, input_doc, "text", seq=seq).splitlines()
    assert lines[0].startswith("DENIED  dec-ffee0011223344556677  risk 812/1000 (critical)")
    reasons = lines[lines.index("reasons:") + 1 :]
    actions = [line.split()[0] for line in reasons if line.startswith("  ") and "[" in line]
    assert actions == ["deny", "deny", "review"]
    changes = lines[lines.index("changes (most significant first):") + 1 :]
    assert changes[0].startswith("  src/config.py:12 API_TOKEN  secret.added [crucial]: ")
    assert "      src/config.py:12 API_TOKEN (secret.added)" in lines
    assert "rollout: none" in lines
    assert lines[-1] == "ledger: not recorded"


def test_text_canary_and_error() -> None:
    record, input_doc, seq = case("canary")
    text = render_check(record, input_doc, "text", seq=seq)
    assert text.startswith("CANARY  dec-1234567890abcdef1234  risk 41/1000 (low)\n")
    assert "rollout: automatic canary at 5%, then full\n" in text
    assert "unused wvr-aaaaaaaaaaaaaaaaaaaa" in text
    record, input_doc, seq = case("error")
    lines = render_check(record, input_doc, "text", seq=seq).splitlines()
    assert lines[0].startswith("DENIED (gate error)  dec-e0e0e0e0e0e0e0e0e0e0")
    assert lines[2] == "error: policies/gate.rego:14: rego_type_error: undefined function count_x"


def test_text_keeps_hostile_strings_on_one_line_without_escape_sequences() -> None:
    record, input_doc, seq = case("review")
    hostile(record, input_doc, "x\x1b[31mred\x1b[0m\nFAKE LINE\u202egnp.py")
    text = render_check(record, input_doc, "text", seq=seq)
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert not any(line.startswith("FAKE LINE") for line in text.splitlines())


# -- json ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_json_is_stable_parseable_and_carries_the_exit_code(name: str) -> None:
    record, input_doc, seq = case(name)
    text = render_check(record, input_doc, "json", seq=seq)
    assert text.endswith("}\n")
    assert text == render_check(copy.deepcopy(record), input_doc, "json", seq=seq)
    document = json.loads(text)
    assert text == json.dumps(document, sort_keys=True, indent=2) + "\n"
    assert set(document) == {
        "version", "decision_id", "seq", "action", "exit_code", "error", "risk",
        "input_digest", "why", "record",
    }  # fmt: skip
    _, _, _, action, exit_code = CASES[name]
    assert document["version"] == 1
    assert document["action"] == action
    assert document["exit_code"] == exit_code
    assert document["seq"] == seq
    assert document["record"] == record
    assert document["input_digest"] == record["input_digest"]
    assert document["why"] == f"tidegate gate why {record['decision_id']}"
    assert document["error"] == record["error"]


# -- markdown -----------------------------------------------------------------------------


def test_markdown_review_comment_has_every_section_in_order() -> None:
    record, input_doc, seq = case("review")
    text = render_check(record, input_doc, "markdown", seq=seq)
    assert (
        "**Review required** \u00b7 risk 511/1000 (high) \u00b7 decision "
        "`dec-0a1b2c3d4e5f60718293`" in text
    )
    headers = [line for line in text.splitlines() if line.startswith("#### ")]
    assert headers == ["#### What changed", "#### Why", "#### Risk breakdown", "#### To proceed"]
    assert "3 files changed, +42 \u221215 lines, 4 semantic changes (1 crucial, 1 high" in text
    # The most significant change comes first in the table.
    rows = [
        line for line in text.splitlines() if line.startswith("| `src") or line.startswith("| `t")
    ]
    assert rows[0].startswith("| `src/auth/session.py:52` | `check_token` | `condition.changed`")
    assert "| `semantic_risk` | 900 | 25 | 225 |" in text
    assert "| **Score** (high) | | | **511** |" in text
    assert "1 more approval by a `reviewer` (1/2 so far; asked by `tests.weakened`)" in text
    assert "`tidegate gate approve dec-0a1b2c3d4e5f60718293 --actor <you>`" in text
    assert "Waived: `unparsed.critical` by waiver `wvr-77aa00bb11cc22dd33ee`" in text
    footer = text.splitlines()[-1]
    assert footer.startswith("<sub>tidegate ")
    for part in ("policy `aa11bb22cc33`", "input `c0ffee00c0ff`", "ledger seq 58", "embedded"):
        assert part in footer
    html = markdown_html(text)
    assert html.count("<table>") == 2


def test_markdown_deny_canary_and_error_say_what_to_do() -> None:
    record, input_doc, seq = case("deny")
    text = render_check(record, input_doc, "markdown", seq=seq)
    assert text.splitlines()[2].startswith("**Denied** \u00b7 risk 812/1000 (critical)")
    assert "This patch is denied" in text
    assert "tidegate gate waive RULE --patch 7d3e9f1a" in text
    assert "gate approve" not in text
    assert "not recorded in the ledger" in text
    record, input_doc, seq = case("canary")
    text = render_check(record, input_doc, "markdown", seq=seq)
    assert "**Allowed with canary**" in text
    assert "Nothing: the patch may proceed through a canary rollout." in text
    assert "**Rollout:** automatic canary at 5%, then full" in text
    record, input_doc, seq = case("error")
    text = render_check(record, input_doc, "markdown", seq=seq)
    assert "**Denied: the gate failed closed**" in text
    assert "> Gate error: policies/gate\\.rego\\:14\\: rego\\_type\\_error" in text
    assert "failed closed" in text


def test_markdown_caps_long_change_tables() -> None:
    record, input_doc, seq = case("review")
    template = input_doc["change"]["kinds"][0]
    input_doc["change"]["kinds"] = [
        {**template, "id": f"c{i}", "line": i + 1, "file": f"src/m{i:02d}.py"} for i in range(25)
    ]
    text = render_check(record, input_doc, "markdown", seq=seq)
    rows = [line for line in text.splitlines() if line.startswith("| `src/m")]
    assert len(rows) == 10
    assert "_and 15 more_" in text


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_markdown_neutralises_hostile_file_names(name: str) -> None:
    record, input_doc, seq = case("review")
    hostile(record, input_doc, name)
    text = render_check(record, input_doc, "markdown", seq=seq)
    html = markdown_html(text)
    assert "<img" not in html
    assert "<a " not in html
    assert "<h2" not in html
    assert re.search(r"@(admin|org)", html) is None
    assert "&lt;script" not in text.replace("&amp;lt;script", "")
    # Every table row still has exactly its columns.
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        assert row.count("<td") in (0, 4, 5)
    assert "</table>" in html
    # No line of user text escaped its bullet or table row.
    for line in text.splitlines():
        assert not line.startswith(("line2", "## heading", "FAKE"))


# -- sarif --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_sarif_is_valid_and_fit_for_github_code_scanning(name: str) -> None:
    record, input_doc, seq = case(name)
    text = render_check(record, input_doc, "sarif", seq=seq)
    assert sarif_errors(text) == []
    log = json.loads(text)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "tidegate"
    assert driver["informationUri"].startswith("https://")
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        # Code scanning rejects a result without a location.
        assert len(result["locations"]) == 1
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not physical["artifactLocation"]["uri"].startswith("/")
        if "region" in physical:
            assert physical["region"]["startLine"] >= 1
        assert result["partialFingerprints"][SARIF_FINGERPRINT]
    assert run["invocations"][0]["executionSuccessful"] is (record["error"] is None)
    assert text == render_check(record, input_doc, "sarif", seq=seq)


def test_sarif_levels_locations_and_suppressions() -> None:
    record, input_doc, seq = case("deny")
    run = json.loads(render_check(record, input_doc, "sarif", seq=seq))["runs"][0]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["secret.added"]["level"] == "error"
    assert by_rule["agent.sensitive_files"]["level"] == "warning"
    secret = by_rule["secret.added"]["locations"][0]
    assert secret["physicalLocation"]["artifactLocation"]["uri"] == "src/config.py"
    assert secret["physicalLocation"]["region"] == {"startLine": 12}
    assert secret["logicalLocations"] == [{"fullyQualifiedName": "API_TOKEN"}]
    # risk.band has no evidence: anchored at the first changed file, without a region.
    band = by_rule["risk.band"]
    assert band["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "src/config.py", "uriBaseId": "%SRCROOT%"}
    }
    assert band["properties"]["anchored"] is True
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["secret.added"]["defaultConfiguration"]["level"] == "error"
    assert "action:deny" in rules["secret.added"]["properties"]["tags"]

    record, input_doc, seq = case("review")
    run = json.loads(render_check(record, input_doc, "sarif", seq=seq))["runs"][0]
    (waived,) = [r for r in run["results"] if "suppressions" in r]
    assert waived["ruleId"] == "unparsed.critical"
    (suppression,) = waived["suppressions"]
    assert suppression["kind"] == "external"
    assert "wvr-77aa00bb11cc22dd33ee by carol" in suppression["justification"]
    assert "binary assets are reviewed by design" in suppression["justification"]
    assert [r["level"] for r in run["results"] if "suppressions" not in r] == ["warning"] * 2

    record, input_doc, seq = case("canary")
    run = json.loads(render_check(record, input_doc, "sarif", seq=seq))["runs"][0]
    assert [r["level"] for r in run["results"]] == ["note"]


def test_sarif_error_record_reports_a_failed_invocation() -> None:
    record, input_doc, seq = case("error")
    run = json.loads(render_check(record, input_doc, "sarif", seq=seq))["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["exitCode"] == 1
    assert "rego_type_error" in invocation["toolExecutionNotifications"][0]["message"]["text"]
    assert [r["ruleId"] for r in run["results"]] == ["engine.error"]


def test_sarif_fingerprints_depend_on_rule_file_and_symbol_only() -> None:
    record, input_doc, seq = case("deny")

    def fingerprints(rec: dict[str, Any]) -> dict[str, str]:
        run = json.loads(render_check(rec, input_doc, "sarif", seq=seq))["runs"][0]
        return {r["ruleId"]: r["partialFingerprints"][SARIF_FINGERPRINT] for r in run["results"]}

    before = fingerprints(record)
    moved = copy.deepcopy(record)
    moved["decision"]["reasons"][1]["evidence"][0]["line"] = 40
    moved["decision"]["reasons"][1]["message"] = "reworded"
    assert fingerprints(moved) == before
    renamed = copy.deepcopy(record)
    renamed["decision"]["reasons"][1]["evidence"][0]["file"] = "src/other.py"
    assert fingerprints(renamed)["secret.added"] != before["secret.added"]


def test_sarif_uris_are_percent_encoded_relative_references() -> None:
    record, input_doc, seq = case("review")
    hostile(record, input_doc, "/dir with space/a#b?c%d:e.py")
    run = json.loads(render_check(record, input_doc, "sarif", seq=seq))["runs"][0]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert "dir%20with%20space/a%23b%3Fc%25d%3Ae.py" in uris


# -- github -------------------------------------------------------------------------------


def test_github_annotations_for_a_denied_patch() -> None:
    record, input_doc, _ = case("deny")
    lines = render_check(record, input_doc, "github", seq=9).splitlines()
    assert lines == [
        "::error title=tidegate risk.band::risk 812/1000 is in the critical band",
        "::error file=src/config.py,line=12,title=tidegate secret.added::"
        "a secret was added (API_TOKEN, secret.added)",
        "::warning file=.github/workflows/ci.yml,line=9,title=tidegate agent.sensitive_files::"
        "an agent changed CI configuration (jobs.test.permissions, config.value_changed)",
        "::notice title=tidegate gate::DENIED dec-ffee0011223344556677 risk 812/1000 (critical); "
        "3 reasons, 0 waived; security 0/1 approvals; ledger entry 9; "
        "ask why: tidegate gate why dec-ffee0011223344556677",
    ]


def test_github_review_canary_and_error() -> None:
    record, input_doc, seq = case("review")
    lines = render_check(record, input_doc, "github", seq=seq).splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["::warning", "::warning", "::notice"]
    assert "reviewer 1/2 approvals" in lines[-1]
    record, input_doc, seq = case("canary")
    lines = render_check(record, input_doc, "github", seq=seq).splitlines()
    assert lines[0] == "::notice title=tidegate risk.band::risk 41/1000 is in the low band"
    record, input_doc, seq = case("error")
    lines = render_check(record, input_doc, "github", seq=seq).splitlines()
    assert lines[0].startswith("::error title=tidegate engine.error::policies/gate.rego:14")
    assert lines[-1].startswith("::notice title=tidegate gate::DENIED (gate error)")


def test_github_escapes_data_and_properties() -> None:
    record, input_doc, seq = case("review")
    reason = record["decision"]["reasons"][1]
    reason["message"] = "100% broken\r\n::error::injected"
    reason["evidence"][0]["file"] = "a,b:c%d.py"
    lines = render_check(record, input_doc, "github", seq=seq).splitlines()
    assert lines[0] == (
        "::warning file=a%2Cb%3Ac%25d.py,line=31,title=tidegate tests.weakened::"
        "100%25 broken%0D%0A::error::injected (test_expired_token, assertion.removed)"
    )
    assert len(lines) == 3


# -- why ----------------------------------------------------------------------------------


def test_why_text_has_its_sections_with_evidence_points_and_the_counterfactual() -> None:
    text = render_why(load("why-review.json"), "text")
    sections = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert sections == [
        "Outcome",
        "Rules that fired",
        "Risk features",
        "Approvals",
        "What would lower it",
    ]
    lines = text.splitlines()
    assert lines[1] == "  REVIEW REQUIRED  dec-0a1b2c3d4e5f60718293  risk 511/1000 (high)"
    assert "          tests/test_session.py:31 test_expired_token (assertion.removed)" in lines
    assert "          needs 2 approval(s) by reviewer, then canary" in lines
    feature_rows = [line.split() for line in lines if line.startswith("  semantic_risk")]
    assert feature_rows[0][:4] == ["semantic_risk", "900", "25", "225"]
    assert any(line.split()[:4] == ["secrets_added", "-", "0", "0"] for line in lines if line)
    assert "  required  reviewer: 1/2 approved, 1 more needed (rules: tests.weakened)" in lines
    assert (
        "  present   alice (reviewer, senior-reviewer) at 2025-06-02T10:15:00Z, entry 57" in lines
    )
    assert "  removing 2 changes lowers the action from review to canary:" in lines
    assert any(line.startswith("    c2  src/auth/session.py:52 check_token") for line in lines)
    assert "  searched 11 evaluations; exhaustive: no smaller set exists" in lines


def test_why_text_without_a_counterfactual_or_features() -> None:
    why = load("why-review.json")
    why["counterfactual"] = {
        "lowered_to": None,
        "remove": [],
        "searched": 0,
        "exhaustive": False,
        "note": "the decision's input was purged; it cannot be re-evaluated",
    }
    why["features"] = []
    text = render_why(why, "text")
    assert "  (not available: the decision's input was purged)" in text
    assert "no set of this patch's changes was found" in text
    assert "not exhaustive" in text
    why["action"] = "allow"
    why["counterfactual"] = None
    assert "nothing to lower: the action is allow" in render_why(why, "text")


def test_why_json_is_the_document_sorted() -> None:
    why = load("why-review.json")
    text = render_why(why, "json")
    assert json.loads(text) == why
    assert text == json.dumps(why, sort_keys=True, indent=2) + "\n"


# -- properties ---------------------------------------------------------------------------

# Every character, lone surrogates included (JSON parsed by Python can carry them).
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    message=ANY_TEXT.filter(bool),
    file=ANY_TEXT,
    symbol=ANY_TEXT,
    kind=ANY_TEXT,
    line=st.integers(min_value=0, max_value=10**7),
)
def test_arbitrary_strings_keep_sarif_valid_and_annotations_one_per_line(
    message: str, file: str, symbol: str, kind: str, line: int
) -> None:
    record, input_doc, seq = case("deny")
    for reason in record["decision"]["reasons"]:
        reason["message"] = message
        for evidence in reason["evidence"]:
            evidence.update({"file": file, "symbol": symbol, "kind": kind, "line": line})
    input_doc["change"]["files"][0]["path"] = file
    sarif = render_check(record, input_doc, "sarif", seq=seq)
    assert sarif_errors(sarif) == []
    assert all(
        r["locations"] and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(sarif)["runs"][0]["results"]
    )
    github = render_check(record, input_doc, "github", seq=seq)
    lines = github.splitlines()
    assert len(lines) == 4  # three annotations and the summary
    assert github.count("\n") == 4
    for annotation in lines:
        assert re.match(r"::(error|warning|notice) [^:\r\n]*::", annotation)
    markdown = render_check(record, input_doc, "markdown", seq=seq)
    html = markdown_html(markdown)
    assert "<img" not in html
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        assert row.count("<td") in (0, 4, 5)
