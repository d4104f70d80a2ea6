"""Reports of the gate: `gate check` as text, json, markdown, sarif or github; `gate why`.

Pure functions: documents in, one string out (always ending in a newline), no I/O. The
record is a `gate.decision` body (schemas/ledger/gate.decision.schema.json), the input the
gate input (schemas/gate-input.schema.json), the why document schemas/gate-why.schema.json.
Strings in them come from patches (file names, symbols) and policies (messages), so every
format neutralises them for its medium: control characters never reach a terminal, markdown
and HTML never reach a PR comment, newlines never split a workflow command.

`gate check --format json` prints one object (version 1), keys sorted, indented by two:

    {
      "version": 1,
      "decision_id": "dec-...",
      "seq": 42,                      ledger sequence number of the entry, null if unrecorded
      "action": "review",             allow | canary | review | deny
      "exit_code": 10,                0 allow/canary, 10 review, 20 deny, 1 gate error
      "error": null,                  why the gate failed closed, else null
      "risk": {"score": 412, "band": "elevated"},
      "input_digest": "<sha256>",     digest of the gate input the policy saw
      "why": "tidegate gate why dec-...",
      "record": {...}                 the full gate.decision body
    }
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from tidegate import __version__
from tidegate.gate.outcome import exit_code

TEXT_CHANGES = 10
CHECK_FORMATS = ("text", "json", "markdown", "sarif", "github")
WHY_FORMATS = ("text", "json")
JSON_VERSION = 1
INFORMATION_URI = "https://tidegate.dev"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_FINGERPRINT = "tidegateRuleFileSymbol/v1"
MARKDOWN_CHANGES = 10  # rows of the "What changed" table before "and N more"
MARKDOWN_EVIDENCE = 5  # evidence lines per reason in markdown before "and N more"

_ACTION_RANK = {"allow": 0, "canary": 1, "review": 2, "deny": 3}
_SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
_SIGNIFICANCE = ("crucial", "high", "medium", "low", "none")  # most significant first
_HEADLINES = {"allow": "ALLOWED", "canary": "CANARY", "review": "REVIEW REQUIRED", "deny": "DENIED"}
_BADGES = {
    "allow": "Allowed",
    "canary": "Allowed with canary",
    "review": "Review required",
    "deny": "Denied",
}
_SARIF_LEVELS = {"deny": "error", "review": "warning", "canary": "note", "allow": "note"}
_GITHUB_COMMANDS = {"deny": "error", "review": "warning", "canary": "notice", "allow": "notice"}
# What the default policies' rules mean (docs/gate.md); other rules fall back to their message.
_RULE_HELP = {
    "secret.added": "The patch adds a secret (a key, token or password).",
    "rbac.not_permitted": "The actor may not run agents on this repository (no agents.run).",
    "agent.sensitive_files": (
        "An agent touched policy, CI, waiver, ledger configuration or CODEOWNERS files."
    ),
    "tests.weakened": "The patch weakens tests (assertions or test cases removed or loosened).",
    "unparsed.critical": "A file in a critical path could not be analysed by the semantic differ.",
    "run.violations": "The sandbox recorded guard violations while the agent produced the patch.",
    "risk.band": "The patch's risk score falls in a band that asks for review or denial.",
    "engine.error": "The policy could not decide; the gate failed closed.",
}
# Bidirectional controls can make a file name display as something else ("Trojan Source").
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# ASCII punctuation markdown (with GitHub's extensions: tables, strikethrough, math,
# autolinks) gives a meaning to; CommonMark lets any of it be backslash-escaped.
_MD_PUNCTUATION = frozenset("\\`*_{}[]()#+-.!|~^$:=\"'")
_CODE_SAFE = re.compile(r"[A-Za-z0-9_./:+=,-]+")


# -- neutralising untrusted strings -------------------------------------------------------


def _clean(text: object) -> str:
    """Return ``text`` as a string that encodes to UTF-8 (lone surrogates replaced)."""
    return str(text).encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _plain(text: object) -> str:
    """Return ``text`` on one line with no control characters (safe to print to a terminal)."""
    out = []
    for char in _clean(text):
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            out.append(" ")
        elif char in _BIDI:
            out.append("\ufffd")
        else:
            out.append(char)
    return "".join(out)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _md(text: object, limit: int = 300) -> str:
    """Return ``text`` as inert markdown: no HTML, links, mentions, code or table breaks."""
    out = []
    for char in _short(_plain(text), limit):
        if char == "&":
            out.append("&amp;")
        elif char == "<":
            out.append("&lt;")
        elif char == ">":
            out.append("&gt;")
        elif char == "@":
            # A zero-width space after the @ keeps GitHub from notifying a user or team.
            out.append("&#64;&#8203;")
        elif char in _MD_PUNCTUATION:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _code(text: object, limit: int = 120) -> str:
    """Return ``text`` as an inline code span when that is safe, else as escaped markdown."""
    value = _plain(text)
    if _CODE_SAFE.fullmatch(value) and len(value) <= limit:
        return f"`{value}`"
    return _md(value, limit)


def _sarif_text(text: object) -> str:
    """Return ``text`` for a SARIF plain-text message (brackets would start embedded links)."""
    value = _clean(text)
    return value.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _gh_data(text: object) -> str:
    """Return ``text`` escaped as the message of a GitHub Actions workflow command."""
    out = []
    for char in _clean(text):
        if char == "%":
            out.append("%25")
        elif char == "\r":
            out.append("%0D")
        elif char == "\n":
            out.append("%0A")
        elif unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            # The runner does not unescape these, but other tools split lines on them.
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def _gh_property(text: object) -> str:
    """Return ``text`` escaped as a workflow command property value."""
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


# -- reading the documents ----------------------------------------------------------------


def _decision(record: Mapping[str, Any]) -> Mapping[str, Any]:
    decision: Mapping[str, Any] = record["decision"]
    return decision


def _sorted_reasons(reasons: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Return ``reasons`` most severe first: by action, then severity, then rule id."""
    return sorted(
        reasons,
        key=lambda r: (
            -_ACTION_RANK.get(str(r.get("action")), 0),
            -_SEVERITY_RANK.get(str(r.get("severity")), 0),
            str(r.get("rule", "")),
        ),
    )


