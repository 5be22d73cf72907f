#!/usr/bin/env bats
# The HPC profile (org.mkrun.hpc.* annotations): cores, huge pages, NUMA,
# THP, real-time scheduling, `mkrun hpc status`; observed inside the
# container, in its cgroup, in the kernel's page pool and in the other
# containers mkrun runs.  The registry is the test's own (MKRUN_HPC_STATE).

load helpers

setup() {
	requires root
	setup_busybox
	export MKRUN_HPC_STATE="$BATS_TEST_TMPDIR/hpc-registry"
	POOL=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
}

teardown() {
	teardown_busybox
	rm -rf "$BATS_TEST_TMPDIR/other"
}

# annotate KEY=VALUE...: sets the bundle's annotations.
annotate() {
	local kv filter='.annotations = {}'
	for kv in "$@"; do
		filter="$filter | .annotations[\"${kv%%=*}\"] = \"${kv#*=}\""
	done
	update_config "$filter"
}

# other_bundle ARGS_JSON: a second bundle ($BATS_TEST_TMPDIR/other) running ARGS, no profile.
other_bundle() {
	mkdir -p "$BATS_TEST_TMPDIR/other"
	cp -a "$BUNDLE/rootfs" "$BATS_TEST_TMPDIR/other/rootfs"
	jq --argjson a "$1" '.process.args = $a | .annotations = {}' "$BUNDLE/config.json" \
		>"$BATS_TEST_TMPDIR/other/config.json"
}

# allowed PID: its Cpus_allowed_list.
allowed() {
	awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$1/status"
}

# v2_dir PID: the host directory of PID's cgroup v2.
v2_dir() {
	echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$1/cgroup")"
}

# node_of CPU: the NUMA node of CPU (0 without NUMA information).
node_of() {
	local n
	for n in /sys/devices/system/node/node[0-9]*; do
		[ -d "$n/cpu$1" ] && { echo "${n##*node}"; return; }
	done
	echo 0
}

# run_hpc1: container hpc1 running, holding one core; sets PID, DIR (its
# cgroup v2 directory) and CORE.
run_hpc1() {
	annotate org.mkrun.hpc.cores=1
	update_config '.process.args = ["sleep", "60"]'
	mkrun_detached run -d hpc1
	[ "$status" -eq 0 ] || return 1
	PID=$(mkrun state hpc1 | jq .pid)
	DIR=$(v2_dir "$PID")
	CORE=$(allowed "$PID")
}

needs_v2_cpuset() {
	grep -qsw cpuset /sys/fs/cgroup/cgroup.controllers ||
		skip "needs cgroup v2 with the cpuset controller (the VM)"
}

needs_two_cpus() {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 or more cpus (one always stays for other containers)"
}

@test "hpc: features lists the profile's annotations" {
	run mkrun features
	[ "$status" -eq 0 ]
	local k
	for k in cores hugepages thp numa rt gpus irq; do
		jq -e --arg k "org.mkrun.hpc.$k" '.annotations[$k] == "true"' <<<"$output"
	done
}

