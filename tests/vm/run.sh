#!/bin/bash
# Run bats files inside a QEMU (TCG) VM booted with a pure cgroup v2 hierarchy.
#
# Usage: tests/vm/run.sh [-f FILTER] [BATS_FILE...]
#   BATS_FILE...  default: $VM_TESTS, or tests/bats/lifecycle.bats tests/bats/cgroups.bats tests/bats/pause_ps.bats tests/bats/exec.bats tests/bats/update_events.bats tests/bats/netfilter.bats tests/bats/hpc.bats tests/bats/hpc_gpu.bats tests/bats/unit.bats
#   -f FILTER     passed to bats (only tests whose name matches)
#
# Environment:
#   MKRUN        runtime to test (default: <repo>/mkrun); copied into the VM as
#                /src/mkrun with its shared libraries.
#   VM_TESTS     space-separated list of bats files (relative to the repo root).
#   VM_WORK      cache dir (default: tests/vm/work): unpacked kernel, initramfs.
#   VM_TIMEOUT   seconds before the VM is killed (default 1500).
#   VM_MEM       guest memory in MiB (default 2048); VM_SMP (default 2).
#   VM_NUMA      NUMA nodes (default 1): the cpus and memory split evenly.
#   VM_KERNEL    stock (default: what linux-image-amd64 depends on) or
#                backports (the newest from the release's -backports suite,
#                fetched through a private apt configuration made from the
#                host's own Debian source: nothing of the host's apt changes).
#   VM_VERBOSE=1 stream the guest console to stderr.
#   VM_ACCEL     QEMU -accel (default tcg); VM_CPU: -cpu (default max); VM_BATS_FLAGS extra bats flags
#                in the guest (e.g. "--timing").
#   VM_APPEND    more kernel parameters (e.g. "lsm=landlock,lockdown,yama": no BPF LSM).
#   BATS_TEST_TIMEOUT  per-test timeout inside the VM (default 300).
#
# Output: the TAP stream of the tests (test names prefixed with "[cgroupv2-vm]")
# on stdout; everything else on stderr.  Exit status: 0 when every test passed.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$HERE/../.." && pwd)
WORK=${VM_WORK:-$HERE/work}
VM_TIMEOUT=${VM_TIMEOUT:-1500}
VM_MEM=${VM_MEM:-2048}
VM_SMP=${VM_SMP:-2}
VM_NUMA=${VM_NUMA:-1}
VM_KERNEL=${VM_KERNEL:-stock}
TAG="[cgroupv2-vm]"
case "$VM_KERNEL" in stock | backports) ;; *) echo "vm: VM_KERNEL: stock or backports" >&2; exit 2 ;; esac
[ "$VM_KERNEL" = stock ] || TAG="[cgroupv2-vm $VM_KERNEL]"

LOG_NAME=vm
# shellcheck source=tests/vm/common.bash
. "$HERE/common.bash"
vm_args 2,28 "${VM_TESTS:-tests/bats/lifecycle.bats tests/bats/cgroups.bats tests/bats/pause_ps.bats tests/bats/exec.bats tests/bats/update_events.bats tests/bats/netfilter.bats tests/bats/hpc.bats tests/bats/hpc_gpu.bats tests/bats/unit.bats}" "$@"
vm_mkrun

[ "$(id -u)" -eq 0 ] || die "must run as root (the tests run containers)"
for t in qemu-system-x86_64 cpio busybox jq bats bash; do
	command -v "$t" >/dev/null || die "missing $t"
done
BUSYBOX=${BUSYBOX:-$(command -v busybox)}
is_elf() { [ "$(head -c4 "$1" 2>/dev/null | tail -c3)" = ELF ]; }
ldd "$BUSYBOX" >/dev/null 2>&1 && die "$BUSYBOX is not static: install busybox-static"