def _evidence_text(evidence: Mapping[str, Any]) -> str:
    """Return ``file:line symbol (kind)``, leaving out what is unknown (line 0 included)."""
    where = str(evidence.get("file", ""))
    line = evidence.get("line") or 0
    if isinstance(line, int) and line > 0:
        where = f"{where}:{line}"
    parts = [where]
    if evidence.get("symbol"):
        parts.append(str(evidence["symbol"]))
    if evidence.get("kind"):
        parts.append(f"({evidence['kind']})")
    return " ".join(parts)


def _headline(record: Mapping[str, Any]) -> str:
    decision = _decision(record)
    risk = decision["risk"]
    outcome = _HEADLINES[str(decision["action"])]
    if record.get("error"):
        outcome = "DENIED (gate error)"
    return f"{outcome}  {_plain(record['decision_id'])}  risk {risk['score']}/1000 ({risk['band']})"


def _rollout(rollout: Mapping[str, Any] | None) -> str:
    if not rollout:
        return "unknown"
    strategy = str(rollout.get("strategy", "none"))
    percent = rollout.get("percent", 0)
    if strategy == "none":
        return "none"
    if percent == 100:
        return f"{strategy}, full rollout"
    if strategy == "automatic":
        return f"automatic canary at {percent}%, then full"
    if strategy == "staged":
        return f"staged canary, first step {percent}%"
    if strategy == "manual":
        return f"manual promotion, first step {percent}%"
    return f"{_plain(strategy)}, first step {percent}%"


def _approval_status(item: Mapping[str, Any]) -> str:
    count = int(item.get("count", 0))
    satisfied = int(item.get("satisfied", 0))
    if satisfied >= count:
        return f"{satisfied}/{count} approved, satisfied"
    return f"{satisfied}/{count} approved, {count - satisfied} more needed"


def _why_command(record: Mapping[str, Any]) -> str:
    return f"tidegate gate why {_plain(record['decision_id'])}"


def _names(items: Sequence[Any]) -> str:
    return ", ".join(_plain(item) for item in items) if items else "none"


# -- gate check: text ---------------------------------------------------------------------


def _text_changes(input_doc: Mapping[str, Any]) -> list[str]:
    """The patch's most significant semantic changes, one line each (capped)."""
    kinds = _change_rows(input_doc.get("change", {}).get("kinds", []))
    if not kinds:
        return []
    lines = ["", "changes (most significant first):"]
    for kind in kinds[:TEXT_CHANGES]:
        where = f"{_plain(kind.get('file', '?'))}:{kind.get('line', 0)}"
        symbol = f" {_plain(kind['symbol'])}" if kind.get("symbol") else ""
        lines.append(
            f"  {where}{symbol}  {_plain(kind.get('kind', '?'))} "
            f"[{_plain(kind.get('significance', '?'))}]: {_plain(kind.get('description', ''))}"
        )
    if len(kinds) > TEXT_CHANGES:
        lines.append(f"  ... and {len(kinds) - TEXT_CHANGES} more (--format json lists all)")
    return lines


