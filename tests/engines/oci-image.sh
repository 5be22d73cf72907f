#!/bin/bash
# oci-image.sh OUT.tar NAME[:TAG] [ARGS...]: an OCI image archive (oci-layout,
# index.json, blobs/sha256/...) of the busybox-static root filesystem, one
# layer, with ARGS as its Cmd (default /bin/sh).  No registry involved: what
# "ctr image import", "podman load" and "docker load" take.  The index names
# the image with org.opencontainers.image.ref.name (TAG) and
# io.containerd.image.name (NAME:TAG, as containerd and Docker expect).
set -eu
out=$1 ref=$2
shift 2
[ $# -gt 0 ] || set -- /bin/sh
case "$ref" in *:*) ;; *) ref=$ref:latest ;; esac
name=${ref%:*} tag=${ref##*:}
case "$name" in */*) full=$name ;; *) full=docker.io/library/$name ;; esac
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/oci-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$here/../make-rootfs.sh" "$work/rootfs"
mkdir -p "$work/img/blobs/sha256"
blob() { # blob FILE: move FILE into blobs/, print its digest
	local d
	d=$(sha256sum "$1" | cut -d' ' -f1)
	mv "$1" "$work/img/blobs/sha256/$d"
	echo "$d"
}
tar --numeric-owner --sort=name -C "$work/rootfs" -cf "$work/layer.tar" .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n "$work/layer.tar"
layer_size=$(stat -c %s "$work/layer.tar.gz")
layer=$(blob "$work/layer.tar.gz")
jq -cn --arg diff "sha256:$diff_id" --args '{
	architecture: "amd64", os: "linux",
	config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		Cmd: $ARGS.positional, WorkingDir: "/"},
	rootfs: {type: "layers", diff_ids: [$diff]},
	history: [{created_by: "tests/engines/oci-image.sh"}]
}' "$@" >"$work/config.json"
config_size=$(stat -c %s "$work/config.json")
config=$(blob "$work/config.json")
jq -cn --arg c "sha256:$config" --argjson cs "$config_size" \
	--arg l "sha256:$layer" --argjson ls "$layer_size" '{
	schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
	config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
	layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $l, size: $ls}]
}' >"$work/manifest.json"
manifest_size=$(stat -c %s "$work/manifest.json")
manifest=$(blob "$work/manifest.json")
jq -cn --arg m "sha256:$manifest" --argjson ms "$manifest_size" \
	--arg tag "$tag" --arg full "$full:$tag" '{
	schemaVersion: 2,
	manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
		platform: {architecture: "amd64", os: "linux"},
		annotations: {"org.opencontainers.image.ref.name": $tag, "io.containerd.image.name": $full}}]
}' >"$work/img/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/img/oci-layout"
tar --numeric-owner -C "$work/img" -cf "$out" oci-layout index.json blobs
