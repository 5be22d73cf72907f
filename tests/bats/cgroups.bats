#!/usr/bin/env bats
# linux.resources, checked in the host's cgroup files of the container's
# init (through cgroup_path_of) and from inside. Runs on cgroup v1, hybrid
# (v1 controllers + a v2 mount at /sys/fs/cgroup/unified) and pure v2.

load helpers

setup() {
	requires root
	setup_busybox
	# A test-owned cgroup below our own (relative cgroupsPath).
	CGREL="mkrun-cg-$$-$BATS_TEST_NUMBER"
	update_config '.linux.cgroupsPath = "'"$CGREL"'" | .process.args = ["sleep", "100"]'
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		CG=v2
	elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		CG=hybrid
	else
		CG=v1
	fi
}

teardown() {
	teardown_busybox
}

mkrun_detached() {
	mkrun "$@" </dev/null >"$BATS_TEST_TMPDIR/ctr.out" 2>"$BATS_TEST_TMPDIR/ctr.err"
}

# Start the container detached, set PID to its init.
start_ctr() {
	run mkrun_detached run -d c1
	cat "$BATS_TEST_TMPDIR/ctr.err"
	[ "$status" -eq 0 ]
	PID=$(mkrun state c1 | jq -r .pid)
	[ "$PID" -gt 0 ]
}

# cg CONTROLLER: the container's cgroup dir for CONTROLLER (v1 name), or
# its v2 dir on a pure v2 host.
cg() {
	if [ "$CG" = v2 ]; then
		cgroup_path_of "$PID" unified
	else
		cgroup_path_of "$PID" "$1"
	fi
}

# v2 dir of the container (the unified mount on hybrid hosts).
cg2() {
	cgroup_path_of "$PID" unified
}

@test "cgroups: relative cgroupsPath lands below the runtime's own cgroup" {
	start_ctr
	local c
	if [ "$CG" = v2 ]; then
		local own
		own=$(cgroup_path_of "$BASHPID" unified)
		[ "$(cg2)" = "${own%/}/$CGREL" ]
	else
		local own
		for c in memory pids cpu; do
			own=$(cgroup_path_of "$BASHPID" "$c")
			[ "$(cg "$c")" = "${own%/}/$CGREL" ]
		done
	fi
	grep -qx "$PID" "$(cg pids)/cgroup.procs"
}

@test "cgroups: cgroup dirs are removed at delete" {
	start_ctr
	local dirs=() c
	if [ "$CG" = v2 ]; then
		dirs=("$(cg2)")
	else
		for c in memory pids cpu cpuset devices freezer blkio; do
			[ -d "/sys/fs/cgroup/$c" ] && dirs+=("$(cg "$c")")
		done
		[ "$CG" = hybrid ] && dirs+=("$(cg2)")
	fi
	for c in "${dirs[@]}"; do
		[ -d "$c" ] || { echo "missing $c"; return 1; }
	done
	run mkrun delete -f c1
	[ "$status" -eq 0 ]
	for c in "${dirs[@]}"; do
		[ ! -e "$c" ] || { echo "left behind: $c"; return 1; }
	done
}

@test "cgroups: cgroup removed after a foreground run" {
	update_config '.process.args = ["true"]'
	local parent
	if [ "$CG" = v2 ]; then
		parent=$(cgroup_path_of "$BASHPID" unified)
	else
		parent=$(cgroup_path_of "$BASHPID" pids)
	fi
	run mkrun run c1 </dev/null
	[ "$status" -eq 0 ]
	[ ! -e "$parent/$CGREL" ]
}

@test "cgroups: memory limit and reservation" {
	update_config '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432}'
	start_ctr
	if [ "$CG" = v2 ]; then
		[ "$(cat "$(cg memory)/memory.max")" = 67108864 ]
		[ "$(cat "$(cg memory)/memory.low")" = 33554432 ]
	else
		[ "$(cat "$(cg memory)/memory.limit_in_bytes")" = 67108864 ]
		[ "$(cat "$(cg memory)/memory.soft_limit_in_bytes")" = 33554432 ]
	fi
}

