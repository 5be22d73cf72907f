#!/usr/bin/env bats
# Namespaces, observed from inside the container.

load helpers

setup() {
	requires root
	setup_busybox
	BG_PID=
}

teardown() {
	if [ -n "$BG_PID" ]; then
		kill -9 "$BG_PID" 2>/dev/null || true
		wait "$BG_PID" 2>/dev/null || true
	fi
	netdev_teardown
	teardown_busybox
}

# Inode of one of our own namespaces, as readlink prints it ("uts:[4026531838]").
host_ns() {
	readlink "/proc/self/ns/$1"
}

@test "namespaces: pid (the program is pid 1 and sees only its own processes)" {
	update_config '.process.args = ["sh", "-c", "echo pid=$$; ls -d /proc/[0-9]* | wc -l; readlink /proc/self/ns/pid"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "pid=1" ]
	# sh, ls (and maybe the subshell): a handful, not the host's.
	[ "${lines[1]}" -le 4 ]
	[ "${lines[2]}" != "$(host_ns pid)" ]
}

@test "namespaces: uts (hostname)" {
	update_config '.hostname = "mkrun-host"
		| .process.args = ["sh", "-c", "hostname; readlink /proc/self/ns/uts"]'
	local before
	before=$(hostname)
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = mkrun-host ]
	[ "${lines[1]}" != "$(host_ns uts)" ]
	# The host is untouched.
	[ "$(hostname)" = "$before" ]
}

@test "namespaces: uts domainname" {
	# runtime-spec 1.0.2 field; runc < 1.2 ignores it.
	update_config '.hostname = "mkrun-host" | .domainname = "mkrun.example"
		| .process.args = ["cat", "/proc/sys/kernel/domainname"]'
	local before
	before=$(cat /proc/sys/kernel/domainname)
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = mkrun.example ]
	[ "$(cat /proc/sys/kernel/domainname)" = "$before" ]
}

@test "namespaces: ipc" {
	update_config '.process.args = ["readlink", "/proc/self/ns/ipc"]'
	run mkrun run c1
	[ "$status" -eq 0 ]
	[[ "$output" == ipc:* ]]
	[ "$output" != "$(host_ns ipc)" ]
}

@test "namespaces: ipc is shared when not listed" {
	update_config '.linux.namespaces |= map(select(.type != "ipc"))
		| .process.args = ["readlink", "/proc/self/ns/ipc"]'
	run mkrun run c1
	[ "$status" -eq 0 ]
	[ "$output" = "$(host_ns ipc)" ]
}

@test "namespaces: network (only lo)" {
	update_config '.process.args = ["sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d \" \"; readlink /proc/self/ns/net"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = lo ]
	[ "${lines[1]}" != "$(host_ns net)" ]
}

@test "namespaces: a new network namespace has lo up (127.0.0.1 reachable)" {
	# IFF_UP|IFF_LOOPBACK = 0x9 (0x8 while down); nc listens on 127.0.0.1
	# (in the container's own namespace) and a second nc reaches it.
	update_config '.process.args = ["sh", "-c", "cat /sys/class/net/lo/flags; (nc -l -p 7777 & sleep 0.3; echo ping | nc -w 1 127.0.0.1 7777; wait)"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0x9 ]
	[ "${lines[1]}" = ping ]
}

@test "namespaces: mount" {
	update_config '.process.args = ["sh", "-c", "readlink /proc/self/ns/mnt; grep -c . /proc/self/mountinfo"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(host_ns mnt)" ]
	# The container's own, small mount table.
	[ "${lines[1]}" -lt "$(grep -c . /proc/self/mountinfo)" ] || [ "${lines[1]}" -lt 40 ]
}

