# Helpers shared by the default gate policies: action order, integer arithmetic, evidence
# built from input.change.kinds, short lists for messages.
#
# Everything here runs unchanged on OPA 1.x and on regorus (docs/policies.md).
package tidegate.lib

import rego.v1

# allow < canary < review < deny
action_rank := {"allow": 0, "canary": 1, "review": 2, "deny": 3}

ranked_actions := ["allow", "canary", "review", "deny"]

# most_restrictive(actions) is the highest-ranked action of the array, "allow" when empty.
most_restrictive(actions) := ranked_actions[max([action_rank[a] | some a in actions])] if {
	count(actions) > 0
} else := "allow"

# idiv(a, b) is floor(a / b) for integers a >= 0, b > 0 (0 when b is 0). Rego's "/" yields
# a fraction; subtracting the remainder first keeps the result an exact integer on both
# engines.
idiv(a, b) := (a - (a % b)) / b if {
	b > 0
} else := 0

# clamp(x) bounds x to the permille range 0..1000.
clamp(x) := min([1000, max([0, x])])

# plural(n, word) is "1 file", "2 files".
plural(n, word) := sprintf("%d %s", [n, word]) if {
	n == 1
} else := sprintf("%d %ss", [n, word])

# them(n) is "it" for one thing, "them" for several.
them(n) := "it" if {
	n == 1
} else := "them"

# needs(approval) is "1 approval from role security", "2 approvals from role reviewer".
needs(approval) := sprintf("%s from role %s", [plural(approval.count, "approval"), approval.role])

# listing(items, limit) joins at most `limit` strings with ", " and says how many it left out.
listing(items, limit) := concat(", ", items) if {
	count(items) <= limit
} else := sprintf("%s and %d more", [concat(", ", array.slice(items, 0, limit)), count(items) - limit])

# kind(id) is the first input.change.kinds entry with that id (ids are unique in practice;
# taking the first keeps a malformed input from turning into an engine error).
kind(id) := ks[0] if {
	ks := [k | some k in input.change.kinds; k.id == id]
	count(ks) > 0
}

# change_evidence(k) is the evidence object of one change: file, line (when known), symbol
# (when the change has one), change id and kind.
change_evidence(k) := object.union(
	{"file": k.file, "change": k.id, "kind": k.kind},
	object.union(_line(k.line), _symbol(k.symbol)),
)

_line(n) := {"line": n} if {
	is_number(n)
	n > 0
} else := {}

_symbol(s) := {"symbol": s} if {
	is_string(s)
	s != ""
} else := {}

# site(k) names a change for a message: "src/app.py:12 (load_config)".
site(k) := sprintf("%s:%d (%s)", [k.file, k.line, k.symbol]) if {
	k.line > 0
	k.symbol != ""
} else := sprintf("%s:%d", [k.file, k.line]) if {
	k.line > 0
} else := sprintf("%s (%s)", [k.file, k.symbol]) if {
	k.symbol != ""
} else := k.file

# change_ids(listed, kinds) is `listed` (ids from a feature, in input order) followed by the
# ids of input.change.kinds entries whose kind is in `kinds` and that `listed` lacks.
change_ids(listed, kinds) := array.concat(
	[id | some i, id in listed; not _earlier(listed, i, id)],
	[k.id | some k in input.change.kinds; k.kind in kinds; not k.id in listed],
)

_earlier(list, i, x) if {
	some j, y in list
	j < i
	y == x
}

# rule_setting(rule, key, fallback) reads data.tidegate.risk.rules[rule][key].
rule_setting(rule, key, fallback) := v if {
	v := data.tidegate.risk.rules[rule][key]
} else := fallback

# approval(rule) is the {role, count, then} a review rule asks for (risk.yaml rules.<rule>.approval),
# falling back to one reviewer then allow for whatever the data leaves out.
approval(rule) := {
	"role": _approval_field(rule, "role", "reviewer"),
	"count": _approval_field(rule, "count", 1),
	"then": _approval_field(rule, "then", "allow"),
}

_approval_field(rule, key, fallback) := v if {
	v := data.tidegate.risk.rules[rule].approval[key]
} else := fallback
