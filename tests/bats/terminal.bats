#!/usr/bin/env bats
# process.terminal=true with --console-socket: the runtime sends the pty
# master over the socket; tests/bin/recvtty (SOCKET) receives it and copies
# the pty output to its stdout until EOF.

load helpers

RECVTTY="$BATS_TEST_DIRNAME/../bin/recvtty"

setup() {
	requires root
	[ -x "$RECVTTY" ] || skip "tests/bin/recvtty not built"
	setup_busybox
	RECV_PID=
	CONSOLE_SOCKET="$BATS_TEST_TMPDIR/console.sock"
	TTY_OUT="$BATS_TEST_TMPDIR/tty.out"
	update_config '.process.terminal = true'
}

teardown() {
	if [ -n "$RECV_PID" ]; then
		kill "$RECV_PID" 2>/dev/null || true
		wait "$RECV_PID" 2>/dev/null || true
	fi
	teardown_busybox
}

start_recvtty() {
	"$RECVTTY" "$CONSOLE_SOCKET" >"$TTY_OUT" 2>"$BATS_TEST_TMPDIR/recvtty.err" </dev/null 3>&- &
	RECV_PID=$!
	local i
	for ((i = 0; i < 50; i++)); do
		[ -S "$CONSOLE_SOCKET" ] && return 0
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/recvtty.err"
	return 1
}

# Wait for recvtty to see EOF (the container's side of the pty closed).
wait_recvtty() {
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$RECV_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$RECV_PID" 2>/dev/null || true
	RECV_PID=
	# The pty turns \n into \r\n.
	tr -d '\r' <"$TTY_OUT" >"$TTY_OUT.txt"
	cat "$TTY_OUT.txt"
}

@test "terminal: run -d --console-socket: tty is /dev/pts/0 and output reaches the socket's pty" {
	start_recvtty
	update_config '.process.args = ["sh", "-c", "tty; echo hello-from-tty; test -t 0 && test -t 1 && test -t 2 && echo all-ttys"]'
	run mkrun run -d --console-socket "$CONSOLE_SOCKET" c1
	echo "$output"
	[ "$status" -eq 0 ]
	wait_recvtty
	grep -qx /dev/pts/0 "$TTY_OUT.txt"
	grep -qx hello-from-tty "$TTY_OUT.txt"
	grep -qx all-ttys "$TTY_OUT.txt"
}

@test "terminal: create --console-socket then start" {
	start_recvtty
	update_config '.process.args = ["sh", "-c", "tty; echo started"]'
	run mkrun create --console-socket "$CONSOLE_SOCKET" c1
	echo "$output"
	[ "$status" -eq 0 ]
	testcontainer c1 created
	run mkrun start c1
	[ "$status" -eq 0 ]
	wait_recvtty
	grep -qx /dev/pts/0 "$TTY_OUT.txt"
	grep -qx started "$TTY_OUT.txt"
}

@test "terminal: the pty is the controlling terminal of a session leader" {
	start_recvtty
	# ps shows the pid 1 shell's tty; the shell is its own session leader.
	update_config '.process.args = ["sh", "-c", "cut -d\" \" -f6,7 /proc/self/stat; echo sid-check; readlink /proc/self/fd/0"]'
	run mkrun run -d --console-socket "$CONSOLE_SOCKET" c1
	[ "$status" -eq 0 ]
	wait_recvtty
	# Field 6 = session id = 1 (pid 1 is the session leader); field 7 =
	# tty_nr of /dev/pts/0 (major 136, minor 0 -> 34816).
	grep -qx "1 34816" "$TTY_OUT.txt"
	grep -qx /dev/pts/0 "$TTY_OUT.txt"
}

@test "terminal: consoleSize sets the window size" {
	start_recvtty
	update_config '.process.consoleSize = {"height": 33, "width": 111}
		| .process.args = ["stty", "size"]'
	run mkrun run -d --console-socket "$CONSOLE_SOCKET" c1
	[ "$status" -eq 0 ]
	wait_recvtty
	grep -qx "33 111" "$TTY_OUT.txt"
}

@test "terminal: terminal=true without --console-socket fails for create" {
	update_config '.process.args = ["true"]'
	run mkrun create c1 </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/c1" ]
}

@test "terminal: --console-socket with terminal=false fails" {
	start_recvtty
	update_config '.process.terminal = false | .process.args = ["true"]'
	run mkrun create --console-socket "$CONSOLE_SOCKET" c1 </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
}

@test "terminal: a console socket nobody listens on fails" {
	update_config '.process.args = ["true"]'
	run mkrun create --console-socket "$BATS_TEST_TMPDIR/nobody.sock" c1 </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/c1" ]
}

@test "terminal: the pty belongs to the process's user, group tty (init and exec, as runc)" {
	start_recvtty
	update_config '.process.user = {"uid": 1000, "gid": 100}
		| .process.args = ["sh", "-c", "stat -c %u:%g $(tty)"]'
	run mkrun run -d --console-socket "$CONSOLE_SOCKET" c1
	[ "$status" -eq 0 ]
	[ "$(wait_recvtty)" = "1000:5" ]
	update_config '.process.user = {"uid": 0, "gid": 0} | .process.terminal = false
		| .process.args = ["sleep", "100"]'
	run mkrun_detached run -d c2
	[ "$status" -eq 0 ]
	run script -qec "$MKRUN --root $ROOT exec -t -u 1234:100 c2 sh -c 'stat -c %u:%g \$(tty)'" /dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1234:5"* ]]
}
