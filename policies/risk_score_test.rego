package tidegate.risk_score_test

import data.tidegate.fixtures_test as f
import data.tidegate.gate
import data.tidegate.risk_score
import rego.v1

contribution(name, cs) := [c | some c in cs; c.feature == name][0]

test_base_score_counts_absent_coverage if {
	risk_score.score == 50 with input as f.base
	c := contribution("coverage", risk_score.contributions) with input as f.base
	c == {"feature": "coverage", "value": 500, "weight": 10, "points": 50}
}

test_measured_coverage_replaces_absent_value if {
	inp := f.with_features({"coverage": {"available": true, "value": 0, "source": "lcov"}})
	risk_score.score == 0 with input as inp
}

test_absent_flakiness_and_ai_behaviour_use_absent_values if {
	# available: false ignores the (stale) value the input carries
	inp := f.with_features({
		"flakiness": {"available": false, "value": 900},
		"ai_behaviour": {"available": false, "value": 900},
	})
	risk_score.score == 50 with input as inp
	risk_score.score == 50 + 45 with input as inp with data.tidegate.risk.absent.flakiness as 900
}

test_points_use_integer_division if {
	# 7 x 25 / 100 = 1.75 -> 1
	inp := f.with_features({"semantic_risk": {"value": 7}})
	c := contribution("semantic_risk", risk_score.contributions) with input as inp
	c.points == 1
	is_number(c.points)
	c.points == floor(c.points)
}

test_points_formula_with_uneven_total if {
	# total weight 3: 1000 x 1 / 3 = 333, 1000 x 2 / 3 = 666 -> 999
	inp := f.with_features({"size": {"value": 1000}, "semantic_risk": {"value": 1000}})
	risk_score.score == 999 with input as inp with data.tidegate.risk.weights as {"size": 1, "semantic_risk": 2}
}

test_contributions_sorted_by_feature if {
	names := [c.feature | some c in risk_score.contributions] with input as f.base
	names == sort(names)
	count(names) == 9
}

test_score_capped_at_1000 if {
	maxed := {
		"size": {"value": 1000}, "files_touched": {"value": 1000}, "blast_radius": {"value": 1000},
		"semantic_risk": {"value": 1000}, "coverage": {"available": true, "value": 1000},
		"flakiness": {"available": true, "value": 1000}, "ai_behaviour": {"available": true, "value": 1000},
		"tests_weakened": {"value": 1000}, "sensitive_files": {"value": 1000},
	}
	risk_score.score == 1000 with input as f.with_features(maxed)
	risk_score.band.name == "critical" with input as f.with_features(maxed)
}

test_zero_total_weight_scores_zero if {
	risk_score.score == 0 with input as f.base with data.tidegate.risk.weights as {"size": 0}
}

test_missing_weights_score_zero if {
	risk_score.score == 0 with input as f.base with data.tidegate.risk.weights as null
	d := gate.decision with input as f.base with data.tidegate.risk.weights as null
	d.risk == {"score": 0, "band": "low", "contributions": []}
}

test_band_boundaries if {
	risk_score.band_for(0).name == "low"
	risk_score.band_for(249).name == "low"
	risk_score.band_for(250).name == "elevated"
	risk_score.band_for(499).name == "elevated"
	risk_score.band_for(500).name == "high"
	risk_score.band_for(749).name == "high"
	risk_score.band_for(750).name == "critical"
	risk_score.band_for(1000).name == "critical"
}

# End to end: the decision at each side of every threshold (score = semantic_risk value).
decide(s) := d if {
	d := gate.decision with input as f.scored(s) with data.tidegate.risk.weights as f.unit_weights
}

test_decision_249_low_allow if {
	d := decide(249)
	d.risk.score == 249
	d.risk.band == "low"
	d.action == "allow"
	d.rollout == {"strategy": "automatic", "percent": 5}
}

test_decision_250_elevated_review if {
	d := decide(250)
	d.risk.band == "elevated"
	d.action == "review"
	d.rollout == {"strategy": "staged", "percent": 10}
	d.required_approvals == [{"role": "reviewer", "count": 1, "satisfied": 0, "rules": ["risk.band"]}]
}

test_decision_499_elevated if {
	d := decide(499)
	d.risk.band == "elevated"
	d.action == "review"
}

test_decision_500_high_senior_review if {
	d := decide(500)
	d.risk.band == "high"
	d.action == "review"
	d.rollout == {"strategy": "manual", "percent": 1}
	d.required_approvals[0].role == "senior-reviewer"
}

test_decision_749_high if {
	d := decide(749)
	d.risk.band == "high"
	d.action == "review"
}

test_decision_750_critical_deny if {
	d := decide(750)
	d.risk.band == "critical"
	d.action == "deny"
	d.rollout == {"strategy": "none", "percent": 0}
	d.required_approvals == []
	d.reasons[0].severity == "critical"
}

test_band_message_names_score_band_and_terms if {
	d := decide(412)
	msg := d.reasons[0].message
	startswith(msg, "risk score 412 (elevated, 250..499) -> review (1 approval from role reviewer), then canary (staged rollout from 10%)")
	contains(msg, "semantic_risk 412 x 1 = 412")
}

test_band_message_lists_largest_contributors_first if {
	inp := f.with_features({"size": {"value": 300}, "semantic_risk": {"value": 600}})
	d := gate.decision with input as inp
	d.risk.score == 30 + 150 + 50
	contains(d.reasons[0].message, "semantic_risk 600 x 25 = 150, coverage 500 (not measured) x 10 = 50, size 300 x 10 = 30")
}

test_misconfigured_bands_fail_closed if {
	d := gate.decision with input as f.base with data.tidegate.risk.bands as [{"name": "low", "min": 100}]
	d.action == "deny"
	d.risk.band == "critical"
	contains(d.reasons[0].message, "matches no band")
}