# Tests: paths relative to the repo root; missing ones are dropped with a note.
VM_FILES=()
for t in "${TESTS[@]}"; do
	rel=${t#"$SRCDIR"/}
	if [ -f "$SRCDIR/$rel" ]; then
		VM_FILES+=("$rel")
	else
		log "note: $t does not exist, not run"
	fi
done
if [ ${#VM_FILES[@]} -eq 0 ]; then
	log "no test files to run"
	echo "1..0"
	exit 0
fi

mkdir -p "$WORK"
T0=$(date +%s.%N)

# --------------------------------------------------------------------------
# Kernel: Debian's, unpacked (not installed) into $KDIR.
KDIR=$WORK/kernel
[ "$VM_KERNEL" = stock ] || KDIR=$WORK/kernel-$VM_KERNEL
kernel_ready() {
	KVER=$(ls "$KDIR/lib/modules" 2>/dev/null | head -n1)
	VMLINUZ=$(ls "$KDIR"/boot/vmlinuz-* 2>/dev/null | head -n1)
	[ -n "$KVER" ] && [ -n "$VMLINUZ" ] && [ -f "$KDIR/.unpacked" ]
}
# APT: apt-get/apt-cache options; stock: none.  backports: a private
# configuration (sources, lists, cache under $WORK/apt-backports) whose one
# source is the host's Debian archive with the -backports suite.
APT=()
if [ "$VM_KERNEL" = backports ]; then
	ADIR=$WORK/apt-backports
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(TARGET_OF)' 2>/dev/null |
		awk -v s="$codename" '$2 == s && $3 == "deb" { print $1; exit }')
	[ -n "$codename" ] && [ -n "$uri" ] || die "no Debian source for $codename in apt's configuration"
	APT=(-o "Dir::Etc::SourceList=$ADIR/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$ADIR/lists" -o "Dir::Cache=$ADIR/cache" -o Debug::NoLocking=1
		-o APT::Sandbox::User=root)
fi
if ! kernel_ready; then
	if [ "$VM_KERNEL" = backports ]; then
		mkdir -p "$ADIR/lists/partial" "$ADIR/cache/archives/partial"
		echo "deb $uri $codename-backports main" >"$ADIR/sources.list"
		apt-get "${APT[@]}" -q update >&2 || die "apt-get update ($codename-backports) failed"
	fi
	pkg=$(apt-cache "${APT[@]}" depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
	[ -n "$pkg" ] || die "cannot resolve the kernel package (apt-cache depends linux-image-amd64)"
	log "downloading $pkg"
	deb=$(ls "$WORK/${pkg}"_*.deb 2>/dev/null | head -n1)
	if [ -z "$deb" ]; then
		(cd "$WORK" && apt-get "${APT[@]}" download "$pkg" >&2 2>/dev/null) ||
			(cd "$WORK" && apt-get "${APT[@]}" download "$pkg" >&2) || die "apt-get download $pkg failed"
		deb=$(ls "$WORK/${pkg}"_*.deb | head -n1)
	fi
	rm -rf "$KDIR"
	dpkg -x "$deb" "$KDIR" || die "dpkg -x $deb failed"
	touch "$KDIR/.unpacked"
	rm -f "$deb"
	kernel_ready || die "no kernel in $deb"
fi
MODDIR=$KDIR/lib/modules/$KVER

# --------------------------------------------------------------------------
# Initramfs
STAGE=$WORK/initramfs
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,root,src,newroot,lib/modules,var/tmp}
chmod 1777 "$STAGE/tmp" "$STAGE/var/tmp"

# busybox-static: every applet in /bin (host binaries in /usr/bin win in PATH)
cp "$BUSYBOX" "$STAGE/bin/busybox"
for a in $("$BUSYBOX" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$STAGE/bin/$a"
done

declare -A COPIED=()
copy_file() { # copy_file HOST_PATH [DEST_PATH]
	local src=$1 dst=${2:-$1}
	[ -n "${COPIED[$dst]:-}" ] && return 0
	COPIED[$dst]=1
	mkdir -p "$STAGE$(dirname "$dst")"
	cp -L "$src" "$STAGE$dst"
}
copy_elf() { # copy_elf HOST_PATH [DEST_PATH]: the file and its ldd closure
	local src=$1 dst=${2:-$1} lib
	copy_file "$src" "$dst" || return 1
	# "libx.so => /lib/.../libx.so (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
	for lib in $(ldd "$src" 2>/dev/null | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}'); do
		copy_file "$lib"
		# keep the real file's name too (symlinked sonames)
		local real
		real=$(readlink -f "$lib")
		[ "$real" = "$lib" ] || copy_file "$real"
	done
}
copy_bin() { # copy_bin NAME: from PATH into /usr/bin, skipping missing ones
	local p
	p=$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v "$1") || return 0
	[ -f "$p" ] || return 0
	if is_elf "$p"; then
		copy_elf "$p" "/usr/bin/$1"
	else
		copy_file "$p" "/usr/bin/$1"
	fi
}

# bash and the userland the tests use: GNU coreutils, grep, sed, awk,
# findutils, util-linux bits, jq, procps, iproute2 (where installed).
copy_bin bash
ln -sf ../usr/bin/bash "$STAGE/bin/bash"
ln -sf bash "$STAGE/bin/sh.bash"
for b in $(dpkg -L coreutils 2>/dev/null | grep -E '^/(usr/)?bin/' | xargs -n1 basename 2>/dev/null); do
	copy_bin "$b"
done
for b in grep egrep fgrep sed mawk gawk find xargs jq diff cmp \
	unshare nsenter setpriv flock getopt setsid mount umount findmnt lsns \
	ps pgrep pkill kill pidof ip tar gzip strace script; do
	copy_bin "$b"
done
[ -e "$STAGE/usr/bin/awk" ] || { [ -e "$STAGE/usr/bin/mawk" ] && ln -s mawk "$STAGE/usr/bin/awk"; }
[ -e "$STAGE/usr/bin/awk" ] || { [ -e "$STAGE/usr/bin/gawk" ] && ln -s gawk "$STAGE/usr/bin/awk"; }
# busybox's mount/umount handle everything init needs; keep util-linux's for tests
[ -e /etc/ld.so.cache ] && cp /etc/ld.so.cache "$STAGE/etc/"

# bats (Debian: /usr/bin/bats, /usr/lib/bats-core, /usr/libexec/bats-core)
BATS=$(readlink -f "$(command -v bats)")
BATS_PREFIX=$(dirname "$(dirname "$BATS")")
copy_file "$BATS" "/usr/bin/bats"
for d in "$BATS_PREFIX/lib/bats-core" "$BATS_PREFIX/libexec/bats-core"; do
	[ -d "$d" ] && mkdir -p "$STAGE$d" && cp -a "$d/." "$STAGE$d/"
done

# The runtime under test, plus busybox for the test rootfs.
copy_elf "$MKRUN" /src/mkrun
mkdir -p "$STAGE/usr/local/bin"
ln -sf /src/mkrun "$STAGE/usr/local/bin/mkrun"

# The repo's tests/ directory (without this cache).
tar -C "$SRCDIR" --exclude=tests/vm/work --exclude='*.log' --exclude='*.trs' -cf - tests |
	tar -C "$STAGE/src" -xf -

# Kernel modules the tests may need (none of these has dependencies; kept
# uncompressed by Debian 12's kernel package).
for m in fs/overlayfs/overlay.ko drivers/net/veth.ko drivers/block/loop.ko; do
	for f in "$MODDIR/kernel/$m" "$MODDIR/kernel/$m.xz" "$MODDIR/kernel/$m.zst"; do
		[ -f "$f" ] || continue
		case "$f" in
		*.xz) xz -dc "$f" >"$STAGE/lib/modules/$(basename "$m")" ;;
		*.zst) zstd -dc "$f" >"$STAGE/lib/modules/$(basename "$m")" ;;
		*) cp "$f" "$STAGE/lib/modules/" ;;
		esac
	done
