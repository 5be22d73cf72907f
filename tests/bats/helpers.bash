#!/bin/bash
# Helpers for mkrun's bats integration tests, in the style of runc's
# tests/integration/helpers.bash.  Compatible with bats 1.8.2 (Debian 12).
#
# Usage in a .bats file:
#
#   load helpers
#   function setup()    { setup_busybox; }
#   function teardown() { teardown_busybox; }
#
#   @test "run hello" {
#       update_config '.process.args = ["echo", "hello"]'
#       run mkrun run test_hello
#       [ "$status" -eq 0 ]
#       [[ "$output" == *hello* ]]
#   }
#
# Environment:
#   MKRUN        runtime under test (default: <repo>/mkrun).  Any OCI runtime
#                with runc's CLI works (MKRUN=runc is used to prove the tests).
#   BUSYBOX      a static busybox (default: /bin/busybox).

INTEGRATION_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MKRUN="${MKRUN:-$INTEGRATION_ROOT/../../mkrun}"
case "$MKRUN" in
*/*) ;;
*) MKRUN=$(command -v "$MKRUN" || echo "$MKRUN") ;;
esac
BUSYBOX="${BUSYBOX:-/bin/busybox}"

# Per-test state directory (--root).  This file is sourced once per test.
_HELPERS_TMP="${BATS_RUN_TMPDIR:-${TMPDIR:-/tmp}}"
ROOT=$(mktemp -d "$_HELPERS_TMP/mkrun-root.XXXXXX")
export ROOT

# The raw runtime call (runc's helpers name).
function __mkrun() {
	"$MKRUN" ${MKRUN_GLOBAL_OPTS:-} --root "$ROOT" "$@"
}

# mkrun ARGS...: "$MKRUN --root $ROOT ARGS...", its output and its status.
# Use it with bats' run ("run mkrun state c1"; then $status, $output), in a
# pipe ("mkrun state c1 | jq -r .pid") or plainly ("mkrun delete c1", which
# fails the test if it fails).  With terminal false the container inherits the
# runtime's stdio: for "create" and "run -d" use mkrun_detached, or redirect.
function mkrun() {
	__mkrun "$@"
}

# mkrun_detached ARGS...: for "create" and "run -d" with terminal false.
# The container inherits the runtime's stdio, so under bats' "run" (which
# reads a pipe to EOF) the call would not return until the container exits.
# This runs "$MKRUN --root $ROOT ARGS..." with stdin from /dev/null and
# stdout+stderr to $BUNDLE/detached.log (the container's output lands there
# too), and sets $status and $output (the log so far) like "run".
function mkrun_detached() {
	local log="${BUNDLE:-${BATS_TEST_TMPDIR:-$_HELPERS_TMP}}/detached.log"
	status=0
	__mkrun "$@" </dev/null >>"$log" 2>&1 || status=$?
	output=$(cat "$log")
	echo "mkrun $* (status=$status): $output" >&2
	return 0
}

# update_config JQ_EXPR [BUNDLE]: edit BUNDLE/config.json (default: the
# current test's bundle, or ./config.json) in place.
# update_config [JQ_OPTIONS...] JQ_EXPR: same, e.g. --arg/--argjson.
function update_config() {
	local bundle="${BUNDLE:-.}" args=("$@")
	if [ $# -eq 2 ] && [ -d "$2" ]; then
		bundle=$2
		args=("$1")
	fi
	local cfg="$bundle/config.json" tmp
	tmp=$(mktemp "$cfg.XXXXXX")
	if ! jq "${args[@]}" "$cfg" >"$tmp"; then
		rm -f "$tmp"
		echo "update_config: jq ${args[*]} failed" >&2
		return 1
	fi
	mv "$tmp" "$cfg"
}

# fail MESSAGE: fail the current test.
function fail() {
	echo "$@" >&2
	return 1
}

# ---------------------------------------------------------------------------
# Host feature probes

# cgroup_mounted DIR: DIR is a mounted cgroup hierarchy (not just a
# directory other software left there).
function cgroup_mounted() {
	case "$(stat -f -c %T "$1" 2>/dev/null)" in
	cgroupfs | cgroup2fs) return 0 ;;
	esac
	return 1
}

# has_io_weight: a cgroup can take an I/O weight (CFQ's or BFQ's file in
# v1, io.weight or io.bfq.weight in v2): not where the disks use none or
# mq-deadline.  The root cgroup never has them: look one level down too.
function has_io_weight() {
	compgen -G "/sys/fs/cgroup/blkio/blkio*weight" >/dev/null ||
		compgen -G "/sys/fs/cgroup/blkio/*/blkio*weight" >/dev/null ||
		compgen -G "/sys/fs/cgroup/*/io*.weight" >/dev/null ||
		compgen -G "/sys/fs/cgroup/unified/*/io*.weight" >/dev/null
}