@test "namespaces: cgroup (/proc/self/cgroup shows /)" {
	update_config '.linux.namespaces += [{"type": "cgroup"}]
		| .linux.cgroupsPath = "mkrun-ns-'"$$"'"
		| .process.args = ["sh", "-c", "readlink /proc/self/ns/cgroup; cat /proc/self/cgroup"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(host_ns cgroup)" ]
	# Every hierarchy line ends in ":/" (the container's cgroup is its root).
	local l n=0
	for l in "${lines[@]:1}"; do
		n=$((n + 1))
		[[ "$l" == *:/ ]] || { echo "not rooted: $l"; return 1; }
	done
	[ "$n" -ge 1 ]
}

@test "namespaces: user with uidMappings/gidMappings" {
	requires userns
	userns_traversable_bundle
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))
		| .process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; readlink /proc/self/ns/user; sleep 100"]'
	# Runtimes bind the host's device nodes into a user-namespaced container
	# and open /dev/null there (runc: O_RDWR); the remapped root is "other".
	[ "$(($(stat -c '0%a' /dev/null) & 2))" -ne 0 ] ||
		skip "host /dev/null is not world-writable ($(stat -c %a /dev/null))"
	: >"$BATS_TEST_TMPDIR/in"
	mkrun run -d c1 <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" 2>&1 || { cat "$BATS_TEST_TMPDIR/out"; return 1; }
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -ge 4 ] && break
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/out"
	mapfile -t lines <"$BATS_TEST_TMPDIR/out"
	[ "$(echo ${lines[0]})" = "0 100000 65536" ]
	[ "$(echo ${lines[1]})" = "0 200000 65536" ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" != "$(host_ns user)" ]

	# From the host the program runs as the mapped ids.
	local pid
	pid=$(mkrun state c1 | jq -r .pid)
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 100000 ]
	[ "$(awk '/^Gid:/ {print $2}' "/proc/$pid/status")" = 200000 ]
}

@test "namespaces: time namespace with timeOffsets" {
	requires timens
	update_config '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"monotonic": {"secs": 86400, "nanosecs": 0}, "boottime": {"secs": 172800, "nanosecs": 0}}
		| .process.args = ["sh", "-c", "cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ monotonic\ +86400\ +0 ]]
	[[ "$output" =~ boottime\ +172800\ +0 ]]
	# /proc/uptime follows boottime: at least two days more than the host's.
	local up host_up
	up=$(echo "$output" | tail -1)
	host_up=$(cut -d. -f1 /proc/uptime)
	[ "$up" -ge $((host_up + 172800 - 5)) ]
}

@test "namespaces: join an existing uts namespace by path" {
	local name="joined-$RANDOM"
	unshare --uts sh -c "hostname $name && exec sleep 100" 3>&- &
	BG_PID=$!
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(nsenter -t "$BG_PID" -u hostname 2>/dev/null)" = "$name" ] && break
		sleep 0.1
	done
	[ "$(nsenter -t "$BG_PID" -u hostname)" = "$name" ]

	update_config 'del(.hostname)
		| .linux.namespaces |= map(if .type == "uts" then . + {"path": "/proc/'"$BG_PID"'/ns/uts"} else . end)
		| .process.args = ["sh", "-c", "hostname; readlink /proc/self/ns/uts"]'
	run mkrun run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$name" ]
	[ "${lines[1]}" = "$(readlink "/proc/$BG_PID/ns/uts")" ]
	[ "$(hostname)" != "$name" ]
}

@test "namespaces: join an existing network namespace by path" {
	unshare --net sleep 100 3>&- &
	BG_PID=$!
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(readlink "/proc/$BG_PID/ns/net")" != "$(host_ns net)" ] && break
		sleep 0.1
	done
	local want
	want=$(readlink "/proc/$BG_PID/ns/net")
	[ "$want" != "$(host_ns net)" ]

	update_config '.linux.namespaces |= map(if .type == "network" then . + {"path": "/proc/'"$BG_PID"'/ns/net"} else . end)
		| .process.args = ["readlink", "/proc/self/ns/net"]'
	run mkrun run c1
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
}

@test "namespaces: joining a path that is not a namespace fails" {
	update_config '.linux.namespaces |= map(if .type == "uts" then . + {"path": "/etc/hostname"} else . end)
		| .process.args = ["true"]'
	run mkrun run c1 </dev/null
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/c1" ]
}

@test "namespaces: user with several mapping ranges, program as a mapped user" {
	requires userns
	userns_traversable_bundle
	# Container root is host root (size 1), so this works even where the
	# host's /dev/null is not world-writable; uid 1000 maps to 100999.
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 1}, {"containerID": 1, "hostID": 100000, "size": 65535}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 1}, {"containerID": 1, "hostID": 200000, "size": 65535}]
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))
		| .process.user = {"uid": 1000, "gid": 1000}
		| .process.args = ["sh", "-c", "cat /proc/self/uid_map; id -u; id -g; sleep 100"]'
	: >"$BATS_TEST_TMPDIR/in"
	mkrun run -d c1 <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" 2>&1 || { cat "$BATS_TEST_TMPDIR/out"; return 1; }
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -ge 4 ] && break
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/out"
	mapfile -t lines <"$BATS_TEST_TMPDIR/out"
	[ "$(echo ${lines[0]})" = "0 0 1" ]
	[ "$(echo ${lines[1]})" = "1 100000 65535" ]
	[ "${lines[2]}" = 1000 ]
	[ "${lines[3]}" = 1000 ]
	local pid
	pid=$(mkrun state c1 | jq -r .pid)
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 100999 ]
	[ "$(awk '/^Gid:/ {print $2}' "/proc/$pid/status")" = 200999 ]
}