def _check_text(record: Mapping[str, Any], input_doc: Mapping[str, Any], seq: int | None) -> str:
    decision = _decision(record)
    summary = record.get("summary", {})
    actor = record.get("actor", {})
    lines = [_headline(record)]
    lines.append(
        f"patch: {summary.get('files', 0)} files, +{summary.get('lines_added', 0)} "
        f"-{summary.get('lines_deleted', 0)} lines, {summary.get('changes', 0)} changes; "
        f"actor {_plain(actor.get('id', '?'))} ({_plain(actor.get('kind', '?'))})"
    )
    if record.get("error"):
        lines.append(f"error: {_plain(record['error'])}")
    lines.extend(_text_changes(input_doc))
    lines.append("")
    lines.append("reasons:")
    reasons = _sorted_reasons(decision.get("reasons", []))
    if not reasons:
        lines.append("  (none)")
    for reason in reasons:
        lines.append(
            f"  {reason['action']:<7} {_plain(reason['rule'])} [{reason['severity']}]: "
            f"{_plain(reason['message'])}"
        )
        for evidence in reason.get("evidence", []):
            lines.append(f"      {_plain(_evidence_text(evidence))}")
    approvals = decision.get("required_approvals", [])
    if approvals:
        lines.append("")
        lines.append("approvals:")
        for item in approvals:
            lines.append(
                f"  {_plain(item['role'])}: {_approval_status(item)} "
                f"(rules: {_names(item.get('rules', []))})"
            )
    waived = decision.get("waived", [])
    if waived:
        lines.append("")
        lines.append("waived:")
        for item in waived:
            lines.append(
                f"  {_plain(item['rule'])} by waiver {_plain(item['waiver'])}: "
                f"{_plain(item['message'])}"
            )
    waivers = record.get("waivers", {})
    lines.append("")
    lines.append(
        f"waivers: applied {_names(waivers.get('applied', []))}; "
        f"expired {_names(waivers.get('expired', []))}; "
        f"unused {_names(waivers.get('unused', []))}"
    )
    lines.append(f"rollout: {_rollout(decision.get('rollout'))}")
    if seq is None:
        lines.append("ledger: not recorded")
    else:
        lines.append(f"ledger: entry {seq}; ask why: {_why_command(record)}")
    return "\n".join(lines) + "\n"


# -- gate check: json ---------------------------------------------------------------------


def _check_json(record: Mapping[str, Any], seq: int | None) -> str:
    decision = _decision(record)
    document = {
        "version": JSON_VERSION,
        "decision_id": record["decision_id"],
        "seq": seq,
        "action": decision["action"],
        "exit_code": exit_code(record),
        "error": record.get("error"),
        "risk": {"score": decision["risk"]["score"], "band": decision["risk"]["band"]},
        "input_digest": record.get("input_digest"),
        "why": _why_command(record),
        "record": record,
    }
    return json.dumps(_jsonable(document), sort_keys=True, indent=2) + "\n"


def _jsonable(value: Any) -> Any:
    """Return ``value`` with every string UTF-8 encodable (json.dumps keeps lone surrogates)."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, Mapping):
        return {_clean(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


# -- gate check: markdown -----------------------------------------------------------------


def _change_rows(kinds: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Return the changes most significant first, then by file and line."""
    rank = {name: index for index, name in enumerate(_SIGNIFICANCE)}
    return sorted(
        kinds,
        key=lambda k: (
            rank.get(str(k.get("significance")), len(rank)),
            str(k.get("file", "")),
            int(k.get("line", 0) or 0),
        ),
    )


def _md_where(file: object, line: object) -> str:
    if isinstance(line, int) and line > 0:
        return _code(f"{_plain(file)}:{line}")
    return _code(file)


