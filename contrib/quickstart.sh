#!/bin/bash
# Quick start on a fresh Debian 12 machine, as root: install what is missing,
# build and install mkrun, then run the hello example through the app front
# end (no image: a YAML and a program) and a busybox container made with
# `mkrun spec` (an OCI bundle).
set -euo pipefail
cd "$(dirname "$0")/.."
./contrib/install-deps.sh
./autogen.sh >/dev/null
./configure -q
make -j"$(nproc)" >/dev/null
make install >/dev/null

# The main example: examples/hello, as its README says.
make -s -C examples hello/hello
(cd examples/hello && mkrun -e ./hello --config hello_config.yaml)

# An OCI bundle: busybox, its config from `mkrun spec`.
bundle=$(mktemp -d /tmp/mkrun-example.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in $("$bundle/rootfs/bin/busybox" --list); do
	[ -e "$bundle/rootfs/bin/$applet" ] || ln -s busybox "$bundle/rootfs/bin/$applet"
done
(cd "$bundle" && mkrun spec)
jq '.process.terminal = false
  | .process.args = ["sh", "-c", "echo \"Hello from a mkrun container: hostname $(hostname), I am pid $$, uid $(id -u)\"; echo \"my cgroup: $(head -n1 /proc/self/cgroup)\""]' \
	"$bundle/config.json" >"$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"
mkrun run --bundle "$bundle" "example-$$"
