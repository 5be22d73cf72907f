#!/usr/bin/env bats
# Mounts, /dev, masked/readonly paths and sysctls, observed from inside.

load helpers

setup() {
	requires root
	setup_busybox
	HOST_MOUNTS=()
	OUTSIDE=
}

teardown() {
	local m
	for m in "${HOST_MOUNTS[@]}"; do
		umount -l "$m" 2>/dev/null || true
	done
	[ -n "$OUTSIDE" ] && rm -rf "$OUTSIDE"
	teardown_busybox
}

# The mountinfo line for mount point $1, as the container sees it.
# Usage: run mkrun run c1 with args that print /proc/self/mountinfo, then
#   mi_line /mnt
mi_line() {
	echo "$output" | awk -v m="$1" '$5 == m' | tail -1
}

add_mount() { # DEST TYPE SOURCE OPTIONS-JSON
	update_config '.mounts += [{"destination": "'"$1"'", "type": "'"$2"'", "source": "'"$3"'", "options": '"$4"'}]'
}

@test "mounts: bind rw: container writes reach the host" {
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo from-host >"$BATS_TEST_TMPDIR/src/file"
	add_mount /mnt bind "$BATS_TEST_TMPDIR/src" '["bind", "rw"]'
	update_config '.process.args = ["sh", "-c", "cat /mnt/file && echo from-ctr > /mnt/new && cat /proc/self/mountinfo"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-host ]
	[ "$(cat "$BATS_TEST_TMPDIR/src/new")" = from-ctr ]
	[[ "$(mi_line /mnt | awk '{print $6}')" == rw* ]]
}

@test "mounts: bind ro: writes fail, mountinfo says ro" {
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo from-host >"$BATS_TEST_TMPDIR/src/file"
	add_mount /mnt bind "$BATS_TEST_TMPDIR/src" '["bind", "ro"]'
	update_config '.process.args = ["sh", "-c", "cat /mnt/file; if echo x > /mnt/new; then echo WROTE; else echo write-failed; fi; cat /proc/self/mountinfo"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-host ]
	[[ "$output" == *write-failed* ]]
	[[ "$output" != *WROTE* ]]
	[ ! -e "$BATS_TEST_TMPDIR/src/new" ]
	[[ "$(mi_line /mnt | awk '{print $6}')" == ro* ]]
}

@test "mounts: bind of a single file" {
	echo file-content >"$BATS_TEST_TMPDIR/one"
	add_mount /etc/one bind "$BATS_TEST_TMPDIR/one" '["bind", "ro"]'
	update_config '.process.args = ["cat", "/etc/one"]'
	run mkrun run c1
	[ "$status" -eq 0 ]
	[ "$output" = file-content ]
}

@test "mounts: rbind carries submounts, bind does not" {
	mkdir -p "$BATS_TEST_TMPDIR/src/sub"
	mount -t tmpfs -o size=1m tmpfs "$BATS_TEST_TMPDIR/src/sub"
	HOST_MOUNTS+=("$BATS_TEST_TMPDIR/src/sub")
	echo in-submount >"$BATS_TEST_TMPDIR/src/sub/f"

	add_mount /r bind "$BATS_TEST_TMPDIR/src" '["rbind", "ro"]'
	add_mount /b bind "$BATS_TEST_TMPDIR/src" '["bind", "ro"]'
	update_config '.process.args = ["sh", "-c", "cat /r/sub/f; ls /b/sub | wc -l"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in-submount ]
	[ "${lines[1]}" = 0 ]
}

@test "mounts: tmpfs size and mode" {
	add_mount /mnt/t tmpfs tmpfs '["size=1m", "mode=1777"]'
	update_config '.process.args = ["sh", "-c", "stat -c %a /mnt/t; cat /proc/self/mountinfo"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1777 ]
	local l
	l=$(mi_line /mnt/t)
	[[ "$l" == *" - tmpfs "* ]]
	[[ "$l" == *size=1024k* ]]
}

