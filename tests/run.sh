#!/bin/bash
# mkrun's test driver (what "make check" runs).
#
# Usage: tests/run.sh [--host-only|--vm-only|--engines-only] [--no-engines]
#                     [-f REGEX] [BATS_FILE|NAME...]
#   --host-only   only the bats suite on this host
#   --vm-only     only the cgroup v2 VM suite (tests/vm/run.sh)
#   --engines-only  only the engine suite (tests/engines/*.bats: Podman,
#                 containerd, CRI, Docker, Slurm running through mkrun)
#   --no-engines  everything but the engine suite
#   -f REGEX      only tests whose name matches (bats -f), host and VM
#   BATS_FILE...  only these files (tests/bats/foo.bats, or just "foo"); the VM
#                 runs those of them that are in its list (VM_TESTS), or all of
#                 them with --vm-only
#
# Environment: MKRUN (runtime, default <repo>/mkrun), VM_TESTS (files for the
# VM, default tests/bats/lifecycle.bats tests/bats/cgroups.bats tests/bats/pause_ps.bats tests/bats/exec.bats tests/bats/update_events.bats tests/bats/netfilter.bats tests/bats/hpc.bats tests/bats/hpc_gpu.bats), BATS_TEST_TIMEOUT
# (per test, default 120 on the host), TEST_LOG_DIR (TAP logs, default tests/logs).
#
# Prints the TAP streams, the names of the failed tests, and, as its very last
# line, "N passed, N failed, N skipped".  Exits 1 if any test failed.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$HERE/.." && pwd)
cd "$SRCDIR" || exit 2

DO_HOST=1 DO_VM=1 DO_ENGINES=1
FILTER=()
FILES=()
while [ $# -gt 0 ]; do
	case "$1" in
	--host-only) DO_VM=0 DO_ENGINES=0 ;;
	--vm-only) DO_HOST=0 DO_ENGINES=0 ;;
	--engines-only) DO_HOST=0 DO_VM=0 ;;
	--no-engines) DO_ENGINES=0 ;;
	-f | --filter)
		FILTER=(-f "$2")
		shift
		;;
	-h | --help)
		sed -n '2,22p' "$0"
		exit 0
		;;
	-*)
		echo "run.sh: unknown option $1" >&2
		exit 2
		;;
	*)
		f=$1
		[ -f "$f" ] || f=tests/bats/$1
		[ -f "$f" ] || f=tests/bats/$1.bats
		[ -f "$f" ] || f=tests/engines/$1.bats
		if [ ! -f "$f" ]; then
			echo "run.sh: no test file $1" >&2
			exit 2
		fi
		FILES+=("${f#./}")
		;;
	esac
	shift
done

