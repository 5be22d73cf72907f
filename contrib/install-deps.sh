#!/bin/bash
# install-deps.sh [--always] [--bench]: install, as root on Debian 12, what
# building mkrun and running its whole test suite need (`make check`: bats on
# this host, the cgroup v2 VM, and the engine suite: Podman, containerd + CRI,
# Docker, Slurm; `make fuzz`: clang and its libFuzzer/sanitizer runtimes).
# Only missing packages are installed, unless --always.
# --bench adds the tools the benchmarks compare with (crun, runc for
# `make bench`; bubblewrap, firejail for `make bench-apps`): not needed by
# the tests, so not by default; the benchmarks skip a missing one.
# Used by contrib/quickstart.sh and .ci/run.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PKGS=(
	build-essential autoconf automake pkg-config
	libyajl-dev libyaml-dev libseccomp-dev libcap-dev libbpf-dev libmnl-dev libsystemd-dev
	bats jq busybox-static cpio qemu-system-x86 util-linux
	# runc's integration suite (tests/runc-compat): its helpers use gawk
	gawk
	# make fuzz (tests/fuzz/) and the sanitizer build in .ci/run: clang with
	# libFuzzer and the sanitizer runtimes (clang's UBSan reports to log_path)
	clang libclang-rt-14-dev
	# the engine suite (tests/engines/)
	podman conmon catatonit slirp4netns uidmap containerd docker.io tini iptables
	# the systemd VM (tests/vm/systemd.sh): its Debian root
	mmdebstrap e2fsprogs
	containernetworking-plugins slurm-wlm munge dpkg-dev iproute2
)
always=0
for a in "$@"; do
	case "$a" in
	--always) always=1 ;;
	--bench) PKGS+=(crun runc bubblewrap firejail) ;;
	*)
		echo "usage: $0 [--always] [--bench]" >&2
		exit 2
		;;
	esac
done
# Node.js and npm for the CRI client: the machine's own if it has them.
command -v npm >/dev/null || PKGS+=(nodejs npm)

# apt runs its helpers as _apt, which must be able to write /dev/null (some
# fresh machines come with 0644): restore the standard mode.
if [ "$(stat -c %a /dev/null)" != 666 ]; then
	echo "install-deps: /dev/null has mode $(stat -c %a /dev/null); setting the standard 0666"
	chmod 0666 /dev/null
fi

missing=()
for p in "${PKGS[@]}"; do
	if [ "$always" = 1 ] ||
		! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The CRI test reads the CRI API from containerd's Debian source package:
# deb-src entries mirroring the configured deb ones.
if ! apt-cache showsrc containerd 2>/dev/null | grep '^Package: containerd' >/dev/null; then
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		case "$f" in *mkrun-src.sources) continue ;; esac
		grep -q '^Types:.*deb-src' "$f" && continue
		sed 's/^Types: deb$/Types: deb-src/' "$f"
		echo
	done >/etc/apt/sources.list.d/mkrun-src.sources
	if [ -f /etc/apt/sources.list ]; then
		sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list >/etc/apt/sources.list.d/mkrun-src.list
	fi
	apt-get update -q
fi
