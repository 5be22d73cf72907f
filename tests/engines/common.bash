#!/bin/bash
# Shared helpers for the engine tests (tests/engines/*.bats): Podman,
# containerd (ctr, the runc v2 shim, CRI), Docker and Slurm running their
# containers through mkrun.  Each .bats file starts its own private daemons in
# setup_file (config, state, sockets, logs under $ENGINE_TMP), and stops them
# and removes everything in teardown_file.  Daemons listen only on unix
# sockets or loopback, or run inside a network namespace the test made.
#
# Environment:
#   MKRUN       the runtime under test (default <repo>/mkrun), absolute.
#   BUSYBOX     a static busybox (default /bin/busybox).
#   ENGINE_KEEP=1  keep $ENGINE_TMP after the run (for debugging).

ENGINES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$ENGINES_DIR/../.." && pwd)
MKRUN=${MKRUN:-$SRCDIR/mkrun}
case "$MKRUN" in
/*) ;;
*/*) MKRUN=$(cd "$(dirname "$MKRUN")" && pwd)/$(basename "$MKRUN") ;;
*) MKRUN=$(command -v "$MKRUN" || echo "$MKRUN") ;;
esac
export MKRUN
export BUSYBOX=${BUSYBOX:-/bin/busybox}

# engine_requires CMD...: skip the whole file (from setup_file) or the test
# when a command is missing.
function engine_requires() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
	done
	[ -x "$MKRUN" ] || skip "runtime $MKRUN not built"
}

# engine_tmpdir NAME: a fresh private directory with a short path (unix socket
# paths must stay under 108 bytes); sets and exports ENGINE_TMP.
function engine_tmpdir() {
	ENGINE_TMP=$(mktemp -d "/tmp/mk-$1.XXXXXX")
	chmod 0711 "$ENGINE_TMP"
	export ENGINE_TMP
}

# engine_cleanup_tmp: remove $ENGINE_TMP (unmounting whatever an engine left
# mounted below it), unless ENGINE_KEEP=1.
function engine_cleanup_tmp() {
	[ -n "${ENGINE_TMP:-}" ] && [ -d "$ENGINE_TMP" ] || return 0
	local m
	# Deepest first.
	for m in $(awk -v p="$ENGINE_TMP/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	[ "${ENGINE_KEEP:-0}" = 1 ] && return 0
	rm -rf "$ENGINE_TMP" 2>/dev/null || true
}

# engine_rootfs DIR: a busybox-static root filesystem in DIR.
function engine_rootfs() {
	"$SRCDIR/tests/make-rootfs.sh" "$1"
}

# engine_rootfs_tar OUT: the busybox root filesystem as a tar archive (what
# "podman import", "docker import" take).
function engine_rootfs_tar() {
	local d
	d=$(mktemp -d "${ENGINE_TMP:-/tmp}/rootfs.XXXXXX")
	engine_rootfs "$d" && tar -C "$d" -cf "$1" . && rm -rf "$d"
}

# engine_cgroup_parent NAME: an absolute cgroup path below the memory cgroup
# this test runs in (on this kind of host that cgroup is not ours and sits
# below the hierarchy's root: engines must put their containers under it).
function engine_cgroup_parent() {
	local base
	base=$(awk -F: '$2 == "memory" || $2 == "" { print $3; exit }' /proc/self/cgroup)
	[ "$base" = / ] && base=
	echo "$base/$1"
}

# engine_cgroup_dir CONTROLLER PATH: the host directory of cgroup PATH (as a
# cgroupsPath or /proc/PID/cgroup shows it) for a v1 controller, or the v2
# one ("unified").
function engine_cgroup_dir() {
	local ctrl=$1 path=$2
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo "/sys/fs/cgroup$path"
	elif [ "$ctrl" = unified ]; then
		echo "/sys/fs/cgroup/unified$path"
	else
		echo "/sys/fs/cgroup/$ctrl$path"
	fi
}

# wait_until SECONDS COMMAND...: poll (every 0.2 s) until COMMAND succeeds.
function wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# engine_mkrun_ids ROOT: the ids in mkrun's state dir ROOT (to check that an
# engine left nothing behind).
function engine_mkrun_ids() {
	"$MKRUN" --root "$1" list -q 2>/dev/null
}

# engine_mkrun_wrapper [ARG...]: writes $ENGINE_TMP/bin/mkrun, the runtime
# binary the engine is given: it appends its argv to
# $ENGINE_TMP/mkrun-calls.log (so checks can assert what the engine ran),
# then execs "$MKRUN" ARG... "$@" with the HPC registry in
# $ENGINE_TMP/hpc-registry (MKRUN_HPC_STATE).
function engine_mkrun_wrapper() {
	local a extra=""
	for a in "$@"; do
		extra+=" \"$a\""
	done
	mkdir -p "$ENGINE_TMP/bin"
	: >"$ENGINE_TMP/mkrun-calls.log"
	cat >"$ENGINE_TMP/bin/mkrun" <<-EOF
		#!/bin/sh
		printf '%s\n' "\$*" >>"$ENGINE_TMP/mkrun-calls.log"
		export MKRUN_HPC_STATE="$ENGINE_TMP/hpc-registry"
		exec "$MKRUN"$extra "\$@"
	EOF
	chmod 0755 "$ENGINE_TMP/bin/mkrun"
}

# engine_containerd_config DIR: a private containerd's config.toml (root,
# state, sockets under DIR; the CRI plugin, TCP and metrics listeners off)
# on stdout, for the caller to add its runtimes to.
function engine_containerd_config() {
	cat <<-EOF
		version = 2
		root = "$1/root"
		state = "$1/state"
		oom_score = 0
		disabled_plugins = ["io.containerd.grpc.v1.cri"]

		[grpc]
		  address = "$1/containerd.sock"
		  tcp_address = ""
		[ttrpc]
		  address = "$1/containerd.ttrpc.sock"
		[debug]
		  address = "$1/debug.sock"
		  level = "debug"
		[metrics]
		  address = ""

		[plugins."io.containerd.internal.v1.opt"]
		  path = "$1/opt"
	EOF
}
