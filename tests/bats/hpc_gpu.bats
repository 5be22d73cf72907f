#!/usr/bin/env bats
# org.mkrun.hpc.gpus: NVIDIA GPUs from the host.  No GPU needed: the unit test
# (tests/bin/gpu_test, from tests/unit/gpu_test.c) and the containers here
# read a fake host tree that MKRUN_HPC_GPU_ROOT points at (/proc/driver/nvidia,
# /proc/devices, /dev, libraries, nvidia-smi as a script, GSP firmware).  On
# this host no driver has major 195, so opening an allowed /dev/nvidiaN gives
# ENXIO and a denied one EPERM: that is how the device rules are observed from
# inside.  Ids (gpu*) and cgroup paths are this file's own: other suites may
# run at the same time.

load helpers

GPU_TEST="${top_builddir:-$BATS_TEST_DIRNAME/../..}/tests/bin/gpu_test"
A=org.mkrun.hpc.gpus
V=535.104.05
UUID0=GPU-0a1b2c3d-0000-1111-2222-333344445555 # 0000:06:00.0, minor 1
UUID1=GPU-9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff # 0000:81:00.0, minor 0
LIBDIR=/usr/lib/$(uname -m)-linux-gnu
ENXIO="No such device or address"
EPERM="Operation not permitted"

# gpu_info DIR BUS UUID MINOR
gpu_info() {
	mkdir -p "$1/proc/driver/nvidia/gpus/$2"
	printf 'Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 40\nGPU UUID: \t %s\nVideo BIOS: \t 96.00.30.00.01\nBus Type: \t PCIe\nDMA Size: \t 47 bits\nDMA Mask: \t 0x7fffffffffff\nBus Location: \t %s\nDevice Minor: \t %s\nGPU Excluded:\t No\n' \
		"$3" "$2" "$4" >"$1/proc/driver/nvidia/gpus/$2/information"
}

# fake_tree DIR: two GPUs listed out of bus order, minors the other way round.
fake_tree() {
	local d=$1
	gpu_info "$d" 0000:81:00.0 "$UUID1" 0
	gpu_info "$d" 0000:06:00.0 "$UUID0" 1
	echo "NVRM version: NVIDIA UNIX x86_64 Kernel Module  $V  Sat Aug 19 01:13:37 UTC 2023" >"$d/proc/driver/nvidia/version"
	printf 'Character devices:\n  1 mem\n195 nvidia\n511 nvidia-uvm\n\nBlock devices:\n  7 loop\n' >"$d/proc/devices"
	mkdir -p "$d/dev" "$d$LIBDIR" "$d/usr/bin" "$d/lib/firmware/nvidia/$V"
	touch "$d/dev/nvidia0" "$d/dev/nvidia1" "$d/dev/nvidiactl" "$d/dev/nvidia-uvm" "$d/dev/nvidia-uvm-tools"
	mknod "$d/dev/nvidia-modeset" c 195 254 # a real node: its own numbers
	echo "fake libcuda $V" >"$d$LIBDIR/libcuda.so.$V"
	ln -s "libcuda.so.$V" "$d$LIBDIR/libcuda.so.1"
	ln -s libcuda.so.1 "$d$LIBDIR/libcuda.so"
	echo "fake nvml $V" >"$d$LIBDIR/libnvidia-ml.so.$V"
	ln -s "libnvidia-ml.so.$V" "$d$LIBDIR/libnvidia-ml.so.1"
	echo "old" >"$d$LIBDIR/libcuda.so.470.57.02"
	printf '#!/bin/sh\necho "fake nvidia-smi: $NVIDIA_VISIBLE_DEVICES"\n' >"$d/usr/bin/nvidia-smi"
	chmod 755 "$d/usr/bin/nvidia-smi"
	echo gsp >"$d/lib/firmware/nvidia/$V/gsp_ga10x.bin"
}

setup() {
	requires root
	[[ "$MKRUN" == *runc ]] && skip "mkrun's own annotation"
	FAKE="$BATS_TEST_TMPDIR/fake-host"
	mkdir -p "$FAKE"
	fake_tree "$FAKE"
	export MKRUN_HPC_GPU_ROOT="$FAKE"
	setup_busybox
	CGREL="mkrun-gpu-$$-$BATS_TEST_NUMBER"
	update_config '.linux.cgroupsPath = "'"$CGREL"'"'
}

teardown() {
	unset MKRUN_HPC_GPU_ROOT
	teardown_busybox
}

# gpus VALUE SCRIPT: the annotation, and sh -c SCRIPT as the process.
gpus() {
	update_config --arg v "$1" --arg s "$2" '.annotations["'$A'"] = $v | .process.args = ["sh", "-c", $s]'
}

# Inside: each /dev/nvidia* as "PATH MAJOR:MINOR (hex) MODE", and whether the
# device cgroup lets it be opened (ENXIO: allowed, no driver on this host).
LIST_DEVS='for f in /dev/nvidia*; do echo "$f $(stat -c "%t:%T %a" $f) $(head -c0 $f 2>&1 | sed "s/.*: //")"; done'

