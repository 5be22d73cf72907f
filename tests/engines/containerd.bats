#!/usr/bin/env bats
# containerd 1.6 (driven with ctr) running its containers through mkrun, two
# ways:
#   v2  the io.containerd.runc.v2 shim with the runtime options BinaryName and
#       Root, which "ctr run --runc-binary B --runc-root R" sends with the
#       container (the CRI plugin's runtimes.NAME.options send the same);
#   v1  the deprecated io.containerd.runtime.v1.linux runtime (containerd-shim),
#       whose runtime binary and root come from config.toml
#       ([plugins."io.containerd.runtime.v1.linux"] runtime, runtime_root).
# One more test gives the v2 shim BinaryName = $MKRUN itself; elsewhere the
# binary is $ENGINE_TMP/bin/mkrun, a wrapper that appends its argv to
# $ENGINE_TMP/mkrun-calls.log and execs $MKRUN, so that each check can assert
# which mkrun command the shim ran.  Running tasks are also looked up in
# mkrun's own state (runc cannot read mkrun's state dirs, nor mkrun runc's).
#
# Setup (setup_file): a private containerd with its config, root, state,
# sockets, fifos and logs under $ENGINE_TMP, the CRI plugin disabled, no TCP or
# metrics listener.  containerd 1.6 puts the shims' sockets in the fixed
# directory /run/containerd/s, so containerd runs in a mount namespace of its
# own (unshare -m, private propagation) where $ENGINE_TMP/run is bind-mounted
# on /run; the shims it starts, and the rootfs mounts, stay in that namespace.
# The image is tests/engines/oci-image.sh's archive, "ctr image import"ed.
# Containers' cgroups are below engine_cgroup_parent containerd (ctr --cgroup).
# "ctr events" runs for the whole file and records exit statuses and OOMs.

load common

NS=mkrun-test
IMAGE=docker.io/library/busybox:mkrun

# ctr_ ARGS...: ctr against our daemon and namespace.  --foreground keeps ctr
# in the terminal's foreground process group (for ctr run -t under script).
function ctr_() {
	timeout --foreground 120 ctr --address "$ENGINE_TMP/containerd.sock" --namespace "$NS" "$@"
}

# way_root WAY: the runtime's state root (--root) for containers in $NS.
function way_root() {
	echo "$ENGINE_TMP/runc-$1/$NS"
}

# ctr_run_argv WAY ID [CTR_RUN_OPTS...] [-- CMD...]: sets CTR_ARGV to the
# "ctr run" command line that runs ID the WAY way, in its cgroup.
function ctr_run_argv() {
	local way=$1 id=$2 opts=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ $# -eq 0 ] || shift
	CTR_ARGV=(timeout --foreground 120 ctr --address "$ENGINE_TMP/containerd.sock" --namespace "$NS"
		run --fifo-dir "$ENGINE_TMP/fifo" --cgroup "$CG_PARENT/$id")
	case "$way" in
	v2) CTR_ARGV+=(--runc-binary "$ENGINE_TMP/bin/mkrun" --runc-root "$ENGINE_TMP/runc-v2") ;;
	v1) CTR_ARGV+=(--runtime io.containerd.runtime.v1.linux) ;;
	*) return 1 ;;
	esac
	CTR_ARGV+=("${opts[@]}" "$IMAGE" "$id" "$@")
}

# ctr_run WAY ID [CTR_RUN_OPTS...] [-- CMD...]
function ctr_run() {
	ctr_run_argv "$@" && "${CTR_ARGV[@]}"
}

# ctr_run_tty WAY ID [CTR_RUN_OPTS...] [-- CMD...]: "ctr run -t" with a
# terminal (script(1) gives it one).
function ctr_run_tty() {
	ctr_run_argv "$1" "$2" -t "${@:3}" || return 1
	in_tty "${CTR_ARGV[@]}"
}

# in_tty CMD...: CMD on a new pseudo-terminal; its exit status.
function in_tty() {
	script -qec "$(printf '%q ' "$@")" /dev/null </dev/null
}

