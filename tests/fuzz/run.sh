#!/bin/bash
# tests/fuzz/run.sh: runs the libFuzzer targets (what `make fuzz` runs).
#
# Usage: run.sh [--seconds N] [TARGET...]   each TARGET for N seconds (default 60),
#                                           one after the other
#        run.sh --merge [TARGET...]         minimizes tests/fuzz/corpus/TARGET in place,
#                                           with what fuzzing found (FUZZ_WORK/TARGET):
#                                           libFuzzer -set_cover_merge=1, edges only, a
#                                           smallest set of files that covers the code
#                                           both cover
#        run.sh --regress [TARGET...]       runs each TARGET once on its seeds and
#                                           tests/fuzz/regressions/TARGET (seconds)
#        run.sh --reproduce TARGET FILE...  runs TARGET once on each FILE
# TARGET is spec, app, hpc, netallow or state (default: all).  Each run starts
# from the seed corpus tests/fuzz/corpus/TARGET, the inputs that once broke it
# (tests/fuzz/regressions/TARGET) and the inputs earlier runs found
# (FUZZ_WORK/TARGET, where new ones are added), with tests/fuzz/TARGET.dict.
# A crash, a sanitizer report, a leak or a timeout (10 s for one input) stops
# the target and fails the run; the input is saved as
# FUZZ_WORK/TARGET-crash-* (leak-*, timeout-*, oom-*) and the report is printed.
# Last line: "fuzz: N targets, N failed".
#
# Environment: FUZZ_BUILD (the NAME_fuzz binaries, default tests/fuzz/build),
# FUZZ_WORK (default tests/fuzz/work), FUZZ_NICE (nice level, default 19: fuzzing
# yields to everything else), FUZZ_FLAGS (more libFuzzer flags).
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${FUZZ_BUILD:-$HERE/build}
WORK=${FUZZ_WORK:-$HERE/work}
NICE=${FUZZ_NICE:-19}
ALL=(spec app hpc netallow state)

# Longest input tried, per target: a few times the largest seed.
max_len() {
	case "$1" in
	spec) echo 16384 ;;
	app | state) echo 8192 ;;
	*) echo 1024 ;;
	esac
}

mode=run seconds=60
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds)
		seconds=$2
		shift
		;;
	--merge) mode=merge ;;
	--regress) mode=regress ;;
	--reproduce) mode=reproduce ;;
	-h | --help)
		sed -n '2,25p' "$0"
		exit 0
		;;
	-*)
		echo "run.sh: unknown option $1" >&2
		exit 2
		;;
	*) break ;;
	esac
	shift
done

if [ "$mode" = reproduce ]; then
	t=$1
	shift
	exec "$BUILD/${t}_fuzz" -runs=1 "$@"
fi

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL[@]}")
for t in "${targets[@]}"; do
	if [ ! -x "$BUILD/${t}_fuzz" ]; then
		echo "run.sh: no $BUILD/${t}_fuzz (make fuzz-build; targets: ${ALL[*]})" >&2
		exit 2
	fi
done
mkdir -p "$WORK"

if [ "$mode" = merge ]; then
	for t in "${targets[@]}"; do
		seeds=$HERE/corpus/$t new=$WORK/$t.merge found=()
		rm -rf "$new" && mkdir -p "$new" "$seeds"
		[ -d "$WORK/$t" ] && found=("$WORK/$t")
		if ! nice -n "$NICE" "$BUILD/${t}_fuzz" -set_cover_merge=1 -use_counters=0 \
			-max_len="$(max_len "$t")" "$new" "$seeds" "${found[@]}" >"$WORK/$t.merge.log" 2>&1; then
			tail -n 30 "$WORK/$t.merge.log"
			echo "run.sh: merging $t failed" >&2
			exit 1
		fi
		echo "$t: $(find "$seeds" -type f | wc -l) seeds + $(find "${found[@]}" -type f 2>/dev/null | wc -l) found -> $(find "$new" -type f | wc -l) ($(du -sb "$new" | cut -f1) bytes)"
		find "$seeds" -type f -delete
		cp "$new"/* "$seeds"/ 2>/dev/null
		rm -rf "$new"
	done
	exit 0
fi

if [ "$mode" = regress ]; then
	failed=0
	for t in "${targets[@]}"; do
		dirs=("$HERE/corpus/$t")
		[ -d "$HERE/regressions/$t" ] && dirs+=("$HERE/regressions/$t")
		if "$BUILD/${t}_fuzz" -runs=0 -timeout=10 -max_len="$(max_len "$t")" \
			-artifact_prefix="$WORK/$t-" "${dirs[@]}" \
			>"$WORK/$t.regress.log" 2>&1; then
			echo "$t: $(find "${dirs[@]}" -type f | wc -l) inputs, ok"
		else
			failed=$((failed + 1))
			grep -E -A40 '^==[0-9]+==ERROR|runtime error|^fuzz: |ERROR: libFuzzer' \
				"$WORK/$t.regress.log" | head -n 60
			echo "$t: FAILED (log $WORK/$t.regress.log)"
		fi
	done
	echo "fuzz regressions: ${#targets[@]} targets, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

failed=0
summary=()
for t in "${targets[@]}"; do
	seeds=$HERE/corpus/$t log=$WORK/$t.log dict=() dirs=()
	[ -f "$HERE/$t.dict" ] && dict=(-dict="$HERE/$t.dict")
	[ -d "$HERE/regressions/$t" ] && dirs=("$HERE/regressions/$t")
	mkdir -p "$WORK/$t" "$seeds"
	before=$(find "$WORK" -maxdepth 1 -name "$t-*" -type f | sort)
	echo "=== fuzz: $t for ${seconds}s"
	# shellcheck disable=SC2086
	nice -n "$NICE" "$BUILD/${t}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(max_len "$t")" -print_final_stats=1 -artifact_prefix="$WORK/$t-" \
		"${dict[@]}" ${FUZZ_FLAGS:-} "$WORK/$t" "$seeds" "${dirs[@]}" >"$log" 2>&1
	rc=$?
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
	cov=$(echo "$done_line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$done_line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$done_line" | sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
	saved=$(find "$WORK" -maxdepth 1 -name "$t-*" -type f | sort | comm -13 <(echo "$before") -)
	crashes=$(echo -n "$saved" | grep -c .)
	line=$(printf '%-9s %10s execs %7s/s  cov %5s  ft %6s  corpus %-10s crashes %s' "$t" \
		"${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes")
	if [ "$rc" -ne 0 ]; then
		failed=$((failed + 1))
		grep -E -A40 '^==[0-9]+==ERROR|runtime error|^fuzz: |ERROR: libFuzzer' "$log" | head -n 60
		[ -z "$saved" ] || echo "$saved" | sed 's/^/saved: /'
		line="$line  FAILED (status $rc, log $log)"
	fi
	echo "$line"
	summary+=("$line")
done
echo "=== fuzz summary (${seconds}s each)"
printf '%s\n' "${summary[@]}"
echo "fuzz: ${#targets[@]} targets, $failed failed"
[ "$failed" -eq 0 ]