done

cat >"$STAGE/etc/passwd" <<EOF
root:x:0:0:root:/root:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$STAGE/etc/group" <<EOF
root:x:0:
nogroup:x:65534:
EOF
echo mkrun-vm >"$STAGE/etc/hostname"
: >"$STAGE/etc/fstab"

# Parameters for the guest.
{
	printf 'VM_FILES=('
	printf '%q ' "${VM_FILES[@]}"
	printf ')\n'
	printf 'FILTER=('
	printf '%q ' "${FILTER[@]}"
	printf ')\n'
	printf 'BATS_TEST_TIMEOUT=%q\n' "${BATS_TEST_TIMEOUT:-300}"
	printf 'BATS_FLAGS=(%s)\n' "${VM_BATS_FLAGS:-}"
} >"$STAGE/src/vm-params.sh"

cp "$HERE/init" "$STAGE/init"
chmod 755 "$STAGE/init"

INITRD=$WORK/initramfs.cpio
(cd "$STAGE" && find . -print0 | cpio --null -o -H newc --quiet) >"$INITRD" || die "cpio failed"
T1=$(date +%s.%N)
log "initramfs: $(du -m "$INITRD" | cut -f1) MiB, built in $(elapsed "$T0" "$T1") s; kernel $KVER"

# --------------------------------------------------------------------------
# Boot
CONSOLE=$WORK/console.log
TAPOUT=$WORK/tap.out
: >"$CONSOLE"
: >"$TAPOUT"
TAIL_PID=
if [ "${VM_VERBOSE:-0}" = 1 ]; then
	tail -f "$CONSOLE" >&2 &
	TAIL_PID=$!