# run_detached WAY ID [CTR_RUN_OPTS...] -- CMD...: "ctr run -d" (output to
# $ENGINE_TMP/ID.log), and wait until the task is RUNNING.
function run_detached() {
	local way=$1 id=$2
	shift 2
	ctr_run "$way" "$id" -d --log-uri "file://$ENGINE_TMP/$id.log" "$@"
	wait_until 30 task_is "$id" RUNNING
}

# task_status ID: the STATUS column of "ctr task ls" for ID.
function task_status() {
	ctr_ task ls | awk -v id="$1" '$1 == id { print $3 }'
}

function task_is() {
	[ "$(task_status "$1")" = "$2" ]
}

# task_pid ID: the PID column of "ctr task ls" for ID.
function task_pid() {
	ctr_ task ls | awk -v id="$1" '$1 == id { print $2 }'
}

# exit_status ID [EXEC_ID]: the exit status of ID's init (or exec) from the
# /tasks/exit events, waiting for the event.
function exit_status() {
	local id=$1 pid=${2:-$1}
	wait_until 30 grep -qF "/tasks/exit {\"container_id\":\"$id\",\"id\":\"$pid\"," "$ENGINE_TMP/events.log" || return 1
	sed -n 's|^.* /tasks/exit ||p' "$ENGINE_TMP/events.log" |
		jq -r --arg c "$id" --arg p "$pid" 'select(.container_id == $c and .id == $p) | .exit_status // 0' | tail -n 1
}

# mkrun_called ERE: a line of the wrapper's call log matches ERE (the shim
# ran "$MKRUN ..." with these arguments).
function mkrun_called() {
	grep -E -- "$1" "$ENGINE_TMP/mkrun-calls.log" || {
		echo "no mkrun call matches /$1/ in:" >&2
		cat "$ENGINE_TMP/mkrun-calls.log" >&2
		return 1
	}
}

# mkrun_state ID WAY FIELD: a field of "$MKRUN state ID" in WAY's root.
function mkrun_state() {
	"$MKRUN" --root "$(way_root "$2")" state "$1" | jq -r ".$3"
}

# cgroup_file CONTROLLER ID FILE: the host path of FILE in ID's cgroup.
function cgroup_file() {
	echo "$(engine_cgroup_dir "$1" "$CG_PARENT/$2")/$3"
}

# remove_containers: kill, delete and remove every task and container in $NS.
function remove_containers() {
	local id
	for id in $(ctr_ container ls -q 2>/dev/null); do
		ctr_ task kill -a -s KILL "$id" >/dev/null 2>&1 || true
		wait_until 20 eval '! task_is "$id" RUNNING && ! task_is "$id" PAUSED' || true
		ctr_ task rm -f "$id" >/dev/null 2>&1 || true
		ctr_ container rm "$id" >/dev/null 2>&1 || true
	done
}

# our_pids: live processes started for this file: containerd (--config
# $ENGINE_TMP/config.toml), the shims and ctr (-address/--address
# $ENGINE_TMP/containerd.sock).  The patterns come from a file so that grep's
# own command line does not match.
function our_pids() {
	local f p
	printf '%s\n' "$ENGINE_TMP/config.toml" "$ENGINE_TMP/containerd.sock" >"$ENGINE_TMP/our-pids.pat"
	for f in $(grep -laFf "$ENGINE_TMP/our-pids.pat" /proc/[0-9]*/cmdline 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/cmdline}
		# Zombies (of a parent that does not reap) are gone already.
		if grep -qE '^State:[[:space:]]+[^Z]' "/proc/$p/status" 2>/dev/null; then
			echo "$p"
		fi
	done
}

# shim_pid ID: the pid of ID's shim (v2: "-id ID", v1: "-workdir .../ID").
function shim_pid() {
	local p
	for p in $(our_pids); do
		if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qE -- "-id $1 |-workdir [^ ]*/$1 "; then
			echo "$p"
		fi
	done
}

