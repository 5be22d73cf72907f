#!/usr/bin/env bats
# mkrun as an ordinary user (issue 15): a user the tests make runs mkrun
# through setpriv, as runc's and crun's rootless users do: state under
# $XDG_RUNTIME_DIR/mkrun, its own ids mapped (or ranges through
# newuidmap/newgidmap), no cgroup where nothing is delegated (and then a
# limit is an error that says how to get one), a delegated cgroup used.

load helpers

UNPRIV=mkrun-unpriv

setup() {
	requires root userns
	id "$UNPRIV" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$UNPRIV"
	U=$(id -u "$UNPRIV")
	G=$(id -g "$UNPRIV")
	# A range of its own for newuidmap/newgidmap (not the machine's users').
	grep -q "^$UNPRIV:" /etc/subuid || echo "$UNPRIV:300000:65536" >>/etc/subuid
	grep -q "^$UNPRIV:" /etc/subgid || echo "$UNPRIV:300000:65536" >>/etc/subgid
	setup_busybox
	userns_traversable_bundle
	XDG="$BATS_TEST_TMPDIR/xdg"
	mkdir -p "$XDG"
	chmod 700 "$XDG"
	chown "$U:$G" "$XDG" "$BATS_TEST_TMPDIR"
	chmod 755 "$BATS_TEST_TMPDIR"
	rm -f "$BUNDLE/config.json"
	chown -R "$U:$G" "$BUNDLE"
	as_user spec --rootless
	as_user_jq '.process.terminal = false | .process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map"]'
	DELEGATED=()
	SERVERS=()
}

teardown() {
	local id d
	[ ${#SERVERS[@]} -eq 0 ] || kill "${SERVERS[@]}" 2>/dev/null || true
	for id in $(as_user list -q 2>/dev/null); do
		as_user delete -f "$id" >/dev/null 2>&1 || true
	done
	for d in "${DELEGATED[@]}"; do
		rmdir "$d" 2>/dev/null || true
	done
	teardown_busybox
}

# as_user ARGS...: mkrun as the test's unprivileged user, in the bundle,
# with no --root: the default (XDG_RUNTIME_DIR's) is under test.
as_user() {
	(cd "$BUNDLE" && setpriv --reuid="$U" --regid="$G" --clear-groups \
		env XDG_RUNTIME_DIR="$XDG" HOME="$BUNDLE" "$MKRUN" "$@")
}

as_user_jq() {
	jq "$1" "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
	chown "$U:$G" "$BUNDLE/config.json"
}

@test "rootless: spec --rootless runs as an ordinary user, its uid as the container's root" {
	run as_user run u1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" =~ ^\ +0\ +$U\ +1$ ]]
	# Nothing was left under XDG_RUNTIME_DIR/mkrun.
	[ -d "$XDG/mkrun" ]
	[ -z "$(ls "$XDG/mkrun")" ]
}

@test "rootless: the whole lifecycle with state under XDG_RUNTIME_DIR, no cgroup of its own" {
	as_user_jq '.process.args = ["sleep", "100"]'
	as_user create u1 </dev/null >/dev/null 2>&1
	[ -f "$XDG/mkrun/u1/state.json" ]
	[ "$(stat -c %u "$XDG/mkrun/u1")" = "$U" ]
	run as_user list -q
	[ "$output" = u1 ]
	as_user start u1
	run as_user state u1
	[ "$(jq -r .status <<<"$output")" = running ]
	local pid
	pid=$(jq -r .pid <<<"$output")
	# Still in the user's cgroups: no cgroup was made for it.
	[ "$(grep -v '^0::' "/proc/$pid/cgroup")" = "$(grep -v '^0::' /proc/self/cgroup)" ]
	run as_user exec u1 cat /proc/self/uid_map
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^\ +0\ +$U\ +1$ ]]
	# ps: the processes of its pid namespace (no cgroup to read).
	as_user exec -d u1 sleep 77
	run as_user ps --format json u1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 2 ]
	jq -e --argjson p "$pid" 'index($p) != null' <<<"$output"
	# events --stats: what /proc tells of those processes (no cgroup).
	run as_user events --stats u1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r .data.pids.current <<<"$output")" -eq 2 ]
	[ "$(jq -r .data.memory.usage.usage <<<"$output")" -gt 0 ]
	jq -e '.data.cpu.usage.total >= 0' <<<"$output"
	run as_user pause u1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no freezer cgroup"* || "$output" == *"has no cgroup (created without privilege, and no cgroup was delegated)"* ]]
	as_user kill --all u1 KILL
	retry 50 0.1 sh -c "[ \"\$(setpriv --reuid=$U --regid=$G --clear-groups env XDG_RUNTIME_DIR=$XDG $MKRUN state u1 | jq -r .status)\" = stopped ]"
	as_user delete u1
	[ ! -e "$XDG/mkrun/u1" ]
}