# linux.netDevices (runtime-spec 1.3).  The "host" is a network namespace
# the test makes (its veth pair never touches the machine's own network):
# mkrun runs in it under nsenter.
netdev_setup() {
	command -v ip >/dev/null || skip "test requires iproute2's ip"
	NETNS="mkrun-bats-$$-${BATS_TEST_NUMBER}"
	ip netns add "$NETNS"
	ip -n "$NETNS" link add mkv0 type veth peer name mkv1
	ip -n "$NETNS" link set mkv1 mtu 1400
	ip -n "$NETNS" addr add 10.213.7.2/24 dev mkv1
	ip -n "$NETNS" addr add fd00:7::2/64 dev mkv1 nodad
}

netdev_teardown() {
	[ -z "${NETNS:-}" ] || ip netns del "$NETNS" 2>/dev/null || true
}

in_netns() {
	nsenter --net="/run/netns/$NETNS" "$MKRUN" --root "$ROOT" "$@"
}

@test "namespaces: netDevices moves a device in, renamed, with its addresses, MTU and link up" {
	netdev_setup
	update_config '.linux.netDevices = {"mkv1": {"name": "ctr0"}}
		| .process.args = ["sh", "-c", "ip -o addr show dev ctr0; ip -o link show dev ctr0; ls /sys/class/net"]'
	run in_netns run c1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ctr0    inet 10.213.7.2/24 "* ]]
	[[ "$output" == *"ctr0    inet6 fd00:7::2/64 "* ]]
	[[ "$output" == *"ctr0@"*",UP"*"> mtu 1400 "* ]]
	[[ "$output" != *mkv1* ]]
	# Gone from the runtime's namespace while it ran; a veth ends with the
	# container's namespace (the kernel's rule for virtual devices).
	run ip -n "$NETNS" link show mkv1
	[ "$status" -ne 0 ]
	netdev_teardown
}

@test "namespaces: netDevices keeps the host's name without \"name\"; create then start" {
	netdev_setup
	update_config '.linux.netDevices = {"mkv1": {}} | .process.args = ["sleep", "100"]'
	in_netns create c1 </dev/null >/dev/null 2>&1
	run in_netns exec c1 ip -o addr show dev mkv1
	echo "$output"
	[[ "$output" == *"mkv1    inet 10.213.7.2/24 "* ]]
	run ip -n "$NETNS" link show mkv1
	[ "$status" -ne 0 ]
	in_netns delete -f c1
	netdev_teardown
}

@test "namespaces: netDevices errors: no such device, no network namespace, a bad name, a clash" {
	netdev_setup
	update_config '.linux.netDevices = {"nosuch0": {}}'
	run in_netns run c1 </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = 'mkrun: run c1: linux.netDevices: `nosuch0`: no such network device' ]
	[ ! -e "$ROOT/c1" ]
	# The device stays where it was after a failed create.
	ip -n "$NETNS" link show mkv0 >/dev/null

	update_config '.linux.netDevices = {"mkv1": {"name": "a/b"}}'
	run in_netns run c1 </dev/null
	[ "$status" -eq 1 ]
	[ "$output" = 'mkrun: run c1: linux.netDevices.mkv1.name: `a/b` is not a network device name' ]

	update_config '.linux.netDevices = {"mkv1": {"name": "x"}, "mkv0": {"name": "x"}}'
	run in_netns run c1 </dev/null
	[ "$status" -eq 1 ]
	[ "$output" = 'mkrun: run c1: linux.netDevices: two devices would be `x` in the container' ]

	update_config '.linux.netDevices = {"mkv1": {"name": "lo"}}'
	run in_netns run c1 </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == 'mkrun: run c1: linux.netDevices: `mkv1`: rename to `lo` in the container: '* ]]
	[ ! -e "$ROOT/c1" ]

	update_config '.linux.netDevices = {"mkv1": {}} | .linux.namespaces |= map(select(.type != "network"))'
	run in_netns run c1 </dev/null
	[ "$status" -eq 1 ]
	[ "$output" = 'mkrun: run c1: linux.netDevices: the container has no network namespace of its own (linux.namespaces has no "network")' ]
	netdev_teardown
}
