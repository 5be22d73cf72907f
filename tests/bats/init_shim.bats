#!/usr/bin/env bats
# The annotation org.mkrun.init: "true": the container's init stays as pid 1,
# runs the program as its child, forwards signals to it, reaps orphans and
# exits with the program's status.  Container ids are ish* (other suites may
# run at the same time: cgroup paths are per id).

load helpers
bats_require_minimum_version 1.5.0

setup() {
	requires root
	setup_busybox
	update_config '.annotations = {"org.mkrun.init": "true"} | .process.args = ["sleep", "100"]'
}

teardown() {
	# The terminal test's recvtty, if it is still there.
	[ -z "${RECV_PID:-}" ] || { kill "$RECV_PID" && wait "$RECV_PID"; } 2>/dev/null || true
	teardown_busybox
}

# zombie_sleeps ID: the container's `sleep` processes in state Z, as it
# sees them.
zombie_sleeps() {
	mkrun exec "$1" sh -c 'for f in /proc/[0-9]*/stat; do cat "$f"; done 2>/dev/null' |
		awk '$2 == "(sleep)" && $3 == "Z"'
}

@test "init_shim: the program is pid 2, the init (mkrun) pid 1 and its parent" {
	# The init closes its descriptors just after the program's exec: give
	# it a moment.
	update_config '.process.args = ["sh", "-c", "echo $$ $PPID; cut -d\" \" -f2,5 /proc/$$/stat; tr \"\\0\" \" \" </proc/1/cmdline; echo; for i in 1 2 3 4 5 6 7 8 9 10; do n=$(ls /proc/1/fd | wc -l); [ $n = 0 ] && break; sleep 0.1; done; echo $n"]'
	run mkrun run ish1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "2 1" ]
	# Its own process group, as when it led the session.
	[ "${lines[1]}" = "(sh) 2" ]
	[[ "${lines[2]}" == *mkrun* ]]
	# The init holds no descriptor at all once the program runs.
	[ "${lines[3]}" = 0 ]

	update_config '.annotations["org.mkrun.init"] = "false"'
	run mkrun run ish1 </dev/null
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1 0" ]
}

@test "init_shim: with close_range refused by seccomp the init still closes every fd" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls": [{"names": ["close_range"], "action": "SCMP_ACT_ERRNO"}]}
		| .process.args = ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do n=$(ls /proc/1/fd | wc -l); [ $n = 0 ] && break; sleep 0.1; done; echo $n"]'
	run mkrun run ish13 </dev/null 3</dev/null 7</dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
}

@test "init_shim: kill TERM ends a program without a handler; kill KILL too" {
	mkrun_detached create ish2
	[ "$status" -eq 0 ]
	mkrun start ish2
	wait_for_container 50 0.1 ish2 running
	run mkrun exec ish2 cat /proc/2/cmdline
	[[ "$output" == sleep* ]]
	mkrun kill ish2 TERM
	wait_for_container 50 0.1 ish2 stopped
	mkrun delete ish2

	mkrun_detached run -d ish2
	[ "$status" -eq 0 ]
	mkrun kill ish2 KILL
	wait_for_container 50 0.1 ish2 stopped
}

@test "init_shim: run returns the program's exit code, 128+N for signal N" {
	update_config '.process.args = ["sh", "-c", "exit 7"]'
	run mkrun run ish3 </dev/null
	[ "$status" -eq 7 ]

	update_config '.process.args = ["sleep", "100"]'
	mkrun run ish3 </dev/null >/dev/null 2>&1 &
	local pid=$! rc=0
	wait_for_container 50 0.1 ish3 running
	mkrun kill ish3 TERM
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
}

@test "init_shim: the program's exit is seen even if the runtime ignored SIGCHLD" {
	update_config '.process.args = ["sleep", "1"]'
	env --ignore-signal=CHLD "$MKRUN" --root "$ROOT" run -d ish14 </dev/null >/dev/null 2>&1
	wait_for_container 50 0.1 ish14 stopped
}

@test "init_shim: SIGINT to a foreground run reaches the program" {
	# bash starts background jobs with SIGINT ignored, which exec keeps:
	# give the runtime (and so the program) the default action back.
	env --default-signal=INT "$MKRUN" --root "$ROOT" run ish4 </dev/null >/dev/null 2>&1 &
	local pid=$! rc=0
	wait_for_container 50 0.1 ish4 running
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 130 ]
}

