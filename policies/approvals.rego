# Approvals: what the remaining review reasons require, and what the input already has.
#
# A role's requirement is the largest `count` among the review reasons asking for that
# role; it is satisfied by the input approvals whose roles contain the role, counting each
# approving actor once (two approvals by the same person are not a two-person review).
# A review reason whose role requirement is met acts as its approval's `then` action.
package tidegate.approvals

import rego.v1

# required(reasons): the decision's required_approvals, one entry per role a review reason
# asks for, by role name: the largest count asked, the distinct actors of input approvals
# whose roles contain the role, and the asking rules (sorted). The review reasons and the
# approvals are bound once, before the loop over roles.
required(reasons) := [{
	"role": role,
	"count": max([r.approval.count | some r in reviews; r.approval.role == role]),
	"satisfied": count({a.actor | some a in given; role in a.roles}),
	"rules": sort({r.rule | some r in reviews; r.approval.role == role}),
} |
	reviews := [r | some r in reasons; r.action == "review"; is_object(r.approval)]
	given := input.approvals
	some role in sort({r.approval.role | some r in reviews})
]

# effective(r, requirements): the action a remaining reason asks for once approvals count:
# a review reason whose role requirement is met acts as its approval's `then`.
effective(r, requirements) := r.approval.then if {
	r.action == "review"
	some q in requirements
	q.role == r.approval.role
	q.satisfied >= q.count
} else := r.action
