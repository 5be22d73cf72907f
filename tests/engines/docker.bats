#!/usr/bin/env bats
# Docker (Debian 12's docker.io 20.10: /usr/sbin/dockerd, /usr/bin/docker)
# running its containers through mkrun.
#
# setup_file starts a private dockerd with mkrun registered as a runtime and
# made the default one (contrib/docker/daemon.json, with $MKRUN as the path),
# with its data root, exec root, socket, pid file, config and its own
# containerd (which dockerd starts under the exec root) all under $ENGINE_TMP.
# dockerd 20.10 hard-codes two paths below /run (/run/docker/plugins for
# plugins, /run/containerd/s for the runc v2 shim's sockets): it runs in a
# mount namespace of its own with a tmpfs on /run, and in a network namespace
# of its own (--bridge=none, no iptables, no ip forwarding: nothing on the
# host's network; containers run with --network none).  Containers go below
# engine_cgroup_parent docker (cgroupfs driver).  The image is the busybox
# rootfs: "docker load" of tests/engines/oci-image.sh's archive, or, since
# docker 20.10 does not load OCI archives, "docker import" of the rootfs tar.
#
# Docker 20.10 drives the runtime through containerd's runc v2 shim
# (containerd-shim-runc-v2), with --root $ENGINE_TMP/exec/runtime-runc/moby
# whatever the runtime's name: that is where mkrun's state lives.

# Single-quoted strings here are shell code run later (in the container, by
# eval):
# shellcheck disable=SC2016
load common
bats_require_minimum_version 1.5.0

D=/usr/bin/docker

function setup_file() {
	engine_requires unshare script jq "$D" /usr/sbin/dockerd containerd containerd-shim-runc-v2
	engine_tmpdir docker
	local T=$ENGINE_TMP init
	export DOCKER_HOST=unix://$T/docker.sock DOCKER_CONFIG=$T/client
	export MKRUN_ROOT=$T/exec/runtime-runc/moby
	export CG_PARENT
	CG_PARENT=$(engine_cgroup_parent docker)
	# The cgroup directories above the containers' that are not there yet
	# (teardown_file removes them again).
	local c d
	: >"$T/cgroup-dirs"
	for c in $(cgroup_controllers); do
		d=$(engine_cgroup_dir "$c" "$CG_PARENT")
		while [ ! -d "$d" ] && [ "$d" != /sys/fs/cgroup ]; do
			echo "$d" >>"$T/cgroup-dirs"
			d=$(dirname "$d")
		done
	done
	# --init: dockerd looks for docker-init; tini-static is the same program.
	init=$(command -v docker-init || echo /usr/bin/tini-static)
	# contrib/docker/daemon.json, with $MKRUN as the path; the key file
	# dockerd would write to /etc/docker goes to $ENGINE_TMP.
	jq --arg t "$T" --arg mkrun "$MKRUN" --arg init "$init" '(.runtimes.mkrun.path = $mkrun) + {
		"deprecated-key-path": ($t + "/key.json"),
		"init-path": $init
	}' "$SRCDIR/contrib/docker/daemon.json" >"$T/daemon.json"
	# Root lacks CAP_SYS_RESOURCE: containers get the shell's hard limits.
	local nofile nproc
	nofile=$(ulimit -Hn) nproc=$(ulimit -Hu)
	unshare --mount --net sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$@"' sh \
		/usr/sbin/dockerd --debug --config-file "$T/daemon.json" \
		--data-root "$T/data" --exec-root "$T/exec" --pidfile "$T/dockerd.pid" \
		-H "unix://$T/docker.sock" \
		--bridge=none --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
		--userland-proxy=false \
		--cgroup-parent "$CG_PARENT" --exec-opt native.cgroupdriver=cgroupfs \
		--storage-driver overlay2 \
		--default-ulimit "nofile=$nofile:$nofile" --default-ulimit "nproc=$nproc:$nproc" \
		</dev/null >"$T/dockerd.log" 2>&1 3>&- &
	echo $! >"$T/dockerd.started-pid"
	if ! wait_until 90 "$D" info >/dev/null 2>&1; then
		tail -30 "$T/dockerd.log" >&2
		return 1
	fi
	cp "$T/exec/containerd/containerd.pid" "$T/containerd.started-pid"
	# The image.
	"$SRCDIR/tests/engines/oci-image.sh" "$T/image.tar" mkbusybox:test
	if ! dk load -i "$T/image.tar" >/dev/null 2>&1; then
		engine_rootfs_tar "$T/rootfs.tar"
		dk import --change 'CMD ["/bin/sh"]' \
			--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			"$T/rootfs.tar" mkbusybox:test >/dev/null
		rm -f "$T/rootfs.tar"
	fi
	rm -f "$T/image.tar"
	dk image inspect mkbusybox:test >/dev/null
}