# cgroup_mode: prints v1 (legacy), hybrid, v2 (unified) or none.
function cgroup_mode() {
	local t
	t=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null) || {
		echo none
		return
	}
	if [ "$t" = cgroup2fs ]; then
		echo v2
	elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		echo hybrid
	elif [ "$t" = tmpfs ]; then
		echo v1
	else
		echo none
	fi
}

function _probe_userns() {
	[ -e /proc/self/ns/user ] || return 1
	[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -gt 0 ] || return 1
	unshare --user --map-root-user true 2>/dev/null
}

# Idmapped mounts of the filesystem the test bundles live on.
function _probe_idmap() {
	local d
	d=$(mktemp -d "${BATS_TEST_TMPDIR:-$_HELPERS_TMP}/idmap-probe.XXXXXX") || return 1
	mkdir "$d/src" "$d/dst"
	unshare -m sh -c "mount --make-rprivate / 2>/dev/null; mount --bind -o X-mount.idmap=0:100000:65536 '$d/src' '$d/dst'" 2>/dev/null
	local rc=$?
	rm -rf "$d"
	return $rc
}

# _bpf_lsm_why [ANNOTATION]: why ANNOTATION (org.mkrun.network.unix) cannot
# be enforced here, as create says it.
function _bpf_lsm_why() {
	local d a=${1:-org.mkrun.network.unix}
	if [ "$("$MKRUN" features 2>/dev/null | jq -r --arg k "$a.enabled" '.annotations[$k]')" = null ]; then
		echo "the runtime does not know $a"
		return 0
	fi
	d=$(mktemp -d "${BATS_TEST_TMPDIR:-$_HELPERS_TMP}/bpf-lsm-probe.XXXXXX") || return 0
	mkdir "$d/rootfs"
	echo '{"ociVersion":"1.2.0","process":{"args":["x"],"cwd":"/"},"root":{"path":"rootfs"},"annotations":{"'"$a"'":""}}' >"$d/config.json"
	"$MKRUN" --root "$d/state" create -b "$d" bpf-lsm-probe 2>&1 | sed 's/^.*cannot be enforced here: //'
	"$MKRUN" --root "$d/state" delete -f bpf-lsm-probe >/dev/null 2>&1
	rm -rf "$d"
}

