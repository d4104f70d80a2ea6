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
package tidegate.gate

import data.tidegate.approvals
import data.tidegate.lib
import data.tidegate.risk_score
import data.tidegate.rules
import data.tidegate.waiving
import rego.v1

# Every reason that fired, by rule then message.
candidates := [r | some t in sort([[x.rule, x.message, x] | some x in rules.reasons]); r := t[2]]

reasons := [r | some r in candidates; not waiving.waiver_for(r)]

waived := [waiving.waived_entry(r, w) | some r in candidates; w := waiving.waiver_for(r)]

required_approvals := approvals.required(reasons)

effective_actions := [approvals.effective(r, required_approvals) | some r in reasons]

action := lib.most_restrictive(effective_actions)

rollout := {"strategy": "none", "percent": 0} if {
	action == "deny"
} else := risk_score.band.rollout

risk := {
	"score": risk_score.score,
	"band": risk_score.band.name,
	"contributions": risk_score.contributions,
}

decision := {
	"action": action,
	"rollout": rollout,
	"required_approvals": required_approvals,
	"reasons": reasons,
	"waived": waived,
	"risk": risk,
}
