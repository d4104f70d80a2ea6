package tidegate.gate_test

import rego.v1

import data.tidegate.gate

test_small_change_is_allowed if {
	gate.action == "allow" with input as {
		"actor": {"id": "alice", "kind": "human", "roles": [], "permissions": []},
		"features": {
			"size": {"value": 10},
			"blast_radius": {"value": 0},
			"semantic_risk": {"value": 0},
			"coverage": {"available": true, "value": 0},
			"secrets_added": {"count": 0, "changes": []},
			"tests_weakened": {"count": 0, "changes": []},
			"sensitive_files": {"files": []},
		},
		"change": {"kinds": []},
		"waivers": [],
		"approvals": [],
	}
}