# requires FEATURE...: skip the test unless every FEATURE is available.
# Features: root rootless cgroups_v1 cgroups_v2 cgroups_hybrid hugetlb userns
#           timens idmap seccomp_notify smp bpf_lsm unix_guard
function requires() {
	local f mode
	for f in "$@"; do
		case "$f" in
		root)
			[ "$(id -u)" -eq 0 ] || skip "test requires root"
			;;
		rootless)
			[ "$(id -u)" -ne 0 ] || skip "test requires rootless"
			;;
		cgroups_v1)
			mode=$(cgroup_mode)
			[ "$mode" = v1 ] || [ "$mode" = hybrid ] || skip "test requires cgroups v1 (host is $mode)"
			;;
		cgroups_v2)
			[ "$(cgroup_mode)" = v2 ] || skip "test requires a pure cgroup v2 host (host is $(cgroup_mode))"
			;;
		cgroups_hybrid)
			[ "$(cgroup_mode)" = hybrid ] || skip "test requires a cgroup v1/v2 hybrid host (host is $(cgroup_mode))"
			;;
		hugetlb)
			# hugepages, and the controller: a v1 hierarchy, or on the v2
			# root (pure v2) or on the v2 mount of a hybrid host.
			compgen -G "/sys/kernel/mm/hugepages/hugepages-*" >/dev/null || skip "test requires hugepages"
			cgroup_mounted /sys/fs/cgroup/hugetlb ||
				grep -qsw hugetlb /sys/fs/cgroup/cgroup.controllers ||
				grep -qsw hugetlb /sys/fs/cgroup/unified/cgroup.controllers ||
				skip "test requires the hugetlb cgroup controller"
			;;
		io_weight)
			has_io_weight || skip "test requires a cgroup I/O weight (the BFQ I/O scheduler): this host has none"
			;;
		vm)
			[ -n "${MKRUN_TEST_VM:-}" ] || skip "changes system-wide state: runs in the test VM (tests/vm)"
			;;
		systemd)
			[ -d /run/systemd/system ] || skip "test requires systemd as pid 1 (runs in the systemd VM: tests/vm/systemd.sh)"
			;;
		userns)
			_probe_userns || skip "test requires user namespaces"
			;;
		timens)
			[ -e /proc/self/ns/time ] || skip "test requires time namespaces"
			;;
		idmap)
			_probe_idmap || skip "test requires idmapped mounts on $(stat -f -c %T "${BATS_TEST_TMPDIR:-$_HELPERS_TMP}")"
			;;
		seccomp_notify)
			grep -qw user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null ||
				skip "test requires seccomp user notification"
			;;
		smp)
			[ "$(nproc)" -ge 2 ] || skip "test requires at least 2 CPUs"
			;;
		bpf_lsm)
			# The runtime's own probe (Linux 6.0+, "bpf" among the active
			# LSMs, and a cgroup BPF LSM program loads).
			[ "$("$MKRUN" features 2>/dev/null | jq -r '.annotations["org.mkrun.network.unix.enabled"]')" = true ] ||
				skip "test requires cgroup BPF LSM programs (org.mkrun.network.unix): $(_bpf_lsm_why)"
			;;
		unix_guard)
			# Either org.mkrun.network.unix (above) or
			# org.mkrun.network.unix.connect (Linux 6.7+: cgroup BPF
			# programs on unix socket addresses).
			[ "$("$MKRUN" features 2>/dev/null | jq -r '.annotations | .["org.mkrun.network.unix.enabled"] == "true" or .["org.mkrun.network.unix.connect.enabled"] == "true"')" = true ] ||
				skip "test requires cgroup BPF LSM programs or cgroup BPF programs on unix socket addresses (Linux 6.7+): $(_bpf_lsm_why); $(_bpf_lsm_why org.mkrun.network.unix.connect)"
			;;
		*)
			fail "BUG: unknown feature requirement: $f"
			;;
		esac
	done
}

# ---------------------------------------------------------------------------
# Bundles

# Template rootfs + config.json, built once per bats run and copied per test.
function _busybox_template() {
	local tpl="$_HELPERS_TMP/mkrun-busybox-template"
	if [ ! -e "$tpl/.done" ]; then
		local new
		new=$(mktemp -d "$_HELPERS_TMP/mkrun-busybox-template.XXXXXX")
		BUSYBOX=$BUSYBOX "$INTEGRATION_ROOT/../make-rootfs.sh" "$new/rootfs" || return 1
		# config.json: "$MKRUN spec"; runc/crun spec while mkrun's isn't there.
		local spec
		for spec in "$MKRUN" runc crun; do
			(cd "$new" && "$spec" spec >/dev/null 2>&1) && [ -s "$new/config.json" ] && break
			rm -f "$new/config.json"
		done
		[ -s "$new/config.json" ] || {
			echo "setup_busybox: no runtime could produce config.json" >&2
			return 1
		}
		jq '.process.terminal = false' "$new/config.json" >"$new/config.json.tmp" &&
			mv "$new/config.json.tmp" "$new/config.json"
		touch "$new/.done"
		# Another bats process (bats -j) may have won the race.
		if ! mv -T "$new" "$tpl" 2>/dev/null; then rm -rf "$new"; fi
	fi
	echo "$tpl"
}

