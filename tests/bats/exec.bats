#!/usr/bin/env bats
# exec: a process in a created or running container, with runc's flags.

load helpers

RECVTTY="$BATS_TEST_DIRNAME/../bin/recvtty"

setup() {
	setup_busybox
	update_config '.process.args = ["sleep", "1000"]'
	RECV_PID=
}

teardown() {
	if [ -n "$RECV_PID" ]; then
		kill "$RECV_PID" 2>/dev/null || true
		wait "$RECV_PID" 2>/dev/null || true
	fi
	teardown_busybox
}

start_detached() {
	mkrun_detached run -d "$1"
	[ "$status" -eq 0 ]
}

@test "exec: output, arguments and exit status" {
	start_detached c1
	run mkrun exec c1 sh -c 'echo "one:$1"; echo err >&2; exit 7' sh two
	echo "$output"
	[ "$status" -eq 7 ]
	[[ "${lines[0]}" == "one:two" ]]
	[[ "$output" == *err* ]]
	run mkrun exec c1 true
	[ "$status" -eq 0 ]
}

@test "exec: joins every namespace and the cgroup of the container" {
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	start_detached c1
	local init
	init=$(mkrun state c1 | jq -r .pid)
	run mkrun exec c1 sh -c 'echo $$; for n in pid mnt net ipc uts cgroup; do echo "$n $(readlink /proc/self/ns/$n) $(readlink /proc/1/ns/$n)"; done'
	echo "$output"
	[ "$status" -eq 0 ]
	# A new pid in the container's pid namespace (its init is 1).
	[ "${lines[0]}" -gt 1 ]
	local line
	for line in "${lines[@]:1:6}"; do
		set -- $line
		[ "$2" = "$3" ]
	done
	# In the container's cgroup, which is the cgroup namespace's root.
	run mkrun exec c1 cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	for line in "${lines[@]}"; do
		[[ "$line" == *:/ ]]
	done
	# The host sees it in the container's cgroup.
	mkrun exec -d c1 sleep 30 </dev/null >/dev/null 2>&1
	run mkrun ps --format json c1
	[ "$(echo "$output" | jq length)" -ge 2 ]
	[ "$init" -gt 0 ]
}

@test "exec: --cwd, --env (adds and overrides), --user, --additional-gids" {
	update_config '.process.env += ["FROM_SPEC=spec", "OVERRIDE=old"]'
	start_detached c1
	run mkrun exec --cwd /tmp -e NEW=new -e OVERRIDE=new -u 65534:65534 -g 10 --additional-gids 20,30 \
		c1 sh -c 'pwd; echo "$FROM_SPEC $NEW $OVERRIDE"; id -u; id -g; id -G; env | grep -c ^OVERRIDE='
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /tmp ]
	[ "${lines[1]}" = "spec new new" ]
	[ "${lines[2]}" = 65534 ]
	[ "${lines[3]}" = 65534 ]
	[[ " ${lines[4]} " == *" 10 "* && " ${lines[4]} " == *" 20 "* && " ${lines[4]} " == *" 30 "* ]]
	[ "${lines[5]}" = 1 ]
}

@test "exec: --cap adds a capability, --no-new-privs sets no_new_privs" {
	start_detached c1
	run mkrun exec c1 sh -c 'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status'
	echo "$output"
	local eff=$(( 0x$(echo "$output" | awk '/CapEff/ {print $2}') ))
	# CAP_SYS_ADMIN is 21: not in the default set.
	[ $(( (eff >> 21) & 1 )) -eq 0 ]
	run mkrun exec --cap CAP_SYS_ADMIN --no-new-privs c1 sh -c 'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	eff=$(( 0x$(echo "$output" | awk '/CapEff/ {print $2}') ))
	[ $(( (eff >> 21) & 1 )) -eq 1 ]
	[[ "$output" == *"NoNewPrivs:"*1* ]]
	run mkrun exec --cap CAP_NO_SUCH c1 true
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown capability"* ]]
}

