# The rules of the default gate policy. Each rule that fires adds one reason to `reasons`:
#
#   {rule, message, severity, action, evidence, approval?}
#
# `action` is what the reason alone asks for; review reasons carry `approval`
# {role, count, then}. Waivers and approvals are applied afterwards (tidegate.gate).
# Rule ids are stable: docs/policies.md is the catalog.
#
# Rules of other packages are read by their full path (data.tidegate.risk_score.band), never
# through an import alias: regorus evaluates every rule of a package whose alias is
# referenced. Imports are for functions (lib.*) only. Messages are built in rule heads, so
# only the rules that fire format one.
package tidegate.rules

import data.tidegate.lib
import rego.v1

# settings: data.tidegate.risk.rules (per-rule severity, approval, ...), {} when missing.
default settings := {}

settings := r if {
	r := data.tidegate.risk.rules
	is_object(r)
}

# --- risk.band: always fires, so every decision shows its score and where it comes from --

band := data.tidegate.risk_score.band

reasons contains r if {
	r := band_reason
}

band_reason := {
	"rule": "risk.band",
	"message": band_message,
	"severity": band.severity,
	"action": "review",
	"evidence": band_evidence,
	"approval": band_approval,
} if {
	band.action == "review"
} else := {
	"rule": "risk.band",
	"message": band_message,
	"severity": band.severity,
	"action": band.action,
	"evidence": band_evidence,
}

band_approval := {
	"role": object.get(band, ["approval", "role"], "reviewer"),
	"count": object.get(band, ["approval", "count"], 1),
	"then": object.get(band, ["approval", "then"], "canary"),
}

# band_evidence: the changes that carry the risk, so reviewers (and SARIF / GitHub
# annotations) see where it is: input.change.kinds entries of significance crucial, high
# or medium, most significant first, then in input order, at most band_evidence_limit.
# Shown for every band, low included; it never makes risk.band waivable (waiving.rego).
band_evidence_limit := 10

# Sorting [significance, index] pairs orders crucial < high < medium (alphabetical order
# happens to be significance order), then input order.
band_evidence := [lib.change_evidence(input.change.kinds[t[1]]) |
	some t in array.slice(
		sort([[k.significance, i] | some i, k in input.change.kinds; k.significance in {"crucial", "high", "medium"}]),
		0, band_evidence_limit,
	)
]

band_outcome := "deny" if {
	band.action == "deny"
} else := sprintf("review (%s), then %s (%s rollout from %d%%)", [
	lib.needs(band_approval),
	band_approval.then,
	band.rollout.strategy,
	band.rollout.percent,
]) if {
	band.action == "review"
} else := sprintf("%s (%s rollout from %d%%)", [
	band.action,
	band.rollout.strategy,
	band.rollout.percent,
])

band_message := sprintf("risk score %d (%s, %s) -> %s: %s (points = value x weight / %d)", [
	data.tidegate.risk_score.score,
	band.name,
	data.tidegate.risk_score.range_text,
	band_outcome,
	data.tidegate.risk_score.breakdown,
	data.tidegate.risk_score.total_weight,
]) if {
	not band.misconfigured
} else := sprintf(
	"risk score %d matches no band in data.tidegate.risk.bands (policies/data/risk.yaml): denied until the band table is fixed",
	[data.tidegate.risk_score.score],
)

# --- secret.added: a credential-looking literal was added (deny, never waivable) -------

secret_ids := lib.change_ids(input.features.secrets_added.changes, {"secret.added"})

secret_changes := lib.changes(secret_ids)

secret_count := max([count(secret_ids), input.features.secrets_added.count])

reasons contains {
	"rule": "secret.added",
	"message": secret_message,
	"severity": object.get(settings, ["secret.added", "severity"], "critical"),
	"action": "deny",
	"evidence": [lib.change_evidence(k) | some k in secret_changes],
} if {
	secret_count > 0
}

secret_message := sprintf("%s added: %s; remove %s from the patch and rotate the exposed %s", [
	lib.plural(secret_count, "credential-looking literal"),
	lib.listed([lib.site(k) | some k in array.slice(secret_changes, 0, 5)], count(secret_changes)),
	lib.them(secret_count),
	credentials_word,
]) if {
	count(secret_changes) > 0
} else := sprintf("%s added (no change location reported); remove %s from the patch and rotate the exposed %s", [
	lib.plural(secret_count, "credential-looking literal"),
	lib.them(secret_count),
	credentials_word,
])

credentials_word := "credential" if {
	secret_count == 1
} else := "credentials"

# --- rbac.not_permitted: an agent without agents.run on this repository (deny) --------

run_permission := object.get(settings, ["rbac.not_permitted", "permission"], "agents.run")

reasons contains {
	"rule": "rbac.not_permitted",
	"message": sprintf("agent %s may not run on repository %s: it lacks permission %s (its roles there: %s); grant it %s in policies/data/rbac.yaml", [
		input.actor.id,
		input.subject.repository,
		run_permission,
		roles_text,
		granting_roles_text,
	]),
	"severity": object.get(settings, ["rbac.not_permitted", "severity"], "critical"),
	"action": "deny",
	"evidence": [],
} if {
	input.actor.kind == "agent"
	not run_permission in input.actor.permissions
}

roles_text := concat(", ", input.actor.roles) if {
	count(input.actor.roles) > 0
} else := "none"

# Roles that grant the permission directly, to tell the reader what to grant.
default rbac_roles := {}