# setup_busybox: a fresh bundle in $BUNDLE (rootfs = busybox-static with its
# applets, minimal /etc/passwd and /etc/group; config.json from "mkrun spec",
# terminal false, args as the spec gives them).  cd's into it.
function setup_busybox() {
	local tpl
	tpl=$(_busybox_template) || fail "cannot build the busybox template"
	BUNDLE=$(mktemp -d "${BATS_TEST_TMPDIR:-$_HELPERS_TMP}/busybox.XXXXXX")
	export BUNDLE
	cp -a "$tpl/rootfs" "$BUNDLE/rootfs"
	cp "$tpl/config.json" "$BUNDLE/config.json"
	cd "$BUNDLE" || return 1
}

# teardown_busybox: force-delete every container left in $ROOT, remove temp dirs.
function teardown_busybox() {
	cd "$INTEGRATION_ROOT" || true
	local id ids
	ids=$(__mkrun list -q 2>/dev/null) || ids=
	# The state dir layout is the runtime's own; its subdirectories are IDs.
	if [ -d "$ROOT" ]; then
		ids="$ids $(find "$ROOT" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null)"
	fi
	for id in $(echo "$ids" | tr ' ' '\n' | sort -u); do
		__mkrun delete --force "$id" >/dev/null 2>&1 || true
	done
	rm -rf "$ROOT" 2>/dev/null || true
	if [ -n "${BUNDLE:-}" ]; then
		rm -rf "$BUNDLE" 2>/dev/null || true
		BUNDLE=
	fi
	# A test may have set a cgroupsPath with set_cgroups_path.
	if [ -n "${REL_CGROUP_PATH:-}" ]; then
		_remove_cgroup_dirs "$REL_CGROUP_PATH"
	fi
}

# ---------------------------------------------------------------------------
# Containers

# The remapped root is "other" to the bundle's ancestors: make the test's own
# temp dirs traversable, skip if some other ancestor is not.
function userns_traversable_bundle() {
	local d
	d=$(realpath "$BUNDLE/rootfs")
	while [ "$d" != / ]; do
		if [ "$(($(stat -c '0%a' "$d") & 1))" -eq 0 ]; then
			case "$d/" in
			"$BUNDLE/"* | "${BATS_RUN_TMPDIR%/}/"* | "${BATS_TMPDIR:-/nonexistent}/"*) chmod o+x "$d" ;;
			*) skip "bundle ancestor $d is not world-traversable" ;;
			esac
		fi
		d=$(dirname "$d")
	done
}

