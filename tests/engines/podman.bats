#!/usr/bin/env bats
# Podman 4.3 (Debian 12) running its containers through mkrun.
#
# setup_file (see podman/env.bash) gives Podman a private world under
# $ENGINE_TMP: containers.conf (runtime "mkrun", cgroupfs, file events and
# locks, network "none", catatonit as init, ulimits at the shell's hard
# limits), storage.conf (overlay), and bin/mkrun, a two-line wrapper that runs
# "$MKRUN --root $ENGINE_TMP/mkrun" and logs each call to mkrun-calls.log
# (Podman 4.3 gives a runtime no --root when it runs as root).  The image is
# an OCI archive from oci-image.sh ("podman load"); containers go below
# engine_cgroup_parent.  The slirp4netns test runs Podman in a private mount
# namespace with a tmpfs on /run (Podman makes its network namespaces in
# /run/netns).  teardown_file removes the containers, stops what is left by
# pid, removes our cgroups and $ENGINE_TMP.

load common
load podman/env

# A full name: a short one makes Podman lock /var/cache/containers/short-name-aliases.conf.
IMAGE=localhost/mkbox:test

function setup_file() {
	engine_requires podman conmon catatonit slirp4netns jq python3 unshare md5sum
	podman_setup
	"$ENGINES_DIR/oci-image.sh" "$ENGINE_TMP/image.tar" "$IMAGE" /bin/sh
	pm_load "$ENGINE_TMP/image.tar"
	engine_rootfs "$ENGINE_TMP/rootfs"
	echo rootfs-marker >"$ENGINE_TMP/rootfs/marker"
}

function teardown_file() {
	pm_teardown
}

function teardown() {
	pm rm --all --force --time 0 >/dev/null 2>&1 || true
	if [ -f "$ENGINE_TMP/http.pid" ]; then
		kill "$(cat "$ENGINE_TMP/http.pid")" 2>/dev/null || true
		rm -f "$ENGINE_TMP/http.pid"
	fi
}

# pm_run ARGS...: podman run below our cgroup parent (stdin from /dev/null).
function pm_run() {
	pm run --cgroup-parent "$CG_PARENT" "$@" </dev/null
}

# called CMD ID: mkrun-calls.log holds "CMD ... ID" (Podman ran "mkrun CMD"
# for that container).
function called() {
	grep -E "(^| )$1 (.* )?$2\$" "$ENGINE_TMP/mkrun-calls.log"
}

# start_sleeper NAME [RUN_ARGS...]: a detached container that runs until
# stopped; waits until it runs.
function start_sleeper() {
	local name=$1
	shift
	pm_run -d --name "$name" "$@" "$IMAGE" sh -c 'echo started; while true; do sleep 0.1; done' >/dev/null
	wait_until 20 eval '[ "$(pm inspect --format "{{.State.Status}}" '"$name"')" = running ]'
}

@test "podman: the OCI runtime is mkrun" {
	run pm info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}'
	[ "$status" -eq 0 ]
	[ "$output" = "mkrun $ENGINE_TMP/bin/mkrun" ]
	# Podman asked the runtime for its version: that is $MKRUN's.
	run pm info --format '{{.Host.OCIRuntime.Version}}'
	[ "$status" -eq 0 ]
	[ "$output" = "$("$MKRUN" --version)" ]
	grep -qF "exec \"$MKRUN\" \"--root\" \"$MKRUN_ROOT\"" "$ENGINE_TMP/bin/mkrun"
}

@test "podman run: an image, output, create/start/delete through mkrun" {
	run pm_run --name c-run "$IMAGE" sh -c 'echo hello from $(hostname); cat /proc/self/cgroup'
	[ "$status" -eq 0 ]
	[[ "$output" == *"hello from "* ]]
	# The container's memory cgroup is below our parent.
	[[ "$output" == *":memory:$CG_PARENT/"* ]]
	local id
	id=$(pm inspect --format '{{.Id}}' c-run)
	called create "$id"
	called start "$id"
	# mkrun's JSON log went where Podman asked (runtime_supports_json).
	grep -q -- "--log-format=json --log .*/oci-log create .*$id" "$ENGINE_TMP/mkrun-calls.log"
	pm rm c-run
	called delete "$id"
	[ -z "$(engine_mkrun_ids "$MKRUN_ROOT")" ]
}

