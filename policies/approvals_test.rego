package tidegate.approvals_test

import data.tidegate.fixtures_test as f
import data.tidegate.gate
import rego.v1

with_approvals(inp, given) := object.union(inp, {"approvals": given})

decide(inp) := d if {
	d := gate.decision with input as inp
}

alice := f.approval("51", "alice", ["reviewer", "senior-reviewer"])

bob := f.approval("52", "bob", ["reviewer"])

sam := f.approval("53", "sec-sam", ["reviewer", "security"])

test_review_without_approval_stays_review if {
	d := decide(f.weakened)
	d.action == "review"
	d.required_approvals == [{"role": "reviewer", "count": 1, "satisfied": 0, "rules": ["tests.weakened"]}]
}

test_satisfied_review_acts_as_then if {
	d := decide(with_approvals(f.weakened, [bob]))
	d.required_approvals == [{"role": "reviewer", "count": 1, "satisfied": 1, "rules": ["tests.weakened"]}]
	d.action == "allow"
	# the reason still says what it asked for
	[r.action | some r in d.reasons; r.rule == "tests.weakened"] == ["review"]
}

test_senior_reviewer_counts_as_reviewer if {
	d := decide(with_approvals(f.weakened, [alice]))
	d.action == "allow"
}

test_wrong_role_still_review if {
	# a reviewer cannot stand in for security on agent.sensitive_files
	d := decide(with_approvals(f.sensitive, [bob]))
	d.action == "review"
	some q in d.required_approvals
	q.role == "security"
	q.satisfied == 0
}

test_security_approval_satisfies_sensitive_files if {
	d := decide(with_approvals(f.sensitive, [sam]))
	d.action != "review"
	d.action != "deny"
}

test_elevated_band_approved_becomes_canary if {
	inp := with_approvals(f.with_features({"semantic_risk": {"value": 1000}}), [bob])
	d := decide(inp)
	d.risk.band == "elevated"
	d.action == "canary"
	d.rollout == {"strategy": "staged", "percent": 10}
}

test_high_band_needs_senior_reviewer if {
	inp := f.with_features({"semantic_risk": {"value": 1000}, "blast_radius": {"value": 1000}})
	d1 := decide(with_approvals(inp, [bob]))
	d1.risk.band == "high"
	d1.action == "review"
	d2 := decide(with_approvals(inp, [alice]))
	d2.action == "canary"
	d2.rollout == {"strategy": "manual", "percent": 1}
}

test_requirements_aggregate_per_role_with_max_count if {
	# two review reasons ask for reviewer; one of them (via data) asks for two approvals
	inp := object.union(f.weakened, {"change": {"unparsed": [{"path": "src/payments/a.bin", "reason": "binary", "critical": true}]}})
	d := gate.decision with input as inp with data.tidegate.risk.rules["tests.weakened"].approval.count as 2
	d.required_approvals == [{"role": "reviewer", "count": 2, "satisfied": 0, "rules": ["tests.weakened", "unparsed.critical"]}]
}

test_two_of_requirement_needs_two_approvers if {
	inp := object.union(f.weakened, {"change": {"unparsed": [{"path": "src/payments/a.bin", "reason": "binary", "critical": true}]}})
	one := gate.decision with input as with_approvals(inp, [bob]) with data.tidegate.risk.rules["tests.weakened"].approval.count as 2
	one.action == "review"
	two := gate.decision with input as with_approvals(inp, [bob, alice]) with data.tidegate.risk.rules["tests.weakened"].approval.count as 2
	two.action == "allow"
	two.required_approvals[0].satisfied == 2
}

test_same_actor_twice_counts_once if {
	bob_again := f.approval("60", "bob", ["reviewer"])
	d := gate.decision with input as with_approvals(f.weakened, [bob, bob_again]) with data.tidegate.risk.rules["tests.weakened"].approval.count as 2
	d.required_approvals[0].satisfied == 1
	d.action == "review"
}

test_approval_does_not_lift_deny if {
	d := decide(with_approvals(f.secret, [alice, bob, sam]))
	d.action == "deny"
	d.rollout == {"strategy": "none", "percent": 0}
}

test_required_approvals_sorted_by_role if {
	inp := object.union(f.sensitive, {
		"change": {"kinds": [f.change("c2", "test.removed", "tests/test_a.py", "test_a", 1)]},
		"features": {"tests_weakened": {"value": 100, "count": 1, "changes": ["c2"]}},
	})
	d := decide(inp)
	[q.role | some q in d.required_approvals] == ["reviewer", "security"]
}
