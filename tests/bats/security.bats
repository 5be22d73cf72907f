#!/usr/bin/env bats
# Regression tests for container-escape CVEs that hit OCI runtimes.
# Mount source/target symlink redirection is covered in mounts.bats
# ("a symlink in the rootfs pointing outside stays inside the rootfs").

load helpers

setup() {
	requires root
	setup_busybox
	OPENER=
	# The CVE-2019-5736 tests attack the runtime binary: give them a copy,
	# so that a vulnerable runtime damages the copy, not the build (or the
	# host's runc).
	RT_COPY="$BATS_TEST_TMPDIR/rt-copy"
	cp "$(realpath "$MKRUN")" "$RT_COPY"
	chmod 755 "$RT_COPY"
	RT_SUM=$(sha256sum "$RT_COPY" | cut -d' ' -f1)
	ORIG_MKRUN=$MKRUN
}

teardown() {
	if [ -n "$OPENER" ]; then
		kill -9 "$OPENER" 2>/dev/null || true
		wait "$OPENER" 2>/dev/null || true
	fi
	MKRUN=$ORIG_MKRUN
	app_teardown
	teardown_busybox
}

mkrun_detached() {
	mkrun "$@" </dev/null >"$BATS_TEST_TMPDIR/ctr.out" 2>"$BATS_TEST_TMPDIR/ctr.err"
}

wait_gone() {
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

@test "security: CVE-2019-5736: the container's init cannot be reopened for writing" {
	MKRUN=$RT_COPY
	update_config '.process.args = ["true"]'
	run mkrun_detached create c1
	cat "$BATS_TEST_TMPDIR/ctr.err"
	[ "$status" -eq 0 ]
	local pid
	pid=$(mkrun state c1 | jq -r .pid)
	# The created-but-not-started init runs the runtime's code: pid 1 of
	# the container. Hold a handle to its executable, let it die, then try
	# to reopen that handle for writing (the exploit's second step).
	exec 7<"/proc/$pid/exe"
	run mkrun delete -f c1
	[ "$status" -eq 0 ]
	wait_gone "$pid"
	run bash -c 'echo "#!/bin/sh" >>/proc/$1/fd/7' _ "$BASHPID"
	echo "reopen for write: status=$status $output"
	exec 7<&-
	[ "$status" -ne 0 ]
	[ "$(sha256sum "$RT_COPY" | cut -d' ' -f1)" = "$RT_SUM" ]
}

@test "security: CVE-2019-5736: #!/proc/self/exe in the container does not reach the host binary" {
	MKRUN=$RT_COPY
	# The runtime's init execve()s /evil; the kernel then runs /proc/self/exe
	# (the runtime!) as its interpreter, inside the container. --log=FIFO
	# makes that runtime block while opening its log, so that the attacker
	# can take a handle on it.
	mkdir -p "$BUNDLE/rootfs/tmp"
	mkfifo "$BUNDLE/rootfs/tmp/fifo"
	printf '#!/proc/self/exe --log=/tmp/fifo\n' >"$BUNDLE/rootfs/evil"
	chmod 755 "$BUNDLE/rootfs/evil"
	update_config '.root.readonly = false | .process.args = ["/evil"]'

	run mkrun_detached run -d c1
	cat "$BATS_TEST_TMPDIR/ctr.err"
	local pid i exe=
	pid=$(mkrun state c1 2>/dev/null | jq -r .pid) || true
	[[ "$pid" =~ ^[1-9][0-9]*$ ]] || pid=
	if [ -n "$pid" ]; then
		# Wait for the interpreter (not busybox, not the pre-exec init).
		for ((i = 0; i < 50; i++)); do
			[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == *--log=/tmp/fifo* ] && break
			sleep 0.1
		done
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || true
		echo "interpreter: $exe"
	fi
	if [ -n "$pid" ] && [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == *--log=/tmp/fifo* ]]; then
		# Inside the container (its mount and pid namespaces), try to write
		# to the running interpreter's executable.
		run nsenter -t "$pid" -m -p -r -w /bin/sh -c '
			exe=/proc/1/exe
			if (echo pwned >>$exe) 2>/dev/null; then echo WROTE-EXE; else echo write-refused; fi'
		echo "inside: $output"
		[[ "$output" != *WROTE* ]]

		# Take a handle, unblock the interpreter, let it exit, reopen.
		exec 7<"/proc/$pid/exe"
		cat "$BUNDLE/rootfs/tmp/fifo" >/dev/null &
		OPENER=$!
		wait_gone "$pid" || kill -9 "$pid"
		wait_gone "$pid"
		run bash -c 'echo "#!/bin/sh" >>/proc/$1/fd/7' _ "$BASHPID"
		echo "reopen for write: status=$status $output"
		exec 7<&-
		[ "$status" -ne 0 ]
	else
		# runc 1.1.5 (Debian) refuses the exec itself: "exec /evil: no such
		# file or directory" (its /proc/self/exe does not resolve inside).
		echo "the interpreter did not block on the fifo; checking the binary only"
	fi
	mkrun delete -f c1 >/dev/null 2>&1 || true
	[ "$(sha256sum "$RT_COPY" | cut -d' ' -f1)" = "$RT_SUM" ]
}