@test "podman run --rootfs DIR" {
	run pm_run --name c-rootfs --rootfs "$ENGINE_TMP/rootfs" sh -c 'cat /marker; echo pid=$$'
	[ "$status" -eq 0 ]
	[[ "$output" == *rootfs-marker* ]]
	[[ "$output" == *pid=1* ]]
	local id
	id=$(pm inspect --format '{{.Id}}' c-rootfs)
	called create "$id"
	[ "$(jq -r .root.path "$ENGINE_TMP/storage/overlay-containers/$id/userdata/config.json")" = "$ENGINE_TMP/rootfs" ]
}

@test "podman run: the exit code of the container comes back" {
	run pm_run --name c-exit "$IMAGE" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run pm inspect --format '{{.State.ExitCode}}' c-exit
	[ "$output" = 7 ]
	called start "$(pm inspect --format '{{.Id}}' c-exit)"
}

@test "podman run -t: the process has a terminal" {
	run pm_run --name c-tty -t "$IMAGE" tty
	[ "$status" -eq 0 ]
	[[ "$output" =~ /dev/pts/[0-9]+ ]]
	# mkrun got a console socket to hand the pty master back.
	grep -q -- "create .*--console-socket .* $(pm inspect --format '{{.Id}}' c-tty)\$" "$ENGINE_TMP/mkrun-calls.log"
}

@test "podman run --init: pid 1 is catatonit" {
	run pm_run --name c-init --init "$IMAGE" sh -c 'readlink /proc/1/exe; md5sum /proc/1/exe; echo sh=$$'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == /run/podman-init ]]
	[ "${lines[1]%% *}" = "$(md5sum <"$(command -v catatonit)" | cut -d' ' -f1)" ]
	[ "${lines[2]}" != sh=1 ]
	called start "$(pm inspect --format '{{.Id}}' c-init)"
}

@test "podman run -d, logs; mkrun holds the container while it runs" {
	local id
	id=$(pm_run -d --name c-bg "$IMAGE" sh -c 'echo started; echo to-stderr >&2; while true; do sleep 0.1; done')
	wait_until 20 eval '[[ "$(pm logs c-bg 2>&1)" == *to-stderr* ]]'
	run pm logs c-bg
	[[ "$output" == *started* ]]
	run "$MKRUN" --root "$MKRUN_ROOT" state "$id"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r .pid <<<"$output")" = "$(ctr_pid c-bg)" ]
	[ "$(engine_mkrun_ids "$MKRUN_ROOT")" = "$id" ]
}

@test "podman exec: output and exit code" {
	start_sleeper c-exec
	local id
	id=$(pm inspect --format '{{.Id}}' c-exec)
	run pm exec c-exec sh -c 'echo exec-out; cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == exec-out ]]
	[[ "${lines[1]}" == "sh -c echo started"* ]]
	run pm exec c-exec sh -c 'exit 5'
	[ "$status" -eq 5 ]
	called exec "$id"
}

@test "podman exec -t: the process has a terminal" {
	start_sleeper c-exect
	run pm exec -t c-exect sh -c 'tty; test -t 0 && echo stdin-tty' </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" =~ /dev/pts/[0-9]+ ]]
	grep -q -- "exec .*--console-socket .*$(pm inspect --format '{{.Id}}' c-exect)\$" "$ENGINE_TMP/mkrun-calls.log"
}

@test "podman pause/unpause: the cgroup freezer is FROZEN, then THAWED" {
	start_sleeper c-pause
	local id freezer
	id=$(pm inspect --format '{{.Id}}' c-pause)
	freezer=$(ctr_cgroup freezer c-pause)
	pm pause c-pause
	run pm inspect --format '{{.State.Status}} {{.State.Paused}}' c-pause
	[ "$output" = "paused true" ]
	[ "$(cat "$freezer/freezer.state")" = FROZEN ]
	[ "$("$MKRUN" --root "$MKRUN_ROOT" state "$id" | jq -r .status)" = paused ]
	called pause "$id"
	pm unpause c-pause
	run pm inspect --format '{{.State.Status}}' c-pause
	[ "$output" = running ]
	[ "$(cat "$freezer/freezer.state")" = THAWED ]
	called resume "$id"
}

