package tidegate.gate

import rego.v1

# Each repository name selects one way for a policy to go wrong; any other name leaves the
# decision undefined.

decision := {"action": "allow"} if input.subject.repository == "invalid-decision"

decision := 1 / count(input.approvals) if input.subject.repository == "divide-by-zero"

decision := "first" if input.subject.repository == "conflict"

decision := "second" if input.subject.repository == "conflict"

decision := {
	"action": "allow",
	"rollout": {"strategy": "automatic", "percent": 100},
	"required_approvals": [],
	"reasons": [],
	"waived": [],
	"risk": {"score": 0, "band": "low", "contributions": []},
} if input.subject.repository == "fine"
