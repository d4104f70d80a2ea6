# The risk score of a patch: weighted integer points per feature, the score and its band.
#
#   points(f) = value(f) * weight(f) / sum(weights)      (integer division)
#   score     = min(1000, sum(points))
#
# Weights, the values of absent features and the bands are data (data.tidegate.risk,
# policies/data/risk.yaml); the feature values are input (input.features.*.value).
package tidegate.risk_score

import data.tidegate.lib
import rego.v1

default weights := {}

weights := w if {
	w := data.tidegate.risk.weights
	is_object(w)
}

default absent := {}

absent := a if {
	a := data.tidegate.risk.absent
	is_object(a)
}

default bands := []

bands := b if {
	b := data.tidegate.risk.bands
	is_array(b)
}

# Features in name order, so contributions (and everything built from them) are stable.
features := sort([name | some name, _ in weights])

total_weight := sum([w | some _, w in weights])

# available(name): the input carries a usable value for the feature. A feature object with
# `available: false`, a null value, or a feature the input lacks is not available.
available(name) if {
	f := input.features[name]
	not f.available == false
	is_number(f.value)
}

# value(name): the feature's value (0..1000), or its `absent` value when not available.
value(name) := lib.clamp(input.features[name].value) if {
	available(name)
} else := lib.clamp(absent[name]) if {
	is_number(absent[name])
} else := 0

contributions := [{
	"feature": name,
	"value": v,
	"weight": w,
	"points": lib.idiv(v * w, total_weight),
} |
	some name in features
	v := value(name)
	w := weights[name]
]

score := min([1000, sum([c.points | some c in contributions])])

# band_index(s): index of the last band whose `min` the score reaches.
band_index(s) := max(idx) if {
	idx := [i | some i, b in bands; b.min <= s]
	count(idx) > 0
}

# A band table that does not cover the score is a configuration error: fail closed with a
# deny that says so, rather than leaving the decision undefined.
fallback_band := {
	"name": "critical",
	"min": 0,
	"severity": "critical",
	"action": "deny",
	"rollout": {"strategy": "none", "percent": 0},
	"misconfigured": true,
}

band_for(s) := bands[band_index(s)] if {
	bands[band_index(s)]
} else := fallback_band

band := band_for(score)

# upper(s): the last score of the band of s, or null for the last band.
upper(s) := bands[band_index(s) + 1].min - 1 if {
	bands[band_index(s) + 1]
} else := null

# range_text: "250..499", ">= 750" for the band of the current score.
range_text := sprintf("%d..%d", [band.min, upper(score)]) if {
	upper(score) != null
} else := sprintf(">= %d", [band.min])

# The contributions that add points, largest first (name breaks ties).
top := [c |
	some pair in sort([[0 - x.points, x.feature, x] | some x in contributions; x.points > 0])
	c := pair[2]
]

# term(c): "semantic_risk 600 x 25 = 150", with "(not measured)" for an absent feature.
term(c) := sprintf("%s %d x %d = %d", [c.feature, c.value, c.weight, c.points]) if {
	available(c.feature)
} else := sprintf("%s %d (not measured) x %d = %d", [c.feature, c.value, c.weight, c.points])

breakdown := concat(", ", [term(c) | some c in top]) if {
	count(top) > 0
} else := "no feature adds points"
