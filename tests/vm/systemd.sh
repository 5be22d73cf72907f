#!/bin/bash
# Run bats files inside a QEMU (TCG) VM that boots Debian with systemd as
# pid 1 on a pure cgroup v2 hierarchy: the second personality of the VM
# suite, for what needs systemd (rootless with a user session, the systemd
# cgroup driver, rootless Podman on cgroup v2).
#
# Usage: tests/vm/systemd.sh [-f FILTER] [BATS_FILE...]
#   BATS_FILE...  default: $VM_SYSTEMD_TESTS, or tests/bats/rootless.bats
#                 tests/bats/systemd_cgroup.bats
#                 tests/engines/podman_rootless.bats tests/engines/podman_systemd.bats
#                 tests/engines/containerd_systemd.bats
#
# The root file system is built once with mmdebstrap from the Debian source
# in the host's apt configuration (systemd, dbus with user sessions,
# uidmap, bats, jq, busybox-static, podman, Debian's kernel and its
# initramfs) and cached in $VM_WORK/systemd-root, keyed by its package list.
# Each run copies mkrun (with its shared libraries' packages in the image),
# tests/ and a unit that runs the files into an ext4 image made from it
# (mkfs.ext4 -d), boots it, and reads the TAP back from the second serial
# port.
#
# Environment: MKRUN, VM_WORK (default tests/vm/work), VM_TIMEOUT (default
# 1500), VM_MEM (default 2048), VM_SMP (default 2), VM_VERBOSE=1 (the
# console on stderr), BATS_TEST_TIMEOUT (in the guest, default 300).
#
# Output: TAP on stdout, names prefixed "[systemd-vm]"; exit 0 when all passed.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$HERE/../.." && pwd)
WORK=${VM_WORK:-$HERE/work}
VM_TIMEOUT=${VM_TIMEOUT:-1500}
VM_MEM=${VM_MEM:-2048}
VM_SMP=${VM_SMP:-2}
TAG="[systemd-vm]"

LOG_NAME=vm-systemd
# shellcheck source=tests/vm/common.bash
. "$HERE/common.bash"
vm_args 2,29 "${VM_SYSTEMD_TESTS:-tests/bats/rootless.bats tests/bats/systemd_cgroup.bats tests/engines/podman_rootless.bats tests/engines/podman_systemd.bats tests/engines/containerd_systemd.bats}" "$@"
vm_mkrun
[ "$(id -u)" -eq 0 ] || die "must run as root (mmdebstrap, mkfs of a root-owned tree)"
for t in qemu-system-x86_64 mmdebstrap mkfs.ext4 jq; do
	command -v "$t" >/dev/null || die "missing $t"
done
mkdir -p "$WORK"
T0=$(date +%s.%N)

# --------------------------------------------------------------------------
# The root file system, cached.  mkrun's own libraries come as Debian's
# packages (the image is the host's release), so the binary runs as built.
PKGS="systemd-sysv dbus dbus-user-session libpam-systemd uidmap bats jq busybox-static procps
iproute2 util-linux kmod podman conmon catatonit containerd linux-image-amd64 initramfs-tools
libyajl2 libyaml-0-2 libseccomp2 libcap2 libbpf1 libmnl0"
KEY=$(echo "$PKGS" | md5sum | cut -c1-12)
ROOT=$WORK/systemd-root
if [ ! -f "$ROOT/.built-$KEY" ]; then
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(TARGET_OF)' 2>/dev/null |
		awk -v s="$codename" '$2 == s && $3 == "deb" { print $1; exit }')
	[ -n "$codename" ] && [ -n "$uri" ] || die "no Debian source for $codename in apt's configuration"
	rm -rf "$ROOT"
	log "building the root file system ($codename, mmdebstrap)"
	mmdebstrap --variant=minbase --include="$(echo $PKGS | tr ' ' ,)" \
		"$codename" "$ROOT" "deb $uri $codename main" >"$WORK/mmdebstrap.log" 2>&1 ||
		die "mmdebstrap failed (see $WORK/mmdebstrap.log)"
	touch "$ROOT/.built-$KEY"
