#!/usr/bin/env bats
# update (runc's flags and -r FILE|-), events (--stats, the stream, oom),
# checkpoint/restore (not supported).  Runs on v1, hybrid and pure v2.

load helpers

setup() {
	requires root
	setup_busybox
	# A cgroup of this test's own (other runs may use the id c1 at once).
	update_config '.linux.cgroupsPath = "mkrun-ue-'"$$-$BATS_TEST_NUMBER"'"
		| .process.args = ["sleep", "1000"]
		| .linux.resources = {"memory": {"limit": 134217728}, "pids": {"limit": 100}}'
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		CG=v2
	else
		CG=v1
	fi
}

teardown() {
	teardown_busybox
}

start_ctr() {
	mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	PID=$(mkrun state c1 | jq -r .pid)
}

# cg CONTROLLER: the container's directory for a v1 controller, or its v2 one.
cg() {
	if [ "$CG" = v2 ]; then
		cgroup_path_of "$PID" unified
	else
		cgroup_path_of "$PID" "$1"
	fi
}

mem_limit() {
	if [ "$CG" = v2 ]; then cat "$(cg memory)/memory.max"; else cat "$(cg memory)/memory.limit_in_bytes"; fi
}

pids_limit() {
	cat "$(cg pids)/pids.max"
}

@test "update: runc's flags change the cgroup files" {
	start_ctr
	[ "$(mem_limit)" = 134217728 ]
	run mkrun update --memory 64m --memory-reservation 32M --pids-limit 20 \
		--cpu-quota 50000 --cpu-period 100000 --cpu-shares 512 c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(mem_limit)" = 67108864 ]
	[ "$(pids_limit)" = 20 ]
	if [ "$CG" = v2 ]; then
		[ "$(cat "$(cg cpu)/cpu.max")" = "50000 100000" ]
		[ "$(cat "$(cg memory)/memory.low")" = 33554432 ]
	else
		[ "$(cat "$(cg cpu)/cpu.cfs_quota_us")" = 50000 ]
		[ "$(cat "$(cg cpu)/cpu.cfs_period_us")" = 100000 ]
		[ "$(cat "$(cg cpu)/cpu.shares")" = 512 ]
		[ "$(cat "$(cg memory)/memory.soft_limit_in_bytes")" = 33554432 ]
	fi
	# Unlimited again.
	run mkrun update --pids-limit -1 --memory -1 c1
	[ "$status" -eq 0 ]
	[ "$(pids_limit)" = max ]
	if [ "$CG" = v2 ]; then
		[ "$(mem_limit)" = max ]
	else
		[ "$(mem_limit)" -gt 1000000000000 ]
	fi
}

@test "update: --cpuset-cpus and --blkio-weight" {
	start_ctr
	run mkrun update --cpuset-cpus 0 c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$(cg cpuset)/cpuset.cpus")" = 0 ]
	if [ "$CG" = v2 ] || [ -e "$(cg blkio)/blkio.weight" ] || [ -e "$(cg blkio)/blkio.bfq.weight" ]; then
		run mkrun update --blkio-weight 300 c1
		echo "$output"
		[ "$status" -eq 0 ]
	fi
}

@test "update: -r FILE and -r - take a linux.resources object" {
	start_ctr
	echo '{"memory": {"limit": 50331648}, "pids": {"limit": 33}}' >"$BUNDLE/r.json"
	run mkrun update -r "$BUNDLE/r.json" c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(mem_limit)" = 50331648 ]
	[ "$(pids_limit)" = 33 ]
	run sh -c "echo '{\"pids\": {\"limit\": 44}}' | \"$MKRUN\" --root \"$ROOT\" update -r - c1"
	[ "$status" -eq 0 ]
	[ "$(pids_limit)" = 44 ]
	# A flag overrides the file.
	run mkrun update -r "$BUNDLE/r.json" --pids-limit 55 c1
	[ "$status" -eq 0 ]
	[ "$(pids_limit)" = 55 ]
}

