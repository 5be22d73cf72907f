#!/usr/bin/env bats
# org.mkrun.network.allow: a container in the host's network namespace may
# connect/sendto only the listed IP:port endpoints (cgroup sock_addr BPF
# programs on its cgroup v2 directory).  The servers listen on loopback only
# (tests/bin/netprobe); loopback is filtered like any other address.  Ids
# (nf*) and cgroup paths are this file's own: other suites may run at the
# same time.

load helpers

NETPROBE="$BATS_TEST_DIRNAME/../bin/netprobe"
ANNOTATION=org.mkrun.network.allow
EPERM="Operation not permitted"

setup() {
	requires root
	[[ "$MKRUN" == *runc ]] && skip "mkrun's own annotation"
	case "$(cgroup_mode)" in
	v2 | hybrid) ;;
	*) skip "test requires a cgroup v2 mount (host is $(cgroup_mode))" ;;
	esac
	[ -x "$NETPROBE" ] || skip "tests/bin/netprobe not built"
	setup_busybox
	cp "$NETPROBE" rootfs/bin/netprobe
	CGREL="mkrun-nf-$$-$BATS_TEST_NUMBER"
	update_config '.linux.namespaces |= map(select(.type != "network"))
		| .linux.cgroupsPath = "'"$CGREL"'"'
	SERVERS=()
}

teardown() {
	local p
	for p in "${SERVERS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	teardown_busybox
}

# serve ADDR VAR: a netprobe server (TCP and UDP) on a free port of ADDR.
# Sets VAR to the port and VAR_LOG to the file it logs what it receives to.
# Fails if ADDR cannot be bound.
serve() {
	local addr=$1 var=$2 log i
	log=$(mktemp "$BATS_TEST_TMPDIR/serve.XXXXXX")
	"$NETPROBE" serve "$addr" >"$log" 2>&1 3>&- &
	SERVERS+=($!)
	for ((i = 0; i < 50; i++)); do
		grep -q . "$log" && break
		sleep 0.1
	done
	printf -v "$var" '%s' "$(head -n1 "$log")"
	printf -v "${var}_LOG" '%s' "$log"
	[[ "${!var}" =~ ^[0-9]+$ ]]
}

# ipv6_loopback: whether IPv6 loopback (::1) works here.
ipv6_loopback() {
	"$NETPROBE" sendto ::1 9 probe >/dev/null 2>&1
}

allow() {
	update_config --arg v "$1" '.annotations["'$ANNOTATION'"] = $v'
}

# in_container SCRIPT: the container runs `sh -c SCRIPT`.
in_container() {
	update_config --arg s "$1" '.process.args = ["sh", "-c", $s]'
}