function teardown_file() {
	[ -n "${ENGINE_TMP:-}" ] && [ -d "$ENGINE_TMP" ] || return 0
	local T=$ENGINE_TMP pid p c d
	if [ -S "$T/docker.sock" ]; then
		dk ps -aq | xargs -r timeout 120 "$D" rm -f >/dev/null 2>&1
	fi
	# dockerd stops its containerd; then whatever is left of ours (shims,
	# containers' processes), by the pids recorded or found under our paths.
	for p in dockerd containerd; do
		pid=$(cat "$T/$p.started-pid" 2>/dev/null) || continue
		kill -TERM "$pid" 2>/dev/null || continue
		wait_until 30 eval "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null
	done
	for pid in $(shim_pids) $(cgroup_pids); do
		kill -KILL "$pid" 2>/dev/null
	done
	# A frozen process dies only once thawed.
	d=$(engine_cgroup_dir freezer "$CG_PARENT")
	[ -d "$d" ] && find "$d" -name freezer.state -exec sh -c 'for f; do echo THAWED >"$f"; done' sh {} + 2>/dev/null
	wait_until 10 eval '[ -z "$(cgroup_pids)" ]'
	for c in $(cgroup_controllers); do
		d=$(engine_cgroup_dir "$c" "$CG_PARENT")
		[ -d "$d" ] && find "$d" -depth -mindepth 1 -type d -exec rmdir {} + 2>/dev/null
		rmdir "$d" 2>/dev/null
	done
	[ -f "$T/cgroup-dirs" ] && while read -r d; do
		rmdir "$d" 2>/dev/null
	done <"$T/cgroup-dirs"
	engine_cleanup_tmp
}

# dk ARGS...: the docker client, with a time limit.
function dk() {
	timeout 120 "$D" "$@"
}

# dkrun ARGS...: "docker run" with no network (dockerd has none to offer).
function dkrun() {
	dk run --network none "$@"
}

# cgroup_controllers: the hierarchies a container gets a directory in: the
# v1 ones and, on a hybrid host, the v2 one ("unified"; alone on a v2 host).
function cgroup_controllers() {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo unified
		return
	fi
	local c
	for c in cpu cpuacct cpuset memory pids blkio devices freezer systemd; do
		[ -d "/sys/fs/cgroup/$c" ] && echo "$c"
	done
	[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] && echo unified
	return 0
}

# cgroup_pids: the processes in our containers' cgroups.
function cgroup_pids() {
	local d
	d=$(engine_cgroup_dir memory "$CG_PARENT")
	[ -d "$d" ] && find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
}

# shim_pids [ID]: the runc v2 shims of our containerd (of container ID).
function shim_pids() {
	local f
	for f in /proc/[0-9]*/cmdline; do
		tr '\0' ' ' <"$f" 2>/dev/null | grep -q -- "-id ${1:-.*} -address $ENGINE_TMP/" &&
			basename "$(dirname "$f")"
	done
	return 0
}

# no_shim ID: container ID has no shim left.
function no_shim() {
	[ -z "$(shim_pids "$1")" ]
}

# cid NAME: a container's full id.
function cid() {
	dk inspect -f '{{.Id}}' "$1"
}

# cpid NAME: the host pid of a container's init.
function cpid() {
	dk inspect -f '{{.State.Pid}}' "$1"
}

# cstatus NAME: running, paused, exited...
function cstatus() {
	dk inspect -f '{{.State.Status}}' "$1"
}

# bundle ID: the bundle the runc v2 shim made for a running container.
function bundle() {
	echo "$ENGINE_TMP/exec/containerd/daemon/io.containerd.runtime.v2.task/moby/$1"
}

# mkrun_status ID: the status mkrun's own state dir gives.
function mkrun_status() {
	"$MKRUN" --root "$MKRUN_ROOT" state "$1" | jq -r .status
}