fi

# NUMA: VM_NUMA nodes, each with its share of the cpus and memory.
NUMA=()
if [ "$VM_NUMA" -gt 1 ]; then
	[ $((VM_SMP % VM_NUMA)) -eq 0 ] && [ $((VM_MEM % VM_NUMA)) -eq 0 ] ||
		die "VM_SMP ($VM_SMP) and VM_MEM ($VM_MEM) must divide by VM_NUMA ($VM_NUMA)"
	per=$((VM_SMP / VM_NUMA))
	for ((n = 0; n < VM_NUMA; n++)); do
		NUMA+=(-object "memory-backend-ram,id=m$n,size=$((VM_MEM / VM_NUMA))M"
			-numa "node,nodeid=$n,cpus=$((n * per))-$((n * per + per - 1)),memdev=m$n")
	done
fi

log "booting (qemu tcg, kernel $KVER, ${VM_SMP} cpus, ${VM_NUMA} node(s), ${VM_MEM} MiB, timeout ${VM_TIMEOUT}s): ${VM_FILES[*]}"
timeout --kill-after=10 "$VM_TIMEOUT" qemu-system-x86_64 \
	-accel "${VM_ACCEL:-tcg}" -cpu "${VM_CPU:-max}" -smp "$VM_SMP" -m "$VM_MEM" "${NUMA[@]}" \
	-nodefaults -no-user-config -display none -no-reboot \
	-kernel "$VMLINUZ" -initrd "$INITRD" \
	-append "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=4 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 hugepagesz=2M hugepages=16 tsc=reliable ${VM_APPEND:-}" \
	-serial "file:$CONSOLE" -serial "file:$TAPOUT" </dev/null >&2
QRC=$?
[ -n "$TAIL_PID" ] && kill "$TAIL_PID" 2>/dev/null
T2=$(date +%s.%N)

BOOT=$(sed -n 's/\r$//; s/^MKRUN-VM: boot-done uptime=\([0-9.]*\).*/\1/p' "$CONSOLE" | head -n1)
log "qemu exited ($QRC) after $(elapsed "$T1" "$T2") s; guest init reached after ${BOOT:-?} s of guest uptime"

# Guest-side facts (controllers) go to stderr; the TAP to stdout.
vm_report "$TAPOUT" "$CONSOLE" "$QRC"
