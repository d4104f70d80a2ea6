# Test fixtures shared by the *_test.rego packages: a minimal schema-valid gate input and
# small builders. Loaded for `tidegate policy test` (and `opa test`) only.
package tidegate.fixtures_test

import rego.v1

digest := "1111111111111111111111111111111111111111111111111111111111111111"

other_digest := "2222222222222222222222222222222222222222222222222222222222222222"

# A human's one-line change to an uncritical file: score 50 (coverage not measured), low.
base := {
	"version": 1,
	"subject": {
		"repository": "acme/shop",
		"source": "git",
		"base": "a1b2c3",
		"head": "d4e5f6",
		"patch_digest": digest,
	},
	"actor": {"id": "bob", "kind": "human", "roles": ["reviewer"], "permissions": ["patches.approve"]},
	"change": {
		"files": [file("src/app/util.py")],
		"lines_added": 1,
		"lines_deleted": 0,
		"languages": ["python"],
		"kinds": [],
		"patterns": [],
		"unparsed": [],
	},
	"features": {
		"size": {"value": 0, "lines_changed": 1},
		"files_touched": {"value": 0, "count": 1},
		"blast_radius": {"value": 0, "critical_files": [], "owners": []},
		"semantic_risk": {
			"value": 0,
			"max_significance": "none",
			"counts": {"none": 0, "low": 0, "medium": 0, "high": 0, "crucial": 0},
		},
		"coverage": {
			"available": false, "value": null, "source": null,
			"changed_lines": 0, "covered_lines": 0, "uncovered": [],
		},
		"flakiness": {"available": false, "value": 0, "modules": []},
		"ai_behaviour": {"available": false, "value": 0, "attempts": 0, "churn_lines": 0, "violations": 0},
		"tests_weakened": {"value": 0, "count": 0, "changes": []},
		"sensitive_files": {"value": 0, "files": []},
		"secrets_added": {"count": 0, "changes": []},
	},
	"run": null,
	"approvals": [],
	"waivers": [],
}

file(path) := {
	"path": path,
	"old_path": null,
	"status": "modified",
	"language": "python",
	"analysed": true,
	"reason": null,
	"lines_added": 1,
	"lines_deleted": 0,
	"criticality": 0,
	"owners": [],
	"sensitive": null,
}

change(id, kind, path, symbol, line) := {
	"id": id,
	"kind": kind,
	"significance": "high",
	"file": path,
	"symbol": symbol,
	"line": line,
	"old": null,
	"new": {"start": line, "end": line},
	"description": kind,
	"details": {},
}

# The agent agent:codex with agent-runner (permission agents.run).
codex := {"id": "agent:codex", "kind": "agent", "roles": ["agent-runner"], "permissions": ["agents.run"]}

# A known agent without agent-runner.
intern := {"id": "agent:intern-bot", "kind": "agent", "roles": [], "permissions": []}

agent_input := object.union(base, {"actor": codex})

# with_features(patch): base with some input.features members replaced (deep merge).
with_features(patch) := object.union(base, {"features": patch})

approval(id, actor, roles) := {
	"id": id,
	"actor": actor,
	"roles": roles,
	"decision_id": "41",
	"time": "2025-01-01T00:00:00Z",
	"comment": null,
}

waiver(id, rule, path, symbol, patch_digest, status) := {
	"id": id,
	"rule": rule,
	"path": path,
	"symbol": symbol,
	"patch_digest": patch_digest,
	"expires": "2099-01-01T00:00:00Z",
	"actor": "sec-sam",
	"reason": "accepted risk",
	"status": status,
}

# weights that make the score equal to the semantic_risk value (band boundary tests).
unit_weights := {"semantic_risk": 1}

# Input whose score is exactly s under unit_weights.
scored(s) := with_features({"semantic_risk": {"value": s}})

# A patch that weakens tests: two changes, one listed by the feature, one only in kinds.
weakened := object.union(base, {
	"change": {"kinds": [
		change("c1", "function.body_changed", "src/app/util.py", "helper", 3),
		change("c2", "test.assertion_removed", "tests/test_util.py", "test_helper", 12),
		change("c3", "test.skip_added", "tests/test_util.py", "test_other", 20),
	]},
	"features": {"tests_weakened": {"value": 400, "count": 1, "changes": ["c2"]}},
})

# A patch that adds a secret.
secret := object.union(base, {
	"change": {"kinds": [change("c1", "secret.added", "src/app/settings.py", "API_KEY", 7)]},
	"features": {"secrets_added": {"count": 1, "changes": ["c1"]}},
})

# An agent patch touching a policy file and a workflow.
sensitive := object.union(agent_input, {
	"change": {"files": [
		object.union(file("policies/gate.rego"), {"sensitive": "policy"}),
		object.union(file(".github/workflows/ci.yml"), {"sensitive": "ci"}),
	]},
	"features": {"sensitive_files": {"value": 800, "files": [
		{"path": "policies/gate.rego", "category": "policy"},
		{"path": ".github/workflows/ci.yml", "category": "ci"},
	]}},
})
