#!/usr/bin/env bats
# The systemd cgroup driver (--systemd-cgroup, crun's --cgroup-manager
# systemd): each container's cgroup is a transient scope systemd makes
# (cgroupsPath "slice:prefix:name"), its limits both the unit's properties
# and the cgroup's files; delete stops the scope.  As root with the
# system's systemd, and as an ordinary user with the user's own (a lingering
# user@.service).  Runs where systemd is pid 1: the systemd VM
# (tests/vm/systemd.sh); elsewhere only the refusal is tested.

load helpers

UNPRIV=mkrun-unpriv

setup() {
	setup_busybox
	update_config '.process.args = ["sleep", "300"]'
}

teardown() {
	teardown_busybox
}

# prop UNIT PROPERTY [--user]: systemctl show's value.
prop() {
	systemctl show -P "$2" "$1"
}

# scope_cg UNIT: the scope's cgroup directory (system instance).
scope_cg() {
	echo "/sys/fs/cgroup$(prop "$1" ControlGroup)"
}

@test "systemd cgroup: without systemd, --systemd-cgroup says so and leaves nothing" {
	[ ! -d /run/systemd/system ] || skip "systemd runs here"
	run mkrun --systemd-cgroup run c1
	[ "$status" -eq 1 ]
	[ "$output" = "mkrun: run c1: --systemd-cgroup: systemd is not running on this host" ]
	[ ! -e "$ROOT/c1" ]
}

@test "systemd cgroup: a scope in the slice cgroupsPath names, its limits as properties and files" {
	requires root systemd cgroups_v2
	update_config '.linux.cgroupsPath = "system.slice:mkrun-test:c1"
		| .linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 42},
		  "cpu": {"quota": 25000, "period": 100000, "shares": 2048}}'
	mkrun_detached --systemd-cgroup create c1
	[ "$status" -eq 0 ]
	local u=mkrun-test-c1.scope cg
	[ "$(prop $u ActiveState)" = active ]
	[ "$(prop $u Slice)" = system.slice ]
	[ "$(prop $u Delegate)" = yes ]
	[ "$(prop $u MemoryMax)" = 67108864 ]
	[ "$(prop $u TasksMax)" = 42 ]
	[ "$(prop $u CPUQuotaPerSecUSec)" = 250ms ]
	cg=$(scope_cg $u)
	[ "$cg" = /sys/fs/cgroup/system.slice/mkrun-test-c1.scope ]
	[ "$(cat "$cg/memory.max")" = 67108864 ]
	[ "$(cat "$cg/pids.max")" = 42 ]
	[ "$(cat "$cg/cpu.max")" = "25000 100000" ]
	[ "$(cat "$cg/cpu.weight")" = 79 ]
	# The init alone is in it (the placeholder that held the scope is gone).
	[ "$(cat "$cg/cgroup.procs")" = "$(mkrun state c1 | jq .pid)" ]
	mkrun state c1 | jq -e '.status == "created"'
	mkrun start c1
	# exec joins the scope.
	run mkrun exec c1 cat /proc/self/cgroup
	[ "$output" = "0::/system.slice/mkrun-test-c1.scope" ]
	[ "$(wc -l <"$cg/cgroup.procs")" -eq 1 ]
	# update: the property and the file.
	mkrun update --memory 128M c1
	[ "$(prop $u MemoryMax)" = 134217728 ]
	[ "$(cat "$cg/memory.max")" = 134217728 ]
	# A reload re-applies systemd's properties: the limits stay.
	systemctl daemon-reload
	[ "$(cat "$cg/memory.max")" = 134217728 ]
	[ "$(cat "$cg/pids.max")" = 42 ]
	mkrun delete -f c1
	[ "$(prop $u LoadState)" = not-found ]
	[ ! -e "$cg" ]
	[ ! -e "$ROOT/c1" ]
}

@test "systemd cgroup: the default scope (system.slice, mkrun-ID.scope), run and a container that exits" {
	requires root systemd cgroups_v2
	update_config '.process.args = ["cat", "/proc/self/cgroup"]'
	run mkrun --cgroup-manager systemd run c2
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "0::/system.slice/mkrun-c2.scope" ]
	[ "$(prop mkrun-c2.scope LoadState)" = not-found ]
	[ ! -e /sys/fs/cgroup/system.slice/mkrun-c2.scope ]
	# A stopped container: its scope went with its processes; delete is clean.
	update_config '.process.args = ["true"]'
	mkrun_detached --systemd-cgroup run -d c3
	[ "$status" -eq 0 ]
	retry 100 0.1 eval '[ "$(mkrun state c3 | jq -r .status)" = stopped ]'
	mkrun delete c3
	[ ! -e "$ROOT/c3" ]
}

@test "systemd cgroup: bad cgroupsPath and a scope name in use are refused, nothing left" {
	requires root systemd cgroups_v2
	local p msg
	for p in "/mkrun/c1" "a:b" "system.slice:x:" "noslice:x:c1" "system.slice:x:y.slice" "system.slice:x:bad/name"; do
		update_config ".linux.cgroupsPath = \"$p\""
		run mkrun --systemd-cgroup run c1
		echo "$p: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == "mkrun: run c1: linux.cgroupsPath: "* ]]
		[ ! -e "$ROOT/c1" ]
	done
	update_config '.linux.cgroupsPath = "system.slice:mkrun-test:same"'
	mkrun_detached --systemd-cgroup create c1
	[ "$status" -eq 0 ]
	run mkrun --systemd-cgroup create c2 </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "mkrun: create c2: --systemd-cgroup: start unit mkrun-test-same.scope: it exists already (another container's cgroupsPath?)" ]
	[ ! -e "$ROOT/c2" ]
	# c1 untouched.
	[ "$(prop mkrun-test-same.scope ActiveState)" = active ]
	mkrun state c1 | jq -e '.status == "created"'
	mkrun delete -f c1
	[ "$(prop mkrun-test-same.scope LoadState)" = not-found ]
}

