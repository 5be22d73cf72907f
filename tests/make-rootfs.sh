#!/bin/bash
# make-rootfs.sh DIR: a busybox-static root filesystem in DIR (created): the
# applets as symlinks, /sbin and /usr/{bin,sbin} pointing at /bin, a minimal
# /etc/passwd, /etc/group and /etc/hostname.  Used by tests/bats/helpers.bash
# and tests/engines/common.bash.  BUSYBOX names the binary (default /bin/busybox).
set -eu
dir=$1
busybox=${BUSYBOX:-/bin/busybox}
mkdir -p "$dir"/{bin,dev,etc,proc,sys,tmp,root,run,var,home,usr}
chmod 1777 "$dir/tmp"
cp "$busybox" "$dir/bin/busybox"
for a in $("$busybox" --list); do
	[ -e "$dir/bin/$a" ] || ln -s busybox "$dir/bin/$a"
done
ln -sfn bin "$dir/sbin"
ln -sfn ../bin "$dir/usr/bin"
ln -sfn ../bin "$dir/usr/sbin"
cat >"$dir/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$dir/etc/group" <<GROUP
root:x:0:
nogroup:x:65534:
GROUP
echo mkrun-test >"$dir/etc/hostname"
