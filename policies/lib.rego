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

# listed(shown, total) joins the strings `shown` (the first of `total` items) with ", " and
# says how many it left out. Callers format only the items they show: building a message
# costs the same for 5 findings as for 500.
listed(shown, total) := concat(", ", shown) if {
	count(shown) >= total
} else := sprintf("%s and %d more", [concat(", ", shown), total - count(shown)])

# kind(id) is the first input.change.kinds entry with that id (ids are unique in practice;
# taking the first keeps a malformed input from turning into an engine error).
kind(id) := ks[0] if {
	ks := [k | some k in input.change.kinds; k.id == id]
	count(ks) > 0
}

# changes(ids) are the input.change.kinds entries of the ids, in the order of `ids` (each
# id's first entry); ids without an entry are skipped. One pass over the kinds, then a
# lookup per id; a malformed input repeating an id falls back to a scan per id.
changes(ids) := [m[id] | some id in ids; m[id]] if {
	wanted := {id | some id in ids}
	ks := [k | some k in input.change.kinds; k.id in wanted]
	count({k.id | some k in ks}) == count(ks)
	m := {k.id: k | some k in ks}
} else := [k | some id in ids; k := kind(id)]

# change_evidence(k) is the evidence object of one change: file, line (when > 0), symbol
# (when not empty), change id and kind.
change_evidence(k) := object.remove(
	{"file": k.file, "line": k.line, "symbol": k.symbol, "change": k.id, "kind": k.kind},
	{"line" | not k.line > 0} | {"symbol" | k.symbol == ""},
)

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

# approval(rule) is the {role, count, then} a review rule asks for (risk.yaml rules.<rule>.approval),
# falling back to one reviewer then allow for whatever the data leaves out.
approval(rule) := {
	"role": object.get(a, "role", "reviewer"),
	"count": object.get(a, "count", 1),
	"then": object.get(a, "then", "allow"),
} if {
	a := data.tidegate.risk.rules[rule].approval
	is_object(a)
} else := {"role": "reviewer", "count": 1, "then": "allow"}
