#!/usr/bin/env bats
# linux.seccomp: errno, kill, argument conditions, user notification.

load helpers

SECCOMP_LISTENER="$BATS_TEST_DIRNAME/../bin/seccomp-listener"

setup() {
	requires root
	setup_busybox
	LISTENER_PID=
}

teardown() {
	if [ -n "$LISTENER_PID" ]; then
		kill "$LISTENER_PID" 2>/dev/null || true
		wait "$LISTENER_PID" 2>/dev/null || true
	fi
	teardown_busybox
}

# seccomp_with 'SYSCALLS-JSON-ARRAY' [DEFAULT-ACTION]
seccomp_with() {
	update_config '.linux.seccomp = {
		"defaultAction": "'"${2:-SCMP_ACT_ALLOW}"'",
		"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
		"syscalls": '"$1"'}'
}

@test "seccomp: SCMP_ACT_ERRNO with errnoRet 1 -> Operation not permitted" {
	seccomp_with '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]'
	update_config '.process.args = ["sh", "-c", "mkdir /dev/shm/x; echo rc=$?; ls /dev/shm | wc -l"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *rc=1* ]]
	[ "${lines[-1]}" = 0 ]
}

@test "seccomp: SCMP_ACT_ERRNO with another errnoRet" {
	# 13 = EACCES
	seccomp_with '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]'
	update_config '.process.args = ["sh", "-c", "mkdir /dev/shm/x; echo rc=$?"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Permission denied"* ]]
}

@test "seccomp: SCMP_ACT_ERRNO without errnoRet defaults to EPERM" {
	seccomp_with '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]'
	update_config '.process.args = ["sh", "-c", "mkdir /dev/shm/x; echo rc=$?"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "seccomp: the unfiltered syscalls still work" {
	seccomp_with '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]'
	update_config '.process.args = ["sh", "-c", "touch /dev/shm/f && echo touched"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = touched ]
}

@test "seccomp: SCMP_ACT_KILL -> killed by SIGSYS (exit 159)" {
	seccomp_with '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}]'
	update_config '.process.args = ["mkdir", "/dev/shm/x"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq $((128 + 31)) ]
}

@test "seccomp: SCMP_ACT_KILL_PROCESS -> killed by SIGSYS (exit 159)" {
	seccomp_with '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]'
	update_config '.process.args = ["mkdir", "/dev/shm/x"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq $((128 + 31)) ]
}