# retry ATTEMPTS DELAY COMMAND...: run COMMAND until it succeeds.
function retry() {
	local attempts=$1 delay=$2 i
	shift 2
	for ((i = 0; i < attempts; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep "$delay"
	done
	echo "command \"$*\" failed $attempts times" >&2
	return 1
}

# wait_for_container ATTEMPTS DELAY ID [STATUS]: until "mkrun state ID"
# reports STATUS (default: running).
function wait_for_container() {
	if [ $# -eq 3 ] || [ $# -eq 4 ]; then
		retry "$1" "$2" _container_has_status "$3" "${4:-running}"
	else
		fail "usage: wait_for_container ATTEMPTS DELAY ID [STATUS]"
	fi
}

function _container_has_status() {
	local s
	s=$(__mkrun state "$1" 2>/dev/null | jq -r .status) && [ "$s" = "$2" ]
}

# testcontainer ID STATUS: assert "mkrun state ID" reports STATUS.
function testcontainer() {
	local out rc=0 got
	out=$(__mkrun state "$1" 2>&1) || rc=$?
	if [ $rc -ne 0 ]; then
		fail "mkrun state $1 failed ($rc): $out"
		return 1
	fi
	got=$(jq -r .status <<<"$out" 2>/dev/null)
	if [ "$got" != "$2" ]; then
		fail "container $1: status \"$got\", expected \"$2\"; state: $out"
		return 1
	fi
}

# container_pid ID: the host pid of the container's init.
function container_pid() {
	__mkrun state "$1" | jq -r .pid
}

# ---------------------------------------------------------------------------
# Cgroups

# set_cgroups_path [BUNDLE]: give the container a unique cgroupsPath
# (/mkrun-test-<pid>-<random>), exported as REL_CGROUP_PATH.  Removed again by
# teardown_busybox.
function set_cgroups_path() {
	REL_CGROUP_PATH="/mkrun-test-$$-$RANDOM"
	update_config ".linux.cgroupsPath = \"$REL_CGROUP_PATH\"" "${1:-${BUNDLE:-.}}"
}

function _remove_cgroup_dirs() {
	local rel=$1 d
	for d in /sys/fs/cgroup/*/"$rel" /sys/fs/cgroup/"$rel"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	return 0
}

# get_cgroup_path ID|PID [CONTROLLER]: print the absolute host path of the
# container's (or process's) cgroup.  On cgroup v2 CONTROLLER is ignored; on
# v1/hybrid it picks the hierarchy (default: memory; "unified" picks the v2
# mount of a hybrid host).
function get_cgroup_path() {
	local who=$1 ctrl=${2:-memory} pid rel
	if [[ "$who" =~ ^[0-9]+$ ]]; then
		pid=$who
	else
		pid=$(container_pid "$who") || return 1
	fi
	[ -r "/proc/$pid/cgroup" ] || {
		echo "get_cgroup_path: no process $pid" >&2
		return 1
	}
	case "$(cgroup_mode)" in
	v2)
		rel=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
		echo "/sys/fs/cgroup$rel"
		;;
	*)
		if [ "$ctrl" = unified ]; then
			rel=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
			echo "/sys/fs/cgroup/unified$rel"
			return
		fi
		# "N:cpu,cpuacct:/path" -- find the hierarchy that has CONTROLLER.
		rel=$(awk -F: -v c="$ctrl" '$1 != 0 { n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c || a[i] == "name=" c) { sub(/^[^:]*:[^:]*:/, ""); print; exit } }' "/proc/$pid/cgroup")
		local dir
		for dir in /sys/fs/cgroup/"$ctrl" /sys/fs/cgroup/*"$ctrl"*; do
			if [ -d "$dir$rel" ]; then
				echo "$dir$rel"
				return
			fi
		done
		echo "/sys/fs/cgroup/$ctrl$rel"
		;;
	esac
}

# cgroup_path_of PID [CONTROLLER]: the host path of PID's cgroup.  Pure v2:
# /sys/fs/cgroup/<path>, CONTROLLER ignored.  v1/hybrid: the v1 hierarchy of
# CONTROLLER; "unified" or no CONTROLLER: the v2 mount (/sys/fs/cgroup/unified).
function cgroup_path_of() {
	local pid=$1 ctrl=${2:-unified}
	[ "$(cgroup_mode)" = v2 ] && ctrl=unified
	get_cgroup_path "$pid" "$ctrl"
}

# check_cgroup_value ID FILE EXPECTED: assert a cgroup file's content (the
# hierarchy is chosen from FILE's prefix on v1: memory.limit_in_bytes -> memory).
function check_cgroup_value() {
	local id=$1 file=$2 expected=$3 dir ctrl got
	ctrl=${file%%.*}
	dir=$(get_cgroup_path "$id" "$ctrl") || return 1
	got=$(cat "$dir/$file") || return 1
	[ "$got" = "$expected" ] || fail "$dir/$file: \"$got\", expected \"$expected\""
}