@test "rootless: a limit without a delegated cgroup fails and says how; best-effort runs without it" {
	as_user_jq '.linux.resources.memory = {"limit": 134217728}'
	run as_user run u1 </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mkrun: run u1: linux.resources.memory: limits need a cgroup, and uid $U may not make one (none was delegated: use --systemd-cgroup, where your systemd makes one, or have root give you a cgroup directory; or run without the limits: annotation org.mkrun.cgroups.best-effort=true, or an app's resources.best_effort: true): create cgroup "*"Permission denied" ]]
	[ -z "$(ls "$XDG/mkrun")" ]

	as_user_jq '.annotations["org.mkrun.cgroups.best-effort"] = "true"'
	run as_user run u1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "mkrun: warning: linux.resources.memory: not applied (create cgroup "*"Permission denied; annotation org.mkrun.cgroups.best-effort)" ]]
	[ "${lines[1]}" = 0 ]
}

@test "rootless: uid and gid ranges go through newuidmap and newgidmap (/etc/subuid)" {
	command -v newuidmap >/dev/null || skip "test requires newuidmap (uidmap)"
	as_user_jq '.linux.uidMappings = [{"containerID": 0, "hostID": '"$U"', "size": 1}, {"containerID": 1, "hostID": 300000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": '"$G"', "size": 1}, {"containerID": 1, "hostID": 300000, "size": 65536}]
		| .process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map"]'
	run as_user run u1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^\ +0\ +$U\ +1$ ]]
	[[ "${lines[1]}" =~ ^\ +1\ +300000\ +65536$ ]]
	[[ "${lines[3]}" =~ ^\ +1\ +300000\ +65536$ ]]

	# A range that is not the user's: newuidmap refuses, and the error says
	# where to look.
	as_user_jq '.linux.uidMappings[1].hostID = 500000'
	run as_user run u1 </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == "mkrun: run u1: linux.uidMappings: newuidmap failed (is the range yours in /etc/subuid?)" ]]
	[ -z "$(ls "$XDG/mkrun")" ]
}

@test "rootless: a cgroup delegated to the user (directories it owns) carries the limits" {
	requires cgroups_v1
	# Root gives the user a cgroup in every hierarchy, below the test's own
	# (as sites and Slurm do); the user's mkrun is started in it.
	local line ctrls path mnt dir enter=""
	while IFS= read -r line; do
		ctrls=$(cut -d: -f2 <<<"$line")
		path=$(cut -d: -f3- <<<"$line")
		case "$ctrls" in
		"") mnt=/sys/fs/cgroup/unified ;;
		name=systemd) mnt=/sys/fs/cgroup/systemd ;;
		*) mnt=$(awk -v c="$ctrls" '$5 ~ "^/sys/fs/cgroup/" && $0 ~ " - cgroup " && $NF ~ "(^|,)" c "(,|$)" {print $5; exit}' /proc/self/mountinfo) ;;
		esac
		[ -d "$mnt" ] || continue
		dir="$mnt${path%/}/mkrun-deleg-$$-$BATS_TEST_NUMBER"
		mkdir "$dir"
		DELEGATED=("$dir" "${DELEGATED[@]}")
		[ -e "$dir/cpuset.cpus" ] && cat "$(dirname "$dir")/cpuset.cpus" >"$dir/cpuset.cpus" &&
			cat "$(dirname "$dir")/cpuset.mems" >"$dir/cpuset.mems"
		chown "$U:$G" "$dir" "$dir/cgroup.procs"
		[ -e "$dir/tasks" ] && chown "$U:$G" "$dir/tasks"
		[ -e "$dir/cgroup.subtree_control" ] && chown "$U:$G" "$dir/cgroup.subtree_control"
		enter+="echo \$\$ >$dir/cgroup.procs; "
	done </proc/self/cgroup
	as_user_jq '.linux.resources.memory = {"limit": 134217728} | .linux.resources.pids = {"limit": 40}
		| .process.args = ["sh", "-c", "read m </sys/fs/cgroup/memory/memory.limit_in_bytes; read p </sys/fs/cgroup/pids/pids.max; echo $m $p"]'
	run sh -c "$enter cd '$BUNDLE' && exec setpriv --reuid=$U --regid=$G --clear-groups env XDG_RUNTIME_DIR='$XDG' '$MKRUN' run u1 </dev/null"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "134217728 40" ]
}