@test "podman restart: a new init, running again" {
	start_sleeper c-restart
	local id pid1
	id=$(pm inspect --format '{{.Id}}' c-restart)
	pid1=$(ctr_pid c-restart)
	pm restart --time 1 c-restart
	run pm inspect --format '{{.State.Status}}' c-restart
	[ "$output" = running ]
	[ "$(ctr_pid c-restart)" != "$pid1" ]
	[ "$(grep -c "create .*$id\$" "$ENGINE_TMP/mkrun-calls.log")" -eq 2 ]
	wait_until 20 eval '[ "$(pm logs c-restart | grep -c started)" -eq 2 ]'
}

@test "podman stop: SIGTERM reaches the container" {
	mkdir -p "$ENGINE_TMP/vol-stop"
	pm_run -d --name c-stop -v "$ENGINE_TMP/vol-stop:/vol" "$IMAGE" \
		sh -c 'trap "echo got-TERM; echo TERM >/vol/signal; exit 3" TERM; echo ready; while true; do sleep 0.1; done'
	wait_until 20 eval '[[ "$(pm logs c-stop)" == *ready* ]]'
	local t0=$SECONDS
	pm stop --time 30 c-stop
	# The trap ran: well before the 30 s after which SIGKILL would come.
	[ $((SECONDS - t0)) -lt 20 ]
	[ "$(cat "$ENGINE_TMP/vol-stop/signal")" = TERM ]
	run pm logs c-stop
	[[ "$output" == *got-TERM* ]]
	run pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' c-stop
	[ "$output" = "exited 3" ]
	called kill "$(pm inspect --format '{{.Id}}' c-stop) 15"
}

@test "podman run --memory 64m: the container's memory cgroup has the limit" {
	start_sleeper c-mem --memory 64m
	local d
	d=$(ctr_cgroup memory c-mem)
	[ "$(cat "$d/memory.limit_in_bytes")" -eq $((64 << 20)) ]
	grep -qx "$(ctr_pid c-mem)" "$d/cgroup.procs"
}

@test "podman run --cpus 0.5 --pids-limit 20: CFS quota and pids.max" {
	start_sleeper c-cpu --cpus 0.5 --pids-limit 20
	local d
	d=$(ctr_cgroup cpu c-cpu)
	[ "$(cat "$d/cpu.cfs_quota_us")" -eq $(($(cat "$d/cpu.cfs_period_us") / 2)) ]
	d=$(ctr_cgroup pids c-cpu)
	[ "$(cat "$d/pids.max")" -eq 20 ]
	# The limit holds inside: 10 background sleeps start, 30 cannot.
	run pm_run --rm --pids-limit 20 "$IMAGE" sh -c 'for i in $(seq 10); do sleep 1 & done; echo forked'
	[ "$status" -eq 0 ]
	[[ "$output" == *forked* ]]
	run pm_run --rm --pids-limit 20 "$IMAGE" sh -c 'for i in $(seq 30); do sleep 1 & done; echo forked'
	[ "$status" -ne 0 ]
	[[ "$output" == *"can't fork"* ]]
	[[ "$output" != *forked* ]]
}

@test "podman run --annotation org.mkrun.hpc.cores=1: the container owns a core until rm" {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 or more cpus (one always stays free)"
	local last=$(($(nproc) - 1)) st
	start_sleeper c-hpc --annotation org.mkrun.hpc.cores=1
	[ "$(awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$(ctr_pid c-hpc)/status")" = "$last" ]
	# The registry of bin/mkrun (engine_mkrun_wrapper).
	st=$(MKRUN_HPC_STATE=$ENGINE_TMP/hpc-registry "$MKRUN" hpc status --json)
	echo "$st"
	[ "$(jq -r '.[0].cores' <<<"$st")" = "$last" ]
	[ "$(jq -r '.[0].id' <<<"$st")" = "$(pm inspect --format '{{.Id}}' c-hpc)" ]
	pm rm --force --time 0 c-hpc
	[ "$(MKRUN_HPC_STATE=$ENGINE_TMP/hpc-registry "$MKRUN" hpc status --json | jq length)" -eq 0 ]
}

