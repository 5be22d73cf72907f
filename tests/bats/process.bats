#!/usr/bin/env bats
# process.*: args, env, cwd, user, umask, rlimits, capabilities,
# noNewPrivileges, oomScoreAdj, ioPriority, scheduler, personality, LSMs.
# Observed from inside through /proc/self.

load helpers

setup() {
	requires root
	setup_busybox
}

teardown() {
	teardown_busybox
}

# status_field NAME: the value of NAME: in the $output of `cat /proc/self/status`.
status_field() {
	echo "$output" | awk -v k="$1:" '$1 == k { $1 = ""; sub(/^[ \t]+/, ""); print; exit }'
}

@test "process: args are passed verbatim" {
	update_config '.process.args = ["sh", "-c", "for a in \"$@\"; do echo \"[$a]\"; done", "argv0", "two words", "", "*"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "[two words]" ]
	[ "${lines[1]}" = "[]" ]
	[ "${lines[2]}" = "[*]" ]
}

@test "process: env" {
	update_config '.process.env = ["PATH=/bin:/usr/bin", "FOO=bar baz", "EMPTY=", "TERM=xterm"]
		| .process.args = ["env"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"FOO=bar baz"* ]]
	[[ "$output" == *"PATH=/bin:/usr/bin"* ]]
	printf '%s\n' "${lines[@]}" | grep -qx 'EMPTY='
	# No leak of the runtime's own environment.
	[[ "$output" != *BATS_* ]]
	[[ "$output" != *_LIBCONTAINER* ]]
}

@test "process: args[0] is looked up in the container's PATH" {
	mkdir -p "$BUNDLE/rootfs/opt/tools"
	printf '#!/bin/sh\necho found-in-opt\n' >"$BUNDLE/rootfs/opt/tools/mytool"
	chmod 755 "$BUNDLE/rootfs/opt/tools/mytool"
	update_config '.process.env = ["PATH=/opt/tools:/bin"] | .process.args = ["mytool"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = found-in-opt ]
}

@test "process: cwd" {
	mkdir -p "$BUNDLE/rootfs/work/dir"
	update_config '.process.cwd = "/work/dir" | .process.args = ["pwd"]'
	run mkrun run c1
	[ "$status" -eq 0 ]
	[ "$output" = /work/dir ]
}

@test "process: cwd that does not exist is created" {
	update_config '.root.readonly = false | .process.cwd = "/new/dir" | .process.args = ["pwd"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = /new/dir ]
}

@test "process: user uid/gid/additionalGids" {
	update_config '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [10, 20]}
		| .process.args = ["cat", "/proc/self/status"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(status_field Uid | tr -s '\t ' ' ')" = "1000 1000 1000 1000" ]
	[ "$(status_field Gid | tr -s '\t ' ' ')" = "1001 1001 1001 1001" ]
	local groups
	groups=" $(status_field Groups) "
	[[ "$groups" == *" 10 "* ]]
	[[ "$groups" == *" 20 "* ]]
	# No supplementary group of the runtime (root) leaks in.
	[[ "$groups" != *" 0 "* ]]
}

@test "process: root user has no stray supplementary groups" {
	update_config '.process.user = {"uid": 0, "gid": 0} | .process.args = ["cat", "/proc/self/status"]'
	run mkrun run c1
	[ "$status" -eq 0 ]
	local groups
	groups=$(status_field Groups)
	[ -z "$groups" ] || [ "$groups" = 0 ]
}

@test "process: user.umask" {
	update_config '.process.user.umask = 63 | .process.args = ["cat", "/proc/self/status"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(status_field Umask)" = 0077 ]

	update_config '.process.user.umask = 18'
	run mkrun run c2
	[ "$status" -eq 0 ]
	[ "$(status_field Umask)" = 0022 ]
}

@test "process: rlimits (RLIMIT_NOFILE soft/hard)" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024}]
		| .process.args = ["sh", "-c", "ulimit -n; ulimit -Hn; grep \"Max open files\" /proc/self/limits"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 512 ]
	[ "${lines[1]}" = 1024 ]
	[[ "${lines[2]}" =~ Max\ open\ files\ +512\ +1024 ]]
}

@test "process: rlimits (RLIMIT_NPROC, RLIMIT_CORE)" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NPROC", "soft": 300, "hard": 400}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]
		| .process.args = ["cat", "/proc/self/limits"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ Max\ processes\ +300\ +400 ]]
	[[ "$output" =~ Max\ core\ file\ size\ +0\ +0 ]]
}

@test "process: an unknown rlimit type fails" {
	update_config '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}] | .process.args = ["true"]'
	run mkrun run c1
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/c1" ]
}

