package tidegate.rules_test

import data.tidegate.fixtures_test as f
import data.tidegate.gate
import data.tidegate.rules
import rego.v1

fired(inp) := {r.rule | some r in reasons} if {
	reasons := rules.reasons with input as inp
}

the(rule, inp) := r if {
	reasons := rules.reasons with input as inp
	some r in reasons
	r.rule == rule
}

# --- risk.band --------------------------------------------------------------------

test_risk_band_always_fires_even_when_low if {
	r := the("risk.band", f.base)
	r.action == "allow"
	r.severity == "info"
	not r.approval
	r.evidence == []
}

# change of a given significance (f.change is "high")
sig(id, significance, path, symbol, line) := object.union(f.change(id, "function.body_changed", path, symbol, line), {"significance": significance})

test_risk_band_evidence_most_significant_first_then_input_order if {
	inp := object.union(f.base, {"change": {"kinds": [
		sig("c1", "medium", "src/a.py", "a", 4),
		sig("c2", "low", "src/b.py", "b", 5),
		sig("c3", "high", "src/c.py", "", 0),
		sig("c4", "crucial", "src/d.py", "d", 0),
		sig("c5", "none", "src/e.py", "e", 6),
		sig("c6", "high", "src/f.py", "f", 7),
		sig("c7", "crucial", "src/g.py", "", 8),
	]}})
	r := the("risk.band", inp)
	r.evidence == [
		{"file": "src/d.py", "symbol": "d", "change": "c4", "kind": "function.body_changed"},
		{"file": "src/g.py", "line": 8, "change": "c7", "kind": "function.body_changed"},
		{"file": "src/c.py", "change": "c3", "kind": "function.body_changed"},
		{"file": "src/f.py", "line": 7, "symbol": "f", "change": "c6", "kind": "function.body_changed"},
		{"file": "src/a.py", "line": 4, "symbol": "a", "change": "c1", "kind": "function.body_changed"},
	]
}

test_risk_band_evidence_at_most_ten if {
	medium := [sig(sprintf("m%d", [i]), "medium", "src/m.py", "", i) | some i in numbers.range(1, 5)]
	crucial := [sig(sprintf("c%d", [i]), "crucial", "src/c.py", "", i) | some i in numbers.range(1, 12)]
	inp := object.union(f.base, {"change": {"kinds": array.concat(medium, crucial)}})
	r := the("risk.band", inp)
	count(r.evidence) == 10
	[e.change | some e in r.evidence] == [sprintf("c%d", [i]) | some i in numbers.range(1, 10)]
}

test_risk_band_evidence_in_low_band_keeps_allow_and_info if {
	inp := object.union(f.base, {"change": {"kinds": [sig("c1", "high", "src/app/util.py", "helper", 3)]}})
	r := the("risk.band", inp)
	r.action == "allow"
	r.severity == "info"
	not r.approval
	r.evidence == [{"file": "src/app/util.py", "line": 3, "symbol": "helper", "change": "c1", "kind": "function.body_changed"}]
}

test_risk_band_evidence_skips_low_and_none if {
	inp := object.union(f.base, {"change": {"kinds": [sig("c1", "low", "a.py", "", 1), sig("c2", "none", "b.py", "", 2)]}})
	r := the("risk.band", inp)
	r.evidence == []
}

test_risk_band_review_carries_approval if {
	inp := f.with_features({"semantic_risk": {"value": 1000}})
	r := the("risk.band", inp)
	r.action == "review"
	r.approval == {"role": "reviewer", "count": 1, "then": "canary"}
}

# --- secret.added -----------------------------------------------------------------

test_secret_added_denies_with_change_evidence if {
	r := the("secret.added", f.secret)
	r.action == "deny"
	r.severity == "critical"
	r.evidence == [{"file": "src/app/settings.py", "line": 7, "symbol": "API_KEY", "change": "c1", "kind": "secret.added"}]
	contains(r.message, "1 credential-looking literal added: src/app/settings.py:7 (API_KEY)")
	not r.approval
}

test_secret_added_from_kinds_only if {
	# the feature missed it; the change kind alone is enough
	inp := object.union(f.secret, {"features": {"secrets_added": {"count": 0, "changes": []}}})
	r := the("secret.added", inp)
	r.evidence[0].change == "c1"
}

test_secret_added_count_without_locations if {
	inp := f.with_features({"secrets_added": {"count": 2, "changes": ["c9"]}})
	r := the("secret.added", inp)
	r.evidence == []
	contains(r.message, "2 credential-looking literals added")
}

test_secret_added_evidence_in_input_order if {
	inp := object.union(f.base, {
		"change": {"kinds": [
			f.change("c1", "secret.added", "b.py", "", 0),
			f.change("c2", "secret.added", "a.py", "TOKEN", 3),
		]},
		"features": {"secrets_added": {"count": 2, "changes": ["c2", "c1"]}},
	})
	r := the("secret.added", inp)
	[e.change | some e in r.evidence] == ["c2", "c1"]
	r.evidence[1] == {"file": "b.py", "change": "c1", "kind": "secret.added"}
	contains(r.message, "a.py:3 (TOKEN), b.py")
}

test_repeated_change_id_uses_its_first_entry if {
	# a malformed input repeating an id: each listed id's evidence is its first entry, no
	# engine error
	kinds := [
		f.change("c1", "secret.added", "src/first.py", "A", 1),
		f.change("c1", "secret.added", "src/second.py", "B", 2),
	]
	r := the("secret.added", object.union(f.secret, {"change": {"kinds": kinds}}))
	[e.file | some e in r.evidence] == ["src/first.py"]
	inp := object.union(f.base, {"change": {"kinds": kinds}})
	r2 := the("secret.added", inp)
	[e.file | some e in r2.evidence] == ["src/first.py", "src/first.py"]
}

