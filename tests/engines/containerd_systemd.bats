#!/usr/bin/env bats
# containerd (Debian 12's 1.6, driven with ctr) with the systemd cgroup
# driver, as Kubernetes nodes run it (SystemdCgroup = true sends the same
# runtime option as "ctr run --runc-systemd-cgroup"): the v2 shim calls
# mkrun with --systemd-cgroup and the cgroupsPath "slice:prefix:name".
# Needs systemd as pid 1: runs in the systemd VM (tests/vm/systemd.sh).  A
# private containerd (config, root, state, sockets under $ENGINE_TMP, the
# CRI plugin disabled); containers run from a rootfs directory (--rootfs).

load common

NS=mkrun-sd

function ctr_() {
	timeout --foreground 120 ctr --address "$ENGINE_TMP/containerd.sock" --namespace "$NS" "$@"
}

# (Bats 1.8 fails a teardown_file after a skip in setup_file: the reason to
# skip is kept for setup instead.)
function setup_file() {
	export SD_SKIP=
	if [ ! -d /run/systemd/system ]; then
		SD_SKIP="needs systemd as pid 1 (runs in the systemd VM: tests/vm/systemd.sh)"
		return 0
	fi
	engine_requires containerd ctr containerd-shim-runc-v2 jq timeout systemctl
	engine_tmpdir containerd-sd
	local t=$ENGINE_TMP
	mkdir -p "$t/runc"
	engine_mkrun_wrapper
	engine_rootfs "$t/rootfs"
	engine_containerd_config "$t" >"$t/config.toml"
	containerd --config "$t/config.toml" </dev/null >"$t/containerd.log" 2>&1 3>&- &
	echo $! >"$t/containerd.pid"
	if ! wait_until 60 ctr_ version >/dev/null 2>&1; then
		cat "$t/containerd.log" >&2
		return 1
	fi
}

function setup() {
	[ -z "$SD_SKIP" ] || skip "$SD_SKIP"
}

function teardown_file() {
	[ -z "$SD_SKIP" ] || return 0
	[ -n "${ENGINE_TMP:-}" ] && [ -d "$ENGINE_TMP" ] || return 0
	local id
	for id in $(ctr_ task ls -q 2>/dev/null); do
		ctr_ task kill -s KILL "$id" >/dev/null 2>&1 || true
		ctr_ task rm -f "$id" >/dev/null 2>&1 || true
	done
	for id in $(ctr_ container ls -q 2>/dev/null); do
		ctr_ container rm "$id" >/dev/null 2>&1 || true
	done
	kill "$(cat "$ENGINE_TMP/containerd.pid")" 2>/dev/null || true
	engine_cleanup_tmp
}

# ctr_run ARGS...: ctr run through the mkrun wrapper with the systemd driver.
function ctr_run() {
	ctr_ run --runc-binary "$ENGINE_TMP/bin/mkrun" --runc-root "$ENGINE_TMP/runc" \
		--runc-systemd-cgroup "$@" </dev/null
}

@test "containerd (systemd cgroup driver): the task is a scope in its slice, with its memory limit" {
	run ctr_run --rm --cgroup "system.slice:mkrun-ctr:t1" --rootfs "$ENGINE_TMP/rootfs" t1 cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "0::/system.slice/mkrun-ctr-t1.scope" ] || [ "$output" = "0::/" ]
	grep -q -- "--systemd-cgroup" "$ENGINE_TMP/mkrun-calls.log"
	ctr_run -d --memory-limit 67108864 --cgroup "system.slice:mkrun-ctr:t2" --rootfs "$ENGINE_TMP/rootfs" \
		t2 sh -c 'while true; do sleep 0.1; done' >/dev/null
	wait_until 20 eval '[ "$(systemctl show -P ActiveState mkrun-ctr-t2.scope)" = active ]'
	[ "$(systemctl show -P MemoryMax mkrun-ctr-t2.scope)" = 67108864 ]
	[ "$(cat /sys/fs/cgroup/system.slice/mkrun-ctr-t2.scope/memory.max)" = 67108864 ]
	ctr_ task kill -s KILL t2
	wait_until 20 eval '[ "$(ctr_ task ls | awk '\''$1 == "t2" { print $3 }'\'')" = STOPPED ]'
	ctr_ task rm t2
	ctr_ container rm t2
	[ "$(systemctl show -P LoadState mkrun-ctr-t2.scope)" = not-found ]
	[ ! -e /sys/fs/cgroup/system.slice/mkrun-ctr-t2.scope ]
	[ -z "$("$MKRUN" --root "$ENGINE_TMP/runc/$NS" list -q)" ]
}