@test "security: CVE-2024-21626: process.cwd /proc/self/fd/N does not escape" {
	local marker="rootfs-marker-$RANDOM"
	touch "$BUNDLE/rootfs/$marker"
	local fd
	for fd in 3 4 5 6 7 8 9; do
		update_config '.process.cwd = "/proc/self/fd/'"$fd"'"
			| .process.args = ["sh", "-c", "ls -a ../../../../../../../.."]'
		run mkrun run "c$fd" </dev/null
		echo "fd $fd: status=$status"
		echo "$output"
		if [ "$status" -eq 0 ]; then
			# Climbing up from the cwd must end in the container's root.
			[[ "$output" == *"$marker"* ]]
		fi
		[ ! -e "$ROOT/c$fd" ] || mkrun delete -f "c$fd"
	done
}

@test "security: CVE-2024-21626: no runtime fd leaks into the container" {
	update_config '.process.args = ["sh", "-c", "ls /proc/self/fd; echo ---; ls -l /proc/1/fd"]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	local fds
	fds=$(echo "$output" | sed '/^---$/,$d' | tr '\n' ' ')
	# 0 1 2 and the fd ls opened for the directory.
	[[ "$fds" =~ ^0\ 1\ 2\ ([0-9]+\ )?$ ]]
	# pid 1 (the shell) holds nothing but its stdio.
	[ "$(echo "$output" | sed '1,/^---$/d' | grep -c -- '->')" -le 3 ]
	[[ "$output" != *cgroup* ]]
}

# --- issue 12: app front end (holes 6, 7, 9) ---
# The app front end's supervisor runs as root (or root under sudo); the app
# is the attacker.  Each test plays what a hostile app does between two
# starts, or while another app starts, and checks that the supervisor is
# not its tool.

# app ARGS...: the app front end with our --root (stdin /dev/null).
app() {
	"$MKRUN" --root "$ROOT" "$@" </dev/null
}

# app_setup: $A, the apps' directory (YAML, outputs); uid 65534 can reach
# it, as a sudo user reaches their own YAML (bats makes its run dir 0700).
app_setup() {
	A="$BATS_TEST_TMPDIR/apps"
	mkdir -p "$A"
	chmod o+x "$BATS_RUN_TMPDIR"
	APP_PIDS=()
	APP_FILES=()
}

# app_yaml NAME TEXT: writes $A/NAME.yaml.
app_yaml() {
	printf '%s\n' "$2" >"$A/$1.yaml"
}

app_teardown() {
	local n
	for n in $(ls "$ROOT/.apps" 2>/dev/null); do
		app app rm --force "$n" >/dev/null 2>&1 || true
	done
	for n in "${APP_PIDS[@]}"; do kill "$n" 2>/dev/null || true; done
	for n in "${APP_FILES[@]}"; do rm -f "$n"; done
}

# refused_alone NAME PATTERN: the last `run` failed with one line, mkrun's,
# matching PATTERN, and left no app NAME behind.
refused_alone() {
	echo "status=$status: $output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "mkrun: "$2 ]]
	[ ! -e "$ROOT/.apps/$1" ]
	[[ " $(app list -q | tr '\n' ' ') " != *" app-$1 "* ]]
}

