package tidegate.gate_test

import data.tidegate.fixtures_test as f
import data.tidegate.gate
import rego.v1

decide(inp) := d if {
	d := gate.decision with input as inp
}

keys := {"action", "rollout", "required_approvals", "reasons", "waived", "risk"}

test_base_decision_allow if {
	d := decide(f.base)
	{k | some k, _ in d} == keys
	d.action == "allow"
	d.rollout == {"strategy": "automatic", "percent": 5}
	d.required_approvals == []
	d.waived == []
	[r.rule | some r in d.reasons] == ["risk.band"]
	d.risk.score == 50
	d.risk.band == "low"
}

test_decision_defined_for_every_fixture if {
	every inp in [f.base, f.agent_input, f.weakened, f.secret, f.sensitive, object.union(f.base, {"actor": f.intern})] {
		d := decide(inp)
		d.action in {"allow", "canary", "review", "deny"}
	}
}

test_decision_defined_for_empty_data if {
	d := gate.decision with input as f.base with data.tidegate.risk as {} with data.tidegate.rbac as {}
	d.action == "deny"
	d.risk.score == 0
}

test_most_restrictive_action_wins if {
	# a secret (deny) in an agent patch touching sensitive files (review)
	inp := object.union(f.sensitive, {
		"change": {"kinds": [f.change("c1", "secret.added", ".github/workflows/ci.yml", "", 9)]},
		"features": {"secrets_added": {"count": 1, "changes": ["c1"]}},
	})
	d := decide(inp)
	d.action == "deny"
	d.rollout == {"strategy": "none", "percent": 0}
	{r.rule | some r in d.reasons} == {"risk.band", "secret.added", "agent.sensitive_files"}
	# required approvals still tell the reviewer what else is needed
	[q.role | some q in d.required_approvals] == ["security"]
}

test_deny_for_unpermitted_agent if {
	d := decide(object.union(f.base, {"actor": f.intern}))
	d.action == "deny"
	d.rollout.strategy == "none"
}

test_reasons_sorted_by_rule_then_message if {
	inp := object.union(f.weakened, {
		"actor": f.intern,
		"change": {
			"files": [object.union(f.file("policies/x.rego"), {"sensitive": "policy"})],
			"unparsed": [{"path": "src/payments/a.bin", "reason": "binary", "critical": true}],
		},
	})
	d := decide(inp)
	rules := [r.rule | some r in d.reasons]
	rules == sort(rules)
	rules == ["agent.sensitive_files", "rbac.not_permitted", "risk.band", "tests.weakened", "unparsed.critical"]
}

test_output_independent_of_waiver_and_approval_order if {
	w1 := f.waiver("w1", "unparsed.critical", "src/**", null, null, "active")
	w2 := f.waiver("w2", "nothing.here", "**", null, null, "active")
	a1 := f.approval("1", "bob", ["reviewer"])
	a2 := f.approval("2", "alice", ["reviewer", "senior-reviewer"])
	base := object.union(f.weakened, {"change": {"unparsed": [{"path": "src/payments/a.bin", "reason": "binary", "critical": true}]}})
	d1 := decide(object.union(base, {"waivers": [w1, w2], "approvals": [a1, a2]}))
	d2 := decide(object.union(base, {"waivers": [w2, w1], "approvals": [a2, a1]}))
	d1 == d2
	d1.waived[0].waiver == "w1"
}

test_evidence_keeps_input_order if {
	d := decide(f.sensitive)
	some r in d.reasons
	r.rule == "agent.sensitive_files"
	[e.file | some e in r.evidence] == ["policies/gate.rego", ".github/workflows/ci.yml"]
}

test_review_reasons_have_approval_and_others_do_not if {
	inp := object.union(f.sensitive, {
		"change": {"kinds": [f.change("c1", "secret.added", "a.py", "", 1)]},
		"features": {"secrets_added": {"count": 1, "changes": ["c1"]}},
	})
	d := decide(inp)
	count(d.reasons) == 3
	every r in d.reasons {
		has_approval_iff_review(r)
	}
}

has_approval_iff_review(r) if {
	r.action == "review"
	r.approval.role
}

has_approval_iff_review(r) if {
	r.action != "review"
	not r.approval
}
