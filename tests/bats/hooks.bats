#!/usr/bin/env bats
# OCI hooks: order, state on stdin, argv/env, namespaces, timeouts, failures.

load helpers

setup() {
	requires root
	setup_busybox
	HOOKOUT="$BATS_TEST_TMPDIR/hookout"
	mkdir -p "$HOOKOUT"
	# One script serves every hook. It lives in the rootfs (startContainer
	# hooks resolve their path in the container) and is reachable from the
	# host through the bundle. It writes to $2 when that exists (runtime
	# namespace, or the container's before pivot_root), else to /hookout
	# (the same directory bound into the container).
	cat >"$BUNDLE/rootfs/hook.sh" <<-'EOF'
		#!/bin/sh
		name=$1
		d=$2
		[ -d "$d" ] || d=/hookout
		cat >"$d/$name.state"
		printf '%s\n' "$@" >"$d/$name.argv"
		env >"$d/$name.env"
		readlink /proc/self/ns/mnt >"$d/$name.mnt"
		readlink /proc/self/ns/uts >"$d/$name.uts"
		hostname >"$d/$name.hostname"
		pwd >"$d/$name.cwd"
		echo "$name" >>"$d/order"
		[ -z "$3" ] || eval "$3"
	EOF
	chmod 755 "$BUNDLE/rootfs/hook.sh"
	HOOK_HOST="$BUNDLE/rootfs/hook.sh"
	update_config '.hostname = "hooked"
		| .mounts += [{"destination": "/hookout", "type": "bind", "source": "'"$HOOKOUT"'", "options": ["rbind", "rw"]}]
		| .process.args = ["sleep", "100"]'
}

teardown() {
	teardown_busybox
}

mkrun_detached() {
	mkrun "$@" </dev/null >"$BATS_TEST_TMPDIR/ctr.out" 2>"$BATS_TEST_TMPDIR/ctr.err"
}

# hook_json NAME PATH [EXTRA-SHELL [TIMEOUT]]
hook_json() {
	local j='{"path": "'"$2"'", "args": ["hook.sh", "'"$1"'", "'"$HOOKOUT"'", "'"${3:-}"'"], "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOOK_VAR=hook-'"$1"'"]'
	[ -n "${4:-}" ] && j+=', "timeout": '"$4"
	echo "$j}"
}

all_hooks() {
	update_config '.hooks = {
		"prestart": ['"$(hook_json prestart "$HOOK_HOST")"'],
		"createRuntime": ['"$(hook_json createRuntime "$HOOK_HOST")"'],
		"createContainer": ['"$(hook_json createContainer "$HOOK_HOST")"'],
		"startContainer": ['"$(hook_json startContainer /hook.sh)"'],
		"poststart": ['"$(hook_json poststart "$HOOK_HOST")"'],
		"poststop": ['"$(hook_json poststop "$HOOK_HOST")"']}'
}

wait_file() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	echo "$1 never appeared" >&2
	return 1
}

hook_status() { jq -r .status "$HOOKOUT/$1.state"; }