@test "mounts: nosuid,nodev,noexec are applied (mountinfo and exec)" {
	add_mount /mnt/t tmpfs tmpfs '["nosuid", "nodev", "noexec", "size=4m"]'
	update_config '.process.args = ["sh", "-c", "cp /bin/busybox /mnt/t/busybox && chmod 755 /mnt/t/busybox; /mnt/t/busybox true; echo exec=$?; cat /proc/self/mountinfo"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *exec=126* ]]
	local opts
	opts=$(mi_line /mnt/t | awk '{print $6}')
	[[ ",$opts," == *,nosuid,* ]]
	[[ ",$opts," == *,nodev,* ]]
	[[ ",$opts," == *,noexec,* ]]
}

@test "mounts: without noexec the same tmpfs allows exec" {
	add_mount /mnt/t tmpfs tmpfs '["nosuid", "size=4m"]'
	update_config '.process.args = ["sh", "-c", "cp /bin/busybox /mnt/t/busybox && chmod 755 /mnt/t/busybox; /mnt/t/busybox true; echo exec=$?"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = exec=0 ]
}

@test "mounts: bind propagation rshared / rprivate" {
	mkdir -p "$BATS_TEST_TMPDIR/s" "$BATS_TEST_TMPDIR/p"
	add_mount /shared bind "$BATS_TEST_TMPDIR/s" '["rbind", "rshared"]'
	add_mount /private bind "$BATS_TEST_TMPDIR/p" '["rbind", "rprivate"]'
	update_config '.process.args = ["cat", "/proc/self/mountinfo"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$(mi_line /shared)" == *" shared:"* ]]
	[[ "$(mi_line /private)" != *" shared:"* ]]
	[[ "$(mi_line /private)" != *" master:"* ]]
}

@test "mounts: rootfsPropagation private" {
	update_config '.linux.rootfsPropagation = "private" | .process.args = ["cat", "/proc/self/mountinfo"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$(mi_line /)" != *" shared:"* ]]
	[[ "$(mi_line /)" != *" master:"* ]]
}

@test "mounts: rootfsPropagation shared" {
	# runtime-spec: rootfsPropagation sets the rootfs mount's propagation.
	# runc 1.1 leaves / private when the rootfs dir is not itself a mount
	# point (it privatises the rootfs's parent mount before binding it).
	update_config '.linux.rootfsPropagation = "shared" | .process.args = ["cat", "/proc/self/mountinfo"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$(mi_line /)" == *" shared:"* ]]
}

@test "mounts: root.readonly" {
	update_config '.root.readonly = true
		| .process.args = ["sh", "-c", "if touch /x 2>/dev/null; then echo WROTE; else echo ro; fi; cat /proc/self/mountinfo"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ro ]
	[[ "$(mi_line / | awk '{print $6}')" == ro* ]]
	[ ! -e "$BUNDLE/rootfs/x" ]

	update_config '.root.readonly = false
		| .process.args = ["sh", "-c", "touch /x && echo rw"]'
	run mkrun run c2
	[ "$status" -eq 0 ]
	[ "$output" = rw ]
	[ -e "$BUNDLE/rootfs/x" ]
}

@test "mounts: maskedPaths (files read empty, dirs are empty)" {
	# /proc/kcore only exists with CONFIG_PROC_KCORE.
	local kcore=
	[ -e /proc/kcore ] && kcore='"/proc/kcore",'
	update_config '.linux.maskedPaths = ['"$kcore"' "/proc/keys", "/proc/timer_list", "/sys/firmware", "/etc/secret"]
		| .process.args = ["sh", "-c", "for f in /proc/kcore /proc/keys /proc/timer_list /etc/secret; do [ -e $f ] && echo $f $(wc -c < $f) $(stat -c %t:%T $f); done; echo fw $(ls /sys/firmware | wc -l); echo x > /etc/secret; cat /proc/self/mountinfo"]'
	echo top-secret >"$BUNDLE/rootfs/etc/secret"
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	# Masked files read empty: /dev/null bound over them.
	[[ "$output" == *"/proc/keys 0 1:3"* ]]
	[[ "$output" == *"/proc/timer_list 0 1:3"* ]]
	[[ "$output" == *"/etc/secret 0 1:3"* ]]
	if [ -n "$kcore" ]; then
		[[ "$output" == *"/proc/kcore 0 1:3"* ]]
	fi
	[[ "$output" == *"fw 0"* ]]
	# The file under the mask is untouched.
	[ "$(cat "$BUNDLE/rootfs/etc/secret")" = top-secret ]
	# A masked dir is a read-only mount.
	[[ "$(mi_line /sys/firmware | awk '{print $6}')" == ro* ]]
}