test_no_secret_no_reason if {
	not "secret.added" in fired(f.base)
}

# --- rbac.not_permitted -----------------------------------------------------------

test_agent_without_agents_run_denied if {
	inp := object.union(f.base, {"actor": f.intern})
	r := the("rbac.not_permitted", inp)
	r.action == "deny"
	r.evidence == []
	contains(r.message, "agent agent:intern-bot may not run on repository acme/shop: it lacks permission agents.run")
	contains(r.message, "grant it the agent-runner role")
}

test_agent_with_agents_run_permitted if {
	not "rbac.not_permitted" in fired(f.agent_input)
}

test_human_without_agents_run_permitted if {
	# humans do not need agents.run; base's bob only holds reviewer
	not "rbac.not_permitted" in fired(f.base)
}

test_agent_role_without_permission_denied if {
	# the role name alone does not count: Rego reads permissions
	inp := object.union(f.base, {"actor": object.union(f.codex, {"permissions": []})})
	"rbac.not_permitted" in fired(inp)
}

# --- agent.sensitive_files --------------------------------------------------------

test_agent_sensitive_files_review_by_security if {
	r := the("agent.sensitive_files", f.sensitive)
	r.action == "review"
	r.approval == {"role": "security", "count": 1, "then": "allow"}
	r.evidence == [{"file": "policies/gate.rego"}, {"file": ".github/workflows/ci.yml"}]
	contains(r.message, "agent agent:codex changed 2 sensitive files: policies/gate.rego (policy), .github/workflows/ci.yml (ci)")
}

test_sensitive_files_by_human_no_reason if {
	inp := object.union(f.sensitive, {"actor": f.base.actor})
	not "agent.sensitive_files" in fired(inp)
}

test_sensitive_file_marked_only_on_change_file if {
	inp := object.union(f.agent_input, {"change": {"files": [object.union(f.file("CODEOWNERS"), {"sensitive": "codeowners"})]}})
	r := the("agent.sensitive_files", inp)
	r.evidence == [{"file": "CODEOWNERS"}]
}

# --- tests.weakened ---------------------------------------------------------------

test_tests_weakened_review_with_change_evidence if {
	r := the("tests.weakened", f.weakened)
	r.action == "review"
	r.approval == {"role": "reviewer", "count": 1, "then": "allow"}
	[e.change | some e in r.evidence] == ["c2", "c3"]
	r.evidence[0] == {"file": "tests/test_util.py", "line": 12, "symbol": "test_helper", "change": "c2", "kind": "test.assertion_removed"}
	contains(r.message, "2 changes weaken the tests: test.assertion_removed in tests/test_util.py:12 (test_helper), test.skip_added in tests/test_util.py:20 (test_other)")
}

test_tests_not_weakened_no_reason if {
	not "tests.weakened" in fired(f.base)
}

# --- unparsed.critical ------------------------------------------------------------

test_unparsed_critical_review if {
	inp := object.union(f.base, {"change": {"unparsed": [
		{"path": "src/payments/rates.bin", "reason": "binary", "critical": true},
		{"path": "assets/logo.png", "reason": "binary", "critical": false},
		{"path": "src/payments/x.weird", "reason": "something_else", "critical": true},
	]}})
	r := the("unparsed.critical", inp)
	r.action == "review"
	r.evidence == [{"file": "src/payments/rates.bin", "kind": "file.binary"}, {"file": "src/payments/x.weird"}]
	contains(r.message, "2 files in critical paths could not be analysed: src/payments/rates.bin (binary), src/payments/x.weird (something_else)")
}

test_unparsed_uncritical_no_reason if {
	inp := object.union(f.base, {"change": {"unparsed": [{"path": "a.png", "reason": "binary", "critical": false}]}})
	not "unparsed.critical" in fired(inp)
}

# --- run.violations ---------------------------------------------------------------

run(violations) := {"id": "run-7", "status": "passed", "attempts": 2, "tests_passed": 10, "tests_failed": 0, "violations": violations}

test_run_violations_review if {
	inp := object.union(f.agent_input, {"run": run([{"guard": "network", "detail": "connect 10.0.0.1:443"}])})
	r := the("run.violations", inp)
	r.action == "review"
	r.severity == "high"
	contains(r.message, "sandbox run run-7 recorded 1 violation: network (connect 10.0.0.1:443)")
}

test_run_without_violations_no_reason if {
	inp := object.union(f.agent_input, {"run": run([])})
	not "run.violations" in fired(inp)
	not "run.violations" in fired(f.base)
}

# --- messages stay readable for big patches -----------------------------------------

test_long_lists_are_truncated if {
	kinds := [f.change(sprintf("c%d", [i]), "secret.added", sprintf("f%d.py", [i]), "", 1) | some i in numbers.range(1, 7)]
	inp := object.union(f.base, {"change": {"kinds": kinds}})
	r := the("secret.added", inp)
	count(r.evidence) == 7
	contains(r.message, "7 credential-looking literals added: f1.py:1, f2.py:1, f3.py:1, f4.py:1, f5.py:1 and 2 more")
}

# --- settings come from data ------------------------------------------------------

test_rule_approval_from_data if {
	r := the("agent.sensitive_files", f.sensitive) with data.tidegate.risk.rules["agent.sensitive_files"].approval as {"role": "admin", "count": 2}
	r.approval == {"role": "admin", "count": 2, "then": "allow"}
}