fi
# The set-up (each run: cheap, and a change to it needs no new root).
{
	# Boot: root on the virtio disk; no getty, no network waits.
	echo "/dev/vda / ext4 rw 0 1" >"$ROOT/etc/fstab"
	echo mkrun-vm >"$ROOT/etc/hostname"
	ln -sf /dev/null "$ROOT/etc/systemd/system/getty@tty1.service"
	ln -sf /dev/null "$ROOT/etc/systemd/system/serial-getty@ttyS0.service"
	ln -sf /dev/null "$ROOT/etc/systemd/system/serial-getty@ttyS1.service"
	cat >"$ROOT/etc/systemd/system/mkrun-tests.service" <<-'EOF'
		[Unit]
		Description=mkrun's tests
		After=multi-user.target
		[Service]
		Type=oneshot
		ExecStart=/src/tests/vm/systemd-guest.sh
		ExecStopPost=/bin/systemctl poweroff --force
		TimeoutStartSec=infinity
		[Install]
		WantedBy=multi-user.target
	EOF
	mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
	ln -sf ../mkrun-tests.service "$ROOT/etc/systemd/system/multi-user.target.wants/mkrun-tests.service"
}
VMLINUZ=$(ls "$ROOT"/boot/vmlinuz-* 2>/dev/null | head -n1)
INITRD=$(ls "$ROOT"/boot/initrd.img-* 2>/dev/null | grep -v '\.new$' | head -n1)
[ -n "$VMLINUZ" ] && [ -n "$INITRD" ] || die "no kernel or initramfs in $ROOT/boot"
T1=$(date +%s.%N)

# --------------------------------------------------------------------------
# This run's disk: the root plus /src (mkrun, the tests, the list to run).
rm -rf "$ROOT/src"
mkdir -p "$ROOT/src"
cp "$MKRUN" "$ROOT/src/mkrun"
# (Not the caches and logs below tests/: the root itself is in tests/vm/work.)
tar -C "$SRCDIR" --exclude=tests/vm/work --exclude=tests/runc-compat/work --exclude=tests/logs \
	--exclude=tests/fuzz/work --exclude=tests/fuzz/build -cf - tests | tar -C "$ROOT/src" -xf - ||
	die "copy tests/ into the root failed"
[ -d "${top_builddir:-$SRCDIR}/tests/bin" ] && cp -a "${top_builddir:-$SRCDIR}/tests/bin/." "$ROOT/src/tests/bin/"
printf '%s\n' "${TESTS[@]}" >"$ROOT/src/tests-to-run"
printf '%s\n' "${FILTER[@]}" >"$ROOT/src/bats-filter"
echo "${BATS_TEST_TIMEOUT:-300}" >"$ROOT/src/bats-timeout"
IMG=$WORK/systemd.img
rm -f "$IMG"
mkfs.ext4 -q -F -L mkrun-vm -d "$ROOT" "$IMG" 4G >&2 || die "mkfs.ext4 -d failed"
T2=$(date +%s.%N)
log "image ready: root built or cached in $(elapsed "$T0" "$T1") s, disk in $(elapsed "$T1" "$T2") s"

CONSOLE=$WORK/systemd-console.log
TAPOUT=$WORK/systemd-tap.out
: >"$CONSOLE"
: >"$TAPOUT"
TAIL_PID=
if [ "${VM_VERBOSE:-0}" = 1 ]; then
	tail -f "$CONSOLE" >&2 &
	TAIL_PID=$!
fi
log "booting (qemu tcg, $(basename "$VMLINUZ"), systemd, ${VM_SMP} cpus, ${VM_MEM} MiB, timeout ${VM_TIMEOUT}s): ${TESTS[*]}"
timeout --kill-after=10 "$VM_TIMEOUT" qemu-system-x86_64 \
	-accel tcg -cpu max -smp "$VM_SMP" -m "$VM_MEM" \
	-nodefaults -no-user-config -display none -no-reboot \
	-kernel "$VMLINUZ" -initrd "$INITRD" \
	-drive "file=$IMG,if=virtio,format=raw" \
	-append "root=/dev/vda rw console=ttyS0 panic=-1 quiet loglevel=4 systemd.unified_cgroup_hierarchy=1 systemd.show_status=0 tsc=reliable" \
	-serial "file:$CONSOLE" -serial "file:$TAPOUT" </dev/null >&2
QRC=$?
[ -n "$TAIL_PID" ] && kill "$TAIL_PID" 2>/dev/null
T3=$(date +%s.%N)
rm -f "$IMG"
log "qemu exited ($QRC) after $(elapsed "$T2" "$T3") s"

vm_report "$TAPOUT" "$CONSOLE" "$QRC"
