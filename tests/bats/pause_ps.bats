#!/usr/bin/env bats
# pause / resume (cgroup freezer v1 and v2) and ps.

load helpers

setup() {
	setup_busybox
	update_config '.process.args = ["sh", "-c", "sleep 100 & i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done"]
		| .root.readonly = false'
}

teardown() {
	teardown_busybox
}

start_detached() {
	mkrun_detached run -d "$1"
	[ "$status" -eq 0 ]
}

@test "pause: state reads paused, the processes stop; resume: they go on" {
	start_detached c1
	sleep 0.3
	run mkrun pause c1
	[ "$status" -eq 0 ]
	testcontainer c1 paused
	local a b
	a=$(cat "$BUNDLE/rootfs/tmp/count")
	sleep 0.4
	b=$(cat "$BUNDLE/rootfs/tmp/count")
	[ "$a" = "$b" ]
	run mkrun resume c1
	[ "$status" -eq 0 ]
	testcontainer c1 running
	sleep 0.4
	b=$(cat "$BUNDLE/rootfs/tmp/count")
	[ "$a" != "$b" ]
}

@test "pause: a paused container can be deleted with --force" {
	start_detached c1
	run mkrun pause c1
	[ "$status" -eq 0 ]
	local pid
	pid=$(mkrun state c1 | jq -r .pid)
	run mkrun delete c1
	[ "$status" -ne 0 ]
	run mkrun delete -f c1
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/c1" ]
	run mkrun state c1
	[ "$status" -ne 0 ]
}

@test "pause/resume: wrong states and unknown containers fail" {
	run mkrun pause nope
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
	start_detached c1
	run mkrun resume c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"not paused"* ]]
	run mkrun pause c1
	[ "$status" -eq 0 ]
	run mkrun pause c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"not running"* ]]
	run mkrun resume c1
	[ "$status" -eq 0 ]
	run mkrun kill c1 KILL
	[ "$status" -eq 0 ]
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(mkrun state c1 | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	run mkrun pause c1
	[ "$status" -eq 1 ]
}

@test "ps: json lists the container's pids, table only its processes" {
	start_detached c1
	local pid
	pid=$(mkrun state c1 | jq -r .pid)
	run mkrun ps --format json c1
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(echo "$output" | jq 'length')" -ge 2 ]
	echo "$output" | jq -e "index($pid) != null"
	run mkrun ps c1
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "${lines[0]}" == *PID* ]]
	[[ "$output" == *"sleep 100"* ]]
	# Nothing of the host's: every listed pid is in the cgroup.
	[[ "$output" != *bats* ]]
	run mkrun ps c1 -o pid,comm
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID*COMMAND* ]]
	[[ "$output" == *sleep* ]]
}

@test "ps: an unknown container fails; a stopped one lists no process (as runc)" {
	run mkrun ps nope
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
	update_config '.process.args = ["true"]'
	start_detached c1
	retry 50 0.1 testcontainer c1 stopped
	run mkrun ps --format json c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
}
