#!/bin/bash
# Private Podman set-up for tests/engines/podman.bats (sourced after
# common.bash).  podman_setup writes, under $ENGINE_TMP:
#   containers.conf  cgroupfs manager, file events, file locks, network "none",
#                    CNI config in an empty private dir, catatonit as init,
#                    default ulimits at the shell's hard limits, and the
#                    runtime "mkrun" = bin/mkrun
#   storage.conf     overlay graph root storage/, run root run/
#   bin/mkrun        exec "$MKRUN" --root $ENGINE_TMP/mkrun "$@", logging
#                    each call to mkrun-calls.log.  Podman 4.3 passes no
#                    --root to a runtime when it runs as root (and its
#                    --runtime-flag does not reach "podman container
#                    cleanup"), so without this mkrun would keep its state in
#                    /run/mkrun.
# and defines pm (podman with that storage and config), pm_teardown and a few
# probes.  Containers go below $CG_PARENT (pass --cgroup-parent: Podman 4.3's
# containers.conf has no key for it); Podman puts conmon in $CG_PARENT/conmon.

function podman_setup() {
	engine_tmpdir podman
	# One cgroup parent per run of the file (named after $ENGINE_TMP).
	CG_PARENT=$(engine_cgroup_parent "podman-${ENGINE_TMP##*.}")
	MKRUN_ROOT=$ENGINE_TMP/mkrun
	export CG_PARENT MKRUN_ROOT
	mkdir -p "$ENGINE_TMP"/{bin,cwd,storage,run,tmp,cni,empty,mkrun}
	: >"$ENGINE_TMP/empty/registries.conf"
	engine_mkrun_wrapper --root "$MKRUN_ROOT"
	# Podman runs with RLIMIT_NPROC at pid_max at most; an rlimit above the
	# hard limit of the runtime's caller fails in setrlimit (no
	# CAP_SYS_RESOURCE here).
	local nofile nproc pid_max
	nofile=$(ulimit -Hn) nproc=$(ulimit -Hu) pid_max=$(cat /proc/sys/kernel/pid_max)
	[ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ] && nproc=$pid_max
	[ "$nofile" = unlimited ] && nofile=1048576
	cat >"$ENGINE_TMP/containers.conf" <<-EOF2
		[containers]
		default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
		netns = "none"
		init_path = "$(command -v catatonit)"
		log_driver = "k8s-file"

		[network]
		network_backend = "cni"
		network_config_dir = "$ENGINE_TMP/cni"

		[engine]
		runtime = "mkrun"
		runtime_supports_json = ["mkrun"]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$ENGINE_TMP/events.log"
		lock_type = "file"
		tmp_dir = "$ENGINE_TMP/tmp"
		image_copy_tmp_dir = "$ENGINE_TMP/tmp"
		static_dir = "$ENGINE_TMP/storage/libpod"
		volume_path = "$ENGINE_TMP/storage/volumes"
		network_cmd_path = "$(command -v slirp4netns)"

		[engine.runtimes]
		mkrun = ["$ENGINE_TMP/bin/mkrun"]
	EOF2
	cat >"$ENGINE_TMP/storage.conf" <<-EOF2
		[storage]
		driver = "overlay"
		graphroot = "$ENGINE_TMP/storage"
		runroot = "$ENGINE_TMP/run"
	EOF2
	export CONTAINERS_CONF=$ENGINE_TMP/containers.conf
	export CONTAINERS_STORAGE_CONF=$ENGINE_TMP/storage.conf
	export CONTAINERS_REGISTRIES_CONF=$ENGINE_TMP/empty/registries.conf
}

# pm ARGS...: podman with the private storage and config, run from
# $PM_CWD (default $ENGINE_TMP/cwd): conmon 2.1.6 writes its OOM marker "oom"
# in its working directory, which is podman's (Podman 4.3 then looks for it in
# the bundle).  TMPDIR: where containers/image puts big temporary files.
function pm() {
	(
		cd "${PM_CWD:-$ENGINE_TMP/cwd}" || exit 1
		TMPDIR=$ENGINE_TMP/tmp exec podman --root "$ENGINE_TMP/storage" --runroot "$ENGINE_TMP/run" \
			--tmpdir "$ENGINE_TMP/tmp" ${PM_LOG_LEVEL:+--log-level "$PM_LOG_LEVEL"} "$@"
	)
}

