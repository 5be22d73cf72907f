#!/bin/bash
# In the systemd VM (tests/vm/systemd.sh): runs the bats files listed in
# /src/tests-to-run and writes the TAP, between markers, to the second
# serial port; the unit powers the VM off after.
set -u
{
	echo "MKRUN-VM-INFO: $(systemctl --version | head -n1), $(uname -r), cgroup $(stat -f -c %T /sys/fs/cgroup): $(cat /sys/fs/cgroup/cgroup.controllers), state $(systemctl is-system-running)"
	cd /src || exit 1
	mapfile -t files </src/tests-to-run
	mapfile -t filter </src/bats-filter
	export MKRUN=/src/mkrun BATS_TEST_TIMEOUT
	BATS_TEST_TIMEOUT=$(cat /src/bats-timeout)
	echo "=== MKRUN-VM-TAP-BEGIN"
	bats --tap "${filter[@]}" "${files[@]}" </dev/null 2>&1
	echo "=== MKRUN-VM-TAP-END rc=$?"
} >/dev/ttyS1 2>&1