@test "hooks: all six run in order with the state on stdin" {
	all_hooks
	run mkrun_detached create c1
	cat "$BATS_TEST_TMPDIR/ctr.err"
	[ "$status" -eq 0 ]
	local pid
	pid=$(mkrun state c1 | jq -r .pid)

	# create ran the create-time hooks only (runc 1.1 also runs poststart
	# here, before the program started: a known deviation from the spec).
	cat "$HOOKOUT/order"
	[ "$(grep -c . "$HOOKOUT/order")" -eq 3 ]
	[ "$(tail -1 "$HOOKOUT/order")" = createContainer ]
	grep -qx prestart "$HOOKOUT/order"
	grep -qx createRuntime "$HOOKOUT/order"

	run mkrun start c1
	[ "$status" -eq 0 ]
	wait_file "$HOOKOUT/poststart.state"
	[ "$(sed -n 4p "$HOOKOUT/order")" = startContainer ]
	[ "$(sed -n 5p "$HOOKOUT/order")" = poststart ]

	run mkrun kill c1 KILL
	[ "$status" -eq 0 ]
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(mkrun state c1 | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	[ ! -e "$HOOKOUT/poststop.state" ]
	run mkrun delete c1
	[ "$status" -eq 0 ]
	wait_file "$HOOKOUT/poststop.state"
	cat "$HOOKOUT/order"
	[ "$(grep -c . "$HOOKOUT/order")" -eq 6 ]
	[ "$(tail -1 "$HOOKOUT/order")" = poststop ]

	# Every hook got the state: id, pid, bundle, ociVersion.
	local h
	for h in prestart createRuntime createContainer startContainer poststart poststop; do
		echo "$h: $(cat "$HOOKOUT/$h.state")"
		[ "$(jq -r .id "$HOOKOUT/$h.state")" = c1 ]
		[ "$(jq -r .bundle "$HOOKOUT/$h.state")" = "$(realpath "$BUNDLE")" ]
		[ -n "$(jq -r .ociVersion "$HOOKOUT/$h.state")" ]
	done
	for h in prestart createRuntime createContainer startContainer poststart; do
		[ "$(jq -r .pid "$HOOKOUT/$h.state")" = "$pid" ]
	done
}

@test "hooks: status in the state given to each hook" {
	all_hooks
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	wait_file "$HOOKOUT/poststart.state"
	run mkrun delete -f c1
	[ "$status" -eq 0 ]
	wait_file "$HOOKOUT/poststop.state"

	local h
	for h in prestart createRuntime createContainer startContainer poststart poststop; do
		echo "$h: $(hook_status "$h")"
	done
	# runtime-spec: creating until create finishes, created before the
	# program starts, running after (runc 1.1 reports "created" to
	# poststart), stopped at the end.
	[ "$(hook_status createRuntime)" = creating ]
	[ "$(hook_status createContainer)" = creating ]
	[ "$(hook_status startContainer)" = created ]
	[ "$(hook_status poststart)" = running ]
	[ "$(hook_status poststop)" = stopped ]
	[[ "$(hook_status prestart)" == creating || "$(hook_status prestart)" == created ]]
}

@test "hooks: argv and env are the hook's own" {
	all_hooks
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	wait_file "$HOOKOUT/poststart.state"

	local h
	for h in prestart createRuntime createContainer startContainer poststart; do
		# (argv[0] of a #! script is replaced by the kernel: not checked)
		[ "$(sed -n 1p "$HOOKOUT/$h.argv")" = "$h" ]
		[ "$(sed -n 2p "$HOOKOUT/$h.argv")" = "$HOOKOUT" ]
		grep -qx "HOOK_VAR=hook-$h" "$HOOKOUT/$h.env"
		# Nothing of the runtime's environment leaks in.
		! grep -q '^BATS_' "$HOOKOUT/$h.env"
		! grep -q '^_LIBCONTAINER' "$HOOKOUT/$h.env"
	done
}

@test "hooks: createContainer/startContainer run in the container's namespaces" {
	all_hooks
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	wait_file "$HOOKOUT/poststart.state"
	local pid ctr_mnt host_mnt
	pid=$(mkrun state c1 | jq -r .pid)
	ctr_mnt=$(readlink "/proc/$pid/ns/mnt")
	host_mnt=$(readlink /proc/self/ns/mnt)

	[ "$(cat "$HOOKOUT/createContainer.mnt")" = "$ctr_mnt" ]
	[ "$(cat "$HOOKOUT/startContainer.mnt")" = "$ctr_mnt" ]
	[ "$(cat "$HOOKOUT/startContainer.hostname")" = hooked ]
	# createContainer runs in the container's UTS namespace (the hostname
	# may not be set yet).
	[ "$(cat "$HOOKOUT/createContainer.uts")" = "$(readlink "/proc/$pid/ns/uts")" ]
	[ "$(cat "$HOOKOUT/startContainer.uts")" = "$(readlink "/proc/$pid/ns/uts")" ]
	# createContainer's cwd is the rootfs, as runc's ("./lib" is its /lib).
	[ "$(cat "$HOOKOUT/createContainer.cwd")" = "$(realpath "$BUNDLE/rootfs")" ]

	# The runtime-namespace hooks see the host.
	[ "$(cat "$HOOKOUT/createRuntime.mnt")" = "$host_mnt" ]
	[ "$(cat "$HOOKOUT/prestart.mnt")" = "$host_mnt" ]
	[ "$(cat "$HOOKOUT/poststart.mnt")" = "$host_mnt" ]
	[ "$(cat "$HOOKOUT/createRuntime.hostname")" = "$(hostname)" ]
}

@test "hooks: several hooks of one kind run in array order" {
	update_config '.hooks.createRuntime = ['"$(hook_json cr1 "$HOOK_HOST")"', '"$(hook_json cr2 "$HOOK_HOST")"', '"$(hook_json cr3 "$HOOK_HOST")"']'
	run mkrun_detached create c1
	[ "$status" -eq 0 ]
	[ "$(tr '\n' ' ' <"$HOOKOUT/order")" = "cr1 cr2 cr3 " ]
}

@test "hooks: poststart waits for a slow startContainer hook (start and run)" {
	# runtime-spec: poststart runs after the program starts, so after every
	# startContainer hook, however long that takes.
	printf '#!/bin/sh\nsleep 1\nexec /hook.sh "$@"\n' >"$BUNDLE/rootfs/slowhook.sh"
	chmod 755 "$BUNDLE/rootfs/slowhook.sh"
	update_config '.hooks = {
		"startContainer": ['"$(hook_json startContainer /slowhook.sh)"'],
		"poststart": ['"$(hook_json poststart "$HOOK_HOST")"']}'
	run mkrun_detached create c1
	[ "$status" -eq 0 ]
	run mkrun start c1
	[ "$status" -eq 0 ]
	[ "$(tr '\n' ' ' <"$HOOKOUT/order")" = "startContainer poststart " ]
	mkrun delete --force c1

	rm -f "$HOOKOUT/order"
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	[ "$(tr '\n' ' ' <"$HOOKOUT/order")" = "startContainer poststart " ]
}