@test "init_shim: orphans are reaped" {
	# The inner sh exits at once: its `sleep 1` becomes an orphan of pid 1
	# and a zombie a second later; the program itself never waits.
	update_config '.process.args = ["sh", "-c", "sh -c \"sleep 1 &\"; exec sleep 100"]'
	mkrun_detached run -d ish5
	[ "$status" -eq 0 ]
	sleep 2
	run zombie_sleeps ish5
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	mkrun delete --force ish5

	# Without the init the program (pid 1 here) leaves the zombie: the
	# check above can see one.
	update_config '.annotations = {}'
	mkrun_detached run -d ish5
	[ "$status" -eq 0 ]
	sleep 2
	run zombie_sleeps ish5
	echo "$output"
	[ -n "$output" ]
}

@test "init_shim: a program that cannot be exec'd fails as without the init" {
	local with without
	# Not found: the lookup before start reports it.
	update_config '.process.args = ["/no-such-binary-ish6"]'
	run mkrun run ish6 </dev/null
	with="$status:$output"
	update_config '.annotations = {}'
	run mkrun run ish6 </dev/null
	without="$status:$output"
	echo "with: $with"
	echo "without: $without"
	[ "$with" = "$without" ]
	[[ "$with" == *no-such-binary-ish6* ]]
	[ ! -e "$ROOT/ish6" ]

	# Found but not executable by the kernel: execve itself fails.
	printf 'not a program\n' >"$BUNDLE/rootfs/bad"
	chmod 755 "$BUNDLE/rootfs/bad"
	update_config '.process.args = ["/bad"]'
	run -127 mkrun run ish6 </dev/null
	without="$status:$output"
	update_config '.annotations = {"org.mkrun.init": "true"}'
	run -127 mkrun run ish6 </dev/null
	with="$status:$output"
	echo "with: $with"
	echo "without: $without"
	[ "$with" = "$without" ]
	[[ "$with" == "127:"*"exec \`/bad\`: Exec format error"* ]]
}

@test "init_shim: poststart runs after startContainer, once the program runs" {
	local out="$BATS_TEST_TMPDIR/hookout"
	mkdir -p "$out"
	printf '#!/bin/sh\nsleep 1\necho startContainer >>/hookout/order\n' >"$BUNDLE/rootfs/slowhook.sh"
	chmod 755 "$BUNDLE/rootfs/slowhook.sh"
	# The init's child, when poststart runs, is the program already.
	cat >"$BATS_TEST_TMPDIR/poststart.sh" <<-EOF
		#!/bin/sh
		pid=\$(jq -r .pid)
		child=\$(pgrep -P "\$pid")
		echo "poststart \$(tr '\\0' ' ' </proc/\$child/cmdline)" >>"$out/order"
	EOF
	chmod 755 "$BATS_TEST_TMPDIR/poststart.sh"
	update_config '.mounts += [{"destination": "/hookout", "type": "bind", "source": "'"$out"'", "options": ["rbind", "rw"]}]
		| .hooks = {"startContainer": [{"path": "/slowhook.sh", "env": ["PATH=/bin"]}],
			"poststart": [{"path": "'"$BATS_TEST_TMPDIR/poststart.sh"'", "env": ["PATH='"$PATH"'"]}]}'
	mkrun_detached create ish7
	[ "$status" -eq 0 ]
	run mkrun start ish7
	[ "$status" -eq 0 ]
	cat "$out/order"
	[ "$(tr '\n' ' ' <"$out/order")" = "startContainer poststart sleep 100  " ]
	mkrun delete --force ish7

	rm -f "$out/order"
	mkrun_detached run -d ish7
	[ "$status" -eq 0 ]
	cat "$out/order"
	[ "$(tr '\n' ' ' <"$out/order")" = "startContainer poststart sleep 100  " ]
}