export MKRUN=${MKRUN:-${top_builddir:-$SRCDIR}/mkrun}
case "$MKRUN" in */*) ;; *) MKRUN=$(command -v "$MKRUN" || echo "$MKRUN") ;; esac
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
LOGDIR=${TEST_LOG_DIR:-$SRCDIR/tests/logs}
mkdir -p "$LOGDIR"

PASSED=0 FAILED=0 SKIPPED=0
FAILURES=()

# count_tap SUITE FILE: add FILE's TAP results to the totals.
count_tap() {
	local suite=$1 file=$2 line planned=0 seen=0
	while IFS= read -r line; do
		case "$line" in
		1..*) planned=$((planned + ${line#1..})) ;;
		"ok "*)
			seen=$((seen + 1))
			if [[ "$line" =~ ^ok\ [0-9]+\ .*\ \#\ [sS][kK][iI][pP] ]]; then
				SKIPPED=$((SKIPPED + 1))
			else
				PASSED=$((PASSED + 1))
			fi
			;;
		"not ok "*)
			seen=$((seen + 1))
			FAILED=$((FAILED + 1))
			FAILURES+=("$suite: ${line#not ok }")
			;;
		esac
	done <"$file"
	if [ "$seen" -lt "$planned" ]; then
		FAILED=$((FAILED + planned - seen))
		FAILURES+=("$suite: $((planned - seen)) planned test(s) never reported (bats aborted?)")
	fi
}

if [ "$DO_HOST" = 1 ]; then
	if [ ${#FILES[@]} -gt 0 ]; then
		HOST_FILES=()
		for f in "${FILES[@]}"; do
			case "$f" in tests/engines/*) ;; *) HOST_FILES+=("$f") ;; esac
		done
	else
		HOST_FILES=(tests/bats/*.bats)
	fi
	TAP=$LOGDIR/host.tap
	: >"$TAP"
	echo "=== host suite: ${HOST_FILES[*]} (MKRUN=$MKRUN, cgroups: $(stat -f -c %T /sys/fs/cgroup 2>/dev/null))"
	if [ ! -x "$MKRUN" ]; then
		echo "not ok 1 host: runtime $MKRUN not found (build it, or set MKRUN)" | tee "$TAP"
	elif [ ${#HOST_FILES[@]} -eq 0 ] || [ ! -e "${HOST_FILES[0]}" ]; then
		echo "no bats files"
	else
		bats --tap "${FILTER[@]}" "${HOST_FILES[@]}" </dev/null 2>&1 | tee "$TAP"
	fi
	count_tap host "$TAP"
fi

if [ "$DO_VM" = 1 ]; then
	read -r -a VM_LIST <<<"${VM_TESTS:-tests/bats/lifecycle.bats tests/bats/cgroups.bats tests/bats/pause_ps.bats tests/bats/exec.bats tests/bats/update_events.bats tests/bats/netfilter.bats tests/bats/hpc.bats tests/bats/hpc_gpu.bats}"
	if [ ${#FILES[@]} -gt 0 ] && [ "$DO_HOST" = 1 ]; then
		sel=()
		for f in "${FILES[@]}"; do
			for v in "${VM_LIST[@]}"; do
				[ "$f" = "${v#./}" ] && sel+=("$f")
			done
		done
		VM_LIST=("${sel[@]}")
	elif [ ${#FILES[@]} -gt 0 ]; then
		VM_LIST=("${FILES[@]}")
	fi
	TAP=$LOGDIR/vm.tap
	: >"$TAP"
	if [ ${#VM_LIST[@]} -gt 0 ]; then
		echo "=== cgroup v2 VM suite: ${VM_LIST[*]}"
		VM_LOG=$LOGDIR/vm.log
		start=$SECONDS
		"$HERE/vm/run.sh" "${FILTER[@]}" "${VM_LIST[@]}" 2>"$VM_LOG" | tee "$TAP"
		sed 's/^/# /' "$VM_LOG"
		echo "# VM suite took $((SECONDS - start)) s (console: ${VM_WORK:-$HERE/vm/work}/console.log)"
		count_tap cgroupv2-vm "$TAP"
	else
		echo "=== cgroup v2 VM suite: nothing selected"
	fi
fi

if [ "$DO_ENGINES" = 1 ]; then
	ENGINE_FILES=()
	if [ ${#FILES[@]} -gt 0 ]; then
		for f in "${FILES[@]}"; do
			case "$f" in tests/engines/*) ENGINE_FILES+=("$f") ;; esac
		done
	else
		for f in tests/engines/*.bats; do
			[ -e "$f" ] && ENGINE_FILES+=("$f")
		done
	fi
	TAP=$LOGDIR/engines.tap
	: >"$TAP"
	if [ ${#ENGINE_FILES[@]} -gt 0 ]; then
		echo "=== engine suite: ${ENGINE_FILES[*]}"
		start=$SECONDS
		# Engines are slower to start than a runtime: a longer per-test limit.
		BATS_TEST_TIMEOUT=${ENGINE_TEST_TIMEOUT:-300} \
			bats --tap "${FILTER[@]}" "${ENGINE_FILES[@]}" </dev/null 2>&1 | tee "$TAP"
		echo "# engine suite took $((SECONDS - start)) s"
		count_tap engines "$TAP"
	else
		echo "=== engine suite: nothing selected"
	fi
fi

if [ ${#FAILURES[@]} -gt 0 ]; then
	echo
	echo "Failed tests:"
	for f in "${FAILURES[@]}"; do
		echo "  $f"
	done
fi
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
