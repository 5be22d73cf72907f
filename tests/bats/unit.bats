#!/usr/bin/env bats
# The unit tests of libcontainer's modules (tests/unit/*.c, built by make
# check into tests/bin/): one test for each part of each.  A part that this
# host cannot run (no root, another cgroup layout, a kernel feature missing)
# exits 77 and says why: the test skips with that reason.  They test the
# library, not $MKRUN.  The cgroups they make are below this process's own,
# named after their pid.

BIN="${top_builddir:-$BATS_TEST_DIRNAME/../..}/tests/bin"

# run_unit COMMAND...: passes when COMMAND exits 0, skips when it exits 77
# with the reason it printed ("SKIP PART: why").
run_unit() {
	run "$@"
	echo "$output"
	if [ "$status" -eq 77 ]; then
		skip "$(sed -n 's/^SKIP [^:]*: //p' <<<"$output" | head -n 1)"
	fi
	[ "$status" -eq 0 ]
}

# unit PROGRAM [PART]: run_unit tests/bin/PROGRAM [PART].
unit() {
	[ -x "$BIN/$1" ] || skip "tests/bin/$1 not built (make check, or make check-programs, builds it)"
	run_unit "$BIN/$1" "${@:2}"
}

@test "unit: cgroups: linux.resources parse errors" {
	unit cgtest parse
}

@test "unit: cgroups: create with every v1 resource, enter, stats, load, freeze, update, destroy" {
	unit cgtest lifecycle
}

@test "unit: cgroups: two containers below one parent, invalid paths" {
	unit cgtest paths
}

@test "unit: cgroups: an absolute cgroupsPath" {
	unit cgtest absolute
}

@test "unit: cgroups: failed creates on a hybrid host say why and leave nothing" {
	unit cgtest create-errors
}

@test "unit: cgroups: the v2 BPF device program allows and denies what the rules say" {
	unit cgtest devices-bpf
}

@test "unit: seccomp: linux.seccomp parse errors" {
	unit seccomp_test parse-errors
}

@test "unit: seccomp: valid filters parse; the features lists" {
	unit seccomp_test parse-ok
}

@test "unit: seccomp: loaded filters: errnoRet, EPERM, KILL_PROCESS, argument conditions" {
	unit seccomp_test load
}

@test "unit: seccomp: SCMP_ACT_NOTIFY answered by a listener, with the container process state" {
	unit seccomp_test notify
}

@test "unit: seccomp: sending to a missing listener, a state that is not an object" {
	unit seccomp_test send-errors
}

@test "unit: seccomp: tests/bin/seccomp-listener answers, logs and exits by itself" {
	SECCOMP_LISTENER="$BIN/seccomp-listener"
	[ -x "$SECCOMP_LISTENER" ] || skip "tests/bin/seccomp-listener not built"
	export SECCOMP_LISTENER
	unit seccomp_test listener
}

@test "unit: netfilter: org.mkrun.network.allow's parser; attach without cgroup v2" {
	unit netfilter_test
}

@test "unit: layering: the core reaches its extensions only through extension.h" {
	local src="$BATS_TEST_DIRNAME/../.."
	[ -d "$src/libcontainer" ] || skip "no libcontainer sources here (the VM has only tests/)"
	run_unit "$src/tests/unit/layering.sh"
}