# assert_mkrun NAME [STATUS]: the container went through mkrun: Docker
# recorded the runtime "mkrun", the shim was told to run $MKRUN with our
# state dir, and mkrun's state dir holds it (STATUS, default running) with
# the pid Docker reports.
function assert_mkrun() {
	local name=$1 want=${2:-running} id pid
	[ "$(dk inspect -f '{{.HostConfig.Runtime}}' "$name")" = mkrun ]
	id=$(cid "$name")
	[ "$(jq -r .binary_name "$(bundle "$id")/options.json")" = "$MKRUN" ]
	[ "$(jq -r .root "$(bundle "$id")/options.json")/moby" = "$MKRUN_ROOT" ]
	run "$MKRUN" --root "$MKRUN_ROOT" state "$id"
	[ "$status" -eq 0 ]
	pid=$(cpid "$name")
	[ "$(jq -r .status <<<"$output")" = "$want" ]
	[ "$(jq -r .pid <<<"$output")" = "$pid" ]
}

# host_cgroup CTRL NAME: the host directory of a container's cgroup CTRL.
function host_cgroup() {
	local path
	path=$(awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
		"/proc/$(cpid "$2")/cgroup")
	engine_cgroup_dir "$1" "$path"
}

function teardown() {
	# Each test names its containers t-*; remove them even when it failed.
	dk ps -aq --filter name=t- | xargs -r timeout 120 "$D" rm -f >/dev/null 2>&1 || true
}

@test "docker info: mkrun is a runtime, the default one, at \$MKRUN" {
	run dk info --format '{{.DefaultRuntime}}'
	[ "$status" -eq 0 ]
	[ "$output" = mkrun ]
	run dk info --format '{{json .Runtimes}}'
	[ "$status" -eq 0 ]
	[ "$(jq -r .mkrun.path <<<"$output")" = "$MKRUN" ]
}

@test "run: the container's output, through the default runtime mkrun" {
	run dkrun --name t-run mkbusybox:test echo hello from docker
	[ "$status" -eq 0 ]
	[ "$output" = "hello from docker" ]
	[ "$(dk inspect -f '{{.HostConfig.Runtime}} {{.State.ExitCode}}' t-run)" = "mkrun 0" ]
	# A running one: the shim runs $MKRUN, whose state dir holds it.
	dkrun -d --name t-run2 mkbusybox:test sleep 100
	assert_mkrun t-run2
}

@test "run --runtime mkrun: named explicitly" {
	run dkrun --runtime mkrun --name t-rt mkbusybox:test cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[[ "$output" == *":memory:$CG_PARENT/"* ]]
	dkrun -d --runtime mkrun --name t-rt2 mkbusybox:test sleep 100
	assert_mkrun t-rt2
}

@test "run: the exit code comes back" {
	run dkrun --name t-exit mkbusybox:test sh -c 'exit 7'
	[ "$status" -eq 7 ]
	[ "$(dk inspect -f '{{.HostConfig.Runtime}} {{.State.ExitCode}}' t-exit)" = "mkrun 7" ]
}

@test "run -t: the process has a terminal" {
	run script -qec "timeout 120 $D run -t --network none --name t-tty mkbusybox:test sh -c 'tty; stty size >/dev/null && echo stty-ok'" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" =~ /dev/pts/[0-9]+ ]]
	[[ "$output" == *stty-ok* ]]
	[ "$(dk inspect -f '{{.HostConfig.Runtime}} {{.Config.Tty}}' t-tty)" = "mkrun true" ]
}

@test "run --init: pid 1 is docker-init (tini), the command its child" {
	run dkrun --init --name t-init mkbusybox:test sh -c 'cat /proc/1/comm; echo $PPID; tr "\0" " " </proc/1/cmdline'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = docker-init ]
	[ "${lines[1]}" = 1 ]
	[[ "${lines[2]}" == "/sbin/docker-init -- sh -c "* ]]
	[ "$(dk inspect -f '{{.HostConfig.Runtime}}' t-init)" = mkrun ]
}

