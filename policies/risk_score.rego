# The risk score of a patch: weighted integer points per feature, the score and its band.
#
#   points(f) = value(f) * weight(f) / sum(weights)      (integer division)
#   score     = min(1000, sum(points))
#
# Weights, the values of absent features and the bands are data (data.tidegate.risk,
# policies/data/risk.yaml); the feature values are input (input.features.*.value).
#
# Everything is computed once, as rules (not per-feature function calls): the decision
# evaluates this package on every gate check.
package tidegate.risk_score

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

# measured[name]: the input's (unclamped) value of each weighted feature that carries a
# usable one. A feature object with `available: false`, a null value, or a feature the
# input lacks is not measured.
measured := {name: f.value |
	some name, f in input.features
	weights[name]
	not f.available == false
	is_number(f.value)
}

# absent_values: the `absent` values that are numbers.
absent_values := {name: x | some name, x in absent; is_number(x)}

# contributions: each weighted feature's value (the input's when measured, else its
# `absent` value, else 0; clamped to 0..1000), weight and points = value x weight /
# total_weight, floored (Rego's "/" yields fractions: subtract the remainder first); all
# points are 0 when the weights sum to 0. Rules are bound to locals once: a rule
# reference inside the loop costs more than the arithmetic.
contributions := cs if {
	ws := weights
	tw := total_weight
	tw > 0
	vals := object.union(absent_values, measured)
	cs := [{"feature": name, "value": v, "weight": w, "points": (x - (x % tw)) / tw} |
		some name in features
		w := ws[name]
		v := min([1000, max([0, object.get(vals, name, 0)])])
		x := v * w
	]
} else := cs if {
	ws := weights
	vals := object.union(absent_values, measured)
	cs := [{"feature": name, "value": min([1000, max([0, object.get(vals, name, 0)])]), "weight": ws[name], "points": 0} |
		some name in features
	]
}

score := min([1000, sum([c.points | some c in contributions])])

# band_index: index of the last band whose `min` the score reaches (undefined: none does).
band_index := index_for(score)

index_for(s) := max(idx) if {
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

band := b if {
	b := bands[band_index]
} else := fallback_band

# band_for(s): the band of any score s (the band-boundary tests use it).
band_for(s) := b if {
	b := bands[index_for(s)]
} else := fallback_band

# range_text: "250..499", ">= 750" for the band of the current score.
range_text := sprintf("%d..%d", [band.min, next_min - 1]) if {
	next_min := bands[band_index + 1].min
} else := sprintf(">= %d", [band.min])

# The contributions that add points, largest first (name breaks ties).
top := [pair[2] | some pair in sort([[0 - x.points, x.feature, x] | some x in contributions; x.points > 0])]

# breakdown: "semantic_risk 600 x 25 = 150, coverage 500 (not measured) x 10 = 50".
breakdown := concat(", ", [sprintf("%s %d%s x %d = %d", [c.feature, c.value, object.get(_notes, c.feature, " (not measured)"), c.weight, c.points]) |
	some c in top
]) if {
	count(top) > 0
} else := "no feature adds points"

_notes := {name: "" | some name, _ in measured}
