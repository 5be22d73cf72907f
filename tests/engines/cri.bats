#!/usr/bin/env bats
# Kubernetes' CRI (runtime.v1) through containerd's CRI plugin, with the
# runtime handler "mkrun" (what a RuntimeClass with handler mkrun selects:
# containerd-shim-runc-v2 with BinaryName = $MKRUN): pod sandboxes, containers,
# ContainerStatus, ExecSync, logs, resources, teardown.
#
# Setup (setup_file): a private containerd (config from cri/config.toml.in:
# root, state, sockets, opt, CNI dirs and mkrun's --root all under
# $ENGINE_TMP, the CRI stream server on loopback, no metrics listener) run in
# a mount namespace of its own where $ENGINE_TMP/run is bound over /run, so
# that containerd 1.6's fixed shim socket dir (/run/containerd/s) is private
# too.  kubelet is not in Debian: tests/engines/cri/cri.js (node, @grpc/grpc-js)
# speaks CRI to it, with the api.proto of Debian's containerd source package
# (cri/fetch-proto.sh; deb-src must be configured).  Images (a pause image and
# busybox) are OCI archives from oci-image.sh imported with "ctr -n k8s.io".
# Pods use the node's network namespace (no CNI) and a cgroup parent below
# engine_cgroup_parent cri.

load common

bats_require_minimum_version 1.5.0

CRI_DIR=$ENGINES_DIR/cri
BUSYBOX_IMAGE=docker.io/mkrun/busybox:1
PAUSE_IMAGE=docker.io/mkrun/pause:1

function fail() {
	echo "$@" >&2
	return 1
}

# cri ARGS...: the CRI client against our containerd.
function cri() {
	node "$CRI_DIR/cri.js" "$@"
}