function setup_file() {
	engine_requires containerd ctr containerd-shim-runc-v2 containerd-shim unshare script jq timeout
	engine_tmpdir containerd
	export CG_PARENT
	CG_PARENT=$(engine_cgroup_parent containerd)
	local t=$ENGINE_TMP
	mkdir -p "$t/bin" "$t/run" "$t/fifo" "$t/runc-v1" "$t/runc-v2"
	engine_mkrun_wrapper
	{
		engine_containerd_config "$t"
		cat <<-EOF
		[plugins."io.containerd.runtime.v1.linux"]
		  shim = "containerd-shim"
		  runtime = "$t/bin/mkrun"
		  runtime_root = "$t/runc-v1"
		EOF
	} >"$t/config.toml"
	# The shims' sockets go to /run/containerd/s: a /run of our own.
	unshare --mount --propagation private \
		sh -c 'mount --bind "$1/run" /run && exec containerd --config "$1/config.toml"' sh "$t" \
		</dev/null >"$t/containerd.log" 2>&1 3>&- &
	echo $! >"$t/containerd.pid"
	if ! wait_until 60 ctr_ version >/dev/null 2>&1; then
		cat "$t/containerd.log" >&2
		return 1
	fi
	if [ "$(ctr_ plugins ls | awk '$2 == "overlayfs" { print $4 }')" != ok ]; then
		export CONTAINERD_SNAPSHOTTER=native
	fi
	ctr --address "$t/containerd.sock" --namespace "$NS" events </dev/null >"$t/events.log" 2>&1 3>&- &
	echo $! >"$t/events.pid"
	"$SRCDIR/tests/engines/oci-image.sh" "$t/busybox.tar" busybox:mkrun
	ctr_ image import "$t/busybox.tar"
	ctr_ image ls -q | grep -qxF "$IMAGE"
}

function teardown_file() {
	[ -n "${ENGINE_TMP:-}" ] && [ -d "$ENGINE_TMP" ] || return 0
	local t=$ENGINE_TMP pid r id d
	[ -S "$t/containerd.sock" ] && remove_containers
	# Whatever the shims left in mkrun's roots.
	for r in "$t"/runc-*/"$NS"; do
		[ -d "$r" ] || continue
		for id in $(engine_mkrun_ids "$r"); do
			"$MKRUN" --root "$r" delete --force "$id" >/dev/null 2>&1 || true
		done
	done
	for pid in $(cat "$t/events.pid" "$t/containerd.pid" 2>/dev/null); do
		kill "$pid" 2>/dev/null || true
	done
	pid=$(cat "$t/containerd.pid" 2>/dev/null) || pid=
	[ -z "$pid" ] || wait_until 30 eval '! grep -qE "^State:[[:space:]]+[^Z]" /proc/$pid/status 2>/dev/null' ||
		kill -KILL "$pid" 2>/dev/null || true
	# The shims outlive containerd: ours are those whose -address is our socket.
	for pid in $(our_pids); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	wait_until 10 eval '[ -z "$(our_pids)" ]' || true
	# Container cgroups the runtime did not remove, deepest first.
	for d in /sys/fs/cgroup/*"$CG_PARENT" /sys/fs/cgroup"$CG_PARENT"; do
		[ ! -d "$d" ] || find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	engine_cleanup_tmp
}

function teardown() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		echo "--- containerd.log (tail)" >&2
		tail -n 30 "$ENGINE_TMP/containerd.log" >&2
		echo "--- mkrun calls (tail)" >&2
		tail -n 20 "$ENGINE_TMP/mkrun-calls.log" >&2
	fi
	remove_containers
}

function check_exit_code() {
	local way=$1 id=exit-$1
	run ctr_run "$way" "$id" --rm -- sh -c 'echo out-$((6 * 7)); exit 7'
	[ "$status" -eq 7 ]
	[[ "$output" == *out-42* ]]
	mkrun_called " create --bundle [^ ]*/$id .*$id\$"
	mkrun_called "^--root $(way_root "$way") .* start $id\$"
	mkrun_called " delete $id\$"
	[ "$(exit_status "$id")" = 7 ]
	# --rm removed the container.
	[ -z "$(ctr_ container ls -q | grep -xF "$id")" ]
}