# sock_yaml FILE NAME TYPE APP: $A/FILE.yaml, the app NAME (APP: its
# executable: line and what follows) with /tmp/socketA of TYPE (listen,
# connect).  A connector waits 3 s, and runs as root (an explicit opt-in:
# hole 9's default user is not what stops it).
sock_yaml() {
	local more=
	[ "$3" = connect ] && more="
  user: root"
	app_yaml "$1" "application:
  name: $2$more
  $4
network:
  unix_sockets:
    timeout: 3
    sockets: [{path: /tmp/socketA, type: $3}]"
}

@test "security: app hole 6: an app cannot make its supervisor write through a symlink in its output (root, and sudo)" {
	app_setup
	local victim="$BATS_TEST_TMPDIR/victim" vdir="$BATS_TEST_TMPDIR/vdir" sum
	echo "root's own file" >"$victim"
	chmod 600 "$victim"
	mkdir -m 700 "$vdir"
	sum=$(sha256sum "$victim")
	# The output's log becomes a symlink to root's file; the log's
	# directory, a symlink to root's directory.
	mkdir -p "$A/out/logs"
	chown -R 65534:65534 "$A/out"
	chmod 777 "$A/out" "$A/out/logs" # whoever the app runs as
	app_yaml file "application:
  name: t_h6f
  executable: /bin/sh
  args: [\"-c\", \"rm -f $A/out/app.log && ln -s $victim $A/out/app.log && echo planted\"]
filesystem:
  outputs: [./out]
logging:
  file: ./out/app.log"
	app_yaml dir "application:
  name: t_h6d
  executable: /bin/sh
  args: [\"-c\", \"rm -rf $A/out/logs && ln -s $vdir $A/out/logs && echo planted\"]
filesystem:
  outputs: [./out]
logging:
  file: ./out/logs/app.log"
	local y name
	for y in file dir; do
		name=t_h6${y:0:1}
		run app --config "$A/$y.yaml"
		echo "$y, first start: $output"
		[ "$status" -eq 0 ]
		[ "${lines[-1]}" = planted ]
		# Started again, by root and under sudo: the log is refused.
		run app --config "$A/$y.yaml"
		refused_alone "$name" "app $name: $A/$y.yaml:8:9: logging.file: *symlink*: refused*"
		SUDO_UID=65534 SUDO_GID=65534 run app --config "$A/$y.yaml"
		refused_alone "$name" "app $name: $A/$y.yaml:8:9: logging.file: *symlink*: refused*"
		[ "$(sha256sum "$victim")" = "$sum" ]
		[ -z "$(ls -A "$vdir")" ]
	done
	# Under sudo the log is opened with the user's rights: not in root's
	# directory.
	app_yaml rootdir "application:
  name: t_h6r
  executable: /bin/true
logging:
  file: $vdir/app.log"
	SUDO_UID=65534 SUDO_GID=65534 run app --config "$A/rootdir.yaml"
	refused_alone t_h6r "app t_h6r: $A/rootdir.yaml:5:9: logging.file: open \`$vdir/app.log\` as uid 65534*Permission denied"
	[ -z "$(ls -A "$vdir")" ]
	# A FIFO in the log's place blocks nothing and is refused too.
	rm -f "$A/out/app.log"
	mkfifo "$A/out/app.log"
	run timeout 20 "$MKRUN" --root "$ROOT" --config "$A/file.yaml" </dev/null
	refused_alone t_h6f "app t_h6f: $A/file.yaml:8:9: logging.file: *not a regular file: refused"
}

@test "security: app hole 7: a listener's symlink to a host socket in its socket's place reaches no connector" {
	command -v cc >/dev/null || skip "no C compiler for the examples' socket programs"
	app_setup
	local src="$BATS_TEST_DIRNAME/../../examples/unix-sockets" us="$A/us" i
	local host_sock="$BATS_TEST_TMPDIR/host.sock"
	mkdir -p "$us"
	cc -O2 -o "$us/applicationA" "$src/applicationA.c"
	cc -O2 -o "$us/applicationB" "$src/applicationB.c"
	# A host socket anyone may connect to, as many daemons' are.
	"$us/applicationA" --socket "$host_sock" --count 1 >"$BATS_TEST_TMPDIR/host.log" 2>&1 3>&- &
	APP_PIDS+=($!)
	for ((i = 0; i < 50; i++)); do
		[ -S "$host_sock" ] && break
		sleep 0.1
	done
	chmod 666 "$host_sock"
	sock_yaml listen t_h7l listen "executable: /bin/sh
  args: [\"-c\", \"ln -s $host_sock /tmp/socketA && sleep 60\"]"
	sock_yaml connect t_h7c connect "executable: $us/applicationB"
	run app app start --config "$A/listen.yaml"
	[ "$status" -eq 0 ]
	sleep 0.3
	run app --config "$A/connect.yaml"
	refused_alone t_h7c "app t_h7c: $A/connect.yaml:*: network.unix_sockets: \`/tmp/socketA\` of app \`t_h7l\` is a symlink: refused"
	cat "$BATS_TEST_TMPDIR/host.log"
	[[ "$(cat "$BATS_TEST_TMPDIR/host.log")" != *got* ]]
}

@test "security: app hole 7 (race): a listener swapping its socket for a symlink to a root-only file reaches no connector" {
	command -v cc >/dev/null || skip "no C compiler for the examples' socket programs"
	app_setup
	local src="$BATS_TEST_DIRNAME/../../examples/unix-sockets" us="$A/us" i leaked=
	local secret="$BATS_TEST_TMPDIR/secret"
	mkdir -p "$us"
	cc -O2 -o "$us/applicationA" "$src/applicationA.c"
	# The listener swaps its socket for a symlink to a root-only file and
	# back, so that a check by path sees a socket and a bind by path takes
	# the file.
	echo "h7-secret-$RANDOM" >"$secret"
	chmod 600 "$secret"
	cat >"$us/swap.sh" <<-EOF
		#!/bin/sh
		./applicationA --socket /tmp/real >/dev/null &
		while [ ! -S /tmp/real ]; do sleep 0.01; done
		i=0
		while [ \$i -lt 20000 ]; do
			ln -f /tmp/real /tmp/s1 && mv -f /tmp/s1 /tmp/socketA
			ln -sf $secret /tmp/s2 && mv -f /tmp/s2 /tmp/socketA
			i=\$((i + 1))
		done
	EOF
	chmod 755 "$us/swap.sh"
	sock_yaml swap t_h7s listen "executable: $us/swap.sh"
	sock_yaml read t_h7r connect "executable: /bin/sh
  args: [\"-c\", \"cat /tmp/socketA 2>&1; true\"]"
	run app app start --config "$A/swap.yaml"
	[ "$status" -eq 0 ]
	sleep 0.3
	for ((i = 0; i < 20; i++)); do
		run app --config "$A/read.yaml"
		echo "try $i: status=$status: $output"
		if [[ "$output" == *h7-secret* ]]; then
			leaked=1
			break
		fi
		# Either bound to the real socket, or refused cleanly (it saw the
		# symlink, or the socket it checked was renamed over meanwhile).
		if [ "$status" -ne 0 ]; then
			refused_alone t_h7r "app t_h7r: *network.unix_sockets*"
		fi
	done
	[ -z "$leaked" ]
}

@test "security: app hole 9: root's app runs as nobody: root-only host files stay unreadable; application.user: root opts in" {
	app_setup
	local secret=/var/tmp/mkrun-h9.$$ content="h9-content-$RANDOM"
	APP_FILES+=("$secret")
	echo "$content" >"$secret"
	chmod 600 "$secret"
	local probe="id -u; cat /etc/shadow >/dev/null && echo read-shadow; cat $secret"
	app_yaml h9 "application:
  name: t_h9
  executable: /bin/sh
  args: [\"-c\", \"$probe; true\"]"
	run app --config "$A/h9.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(id -u nobody)" ]
	[[ "$output" == *"/etc/shadow: Permission denied"* ]]
	[[ "$output" == *"$secret: Permission denied"* ]]
	[[ "$output" != *read-shadow* && "$output" != *"$content"* ]]
	# The explicit opt-in sees what root sees.
	app_yaml h9root "application:
  name: t_h9r
  user: root
  executable: /bin/sh
  args: [\"-c\", \"$probe\"]"
	run app --config "$A/h9root.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "$output" == *read-shadow* && "$output" == *"$content"* ]]
	# Under sudo the YAML is the user's: it cannot ask for root.
	SUDO_UID=65534 SUDO_GID=65534 run app --config "$A/h9root.yaml"
	refused_alone t_h9r "app t_h9r: $A/h9root.yaml:3:9: application.user: \`root\`: under sudo the app runs as the user who ran sudo (uid 65534, gid 65534), not as another"
}