@test "cgroups: memory limit is enforced (OOM kill)" {
	# 16 MiB limit; the program tries to hold 64 MiB in a shell variable.
	update_config '.linux.resources.memory = {"limit": 16777216}
		| .process.args = ["sh", "-c", "x=$(head -c 67108864 /dev/zero | tr \"\\\\0\" a); echo survived"]'
	if [ "$CG" != v2 ]; then
		# v1: no swap to fall back to.
		update_config '.linux.resources.memory.swappiness = 0'
	else
		update_config '.linux.resources.memory.swap = 16777216'
	fi
	run mkrun run c1 </dev/null
	echo "status=$status $output"
	[ "$status" -ne 0 ]
	[[ "$output" != *survived* ]]
}

@test "cgroups: memory swappiness (v1)" {
	[ "$CG" = v2 ] && skip "memory.swappiness is cgroup v1 only"
	update_config '.linux.resources.memory = {"limit": 67108864, "swappiness": 10}'
	start_ctr
	[ -e "$(cg memory)/memory.swappiness" ] || skip "no memory.swappiness"
	[ "$(cat "$(cg memory)/memory.swappiness")" = 10 ]
}

@test "cgroups: cpu shares (v1) / weight (v2)" {
	update_config '.linux.resources.cpu = {"shares": 512}'
	start_ctr
	if [ "$CG" = v2 ]; then
		# runc's conversion: 1 + ((shares - 2) * 9999) / 262142
		[ "$(cat "$(cg cpu)/cpu.weight")" = $((1 + ((512 - 2) * 9999) / 262142)) ]
	else
		[ "$(cat "$(cg cpu)/cpu.shares")" = 512 ]
	fi
}

@test "cgroups: cpu quota and period" {
	update_config '.linux.resources.cpu = {"quota": 50000, "period": 100000}'
	start_ctr
	if [ "$CG" = v2 ]; then
		[ "$(cat "$(cg cpu)/cpu.max")" = "50000 100000" ]
	else
		[ "$(cat "$(cg cpu)/cpu.cfs_quota_us")" = 50000 ]
		[ "$(cat "$(cg cpu)/cpu.cfs_period_us")" = 100000 ]
	fi
}

@test "cgroups: cpu quota -1 means unlimited" {
	update_config '.linux.resources.cpu = {"quota": -1, "period": 200000}'
	start_ctr
	if [ "$CG" = v2 ]; then
		[ "$(cat "$(cg cpu)/cpu.max")" = "max 200000" ]
	else
		[ "$(cat "$(cg cpu)/cpu.cfs_quota_us")" = -1 ]
		[ "$(cat "$(cg cpu)/cpu.cfs_period_us")" = 200000 ]
	fi
}

@test "cgroups: cpuset cpus and mems" {
	update_config '.linux.resources.cpu = {"cpus": "0", "mems": "0"}
		| .process.args = ["sh", "-c", "grep -E \"^(Cpus|Mems)_allowed_list\" /proc/self/status; sleep 100"]'
	start_ctr
	[ "$(cat "$(cg cpuset)/cpuset.cpus")" = 0 ]
	[ "$(cat "$(cg cpuset)/cpuset.mems")" = 0 ]
	local i
	for ((i = 0; i < 30; i++)); do
		[ "$(grep -c . "$BATS_TEST_TMPDIR/ctr.out")" -ge 2 ] && break
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/ctr.out"
	grep -qE '^Cpus_allowed_list:\s+0$' "$BATS_TEST_TMPDIR/ctr.out"
	grep -qE '^Mems_allowed_list:\s+0$' "$BATS_TEST_TMPDIR/ctr.out"
}

@test "cgroups: cpuset with two cpus" {
	requires smp
	update_config '.linux.resources.cpu = {"cpus": "0-1"}'
	start_ctr
	[ "$(cat "$(cg cpuset)/cpuset.cpus")" = 0-1 ]
	[[ "$(grep Cpus_allowed_list "/proc/$PID/status")" =~ 0-1$ ]]
}

@test "cgroups: pids limit" {
	update_config '.linux.resources.pids = {"limit": 10}'
	start_ctr
	[ "$(cat "$(cg pids)/pids.max")" = 10 ]
}