@test "run -d, logs: stdout and stderr of a detached container" {
	dkrun -d --name t-logs mkbusybox:test sh -c 'echo to-out; echo to-err >&2; exec sleep 100'
	assert_mkrun t-logs
	wait_until 30 eval "dk logs t-logs 2>&1 | grep -q to-err"
	run dk logs t-logs
	[ "$status" -eq 0 ]
	[[ "$output" == *to-out* ]]
	[ "$(dk logs t-logs 2>/dev/null)" = to-out ]
	[ "$(dk logs t-logs 2>&1 >/dev/null)" = to-err ]
}

@test "exec: output, exit code, a terminal with -t" {
	dkrun -d --name t-exec mkbusybox:test sleep 100
	assert_mkrun t-exec
	run dk exec t-exec sh -c 'echo in $(hostname); cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "in $(cid t-exec | cut -c1-12)" ]
	[ "${lines[1]}" = "sleep 100 " ]
	run dk exec t-exec sh -c 'exit 5'
	[ "$status" -eq 5 ]
	run dk exec -e FOO=bar -w /tmp -u 1000 t-exec sh -c 'echo $FOO $(pwd) $(id -u)'
	[ "$status" -eq 0 ]
	[ "$output" = "bar /tmp 1000" ]
	run script -qec "timeout 120 $D exec -t t-exec tty" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" =~ /dev/pts/[0-9]+ ]]
	# The exec'd processes are gone: only the init is left.
	run dk exec t-exec ps -o pid,args
	[ "${#lines[@]}" -eq 3 ]
}

@test "top: docker lists the container's processes (mkrun ps)" {
	dkrun -d --name t-top mkbusybox:test sh -c 'sleep 101 & exec sleep 100'
	assert_mkrun t-top
	wait_until 30 eval "dk top t-top | grep -q 'sleep 101'"
	run dk top t-top
	[ "$status" -eq 0 ]
	[[ "$output" == *"sleep 100"* ]]
	[[ "$output" == *"$(cpid t-top)"* ]]
}

@test "pause, unpause: the container's freezer cgroup" {
	dkrun -d --name t-pause mkbusybox:test sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/t; sleep 0.05; done'
	assert_mkrun t-pause
	local freezer a b
	freezer=$(host_cgroup freezer t-pause)
	[ "$freezer" = "$(engine_cgroup_dir freezer "$CG_PARENT/$(cid t-pause)")" ]
	dk pause t-pause
	[ "$(cstatus t-pause)" = paused ]
	[ "$(cat "$freezer/freezer.state")" = FROZEN ]
	assert_mkrun t-pause paused
	a=$(cat "/proc/$(cpid t-pause)/root/tmp/t")
	sleep 0.5
	[ "$(cat "/proc/$(cpid t-pause)/root/tmp/t")" = "$a" ]
	dk unpause t-pause
	[ "$(cstatus t-pause)" = running ]
	[ "$(cat "$freezer/freezer.state")" = THAWED ]
	assert_mkrun t-pause
	a=$(dk exec t-pause cat /tmp/t)
	sleep 0.5
	b=$(dk exec t-pause cat /tmp/t)
	[ "$a" != "$b" ]
}

@test "restart: a new init, through mkrun again" {
	dkrun -d --name t-restart mkbusybox:test sh -c 'echo started; exec sleep 100'
	assert_mkrun t-restart
	local pid1
	pid1=$(cpid t-restart)
	dk restart -t 1 t-restart
	[ "$(cstatus t-restart)" = running ]
	[ "$(cpid t-restart)" != "$pid1" ]
	run ! kill -0 "$pid1"
	assert_mkrun t-restart
	wait_until 30 eval '[ "$(dk logs t-restart | grep -c started)" -eq 2 ]'
}

@test "stop: SIGTERM reaches the process" {
	dkrun -d --name t-stop mkbusybox:test sh -c 'trap "echo got SIGTERM; exit 3" TERM; echo ready; while :; do sleep 0.1; done'
	assert_mkrun t-stop
	wait_until 30 eval "dk logs t-stop | grep -q ready"
	local id start
	id=$(cid t-stop)
	start=$SECONDS
	dk stop -t 60 t-stop
	# Well before the 60 s after which Docker would SIGKILL.
	[ $((SECONDS - start)) -lt 30 ]
	[ "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' t-stop)" = "exited 3" ]
	[[ "$(dk logs t-stop)" == *"got SIGTERM"* ]]
	# mkrun's state is gone with the task.
	run "$MKRUN" --root "$MKRUN_ROOT" state "$id"
	[ "$status" -ne 0 ]
}