@test "hooks: a failing createRuntime hook fails create and leaves nothing behind" {
	local marker=$((1000000 + RANDOM))
	update_config '.process.args = ["sleep", "'"$marker"'"]
		| .hooks.createRuntime = ['"$(hook_json createRuntime "$HOOK_HOST" 'exit 3')"']
		| .hooks.poststart = ['"$(hook_json poststart "$HOOK_HOST")"']'
	run mkrun_detached create c1
	cat "$BATS_TEST_TMPDIR/ctr.err"
	[ "$status" -ne 0 ]
	grep -qx createRuntime "$HOOKOUT/order"
	[ ! -e "$HOOKOUT/poststart.state" ]
	[ ! -e "$ROOT/c1" ]
	run mkrun state c1
	[ "$status" -ne 0 ]
	! pgrep -f "sleep $marker"
	! grep -F "$BUNDLE" /proc/self/mountinfo
}

@test "hooks: a failing prestart hook fails run" {
	update_config '.hooks.prestart = ['"$(hook_json prestart "$HOOK_HOST" 'exit 1')"']
		| .process.args = ["true"]'
	run mkrun run c1 </dev/null
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/c1" ]
}

@test "hooks: a hook past its timeout is killed and the operation fails" {
	local marker=$((1000000 + RANDOM))
	update_config '.hooks.createRuntime = ['"$(hook_json createRuntime "$HOOK_HOST" "exec sleep $marker" 1)"']'
	local t0 t1
	t0=$(date +%s)
	run mkrun_detached create c1
	t1=$(date +%s)
	cat "$BATS_TEST_TMPDIR/ctr.err"
	[ "$status" -ne 0 ]
	# Killed at ~1 s, not after the sleep.
	[ $((t1 - t0)) -lt 10 ]
	[ ! -e "$ROOT/c1" ]
	local i
	for ((i = 0; i < 30; i++)); do
		pgrep -f "sleep $marker" >/dev/null || break
		sleep 0.1
	done
	! pgrep -f "sleep $marker"
}

@test "hooks: a hook within its timeout succeeds" {
	update_config '.hooks.createRuntime = ['"$(hook_json createRuntime "$HOOK_HOST" "sleep 0.2" 5)"']'
	run mkrun_detached create c1
	[ "$status" -eq 0 ]
	testcontainer c1 created
}

@test "hooks: a failing poststop hook does not fail delete" {
	update_config '.hooks.poststop = ['"$(hook_json poststop "$HOOK_HOST" 'exit 1')"']'
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	run mkrun delete -f c1
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx poststop "$HOOKOUT/order"
	[ ! -e "$ROOT/c1" ]
}