rbac_roles := r if {
	r := data.tidegate.rbac.roles
	is_object(r)
}

granting_roles := sort([name |
	some name, spec in rbac_roles
	is_object(spec)
	run_permission in object.get(spec, "permissions", [])
])

granting_roles_text := sprintf("the %s role", [concat(" or ", granting_roles)]) if {
	count(granting_roles) > 0
} else := sprintf("a role with %s", [run_permission])

# --- agent.sensitive_files: an agent changed policy, CI, waiver, ledger or owner files --

# Sensitive files in input order: the feature's list, then any file the change marks
# sensitive that the feature missed, each path once.
sensitive_all := array.concat(
	[{"path": f.path, "category": f.category} | some f in input.features.sensitive_files.files],
	[{"path": f.path, "category": f.sensitive} | some f in input.change.files; is_string(f.sensitive)],
)

sensitive := [s | some i, s in sensitive_all; not earlier_path(i, s.path)]

earlier_path(i, path) if {
	some j, t in sensitive_all
	j < i
	t.path == path
}

sensitive_approval := lib.approval("agent.sensitive_files")

reasons contains {
	"rule": "agent.sensitive_files",
	"message": sprintf("agent %s changed %s: %s; needs %s", [
		input.actor.id,
		lib.plural(count(sensitive), "sensitive file"),
		lib.listed([sprintf("%s (%s)", [s.path, s.category]) | some s in array.slice(sensitive, 0, 8)], count(sensitive)),
		lib.needs(sensitive_approval),
	]),
	"severity": object.get(settings, ["agent.sensitive_files", "severity"], "high"),
	"action": "review",
	"evidence": [{"file": s.path} | some s in sensitive],
	"approval": sensitive_approval,
} if {
	input.actor.kind == "agent"
	count(sensitive) > 0
}

# --- tests.weakened: removed or skipped tests, removed or weakened assertions ---------

weakening_kinds := {"test.removed", "test.assertion_removed", "test.assertion_weakened", "test.skip_added"}

weakened_ids := lib.change_ids(input.features.tests_weakened.changes, weakening_kinds)

weakened_changes := lib.changes(weakened_ids)

weakened_count := max([count(weakened_ids), input.features.tests_weakened.count])

weakened_approval := lib.approval("tests.weakened")

reasons contains {
	"rule": "tests.weakened",
	"message": weakened_message,
	"severity": object.get(settings, ["tests.weakened", "severity"], "medium"),
	"action": "review",
	"evidence": [lib.change_evidence(k) | some k in weakened_changes],
	"approval": weakened_approval,
} if {
	weakened_count > 0
}

weakened_message := sprintf("%s %s the tests: %s; needs %s confirming the tests still check the behaviour", [
	lib.plural(weakened_count, "change"),
	weaken_verb,
	lib.listed([sprintf("%s in %s", [k.kind, lib.site(k)]) | some k in array.slice(weakened_changes, 0, 5)], count(weakened_changes)),
	lib.needs(weakened_approval),
]) if {
	count(weakened_changes) > 0
} else := sprintf("%s %s the tests (no change location reported); needs %s confirming the tests still check the behaviour", [
	lib.plural(weakened_count, "change"),
	weaken_verb,
	lib.needs(weakened_approval),
])

weaken_verb := "weakens" if {
	weakened_count == 1
} else := "weaken"

# --- unparsed.critical: a file in a critical path the differ could not analyse ---------

unparsed_kinds := {
	"binary": "file.binary",
	"too_large": "file.too_large",
	"unsupported": "language.unsupported",
	"parse_failed": "parse.failed",
}

unparsed := [u | some u in input.change.unparsed; u.critical == true]

unparsed_approval := lib.approval("unparsed.critical")

unparsed_evidence(u) := {"file": u.path, "kind": unparsed_kinds[u.reason]} if {
	unparsed_kinds[u.reason]
} else := {"file": u.path}

reasons contains {
	"rule": "unparsed.critical",
	"message": sprintf("%s in critical paths could not be analysed: %s; needs %s after reading %s by hand", [
		lib.plural(count(unparsed), "file"),
		lib.listed([sprintf("%s (%s)", [u.path, u.reason]) | some u in array.slice(unparsed, 0, 8)], count(unparsed)),
		lib.needs(unparsed_approval),
		lib.them(count(unparsed)),
	]),
	"severity": object.get(settings, ["unparsed.critical", "severity"], "medium"),
	"action": "review",
	"evidence": [unparsed_evidence(u) | some u in unparsed],
	"approval": unparsed_approval,
} if {
	count(unparsed) > 0
}

# --- run.violations: the sandbox run that produced the patch recorded violations ------

violations := input.run.violations if {
	is_array(input.run.violations)
} else := []

violations_approval := lib.approval("run.violations")

reasons contains {
	"rule": "run.violations",
	"message": sprintf("sandbox run %s recorded %s: %s; needs %s confirming the patch does not depend on %s", [
		input.run.id,
		lib.plural(count(violations), "violation"),
		lib.listed([sprintf("%s (%s)", [v.guard, v.detail]) | some v in array.slice(violations, 0, 5)], count(violations)),
		lib.needs(violations_approval),
		lib.them(count(violations)),
	]),
	"severity": object.get(settings, ["run.violations", "severity"], "high"),
	"action": "review",
	"evidence": [],
	"approval": violations_approval,
} if {
	count(violations) > 0
}