@test "rootless: on cgroup v2, a directory delegated to the user that holds mkrun: it moves into a leaf, the limits apply" {
	requires cgroups_v2
	# Root gives the user a cgroup (below the root: the test's own holds
	# processes, so no controllers below it) and starts the user's mkrun
	# in it; mkrun's cgroup then holds a process (its own) and may not
	# give controllers to the container's: it moves into DIR/mkrun.runtime.
	local dir=/sys/fs/cgroup/mkrun-deleg-$$-$BATS_TEST_NUMBER c
	for c in memory pids; do
		grep -qw "$c" /sys/fs/cgroup/cgroup.subtree_control || skip "the root cgroup does not give $c"
	done
	mkdir "$dir"
	DELEGATED=("$dir/mkrun.runtime" "$dir/mkrun" "$dir")
	chown "$U:$G" "$dir" "$dir/cgroup.procs" "$dir/cgroup.subtree_control"
	as_user_jq '.linux.resources.memory = {"limit": 134217728} | .linux.resources.pids = {"limit": 40}
		| .process.args = ["sleep", "100"]'
	run sh -c "echo \$\$ >$dir/cgroup.procs; cd '$BUNDLE' && exec setpriv --reuid=$U --regid=$G --clear-groups env XDG_RUNTIME_DIR='$XDG' '$MKRUN' run -d u1 </dev/null >/dev/null 2>&1"
	[ "$status" -eq 0 ]
	[ "$(cat "$dir/mkrun/u1/memory.max")" = 134217728 ]
	[ "$(cat "$dir/mkrun/u1/pids.max")" = 40 ]
	[ "$(cat "$dir/mkrun/u1/cgroup.procs")" = "$(as_user state u1 | jq .pid)" ]
	[ -d "$dir/mkrun.runtime" ]
	as_user delete -f u1
	[ ! -e "$dir/mkrun/u1" ]
}

@test "rootless: mkrun -e as an ordinary user: its own uid, none network; limits need a cgroup or best_effort" {
	local d="$BUNDLE/app"
	mkdir -p "$d"
	cat >"$d/a.yaml" <<-'YAML'
		application:
		  name: u_app
		  executable: /bin/sh
		  args: ["-c", "id -u; id -g; cat /proc/self/uid_map; ls /sys/class/net | tr '\n' ' '"]
		network:
		  access: none
	YAML
	chown -R "$U:$G" "$d"
	run as_user -e /bin/sh --config app/a.yaml </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$U" ]
	[ "${lines[1]}" = "$G" ]
	[[ "${lines[2]}" =~ ^\ +$U\ +$U\ +1$ ]]
	[ "${lines[3]}" = "lo " ]
	# The app's record is the user's, under XDG_RUNTIME_DIR.
	[ -d "$XDG/mkrun/.apps" ]

	printf 'resources:\n  mem_limit: "100MB"\n' >>"$d/a.yaml"
	run as_user -e /bin/sh --config app/a.yaml </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.resources.memory: limits need a cgroup, and uid $U may not make one"* ]]
	printf '  best_effort: true\n' >>"$d/a.yaml"
	run as_user -e /bin/sh --config app/a.yaml </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: linux.resources.memory: not applied"* ]]

	# Supervised: start, status, monitor (from /proc), stop, rm.
	cat >"$d/s.yaml" <<-'YAML'
		application:
		  name: u_sup
		  executable: /bin/sh
		  args: ["-c", "while true; do echo tick; sleep 0.2; done"]
	YAML
	chown "$U:$G" "$d/s.yaml"
	as_user app start --config app/s.yaml
	run as_user app status u_sup --json
	[ "$(jq -r .status <<<"$output")" = running ]
	run as_user app monitor --once u_sup
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == u_sup* ]]
	as_user app stop u_sup
	as_user app rm u_sup
	[ -z "$(ls -A "$XDG/mkrun/.apps")" ]
}

# start_probe: tests/bin/netprobe serving TCP and UDP on a free port of
# 127.0.0.1 (the caller's locals: probe, log its output, ok the port), or
# skip.
start_probe() {
	probe="$BATS_TEST_DIRNAME/../bin/netprobe"
	log="$BATS_TEST_TMPDIR/serve"
	[ -x "$probe" ] || skip "tests/bin/netprobe not built"
	"$probe" serve 127.0.0.1 >"$log" 2>&1 3>&- &
	SERVERS=($!)
	for ((i = 0; i < 50; i++)); do
		grep -q . "$log" && break
		sleep 0.1
	done
	ok=$(head -n1 "$log")
}

# lim_app NAME ARGS...: the YAML of an app NAME that runs the probe with
# ARGS, its network limited to 127.0.0.1:$ok, in $BUNDLE/app/NAME.yaml (the
# probe is the app's executable: an app does not see the host's /tmp,
# where the tests may live).
lim_app() {
	local name=$1 a args=""
	shift
	for a in "$@"; do
		args+="${args:+, }\"$a\""
	done
	mkdir -p "$BUNDLE/app"
	cat >"$BUNDLE/app/$name.yaml" <<-YAML
		application:
		  name: $name
		  executable: $probe
		  args: [$args]
		network:
		  access: limited
		  allowed_endpoints: ["127.0.0.1:$ok"]
	YAML
	chown -R "$U:$G" "$BUNDLE/app"
}

