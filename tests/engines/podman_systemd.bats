#!/usr/bin/env bats
# Podman with cgroup_manager = "systemd" (Podman's default where systemd
# runs) through mkrun: Podman calls the runtime with --systemd-cgroup and a
# cgroupsPath "machine.slice:libpod:ID" (root) or "user.slice:libpod:ID"
# (rootless, the user's own systemd): each container is a transient scope.
# Needs systemd as pid 1 and cgroup v2: runs in the systemd VM
# (tests/vm/systemd.sh).

load common

UNPRIV=mkrun-unpriv

# (Bats 1.8 fails a teardown_file after a skip in setup_file: the reason to
# skip is kept for setup instead.)
function setup_file() {
	export SD_SKIP=
	if [ ! -d /run/systemd/system ] || [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
		SD_SKIP="needs systemd as pid 1 and cgroup v2 (runs in the systemd VM: tests/vm/systemd.sh)"
		return 0
	fi
	engine_requires podman conmon newuidmap setpriv systemctl loginctl
	id "$UNPRIV" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$UNPRIV"
	grep -q "^$UNPRIV:" /etc/subuid || echo "$UNPRIV:300000:65536" >>/etc/subuid
	grep -q "^$UNPRIV:" /etc/subgid || echo "$UNPRIV:300000:65536" >>/etc/subgid
	engine_tmpdir podman-systemd
	engine_mkrun_wrapper
	mkdir -p "$ENGINE_TMP"/{home,storage,run,tmp,ustorage,urun,utmp}
	engine_rootfs "$ENGINE_TMP/rootfs"
	echo rootfs-marker >"$ENGINE_TMP/rootfs/marker"
	chmod 0755 "$ENGINE_TMP/bin" "$ENGINE_TMP/bin/mkrun"
	chmod 0666 "$ENGINE_TMP/mkrun-calls.log"
	cp -a "$ENGINE_TMP/rootfs" "$ENGINE_TMP/urootfs"
	chown -R "$UNPRIV:" "$ENGINE_TMP"/{home,ustorage,urun,utmp,urootfs}
	local who
	for who in root user; do
		cat >"$ENGINE_TMP/containers-$who.conf" <<-EOF
			[containers]
			netns = "none"
			log_driver = "k8s-file"

			[engine]
			runtime = "mkrun"
			cgroup_manager = "systemd"
			events_logger = "file"
			events_logfile_path = "$ENGINE_TMP/$([ $who = root ] && echo tmp || echo utmp)/events.log"
			tmp_dir = "$ENGINE_TMP/$([ $who = root ] && echo tmp || echo utmp)"

			[engine.runtimes]
			mkrun = ["$ENGINE_TMP/bin/mkrun"]
		EOF
		chmod 0644 "$ENGINE_TMP/containers-$who.conf"
	done
	export UNPRIV
}

function setup() {
	[ -z "$SD_SKIP" ] || skip "$SD_SKIP"
}

function teardown_file() {
	[ -z "$SD_SKIP" ] || return 0
	pm rm --all --force --time 0 >/dev/null 2>&1 || true
	upm rm --all --force --time 0 >/dev/null 2>&1 || true
	loginctl disable-linger "$UNPRIV" 2>/dev/null || true
	pkill -KILL -u "$UNPRIV" 2>/dev/null || true
	chown -R root: "$ENGINE_TMP" 2>/dev/null || true
	engine_cleanup_tmp
}

# pm ARGS...: root's podman with our storage and configuration.
function pm() {
	(cd "$ENGINE_TMP/tmp" && env CONTAINERS_CONF="$ENGINE_TMP/containers-root.conf" \
		podman --root "$ENGINE_TMP/storage" --runroot "$ENGINE_TMP/run" "$@" </dev/null)
}

# upm ARGS...: the user's podman, in the user's systemd session (linger).
function upm() {
	local u
	u=$(id -u "$UNPRIV")
	(cd "$ENGINE_TMP/utmp" && setpriv --reuid="$UNPRIV" --regid="$UNPRIV" --init-groups \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$ENGINE_TMP/home" USER="$UNPRIV" \
		XDG_RUNTIME_DIR="/run/user/$u" DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$u/bus" \
		CONTAINERS_CONF="$ENGINE_TMP/containers-user.conf" \
		podman --root "$ENGINE_TMP/ustorage" --runroot "$ENGINE_TMP/urun" "$@" </dev/null)
}

@test "podman (root, systemd cgroup manager): the container is a scope in machine.slice, its limits on it" {
	local id
	id=$(pm run -d --memory 64m --pids-limit 33 --rootfs "$ENGINE_TMP/rootfs" /bin/sh -c 'while true; do sleep 0.1; done')
	echo "$id"
	wait_until 20 eval '[ "$(pm inspect --format "{{.State.Status}}" '"$id"')" = running ]'
	grep -q -- "--systemd-cgroup" "$ENGINE_TMP/mkrun-calls.log"
	local unit=libpod-$id.scope
	[ "$(systemctl show -P ActiveState "$unit")" = active ]
	[ "$(systemctl show -P MemoryMax "$unit")" = 67108864 ]
	[ "$(systemctl show -P TasksMax "$unit")" = 33 ]
	local cg
	cg=/sys/fs/cgroup$(systemctl show -P ControlGroup "$unit")
	[[ "$cg" == /sys/fs/cgroup/machine.slice/* ]]
	[ "$(cat "$cg/memory.max")" = 67108864 ]
	run pm exec "$id" cat /marker
	[ "$output" = rootfs-marker ]
	pm rm -f -t 0 "$id"
	[ "$(systemctl show -P LoadState "$unit")" = not-found ]
	[ ! -e "$cg" ]
}

@test "podman (rootless, systemd cgroup manager): the container is a scope of the user's systemd" {
	local u id
	u=$(id -u "$UNPRIV")
	loginctl enable-linger "$UNPRIV"
	wait_until 60 eval '[ -S /run/user/'"$u"'/bus ]'
	run upm run --rm --rootfs "$ENGINE_TMP/urootfs" /bin/sh -c 'cat /marker; id -u'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -v 'level=warning' <<<"$output" | head -n1)" = rootfs-marker ]
	id=$(upm run -d --pids-limit 21 --rootfs "$ENGINE_TMP/urootfs" /bin/sh -c 'while true; do sleep 0.1; done')
	wait_until 20 eval '[ "$(upm inspect --format "{{.State.Status}}" '"$id"')" = running ]'
	local cg=/sys/fs/cgroup/user.slice/user-$u.slice/user@$u.service/user.slice/libpod-$id.scope
	[ -d "$cg" ]
	[ "$(cat "$cg/pids.max")" = 21 ]
	[ "$(stat -c %u "$cg")" = "$u" ]
	grep -q "^0::/user.slice/user-$u.slice/user@$u.service/user.slice/libpod-$id.scope" \
		"/proc/$(upm inspect --format '{{.State.Pid}}' "$id")/cgroup"
	run upm exec "$id" cat /marker
	[ "$output" = rootfs-marker ]
	upm rm -f -t 0 "$id"
	[ ! -e "$cg" ]
}
