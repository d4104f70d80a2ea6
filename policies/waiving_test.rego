package tidegate.waiving_test

import data.tidegate.fixtures_test as f
import data.tidegate.gate
import rego.v1

with_waivers(inp, ws) := object.union(inp, {"waivers": ws})

decide(inp) := d if {
	d := gate.decision with input as inp
}

rules_of(d) := [r.rule | some r in d.reasons]

test_active_waiver_suppresses_reason if {
	w := f.waiver("w1", "tests.weakened", "tests/**", null, null, "active")
	d := decide(with_waivers(f.weakened, [w]))
	not "tests.weakened" in rules_of(d)
	count(d.waived) == 1
	d.waived[0].rule == "tests.weakened"
	d.waived[0].waiver == "w1"
	contains(d.waived[0].message, "(waived by w1, granted by sec-sam until 2099-01-01T00:00:00Z: accepted risk)")
	d.action == "allow"
	d.required_approvals == []
}

test_waiver_bound_to_this_patch_applies if {
	w := f.waiver("w1", "tests.weakened", "tests/**", null, f.digest, "active")
	d := decide(with_waivers(f.weakened, [w]))
	not "tests.weakened" in rules_of(d)
}

test_waiver_for_other_patch_digest_does_not_apply if {
	w := f.waiver("w1", "tests.weakened", "tests/**", null, f.other_digest, "active")
	d := decide(with_waivers(f.weakened, [w]))
	"tests.weakened" in rules_of(d)
	d.waived == []
	d.action == "review"
}

test_expired_waiver_does_not_apply if {
	w := f.waiver("w1", "tests.weakened", "tests/**", null, null, "expired")
	d := decide(with_waivers(f.weakened, [w]))
	"tests.weakened" in rules_of(d)
	d.waived == []
}

test_malformed_waiver_does_not_apply if {
	w := f.waiver("w1", "tests.weakened", "tests/**", null, null, "malformed")
	d := decide(with_waivers(f.weakened, [w]))
	"tests.weakened" in rules_of(d)
}

test_waiver_for_other_rule_does_not_apply if {
	w := f.waiver("w1", "unparsed.critical", "**", null, null, "active")
	d := decide(with_waivers(f.weakened, [w]))
	"tests.weakened" in rules_of(d)
}

test_path_must_match_every_evidence_file if {
	# evidence is tests/test_util.py only; a glob for another directory does not match
	w := f.waiver("w1", "tests.weakened", "src/**", null, null, "active")
	d := decide(with_waivers(f.weakened, [w]))
	"tests.weakened" in rules_of(d)
}

test_path_matching_some_but_not_all_files_does_not_apply if {
	w := f.waiver("w1", "agent.sensitive_files", ".github/**", null, null, "active")
	d := decide(with_waivers(f.sensitive, [w]))
	"agent.sensitive_files" in rules_of(d)
}

test_single_star_stays_in_one_segment if {
	w := f.waiver("w1", "tests.weakened", "*", null, null, "active")
	d := decide(with_waivers(f.weakened, [w]))
	"tests.weakened" in rules_of(d)
}

test_symbol_scoped_waiver if {
	inp := object.union(f.weakened, {"change": {"kinds": [
		f.change("c2", "test.assertion_removed", "tests/test_util.py", "test_helper", 12),
		f.change("c3", "test.skip_added", "tests/test_other.py", "test_helper", 4),
	]}})
	w := f.waiver("w1", "tests.weakened", null, "test_helper", null, "active")
	d := decide(with_waivers(inp, [w]))
	not "tests.weakened" in rules_of(d)
	d.waived[0].waiver == "w1"
}

test_symbol_must_match_every_evidence_symbol if {
	# f.weakened's evidence carries test_helper and test_other
	w := f.waiver("w1", "tests.weakened", null, "test_helper", null, "active")
	d := decide(with_waivers(f.weakened, [w]))
	"tests.weakened" in rules_of(d)
}