@test "hooks: a failing poststart hook fails start and stops the container (runtime-spec 1.3)" {
	# runtime.md (1.3): "If any poststart hook fails, the runtime MUST
	# generate an error, stop the container, and continue the lifecycle at
	# step 12" (destroy, poststop hooks): delete finishes it.
	update_config '.hooks.poststart = ['"$(hook_json poststart "$HOOK_HOST" 'exit 3')"', '"$(hook_json poststart2 "$HOOK_HOST")"']
		| .hooks.poststop = ['"$(hook_json poststop "$HOOK_HOST")"']'
	run mkrun_detached create c1
	cat "$BATS_TEST_TMPDIR/ctr.err"
	[ "$status" -eq 0 ]
	local pid
	pid=$(jq -r .pid <<<"$(mkrun state c1)")
	run mkrun start c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == "mkrun: start c1: poststart hook failed, the container is stopped: hooks.poststart[0]: "*"exit"*"3"* ]]
	# The hooks after the failing one did not run; the program is gone.
	[ "$(tr '\n' ' ' <"$HOOKOUT/order")" = "poststart " ]
	testcontainer c1 stopped
	# (a zombie until whoever reaps it, here the test's shell, does)
	[ ! -e "/proc/$pid" ] || [ "$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)" = Z ]
	run mkrun delete c1
	[ "$status" -eq 0 ]
	[ "$(tr '\n' ' ' <"$HOOKOUT/order")" = "poststart poststop " ]
	[ "$(hook_status poststop)" = stopped ]
}

@test "hooks: a failing poststart hook fails run, which destroys the container" {
	update_config '.hooks.poststart = ['"$(hook_json poststart "$HOOK_HOST" 'exit 3')"']
		| .hooks.poststop = ['"$(hook_json poststop "$HOOK_HOST")"']'
	for d in "" -d; do
		rm -f "$HOOKOUT/order"
		run mkrun run $d c1 </dev/null
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"mkrun: run c1: poststart hook failed, the container is stopped: hooks.poststart[0]: "* ]]
		[ "$(tr '\n' ' ' <"$HOOKOUT/order")" = "poststart poststop " ]
		[ ! -e "$ROOT/c1" ]
		run mkrun state c1
		[ "$status" -eq 1 ]
	done
}

@test "hooks: poststop runs after run in the foreground" {
	update_config '.hooks.poststop = ['"$(hook_json poststop "$HOOK_HOST")"'] | .process.args = ["true"]'
	run mkrun run c1 </dev/null
	[ "$status" -eq 0 ]
	[ "$(hook_status poststop)" = stopped ]
}

# The config create saved in the state dir is what start, exec and delete
# use (poststart/poststop hooks, the process): never the bundle's, and a
# damaged one is an error, not hooks silently skipped.
@test "hooks: a damaged saved config fails start before the program runs" {
	update_config '.hooks.poststart = ['"$(hook_json poststart "$HOOK_HOST")"']'
	run mkrun_detached create c1
	[ "$status" -eq 0 ]
	echo '{"ociVersion": ' >"$ROOT/c1/config.json"
	run mkrun start c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == "mkrun: start c1: container \`c1\`: its saved config.json: "*"invalid JSON"* ]]
	testcontainer c1 created
	[ ! -e "$HOOKOUT/order" ]
	mkrun delete -f c1
}

@test "hooks: a damaged saved config fails delete; --force deletes with a warning" {
	update_config '.hooks.poststop = ['"$(hook_json poststop "$HOOK_HOST")"']'
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	rm "$ROOT/c1/config.json"
	mkrun kill c1 KILL
	wait_for_container 50 0.1 c1 stopped
	run mkrun delete c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == "mkrun: delete c1: container \`c1\`: its saved config.json: "*"(--force deletes it without its poststop hooks)" ]]
	[ -d "$ROOT/c1" ]
	run mkrun delete -f c1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: container \`c1\`: its saved config.json: "*"its poststop hooks are not run"* ]]
	[ ! -e "$ROOT/c1" ]
	[ ! -e "$HOOKOUT/order" ]
}

@test "hooks: exec uses the saved config, never the bundle's" {
	update_config '.process.env += ["FROM=create"]'
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	update_config '.process.env += ["FROM=bundle"] | .process.cwd = "/nonexistent"'
	run mkrun exec c1 sh -c 'echo "$FROM $(pwd)"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "create /" ]
	rm "$ROOT/c1/config.json"
	run mkrun exec c1 true
	echo "$output"
	[ "$status" -eq 255 ]
	[[ "$output" == "mkrun: exec c1: container \`c1\`: its saved config.json: "* ]]
	mkrun delete -f c1
}