@test "update: malformed values, unknown and stopped containers fail cleanly" {
	start_ctr
	local v
	for v in "--memory abc" "--memory 12x" "--pids-limit many" "--cpu-quota 1.5" "--cpuset-cpus a-b" "--blkio-weight 5"; do
		run mkrun update $v c1
		echo "$v: $output"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
	done
	echo '{"memory": ' >"$BUNDLE/bad.json"
	run mkrun update -r "$BUNDLE/bad.json" c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"not valid JSON"* ]]
	echo '{"memory": {"limit": "lots"}}' >"$BUNDLE/bad.json"
	run mkrun update -r "$BUNDLE/bad.json" c1
	[ "$status" -eq 1 ]
	[[ "$output" == *memory.limit* ]]
	run mkrun update c1
	[ "$status" -ne 0 ]
	# Nothing changed, and the container still runs.
	[ "$(mem_limit)" = 134217728 ]
	[ "$(pids_limit)" = 100 ]
	testcontainer c1 running
	run mkrun update --memory 64m nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
	kill -9 "$PID"
	retry 50 0.1 testcontainer c1 stopped
	run mkrun update --memory 64m c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"not running"* ]]
}

@test "events --stats: runc's JSON with memory, cpu, pids, blkio, hugetlb" {
	start_ctr
	run mkrun events --stats c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	echo "$output" | jq -e '.type == "stats" and .id == "c1"'
	echo "$output" | jq -e '.data | has("memory") and has("cpu") and has("pids") and has("blkio") and has("hugetlb")'
	echo "$output" | jq -e '.data.memory.usage.limit == 134217728 and .data.memory.usage.usage > 0'
	echo "$output" | jq -e '.data.pids.current == 1 and .data.pids.limit == 100'
	echo "$output" | jq -e '.data.cpu.usage.total > 0'
	echo "$output" | jq -e '.data.memory.raw | length > 5'
	# The numbers follow the container: one more process.
	mkrun exec -d c1 sleep 100 </dev/null >/dev/null 2>&1
	run mkrun events --stats c1
	echo "$output" | jq -e '.data.pids.current == 2'
}

@test "events: stats every --interval, an oom event, and the end with the container" {
	update_config '.process.args = ["sh", "-c", "sleep 1.5; x=$(head -c 67108864 /dev/zero | tr \"\\\\0\" a); sleep 100"]
		| .linux.resources.memory = {"limit": 16777216}'
	if [ "$CG" = v1 ]; then
		update_config '.linux.resources.memory.swappiness = 0'
	else
		update_config '.linux.resources.memory.swap = 16777216'
	fi
	start_ctr
	timeout 30 "$MKRUN" --root "$ROOT" events --interval 300ms c1 >"$BUNDLE/events.out" 2>&1 &
	local ev=$!
	# The OOM kill of the shell's child; then stop the container.
	retry 100 0.1 grep -q '"type":"oom"' "$BUNDLE/events.out"
	# The victim may have been the init itself (the shell holds the data).
	kill -9 "$PID" 2>/dev/null || true
	local rc=0
	wait "$ev" || rc=$?
	cat "$BUNDLE/events.out"
	# events returned by itself (not by timeout) once the container stopped.
	[ "$rc" -eq 0 ]
	[ "$(grep -c '"type":"stats"' "$BUNDLE/events.out")" -ge 3 ]
	grep '"type":"oom"' "$BUNDLE/events.out" | jq -e '.id == "c1"'
	run mkrun events --interval 2 c1
	[ "$status" -ne 0 ]
	run mkrun events --stats nosuch
	[ "$status" -eq 1 ]
}

@test "checkpoint/restore: not supported, said clearly; features says so too" {
	start_ctr
	run mkrun checkpoint c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not supported"* ]]
	run mkrun restore c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"not supported"* ]]
	testcontainer c1 running
	mkrun features | jq -e '.annotations["org.mkrun.checkpoint.enabled"] == "false"'
}

@test "kill --all and delete --force on a running container" {
	start_ctr
	mkrun exec -d c1 sleep 200 </dev/null >/dev/null 2>&1
	[ "$(mkrun ps --format json c1 | jq length)" -eq 2 ]
	local pids
	pids=$(mkrun ps --format json c1 | jq -r '.[]')
	run mkrun kill --all c1 KILL
	[ "$status" -eq 0 ]
	retry 50 0.1 testcontainer c1 stopped
	local p
	for p in $pids; do
		[ ! -d "/proc/$p" ] || grep -q '^State:.*Z' "/proc/$p/status"
	done
	mkrun delete c1
	start_ctr
	run mkrun delete --force c1
	[ "$status" -eq 0 ]
	run mkrun state c1
	[ "$status" -ne 0 ]
}