@test "systemd cgroup: a create killed mid-way is undone by delete, scope included" {
	requires root systemd cgroups_v2
	# The createRuntime hook kills the create (its parent) once the init is
	# in the scope.
	update_config '.linux.cgroupsPath = "system.slice:mkrun-test:k1"
		| .hooks = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "kill -9 $PPID"]}]}'
	run mkrun --systemd-cgroup create k1 </dev/null
	echo "$output"
	[ "$status" -eq 137 ]
	[ -d "$ROOT/k1" ]
	mkrun delete -f k1
	[ ! -e "$ROOT/k1" ]
	retry 100 0.1 eval '[ "$(prop mkrun-test-k1.scope LoadState)" = not-found ]'
	[ ! -e /sys/fs/cgroup/system.slice/mkrun-test-k1.scope ]
}

@test "systemd cgroup: an ordinary user's containers are scopes of its own systemd (user@.service)" {
	requires root systemd cgroups_v2 userns
	id "$UNPRIV" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$UNPRIV"
	local U G XDG
	U=$(id -u "$UNPRIV")
	G=$(id -g "$UNPRIV")
	XDG=/run/user/$U
	loginctl enable-linger "$UNPRIV"
	retry 600 0.1 eval '[ -S "$XDG/bus" ] && [ -S "$XDG/systemd/private" ]'
	userns_traversable_bundle
	rm -f "$BUNDLE/config.json"
	chown -R "$U:$G" "$BUNDLE"
	as_u() {
		(cd "$BUNDLE" && setpriv --reuid="$U" --regid="$G" --clear-groups \
			env XDG_RUNTIME_DIR="$XDG" DBUS_SESSION_BUS_ADDRESS="unix:path=$XDG/bus" HOME="$BUNDLE" "$MKRUN" "$@")
	}
	as_u spec --rootless
	jq '.process.terminal = false | .process.args = ["cat", "/proc/self/cgroup"]
		| .linux.resources = {"pids": {"limit": 17}} | .linux.cgroupsPath = "user.slice:mkrun:u1"' \
		"$BUNDLE/config.json" >"$BUNDLE/c.json" && mv "$BUNDLE/c.json" "$BUNDLE/config.json"
	chown "$U:$G" "$BUNDLE/config.json"
	run as_u --systemd-cgroup run u1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "0::/user.slice/user-$U.slice/user@$U.service/user.slice/mkrun-u1.scope" ]
	# The user's systemd made it: gone with the container.
	run systemctl --user -M "$UNPRIV@" show -P LoadState mkrun-u1.scope
	[ "$output" = not-found ] || [ "$status" -ne 0 ]
	# Detached: the scope is under user@UID.service, the user's own.
	# The default cgroupsPath (":mkrun:ID"): user.slice of the user's systemd.
	jq '.process.args = ["sleep", "300"] | del(.linux.cgroupsPath)' "$BUNDLE/config.json" >"$BUNDLE/c.json" && mv "$BUNDLE/c.json" "$BUNDLE/config.json"
	chown "$U:$G" "$BUNDLE/config.json"
	# (Detached, the container keeps the runtime's stdio: a file, not bats' pipe.)
	as_u --systemd-cgroup run -d u2 </dev/null >"$BUNDLE/u2.log" 2>&1 || { cat "$BUNDLE/u2.log"; false; }
	local pid cg=/sys/fs/cgroup/user.slice/user-$U.slice/user@$U.service/user.slice/mkrun-u2.scope
	pid=$(as_u state u2 | jq -r .pid)
	[ "$(cat "$cg/cgroup.procs")" = "$pid" ]
	[ "$(stat -c %u "$cg")" = "$U" ]
	[ "$(cat "$cg/pids.max")" = 17 ]
	# exec: systemd moves the process into the scope too.
	run as_u exec u2 cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "0::/user.slice/user-$U.slice/user@$U.service/user.slice/mkrun-u2.scope" ]
	# update through the user's systemd too.
	as_u update --pids-limit 30 u2
	[ "$(cat "$cg/pids.max")" = 30 ]
	[ "$(systemctl --user -M "$UNPRIV@" show -P TasksMax mkrun-u2.scope)" = 30 ]
	as_u delete -f u2
	[ ! -e "$cg" ]

	# The user's app (mkrun -e, supervised): a scope of the user's systemd
	# too, without --systemd-cgroup: its limits apply.
	mkdir -p "$BUNDLE/app"
	cat >"$BUNDLE/app/s.yaml" <<-'YAML'
		application:
		  name: u_sd
		  executable: /bin/sh
		  args: ["-c", "while true; do sleep 0.2; done"]
		resources:
		  pids_limit: 25
	YAML
	chown -R "$U:$G" "$BUNDLE/app"
	as_u app start --config app/s.yaml
	local slice=/sys/fs/cgroup/user.slice/user-$U.slice/user@$U.service/user.slice acg
	retry 100 0.1 eval 'ls -d "$slice"/mkrun-*u_sd*.scope'
	acg=$(ls -d "$slice"/mkrun-*u_sd*.scope)
	[ "$(cat "$acg/pids.max")" = 25 ]
	as_u app stop u_sd
	as_u app rm u_sd
	[ ! -e "$acg" ]
	loginctl disable-linger "$UNPRIV"
}