@test "podman run --memory 32m: a process beyond it is OOM-killed (137), OOMKilled" {
	# Pid 1 itself: podman run returns 128 + SIGKILL.
	run pm_run --name c-oom --memory 32m "$IMAGE" tail /dev/zero
	[ "$status" -eq 137 ]
	run pm inspect --format '{{.State.ExitCode}}' c-oom
	[ "$output" = 137 ]
	# A child, in a container that goes on: the memory cgroup counts the kill.
	# Podman 4.3 sets OOMKilled when BUNDLE/oom exists, and conmon 2.1.6
	# writes "oom" in its working directory (podman's): start it from there.
	mkdir -p "$ENGINE_TMP/vol-oom"
	pm create --name c-oom2 --cgroup-parent "$CG_PARENT" --memory 32m -v "$ENGINE_TMP/vol-oom:/vol" "$IMAGE" \
		sh -c 'tail /dev/zero; echo tail-status=$?; until [ -e /vol/done ]; do sleep 0.1; done' >/dev/null
	PM_CWD=$(pm inspect --format '{{.StaticDir}}' c-oom2) pm start c-oom2
	wait_until 30 eval '[[ "$(pm logs c-oom2)" == *tail-status=137* ]]'
	local d
	d=$(ctr_cgroup memory c-oom2)
	[ "$(awk '$1 == "oom_kill" { print $2 }' "$d/memory.oom_control")" -ge 1 ]
	touch "$ENGINE_TMP/vol-oom/done"
	wait_until 30 eval '[ "$(pm inspect --format "{{.State.Status}}" c-oom2)" = exited ]'
	run pm inspect --format '{{.State.ExitCode}} {{.State.OOMKilled}}' c-oom2
	[ "$output" = "0 true" ]
}

@test "podman run --network slirp4netns: tap0, and the host's loopback through 10.0.2.2" {
	mkdir -p "$ENGINE_TMP/www"
	echo hello-from-host >"$ENGINE_TMP/www/hi.txt"
	(cd "$ENGINE_TMP/www" && exec python3 -m http.server 0 --bind 127.0.0.1) >"$ENGINE_TMP/http.log" 2>&1 &
	echo $! >"$ENGINE_TMP/http.pid"
	wait_until 20 grep -q ' port [0-9]' "$ENGINE_TMP/http.log"
	local port
	port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$ENGINE_TMP/http.log")
	export -f pm pm_run
	export IMAGE port
	run unshare -m bash -c 'mount -t tmpfs tmpfs /run &&
		pm_run --rm --network slirp4netns:allow_host_loopback=true "$IMAGE" \
			sh -c "ip -4 addr show tap0; wget -qO- http://10.0.2.2:$port/hi.txt"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 10.0.2.100/"* ]]
	[[ "$output" == *hello-from-host* ]]
	grep -q "GET /hi.txt" "$ENGINE_TMP/http.log"
	[ ! -e /run/netns ] || ! grep -q "$ENGINE_TMP" /proc/self/mountinfo
}

@test "podman rm: no mkrun state and no cgroup left" {
	start_sleeper c-rm --memory 64m
	local id dirs d
	id=$(pm inspect --format '{{.Id}}' c-rm)
	[ "$(engine_mkrun_ids "$MKRUN_ROOT")" = "$id" ]
	for c in memory pids freezer cpu; do
		dirs+=" $(ctr_cgroup $c c-rm)"
	done
	for d in $dirs; do [ -d "$d" ]; done
	pm rm --force --time 1 c-rm
	called delete "$id"
	[ -z "$(engine_mkrun_ids "$MKRUN_ROOT")" ]
	[ ! -e "$MKRUN_ROOT/$id" ]
	for d in $dirs; do [ ! -d "$d" ]; done
	# Nothing of the container is left running.
	[ -z "$(find /sys/fs/cgroup/*"$CG_PARENT" -path "*$id*" -name cgroup.procs -exec cat {} + 2>/dev/null)" ]
}