@test "limits: --memory, --cpus, --pids-limit in the container's host cgroups" {
	dkrun -d --name t-limits --memory 64m --cpus 0.5 --pids-limit 20 mkbusybox:test sleep 100
	assert_mkrun t-limits
	local id
	id=$(cid t-limits)
	[ "$(host_cgroup memory t-limits)" = "$(engine_cgroup_dir memory "$CG_PARENT/$id")" ]
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		local d
		d=$(host_cgroup unified t-limits)
		[ "$(cat "$d/memory.max")" = 67108864 ]
		[ "$(cat "$d/cpu.max")" = "50000 100000" ]
		[ "$(cat "$d/pids.max")" = 20 ]
		return
	fi
	[ "$(cat "$(host_cgroup memory t-limits)/memory.limit_in_bytes")" = 67108864 ]
	[ "$(cat "$(host_cgroup cpu t-limits)/cpu.cfs_quota_us")" = 50000 ]
	[ "$(cat "$(host_cgroup cpu t-limits)/cpu.cfs_period_us")" = 100000 ]
	[ "$(cat "$(host_cgroup pids t-limits)/pids.max")" = 20 ]
	# The pids limit holds inside.
	run dk exec t-limits sh -c 'for i in $(seq 40); do sleep 5 & done; wait'
	[[ "$output" == *"Resource temporarily unavailable"* ]] || [[ "$output" == *"can't fork"* ]]
}

@test "update: docker update changes the running container's cgroup (mkrun update)" {
	dkrun -d --name t-update --memory 64m --memory-swap 64m --pids-limit 20 mkbusybox:test sleep 100
	assert_mkrun t-update
	dk update --memory 96m --memory-swap 96m --pids-limit 30 t-update
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		[ "$(cat "$(host_cgroup unified t-update)/memory.max")" = 100663296 ]
		[ "$(cat "$(host_cgroup unified t-update)/pids.max")" = 30 ]
	else
		[ "$(cat "$(host_cgroup memory t-update)/memory.limit_in_bytes")" = 100663296 ]
		[ "$(cat "$(host_cgroup pids t-update)/pids.max")" = 30 ]
	fi
	[ "$(dk inspect -f '{{.HostConfig.Memory}}' t-update)" = 100663296 ]
}

@test "OOM: a process beyond --memory 32m is killed: exit 137, OOMKilled" {
	run dkrun --name t-oom --memory 32m --memory-swap 32m mkbusybox:test sh -c 'x=a; while :; do x=$x$x; done'
	[ "$status" -eq 137 ]
	[ "$(dk inspect -f '{{.HostConfig.Runtime}} {{.State.ExitCode}}' t-oom)" = "mkrun 137" ]
	# The shim's OOM event may reach dockerd just after the exit.
	wait_until 10 eval '[ "$(dk inspect -f "{{.State.OOMKilled}}" t-oom)" = true ]'
}

@test "rm -f: no mkrun state, cgroup, mount or shim left" {
	dkrun -d --name t-rm --memory 64m mkbusybox:test sleep 100
	assert_mkrun t-rm
	local id merged c dockerd
	id=$(cid t-rm)
	merged=$(dk inspect -f '{{.GraphDriver.Data.MergedDir}}' t-rm)
	dockerd=$(cat "$ENGINE_TMP/dockerd.started-pid")
	grep -q " $merged " "/proc/$dockerd/mountinfo"
	[ -n "$(shim_pids "$id")" ]
	[ -d "$(engine_cgroup_dir memory "$CG_PARENT/$id")" ]
	[[ "$(engine_mkrun_ids "$MKRUN_ROOT")" == *"$id"* ]]
	dk rm -f t-rm
	[[ "$(engine_mkrun_ids "$MKRUN_ROOT")" != *"$id"* ]]
	[ ! -e "$MKRUN_ROOT/$id" ]
	[ ! -e "$(bundle "$id")" ]
	for c in $(cgroup_controllers); do
		[ ! -e "$(engine_cgroup_dir "$c" "$CG_PARENT/$id")" ]
	done
	run ! grep -q " $merged " "/proc/$dockerd/mountinfo"
	run ! grep -q "$id" "/proc/$dockerd/mountinfo"
	wait_until 30 no_shim "$id"
}