@test "mounts: a masked path that does not exist is ignored" {
	update_config '.linux.maskedPaths += ["/no/such/path"] | .process.args = ["true"]'
	run mkrun run c1
	[ "$status" -eq 0 ]
}

@test "mounts: readonlyPaths" {
	mkdir -p "$BUNDLE/rootfs/data"
	update_config '.root.readonly = false
		| .linux.readonlyPaths = ["/proc/sys", "/proc/sysrq-trigger", "/data"]
		| .process.args = ["sh", "-c", "if (touch /data/x) 2>/dev/null; then echo WROTE; else echo ro; fi; if (echo 1 > /proc/sys/kernel/ns_last_pid) 2>/dev/null; then echo WROTE; else echo ro; fi; cat /proc/self/mountinfo"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ro ]
	[ "${lines[1]}" = ro ]
	[[ "$(mi_line /data | awk '{print $6}')" == ro* ]]
	[[ "$(mi_line /proc/sys | awk '{print $6}')" == ro* ]]
}

@test "mounts: a symlink in the rootfs pointing outside stays inside the rootfs" {
	OUTSIDE="/tmp/host-outside-$$-$RANDOM"
	mkdir -p "$OUTSIDE"
	echo canary >"$OUTSIDE/canary"
	ln -s "$OUTSIDE" "$BUNDLE/rootfs/evil"
	add_mount /evil tmpfs tmpfs '["size=1m"]'
	update_config '.process.args = ["sh", "-c", "echo pwned > /evil/pwned; ls /evil"]'

	run mkrun run c1
	echo "$output"
	# A runtime may refuse, or mount inside the rootfs; either is fine,
	# reaching the host is not.
	if [ "$status" -eq 0 ]; then
		[[ "$output" == *pwned* ]]
		[[ "$output" != *canary* ]]
	fi
	[ "$(cat "$OUTSIDE/canary")" = canary ]
	[ ! -e "$OUTSIDE/pwned" ]
	[ "$(ls "$OUTSIDE")" = canary ]
	! grep -F " $OUTSIDE " /proc/self/mountinfo
}

@test "mounts: a relative symlink with .. in the rootfs stays inside the rootfs" {
	OUTSIDE="/tmp/host-outside-$$-$RANDOM"
	mkdir -p "$OUTSIDE"
	echo canary >"$OUTSIDE/canary"
	ln -s "../../../../../../../../..$OUTSIDE" "$BUNDLE/rootfs/evil"
	add_mount /evil bind "$BATS_TEST_TMPDIR" '["bind", "ro"]'
	update_config '.process.args = ["true"]'
	run mkrun run c1
	echo "$output"
	[ "$(ls "$OUTSIDE")" = canary ]
	! grep -F " $OUTSIDE " /proc/self/mountinfo
}