@test "exec: the container's seccomp filter and rlimits apply" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
			"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
		| .process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": 321, "soft": 123}]
		| .root.readonly = false'
	start_detached c1
	run mkrun exec c1 sh -c 'ulimit -n; ulimit -Hn; mkdir /tmp/x'
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = 123 ]
	[ "${lines[1]}" = 321 ]
	[[ "$output" == *"not permitted"* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/x" ]
}

@test "exec: -d --pid-file returns at once; the process runs in the container" {
	update_config '.root.readonly = false'
	start_detached c1
	# Detached, the process inherits our stdio: not bats' pipe.
	mkrun exec -d --pid-file "$BUNDLE/exec.pid" c1 sh -c 'sleep 0.5; echo done > /tmp/done-file; sleep 100' \
		</dev/null >/dev/null 2>&1
	local pid
	pid=$(cat "$BUNDLE/exec.pid")
	[ -d "/proc/$pid" ]
	# The host pid is one of the container's processes.
	mkrun ps --format json c1 | jq -e --argjson p "$pid" "any(.[]; . == \$p)"
	retry 20 0.2 mkrun exec c1 test -e /tmp/done-file
}

@test "exec: --tty gives a terminal; --console-socket receives its master" {
	start_detached c1
	run script -qec "$MKRUN --root $ROOT exec -t c1 sh -c 'tty; exit 3'" /dev/null
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == */dev/pts/* ]]
	[ -x "$RECVTTY" ] || skip "tests/bin/recvtty not built"
	local sock="$BATS_TEST_TMPDIR/c.sock" out="$BATS_TEST_TMPDIR/tty.out"
	"$RECVTTY" "$sock" >"$out" 2>/dev/null </dev/null 3>&- &
	RECV_PID=$!
	retry 50 0.1 test -S "$sock"
	run mkrun exec -d -t --console-socket "$sock" c1 sh -c 'tty; echo via-socket'
	[ "$status" -eq 0 ]
	retry 50 0.1 grep -q via-socket "$out"
	grep -q /dev/pts/ "$out"
	run mkrun exec -d -t c1 true
	[ "$status" -ne 0 ]
	[[ "$output" == *"console-socket"* ]]
}

@test "exec: --process FILE, and one that is not JSON" {
	start_detached c1
	cat >"$BUNDLE/process.json" <<-EOF
		{"terminal": false, "user": {"uid": 65534, "gid": 65534}, "cwd": "/etc",
		 "args": ["sh", "-c", "pwd; id -u; echo \$P"], "env": ["P=from-file", "PATH=/bin"]}
	EOF
	run mkrun exec --process "$BUNDLE/process.json" c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /etc ]
	[ "${lines[1]}" = 65534 ]
	[ "${lines[2]}" = from-file ]
	echo '{"args": ["sh",' >"$BUNDLE/bad.json"
	run mkrun exec --process "$BUNDLE/bad.json" c1
	echo "$output"
	[ "$status" -eq 255 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"not valid JSON"* ]]
	echo '{"args": "sh"}' >"$BUNDLE/bad.json"
	run mkrun exec --process "$BUNDLE/bad.json" c1
	[ "$status" -eq 255 ]
	[[ "$output" == *"process.args"* ]]
	testcontainer c1 running
}

@test "exec: unknown, stopped and paused containers, and bad flags fail cleanly (255: mkrun failed, as runc)" {
	run mkrun exec nosuch true
	[ "$status" -eq 255 ]
	[[ "$output" == *"does not exist"* ]]
	update_config '.process.args = ["true"]'
	start_detached c1
	retry 50 0.1 testcontainer c1 stopped
	run mkrun exec c1 true
	echo "$output"
	[ "$status" -eq 255 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *stopped* ]]
	mkrun delete c1
	update_config '.process.args = ["sleep", "1000"]'
	start_detached c2
	mkrun pause c2
	run mkrun exec c2 true
	[ "$status" -eq 255 ]
	[[ "$output" == *paused* ]]
	# --ignore-paused: the process waits, frozen, for the resume.
	(sleep 1 && mkrun resume c2) &
	local resumer=$!
	run mkrun exec --ignore-paused c2 echo after-resume
	wait "$resumer"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = after-resume ]
	run mkrun exec -u notanumber c2 true
	[ "$status" -eq 255 ]
	[[ "$output" == *"--user"* ]]
	run mkrun exec c2
	[ "$status" -ne 0 ]
	run mkrun exec c2 /no/such/program
	[ "$status" -ne 0 ]
	[[ "$output" == *"executable file not found"* || "$output" == *"no-such"* || "$output" == *"/no/such/program"* ]]
	run mkrun exec --apparmor someprofile c2 true
	[ "$status" -ne 0 ]
	# Refused where AppArmor is off; where it is on, the profile does not exist.
	[[ "$output" == *AppArmor* || "$output" == *someprofile* ]]
	testcontainer c2 running
	# Nothing was left in the container.
	[ "$(mkrun ps --format json c2 | jq length)" -eq 1 ]
}

@test "exec: signals reach the process; the exit status is 128+N" {
	start_detached c1
	"$MKRUN" --root "$ROOT" exec c1 sh -c 'trap "echo got-term; exit 42" TERM; while true; do sleep 0.1; done' >"$BUNDLE/sig.out" 2>&1 &
	local mk=$!
	retry 50 0.1 sh -c "[ \$(\"$MKRUN\" --root \"$ROOT\" ps --format json c1 | jq length) -ge 3 ]"
	kill -TERM "$mk"
	local rc=0
	wait "$mk" || rc=$?
	cat "$BUNDLE/sig.out"
	[ "$rc" -eq 42 ]
	grep -q got-term "$BUNDLE/sig.out"
	"$MKRUN" --root "$ROOT" exec c1 sleep 100 &
	mk=$!
	retry 50 0.1 sh -c "[ \$(\"$MKRUN\" --root \"$ROOT\" ps --format json c1 | jq length) -ge 2 ]"
	kill -KILL "$(mkrun ps --format json c1 | jq -r '.[]' | grep -vx "$(mkrun state c1 | jq .pid)" | head -1)"
	rc=0
	wait "$mk" || rc=$?
	[ "$rc" -eq 137 ]
}

@test "exec: into a created container, before start" {
	mkrun_detached create c1
	[ "$status" -eq 0 ]
	run mkrun exec c1 sh -c 'echo in-created; hostname'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in-created ]
	testcontainer c1 created
}

@test "exec: --preserve-fds passes descriptors from 3 on" {
	start_detached c1
	echo passed-through >"$BUNDLE/fd3"
	run mkrun exec --preserve-fds 1 c1 sh -c 'cat <&3' 3<"$BUNDLE/fd3"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = passed-through ]
	run mkrun exec c1 sh -c 'cat <&3' 3<"$BUNDLE/fd3"
	[ "$status" -ne 0 ]
}

@test "exec: --cgroup runs in a sub-cgroup of the container" {
	start_detached c1
	local dir
	dir=$(get_cgroup_path c1 memory)/sub
	mkdir "$dir"
	run mkrun exec --cgroup memory:sub c1 cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/c1/sub"* ]]
	run mkrun exec --cgroup memory:nosuch c1 true
	[ "$status" -ne 0 ]
	run mkrun exec --cgroup memory:../escape c1 true
	[ "$status" -ne 0 ]
}

@test "exec: in a container with a user namespace" {
	requires userns
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	userns_traversable_bundle
	chown -R 100000:100000 "$BUNDLE/rootfs"
	start_detached c1
	run mkrun exec c1 sh -c 'id -u; cat /proc/self/uid_map'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" == *100000* ]]
	local pid
	mkrun exec -d --pid-file "$BUNDLE/p" c1 sleep 30 </dev/null >/dev/null
	pid=$(cat "$BUNDLE/p")
	[ "$(stat -c %u "/proc/$pid")" = 100000 ]
}

@test "exec: process.execCPUAffinity: initial while joining, final for the program (runtime-spec, as runc)" {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 cpus"
	start_detached c1
	cat >"$BUNDLE/process.json" <<-EOF
		{"args": ["sh", "-c", "grep Cpus_allowed_list /proc/self/status"], "cwd": "/",
		 "execCPUAffinity": {"initial": "0", "final": "1"}}
	EOF
	run mkrun exec --process "$BUNDLE/process.json" c1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Cpus_allowed_list:"*"1" ]]
	# The init is not concerned (runtime-spec): config.json's goes to exec.
	update_config '.process.execCPUAffinity = {"final": "0"}'
	mkrun delete -f c1
	start_detached c2
	run mkrun exec c2 sh -c 'grep Cpus_allowed_list /proc/self/status; grep Cpus_allowed_list /proc/1/status'
	echo "$output"
	[[ "${lines[0]}" == *"Cpus_allowed_list:"*"0" ]]
	[ "${lines[1]}" != "${lines[0]}" ]
	echo '{"args": ["true"], "cwd": "/", "execCPUAffinity": {"final": "x"}}' >"$BUNDLE/bad.json"
	run mkrun exec --process "$BUNDLE/bad.json" c2
	[ "$status" -eq 255 ]
	[[ "$output" == *'execCPUAffinity.final: `x` is not a list of cpus'* ]]
}