@test "process: capabilities (CAP_CHOWN + CAP_NET_BIND_SERVICE in every set)" {
	update_config '.process.capabilities = {
			"bounding": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
			"permitted": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
			"inheritable": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
			"ambient": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]}
		| .process.args = ["cat", "/proc/self/status"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	# CAP_CHOWN = 0, CAP_NET_BIND_SERVICE = 10.
	local want=0000000000000401
	[ "$(status_field CapInh)" = "$want" ]
	[ "$(status_field CapPrm)" = "$want" ]
	[ "$(status_field CapEff)" = "$want" ]
	[ "$(status_field CapBnd)" = "$want" ]
	[ "$(status_field CapAmb)" = "$want" ]
}

@test "process: capabilities are enforced (no CAP_CHOWN -> chown fails)" {
	update_config '.root.readonly = false
		| .process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}
		| .process.args = ["sh", "-c", "touch /f; chown 1:1 /f && echo CHOWNED; grep CapEff /proc/self/status"]'
	run mkrun run c1
	echo "$output"
	[[ "$output" != *CHOWNED* ]]
	[[ "$output" == *"CapEff:"*0000000000000020* ]]
}

@test "process: non-root user keeps ambient capabilities" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {
			"bounding": ["CAP_NET_BIND_SERVICE"], "effective": ["CAP_NET_BIND_SERVICE"],
			"permitted": ["CAP_NET_BIND_SERVICE"], "inheritable": ["CAP_NET_BIND_SERVICE"],
			"ambient": ["CAP_NET_BIND_SERVICE"]}
		| .process.args = ["cat", "/proc/self/status"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(status_field CapEff)" = 0000000000000400 ]
	[ "$(status_field CapAmb)" = 0000000000000400 ]
}

@test "process: non-root user without ambient capabilities has none effective" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {"bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"]}
		| .process.args = ["cat", "/proc/self/status"]'
	run mkrun run c1
	[ "$status" -eq 0 ]
	# execve as non-root drops permitted/effective unless ambient.
	[ "$(status_field CapEff)" = 0000000000000000 ]
	[ "$(status_field CapBnd)" = 0000000000000001 ]
}

@test "process: an unknown capability name fails" {
	# runc 1.1 warns and ignores unknown capabilities.
	[[ "$MKRUN" == *runc ]] && skip "runc ignores unknown capabilities"
	update_config '.process.capabilities.bounding += ["CAP_BOGUS"] | .process.args = ["true"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -ne 0 ]
}

@test "process: noNewPrivileges" {
	update_config '.process.noNewPrivileges = true | .process.args = ["cat", "/proc/self/status"]'
	run mkrun run c1
	[ "$status" -eq 0 ]
	[ "$(status_field NoNewPrivs)" = 1 ]

	update_config '.process.noNewPrivileges = false'
	run mkrun run c2
	[ "$status" -eq 0 ]
	[ "$(status_field NoNewPrivs)" = 0 ]
}

@test "process: oomScoreAdj" {
	update_config '.process.oomScoreAdj = 500 | .process.args = ["cat", "/proc/self/oom_score_adj"]'
	run mkrun run c1
	[ "$status" -eq 0 ]
	[ "$output" = 500 ]
}

@test "process: negative oomScoreAdj" {
	# Lowering oom_score_adj needs CAP_SYS_RESOURCE (bit 24) in the runtime.
	[ $(((0x$(awk '/^CapEff:/ {print $2}' /proc/self/status) >> 24) & 1)) -eq 1 ] ||
		skip "the test runs without CAP_SYS_RESOURCE"
	update_config '.process.oomScoreAdj = -300 | .process.args = ["cat", "/proc/self/oom_score_adj"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = -300 ]
}

@test "process: ioPriority" {
	# runtime-spec 1.1 process.ioPriority; runc < 1.2 ignores it.
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}
		| .process.args = ["ionice", "-p", "1"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "best-effort: prio 6" ]

	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
	run mkrun run c2
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == idle* ]]
}

@test "process: scheduler SCHED_BATCH" {
	# runtime-spec 1.1 process.scheduler; runc < 1.2 ignores it.
	# /proc/self/stat field 41 is the policy (SCHED_BATCH = 3).
	update_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}
		| .process.args = ["sh", "-c", "cut -d\" \" -f41 /proc/$$/stat; cut -d\" \" -f19 /proc/$$/stat"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 3 ]
	[ "${lines[1]}" = 5 ]
}

@test "process: personality LINUX32" {
	[ "$(uname -m)" = x86_64 ] || skip "LINUX32 check written for x86_64 hosts"
	# runtime-spec linux.personality; runc < 1.2 ignores it.
	update_config '.linux.personality = {"domain": "LINUX32"} | .process.args = ["uname", "-m"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = i686 ]

	update_config '.linux.personality = {"domain": "LINUX"}'
	run mkrun run c2
	[ "$status" -eq 0 ]
	[ "$output" = x86_64 ]
}

