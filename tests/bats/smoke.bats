#!/usr/bin/env bats
# Smoke tests: prove the test harnesses (host and cgroup v2 VM) work.

load helpers

function setup() {
	requires root
	setup_busybox
}

function teardown() {
	teardown_busybox
}

@test "smoke: run prints hello" {
	update_config '.process.args = ["echo", "hello"]'
	run mkrun run smoke_hello
	[ "$status" -eq 0 ]
	[[ "$output" == *hello* ]]
	# Where the container ran, as it saw it (0::/... on cgroup v2).
	update_config '.process.args = ["cat", "/proc/self/cgroup"]'
	run mkrun run smoke_cgroup
	[ "$status" -eq 0 ]
	echo "# /proc/self/cgroup: ${output//$'\n'/ | }" >&3
	if [ "$(cgroup_mode)" = v2 ]; then
		[[ "$output" == 0::/* ]]
	fi
}

@test "smoke: exit code propagates" {
	update_config '.process.args = ["sh", "-c", "exit 42"]'
	run mkrun run smoke_exit
	[ "$status" -eq 42 ]
}

@test "smoke: state is created, then running, then stopped" {
	update_config '.process.args = ["sh", "-c", "read x < /dev/null; sleep 2"]'
	mkrun_detached create smoke_state
	[ "$status" -eq 0 ]
	testcontainer smoke_state created

	mkrun_detached start smoke_state
	[ "$status" -eq 0 ]
	run mkrun state smoke_state
	[ "$status" -eq 0 ]
	st=$(jq -r .status <<<"$output")
	[[ "$st" == running || "$st" == stopped ]]

	wait_for_container 50 0.1 smoke_state stopped
	testcontainer smoke_state stopped
	run mkrun delete smoke_state
	[ "$status" -eq 0 ]
	run mkrun state smoke_state
	[ "$status" -ne 0 ]
}