@test "seccomp: argument conditions (chmod to 0777 denied, 0755 allowed)" {
	# chmod(path, mode): mode is arg 1; fchmodat(dfd, path, mode, flags): arg 2.
	seccomp_with '[
		{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
		 "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]},
		{"names": ["fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
		 "args": [{"index": 2, "value": 511, "op": "SCMP_CMP_EQ"}]}]'
	update_config '.process.args = ["sh", "-c", "touch /dev/shm/f; chmod 755 /dev/shm/f; echo a=$?; chmod 777 /dev/shm/f; echo b=$?; stat -c %a /dev/shm/f"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *a=0* ]]
	[[ "$output" == *b=1* ]]
	[ "${lines[-1]}" = 755 ]
}

@test "seccomp: SCMP_CMP_MASKED_EQ condition" {
	# Deny chmod when any of the "other" bits (mask 07) is set.
	seccomp_with '[
		{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
		 "args": [{"index": 1, "value": 0, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
		{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
		 "args": [{"index": 1, "value": 7, "valueTwo": 4, "op": "SCMP_CMP_MASKED_EQ"}]},
		{"names": ["fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
		 "args": [{"index": 2, "value": 7, "valueTwo": 4, "op": "SCMP_CMP_MASKED_EQ"}]}]'
	update_config '.process.args = ["sh", "-c", "touch /dev/shm/f; chmod 750 /dev/shm/f; echo a=$?; chmod 754 /dev/shm/f; echo b=$?"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *a=0* ]]
	[[ "$output" == *b=1* ]]
	[[ "$output" == *"Permission denied"* ]]
}

@test "seccomp: defaultAction ERRNO with an allow list" {
	# A filter denying everything not listed: the program cannot even
	# exec; the runtime must report the failure (or the program exits non-zero).
	# An ASan init can then neither map memory to report it nor exit: it spins.
	[ -z "${MKRUN_SANITIZERS:-}" ] || skip "an instrumented init cannot fail under a write-only filter"
	seccomp_with '[{"names": ["write"], "action": "SCMP_ACT_ALLOW"}]' SCMP_ACT_ERRNO
	update_config '.process.args = ["true"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
}

@test "seccomp: an unknown syscall name is ignored, an unknown action fails" {
	seccomp_with '[{"names": ["mkdir", "mkdirat", "no_such_syscall_xyz"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]'
	update_config '.process.args = ["sh", "-c", "mkdir /dev/shm/x; echo rc=$?"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *rc=1* ]]

	seccomp_with '[{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]'
	run mkrun run c2 </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/c2" ]
}

start_listener() { # ERRNO...
	requires seccomp_notify
	[ -x "$SECCOMP_LISTENER" ] || skip "tests/bin/seccomp-listener not built"
	SOCK="$BATS_TEST_TMPDIR/notify.sock"
	NOTIFY_OUT="$BATS_TEST_TMPDIR/notify.json"
	"$SECCOMP_LISTENER" "$SOCK" "$NOTIFY_OUT" "$@" 3>&- >"$BATS_TEST_TMPDIR/listener.log" 2>&1 &
	LISTENER_PID=$!
	local i
	for ((i = 0; i < 50; i++)); do
		[ -S "$SOCK" ] && return 0
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/listener.log"
	return 1
}

wait_listener() {
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$LISTENER_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/listener.log"
	local rc=0
	wait "$LISTENER_PID" || rc=$?
	LISTENER_PID=
	return "$rc"
}

@test "seccomp: SCMP_ACT_NOTIFY: the listener answers success without running the syscall" {
	start_listener
	seccomp_with '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]'
	update_config '.linux.seccomp.listenerPath = "'"$SOCK"'"
		| .linux.seccomp.listenerMetadata = "mkrun-meta"
		| .process.args = ["sh", "-c", "mkdir /dev/shm/x; echo rc=$?; ls /dev/shm | wc -l"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	cat "$BATS_TEST_TMPDIR/listener.log"
	[[ "$output" == *rc=0* ]]
	# The syscall did not run: nothing was created.
	[ "${lines[-1]}" = 0 ]

	wait_listener
	cat "$NOTIFY_OUT"
	# The containerProcessState the runtime sent.
	jq -e . "$NOTIFY_OUT" >/dev/null
	[ -n "$(jq -r .ociVersion "$NOTIFY_OUT")" ]
	[ "$(jq -r .metadata "$NOTIFY_OUT")" = mkrun-meta ]
	[ "$(jq -r .state.id "$NOTIFY_OUT")" = c1 ]
	[ "$(jq -r .state.bundle "$NOTIFY_OUT")" = "$(realpath "$BUNDLE")" ]
	[ "$(jq -r .pid "$NOTIFY_OUT")" -gt 0 ]
	jq -e '.fds | index("seccompFd")' "$NOTIFY_OUT" >/dev/null
	# The notified syscalls.
	cat "$NOTIFY_OUT.log"
	grep -qE '^mkdir(at)?$' "$NOTIFY_OUT.log"
}

@test "seccomp: SCMP_ACT_NOTIFY: the listener answers an errno" {
	start_listener 13
	seccomp_with '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]'
	update_config '.linux.seccomp.listenerPath = "'"$SOCK"'"
		| .process.args = ["sh", "-c", "mkdir /dev/shm/x; echo rc=$?"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *rc=1* ]]
	wait_listener
	grep -qE '^mkdir(at)?$' "$NOTIFY_OUT.log"
}

@test "seccomp: SCMP_ACT_NOTIFY without a listener fails" {
	requires seccomp_notify
	seccomp_with '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]'
	update_config '.linux.seccomp.listenerPath = "'"$BATS_TEST_TMPDIR"'/nobody-listens.sock"
		| .process.args = ["true"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/c1" ]
}

@test "seccomp: a syscall newer than every syscall the profile names gets ENOSYS, known ones the default action (as runc)" {
	local hdr=/usr/include/x86_64-linux-gnu/asm/unistd_64.h names
	[ "$(uname -m)" = x86_64 ] || skip "the syscall table read is x86_64's"
	[ -r "$hdr" ] || skip "no $hdr (linux-libc-dev) to list the syscalls from"
	cp "$BATS_TEST_DIRNAME/../bin/rawsyscall" rootfs/bin/
	# Every syscall the headers know is allowed but getppid (110); the
	# default action is EPERM.
	names=$(sed -n 's/^#define __NR_\([a-z0-9_]*\) [0-9]*$/"\1"/p' "$hdr" | grep -vx '"getppid"' | paste -sd,)
	seccomp_with '[{"names": ['"$names"'], "action": "SCMP_ACT_ALLOW"}]' SCMP_ACT_ERRNO
	update_config '.process.args = ["/bin/rawsyscall", "1000", "0xdeadbeef"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = -38 ]
	update_config '.process.args = ["/bin/rawsyscall", "110"]'
	run mkrun run c2 </dev/null
	echo "$output"
	[ "$output" = -1 ]
	# Allowed by default: no ENOSYS either.
	seccomp_with '[{"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]'
	update_config '.process.args = ["/bin/rawsyscall", "1000"]'
	run mkrun run c3 </dev/null
	[ "$output" = -38 ]
	update_config '.process.args = ["/bin/rawsyscall", "110"]'
	run mkrun run c4 </dev/null
	[ "$output" = -1 ]
}