def _md_changes(record: Mapping[str, Any], input_doc: Mapping[str, Any]) -> list[str]:
    summary = record.get("summary", {})
    change = input_doc.get("change", {})
    counts = input_doc.get("features", {}).get("semantic_risk", {}).get("counts", {})
    files = summary.get("files", 0)
    changes = summary.get("changes", 0)
    line = (
        f"{files} file{'s' if files != 1 else ''} changed, +{summary.get('lines_added', 0)} "
        f"\u2212{summary.get('lines_deleted', 0)} lines, {changes} semantic "
        f"change{'s' if changes != 1 else ''}"
    )
    by_level = [f"{counts[name]} {name}" for name in _SIGNIFICANCE if counts.get(name)]
    if by_level:
        line += f" ({', '.join(by_level)})"
    lines = ["#### What changed", "", line + "."]
    unparsed = change.get("unparsed", [])
    if unparsed:
        listed = ", ".join(
            f"{_code(item.get('path', ''))} ({_md(item.get('reason', ''), 40)}"
            f"{', critical path' if item.get('critical') else ''})"
            for item in unparsed[:MARKDOWN_CHANGES]
        )
        more = len(unparsed) - MARKDOWN_CHANGES
        lines += ["", f"Not analysed: {listed}" + (f" and {more} more." if more > 0 else ".")]
    kinds = _change_rows(change.get("kinds", []))
    if kinds:
        lines += [
            "",
            "| Where | Symbol | Kind | Significance | Change |",
            "| --- | --- | --- | --- | --- |",
        ]
        for kind in kinds[:MARKDOWN_CHANGES]:
            lines.append(
                f"| {_md_where(kind.get('file', ''), kind.get('line', 0))} "
                f"| {_code(kind.get('symbol', '')) if kind.get('symbol') else ''} "
                f"| {_code(kind.get('kind', ''))} | {_md(kind.get('significance', ''), 20)} "
                f"| {_md(kind.get('description', ''), 160)} |"
            )
        if len(kinds) > MARKDOWN_CHANGES:
            lines += ["", f"_and {len(kinds) - MARKDOWN_CHANGES} more_"]
    return lines


def _md_reasons(decision: Mapping[str, Any]) -> list[str]:
    lines = ["#### Why", ""]
    reasons = _sorted_reasons(decision.get("reasons", []))
    if not reasons:
        lines.append("No rule fired.")
    for reason in reasons:
        action = _BADGES.get(str(reason.get("action")), "Unknown")
        lines.append(
            f"- **{action}** \u00b7 {_code(reason.get('rule', ''))} \u00b7 "
            f"{_md(reason.get('severity', ''), 20)}: {_md(reason.get('message', ''))}"
        )
        evidence = reason.get("evidence", [])
        for item in evidence[:MARKDOWN_EVIDENCE]:
            parts = [_md_where(item.get("file", ""), item.get("line", 0))]
            if item.get("symbol"):
                parts.append(_code(item["symbol"]))
            if item.get("kind"):
                parts.append(f"({_code(item['kind'], 60)})")
            lines.append(f"  - {' '.join(parts)}")
        if len(evidence) > MARKDOWN_EVIDENCE:
            lines.append(f"  - _and {len(evidence) - MARKDOWN_EVIDENCE} more_")
    waived = decision.get("waived", [])
    if waived:
        lines.append("")
        for item in waived:
            lines.append(
                f"- Waived: {_code(item.get('rule', ''))} by waiver {_code(item.get('waiver', ''))}"
                f": {_md(item.get('message', ''))}"
            )
    return lines


def _md_risk(decision: Mapping[str, Any]) -> list[str]:
    risk = decision["risk"]
    contributions = sorted(
        risk.get("contributions", []),
        key=lambda c: (-int(c.get("points", 0)), str(c.get("feature", ""))),
    )
    lines = [
        "#### Risk breakdown",
        "",
        "| Feature | Value | Weight | Points |",
        "| --- | ---: | ---: | ---: |",
    ]
    for item in contributions:
        lines.append(
            f"| {_code(item.get('feature', ''))} | {item.get('value', 0)} "
            f"| {item.get('weight', 0)} | {item.get('points', 0)} |"
        )
    lines.append(f"| **Score** ({_md(risk['band'], 20)}) | | | **{risk['score']}** |")
    return lines


def _md_proceed(record: Mapping[str, Any]) -> list[str]:
    decision = _decision(record)
    action = str(decision["action"])
    decision_id = _plain(record["decision_id"])
    digest = _plain(record.get("subject", {}).get("patch_digest", "<patch digest>"))
    waive = (
        f"`tidegate gate waive RULE --patch {digest} --expires YYYY-MM-DD --actor <you> "
        '--reason "..."`'
    )
    lines = ["#### To proceed", ""]
    if record.get("error"):
        lines.append(
            "The gate could not decide and failed closed. Fix the cause above, then run "
            "`tidegate gate check` again."
        )
        return lines
    if action == "deny":
        lines.append(
            "This patch is denied: change what the reasons above point to and check again. "
            "Someone allowed to approve policies can waive a waivable rule: " + waive
        )
        return lines
    if action == "review":
        missing = [
            item
            for item in decision.get("required_approvals", [])
            if int(item.get("satisfied", 0)) < int(item.get("count", 0))
        ]
        for item in missing:
            needed = int(item["count"]) - int(item["satisfied"])
            lines.append(
                f"- {needed} more approval{'s' if needed != 1 else ''} by a "
                f"{_code(item['role'])} ({item['satisfied']}/{item['count']} so far; asked by "
                f"{', '.join(_code(rule) for rule in item.get('rules', [])) or 'the policy'})"
            )
        lines += [
            "",
            f"An approver (not the author) runs `tidegate gate approve {decision_id} "
            "--actor <you>`, then the check is run again.",
            "",
            f"Or someone allowed to approve policies waives a waivable rule: {waive}",
        ]
        return lines
    lines.append(
        "Nothing: the patch may proceed"
        + (" through a canary rollout." if action == "canary" else ".")
    )
    return lines


