#!/bin/bash
# mkrun's test driver (what "make check" runs).
#
# Usage: tests/run.sh [--host-only|--vm-only|--engines-only|--runc-compat-only]
#                     [--no-engines] [-f REGEX] [BATS_FILE|NAME...]
#   --host-only   only the bats suite on this host
#   --vm-only     only the VM suites (cgroup v2: tests/vm/run.sh; systemd: tests/vm/systemd.sh)
#   --engines-only  only the engine suite (tests/engines/*.bats: Podman,
#                 containerd, CRI, Docker, Slurm running through mkrun)
#   --runc-compat-only  only runc's own integration suite with mkrun as
#                 runc (tests/runc-compat/run.sh: its expected failures are
#                 skips with their reasons); part of a run without BATS_FILEs
#   --no-engines  everything but the engine suite
#   -f REGEX      only tests whose name matches (bats -f), host and VM
#   BATS_FILE...  only these files (tests/bats/foo.bats, or just "foo"); the VM
#                 runs those of them that are in its list (VM_TESTS), or all of
#                 them with --vm-only
#
# Environment: MKRUN (runtime, default <repo>/mkrun), VM_TESTS (files for the
# VM, default tests/bats/lifecycle.bats tests/bats/cgroups.bats tests/bats/pause_ps.bats tests/bats/exec.bats tests/bats/update_events.bats tests/bats/netfilter.bats tests/bats/hpc.bats tests/bats/hpc_gpu.bats tests/bats/unit.bats), BATS_TEST_TIMEOUT
# (per test, default 120 on the host), TEST_LOG_DIR (TAP logs, default tests/logs),
# VM_NUMA_TESTS (files for the second VM: the backports kernel, 4 cpus in 2
# NUMA nodes; default tests/bats/hpc.bats).
#
# Prints the TAP streams, the names of the failed tests, and, as its very last
# line, "N passed, N failed, N skipped".  Exits 1 if any test failed.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$HERE/.." && pwd)
cd "$SRCDIR" || exit 2

DO_HOST=1 DO_VM=1 DO_ENGINES=1 DO_RUNC=1
FILTER=()
FILES=()
while [ $# -gt 0 ]; do
	case "$1" in
	--host-only) DO_VM=0 DO_ENGINES=0 DO_RUNC=0 ;;
	--vm-only) DO_HOST=0 DO_ENGINES=0 DO_RUNC=0 ;;
	--engines-only) DO_HOST=0 DO_VM=0 DO_RUNC=0 ;;
	--runc-compat-only) DO_HOST=0 DO_VM=0 DO_ENGINES=0 ;;
	--no-engines) DO_ENGINES=0 ;;
	-f | --filter)
		FILTER=(-f "$2")
		shift
		;;
	-h | --help)
		sed -n '2,25p' "$0"
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

# vm_suite NAME TAG DEFAULT_FILES [VAR=VALUE...]: the files of DEFAULT_FILES
# that the command line selects, in a VM (tests/vm/run.sh) with VAR=VALUE.
vm_suite() {
	local name=$1 tag=$2 list sel=() f v start runner=$HERE/vm/run.sh
	read -r -a list <<<"$3"
	shift 3
	case " $* " in *" VM_RUNNER=systemd "*) runner=$HERE/vm/systemd.sh ;; esac
	if [ ${#FILES[@]} -gt 0 ] && [ "$DO_HOST" = 1 ]; then
		for f in "${FILES[@]}"; do
			for v in "${list[@]}"; do
				[ "$f" = "${v#./}" ] && sel+=("$f")
			done
		done
		list=("${sel[@]}")
	elif [ ${#FILES[@]} -gt 0 ]; then
		list=("${FILES[@]}")
	fi
	TAP=$LOGDIR/$name.tap
	: >"$TAP"
	if [ ${#list[@]} -eq 0 ]; then
		echo "=== $name suite: nothing selected"
		return
	fi
	echo "=== $name suite ($*): ${list[*]}"
	start=$SECONDS
	env "$@" "$runner" "${FILTER[@]}" "${list[@]}" 2>"$LOGDIR/$name.log" | tee "$TAP"
	sed 's/^/# /' "$LOGDIR/$name.log"
	echo "# $name suite took $((SECONDS - start)) s (console: ${VM_WORK:-$HERE/vm/work}/console.log)"
	count_tap "$tag" "$TAP"
}

if [ "$DO_VM" = 1 ]; then
	vm_suite vm cgroupv2-vm "${VM_TESTS:-tests/bats/lifecycle.bats tests/bats/cgroups.bats tests/bats/pause_ps.bats tests/bats/exec.bats tests/bats/update_events.bats tests/bats/netfilter.bats tests/bats/hpc.bats tests/bats/hpc_gpu.bats tests/bats/unit.bats}"
	# The HPC profile again on the release's newer (backports) kernel, which
	# has remote cpuset partitions (Linux 6.7+), with 4 cpus in 2 NUMA nodes.
	# Single-threaded TCG: with one host thread per vCPU, 6.12's live code
	# patching (static keys) crashed the guest now and then.
	vm_suite vm-numa cgroupv2-vm-numa "${VM_NUMA_TESTS:-tests/bats/hpc.bats}" \
		VM_KERNEL=backports VM_SMP=4 VM_NUMA=2 VM_ACCEL=tcg,thread=single
	# What needs systemd as pid 1 (and cgroup v2): a Debian root booted
	# with systemd (tests/vm/systemd.sh): unprivileged mkrun and rootless
	# Podman there.
	vm_suite vm-systemd systemd-vm \
		"${VM_SYSTEMD_TESTS:-tests/bats/rootless.bats tests/bats/systemd_cgroup.bats tests/engines/podman_rootless.bats tests/engines/podman_systemd.bats tests/engines/containerd_systemd.bats}" VM_RUNNER=systemd
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

if [ "$DO_RUNC" = 1 ] && [ ${#FILES[@]} -eq 0 ]; then
	TAP=$LOGDIR/runc-compat.tap
	echo "=== runc's integration suite (tests/runc-compat)"
	start=$SECONDS
	"$HERE/runc-compat/run.sh" "${FILTER[@]}" </dev/null 2>&1 | tee "$TAP"
	echo "# runc-compat suite took $((SECONDS - start)) s"
	count_tap runc-compat "$TAP"
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