@test "mounts: /dev entries" {
	update_config '.process.args = ["sh", "-c", "for d in null zero full random urandom tty; do stat -c \"%n %F %t %T\" /dev/$d; done; for l in fd stdin stdout stderr; do readlink /dev/$l; done; stat -c %F /dev/ptmx; readlink /dev/ptmx; true"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/dev/null character special file 1 3" ]
	[ "${lines[1]}" = "/dev/zero character special file 1 5" ]
	[ "${lines[2]}" = "/dev/full character special file 1 7" ]
	[ "${lines[3]}" = "/dev/random character special file 1 8" ]
	[ "${lines[4]}" = "/dev/urandom character special file 1 9" ]
	[ "${lines[5]}" = "/dev/tty character special file 5 0" ]
	[ "${lines[6]}" = /proc/self/fd ]
	[ "${lines[7]}" = /proc/self/fd/0 ]
	[ "${lines[8]}" = /proc/self/fd/1 ]
	[ "${lines[9]}" = /proc/self/fd/2 ]
	# /dev/ptmx: a symlink to pts/ptmx (runc, crun) or the char device 5:2.
	[[ "${lines[10]}" == "symbolic link" && "${lines[11]}" == pts/ptmx ]] ||
		[[ "${lines[10]}" == "character special file" ]]
}

@test "mounts: /dev devices work; /dev/pts, /dev/shm are mounted" {
	update_config '.process.args = ["sh", "-c", "echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c; if (echo x > /dev/full) 2>/dev/null; then echo FULL-WROTE; else echo full-enospc; fi; cat /proc/self/mountinfo"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = null-ok ]
	[ "${lines[1]}" = 4 ]
	[ "${lines[2]}" = 4 ]
	[ "${lines[3]}" = full-enospc ]
	[[ "$(mi_line /dev/pts)" == *" - devpts "* ]]
	[[ "$(mi_line /dev/shm)" == *" - tmpfs "* ]]
	[[ "$(mi_line /dev)" == *" - tmpfs "* ]]
	[[ "$(mi_line /proc)" == *" - proc "* ]]
	# /dev/pts is a new instance (ptmxmode set), not the host's.
	[[ "$(mi_line /dev/pts)" == *newinstance* || "$(mi_line /dev/pts)" == *ptmxmode=* ]]
}

@test "mounts: linux.devices creates a device node with major/minor/mode/uid/gid" {
	update_config '.linux.devices = [{"path": "/dev/mkfull", "type": "c", "major": 1, "minor": 7, "fileMode": 416, "uid": 1000, "gid": 1001}]
		| .process.args = ["stat", "-c", "%F %t %T %a %u %g", "/dev/mkfull"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "character special file 1 7 640 1000 1001" ]
}

@test "mounts: linux.devices block device and fifo" {
	update_config '.linux.devices = [{"path": "/dev/mkblk", "type": "b", "major": 7, "minor": 200, "fileMode": 384, "uid": 0, "gid": 0},
			{"path": "/dev/mkfifo", "type": "p", "fileMode": 420}]
		| .process.args = ["sh", "-c", "stat -c \"%F %t %T %a\" /dev/mkblk; stat -c \"%F %a\" /dev/mkfifo"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "block special file 7 c8 600" ]
	[ "${lines[1]}" = "fifo 644" ]
}

@test "mounts: sysctl net.ipv4.ip_forward in the network namespace" {
	local host_val
	host_val=$(cat /proc/sys/net/ipv4/ip_forward)
	local want=$((1 - host_val))
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "'"$want"'"}
		| .process.args = ["cat", "/proc/sys/net/ipv4/ip_forward"]'
	run mkrun run c1
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_val" ]
}

@test "mounts: sysctl kernel.shmmax in the ipc namespace" {
	local host_val
	host_val=$(cat /proc/sys/kernel/shmmax)
	update_config '.linux.sysctl = {"kernel.shmmax": "123456789"}
		| .process.args = ["cat", "/proc/sys/kernel/shmmax"]'
	run mkrun run c1
	[ "$status" -eq 0 ]
	[ "$output" = 123456789 ]
	[ "$(cat /proc/sys/kernel/shmmax)" = "$host_val" ]
}

@test "mounts: sysctl of a namespaced key without its namespace fails" {
	update_config '.linux.namespaces |= map(select(.type != "network"))
		| .linux.sysctl = {"net.ipv4.ip_forward": "1"}
		| .process.args = ["true"]'
	run mkrun run c1
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/c1" ]
}

