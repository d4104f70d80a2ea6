# The rules of the default gate policy. Each rule that fires adds one reason to `reasons`:
#
#   {rule, message, severity, action, evidence, approval?}
#
# `action` is what the reason alone asks for; review reasons carry `approval`
# {role, count, then}. Waivers and approvals are applied afterwards (tidegate.gate).
# Rule ids are stable: docs/policies.md is the catalog.
package tidegate.rules

import data.tidegate.lib
import data.tidegate.risk_score
import rego.v1

# reason(...) builds a reason; review reasons get their approval.
reason(rule, message, severity, action, evidence, approval) := r if {
	action == "review"
	r := {
		"rule": rule,
		"message": message,
		"severity": severity,
		"action": action,
		"evidence": evidence,
		"approval": approval,
	}
} else := {
	"rule": rule,
	"message": message,
	"severity": severity,
	"action": action,
	"evidence": evidence,
}

severity(rule, fallback) := lib.rule_setting(rule, "severity", fallback)

# --- risk.band: always fires, so every decision shows its score -----------------------

reasons contains reason(
	"risk.band",
	band_message,
	band.severity,
	band.action,
	[],
	band_approval,
) if {
	band := risk_score.band
}

band_approval := {
	"role": object.get(risk_score.band, ["approval", "role"], "reviewer"),
	"count": object.get(risk_score.band, ["approval", "count"], 1),
	"then": object.get(risk_score.band, ["approval", "then"], "canary"),
}

band_outcome := "deny" if {
	risk_score.band.action == "deny"
} else := sprintf("review (%s), then %s (%s rollout from %d%%)", [
	lib.needs(band_approval),
	band_approval.then,
	risk_score.band.rollout.strategy,
	risk_score.band.rollout.percent,
]) if {
	risk_score.band.action == "review"
} else := sprintf("%s (%s rollout from %d%%)", [
	risk_score.band.action,
	risk_score.band.rollout.strategy,
	risk_score.band.rollout.percent,
])

band_message := sprintf("risk score %d (%s, %s) -> %s: %s (points = value x weight / %d)", [
	risk_score.score,
	risk_score.band.name,
	risk_score.range_text,
	band_outcome,
	risk_score.breakdown,
	risk_score.total_weight,
]) if {
	not risk_score.band.misconfigured
} else := sprintf(
	"risk score %d matches no band in data.tidegate.risk.bands (policies/data/risk.yaml): denied until the band table is fixed",
	[risk_score.score],
)

# --- secret.added: a credential-looking literal was added (deny, never waivable) -------

secret_ids := lib.change_ids(input.features.secrets_added.changes, {"secret.added"})

secret_changes := [k | some id in secret_ids; k := lib.kind(id)]

secret_count := max([count(secret_ids), input.features.secrets_added.count])

reasons contains reason(
	"secret.added",
	secret_message,
	severity("secret.added", "critical"),
	"deny",
	[lib.change_evidence(k) | some k in secret_changes],
	null,
) if {
	secret_count > 0
}

secret_message := sprintf("%s added: %s; remove %s from the patch and rotate the exposed %s", [
	lib.plural(secret_count, "credential-looking literal"),
	lib.listing([lib.site(k) | some k in secret_changes], 5),
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

run_permission := lib.rule_setting("rbac.not_permitted", "permission", "agents.run")

reasons contains reason(
	"rbac.not_permitted",
	sprintf("agent %s may not run on repository %s: it lacks permission %s (its roles there: %s); grant it %s in policies/data/rbac.yaml", [
		input.actor.id,
		input.subject.repository,
		run_permission,
		roles_text,
		granting_roles_text,
	]),
	severity("rbac.not_permitted", "critical"),
	"deny",
	[],
	null,
) if {
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

reasons contains reason(
	"agent.sensitive_files",
	sprintf("agent %s changed %s: %s; needs %s", [
		input.actor.id,
		lib.plural(count(sensitive), "sensitive file"),
		lib.listing([sprintf("%s (%s)", [s.path, s.category]) | some s in sensitive], 8),
		lib.needs(sensitive_approval),
	]),
	severity("agent.sensitive_files", "high"),
	"review",
	[{"file": s.path} | some s in sensitive],
	sensitive_approval,
) if {
	input.actor.kind == "agent"
	count(sensitive) > 0
}

# --- tests.weakened: removed or skipped tests, removed or weakened assertions ---------

weakening_kinds := {"test.removed", "test.assertion_removed", "test.assertion_weakened", "test.skip_added"}

weakened_ids := lib.change_ids(input.features.tests_weakened.changes, weakening_kinds)

weakened_changes := [k | some id in weakened_ids; k := lib.kind(id)]

weakened_count := max([count(weakened_ids), input.features.tests_weakened.count])

weakened_approval := lib.approval("tests.weakened")

reasons contains reason(
	"tests.weakened",
	weakened_message,
	severity("tests.weakened", "medium"),
	"review",
	[lib.change_evidence(k) | some k in weakened_changes],
	weakened_approval,
) if {
	weakened_count > 0
}

weakened_message := sprintf("%s %s the tests: %s; needs %s confirming the tests still check the behaviour", [
	lib.plural(weakened_count, "change"),
	weaken_verb,
	lib.listing([sprintf("%s in %s", [k.kind, lib.site(k)]) | some k in weakened_changes], 5),
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

reasons contains reason(
	"unparsed.critical",
	sprintf("%s in critical paths could not be analysed: %s; needs %s after reading %s by hand", [
		lib.plural(count(unparsed), "file"),
		lib.listing([sprintf("%s (%s)", [u.path, u.reason]) | some u in unparsed], 8),
		lib.needs(unparsed_approval),
		lib.them(count(unparsed)),
	]),
	severity("unparsed.critical", "medium"),
	"review",
	[unparsed_evidence(u) | some u in unparsed],
	unparsed_approval,
) if {
	count(unparsed) > 0
}

# --- run.violations: the sandbox run that produced the patch recorded violations ------

violations := input.run.violations if {
	is_array(input.run.violations)
} else := []

violations_approval := lib.approval("run.violations")

reasons contains reason(
	"run.violations",
	sprintf("sandbox run %s recorded %s: %s; needs %s confirming the patch does not depend on %s", [
		input.run.id,
		lib.plural(count(violations), "violation"),
		lib.listing([sprintf("%s (%s)", [v.guard, v.detail]) | some v in violations], 5),
		lib.needs(violations_approval),
		lib.them(count(violations)),
	]),
	severity("run.violations", "high"),
	"review",
	[],
	violations_approval,
) if {
	count(violations) > 0
}
