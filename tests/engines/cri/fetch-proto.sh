#!/bin/bash
# fetch-proto.sh DEST: the CRI API (k8s.io/cri-api runtime.v1 api.proto) that
# Debian's containerd was built with, written to DEST.  Taken from containerd's
# source package ("apt-get source --download-only containerd" in a temp dir,
# so deb-src must be configured), not committed to this repository.
#
# The proto imports gogo protobuf's options (gogo.proto) for Go code
# generation only; they change nothing on the wire, so the import and the
# "option (gogoproto.*)" lines are stripped and the file stands alone.
set -eu
dest=${1:?usage: fetch-proto.sh DEST}
member=vendor/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto

die() {
	echo "fetch-proto.sh: $*" >&2
	exit 1
}

command -v apt-get >/dev/null || die "apt-get not found (a Debian host is needed)"
# No deb-src line for containerd: showsrc prints nothing.
if ! apt-cache showsrc containerd 2>/dev/null | grep -q '^Package: containerd'; then
	die "no source package for containerd: configure deb-src (e.g. a 'Types: deb-src' entry in /etc/apt/sources.list.d/debian.sources) and run apt-get update"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cri-proto.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source --download-only -q containerd >download.log 2>&1) ||
	die "apt-get source --download-only containerd failed: $(tail -3 "$work/download.log")"
orig=$(find "$work" -maxdepth 1 -name 'containerd_*.orig.tar.*' | head -1)
[ -n "$orig" ] || die "no containerd_*.orig.tar.* downloaded"
# The tarball's top directory is containerd-VERSION/.
tar -C "$work" -xf "$orig" --wildcards "*/$member" ||
	die "$member not found in $(basename "$orig")"
src=$(find "$work" -path "*/$member" | head -1)
grep -q '^package runtime.v1;' "$src" || die "$member: not the runtime.v1 API"
sed -e '/^import "github.com\/gogo\/protobuf\/gogoproto\/gogo.proto";/d' \
	-e '/^option (gogoproto\./d' "$src" >"$dest.tmp"
! grep -q gogoproto "$dest.tmp" || die "$member: gogoproto options left after stripping"
mv "$dest.tmp" "$dest"