def _check_markdown(
    record: Mapping[str, Any], input_doc: Mapping[str, Any], seq: int | None
) -> str:
    decision = _decision(record)
    action = str(decision["action"])
    risk = decision["risk"]
    badge = "Denied: the gate failed closed" if record.get("error") else _BADGES[action]
    lines = [
        "### tidegate gate",
        "",
        f"**{badge}** \u00b7 risk {risk['score']}/1000 ({_md(risk['band'], 20)}) \u00b7 "
        f"decision {_code(record['decision_id'])}",
    ]
    if record.get("error"):
        lines += ["", f"> Gate error: {_md(record['error'], 500)}"]
    lines.append("")
    lines += _md_changes(record, input_doc)
    lines.append("")
    lines += _md_reasons(decision)
    lines.append("")
    lines += _md_risk(decision)
    lines.append("")
    lines += _md_proceed(record)
    lines += ["", f"**Rollout:** {_md(_rollout(decision.get('rollout')))}"]
    waivers = record.get("waivers", {})
    if any(waivers.get(key) for key in ("applied", "expired", "unused")):
        parts = [
            f"{key} {', '.join(_code(w) for w in waivers.get(key, [])) or 'none'}"
            for key in ("applied", "expired", "unused")
        ]
        lines += ["", f"**Waivers:** {'; '.join(parts)}"]
    engine = record.get("engine", {})
    policy = record.get("policy", {})
    footer = [
        f"tidegate {__version__}",
        f"engine {_code(engine.get('name', '?'), 40)} {_code(engine.get('version', '?'), 40)}",
        f"policy {_code(str(policy.get('digest', ''))[:12])}",
        f"data {_code(str(policy.get('data_digest', ''))[:12])}",
        f"input {_code(str(record.get('input_digest', ''))[:12])}",
        f"ledger seq {seq}" if seq is not None else "not recorded in the ledger",
    ]
    separator = " \u00b7 "
    lines += ["", "---", f"<sub>{separator.join(footer)}</sub>"]
    return "\n".join(lines) + "\n"


# -- gate check: sarif --------------------------------------------------------------------


def _anchor(record: Mapping[str, Any], input_doc: Mapping[str, Any]) -> str:
    """Return the file results without evidence are reported on (code scanning needs one)."""
    for item in input_doc.get("change", {}).get("files", []):
        if item.get("path"):
            return str(item["path"])
    for reason in _decision(record).get("reasons", []):
        for evidence in reason.get("evidence", []):
            if evidence.get("file"):
                return str(evidence["file"])
    return "."


def _sarif_uri(path: str) -> str:
    """Return a repository-relative path as a URI reference (percent-encoded, never absolute)."""
    return quote(_clean(path).lstrip("/"), safe="/") or "."