# The host directories of cgroup PATH, one a line, in every hierarchy.
function cgroup_dirs() {
	local d
	for d in /sys/fs/cgroup"$1" /sys/fs/cgroup/*"$1"; do
		[ -d "$d" ] && echo "$d"
	done
	return 0
}

# The cgroups below cgroup PATH, in every hierarchy.
function cgroup_children() {
	local d
	for d in $(cgroup_dirs "$1"); do
		find "$d" -mindepth 1 -type d
	done
}

# The pids of our containerd's shims.
function shim_pids() {
	pgrep -f -- "containerd-shim-runc-v2 .*-address $ENGINE_TMP/containerd.sock" || true
}

function no_shims() {
	[ -z "$(shim_pids)" ]
}

function containerd_alive() {
	local pid
	pid=$(cat "$ENGINE_TMP/containerd.pid" 2>/dev/null) || return 1
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = containerd ]
}

function setup_file() {
	engine_requires containerd containerd-shim-runc-v2 ctr node npm apt-get jq unshare setsid
	engine_tmpdir cri
	export MKRUN_ROOT=$ENGINE_TMP/mkrun/k8s.io # the shim adds the namespace to Root
	# The HPC profile's registry: containerd's environment reaches mkrun.
	export MKRUN_HPC_STATE=$ENGINE_TMP/hpc-registry
	export CGROUP_PARENT
	CGROUP_PARENT=$(engine_cgroup_parent cri)/${ENGINE_TMP##*/}

	if [ ! -d "$CRI_DIR/node_modules" ]; then
		(cd "$CRI_DIR" && npm ci --no-audit --no-fund) >"$ENGINE_TMP/npm.log" 2>&1 ||
			fail "npm ci in $CRI_DIR failed: $(tail -5 "$ENGINE_TMP/npm.log")"
	fi
	"$CRI_DIR/fetch-proto.sh" "$ENGINE_TMP/api.proto"
	export CRI_PROTO=$ENGINE_TMP/api.proto CRI_ENDPOINT=unix://$ENGINE_TMP/containerd.sock

	# The cgroup dirs that exist already (teardown removes only the others).
	local p=$CGROUP_PARENT
	while [ -n "$p" ]; do
		cgroup_dirs "$p"
		p=${p%/*}
	done >"$ENGINE_TMP/cgroups.before"

	mkdir -p "$ENGINE_TMP"/{run,cni/bin,cni/conf,logs}
	sed -e "s|@ENGINE_TMP@|$ENGINE_TMP|g" -e "s|@MKRUN@|$MKRUN|g" \
		-e "s|@PAUSE_IMAGE@|$PAUSE_IMAGE|g" "$CRI_DIR/config.toml.in" >"$ENGINE_TMP/config.toml"
	"$ENGINES_DIR/oci-image.sh" "$ENGINE_TMP/pause.tar" "$PAUSE_IMAGE" /bin/sleep 2147483647
	"$ENGINES_DIR/oci-image.sh" "$ENGINE_TMP/busybox.tar" "$BUSYBOX_IMAGE"

	# setsid, unshare and sh all exec: $! is containerd.
	setsid unshare --mount --propagation private \
		sh -c 'mount --bind "$1/run" /run && exec containerd --config "$1/config.toml"' sh "$ENGINE_TMP" \
		</dev/null >"$ENGINE_TMP/containerd.log" 2>&1 3>&- &
	echo $! >"$ENGINE_TMP/containerd.pid"
	if ! wait_until 60 cri version >/dev/null 2>&1; then
		tail -20 "$ENGINE_TMP/containerd.log" >&2
		fail "containerd's CRI did not come up"
	fi
	containerd_alive || fail "pid $(cat "$ENGINE_TMP/containerd.pid") is not containerd"
	local img
	for img in pause busybox; do
		ctr --address "$ENGINE_TMP/containerd.sock" -n k8s.io image import "$ENGINE_TMP/$img.tar" >/dev/null ||
			fail "ctr image import $img.tar failed"
	done
	wait_until 30 sh -c "node '$CRI_DIR/cri.js' images | grep -qx '$BUSYBOX_IMAGE'" ||
		fail "CRI does not list $BUSYBOX_IMAGE"

	jq -n --arg logs "$ENGINE_TMP/logs" --arg cg "$CGROUP_PARENT" --arg uid "mkrun-pod-$$" '{
		metadata: {name: "mkrun-pod", namespace: "mkrun-test", uid: $uid, attempt: 0},
		log_directory: $logs,
		linux: {cgroup_parent: $cg,
			security_context: {namespace_options: {network: "NODE", pid: "CONTAINER", ipc: "POD"}}}
	}' >"$ENGINE_TMP/pod.json"
}

function teardown_file() {
	[ -n "${ENGINE_TMP:-}" ] || return 0
	local pod pid i
	if containerd_alive; then
		for pod in $(timeout 30 node "$CRI_DIR/cri.js" pods 2>/dev/null | jq -r '.[].id'); do
			timeout 60 node "$CRI_DIR/cri.js" stopp "$pod" || true
			timeout 60 node "$CRI_DIR/cri.js" rmp "$pod" || true
		done
		pid=$(cat "$ENGINE_TMP/containerd.pid")
		kill "$pid" 2>/dev/null
		wait_until 30 eval '! containerd_alive' || kill -9 "$pid" 2>/dev/null
	fi
	# What a failed test may have left: shims (ours: they name our socket),
	# containers in mkrun's state dir.
	for pid in $(shim_pids); do
		kill "$pid" 2>/dev/null
	done
	wait_until 10 no_shims || for pid in $(shim_pids); do kill -9 "$pid"; done
	for i in $(engine_mkrun_ids "$MKRUN_ROOT"); do
		"$MKRUN" --root "$MKRUN_ROOT" delete --force "$i" || true
	done
	# Our cgroups: the pod's parent and whatever of its ancestors we made.
	for i in $(cgroup_dirs "$CGROUP_PARENT"); do
		find "$i" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	local p=${CGROUP_PARENT%/*}
	while [ -n "$p" ]; do
		for i in $(cgroup_dirs "$p"); do
			grep -qxF "$i" "$ENGINE_TMP/cgroups.before" || rmdir "$i" 2>/dev/null
		done
		p=${p%/*}
	done
	engine_cleanup_tmp
}

# A failed test shows containerd's last errors (the shim relays mkrun's).
function teardown() {
	[ -n "${BATS_TEST_COMPLETED:-}" ] && return 0
	echo "# containerd's last errors and warnings:" >&2
	grep -E 'level=(error|warning)' "$ENGINE_TMP/containerd.log" | grep -v 'load cni' | tail -5 | cut -c1-600 >&2
	return 0
}

# ctr_config NAME ARGS_JSON [RESOURCES_JSON]: $ENGINE_TMP/NAME.json, a
# ContainerConfig running ARGS in busybox, logging to NAME.log.
function ctr_config() {
	local res=${3:-'{}'}
	jq -n --arg name "$1" --arg image "$BUSYBOX_IMAGE" --argjson args "$2" --argjson res "$res" '{
		metadata: {name: $name}, image: {image: $image}, command: $args,
		log_path: ($name + ".log"),
		linux: {resources: $res,
			security_context: {namespace_options: {network: "NODE", pid: "CONTAINER", ipc: "POD"}}}
	}' >"$ENGINE_TMP/$1.json"
}

# pod_id: the pod sandbox the first test made.
function pod_id() {
	cat "$ENGINE_TMP/pod.id" 2>/dev/null || fail "no pod sandbox (see the RunPodSandbox test)"
}

# c1_id: the long-running container the CreateContainer test made.
function c1_id() {
	cat "$ENGINE_TMP/c1.id" 2>/dev/null || fail "no container c1 (see the CreateContainer test)"
}

# run_ctr NAME ARGS_JSON [RESOURCES_JSON]: create and start a container in
# the pod; sets CID.
function run_ctr() {
	local pod
	pod=$(pod_id) || return 1
	ctr_config "$@"
	CID=$(cri create "$pod" "$ENGINE_TMP/$1.json" "$ENGINE_TMP/pod.json") || return 1
	cri start "$CID"
}

# ctr_state ID: CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_EXITED...
function ctr_state() {
	cri status "$1" | jq -r .status.state
}

function ctr_state_is() {
	[ "$(ctr_state "$1")" = "$2" ]
}

# mkrun_pid ID: the pid of ID's init in mkrun's state (fails if mkrun does not
# know ID or it is not running).
function mkrun_pid() {
	local out
	out=$("$MKRUN" --root "$MKRUN_ROOT" state "$1") || return 1
	[ "$(jq -r .status <<<"$out")" = running ] || return 1
	jq -r .pid <<<"$out"
}

# mkrun_gone ID: mkrun's state dir no longer has ID.
function mkrun_gone() {
	! "$MKRUN" --root "$MKRUN_ROOT" state "$1" >/dev/null 2>&1
}

# memory_cgroup PID: PID's memory cgroup path.
function memory_cgroup() {
	awk -F: '$2 == "memory" || ($1 == 0 && $2 == "") { print $3; exit }' "/proc/$1/cgroup"
}

@test "cri: RunPodSandbox with runtime handler mkrun runs the pause container through mkrun" {
	run cri runp --runtime mkrun "$ENGINE_TMP/pod.json"
	[ "$status" -eq 0 ]
	local pod=$output pid
	echo "$pod" >"$ENGINE_TMP/pod.id"
	run cri inspectp "$pod"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status.state <<<"$output")" = SANDBOX_READY ]
	[ "$(jq -r .status.runtime_handler <<<"$output")" = mkrun ]
	# mkrun's state dir (the shim's Root) has the sandbox, running.
	run "$MKRUN" --root "$MKRUN_ROOT" state "$pod"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r '.annotations["io.kubernetes.cri.container-type"]' <<<"$output")" = sandbox ]
	pid=$(jq -r .pid <<<"$output")
	# The pause image's command, in the pod's cgroup.
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "/bin/sleep 2147483647 " ]
	[ "$(memory_cgroup "$pid")" = "$CGROUP_PARENT/$pod" ]
}

@test "cri: CreateContainer + StartContainer run a busybox container through mkrun" {
	run_ctr c1 '["sh", "-c", "echo hello from mkrun; echo to stderr >&2; exec sleep 1000"]' \
		'{"memory_limit_in_bytes": 67108864, "cpu_shares": 512, "cpu_period": 100000, "cpu_quota": 50000}'
	echo "$CID" >"$ENGINE_TMP/c1.id"
	wait_until 30 ctr_state_is "$CID" CONTAINER_RUNNING
	local pid state
	state=$("$MKRUN" --root "$MKRUN_ROOT" state "$CID")
	[ "$(jq -r .status <<<"$state")" = running ]
	[ "$(jq -r '.annotations["io.kubernetes.cri.container-type"]' <<<"$state")" = container ]
	[ "$(jq -r '.annotations["io.kubernetes.cri.sandbox-id"]' <<<"$state")" = "$(pod_id)" ]
	pid=$(jq -r .pid <<<"$state")
	# The shell exec'd sleep, in the container's cgroup, in busybox's rootfs.
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 1000 " ]
	[ "$(memory_cgroup "$pid")" = "$CGROUP_PARENT/$CID" ]
	[ "$(readlink "/proc/$pid/root/bin/sh")" = busybox ]
	# The sandbox and the container: two ids in mkrun's state dir.
	run engine_mkrun_ids "$MKRUN_ROOT"
	[ "$(sort <<<"$output")" = "$(printf '%s\n' "$(pod_id)" "$CID" | sort)" ]
}

@test "cri: the container's output is in the CRI log file at log_path" {
	local c1 log
	c1=$(c1_id)
	log=$ENGINE_TMP/logs/c1.log
	[ "$(cri status "$c1" | jq -r .status.log_path)" = "$log" ]
	wait_until 30 grep -q 'to stderr' "$log"
	cat "$log"
	# TIMESTAMP STREAM TAG(F: full line) MESSAGE
	grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+) stdout F hello from mkrun' "$log"
	grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+) stderr F to stderr' "$log"
	[ "$(wc -l <"$log")" -eq 2 ]
	mkrun_pid "$c1" >/dev/null
}

@test "cri: ExecSync returns stdout, stderr and the exit code, through mkrun exec" {
	local c1 pid
	c1=$(c1_id)
	pid=$(mkrun_pid "$c1")
	run --separate-stderr cri exec-sync "$c1" 30 sh -c 'echo out; echo err >&2; exit 5'
	[ "$status" -eq 5 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
	# In the container: its pid namespace, its cgroup, its root.
	run cri exec-sync "$c1" 30 readlink /proc/self/ns/pid
	[ "$status" -eq 0 ]
	[ "$output" = "$(readlink "/proc/$pid/ns/pid")" ]
	run cri exec-sync "$c1" 30 cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[[ "$output" == *":memory:$CGROUP_PARENT/$c1"* ]]
	# A command that is not there: mkrun's own words ("exec ID: ..."), which
	# the shim read from the --log file it gave "mkrun exec".
	run cri exec-sync "$c1" 30 /no/such/command
	[ "$status" -ne 0 ]
	[[ "$output" == *"OCI runtime exec failed: exec $c1: "*"/no/such/command"* ]]
}

@test "cri: LinuxContainerResources are the container's cgroup limits on the host" {
	local c1 pid dir
	c1=$(c1_id)
	pid=$(mkrun_pid "$c1")
	dir=$(engine_cgroup_dir memory "$(memory_cgroup "$pid")")
	[ "$dir" = "$(engine_cgroup_dir memory "$CGROUP_PARENT/$c1")" ]
	if [ -e "$dir/memory.max" ]; then
		[ "$(cat "$dir/memory.max")" = 67108864 ]
		[ "$(cat "$dir/cpu.max")" = "50000 100000" ]
	else
		[ "$(cat "$dir/memory.limit_in_bytes")" = 67108864 ]
		dir=$(engine_cgroup_dir cpu "$CGROUP_PARENT/$c1")
		[ "$(cat "$dir/cpu.shares")" = 512 ]
		[ "$(cat "$dir/cpu.cfs_quota_us")" = 50000 ]
		[ "$(cat "$dir/cpu.cfs_period_us")" = 100000 ]
	fi
}

@test "cri: UpdateContainerResources changes the limits through mkrun update" {
	local c1 dir file=memory.limit_in_bytes
	c1=$(c1_id)
	mkrun_pid "$c1" >/dev/null
	dir=$(engine_cgroup_dir memory "$CGROUP_PARENT/$c1")
	[ -e "$dir/memory.max" ] && file=memory.max
	echo '{"memory_limit_in_bytes": 100663296, "cpu_shares": 256, "cpu_period": 100000, "cpu_quota": 25000}' \
		>"$ENGINE_TMP/update.json"
	run cri update "$c1" "$ENGINE_TMP/update.json"
	[ "$status" -eq 0 ]
	[ "$(cat "$dir/$file")" = 100663296 ]
	if [ "$file" = memory.limit_in_bytes ]; then
		dir=$(engine_cgroup_dir cpu "$CGROUP_PARENT/$c1")
		[ "$(cat "$dir/cpu.shares")" = 256 ]
		[ "$(cat "$dir/cpu.cfs_quota_us")" = 25000 ]
	else
		[ "$(cat "$dir/cpu.max")" = "25000 100000" ]
	fi
	[ "$(cri status "$c1" | jq -r .status.resources.linux.memory_limit_in_bytes)" = 100663296 ]
}

@test "cri: ContainerStatus: RUNNING, then EXITED with the container's exit code" {
	local pid
	run_ctr exit3 '["sh", "-c", "until [ -e /tmp/go ]; do sleep 0.1; done; exit 3"]'
	wait_until 30 ctr_state_is "$CID" CONTAINER_RUNNING
	pid=$(mkrun_pid "$CID")
	run cri status "$CID"
	[ "$(jq -r .status.exit_code <<<"$output")" = 0 ]
	[ "$(jq -r .status.finished_at <<<"$output")" = 0 ]
	touch "/proc/$pid/root/tmp/go"
	wait_until 30 ctr_state_is "$CID" CONTAINER_EXITED
	run cri status "$CID"
	[ "$(jq -r .status.exit_code <<<"$output")" = 3 ]
	[ "$(jq -r .status.reason <<<"$output")" = Error ]
	[ "$(jq -r .status.finished_at <<<"$output")" != 0 ]
	# containerd deleted it through mkrun: no state, no cgroup.
	wait_until 30 mkrun_gone "$CID"
	[ -z "$(cgroup_dirs "$CGROUP_PARENT/$CID")" ]
	run cri rm "$CID"
	[ "$status" -eq 0 ]
	run cri status "$CID"
	[ "$status" -ne 0 ]
}

@test "cri: StopContainer (TERM ignored, then KILL) and RemoveContainer" {
	local c1
	c1=$(c1_id)
	mkrun_pid "$c1" >/dev/null
	# sleep is the init of its pid namespace: TERM does nothing, KILL after 2 s.
	run cri stop "$c1" 2
	[ "$status" -eq 0 ]
	run cri status "$c1"
	[ "$(jq -r .status.state <<<"$output")" = CONTAINER_EXITED ]
	[ "$(jq -r .status.exit_code <<<"$output")" = 137 ]
	wait_until 30 mkrun_gone "$c1"
	[ -z "$(cgroup_dirs "$CGROUP_PARENT/$c1")" ]
	run cri rm "$c1"
	[ "$status" -eq 0 ]
	[ "$(cri ps | jq --arg id "$c1" '[.[] | select(.id == $id)] | length')" = 0 ]
}

@test "cri: pod annotation org.mkrun.hpc.cores=1: the pod's container owns a core, its sandbox none; given back with the pod" {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 or more cpus (one always stays free)"
	local last=$(($(nproc) - 1)) pod cid pid st
	jq --arg uid "mkrun-hpc-pod-$$" '.metadata.name = "mkrun-hpc-pod" | .metadata.uid = $uid
		| .annotations = {"org.mkrun.hpc.cores": "1"}' "$ENGINE_TMP/pod.json" >"$ENGINE_TMP/hpc-pod.json"
	pod=$(cri runp --runtime mkrun "$ENGINE_TMP/hpc-pod.json")
	ctr_config hpc '["sleep", "1000"]'
	cid=$(cri create "$pod" "$ENGINE_TMP/hpc.json" "$ENGINE_TMP/hpc-pod.json")
	cri start "$cid"
	wait_until 30 ctr_state_is "$cid" CONTAINER_RUNNING
	pid=$(mkrun_pid "$cid")
	[ "$(awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$pid/status")" = "$last" ]
	st=$("$MKRUN" hpc status --json)
	echo "$st"
	[ "$(jq -r '[.[].id] | join(" ")' <<<"$st")" = "$cid" ]
	[ "$(jq -r '.[0].cores' <<<"$st")" = "$last" ]
	# The pod's annotation reached its sandbox too; it holds nothing.
	[ "$("$MKRUN" --root "$MKRUN_ROOT" state "$pod" | jq -r '.annotations["org.mkrun.hpc.cores"]')" = 1 ]
	cri stopp "$pod"
	cri rmp "$pod"
	[ "$("$MKRUN" hpc status --json | jq length)" -eq 0 ]
}

@test "cri: StopPodSandbox, RemovePodSandbox leave no mkrun state, cgroups, mounts or shims" {
	local pod
	pod=$(pod_id)
	mkrun_pid "$pod" >/dev/null
	[ -n "$(shim_pids)" ]
	run cri stopp "$pod"
	[ "$status" -eq 0 ]
	[ "$(cri inspectp "$pod" | jq -r .status.state)" = SANDBOX_NOTREADY ]
	run cri rmp "$pod"
	[ "$status" -eq 0 ]
	run cri inspectp "$pod"
	[ "$status" -ne 0 ]
	rm -f "$ENGINE_TMP/pod.id"
	# Nothing left: mkrun state, shims, cgroups, mounts (in containerd's
	# mount namespace: rootfs, /dev/shm).
	[ -z "$(engine_mkrun_ids "$MKRUN_ROOT")" ]
	[ -z "$(ls -A "$MKRUN_ROOT")" ]
	wait_until 30 no_shims
	[ -z "$(cgroup_children "$CGROUP_PARENT")" ]
	run grep -c "$ENGINE_TMP/state/io.containerd" "/proc/$(cat "$ENGINE_TMP/containerd.pid")/mountinfo"
	[ "$output" = 0 ]
	[ "$(cri pods | jq length)" = 0 ]
}