@test "rootless: mkrun -e as an ordinary user: network limited through the proxy, only the listed endpoints" {
	local probe log ok i
	start_probe
	# Through the proxy: TCP answered, the datagram delivered.
	lim_app u_tcp connect 127.0.0.1 "$ok" tcp-hello
	run as_user -e "$probe" --config app/u_tcp.yaml </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"pong tcp-hello"* ]]
	grep -q "tcp tcp-hello" "$log"
	lim_app u_udp sendto 127.0.0.1 "$ok" udp-hello
	run as_user -e "$probe" --config app/u_udp.yaml </dev/null
	[ "$status" -eq 0 ]
	for ((i = 0; i < 50; i++)); do
		grep -q "udp udp-hello" "$log" && break
		sleep 0.1
	done
	grep -q "udp udp-hello" "$log"
	# Another port of the same address: no listener; another address: no route.
	lim_app u_port connect 127.0.0.1 $((ok + 1)) other-port
	run as_user -e "$probe" --config app/u_port.yaml </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Connection refused"* ]]
	lim_app u_host connect 192.0.2.1 80 other-host
	run as_user -e "$probe" --config app/u_host.yaml </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Network is unreachable"* ]]
	! grep -q "other-" "$log"
	# Its own network namespace: lo alone.
	cat >"$BUNDLE/app/u_ls.yaml" <<-YAML
		application:
		  name: u_ls
		  executable: /bin/ls
		  args: [/sys/class/net]
		network:
		  access: limited
		  allowed_endpoints: ["127.0.0.1:$ok"]
	YAML
	chown "$U:$G" "$BUNDLE/app/u_ls.yaml"
	run as_user -e /bin/ls --config app/u_ls.yaml </dev/null
	[ "$output" = lo ]
	# The proxy ended with the app.
	for ((i = 0; i < 50; i++)); do
		[ -z "$(pgrep -u "$U")" ] && break
		sleep 0.1
	done
	pgrep -a -u "$U" || true
	[ -z "$(pgrep -u "$U")" ]

	# Supervised: the proxy lets the supervisor see the app's output end.
	lim_app u_sup connect 127.0.0.1 "$ok" sup-hello
	as_user app start --config app/u_sup.yaml
	for ((i = 0; i < 50; i++)); do
		[ "$(as_user app status u_sup --json | jq -r .status)" != running ] && break
		sleep 0.1
	done
	run as_user app logs u_sup
	echo "$output"
	[[ "$output" == *"pong sup-hello"* ]]
	as_user app rm u_sup
	# An endpoint that refuses: the proxy resets the container's connection.
	kill "${SERVERS[@]}"
	SERVERS=()
	run as_user -e "$probe" --config app/u_tcp.yaml </dev/null
	echo "$output"
	[[ "$output" == *"Connection reset by peer"* ]]
}

@test "rootless: org.mkrun.network.proxy on an OCI container; refused without a network namespace of its own, or with a \`*\` port" {
	local probe log ok i
	start_probe
	"$MKRUN" features | jq -e '.annotations["org.mkrun.network.proxy.enabled"] == "true"'
	# The probe, static, into the rootfs.
	cp "$probe" "$BUNDLE/rootfs/bin/netprobe"
	chown "$U:$G" "$BUNDLE/rootfs/bin/netprobe"
	as_user_jq '.linux.namespaces += [{"type": "network"}]
		| .annotations["org.mkrun.network.proxy"] = "127.0.0.1:'"$ok"'"
		| .process.args = ["sh", "-c", "netprobe connect 127.0.0.1 '"$ok"' oci-hello; netprobe connect 192.0.2.1 80 x"]'
	run as_user run p1 </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "pong oci-hello" ]]
	[[ "$output" == *"Network is unreachable"* ]]
	grep -q "tcp oci-hello" "$log"

	as_user_jq '.annotations["org.mkrun.network.proxy"] = "127.0.0.1:*"'
	run as_user run p2 </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "mkrun: run p2: org.mkrun.network.proxy: \`*\`: the proxy listens on each endpoint's port: give one" ]
	as_user_jq '.annotations["org.mkrun.network.proxy"] = "127.0.0.1:'"$ok"'" | .linux.namespaces -= [{"type": "network"}]'
	run as_user run p3 </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "mkrun: run p3: org.mkrun.network.proxy: needs a network namespace of the container's own (linux.namespaces: network, without a path)" ]
	[ -z "$(ls "$XDG/mkrun")" ]
}