def _fingerprint(rule: str, file: str, symbol: str) -> str:
    seed = "\x00".join((rule, file, symbol)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(seed).hexdigest()[:32]


def _sarif_location(path: str, line: int, symbol: str) -> dict[str, Any]:
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": _sarif_uri(path), "uriBaseId": "%SRCROOT%"}
    }
    if line > 0:
        physical["region"] = {"startLine": line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if symbol:
        location["logicalLocations"] = [{"fullyQualifiedName": _clean(symbol)}]
    return location


class _SarifRules:
    """The run's rule descriptors, one per rule id, in order of first use."""

    def __init__(self) -> None:
        self.descriptors: list[dict[str, Any]] = []
        self.index: dict[str, int] = {}

    def add(self, rule: str, action: str | None, severity: str | None, message: str) -> int:
        """Return the index of ``rule``'s descriptor, adding it on first use."""
        if rule in self.index:
            return self.index[rule]
        text = _RULE_HELP.get(rule) or _clean(message) or f"tidegate policy rule {rule}"
        level = _SARIF_LEVELS.get(action or "", "note")
        tags = ["tidegate", "policy-gate"]
        if action:
            tags.append(f"action:{action}")
        if severity:
            tags.append(f"severity:{severity}")
        self.index[rule] = len(self.descriptors)
        self.descriptors.append(
            {
                "id": _clean(rule),
                "shortDescription": {"text": _short(text, 200)},
                "fullDescription": {"text": text},
                "help": {
                    "text": (
                        f"{text} tidegate's policy gate decided this rule; "
                        "`tidegate gate why DECISION_ID` shows its evidence, the risk features "
                        "and what would lower the outcome."
                    )
                },
                "defaultConfiguration": {"level": level},
                "properties": {"tags": tags},
            }
        )
        return self.index[rule]


def _check_sarif(record: Mapping[str, Any], input_doc: Mapping[str, Any], seq: int | None) -> str:
    decision = _decision(record)
    decision_id = _clean(record["decision_id"])
    anchor = _anchor(record, input_doc)
    rules = _SarifRules()
    results: list[dict[str, Any]] = []
    for reason in _sorted_reasons(decision.get("reasons", [])):
        rule = str(reason.get("rule", ""))
        action = str(reason.get("action", ""))
        index = rules.add(rule, action, str(reason.get("severity", "")), reason.get("message", ""))
        evidence = reason.get("evidence", []) or [{}]
        for item in evidence:
            file = str(item.get("file", ""))
            line = item.get("line", 0)
            symbol = str(item.get("symbol", ""))
            anchored = not file
            text = _sarif_text(reason.get("message", ""))
            if symbol or item.get("kind"):
                detail = ", ".join(_sarif_text(x) for x in (symbol, item.get("kind", "")) if x)
                text = f"{text} ({detail})"
            if anchored:
                text += " (applies to the whole patch)"
            properties: dict[str, Any] = {
                "action": action,
                "severity": _clean(reason.get("severity", "")),
                "decision_id": decision_id,
                "anchored": anchored,
            }
            if item.get("change"):
                properties["change"] = _clean(item["change"])
            results.append(
                {
                    "ruleId": _clean(rule),
                    "ruleIndex": index,
                    "kind": "fail",
                    "level": _SARIF_LEVELS.get(action, "note"),
                    "message": {"text": text},
                    "locations": [
                        _sarif_location(
                            anchor if anchored else file,
                            line if isinstance(line, int) and not anchored else 0,
                            symbol,
                        )
                    ],
                    "partialFingerprints": {
                        SARIF_FINGERPRINT: _fingerprint(rule, file or anchor, symbol)
                    },
                    "properties": properties,
                }
            )
    waiver_reasons = {
        str(w.get("id")): w for w in input_doc.get("waivers", []) if isinstance(w, Mapping)
    }
    for waived in decision.get("waived", []):
        rule = str(waived.get("rule", ""))
        waiver_id = str(waived.get("waiver", ""))
        index = rules.add(rule, None, None, waived.get("message", ""))
        waiver = waiver_reasons.get(waiver_id, {})
        justification = f"waiver {waiver_id}"
        if waiver:
            justification += (
                f" by {waiver.get('actor', '?')} until {waiver.get('expires', '?')}: "
                f"{waiver.get('reason', '')}"
            )
        results.append(
            {
                "ruleId": _clean(rule),
                "ruleIndex": index,
                "kind": "fail",
                "level": "note",
                "message": {
                    "text": f"{_sarif_text(waived.get('message', ''))} (waived by {waiver_id})"
                },
                "locations": [_sarif_location(anchor, 0, "")],
                "partialFingerprints": {SARIF_FINGERPRINT: _fingerprint(rule, anchor, "")},
                "suppressions": [
                    {
                        "kind": "external",
                        "status": "accepted",
                        "justification": _clean(justification),
                    }
                ],
                "properties": {"decision_id": decision_id, "waiver": _clean(waiver_id)},
            }
        )
    invocation: dict[str, Any] = {
        "executionSuccessful": not record.get("error"),
        "exitCode": exit_code(record),
    }
    if record.get("error"):
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": _sarif_text(record["error"])}}
        ]
    run = {
        "tool": {
            "driver": {
                "name": "tidegate",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules.descriptors,
            }
        },
        "invocations": [invocation],
        "results": results,
        "properties": {
            "decision_id": decision_id,
            "seq": seq,
            "action": decision["action"],
            "risk_score": decision["risk"]["score"],
            "risk_band": decision["risk"]["band"],
            "input_digest": record.get("input_digest"),
            "policy_digest": record.get("policy", {}).get("digest"),
        },
    }
    log = {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(_jsonable(log), sort_keys=True, indent=2) + "\n"


# -- gate check: github -------------------------------------------------------------------


def _check_github(record: Mapping[str, Any], seq: int | None) -> str:
    decision = _decision(record)
    lines = []
    for reason in _sorted_reasons(decision.get("reasons", [])):
        command = _GITHUB_COMMANDS.get(str(reason.get("action")), "notice")
        title = f"title={_gh_property('tidegate ' + str(reason.get('rule', '')))}"
        message = str(reason.get("message", ""))
        for item in reason.get("evidence", []) or [{}]:
            properties = []
            if item.get("file"):
                properties.append(f"file={_gh_property(item['file'])}")
                line = item.get("line", 0)
                if isinstance(line, int) and line > 0:
                    properties.append(f"line={line}")
            properties.append(title)
            detail = ", ".join(str(x) for x in (item.get("symbol"), item.get("kind")) if x)
            text = f"{message} ({detail})" if detail else message
            lines.append(f"::{command} {','.join(properties)}::{_gh_data(text)}")
    risk = decision["risk"]
    summary = (
        f"{_HEADLINES[str(decision['action'])]} {record['decision_id']} "
        f"risk {risk['score']}/1000 ({risk['band']}); "
        f"{len(decision.get('reasons', []))} reasons, {len(decision.get('waived', []))} waived"
    )
    if record.get("error"):
        summary = f"DENIED (gate error) {record['decision_id']}: {record['error']}"
    for item in decision.get("required_approvals", []):
        summary += f"; {item['role']} {item.get('satisfied', 0)}/{item.get('count', 0)} approvals"
    if seq is not None:
        summary += f"; ledger entry {seq}; ask why: {_why_command(record)}"
    lines.append(f"::notice title=tidegate gate::{_gh_data(summary)}")
    return "\n".join(lines) + "\n"


# -- public entry points ------------------------------------------------------------------


def render_check(
    record: Mapping[str, Any], input_doc: Mapping[str, Any], fmt: str, *, seq: int | None
) -> str:
    """Return the report of one gate decision in ``fmt`` (text, json, markdown, sarif, github)."""
    if fmt == "text":
        return _check_text(record, input_doc, seq)
    if fmt == "json":
        return _check_json(record, seq)
    if fmt == "markdown":
        return _check_markdown(record, input_doc, seq)
    if fmt == "sarif":
        return _check_sarif(record, input_doc, seq)
    if fmt == "github":
        return _check_github(record, seq)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(CHECK_FORMATS)}")