@test "process: apparmorProfile on a host without AppArmor fails" {
	[[ "$MKRUN" == *runc ]] && skip "mkrun-specific: runc ignores it when AppArmor is off"
	[ -e /sys/kernel/security/apparmor ] && skip "host has AppArmor"
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && skip "host has AppArmor"
	update_config '.process.apparmorProfile = "mkrun-test-profile" | .process.args = ["true"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *apparmor* || "$output" == *AppArmor* ]]
	[ ! -e "$ROOT/c1" ]
}

@test "process: selinuxLabel on a host without SELinux fails" {
	[[ "$MKRUN" == *runc ]] && skip "mkrun-specific: runc ignores it when SELinux is off"
	[ -d /sys/fs/selinux ] && skip "host has SELinux"
	update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0" | .process.args = ["true"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *selinux* || "$output" == *SELinux* ]]
	[ ! -e "$ROOT/c1" ]
}

@test "process: stdin is passed through" {
	update_config '.process.args = ["sh", "-c", "read l; echo got:$l"]'
	run bash -c 'echo hello-stdin | "$0" --root "$1" run c1' "$MKRUN" "$ROOT"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = got:hello-stdin ]
}

@test "process: only fds 0,1,2 are open in the container" {
	update_config '.process.args = ["sh", "-c", "ls /proc/self/fd"]'
	run mkrun run c1 5</dev/null 6<"$BUNDLE/config.json"
	echo "$output"
	[ "$status" -eq 0 ]
	# ls itself opens one fd for the directory.
	local fds
	fds=$(echo "$output" | tr '\n' ' ')
	[[ "$fds" =~ ^0\ 1\ 2\ ([0-9]+\ )?$ ]]
}

@test "process: HOME defaults to the user's home in the image's /etc/passwd (as runc), for exec too" {
	update_config '.process.env = ["PATH=/bin"] | .process.args = ["sh", "-c", "echo home=$HOME; sleep 100"]'
	mkrun run -d c1 </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
	run mkrun exec c1 sh -c 'echo home=$HOME'
	echo "exec: $output"
	[ "$output" = "home=/root" ]
	run mkrun exec --env HOME=/custom c1 sh -c 'echo home=$HOME'
	[ "$output" = "home=/custom" ]
	mkrun delete -f c1
	# Empty counts as unset; a uid the image does not list gets /.
	update_config '.process.env = ["PATH=/bin", "HOME="] | .process.args = ["sh", "-c", "echo home=$HOME"]'
	run mkrun run c1
	[ "$output" = "home=/root" ]
	update_config '.process.user.uid = 1234'
	run mkrun run c1
	[ "$output" = "home=/" ]
	update_config '.process.env = ["PATH=/bin", "HOME=/mine"]'
	run mkrun run c1
	[ "$output" = "home=/mine" ]
}

@test "process: linux.memoryPolicy (runtime-spec 1.3) sets the program's NUMA policy; bad ones are refused" {
	[ -r /proc/self/numa_maps ] || skip "no NUMA in this kernel (/proc/self/numa_maps)"
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]}
		| .process.args = ["sh", "-c", "head -n1 /proc/self/numa_maps"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *" bind=static:0 "* ]]
	update_config '.linux.memoryPolicy = {"mode": "MPOL_INTERLEAVE", "nodes": "0"}'
	run mkrun run c1
	[[ "$output" == *" interleave:0 "* ]]
	update_config '.linux.memoryPolicy = {"mode": "MPOL_LOCAL"}'
	run mkrun run c1
	[[ "$output" == *" local "* ]]
	local bad
	for bad in '{"mode": "MPOL_NOPE"}@mode: unknown mode `MPOL_NOPE`' \
		'{"mode": "MPOL_BIND"}@nodes: MPOL_BIND needs nodes' \
		'{"mode": "MPOL_DEFAULT", "nodes": "0"}@nodes: MPOL_DEFAULT takes no nodes' \
		'{"mode": "MPOL_BIND", "nodes": "zero"}@nodes: `zero` is not a list of nodes' \
		'{"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_X"]}@flags: unknown flag `MPOL_F_X`'; do
		update_config ".linux.memoryPolicy = ${bad%%@*}"
		run mkrun run c1
		echo "$output"
		[ "$status" -eq 1 ]
		[ "$output" = "mkrun: run c1: linux.memoryPolicy.${bad#*@}" ]
		[ ! -e "$ROOT/c1" ]
	done
}