# expect_lines LINE...: $output (of run) is exactly these lines.
expect_lines() {
	local want=("$@") i
	echo "$output"
	[ "${#lines[@]}" -eq ${#want[@]} ] || fail "expected ${#want[@]} lines, got ${#lines[@]}"
	for ((i = 0; i < ${#want[@]}; i++)); do
		[ "${lines[i]}" = "${want[i]}" ] || fail "line $((i + 1)): expected \"${want[i]}\""
	done
}

# none_alive ID...: none of these BPF program ids exists any more.
none_alive() {
	[ -z "$("$NETPROBE" alive "$@")" ]
}

# The cgroup directories a relative cgroupsPath lands in, per hierarchy.
cgroup_dirs_for() {
	local c
	for c in memory pids cpu devices freezer unified; do
		echo "$(cgroup_path_of "$BASHPID" "$c")/$1"
	done | sort -u
}

@test "netfilter: the allowed endpoint exchanges a line; another port of that address: EPERM" {
	serve 127.0.0.1 PA
	serve 127.0.0.1 PB
	allow "127.0.0.1:$PA"
	in_container "echo ping | nc 127.0.0.1 $PA; echo rc=\$?; nc 127.0.0.1 $PB </dev/null; echo rc=\$?"
	run mkrun run nf1 </dev/null
	expect_lines "pong ping" rc=0 "nc: can't connect to remote host (127.0.0.1): $EPERM" rc=1
	grep -qx "tcp ping" "$PA_LOG"
	! grep -q tcp "$PB_LOG"
}

@test "netfilter: a * port allows every port of that address, and only of that address" {
	serve 127.0.0.1 PA
	serve 127.0.0.1 PB
	allow " 10.255.255.1:80 , 127.0.0.1:* "
	# 127.0.0.2 has no listener: EPERM shows the filter refused it first.
	in_container "netprobe connect 127.0.0.1 $PA a; netprobe connect 127.0.0.1 $PB b;
		netprobe connect 127.0.0.2 $PA c"
	run mkrun run nf2 </dev/null
	expect_lines "pong a" "pong b" "connect: $EPERM"
	[ "$status" -eq 1 ]
}

@test "netfilter: IPv6 loopback endpoints" {
	ipv6_loopback || skip "no IPv6 loopback here"
	serve ::1 P6
	serve ::1 Q6
	allow "[::1]:$P6"
	in_container "netprobe connect ::1 $P6 six; netprobe connect ::1 $Q6 x;
		netprobe connect 127.0.0.1 $P6 y"
	run mkrun run nf3 </dev/null
	expect_lines "pong six" "connect: $EPERM" "connect: $EPERM"
	! grep -q tcp "$Q6_LOG"
}

@test "netfilter: IPv4-mapped destinations of AF_INET6 sockets are checked against IPv4 entries" {
	ipv6_loopback || skip "no IPv6 here"
	serve 127.0.0.1 PA
	serve 127.0.0.1 PB
	# An IPv4-mapped entry is the IPv4 address.
	allow "[::ffff:127.0.0.1]:$PA"
	in_container "nc 127.0.0.1 $PA </dev/null >/dev/null && echo v4 ok; netprobe connect ::ffff:127.0.0.1 $PA m;
		netprobe connect ::ffff:127.0.0.1 $PB n; netprobe sendto ::ffff:127.0.0.1 $PB u"
	run mkrun run nf4 </dev/null
	expect_lines "v4 ok" "pong m" "connect: $EPERM" "sendto: $EPERM"
	! grep -q "tcp\|udp" "$PB_LOG"
}

@test "netfilter: UDP sendto a denied address fails with EPERM; an allowed one arrives" {
	serve 127.0.0.1 PA
	serve 127.0.0.1 PB
	allow "127.0.0.1:$PA"
	local v6=(:) six=()
	if ipv6_loopback; then
		v6=(netprobe sendto ::1 "$PA" six)
		six=("sendto: $EPERM")
	fi
	in_container "netprobe sendto 127.0.0.1 $PA hello; netprobe sendto 127.0.0.1 $PB nope;
		netprobe sendto 127.0.0.3 $PA nope; ${v6[*]}"
	run mkrun run nf5 </dev/null
	expect_lines sent "sendto: $EPERM" "sendto: $EPERM" "${six[@]}"
	retry 20 0.1 grep -qx "udp hello" "$PA_LOG"
	! grep -q udp "$PB_LOG"
}

@test "netfilter: an empty list denies every IP destination; AF_UNIX is not filtered" {
	serve 127.0.0.1 PA
	allow ""
	in_container "netprobe connect 127.0.0.1 $PA x; netprobe sendto 127.0.0.1 $PA y; netprobe unix"
	run mkrun run nf6 </dev/null
	expect_lines "connect: $EPERM" "sendto: $EPERM" "unix ok"
}

@test "netfilter: exec'd processes are filtered too; the programs go away with the cgroup" {
	serve 127.0.0.1 PA
	serve 127.0.0.1 PB
	allow "127.0.0.1:$PA"
	update_config '.process.args = ["sleep", "1000"]'
	mkrun_detached run -d nf7
	[ "$status" -eq 0 ]
	local dir progs ids
	dir=$(cgroup_path_of "$(container_pid nf7)" unified)
	[[ "$dir" == */"$CGREL" ]]
	progs=$("$NETPROBE" progs "$dir")
	echo "$progs"
	[[ "$progs" == "connect4=1 connect6=1 sendmsg4=1 sendmsg6=1 ids="* ]]
	ids=${progs##*ids=}

	run mkrun exec nf7 netprobe connect 127.0.0.1 "$PA" e1
	expect_lines "pong e1"
	run mkrun exec nf7 netprobe connect 127.0.0.1 "$PB" e2
	expect_lines "connect: $EPERM"
	[ "$status" -eq 1 ]

	mkrun delete --force nf7
	[ ! -e "$dir" ]
	# The attachment held the only references: the programs are freed.
	retry 50 0.1 none_alive ${ids//,/ }
}

@test "netfilter: a bad value fails create with one line naming the annotation; nothing is left" {
	local value item why d i=0
	local -a cases=(
		"127.0.0.1|127.0.0.1|expected IPV4:PORT or [IPV6]:PORT"
		"127.0.0.1:0|127.0.0.1:0|the port must be 1-65535 or \`*\` (any)"
		"127.0.0.1:65536|127.0.0.1:65536|the port must be"
		"127.0.0.1:http|127.0.0.1:http|the port must be"
		"::1:80|::1:80|an IPv6 address goes in brackets"
		"[::1]80|[::1]80|expected [IPV6]:PORT"
		"[::1:80|[::1:80|expected [IPV6]:PORT"
		"[127.0.0.1]:80|[127.0.0.1]:80|not an IPv6 address"
		"256.0.0.1:80|256.0.0.1:80|not an IPv4 address"
		"localhost:80|localhost:80|not an IPv4 address"
		"10.0.0.1:80,,10.0.0.2:80|10.0.0.1:80,,10.0.0.2:80|empty item in"
		"10.0.0.1:80,|10.0.0.1:80,|empty item in"
	)
	for c in "${cases[@]}"; do
		IFS='|' read -r value item why <<<"$c"
		allow "$value"
		run __mkrun create nf8 </dev/null
		echo "$value -> $status: $output"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "mkrun: create nf8: $ANNOTATION: "* ]]
		[[ "$output" == *"\`$item\`"* ]]
		[[ "$output" == *"$why"* ]]
		[ ! -e "$ROOT/nf8" ]
		for d in $(cgroup_dirs_for "$CGREL"); do
			[ ! -e "$d" ] || fail "cgroup $d left behind"
		done
		i=$((i + 1))
	done
	[ "$i" -eq ${#cases[@]} ]
}

@test "netfilter: features lists the annotation" {
	run mkrun features
	[ "$status" -eq 0 ]
	[ "$(jq -r '.annotations["'$ANNOTATION'.enabled"]' <<<"$output")" = true ]
}