@test "hpc gpu: unit test of discovery and selection on a fake tree" {
	[ -x "$GPU_TEST" ] || fail "$GPU_TEST not built (run make)"
	run "$GPU_TEST"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"all passed"* ]]
}

@test "hpc gpu: features lists the annotation" {
	mkrun features | jq -e '.annotations["org.mkrun.hpc.gpus"]'
}

@test "hpc gpu: all: every GPU's node and the control devices, allowed, mode 0666" {
	gpus all "$LIST_DEVS"
	run mkrun run gpu1 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/dev/nvidia-modeset c3:fe 666 $ENXIO" ]
	[ "${lines[1]}" = "/dev/nvidia-uvm 1ff:0 666 $ENXIO" ]
	[ "${lines[2]}" = "/dev/nvidia-uvm-tools 1ff:1 666 $ENXIO" ]
	[ "${lines[3]}" = "/dev/nvidia0 c3:0 666 $ENXIO" ]
	[ "${lines[4]}" = "/dev/nvidia1 c3:1 666 $ENXIO" ]
	[ "${lines[5]}" = "/dev/nvidiactl c3:ff 666 $ENXIO" ]
	[ "${#lines[@]}" -eq 6 ]
}

@test "hpc gpu: index 1 (PCI order): only that GPU's node; another is denied by the cgroup" {
	# Index 1 is bus 0000:81:00.0, whose minor is 0.  CAP_MKNOD to make
	# GPU 0's node by hand: the cgroup still refuses to open it.
	update_config '.process.capabilities[] += ["CAP_MKNOD"]'
	gpus 1 "$LIST_DEVS; mknod /dev/nvidia1 c 195 1; head -c0 /dev/nvidia1"
	run mkrun run gpu2 </dev/null
	echo "$output"
	[ "$status" -ne 0 ] # the last head
	[[ "$output" == *"/dev/nvidia0 c3:0 666 $ENXIO"* ]]
	[[ "$output" == *"/dev/nvidiactl c3:ff 666 $ENXIO"* ]]
	[[ "$output" != *"/dev/nvidia1 c3:1"* ]]
	[[ "${lines[-1]}" == *"/dev/nvidia1: $EPERM" ]]
}

@test "hpc gpu: environment: NVIDIA_VISIBLE_DEVICES = host UUIDs, CUDA_VISIBLE_DEVICES = 0..n-1" {
	update_config '.process.env += ["NVIDIA_VISIBLE_DEVICES=all"]'
	gpus "$UUID1,0" 'echo "N=$NVIDIA_VISIBLE_DEVICES C=$CUDA_VISIBLE_DEVICES O=$CUDA_DEVICE_ORDER"'
	run mkrun run gpu3 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "N=$UUID0,$UUID1 C=0,1 O=PCI_BUS_ID" ]

	gpus GPU-9f8e 'echo "N=$NVIDIA_VISIBLE_DEVICES C=$CUDA_VISIBLE_DEVICES"'
	run mkrun run gpu3 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "N=$UUID1 C=0" ]
}

@test "hpc gpu: exec'd processes get the same GPU environment; --env still wins" {
	gpus 1 'sleep 60'
	mkrun_detached run -d gpu4
	[ "$status" -eq 0 ]
	run mkrun exec gpu4 sh -c 'echo "N=$NVIDIA_VISIBLE_DEVICES C=$CUDA_VISIBLE_DEVICES O=$CUDA_DEVICE_ORDER"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "N=$UUID1 C=0 O=PCI_BUS_ID" ]
	run mkrun exec --env CUDA_VISIBLE_DEVICES=none gpu4 sh -c 'echo "N=$NVIDIA_VISIBLE_DEVICES C=$CUDA_VISIBLE_DEVICES"'
	echo "$output"
	[ "$output" = "N=$UUID1 C=none" ]
	mkrun delete --force gpu4
}

@test "hpc gpu: hpc status shows the GPUs a container holds, until delete" {
	export MKRUN_HPC_STATE="$BATS_TEST_TMPDIR/hpc-registry"
	gpus "$UUID1" 'sleep 60'
	mkrun_detached run -d gpu5
	[ "$status" -eq 0 ]
	run mkrun hpc status --json
	echo "$output"
	[ "$(jq -r '.[] | select(.id == "gpu5") | .gpus' <<<"$output")" = "$UUID1" ]
	run mkrun hpc status
	echo "$output"
	[[ "${lines[1]}" == gpu5\ *" - "*"$UUID1" ]]
	mkrun delete --force gpu5
	run mkrun hpc status --json
	[ "$(jq length <<<"$output")" -eq 0 ]
}