def _feature_details(details: Mapping[str, Any]) -> str:
    """Return the scalar details of a feature as ``key=value``, lists as their length."""
    parts = []
    for key, value in sorted(details.items()):
        if key == "value":
            continue
        if isinstance(value, bool):
            parts.append(f"{key}={'yes' if value else 'no'}")
        elif isinstance(value, list | tuple):
            parts.append(f"{key}=[{len(value)}]")
        elif isinstance(value, Mapping):
            parts.append(f"{key}={{{len(value)}}}")
        elif value is not None:
            parts.append(f"{key}={value}")
    return _short(_plain(" ".join(parts)), 90)


def _why_outcome(why: Mapping[str, Any]) -> list[str]:
    risk = why.get("risk", {})
    outcome = _HEADLINES.get(str(why.get("action")), str(why.get("action")))
    if why.get("error"):
        outcome = "DENIED (gate error)"
    subject = why.get("subject", {})
    actor = why.get("actor", {})
    revision = ""
    if subject.get("base") or subject.get("head"):
        revision = f" {_plain(subject.get('base') or '?')}..{_plain(subject.get('head') or '?')}"
    lines = [
        "Outcome",
        f"  {outcome}  {_plain(why.get('decision_id', ''))}  "
        f"risk {risk.get('score', '?')}/1000 ({_plain(risk.get('band', '?'))})",
        f"  recorded  entry {why.get('seq')} at {_plain(why.get('time', ''))}",
        f"  actor     {_plain(actor.get('id', '?'))} ({_plain(actor.get('kind', '?'))}; "
        f"roles {_names(actor.get('roles', []))})",
        f"  patch     {_plain(subject.get('repository', '?'))} "
        f"{_plain(subject.get('source', '?'))}{revision}, digest "
        f"{_plain(subject.get('patch_digest', ''))[:12]}",
    ]
    if why.get("rollout"):
        lines.append(f"  rollout   {_rollout(why['rollout'])}")
    if why.get("error"):
        lines.append(f"  error     {_plain(why['error'])}")
    return lines


