package tidegate.gate

import rego.v1

import data.tidegate.lib

risk := data.tidegate.risk

# ---------------------------------------------------------------------------- risk score

value(name) := risk.absent[name] if {
	input.features[name].available == false
} else := input.features[name].value

weight_sum := sum([w | some _, w in risk.weights])

contributions := [c |
	some name in sort([n | some n, _ in risk.weights])
	v := value(name)
	w := risk.weights[name]
	c := {"feature": name, "value": v, "weight": w, "points": lib.idiv(v * w, weight_sum)}
]

score := min([1000, sum([c.points | some c in contributions])])

band := b if {
	eligible := [x | some x in risk.bands; x.min <= score]
	b := eligible[count(eligible) - 1]
}

# ---------------------------------------------------------------------------- reasons by rule

evidence_of(ids) := [{"file": k.file, "line": k.line, "change": k.id, "kind": k.kind} |
	some k in input.change.kinds
	k.id in ids
]

candidate["secret.added"] := {
	"rule": "secret.added",
	"message": sprintf("%d secret(s) added", [input.features.secrets_added.count]),
	"severity": "critical",
	"action": "deny",
	"evidence": evidence_of(input.features.secrets_added.changes),
} if input.features.secrets_added.count > 0

candidate["rbac.not_permitted"] := {
	"rule": "rbac.not_permitted",
	"message": sprintf("agent %s may not run on %s", [input.actor.id, input.subject.repository]),
	"severity": "critical",
	"action": "deny",
	"evidence": [],
} if {
	input.actor.kind == "agent"
	not "agents.run" in input.actor.permissions
}

candidate["tests.weakened"] := {
	"rule": "tests.weakened",
	"message": sprintf("%d test change(s) weaken the tests", [input.features.tests_weakened.count]),
	"severity": data.tidegate.rules["tests.weakened"].severity,
	"action": "review",
	"approval": data.tidegate.rules["tests.weakened"].approval,
	"evidence": evidence_of(input.features.tests_weakened.changes),
} if input.features.tests_weakened.count > 0

candidate["agent.sensitive_files"] := {
	"rule": "agent.sensitive_files",
	"message": "an agent changed sensitive files",
	"severity": data.tidegate.rules["agent.sensitive_files"].severity,
	"action": "review",
	"approval": data.tidegate.rules["agent.sensitive_files"].approval,
	"evidence": [{"file": f.path} | some f in input.features.sensitive_files.files],
} if {
	input.actor.kind == "agent"
	count(input.features.sensitive_files.files) > 0
}

candidate["risk.band"] := object.union(
	{
		"rule": "risk.band",
		"message": sprintf("risk score %d is in band %s", [score, band.name]),
		"severity": band.severity,
		"action": band.action,
		"evidence": [],
	},
	approval_of(band),
) if band.action != "allow"

approval_of(b) := {"approval": b.approval} if b.approval
else := {}

# ---------------------------------------------------------------------------- waivers

waiver_applies(w, r) if {
	w.status == "active"
	w.rule == r.rule
	not r.rule in risk.unwaivable
	digest_matches(w)
	scope_matches(w, r)
}

digest_matches(w) if w.patch_digest == null

digest_matches(w) if w.patch_digest == input.subject.patch_digest

scope_matches(w, r) if {
	w.path != null
	count(r.evidence) > 0
	every e in r.evidence {
		glob.match(w.path, ["/"], e.file)
	}
}

scope_matches(w, r) if {
	w.symbol != null
	count(r.evidence) > 0
	every e in r.evidence {
		e.symbol == w.symbol
	}
}

waiver_of[rule] := ids[0] if {
	some rule, r in candidate
	ids := sort([w.id | some w in input.waivers; waiver_applies(w, r)])
	count(ids) > 0
}

rules := sort([rule | some rule, _ in candidate])

reasons := [candidate[rule] | some rule in rules; not waiver_of[rule]]

waived := [{"rule": rule, "waiver": waiver_of[rule], "message": candidate[rule].message} |
	some rule in rules
	waiver_of[rule]
]

# ---------------------------------------------------------------------------- approvals

review_roles := sort({r.approval.role | some r in reasons; r.action == "review"})

required_approvals := [{
	"role": role,
	"count": max([r.approval.count | some r in reasons; r.action == "review"; r.approval.role == role]),
	"satisfied": count([a | some a in input.approvals; role in a.roles]),
	"rules": sort([r.rule | some r in reasons; r.action == "review"; r.approval.role == role]),
} |
	some role in review_roles
]

requirement_met(role) if {
	some req in required_approvals
	req.role == role
	req.satisfied >= req.count
}

effective(r) := r.approval.then if {
	r.action == "review"
	requirement_met(r.approval.role)
} else := r.action

action := lib.strictest([effective(r) | some r in reasons])

rollout := {"strategy": "none", "percent": 0} if action == "deny"
else := band.rollout

# ---------------------------------------------------------------------------- the decision

decision := {
	"action": action,
	"rollout": rollout,
	"required_approvals": required_approvals,
	"reasons": reasons,
	"waived": waived,
	"risk": {"score": score, "band": band.name, "contributions": contributions},
}