@test "mounts: --no-pivot" {
	echo in-rootfs >"$BUNDLE/rootfs/marker"
	update_config '.process.args = ["sh", "-c", "cat /marker; ls -d /bin /work /boot 2>/dev/null; cat /proc/self/mountinfo"]'
	run mkrun run --no-pivot c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in-rootfs ]
	[ "${lines[1]}" = /bin ]
	[[ "${lines[2]}" != /* ]]
	[[ "$(mi_line /proc)" == *" - proc "* ]]
}

@test "mounts: idmapped bind mount shows the mapped owner" {
	requires idmap
	mkdir -p "$BATS_TEST_TMPDIR/idm"
	touch "$BATS_TEST_TMPDIR/idm/f"
	chown 0:0 "$BATS_TEST_TMPDIR/idm/f"
	# runc's and crun's meaning: the mount's user namespace maps the file's
	# owner (containerID column) to what the container sees (hostID).
	update_config '.mounts += [{"destination": "/idm", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/idm"'",
		"options": ["rbind", "idmap"],
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]
		| .mounts += [{"destination": "/plain", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/idm"'", "options": ["rbind"]}]
		| .process.args = ["sh", "-c", "stat -c %u:%g /idm/f /plain/f"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000:1000 ]
	[ "${lines[1]}" = 0:0 ]
	# The host's file is untouched.
	[ "$(stat -c %u:%g "$BATS_TEST_TMPDIR/idm/f")" = 0:0 ]
}

@test "mounts: proc and sysfs only on a real directory: an image's /proc or /sys symlink is refused (as runc)" {
	local d
	for d in proc sys; do
		rm -rf "rootfs/$d"
		ln -s /elsewhere "rootfs/$d"
		run mkrun run c1
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"destination: \`/$d\` must be mounted on ordinary directory (it goes through a symlink in the rootfs)"* ]]
		[ ! -e "$ROOT/c1" ]
		[ ! -e rootfs/elsewhere ]
		rm "rootfs/$d"
		mkdir "rootfs/$d"
	done
}

@test "mounts: a read-only /dev still gets its mount points and devices, then is read-only (as runc)" {
	update_config '.mounts |= map((select(.destination == "/dev") | .options += ["ro"]) // .)
		| .process.args = ["sh", "-c", "grep \"^tmpfs /dev \" /proc/mounts; test -c /dev/null && echo null-ok; grep -c \" /dev/pts \" /proc/mounts; touch /dev/x 2>&1"]'
	run mkrun run c1
	echo "$output"
	[[ "${lines[0]}" == "tmpfs /dev tmpfs ro,"* ]]
	[ "${lines[1]}" = null-ok ]
	[ "${lines[2]}" = 1 ]
	[[ "${lines[3]}" == *"Read-only file system"* ]]
}

@test "mounts: bind sources a user namespace's root cannot reach are bound, and no host descriptor stays" {
	# A 0700 directory of the host's root: the container's remapped root is
	# "other" there.  The runtime opens the sources inside the init's mount
	# namespace and sends them (runc: the same, over its init pipe).
	requires userns
	userns_traversable_bundle
	chown -R 100000:100000 "$BUNDLE/rootfs"
	local src="$BATS_TEST_TMPDIR/private"
	mkdir -p "$src/dir" "$src/file.d"
	echo secret-ok >"$src/dir/foo.txt"
	echo file-ok >"$src/file.d/one"
	chmod 700 "$src"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))
		| .mounts += [{"source": "'"$src"'/dir", "destination": "/mnt/a", "type": "bind", "options": ["bind"]},
			{"source": "'"$src"'/file.d/one", "destination": "/mnt/one", "type": "bind", "options": ["bind", "ro"]}]
		| .process.args = ["sh", "-c", "cat /mnt/a/foo.txt /mnt/one; ls /proc/self/fd | tr \"\\n\" \" \""]'
	run mkrun run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = secret-ok ]
	[ "${lines[1]}" = file-ok ]
	# stdio and ls's own directory: nothing of the runtime's.
	[ "${lines[2]}" = "0 1 2 3 " ]
}
