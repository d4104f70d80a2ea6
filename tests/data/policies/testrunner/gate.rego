package tidegate.gate

import rego.v1

too_many if count(input.files) > data.tidegate.limits.max_files

ratio := 100 / count(input.files)

label := "big" if too_many

label := "small" if not too_many

never_used if input.nothing == 1

not_tested if {
	input.files[0] == "never"
}