@test "containerd v2 shim: the container's exit code is ctr run's" {
	check_exit_code v2
}

@test "containerd v1 shim (config.toml runtime): the container's exit code is ctr run's" {
	check_exit_code v1
}

@test "containerd v2 shim: BinaryName = \$MKRUN itself runs the container" {
	local id=direct root=$ENGINE_TMP/runc-direct
	ctr_ run -d --null-io --fifo-dir "$ENGINE_TMP/fifo" --cgroup "$CG_PARENT/$id" \
		--runc-binary "$MKRUN" --runc-root "$root" "$IMAGE" "$id" sleep 1000
	wait_until 30 task_is "$id" RUNNING
	# The options the shim got, and mkrun's state of the task.
	run jq -r .binary_name "$ENGINE_TMP/state/io.containerd.runtime.v2.task/$NS/$id/options.json"
	[ "$output" = "$MKRUN" ]
	[ "$("$MKRUN" --root "$root/$NS" state "$id" | jq -r .status)" = running ]
	[ "$("$MKRUN" --root "$root/$NS" state "$id" | jq -r .pid)" = "$(task_pid "$id")" ]
	ctr_ task kill -s KILL "$id"
	wait_until 30 task_is "$id" STOPPED
	[ "$(exit_status "$id")" = 137 ]
	ctr_ task rm "$id"
	ctr_ container rm "$id"
	[ -z "$(engine_mkrun_ids "$root/$NS")" ]
}

function check_tty() {
	local way=$1 id=tty-$1
	run ctr_run_tty "$way" "$id" --rm -- sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-ttys; exit 3'
	[ "$status" -eq 3 ]
	[[ "$output" == */dev/pts/[0-9]* ]]
	[[ "$output" == *both-ttys* ]]
	mkrun_called " create --bundle [^ ]*/$id .*--console-socket [^ ]+ .*$id\$"
}

@test "containerd v2 shim: ctr run -t gets a terminal" {
	check_tty v2
}

@test "containerd v1 shim: ctr run -t gets a terminal" {
	check_tty v1
}

function check_detach() {
	local way=$1 id=detach-$1 pid
	run_detached "$way" "$id" -- sh -c 'echo detached-ok; exec sleep 1000'
	[ "$(task_status "$id")" = RUNNING ]
	pid=$(task_pid "$id")
	# It is mkrun's container: mkrun's state has it, with the same pid.
	[ "$(mkrun_state "$id" "$way" status)" = running ]
	[ "$(mkrun_state "$id" "$way" pid)" = "$pid" ]
	"$MKRUN" --root "$(way_root "$way")" list -q | grep -qxF "$id"
	# In its cgroup below our parent.
	grep -qxF "$(awk -F: '$2 == "memory" { print }' /proc/self/cgroup | cut -d: -f1,2):$CG_PARENT/$id" "/proc/$pid/cgroup"
	wait_until 10 grep -q detached-ok "$ENGINE_TMP/$id.log"
	# ctr task ps goes through "mkrun ps --format json".
	run ctr_ task ps "$id"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$pid"* ]]
	mkrun_called " ps --format json $id\$"
}

@test "containerd v2 shim: ctr run -d leaves a RUNNING task" {
	check_detach v2
}

@test "containerd v1 shim: ctr run -d leaves a RUNNING task" {
	check_detach v1
}