# pm_load ARCHIVE: podman load, in a mount namespace of its own with tmpfs on
# /var/lib and /var/tmp: as root, Podman 4.3 keeps containers/image's blob
# info cache in /var/lib/containers/cache whatever its storage paths, and
# unpacks an OCI archive in /var/tmp (whatever TMPDIR or image_copy_tmp_dir).
function pm_load() {
	export -f pm
	unshare -m bash -c 'mount -t tmpfs tmpfs /var/lib && mount -t tmpfs tmpfs /var/tmp &&
		pm load -q -i "$0"' "$1"
}

# ctr_pid NAME: the host pid of the container's init.
function ctr_pid() {
	pm inspect --format '{{.State.Pid}}' "$1"
}

# ctr_cgroup CONTROLLER NAME: the host directory of the container's cgroup for
# a v1 controller, from /proc/PID/cgroup of its init; fails unless it lies
# below $CG_PARENT.
function ctr_cgroup() {
	local ctrl=$1 pid path
	pid=$(ctr_pid "$2") && [ "$pid" -gt 0 ] || return 1
	path=$(awk -F: -v c="$ctrl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
	case "$path" in
	"$CG_PARENT"/?*) engine_cgroup_dir "$ctrl" "$path" ;;
	*)
		echo "ctr_cgroup: $2 is in $ctrl:$path, not below $CG_PARENT" >&2
		return 1
		;;
	esac
}

# podman_leftovers: what this file left behind (processes that name
# $ENGINE_TMP or sit in its cgroups, mounts below $ENGINE_TMP, cgroup
# directories, mkrun containers); prints nothing when clean.
function podman_leftovers() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF "$ENGINE_TMP/" && echo "process ${p#/proc/}: $(tr '\0' ' ' 2>/dev/null <"$p/cmdline")"
	done
	find /sys/fs/cgroup/*"$CG_PARENT" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u | sed 's/^/cgroup process /'
	awk -v p="$ENGINE_TMP/" 'index($5, p) == 1 { print "mount " $5 }' /proc/self/mountinfo
	ls -d /sys/fs/cgroup/*"$CG_PARENT" 2>/dev/null | sed 's/^/cgroup /'
	engine_mkrun_ids "$MKRUN_ROOT" | sed 's/^/mkrun container /'
}

function _rmdir_tree() {
	find "$1" -depth -type d -exec rmdir {} + 2>/dev/null
	[ ! -d "$1" ]
}

# pm_teardown: remove every container, then whatever survived (by the pids in
# our cgroups and those naming $ENGINE_TMP), our cgroup directories and
# $ENGINE_TMP.
function pm_teardown() {
	[ -n "${ENGINE_TMP:-}" ] && [ -d "$ENGINE_TMP" ] || return 0
	local f pid id
	pm rm --all --force --time 0 >/dev/null 2>&1
	if [ -f "$ENGINE_TMP/http.pid" ]; then
		kill "$(cat "$ENGINE_TMP/http.pid")" 2>/dev/null
		rm -f "$ENGINE_TMP/http.pid"
	fi
	for f in /sys/fs/cgroup/freezer"$CG_PARENT"/*/freezer.state; do
		[ -f "$f" ] && echo THAWED >"$f" 2>/dev/null
	done
	for pid in $(find /sys/fs/cgroup/*"$CG_PARENT" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u); do
		kill -9 "$pid" 2>/dev/null
	done
	for pid in $(podman_leftovers | sed -n 's/^process \([0-9]*\):.*/\1/p'); do
		kill -9 "$pid" 2>/dev/null
	done
	for id in $(engine_mkrun_ids "$MKRUN_ROOT"); do
		"$MKRUN" --root "$MKRUN_ROOT" delete --force "$id" >/dev/null 2>&1
	done
	# Deepest first; a cgroup whose last task just died may refuse for a bit.
	for f in /sys/fs/cgroup/*"$CG_PARENT"; do
		[ -d "$f" ] && wait_until 10 _rmdir_tree "$f"
	done
	engine_cleanup_tmp
}