@test "cgroups: pids limit 0 is zero tasks more, -1 no limit (runtime-spec 1.3)" {
	# runtime-spec 1.3 (config-linux, pids): 0 is a value like any
	# other (the program runs, and cannot fork); a negative one is "max".
	update_config '.linux.resources.pids = {"limit": 0}
		| .process.args = ["sh", "-c", "for f in /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max; do [ -e $f ] && read v <$f && echo $v; done; /bin/true && echo forked"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[[ "${lines[0]}" == 0* ]]
	[[ "$output" != *forked* ]]
	update_config '.linux.resources.pids = {"limit": -1}'
	run mkrun run c2 </dev/null
	echo "$output"
	[[ "${lines[0]}" == max* ]]
	[[ "$output" == *forked* ]]
}

@test "cgroups: pids limit stops a fork bomb" {
	update_config '.linux.resources.pids = {"limit": 10}
		| .process.args = ["sh", "-c", "for i in $(seq 100); do sleep 10 & done; echo started; cat /sys/fs/cgroup/pids/pids.current /sys/fs/cgroup/pids.current 2>/dev/null; true"]'
	run mkrun run c1 </dev/null
	echo "$output"
	# The shell reports failed forks (busybox sh may then exit non-zero).
	[[ "$output" == *fork* || "$output" == *"Resource temporarily unavailable"* ]]
}

@test "cgroups: blockIO weight" {
	requires io_weight
	update_config '.linux.resources.blockIO = {"weight": 500}'
	start_ctr
	local f
	if [ "$CG" = v2 ]; then
		for f in io.bfq.weight io.weight; do
			[ -e "$(cg2)/$f" ] && break
		done
	else
		for f in blkio.weight blkio.bfq.weight; do
			[ -e "$(cg blkio)/$f" ] && break
		done
	fi
	local file
	[ "$CG" = v2 ] && file="$(cg2)/$f" || file="$(cg blkio)/$f"
	cat "$file"
	# v2's io.weight (1-10000) gets runc's conversion of the v1 weight:
	# 1 + (500 - 10) * 9999 / 990 = 4950; blkio.weight and bfq take 500.
	local want=500
	[ "$f" = io.weight ] && want=4950
	grep -qE "(^| )$want\$" "$file"
}

@test "cgroups: hugepageLimits" {
	requires hugetlb
	# (runc 1.1 cannot use the v2 hugetlb controller on a hybrid host.)
	update_config '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
	start_ctr
	if cgroup_mounted /sys/fs/cgroup/hugetlb && [ "$CG" != v2 ]; then
		[ "$(cat "$(cg hugetlb)/hugetlb.2MB.limit_in_bytes")" = 4194304 ]
	else
		# Pure v2, or hybrid where hugetlb lives only in the v2 mount.
		grep -qw hugetlb "$(cg2)/cgroup.controllers" || skip "hugetlb not enabled in the v2 cgroup"
		[ "$(cat "$(cg2)/hugetlb.2MB.max")" = 4194304 ]
	fi
}

# 1:99 is a "mem" minor that no driver implements: opening it fails with
# EPERM when the device cgroup denies it, and with ENXIO when allowed.
@test "cgroups: devices: an unlisted device node is not accessible" {
	update_config '.linux.devices = [{"path": "/dev/mk99", "type": "c", "major": 1, "minor": 99, "fileMode": 384}]
		| .process.args = ["sh", "-c", "head -c0 /dev/mk99 2>&1; true"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "cgroups: devices: an allow rule grants access (and shows in v1 devices.list)" {
	update_config '.linux.devices = [{"path": "/dev/mk99", "type": "c", "major": 1, "minor": 99, "fileMode": 384}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 99, "access": "rwm"}]
		| .process.args = ["sh", "-c", "head -c0 /dev/mk99 2>&1; echo end; sleep 100"]'
	start_ctr
	local i
	for ((i = 0; i < 30; i++)); do
		grep -q end "$BATS_TEST_TMPDIR/ctr.out" && break
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/ctr.out"
	grep -q "No such device or address" "$BATS_TEST_TMPDIR/ctr.out"
	if [ "$CG" != v2 ]; then
		cat "$(cg devices)/devices.list"
		grep -qx 'c 1:99 rwm' "$(cg devices)/devices.list"
		# Default-deny: no blanket "a *:* rwm".
		! grep -qx 'a \*:\* rwm' "$(cg devices)/devices.list"
	fi
}

@test "cgroups: devices: denying write on /dev/null" {
	update_config '.linux.resources.devices += [{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "w"}]
		| .process.args = ["sh", "-c", "if (echo x > /dev/null) 2>&-; then echo WROTE; else echo denied; fi; head -c0 /dev/null && echo read-ok"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	# runc 1.1 appends its default allow rules after the user's, so this
	# deny is overridden there.
	[ "${lines[0]}" = denied ]
	[ "${lines[1]}" = read-ok ]
}

@test "cgroups: unified keys (v2 / hybrid)" {
	[ "$CG" = v1 ] && skip "no cgroup v2 hierarchy"
	if [ "$CG" = v2 ]; then
		update_config '.linux.resources.unified = {"memory.high": "50331648", "pids.max": "42", "cgroup.max.descendants": "7"}'
	else
		# Hybrid: only core cgroup.* files are certain to exist in the v2
		# mount. (runc 1.1 refuses unified on hybrid hosts.)
		update_config '.linux.resources.unified = {"cgroup.max.descendants": "7"}'
	fi
	start_ctr
	[ "$(cat "$(cg2)/cgroup.max.descendants")" = 7 ]
	if [ "$CG" = v2 ]; then
		[ "$(cat "$(cg2)/memory.high")" = 50331648 ]
		[ "$(cat "$(cg2)/pids.max")" = 42 ]
	fi
}

@test "cgroups: unified keys on pure v1 fail" {
	[ "$CG" = v1 ] || skip "host has a cgroup v2 hierarchy"
	update_config '.linux.resources.unified = {"pids.max": "42"}'
	run mkrun_detached run -d c1
	[ "$status" -ne 0 ]
}

@test "cgroups: the container sees its own cgroup limits" {
	update_config '.linux.namespaces += [{"type": "cgroup"}]
		| .linux.resources.pids = {"limit": 33}
		| .process.args = ["sh", "-c", "cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null; true"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 33 ]
}

# The dir of our relative cgroupsPath in CONTROLLER's v1 hierarchy (or v2).
own_cg_dir() {
	local base
	if [ "$CG" = v2 ]; then
		base=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)
	else
		base=$(get_cgroup_path $$ "$1")
	fi
	echo "$base/$CGREL"
}

@test "cgroups: a pre-existing frozen cgroup is refused, nothing left (as runc)" {
	local dir file state
	if [ "$CG" = v2 ]; then
		dir=$(own_cg_dir) file=cgroup.freeze state=1
	else
		cgroup_mounted /sys/fs/cgroup/freezer || skip "no v1 freezer"
		dir=$(own_cg_dir freezer) file=freezer.state state=FROZEN
	fi
	mkdir -p "$dir"
	echo "$state" >"$dir/$file"
	run mkrun_detached run -d c1
	cat "$BATS_TEST_TMPDIR/ctr.err"
	[ "$status" -eq 1 ]
	grep -q "container's cgroup unexpectedly frozen" "$BATS_TEST_TMPDIR/ctr.err"
	[ ! -e "$ROOT/c1" ]
	# Ours to remove: mkrun did not make it, and left it as it was.
	[ -d "$dir" ]
	[ "$(cat "$dir/$file")" = "$state" ]
	[ "$CG" = v2 ] && echo 0 >"$dir/$file" || echo THAWED >"$dir/$file"
	rmdir "$dir"
}

@test "cgroups: a pre-existing non-empty cgroup is a warning (as runc)" {
	start_ctr
	! grep -q "not empty" "$BATS_TEST_TMPDIR/ctr.err"
	# A second container in the same cgroup.
	run mkrun_detached run -d c2
	cat "$BATS_TEST_TMPDIR/ctr.err"
	[ "$status" -eq 0 ]
	grep -q "mkrun: warning: container's cgroup is not empty: 1 process already in" "$BATS_TEST_TMPDIR/ctr.err"
	[ "$(grep -c warning "$BATS_TEST_TMPDIR/ctr.err")" -eq 1 ]
	mkrun delete -f c2
}

@test "cgroups: a unified key of a controller not on the v2 hierarchy is an invalid configuration" {
	[ "$CG" = hybrid ] || skip "needs a hybrid host (v1 controllers, a v2 mount)"
	update_config '.linux.resources.unified = {"memory.min": "131072"}'
	run mkrun_detached run -d c1
	[ "$status" -eq 1 ]
	output=$(cat "$BATS_TEST_TMPDIR/ctr.err")
	[[ "$output" == *"linux.resources.unified.memory.min: invalid configuration: the memory controller is not on this host's cgroup v2 hierarchy (it is on v1)"* ]]
	[ ! -e "$ROOT/c1" ]
}
