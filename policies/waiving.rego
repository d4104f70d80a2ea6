# Waivers: which input waiver (if any) suppresses a reason.
#
# A waiver applies to a reason when all of these hold:
#   - its status is "active" (tidegate sets expired / malformed from the expiry);
#   - its rule equals the reason's rule, and that rule is not in
#     data.tidegate.risk.unwaivable;
#   - its patch_digest is null, or equals input.subject.patch_digest;
#   - its path glob matches EVERY evidence file of the reason, or its symbol equals EVERY
#     evidence symbol; either way the reason must have at least one evidence item, so a
#     reason without evidence (rbac.not_permitted, run.violations) cannot be waived, and a
#     waiver with neither path nor symbol waives nothing.
#
# risk.band is never waived, whatever the data says: its evidence only shows where the
# risk is (the band is the score's, not the files'), and a waiver must not lift a band.
package tidegate.waiving

import rego.v1

default unwaivable := []

unwaivable := u if {
	u := data.tidegate.risk.unwaivable
	is_array(u)
}

# Rules no waiver can suppress, fixed by the policy (data adds `unwaivable`).
never_waived := {"risk.band"}

applies(w, r) if {
	w.status == "active"
	w.rule == r.rule
	not r.rule in never_waived
	not r.rule in unwaivable
	digest_matches(w)
	scope_matches(w, r)
}

digest_matches(w) if w.patch_digest == null

digest_matches(w) if w.patch_digest == input.subject.patch_digest

# Globs use "/" as the only separator: "*" stays within a segment, "**" crosses them.
scope_matches(w, r) if {
	usable_glob(w.path)
	count(r.evidence) > 0
	every e in r.evidence {
		glob.match(w.path, ["/"], e.file)
	}
}

scope_matches(w, r) if {
	is_string(w.symbol)
	count(r.evidence) > 0
	every e in r.evidence {
		e.symbol == w.symbol
	}
}

# usable_glob(p): p only uses the documented glob syntax ("*", "**", "?"). Character
# classes, alternatives and escapes are refused, so a malformed pattern recorded in the
# ledger makes its waiver apply to nothing instead of raising an error in glob.match
# (an error on regorus, an undefined expression on OPA) that would fail the whole decision.
usable_glob(p) if {
	is_string(p)
	p != ""
	every c in ["[", "]", "{", "}", "\\"] {
		not contains(p, c)
	}
}

# waiver_for(r): the first input waiver (in input order) that applies to the reason.
waiver_for(r) := ws[0] if {
	ws := [w | some w in input.waivers; applies(w, r)]
	count(ws) > 0
}

# waived_entry(r, w): the decision's `waived` item for reason r suppressed by waiver w.
waived_entry(r, w) := {
	"rule": r.rule,
	"waiver": w.id,
	"message": sprintf("%s (waived by %s, granted by %s until %s: %s)", [r.message, w.id, w.actor, w.expires, w.reason]),
}