def _why_rules(why: Mapping[str, Any]) -> list[str]:
    lines = ["Rules that fired"]
    rules = _sorted_reasons(why.get("rules", []))
    if not rules and not why.get("waived"):
        lines.append("  (none)")
    for reason in rules:
        lines.append(
            f"  {reason.get('action', '?'):<7} {_plain(reason.get('rule', ''))} "
            f"[{reason.get('severity', '?')}]: {_plain(reason.get('message', ''))}"
        )
        approval = reason.get("approval")
        if approval:
            lines.append(
                f"          needs {approval.get('count')} approval(s) by "
                f"{_plain(approval.get('role', '?'))}, then {approval.get('then')}"
            )
        for evidence in reason.get("evidence", []):
            lines.append(f"          {_plain(_evidence_text(evidence))}")
    for item in why.get("waived", []):
        lines.append(
            f"  waived  {_plain(item.get('rule', ''))} by waiver {_plain(item.get('waiver', ''))}: "
            f"{_plain(item.get('message', ''))}"
        )
    return lines


def _why_features(why: Mapping[str, Any]) -> list[str]:
    lines = ["Risk features"]
    features = why.get("features", [])
    if not features:
        lines.append("  (not available: the decision's input was purged)")
        return lines
    width = max(len(_plain(f.get("feature", ""))) for f in features)
    width = max(width, len("feature"))
    lines.append(f"  {'feature':<{width}}  {'value':>5}  {'weight':>6}  {'points':>6}  details")
    ordered = sorted(features, key=lambda f: (-int(f.get("points", 0)), str(f.get("feature"))))
    for item in ordered:
        value = "-" if item.get("value") is None else str(item["value"])
        lines.append(
            f"  {_plain(item.get('feature', '')):<{width}}  {value:>5}  "
            f"{item.get('weight', 0):>6}  {item.get('points', 0):>6}  "
            f"{_feature_details(item.get('details', {}))}".rstrip()
        )
    total = sum(int(item.get("points", 0)) for item in features)
    score = why.get("risk", {}).get("score", min(1000, total))
    capped = f"  (sum {total}, capped at 1000)" if total > 1000 else ""
    lines.append(f"  {'score':<{width}}  {'':>5}  {'':>6}  {score:>6}{capped}")
    return lines


def _why_approvals(why: Mapping[str, Any]) -> list[str]:
    lines = ["Approvals"]
    approvals = why.get("approvals", {})
    required = approvals.get("required", [])
    present = approvals.get("present", [])
    if not required:
        lines.append("  none required")
    for item in required:
        lines.append(
            f"  required  {_plain(item.get('role', '?'))}: {_approval_status(item)} "
            f"(rules: {_names(item.get('rules', []))})"
        )
    for item in present:
        lines.append(
            f"  present   {_plain(item.get('actor', '?'))} ({_names(item.get('roles', []))}) "
            f"at {_plain(item.get('time', '?'))}, entry {item.get('seq')}"
        )
    if required and any(int(i.get("satisfied", 0)) < int(i.get("count", 0)) for i in required):
        lines.append(
            f"  approve   tidegate gate approve {_plain(why.get('decision_id', ''))} --actor <you>"
        )
    return lines


def _why_counterfactual(why: Mapping[str, Any]) -> list[str]:
    lines = ["What would lower it"]
    found = why.get("counterfactual")
    if found is None:
        if why.get("action") == "allow":
            lines.append("  nothing to lower: the action is allow")
        else:
            lines.append("  not computed")
        return lines
    remove = found.get("remove", [])
    searched = found.get("searched", 0)
    exhaustive = bool(found.get("exhaustive"))
    if found.get("lowered_to") is None:
        lines.append("  no set of this patch's changes was found whose removal lowers the action")
    else:
        count = len(remove)
        lines.append(
            f"  removing {count} change{'s' if count != 1 else ''} lowers the action from "
            f"{why.get('action')} to {found['lowered_to']}:"
        )
        for item in remove:
            where = _evidence_text(item)
            lines.append(
                f"    {_plain(item.get('change', '?'))}  {_plain(where)}: "
                f"{_plain(item.get('description', ''))}"
            )
    lines.append(
        f"  searched {searched} evaluation{'s' if searched != 1 else ''}; "
        + (
            "exhaustive: no smaller set exists"
            if exhaustive
            else "not exhaustive: a smaller set may exist"
        )
    )
    if found.get("note"):
        lines.append(f"  note: {_plain(found['note'])}")
    return lines


def render_why(why: Mapping[str, Any], fmt: str) -> str:
    """Return the explanation of a decision (schemas/gate-why.schema.json) as text or json."""
    if fmt == "json":
        return json.dumps(_jsonable(why), sort_keys=True, indent=2) + "\n"
    if fmt != "text":
        raise ValueError(f"unknown why format {fmt!r}; expected one of {', '.join(WHY_FORMATS)}")
    sections = [
        _why_outcome(why),
        _why_rules(why),
        _why_features(why),
        _why_approvals(why),
        _why_counterfactual(why),
    ]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"
