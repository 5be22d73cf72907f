#!/usr/bin/env bats
# The libFuzzer targets (tests/fuzz/) on the inputs that once broke a parser
# (tests/fuzz/regressions/TARGET) and on their seed corpus: each input runs
# once under ASan, UBSan and LeakSanitizer (tests/fuzz/run.sh --regress), a
# few seconds in all.  `make check` builds the targets first when configure
# found a clang that links libFuzzer; without one these tests skip.

FUZZ_DIR="$BATS_TEST_DIRNAME/../fuzz"
FUZZ_BUILD="${top_builddir:-$BATS_TEST_DIRNAME/../..}/tests/fuzz/build"

regress() {
	[ -x "$FUZZ_BUILD/$1_fuzz" ] || skip "no $1_fuzz (needs clang with libFuzzer: make fuzz-build)"
	run env FUZZ_BUILD="$FUZZ_BUILD" FUZZ_WORK="$BATS_TEST_TMPDIR" FUZZ_NICE=0 \
		"$FUZZ_DIR/run.sh" --regress "$1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$1: "*" inputs, ok"* ]]
}

@test "fuzz regressions: spec (config.json)" { regress spec; }
@test "fuzz regressions: app (the app YAML)" { regress app; }
@test "fuzz regressions: hpc (org.mkrun.hpc.* annotations)" { regress hpc; }
@test "fuzz regressions: netallow (the network allow list)" { regress netallow; }
@test "fuzz regressions: state (state.json)" { regress state; }