@test "hpc: cores: pinned to cores of its own; other containers kept off them, and back after delete" {
	needs_two_cpus
	local all last
	all=$(allowed $$)
	# Before: on a v2 kernel with remote partitions the test's own shell
	# loses the core too.
	last=$(($(nproc) - 1))
	# A container made before the HPC one, and one made while it holds its core.
	other_bundle '["sleep", "60"]'
	mkrun_detached run -d --bundle "$BATS_TEST_TMPDIR/other" nbefore
	[ "$status" -eq 0 ]
	annotate org.mkrun.hpc.cores=1
	update_config '.process.args = ["sleep", "60"]'
	mkrun_detached run -d hpc1
	[ "$status" -eq 0 ]
	local hpid core
	hpid=$(mkrun state hpc1 | jq .pid)
	core=$(allowed "$hpid")
	# One core, not cpu 0 (kept for the host's housekeeping), the highest.
	echo "core $core, last $last"
	[ "$core" = "$last" ]
	grep -qx "$core" "/sys/fs/cgroup/cpuset/mkrun/hpc1/cpuset.cpus" 2>/dev/null ||
		[ "$(cat /sys/fs/cgroup/mkrun/hpc1/cpuset.cpus 2>/dev/null)" = "$core" ]
	# hpc status shows it.
	run mkrun hpc status --json
	echo "$output"
	[ "$(jq -r '.[] | select(.id == "hpc1") | .cores' <<<"$output")" = "$core" ]
	run mkrun hpc status
	[[ "${lines[1]}" == hpc1*"$core"* ]]
	# The earlier container was moved off the core; a new one starts off it.
	local before_pid
	before_pid=$(mkrun state nbefore | jq .pid)
	[[ ",$(allowed "$before_pid")," != *",$core,"* ]]
	[ "$(allowed "$before_pid")" != "$all" ]
	mkrun_detached run -d --bundle "$BATS_TEST_TMPDIR/other" nafter
	[ "$status" -eq 0 ]
	[ "$(allowed "$(mkrun state nafter | jq .pid)")" = "$(allowed "$before_pid")" ]
	# update cannot hand it the core either.
	run mkrun update --cpuset-cpus "$all" nafter
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$output" = "mkrun: update nafter: cpu $core of \`$all\` is held by HPC container \`hpc1\` (see \`mkrun hpc status\`)" ]
	# Delete gives the core back: the others may use it again.
	mkrun delete --force hpc1
	[ "$(allowed "$before_pid")" = "$all" ]
	[ "$(allowed "$(mkrun state nafter | jq .pid)")" = "$all" ]
	run mkrun hpc status --json
	[ "$(jq length <<<"$output")" -eq 0 ]
}

@test "hpc: a container's own cpuset stays its own when narrowed and widened again" {
	needs_two_cpus
	local last=$(($(nproc) - 1)) own
	# Its config names cpu 0 and the last one (the HPC container takes the
	# last); on two cpus only cpu 0, which delete must not widen.
	own="0,$last"
	[ "$last" -gt 1 ] || own=0
	other_bundle '["sleep", "60"]'
	jq --arg c "$own" '.linux.resources.cpu.cpus = $c' "$BATS_TEST_TMPDIR/other/config.json" \
		>"$BATS_TEST_TMPDIR/c.json" && mv "$BATS_TEST_TMPDIR/c.json" "$BATS_TEST_TMPDIR/other/config.json"
	mkrun_detached run -d --bundle "$BATS_TEST_TMPDIR/other" mine
	[ "$status" -eq 0 ]
	local pid
	pid=$(mkrun state mine | jq .pid)
	[ "$(allowed "$pid")" = "$own" ]
	run_hpc1
	[ "$CORE" = "$last" ]
	[ "$(allowed "$pid")" = 0 ]
	mkrun delete --force hpc1
	# Back to its own cpus, not to every cpu.
	[ "$(allowed "$pid")" = "$own" ]
}

@test "hpc: containers created while an HPC container takes its core all end up off it" {
	needs_two_cpus
	other_bundle '["sleep", "60"]'
	annotate org.mkrun.hpc.cores=1
	update_config '.process.args = ["sleep", "60"]'
	local i pid core pids=()
	# The HPC create in the middle of eight plain ones, all at once: a
	# plain one between its check and its state is kept off by its own
	# re-check (or by the HPC container's narrowing, whichever sees the other).
	for i in 1 2 3 4 5 6 7 8; do
		__mkrun run -d --bundle "$BATS_TEST_TMPDIR/other" "race$i" </dev/null >/dev/null 2>&1 &
		pids+=($!)
		if [ "$i" = 4 ]; then
			__mkrun run -d hpc1 </dev/null >"$BATS_TEST_TMPDIR/hpc1.log" 2>&1 &
			pids+=($!)
		fi
	done
	for pid in "${pids[@]}"; do
		wait "$pid"
	done
	cat "$BATS_TEST_TMPDIR/hpc1.log"
	core=$(mkrun hpc status --json | jq -r '.[0].cores')
	[ -n "$core" ] && [ "$core" != null ]
	for i in 1 2 3 4 5 6 7 8; do
		pid=$(mkrun state "race$i" | jq .pid)
		echo "race$i: $(allowed "$pid")"
		[[ ",$(allowed "$pid")," != *",$core,"* ]]
	done
}

@test "hpc: cores: more than are free is refused with a clear error, nothing left" {
	needs_two_cpus
	annotate org.mkrun.hpc.cores="$(nproc)"
	run mkrun run hpc2
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"org.mkrun.hpc.cores: $(nproc) cores asked for, $(($(nproc) - 1)) free"* ]]
	[ -z "$(mkrun list -q)" ]
	[ ! -d "$ROOT/hpc2" ]
	[ -z "$(ls "$MKRUN_HPC_STATE" | grep -v '^lock$')" ]
	# A core list that another HPC container holds.
	annotate org.mkrun.hpc.cores=1
	update_config '.process.args = ["sleep", "60"]'
	mkrun_detached run -d hpc1
	[ "$status" -eq 0 ]
	local core
	core=$(mkrun hpc status --json | jq -r '.[0].cores')
	annotate "org.mkrun.hpc.cores=$core-$core"
	run mkrun run hpc3
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"org.mkrun.hpc.cores: cpu $core of \`$core\` is held by another HPC container"* ]]
	[ ! -d "$ROOT/hpc3" ]
}

@test "hpc: hugepages: reserved, limited by hugetlb, hugetlbfs at /dev/hugepages, given back exactly" {
	needs_two_cpus
	requires hugetlb
	local before
	before=$(cat "$POOL")
	annotate org.mkrun.hpc.cores=1 org.mkrun.hpc.hugepages=2M:8 org.mkrun.hpc.numa=local
	update_config '.process.args = ["sleep", "60"]'
	mkrun_detached run -d hpc1
	[ "$status" -eq 0 ]
	[ "$(cat "$POOL")" -eq $((before + 8)) ]
	run mkrun exec hpc1 sh -c 'grep " /dev/hugepages " /proc/self/mountinfo'
	echo "$output"
	[[ "$output" == *" hugetlbfs "*"pagesize=2M"* ]]
	# The hugetlb limit: the v2 mount on hybrid hosts, v1 or v2 elsewhere.
	local limit
	limit=$(cat /sys/fs/cgroup/unified/mkrun/hpc1/hugetlb.2MB.max 2>/dev/null ||
		cat /sys/fs/cgroup/mkrun/hpc1/hugetlb.2MB.max 2>/dev/null ||
		cat /sys/fs/cgroup/hugetlb/mkrun/hpc1/hugetlb.2MB.limit_in_bytes)
	[ "$limit" -eq $((8 * 2 * 1024 * 1024)) ]
	# numa=local: the cores' node.
	local mems
	mems=$(cat /sys/fs/cgroup/cpuset/mkrun/hpc1/cpuset.mems 2>/dev/null ||
		cat /sys/fs/cgroup/mkrun/hpc1/cpuset.mems)
	[ "$mems" = "$(node_of "$(allowed "$(mkrun state hpc1 | jq .pid)")")" ]
	run mkrun hpc status --json
	[ "$(jq '.[0].hugepages[0].count' <<<"$output")" -eq 8 ]
	mkrun delete --force hpc1
	[ "$(cat "$POOL")" -eq "$before" ]
}

@test "hpc: hugepages the kernel cannot find: one error, the pool as it was, nothing left" {
	needs_two_cpus
	local before
	before=$(cat "$POOL")
	annotate org.mkrun.hpc.cores=1 org.mkrun.hpc.hugepages=2M:100000000
	run mkrun run hpc1
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"org.mkrun.hpc.hugepages: the kernel found "*" of 100000000 free 2MB pages"* ]]
	[ "$(cat "$POOL")" -eq "$before" ]
	[ ! -d "$ROOT/hpc1" ]
	[ -z "$(ls "$MKRUN_HPC_STATE" | grep -v '^lock$')" ]
}

@test "hpc: thp never and rt fifo reach the process; memlock raised as far as allowed" {
	needs_two_cpus
	annotate org.mkrun.hpc.cores=1 org.mkrun.hpc.thp=never org.mkrun.hpc.rt=fifo:10
	update_config '.process.args = ["sh", "-c", "grep THP_enabled /proc/self/status; cut -d\" \" -f40,41 /proc/self/stat; grep \"locked memory\" /proc/self/limits"]'
	run mkrun run hpc1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "THP_enabled:"*0 ]]
	# rt_priority 10, policy 1 (SCHED_FIFO)
	[ "${lines[1]}" = "10 1" ]
	# soft = hard (unlimited where mkrun may raise it).
	local soft hard
	read -r soft hard <<<"$(echo "${lines[2]}" | awk '{ print $4, $5 }')"
	[ "$soft" = "$hard" ]
}

@test "hpc: a Kubernetes pod's sandbox container does not take the profile its pod's annotations carry" {
	needs_two_cpus
	local t
	for t in io.kubernetes.cri.container-type io.kubernetes.cri-o.ContainerType; do
		annotate org.mkrun.hpc.cores=1 "$t=sandbox"
		update_config '.process.args = ["sleep", "60"]'
		mkrun_detached run -d pause1
		[ "$status" -eq 0 ]
		[ "$(allowed "$(mkrun state pause1 | jq .pid)")" = "$(allowed $$)" ]
		[ "$(mkrun hpc status --json | jq length)" -eq 0 ]
		mkrun delete --force pause1
	done
	# A container of the pod does.
	annotate org.mkrun.hpc.cores=1 io.kubernetes.cri.container-type=container
	mkrun_detached run -d app1
	[ "$status" -eq 0 ]
	[ "$(mkrun hpc status --json | jq -r '.[0].id')" = app1 ]
}

@test "hpc: bad values: one line naming the annotation, nothing left" {
	# check KEY=VALUE... EXPECTED
	check() {
		annotate "${@:1:$#-1}"
		run mkrun run hpc1
		echo "$output"
		[ "$status" -ne 0 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"${*: -1}"* ]] || { echo "expected: ${*: -1}"; return 1; }
		[ ! -d "$ROOT/hpc1" ]
	}
	check org.mkrun.hpc.cores=zero 'org.mkrun.hpc.cores: `zero` is neither a number of cores nor a cpu list'
	check org.mkrun.hpc.cores=0 'org.mkrun.hpc.cores: `0` is not a number of cores'
	check org.mkrun.hpc.cores=1 org.mkrun.hpc.hugepages=3M:2 'org.mkrun.hpc.hugepages: `3M:2` is not 2M:COUNT[,1G:COUNT]'
	check org.mkrun.hpc.hugepages=2M:2 'org.mkrun.hpc.hugepages needs org.mkrun.hpc.cores'
	check org.mkrun.hpc.thp=sometimes 'org.mkrun.hpc.thp: `sometimes` is not always, madvise or never'
	check org.mkrun.hpc.numa=far 'org.mkrun.hpc.numa: `far` is not `local` or a node list'
	check org.mkrun.hpc.cores=1 org.mkrun.hpc.rt=fifo:100 'org.mkrun.hpc.rt: `fifo:100` is not fifo:PRIO, rr:PRIO or PRIO (1 to 99)'
	check org.mkrun.hpc.irq=move 'org.mkrun.hpc.irq: `move` is not `steer`'
	check org.mkrun.hpc.core=1 'org.mkrun.hpc.core: not an HPC profile key'
	if ! grep -q '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
		check org.mkrun.hpc.thp=always 'org.mkrun.hpc.thp: always: the host'"'"'s THP mode is not always'
	fi
}

@test "hpc: an app's hpc: block becomes the same annotations" {
	needs_two_cpus
	cat >"$BATS_TEST_TMPDIR/hpcapp.yaml" <<-'EOF'
		application: {name: t_hpcapp, executable: /bin/grep}
		hpc:
		  cores: 1
		  thp: never
	EOF
	run "$MKRUN" --root "$ROOT" -e /bin/grep --config "$BATS_TEST_TMPDIR/hpcapp.yaml" \
		--app-args "-E '^(Cpus_allowed_list|THP_enabled)' /proc/self/status"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"THP_enabled:"*0* ]]
	[[ "$output" == *"Cpus_allowed_list:"*"$(($(nproc) - 1))"* ]]
	run "$MKRUN" yaml2oci "$BATS_TEST_TMPDIR/hpcapp.yaml"
	[ "$(jq -r '.annotations["org.mkrun.hpc.cores"]' <<<"$output")" = 1 ]
	[ "$(jq -r '.annotations["org.mkrun.hpc.thp"]' <<<"$output")" = never ]
	[ -z "$(ls "$MKRUN_HPC_STATE" | grep -v '^lock$')" ]
}

@test "hpc: irq=steer takes the cores out of interrupt affinities, restores them at delete (fake /proc)" {
	needs_two_cpus
	local P="$BATS_TEST_TMPDIR/proc" core=$(($(nproc) - 1))
	mkdir -p "$P/irq/24" "$P/irq/25" "$P/irq/26"
	echo "0-$core" >"$P/irq/24/smp_affinity_list"
	echo "$core" >"$P/irq/25/smp_affinity_list" # only on the core: stays
	echo 0 >"$P/irq/26/smp_affinity_list"     # not on it
	printf '%x\n' $(((1 << (core + 1)) - 1)) >"$P/irq/default_smp_affinity"
	export MKRUN_HPC_PROCFS="$P"
	annotate org.mkrun.hpc.cores=1 org.mkrun.hpc.irq=steer
	update_config '.process.args = ["sleep", "60"]'
	mkrun_detached run -d hpc1
	[ "$status" -eq 0 ]
	[ "$(cat "$P/irq/24/smp_affinity_list")" = "0-$((core - 1))" ] ||
		[ "$(cat "$P/irq/24/smp_affinity_list")" = 0 ]
	[ "$(cat "$P/irq/25/smp_affinity_list")" = "$core" ]
	[ "$(cat "$P/irq/26/smp_affinity_list")" = 0 ]
	[ "$((0x$(cat "$P/irq/default_smp_affinity") & (1 << core)))" -eq 0 ]
	mkrun delete --force hpc1
	[ "$(cat "$P/irq/24/smp_affinity_list")" = "0-$core" ]
	[ "$((0x$(cat "$P/irq/default_smp_affinity")))" -eq $(((1 << (core + 1)) - 1)) ]
}

@test "hpc: irq=steer on the real /proc/irq (VM)" {
	requires vm
	needs_two_cpus
	local core=$(($(nproc) - 1)) irq f before_default
	declare -A before
	for f in /proc/irq/*/smp_affinity_list; do
		before[$f]=$(cat "$f")
	done
	before_default=$(cat /proc/irq/default_smp_affinity)
	annotate org.mkrun.hpc.cores=1 org.mkrun.hpc.irq=steer
	update_config '.process.args = ["sleep", "60"]'
	mkrun_detached run -d hpc1
	[ "$status" -eq 0 ]
	# Every IRQ mkrun moved is off the core now; the record says which.
	local saved
	saved=$(jq -r '.[0].irq' <<<"$(mkrun hpc status --json)")
	echo "saved: $saved"
	[ -n "$saved" ] && [ "$saved" != null ]
	for irq in $(echo "$saved" | tr ';' '\n' | cut -d= -f1); do
		[ "$irq" = default ] && continue
		[[ ",$(cat "/proc/irq/$irq/smp_affinity_list")," != *",$core,"* ]]
	done
	[ "$((0x$(cat /proc/irq/default_smp_affinity | tr -d ,) & (1 << core)))" -eq 0 ]
	mkrun delete --force hpc1
	for f in "${!before[@]}"; do
		[ "$(cat "$f")" = "${before[$f]}" ] || { echo "$f: $(cat "$f") != ${before[$f]}"; return 1; }
	done
	[ "$(cat /proc/irq/default_smp_affinity)" = "$before_default" ]
}

@test "hpc: cores on cgroup v2: a cpuset partition (isolated where the kernel has it), gone after delete (VM)" {
	requires vm
	needs_two_cpus
	needs_v2_cpuset
	local C=/sys/fs/cgroup eff_before dir core st
	eff_before=$(cat $C/cpuset.cpus.effective)
	other_bundle '["sleep", "60"]'
	run_hpc1
	dir=$DIR core=$CORE
	st=$(mkrun hpc status --json)
	echo "$st"
	if [ -e "$(dirname "$dir")/cpuset.cpus.exclusive" ]; then
		# Linux 6.7+: a remote partition, the core exclusive in the parent.
		[ "$(cat "$dir/cpuset.cpus.partition")" = isolated ]
		[ "$(jq -r '.[0].partition' <<<"$st")" = isolated ]
		[ "$(cat "$(dirname "$dir")/cpuset.cpus.exclusive")" = "$core" ]
		[ "$(cat $C/cpuset.cpus.isolated)" = "$core" ]
		# The kernel keeps everything else off it, the host's root cgroup too.
		[[ ",$(cat $C/cpuset.cpus.effective)," != *",$core,"* ]]
	else
		# Before 6.7 only a cgroup below a partition root can be one: the
		# container is pinned, the others kept off by mkrun; hpc status says why.
		[ "$(cat "$dir/cpuset.cpus.partition")" = member ]
		[ "$(jq -r '.[0].partition' <<<"$st")" = null ]
		[[ "$(jq -r '.[0].partition_note' <<<"$st")" == *"Parent is not a partition root"* ]]
		run mkrun hpc status
		[[ "${lines[1]}" == hpc1*"$core"*none* ]]
	fi
	# Another container still starts, off the core.
	mkrun_detached run -d --bundle "$BATS_TEST_TMPDIR/other" nafter
	[ "$status" -eq 0 ]
	[[ ",$(allowed "$(mkrun state nafter | jq .pid)")," != *",$core,"* ]]
	[[ "$(cat "$dir/cpuset.cpus.partition")" != *invalid* ]]
	mkrun delete --force hpc1
	[ "$(cat $C/cpuset.cpus.effective)" = "$eff_before" ]
	[ -z "$(cat $C/cpuset.cpus.isolated 2>/dev/null)" ]
	[ -z "$(cat "$(dirname "$dir")/cpuset.cpus.exclusive" 2>/dev/null)" ]
}

@test "hpc: cores in a cgroup right below the root: a partition on any v2 kernel, gone after delete (VM)" {
	requires vm
	needs_two_cpus
	needs_v2_cpuset
	local C=/sys/fs/cgroup eff_before dir core
	eff_before=$(cat $C/cpuset.cpus.effective)
	set_cgroups_path
	run_hpc1
	dir=$DIR core=$CORE
	[ "$dir" = "$C$REL_CGROUP_PATH" ]
	# A local partition: the parent (the root) is a partition root.
	[ "$(cat "$dir/cpuset.cpus.partition")" = isolated ]
	[ "$(mkrun hpc status --json | jq -r '.[0].partition')" = isolated ]
	[ "$(mkrun hpc status --json | jq -r '.[0].exclusive')" = null ]
	[[ ",$(cat $C/cpuset.cpus.effective)," != *",$core,"* ]]
	run mkrun hpc status
	echo "$output"
	[[ "${lines[1]}" == hpc1*"$core"*isolated* ]]
	mkrun delete --force hpc1
	[ "$(cat $C/cpuset.cpus.effective)" = "$eff_before" ]
	[ ! -d "$dir" ]
}

@test "hpc: two NUMA nodes: cores kept on one node, memory and huge pages from it, given back (VM)" {
	requires vm
	requires hugetlb
	local nodes=(/sys/devices/system/node/node[0-9]*)
	[ "${#nodes[@]}" -ge 2 ] || skip "needs two NUMA nodes (the VM with VM_NUMA=2)"
	[ "$(nproc)" -ge 4 ] || skip "needs 4 cpus"
	local N=/sys/devices/system/node P=hugepages/hugepages-2048kB/nr_hugepages
	local b0 b1 pid cores mems node
	b0=$(cat $N/node0/$P)
	b1=$(cat $N/node1/$P)
	annotate org.mkrun.hpc.cores=2 org.mkrun.hpc.numa=local org.mkrun.hpc.hugepages=2M:4
	update_config '.process.args = ["sleep", "60"]'
	mkrun_detached run -d hpc1
	[ "$status" -eq 0 ]
	pid=$(mkrun state hpc1 | jq .pid)
	cores=$(allowed "$pid")
	# Two cores of one node: the last node's (the highest numbers).
	[ "$cores" = "$(cat $N/node1/cpulist)" ]
	mems=$(cat "$(v2_dir "$pid")/cpuset.mems")
	[ "$mems" = 1 ]
	grep -q "^Mems_allowed_list:[[:space:]]*1$" "/proc/$pid/status"
	# The pages come from node 1's pool, not node 0's.
	[ "$(cat $N/node1/$P)" -eq $((b1 + 4)) ]
	[ "$(cat $N/node0/$P)" -eq "$b0" ]
	[ "$(mkrun hpc status --json | jq '.[0].hugepages[0].node')" -eq 1 ]
	# An explicit node list: memory from node 0 for cores of node... any.
	annotate org.mkrun.hpc.cores=1 org.mkrun.hpc.numa=0 org.mkrun.hpc.hugepages=2M:2
	mkrun_detached run -d hpc2
	[ "$status" -eq 0 ]
	pid=$(mkrun state hpc2 | jq .pid)
	node=$(node_of "$(allowed "$pid")")
	[ "$node" = 0 ]
	grep -q "^Mems_allowed_list:[[:space:]]*0$" "/proc/$pid/status"
	[ "$(cat $N/node0/$P)" -eq $((b0 + 2)) ]
	mkrun delete --force hpc1
	mkrun delete --force hpc2
	[ "$(cat $N/node0/$P)" -eq "$b0" ]
	[ "$(cat $N/node1/$P)" -eq "$b1" ]
}
