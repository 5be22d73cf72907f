#!/usr/bin/env bats
# Rootless Podman (Debian 12's 4.3) running its containers through mkrun:
# an ordinary user the file makes runs podman with a private HOME,
# XDG_RUNTIME_DIR and storage under $ENGINE_TMP, network "none" (slirp4netns
# needs /dev/net/tun, which this kind of host keeps root's), cgroupfs (no
# systemd here; on cgroup v1 Podman gives a rootless container no cgroup).
# Podman runs mkrun as root in its user namespace, with no --root: mkrun's
# state goes to $XDG_RUNTIME_DIR/mkrun, which the test checks.

load common

UNPRIV=mkrun-unpriv

function setup_file() {
	engine_requires podman conmon newuidmap setpriv
	id "$UNPRIV" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$UNPRIV"
	grep -q "^$UNPRIV:" /etc/subuid || echo "$UNPRIV:300000:65536" >>/etc/subuid
	grep -q "^$UNPRIV:" /etc/subgid || echo "$UNPRIV:300000:65536" >>/etc/subgid
	engine_tmpdir podman-rootless
	engine_mkrun_wrapper
	mkdir -p "$ENGINE_TMP"/{home,xdg,storage,run,tmp}
	engine_rootfs "$ENGINE_TMP/rootfs"
	echo rootfs-marker >"$ENGINE_TMP/rootfs/marker"
	chmod 0755 "$ENGINE_TMP/bin" "$ENGINE_TMP/bin/mkrun"
	chmod 0666 "$ENGINE_TMP/mkrun-calls.log"
	chmod 0700 "$ENGINE_TMP/xdg"
	chown -R "$UNPRIV:" "$ENGINE_TMP"/{home,xdg,storage,run,tmp,rootfs}
	cat >"$ENGINE_TMP/containers.conf" <<-EOF
		[containers]
		netns = "none"
		log_driver = "k8s-file"

		[engine]
		runtime = "mkrun"
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$ENGINE_TMP/tmp/events.log"
		tmp_dir = "$ENGINE_TMP/tmp"

		[engine.runtimes]
		mkrun = ["$ENGINE_TMP/bin/mkrun"]
	EOF
	chmod 0644 "$ENGINE_TMP/containers.conf"
	export UNPRIV
}

function teardown_file() {
	upm rm --all --force --time 0 >/dev/null 2>&1 || true
	# Podman's pause process and conmons of this user, if any are left.
	pkill -KILL -u "$UNPRIV" 2>/dev/null || true
	chown -R root: "$ENGINE_TMP" 2>/dev/null || true
	engine_cleanup_tmp
}

# upm ARGS...: podman as the unprivileged user, with our private world.
function upm() {
	(cd "$ENGINE_TMP/tmp" && setpriv --reuid="$UNPRIV" --regid="$UNPRIV" --init-groups \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$ENGINE_TMP/home" USER="$UNPRIV" \
		XDG_RUNTIME_DIR="$ENGINE_TMP/xdg" CONTAINERS_CONF="$ENGINE_TMP/containers.conf" \
		podman --root "$ENGINE_TMP/storage" --runroot "$ENGINE_TMP/run" "$@" </dev/null)
}

@test "rootless podman: run --rootfs through mkrun, as root of the user's namespace" {
	run upm run --rm --rootfs "$ENGINE_TMP/rootfs" /bin/sh -c 'cat /marker; id -u; cat /proc/self/uid_map'
	echo "$output"
	[ "$status" -eq 0 ]
	# (Podman may warn first on stderr: "/" is not a shared mount.)
	local out
	out=$(grep -v 'level=warning' <<<"$output")
	[ "$(sed -n 1p <<<"$out")" = rootfs-marker ]
	[ "$(sed -n 2p <<<"$out")" = 0 ]
	# Podman's user namespace: the user as root, its /etc/subuid range after.
	[[ "$(sed -n 3p <<<"$out")" =~ ^\ +0\ +$(id -u "$UNPRIV")\ +1$ ]]
	grep -q '^create ' "$ENGINE_TMP/mkrun-calls.log"
	grep -q '^delete ' "$ENGINE_TMP/mkrun-calls.log"
	# No --root from Podman: mkrun's state was under XDG_RUNTIME_DIR.
	! grep -q -- '--root' "$ENGINE_TMP/mkrun-calls.log"
	[ -d "$ENGINE_TMP/xdg/mkrun" ]
}

@test "rootless podman: run -d, exec, stop and rm through mkrun" {
	upm run -d --name r1 --rootfs "$ENGINE_TMP/rootfs" /bin/sh -c 'trap "exit 7" TERM; while true; do sleep 0.1; done' >/dev/null
	wait_until 20 eval '[ "$(upm inspect --format "{{.State.Status}}" r1)" = running ]'
	run upm exec r1 sh -c 'echo exec-ok; echo $$; exit 3'
	echo "$output"
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = exec-ok ]
	grep -q '^exec ' "$ENGINE_TMP/mkrun-calls.log"
	[ -n "$(ls "$ENGINE_TMP/xdg/mkrun")" ]
	upm stop -t 5 r1
	[ "$(upm inspect --format '{{.State.ExitCode}}' r1)" = 7 ]
	upm rm r1
	[ -z "$(upm ps -aq)" ]
	[ -z "$(ls "$ENGINE_TMP/xdg/mkrun")" ]
}
