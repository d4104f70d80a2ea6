# Approvals: what the remaining review reasons require, and what the input already has.
#
# A role's requirement is the largest `count` among the review reasons asking for that
# role; it is satisfied by the input approvals whose roles contain the role, counting each
# approving actor once (two approvals by the same person are not a two-person review).
# A review reason whose role requirement is met acts as its approval's `then` action.
package tidegate.approvals

import rego.v1

# review_roles(reasons): the roles review reasons ask for, sorted.
review_roles(reasons) := sort({r.approval.role |
	some r in reasons
	r.action == "review"
	is_object(r.approval)
})

# approvers(role): distinct actors of input approvals whose roles contain the role.
approvers(role) := {a.actor | some a in input.approvals; role in a.roles}

satisfied(role) := count(approvers(role))

# required(reasons): the decision's required_approvals, one entry per role, by role name.
required(reasons) := [{
	"role": role,
	"count": max([r.approval.count | some r in asking]),
	"satisfied": satisfied(role),
	"rules": sort({r.rule | some r in asking}),
} |
	some role in review_roles(reasons)
	asking := [r | some r in reasons; r.action == "review"; r.approval.role == role]
]

# met(role, requirements): the role's requirement is met.
met(role, requirements) if {
	some q in requirements
	q.role == role
	q.satisfied >= q.count
}

# effective(r, requirements): the action a remaining reason asks for once approvals count.
effective(r, requirements) := r.approval.then if {
	r.action == "review"
	met(r.approval.role, requirements)
} else := r.action