function check_exec() {
	local way=$1 id=exec-$1
	run_detached "$way" "$id" -- sleep 1000
	run ctr_ task exec --fifo-dir "$ENGINE_TMP/fifo" --exec-id e1 "$id" \
		sh -c 'echo exec-sees-$(cat /proc/1/comm); exit 5'
	[ "$status" -eq 5 ]
	[[ "$output" == *exec-sees-sleep* ]]
	mkrun_called " exec --process [^ ]+ --detach --pid-file [^ ]+ $id\$"
	[ "$(exit_status "$id" e1)" = 5 ]
	# With a terminal.
	run in_tty timeout --foreground 120 ctr --address "$ENGINE_TMP/containerd.sock" --namespace "$NS" \
		task exec -t --fifo-dir "$ENGINE_TMP/fifo" --exec-id e2 "$id" sh -c 'tty; exit 6'
	[ "$status" -eq 6 ]
	[[ "$output" == */dev/pts/[0-9]* ]]
	mkrun_called " exec .*--console-socket [^ ]+ .*$id\$"
	# Detached: one more process in the container.
	ctr_ task exec -d --fifo-dir "$ENGINE_TMP/fifo" --exec-id e3 "$id" sleep 999
	wait_until 20 eval '[ "$(ctr_ task ps "$id" | tail -n +2 | wc -l)" -eq 2 ]'
	ctr_ task kill --exec-id e3 -s KILL "$id"
	[ "$(exit_status "$id" e3)" = 137 ]
	[ "$(task_status "$id")" = RUNNING ]
}

@test "containerd v2 shim: ctr task exec (exit code, -t, -d)" {
	check_exec v2
}

@test "containerd v1 shim: ctr task exec (exit code, -t, -d)" {
	check_exec v1
}

function check_pause() {
	local way=$1 id=pause-$1 freezer
	run_detached "$way" "$id" -- sleep 1000
	freezer=$(cgroup_file freezer "$id" freezer.state)
	[ "$(cat "$freezer")" = THAWED ]
	ctr_ task pause "$id"
	[ "$(task_status "$id")" = PAUSED ]
	[ "$(cat "$freezer")" = FROZEN ]
	[ "$(mkrun_state "$id" "$way" status)" = paused ]
	mkrun_called " pause $id\$"
	ctr_ task resume "$id"
	[ "$(task_status "$id")" = RUNNING ]
	[ "$(cat "$freezer")" = THAWED ]
	[ "$(mkrun_state "$id" "$way" status)" = running ]
	mkrun_called " resume $id\$"
}

@test "containerd v2 shim: ctr task pause/resume freezes the container's cgroup" {
	check_pause v2
}

@test "containerd v1 shim: ctr task pause/resume freezes the container's cgroup" {
	check_pause v1
}

function check_kill() {
	local way=$1 id=term-$1
	# SIGTERM (ctr's default) reaches the program, which traps it.
	run_detached "$way" "$id" -- sh -c 'trap "echo got-TERM; exit 3" TERM; echo ready; while :; do sleep 0.1; done'
	wait_until 10 grep -q ready "$ENGINE_TMP/$id.log"
	ctr_ task kill "$id"
	wait_until 30 task_is "$id" STOPPED
	[ "$(exit_status "$id")" = 3 ]
	grep -q got-TERM "$ENGINE_TMP/$id.log"
	mkrun_called " kill $id 15\$"
	# delete --force of the stopped task (the shim sends kill --all).
	ctr_ task rm -f "$id"
	# SIGKILL.
	id=kill-$way
	run_detached "$way" "$id" -- sleep 1000
	ctr_ task kill -s KILL "$id"
	wait_until 30 task_is "$id" STOPPED
	[ "$(exit_status "$id")" = 137 ]
	mkrun_called " kill $id 9\$"
	[ "$(mkrun_state "$id" "$way" status)" = stopped ]
}

@test "containerd v2 shim: ctr task kill (SIGTERM reaches the process, -s KILL)" {
	check_kill v2
}

@test "containerd v1 shim: ctr task kill (SIGTERM reaches the process, -s KILL)" {
	check_kill v1
}

function check_limits() {
	local way=$1 id=limits-$1
	run_detached "$way" "$id" --memory-limit 67108864 --cpus 0.5 --cpu-shares 512 -- sleep 1000
	[ "$(cat "$(cgroup_file memory "$id" memory.limit_in_bytes)")" = 67108864 ]
	[ "$(cat "$(cgroup_file cpu "$id" cpu.cfs_quota_us)")" = 50000 ]
	[ "$(cat "$(cgroup_file cpu "$id" cpu.cfs_period_us)")" = 100000 ]
	[ "$(cat "$(cgroup_file cpu "$id" cpu.shares)")" = 512 ]
	# The container's process is in that cgroup.
	grep -qxF "$(task_pid "$id")" "$(cgroup_file memory "$id" cgroup.procs)"
	[ "$(mkrun_state "$id" "$way" status)" = running ]
}

