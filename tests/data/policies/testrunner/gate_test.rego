package tidegate.gate_test

import rego.v1

import data.tidegate.gate

test_four_files_are_too_many if {
	gate.too_many with input as {"files": [1, 2, 3, 4]}
}

test_expects_the_wrong_label if {
	gate.label == "big" with input as {"files": [1]}
}

test_divides_by_zero if {
	gate.ratio == 1 with input as {"files": []}
}

test_is_undefined if {
	gate.never_used with input as {}
}

test_one_file_is_small if {
	print("checking one file")
	gate.label == "small" with input as {"files": [1]}
}

test_false_value := false

helper(x) := x