@test "init_shim: a bad annotation value fails create in one line, leaving nothing" {
	update_config '.annotations["org.mkrun.init"] = "yes"'
	run mkrun create ish8 </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'annotations.org.mkrun.init: `yes`'* ]]
	[ ! -e "$ROOT/ish8" ]
	[ ! -e "$(get_cgroup_path $BASHPID)/mkrun/ish8" ]
	run mkrun state ish8
	[ "$status" -ne 0 ]
	# features says the annotation is understood.
	mkrun features | jq -e '.annotations["org.mkrun.init"] == "true"'
}

@test "init_shim: exec into the container" {
	mkrun_detached run -d ish9
	[ "$status" -eq 0 ]
	run mkrun exec ish9 sh -c 'echo $$; tr "\0" " " </proc/1/cmdline; echo; exit 3'
	echo "$output"
	[ "$status" -eq 3 ]
	[ "${lines[0]}" -gt 2 ]
	[[ "${lines[1]}" == *mkrun* ]]
	# A detached exec's orphan is the init's to reap.
	mkrun exec -d ish9 sh -c 'sleep 1 &' </dev/null >/dev/null 2>&1
	sleep 2
	run zombie_sleeps ish9
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "init_shim: with a terminal the program owns it and the init does not hold it" {
	local recvtty="$BATS_TEST_DIRNAME/../bin/recvtty" sock="$BATS_TEST_TMPDIR/console.sock" i
	[ -x "$recvtty" ] || skip "tests/bin/recvtty not built"
	"$recvtty" "$sock" >"$BATS_TEST_TMPDIR/tty.out" 2>&1 </dev/null 3>&- &
	RECV_PID=$!
	for ((i = 0; i < 50; i++)); do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	# pid, pgrp, session, foreground group of the tty; then the program lets
	# go of the pty and keeps running.
	update_config '.process.terminal = true
		| .process.args = ["sh", "-c", "cut -d\" \" -f1,5,6,8 /proc/$$/stat; exec sleep 100 </dev/null >/dev/null 2>&1"]'
	run mkrun run -d --console-socket "$sock" ish10
	[ "$status" -eq 0 ]
	# recvtty sees EOF: nobody else has the pty open.
	for ((i = 0; i < 50; i++)); do
		kill -0 "$RECV_PID" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$RECV_PID" 2>/dev/null || fail "recvtty saw no EOF: the pty is held open"
	wait "$RECV_PID" || true
	RECV_PID=
	cat "$BATS_TEST_TMPDIR/tty.out"
	[ "$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")" = "2 2 1 2" ]
	# recvtty's exit closed the master: the hangup's SIGHUP went to the
	# session leader, the init, which passed it on to the program.
	wait_for_container 50 0.1 ish10 stopped
}

@test "init_shim: ^C on a foreground terminal reaches the program" {
	update_config '.process.terminal = true'
	# ^C every half second until one lands (a loaded machine may take more
	# than a second to get the program going); the first to reach it ends it.
	# The program inherits mkrun's SIGINT disposition (as with runc): a
	# caller started in the background has it ignored, hence env.
	run bash -c "(for i in \$(seq 40); do sleep 0.5; printf '\\003'; done) | env --default-signal=INT '$MKRUN' --root '$ROOT' run ish11"
	echo "$output"
	[ "$status" -eq 130 ]
}

@test "init_shim: without a pid namespace" {
	local marker=$((1000000 + RANDOM)) i
	update_config '.linux.namespaces |= map(select(.type != "pid"))
		| .process.args = ["sh", "-c", "exit 7"]'
	run mkrun run ish12 </dev/null
	[ "$status" -eq 7 ]

	update_config '.process.args = ["sleep", "'"$marker"'"]'
	mkrun_detached run -d ish12
	[ "$status" -eq 0 ]
	pgrep -f "^sleep $marker"
	mkrun kill ish12 TERM
	wait_for_container 50 0.1 ish12 stopped
	mkrun delete ish12

	# Killing the init ends the program too.
	mkrun_detached run -d ish12
	[ "$status" -eq 0 ]
	mkrun kill ish12 KILL
	wait_for_container 50 0.1 ish12 stopped
	for ((i = 0; i < 30; i++)); do
		pgrep -f "^sleep $marker" >/dev/null || break
		sleep 0.1
	done
	! pgrep -af "^sleep $marker" || fail "the program outlived its init"
}