@test "hpc gpu: libraries, nvidia-smi and firmware bound read-only at their host paths" {
	gpus 0 "ls $LIBDIR; cat $LIBDIR/libcuda.so.1 $LIBDIR/libnvidia-ml.so.1 /lib/firmware/nvidia/$V/gsp_ga10x.bin;
		/usr/bin/nvidia-smi;
		grep -E ' ($LIBDIR/libcuda.so.1|/bin/nvidia-smi) ' /proc/self/mountinfo | cut -d' ' -f5,6;
		echo x >$LIBDIR/libcuda.so.1 || echo refused"
	run mkrun run gpu4 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	# The driver's versioned files and sonames, not the dev link nor another version.
	[ "${lines[0]}" = "libcuda.so.1" ]
	[ "${lines[1]}" = "libcuda.so.$V" ]
	[ "${lines[2]}" = "libnvidia-ml.so.1" ]
	[ "${lines[3]}" = "libnvidia-ml.so.$V" ]
	[ "${lines[4]}" = "fake libcuda $V" ]
	[ "${lines[5]}" = "fake nvml $V" ]
	[ "${lines[6]}" = "gsp" ]
	[ "${lines[7]}" = "fake nvidia-smi: $UUID0" ]
	[[ "$output" == *"$LIBDIR/libcuda.so.1 ro,nosuid,nodev"* ]]
	# (busybox's /usr/bin is a link to /bin)
	[[ "$output" == *"/bin/nvidia-smi ro,nosuid,nodev"* ]]
	[[ "$output" == *"Read-only file system"* ]]
	[ "${lines[-1]}" = "refused" ]
	# Bound, not copied: the host file is the one the container reads.
	echo "changed" >"$FAKE$LIBDIR/libcuda.so.$V"
	update_config '.process.args = ["cat", "'"$LIBDIR"'/libcuda.so.1"]'
	run mkrun run gpu4 </dev/null
	[ "$output" = "changed" ]
}

@test "hpc gpu: the device cgroup allows the GPU devices (v1 devices.list)" {
	requires cgroups_v1
	gpus 1 "sleep 100"
	mkrun run -d gpu5 </dev/null >/dev/null 2>&1
	local list
	list="$(get_cgroup_path gpu5 devices)/devices.list"
	cat "$list"
	grep -qx 'c 195:0 rwm' "$list"
	grep -qx 'c 195:255 rwm' "$list"
	grep -qx 'c 195:254 rwm' "$list"
	grep -qx 'c 511:0 rwm' "$list"
	grep -qx 'c 511:1 rwm' "$list"
	! grep -q '^c 195:1 ' "$list"
	! grep -qx 'a \*:\* rwm' "$list"
	mkrun delete -f gpu5
}

# fails_cleanly ID MESSAGE: "mkrun run ID" exits 1 with the one line
# "mkrun: run ID: MESSAGE" and leaves no container, state dir or cgroup.
fails_cleanly() {
	run mkrun run "$1" </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "mkrun: run $1: $2" ]
	[ -z "$(mkrun list -q)" ]
	[ ! -e "$ROOT/$1" ]
	local d
	for d in /sys/fs/cgroup/*/"$CGREL" /sys/fs/cgroup/"$CGREL"; do
		[ ! -e "$d" ] || fail "left $d"
	done
}

@test "hpc gpu: errors: unknown index, unknown UUID, bad value, listed twice" {
	gpus 5 true
	fails_cleanly gpu6 "$A: no GPU with index 5 (this host has 2: 0 to 1)"
	gpus GPU-ffff true
	fails_cleanly gpu6 "$A: no GPU with UUID \`GPU-ffff\` on this host"
	gpus "first;second" true
	fails_cleanly gpu6 "$A: \`first;second\` is neither a GPU index nor a UUID (want \`all\`, or indices and/or UUIDs separated by commas)"
	gpus "" true
	fails_cleanly gpu6 "$A: empty value (want \`all\`, or GPU indices and/or UUIDs separated by commas)"
	gpus "1,$UUID1" true
	fails_cleanly gpu6 "$A: GPU 1 ($UUID1) is listed twice"
}

@test "hpc gpu: errors: no GPU on the host (an empty tree; this host itself)" {
	export MKRUN_HPC_GPU_ROOT="$BATS_TEST_TMPDIR/empty-host"
	mkdir -p "$MKRUN_HPC_GPU_ROOT"
	gpus all true
	fails_cleanly gpu7 "$A: no NVIDIA GPU on this host (/proc/driver/nvidia/gpus is empty or missing)"
	mkdir -p "$MKRUN_HPC_GPU_ROOT/proc/driver/nvidia/gpus"
	fails_cleanly gpu7 "$A: no NVIDIA GPU on this host (/proc/driver/nvidia/gpus is empty or missing)"
	unset MKRUN_HPC_GPU_ROOT
	if compgen -G "/proc/driver/nvidia/gpus/*" >/dev/null; then
		return 0 # this host has GPUs: the fake trees above stand for the case
	fi
	fails_cleanly gpu7 "$A: no NVIDIA GPU on this host (/proc/driver/nvidia/gpus is empty or missing)"
}
