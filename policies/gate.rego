# The gate decision: data.tidegate.gate.decision (schemas/policy-decision.schema.json).
#
# reasons (tidegate.rules)  -> waivers (tidegate.waiving) suppress some of them
#                           -> approvals (tidegate.approvals) turn satisfied reviews into
#                              their `then` action
#                           -> action = most restrictive effective action (allow if none)
#                           -> rollout from the risk band (deny: {none, 0})
#
# Every array is in a stable order: reasons and waived by rule then message, evidence in
# input order, required_approvals by role, contributions by feature name.
#
# Rules of other packages are read by their full path (data.tidegate.rules.reasons): an
# import alias makes regorus evaluate every rule of the aliased package. Imports are for
# functions only.
package tidegate.gate

import data.tidegate.approvals
import data.tidegate.lib
import data.tidegate.waiving
import rego.v1

# Every reason that fired, by rule then message.
candidates := [t[2] | some t in sort([[x.rule, x.message, x] | some x in data.tidegate.rules.reasons])]

# The rules some active input waiver names: only their reasons are matched against waivers.
waiver_rules := {w.rule | some w in input.waivers; w.status == "active"}

# waiver_at[i]: the waiver that suppresses candidates[i], computed once per reason.
waiver_at := {i: w |
	some i, r in candidates
	r.rule in waiver_rules
	w := waiving.waiver_for(r)
}

reasons := [r | some i, r in candidates; not waiver_at[i]]

waived := [waiving.waived_entry(r, waiver_at[i]) | some i, r in candidates; waiver_at[i]]

required_approvals := approvals.required(reasons)

effective_actions := [approvals.effective(r, required_approvals) | some r in reasons]

action := lib.most_restrictive(effective_actions)

band := data.tidegate.risk_score.band

rollout := {"strategy": "none", "percent": 0} if {
	action == "deny"
} else := band.rollout

risk := {
	"score": data.tidegate.risk_score.score,
	"band": band.name,
	"contributions": data.tidegate.risk_score.contributions,
}

decision := {
	"action": action,
	"rollout": rollout,
	"required_approvals": required_approvals,
	"reasons": reasons,
	"waived": waived,
	"risk": risk,
}
