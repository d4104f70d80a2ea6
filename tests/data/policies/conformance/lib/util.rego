package tidegate.lib

import rego.v1

# Integer division: Rego's `/` yields fractions.
idiv(a, b) := (a - (a % b)) / b

rank := {"allow": 0, "canary": 1, "review": 2, "deny": 3}

# The most restrictive of a list of actions (allow when empty).
strictest(actions) := name if {
	top := max([rank[a] | some a in actions])
	some name, r in rank
	r == top
} else := "allow"