@test "containerd v2 shim: --memory-limit, --cpus, --cpu-shares land in the container's cgroup" {
	check_limits v2
}

@test "containerd v1 shim: --memory-limit, --cpus, --cpu-shares land in the container's cgroup" {
	check_limits v1
}

function check_oom() {
	local way=$1 id=oom-$1
	# Doubles a string until the 32 MiB limit kills it.
	run ctr_run "$way" "$id" --rm --memory-limit 33554432 -- sh -c 'x=a; while :; do x=$x$x; done'
	[ "$status" -eq 137 ]
	wait_until 10 grep -q "/tasks/oom {\"container_id\":\"$id\"}" "$ENGINE_TMP/events.log"
	mkrun_called " create --bundle [^ ]*/$id .*$id\$"
}

@test "containerd v2 shim: a process over a 32 MiB memory limit is OOM-killed (137)" {
	check_oom v2
}

@test "containerd v1 shim: a process over a 32 MiB memory limit is OOM-killed (137)" {
	check_oom v1
}

function check_delete() {
	local way=$1 id=delete-$1 bundle c d shim ctd
	case "$way" in
	v2) bundle=$ENGINE_TMP/state/io.containerd.runtime.v2.task/$NS/$id ;;
	v1) bundle=$ENGINE_TMP/state/io.containerd.runtime.v1.linux/$NS/$id ;;
	esac
	ctd=$(cat "$ENGINE_TMP/containerd.pid")
	run_detached "$way" "$id" -- sleep 1000
	# While it runs: mkrun's state dir, the cgroup dirs, the bundle, the rootfs
	# mount (in containerd's mount namespace), the shim.
	[ -d "$(way_root "$way")/$id" ]
	for c in memory cpu pids freezer devices; do
		[ -d "$(engine_cgroup_dir "$c" "$CG_PARENT/$id")" ]
	done
	[ -d "$bundle" ]
	grep -qF " $bundle/rootfs " "/proc/$ctd/mountinfo"
	shim=$(shim_pid "$id")
	[ -n "$shim" ]
	ctr_ task kill -s KILL "$id"
	wait_until 30 task_is "$id" STOPPED
	ctr_ task rm "$id"
	ctr_ container rm "$id"
	mkrun_called " delete $id\$"
	# Nothing left: no state, no cgroup, no bundle, no mount, no shim.
	[ ! -e "$(way_root "$way")/$id" ]
	[ -z "$(engine_mkrun_ids "$(way_root "$way")" | grep -xF "$id")" ]
	for d in /sys/fs/cgroup/*"$CG_PARENT/$id" /sys/fs/cgroup"$CG_PARENT/$id"; do
		[ ! -d "$d" ]
	done
	[ ! -e "$bundle" ]
	[ "$(grep -cF "/$id/rootfs " "/proc/$ctd/mountinfo")" -eq 0 ]
	wait_until 20 eval '[ -z "$(shim_pid "$id")" ]'
}

@test "containerd v2 shim: deleting the task leaves no mkrun state, cgroup, mount or shim" {
	check_delete v2
}

@test "containerd v1 shim: deleting the task leaves no mkrun state, cgroup, mount or shim" {
	check_delete v1
}

@test "containerd: contrib/containerd/config.toml parses, with a runtime \"mkrun\" on the runc v2 shim" {
	run containerd --config "$SRCDIR/contrib/containerd/config.toml" config dump
	[ "$status" -eq 0 ]
	[[ "$output" == *'[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.mkrun]'* ]]
	[[ "$output" == *'runtime_type = "io.containerd.runc.v2"'* ]]
	[[ "$output" == *'BinaryName = "/usr/local/bin/mkrun"'* ]]
}