test_waiver_without_scope_waives_nothing if {
	w := f.waiver("w1", "tests.weakened", null, null, null, "active")
	d := decide(with_waivers(f.weakened, [w]))
	"tests.weakened" in rules_of(d)
}

test_reason_without_evidence_cannot_be_waived if {
	inp := object.union(f.agent_input, {"run": {
		"id": "run-7", "status": "passed", "attempts": 1, "tests_passed": 1, "tests_failed": 0,
		"violations": [{"guard": "network", "detail": "dns"}],
	}})
	w := f.waiver("w1", "run.violations", "**", null, null, "active")
	d := decide(with_waivers(inp, [w]))
	"run.violations" in rules_of(d)
}

test_risk_band_is_never_waived if {
	# risk.band has evidence (its significant changes) but no waiver lifts a band, even
	# when the data's unwaivable list is emptied
	inp := object.union(f.with_features({"semantic_risk": {"value": 1000}}), {"change": {"kinds": [f.change("c1", "function.body_changed", "src/app/util.py", "helper", 3)]}})
	ws := [
		f.waiver("w1", "risk.band", "**", null, null, "active"),
		f.waiver("w2", "risk.band", null, "helper", f.digest, "active"),
	]
	d := gate.decision with input as with_waivers(inp, ws) with data.tidegate.risk.unwaivable as []
	"risk.band" in rules_of(d)
	d.waived == []
	d.action == "review"
	[r.evidence | some r in d.reasons; r.rule == "risk.band"] == [[{"file": "src/app/util.py", "line": 3, "symbol": "helper", "change": "c1", "kind": "function.body_changed"}]]
}

test_secret_added_is_unwaivable if {
	w := f.waiver("w1", "secret.added", "**", null, null, "active")
	w2 := f.waiver("w2", "secret.added", null, "API_KEY", f.digest, "active")
	d := decide(with_waivers(f.secret, [w, w2]))
	"secret.added" in rules_of(d)
	d.waived == []
	d.action == "deny"
}

test_rbac_not_permitted_is_unwaivable if {
	inp := object.union(f.base, {"actor": f.intern})
	w := f.waiver("w1", "rbac.not_permitted", "**", null, null, "active")
	d := decide(with_waivers(inp, [w]))
	"rbac.not_permitted" in rules_of(d)
	d.action == "deny"
}

test_unwaivable_list_is_data if {
	w := f.waiver("w1", "secret.added", "src/**", null, null, "active")
	d := gate.decision with input as with_waivers(f.secret, [w]) with data.tidegate.risk.unwaivable as []
	not "secret.added" in rules_of(d)
	d.waived[0].rule == "secret.added"
}

test_first_matching_waiver_in_input_order_is_reported if {
	w1 := f.waiver("w-b", "tests.weakened", "tests/**", null, null, "active")
	w2 := f.waiver("w-a", "tests.weakened", "**", null, null, "active")
	d := decide(with_waivers(f.weakened, [w1, w2]))
	d.waived == [{
		"rule": "tests.weakened",
		"waiver": "w-b",
		"message": concat("", [
			[r.message | some r in decide(f.weakened).reasons; r.rule == "tests.weakened"][0],
			" (waived by w-b, granted by sec-sam until 2099-01-01T00:00:00Z: accepted risk)",
		]),
	}]
}

test_waived_review_no_longer_requires_approval if {
	w := f.waiver("w1", "agent.sensitive_files", "**", null, null, "active")
	inp := with_waivers(f.sensitive, [w])
	d := decide(inp)
	not "security" in {q.role | some q in d.required_approvals}
}

test_malformed_glob_waives_nothing_and_decision_stays_defined if {
	ws := [
		f.waiver("w1", "tests.weakened", "[bad", null, null, "active"),
		f.waiver("w2", "tests.weakened", "tests/{a,b}/**", null, null, "active"),
		f.waiver("w3", "tests.weakened", "", null, null, "active"),
	]
	d := decide(with_waivers(f.weakened, ws))
	"tests.weakened" in rules_of(d)
	d.waived == []
	d.action == "review"
}
