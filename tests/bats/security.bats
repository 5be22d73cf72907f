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
