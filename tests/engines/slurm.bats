#!/usr/bin/env bats
# Slurm 22.05 (Debian's slurm-wlm) running job steps in OCI containers through
# mkrun: "srun --container=BUNDLE" and "sbatch --container=BUNDLE", with
# oci.conf in both of its modes:
#   run     RunTimeRun: the step's task execs "mkrun run", which keeps the
#           task's stdio and exit status (contrib/slurm/oci.conf's default);
#   create  RunTimeCreate + RunTimeStart: the task runs "mkrun create", then
#           "mkrun start", then polls "mkrun state" until the container stops.
# Both modes use RunTimeQuery ("mkrun state"), RunTimeKill ("mkrun kill
# --all") and RunTimeDelete ("mkrun delete --force").  oci.conf is the one we
# ship, contrib/slurm/oci.conf, with our paths.  slurmstepd reads oci.conf for
# each step, so a test picks its mode by rewriting oci.conf (use_mode) and the
# slurmd log says which mode each step ran in.
# Every runtime call goes through $ENGINE_TMP/bin/mkrun, a wrapper that
# appends its argv to $ENGINE_TMP/mkrun-calls.log and execs $MKRUN, so each
# check asserts which mkrun commands Slurm ran for its job; running
# containers are looked up in mkrun's own state (--root $ENGINE_TMP/mkrun-root).
#
# Setup (setup_file): munged with a fresh key, its socket, pid file, log and
# seed under $ENGINE_TMP; slurm.conf and oci.conf under $ENGINE_TMP (SLURM_CONF
# for every command), state, spool, pid files and logs too; one node
# ("mkslurm") with this machine's CPUs, proctrack/linuxproc and task/none (no
# host cgroup management by Slurm).  slurmctld and slurmd bind 0.0.0.0, so
# they, and every srun/sbatch/squeue/scancel, run in a network + UTS
# namespace of the test's own (a "sleep infinity" holder made with unshare,
# only lo up, 127.0.0.2 added, hostname mkslurm).  slurmd runs in the cgroup
# engine_cgroup_parent slurm/<tmpdir> (in every hierarchy): mkrun's default
# cgroup for a container is mkrun/ID below its caller's, so the containers of
# the steps land below it.  teardown_file cancels the jobs, stops the daemons
# by their recorded pids, kills what is left in that cgroup, and removes the
# cgroups and $ENGINE_TMP.

load common

bats_require_minimum_version 1.5.0

NODE=mkslurm
CTR_HOSTNAME=slurm-ctr

# in_ns CMD...: CMD in the test's network and UTS namespaces.
function in_ns() {
	nsenter --net --uts -t "$HOLDER_PID" "$@"
}

# sl CMD...: a Slurm client command in the namespaces, with a time limit.
function sl() {
	timeout 120 nsenter --net --uts -t "$HOLDER_PID" "$@"
}

# feed INPUT CMD...: CMD with INPUT (backslash escapes expanded) on its stdin.
function feed() {
	local input=$1
	shift
	printf '%b' "$input" | "$@"
}

# use_mode run|create: oci.conf for that mode, made from the one we ship
# (contrib/slurm/oci.conf: RunTimeRun active, RunTimeCreate/RunTimeStart
# commented out), with our wrapper, --root and --log in place of
# "/usr/local/bin/mkrun --root /run/mkrun-slurm".
function use_mode() {
	local conf=$SRCDIR/contrib/slurm/oci.conf sed_mode n
	case "$1" in
	run) sed_mode='' n=4 ;;
	create) n=5 sed_mode='s/^RunTimeRun=/#&/; s/^#\(RunTimeCreate=\|RunTimeStart=\)/\1/' ;;
	*) return 1 ;;
	esac
	sed -e "s|/usr/local/bin/mkrun --root /run/mkrun-slurm |$ENGINE_TMP/bin/mkrun --root $ENGINE_TMP/mkrun-root --log $ENGINE_TMP/mkrun.log |" \
		-e "$sed_mode" "$conf" >"$ENGINE_TMP/oci.conf"
	# The mode's commands (4 or 5), every one of them through our wrapper.
	[ "$(grep -c '^RunTime[A-Za-z]*=' "$ENGINE_TMP/oci.conf")" -eq "$n" ] || return 1
	[ "$(grep -c "^RunTime[A-Za-z]*=\"\(exec \)\?$ENGINE_TMP/bin/mkrun " "$ENGINE_TMP/oci.conf")" -eq "$n" ] || return 1
	MODE=$1
}

# cgroup_roots: the mount point of each cgroup hierarchy this process is in.
function cgroup_roots() {
	local id ctrl path d
	while IFS=: read -r id ctrl path; do
		case "$ctrl" in
		"") d=$(engine_cgroup_dir unified /) ;;
		name=*) d=$(engine_cgroup_dir "${ctrl#name=}" /) ;;
		*) d=$(engine_cgroup_dir "$ctrl" /) ;;
		esac
		d=${d%/}
		[ -d "$d" ] && echo "$d"
	done </proc/self/cgroup | sort -u
}

# make_cgroup ROOT PATH: mkdir ROOT/PATH level by level (cpuset levels get
# their parent's cpus and mems, or no task could join them).
function make_cgroup() {
	local path=$2 d=$1 c
	local IFS=/
	for c in $path; do
		[ -n "$c" ] || continue
		if [ ! -d "$d/$c" ]; then
			mkdir "$d/$c" || return 1
			if [ -f "$d/cpuset.cpus" ]; then
				cat "$d/cpuset.cpus" >"$d/$c/cpuset.cpus"
				cat "$d/cpuset.mems" >"$d/$c/cpuset.mems"
			fi
		fi
		d=$d/$c
	done
}

# cgroup_pids: every process in our cgroup subtree (slurmd, the slurmstepds,
# mkrun and the containers).
function cgroup_pids() {
	local r
	for r in $(cgroup_roots); do
		[ -d "$r$CG" ] && find "$r$CG" -name cgroup.procs -exec cat {} + 2>/dev/null
	done | sort -un
}

# ctr_pids: the processes in the containers' cgroups (any cgroup below
# slurmd's).
function ctr_pids() {
	local r
	for r in $(cgroup_roots); do
		[ -d "$r$CG" ] && find "$r$CG" -mindepth 2 -name cgroup.procs -exec cat {} + 2>/dev/null
	done | sort -un
}

# job_called JOB VERB: the wrapper saw "mkrun ... VERB ... ID" for the
# (only) step of JOB, ID being Slurm's %n.%u.%j.%s.%t.
function job_called() {
	local re
	re="^--root $ENGINE_TMP/mkrun-root( --log [^ ]*)? $2( .*)? $NODE\\.root\\.$1\\.$3\\.0( KILL)?\$"
	grep -E -- "$re" "$ENGINE_TMP/mkrun-calls.log" || {
		echo "no mkrun call matches /$re/ in:" >&2
		cat "$ENGINE_TMP/mkrun-calls.log" >&2
		return 1
	}
}

# step_ran JOB STEP: slurmstepd ran step JOB.STEP in this test's mode, through
# mkrun (create+start or run, then delete), with the bundle Slurm made in
# its spool dir.
function step_ran() {
	local job=$1 step=$2 sid=$2 dir
	[ "$step" = batch ] && sid=4294967291
	if [ "$step" = batch ]; then
		dir=$(printf '%s/spool/oci-job%05u-batch' "$ENGINE_TMP" "$job")
	else
		dir=$(printf '%s/spool/oci-job%05u-%05u' "$ENGINE_TMP" "$job" "$step")
	fi
	if [ "$MODE" = run ]; then
		grep -E "\\[$job\\.$step\\] .*OCI container activated with run" "$ENGINE_TMP/log/slurmd.log"
		job_called "$job" "run --bundle $dir/?" "$sid"
	else
		grep -E "\\[$job\\.$step\\] .*OCI container activated with create/start" "$ENGINE_TMP/log/slurmd.log"
		job_called "$job" "create --bundle $dir/?" "$sid"
		job_called "$job" start "$sid"
	fi
	wait_until 30 job_called "$job" "delete --force" "$sid"
}

# srun_c ARGS...: srun one task in the bundle (output in $output, srun's
# messages in $stderr; with bats' run).
function srun_c() {
	sl srun --quiet -N1 -n1 --container="$BUNDLE" "$@"
}

# job_of_output: the job id a container printed as "J=N".
function job_of_output() {
	sed -n 's/^J=\([0-9]*\).*/\1/p' <<<"$output" | head -n 1
}

# gone PID: PID has exited (a zombie counts: when the runtime that was its
# parent is killed, it is reparented to a pid 1 that may never reap it).
function gone() {
	[ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

function holder_ready() {
	[ "$(readlink "/proc/$HOLDER_PID/ns/net")" != "$(readlink /proc/self/ns/net)" ]
}

function nodes_idle() {
	[ "$(in_ns sinfo -h -n "$NODE" -o %T 2>/dev/null)" = idle ]
}

function no_jobs() {
	[ -z "$(in_ns squeue -h -o %i 2>/dev/null)" ]
}

function no_containers() {
	[ -z "$(engine_mkrun_ids "$ENGINE_TMP/mkrun-root")" ]
}

# check_step_output MODE: in RunTimeRun or RunTimeCreate mode, srun
# --container prints what the step printed, from the container.
function check_step_output() {
	use_mode "$1"
	run --separate-stderr srun_c sh -c 'echo J=$SLURM_JOB_ID; hostname; echo hello from the container'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "$CTR_HOSTNAME" ]
	[ "${lines[2]}" = "hello from the container" ]
	step_ran "$(job_of_output)" 0
}

function setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	engine_requires munged slurmctld slurmd srun sbatch scancel squeue sinfo unshare nsenter ip jq timeout
	engine_tmpdir slurm
	local t=$ENGINE_TMP r
	export CG HOLDER_PID SLURM_CONF=$t/slurm.conf BUNDLE=$t/bundle
	CG=$(engine_cgroup_parent slurm)/${t##*/}
	mkdir -p "$t/bin" "$t/state" "$t/spool" "$t/log" "$t/mkrun-root" "$t/out"
	engine_mkrun_wrapper

	# The bundle: busybox, no terminal, its own hostname.  Slurm copies
	# config.json into its spool dir for each step, with process.args, env
	# and root.path (BUNDLE/rootfs) of its own.
	engine_rootfs "$BUNDLE/rootfs"
	(cd "$BUNDLE" && "$MKRUN" spec)
	jq --arg h "$CTR_HOSTNAME" '.process.terminal = false | .hostname = $h' \
		"$BUNDLE/config.json" >"$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"

	# munge, private key and socket.
	dd if=/dev/urandom of="$t/munge.key" bs=1 count=1024 2>/dev/null
	chmod 0400 "$t/munge.key"
	munged -F --force --socket="$t/munge.sock" --key-file="$t/munge.key" \
		--pid-file="$t/munged.pid" --log-file="$t/log/munged.log" --seed-file="$t/munge.seed" \
		</dev/null >>"$t/log/munged.out" 2>&1 3>&- &
	echo $! >"$t/munged.pid.ours"
	wait_until 30 test -S "$t/munge.sock"

	# The namespaces the daemons and the clients run in.
	unshare --net --uts sleep infinity </dev/null >/dev/null 2>&1 3>&- &
	HOLDER_PID=$!
	echo "$HOLDER_PID" >"$t/holder.pid"
	wait_until 10 holder_ready
	in_ns ip link set lo up
	in_ns ip addr add 127.0.0.2/8 dev lo
	in_ns hostname "$NODE"

	cat >"$SLURM_CONF" <<-EOF
		ClusterName=mkrun
		SlurmctldHost=$NODE(127.0.0.2)
		AuthType=auth/munge
		AuthInfo=socket=$t/munge.sock
		CredType=cred/munge
		SlurmUser=root
		SlurmdUser=root
		SlurmctldPort=16817
		SlurmdPort=16818
		StateSaveLocation=$t/state
		SlurmdSpoolDir=$t/spool
		SlurmctldPidFile=$t/slurmctld.pid
		SlurmdPidFile=$t/slurmd.pid
		SlurmctldLogFile=$t/log/slurmctld.log
		SlurmdLogFile=$t/log/slurmd.log
		SlurmctldDebug=info
		SlurmdDebug=debug2
		PlugStackConfig=$t/plugstack.conf
		ProctrackType=proctrack/linuxproc
		TaskPlugin=task/none
		JobAcctGatherType=jobacct_gather/none
		AccountingStorageType=accounting_storage/none
		JobCompType=jobcomp/none
		MpiDefault=none
		SwitchType=switch/none
		MailProg=/bin/true
		SchedulerType=sched/backfill
		SelectType=select/cons_tres
		SelectTypeParameters=CR_Core
		ReturnToService=2
		KillWait=3
		UnkillableStepTimeout=30
		NodeName=$NODE NodeAddr=127.0.0.2 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
		PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
	EOF
	: >"$t/plugstack.conf"
	use_mode run

	# slurmd's cgroup, below which mkrun puts the containers.
	local cg_dirs=()
	for r in $(cgroup_roots); do
		make_cgroup "$r" "$CG"
		cg_dirs+=("$r$CG")
	done
	# nsenter execs the daemon: $! is its pid (in_ns would be a subshell's).
	nsenter --net --uts -t "$HOLDER_PID" slurmctld -D -i </dev/null >>"$t/log/slurmctld.out" 2>&1 3>&- &
	echo $! >"$t/slurmctld.pid.ours"
	# shellcheck disable=SC2016
	nsenter --net --uts -t "$HOLDER_PID" sh -c 'n=$1; shift; for d; do echo $$ >"$d/cgroup.procs" || exit 1; done; exec slurmd -D -N "$n"' \
		sh "$NODE" "${cg_dirs[@]}" \
		</dev/null >>"$t/log/slurmd.out" 2>&1 3>&- &
	echo $! >"$t/slurmd.pid.ours"
	wait_until 90 nodes_idle || {
		tail -n 30 "$t/log/"* >&2
		false
	}
}

function teardown_file() {
	[ -n "${ENGINE_TMP:-}" ] && [ -d "$ENGINE_TMP" ] || return 0
	local t=$ENGINE_TMP p f r id
	if [ -n "${HOLDER_PID:-}" ] && kill -0 "$HOLDER_PID" 2>/dev/null; then
		in_ns scancel --quiet --user=root 2>/dev/null || true
		wait_until 30 no_jobs || true
	fi
	for f in slurmd slurmctld; do
		[ -f "$t/$f.pid.ours" ] && kill "$(cat "$t/$f.pid.ours")" 2>/dev/null
	done
	for f in slurmd slurmctld; do
		[ -f "$t/$f.pid.ours" ] && wait_until 20 gone "$(cat "$t/$f.pid.ours")"
	done
	# Whatever is left in our cgroups (stepds, containers) is ours.
	for p in $(cgroup_pids); do
		kill -9 "$p" 2>/dev/null
	done
	for id in $(engine_mkrun_ids "$t/mkrun-root"); do
		"$MKRUN" --root "$t/mkrun-root" delete --force "$id" 2>/dev/null
	done
	[ -f "$t/munged.pid.ours" ] && kill "$(cat "$t/munged.pid.ours")" 2>/dev/null
	[ -n "${HOLDER_PID:-}" ] && kill "$HOLDER_PID" 2>/dev/null
	wait_until 10 eval '[ -z "$(cgroup_pids)" ]'
	for r in $(cgroup_roots); do
		[ -d "$r$CG" ] && find "$r$CG" -depth -type d -exec rmdir {} + 2>/dev/null
		rmdir "$r${CG%/*}" 2>/dev/null
	done
	engine_cleanup_tmp
	true
}

function teardown() {
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -n "${ENGINE_TMP:-}" ]; then
		echo "--- mkrun calls" >&2
		tail -n 20 "$ENGINE_TMP/mkrun-calls.log" >&2
		echo "--- slurmd log" >&2
		grep -v -E 'debug2: (Start processing|Processing RPC|Finish)' "$ENGINE_TMP/log/slurmd.log" | tail -n 40 >&2
		[ -s "$ENGINE_TMP/mkrun.log" ] && { echo "--- mkrun log" >&2; tail -n 10 "$ENGINE_TMP/mkrun.log" >&2; }
	fi
	return 0
}

# --- RunTimeRun mode ------------------------------------------------------

@test "slurm run mode: srun --container prints the step's output" {
	check_step_output run
}

@test "slurm run mode: the step runs isolated (pid 1, own pid/mount/uts namespaces, the bundle's rootfs)" {
	use_mode run
	run --separate-stderr srun_c sh -c 'echo J=$SLURM_JOB_ID; echo pid=$$; readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; hostname; cat /etc/hostname; ls /proc | grep -c "^[0-9]"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = pid=1 ]
	[ "${lines[2]}" != "$(readlink /proc/self/ns/pid)" ]
	[ "${lines[3]}" != "$(readlink /proc/self/ns/mnt)" ]
	[ "${lines[4]}" = "$CTR_HOSTNAME" ]
	# make-rootfs.sh's /etc/hostname: the busybox rootfs, not the host's.
	[ "${lines[5]}" = mkrun-test ]
	[ "${lines[6]}" -le 4 ]
	step_ran "$(job_of_output)" 0
}

@test "slurm run mode: the container's cgroup is its own, below slurmd's (engine_cgroup_parent)" {
	use_mode run
	run --separate-stderr srun_c sh -c 'echo J=$SLURM_JOB_ID; grep -E "^[0-9]+:(memory|):" /proc/self/cgroup | head -n 1'
	echo "$output"
	[ "$status" -eq 0 ]
	local job
	job=$(job_of_output)
	# mkrun's default cgroupsPath is mkrun/ID below the caller's cgroup.
	[[ "${lines[1]}" == *":$CG/mkrun/$NODE.root.$job.0.0" ]]
	step_ran "$job" 0
	# delete removed it.
	wait_until 10 test ! -d "$(engine_cgroup_dir memory "${lines[1]#*:*:}")"
}

@test "slurm run mode: Slurm's environment reaches the container" {
	use_mode run
	run --separate-stderr srun_c --job-name=envtest sh -c 'echo J=$SLURM_JOB_ID; echo step=$SLURM_STEP_ID; echo nodes=$SLURM_JOB_NODELIST; echo ntasks=$SLURM_NTASKS; echo name=$SLURM_JOB_NAME; echo path=$PATH'
	echo "$output"
	[ "$status" -eq 0 ]
	local job
	job=$(job_of_output)
	[ -n "$job" ]
	[ "${lines[1]}" = step=0 ]
	[ "${lines[2]}" = "nodes=$NODE" ]
	[ "${lines[3]}" = ntasks=1 ]
	[ "${lines[4]}" = name=envtest ]
	[[ "${lines[5]}" == path=*/bin* ]]
	# The job id the container saw is the one in mkrun's container id.
	step_ran "$job" 0
}

@test "slurm run mode: the container's exit status is srun's" {
	use_mode run
	run --separate-stderr srun_c sh -c 'echo J=$SLURM_JOB_ID; exit 3'
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"Exited with exit code 3"* ]]
	step_ran "$(job_of_output)" 0
}

@test "slurm run mode: srun's stdin reaches the container, EOF included" {
	use_mode run
	run --separate-stderr feed 'hi\nthere\n' srun_c sh -c 'cat; echo J=$SLURM_JOB_ID'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hi ]
	[ "${lines[1]}" = there ]
	step_ran "$(job_of_output)" 0
	run --separate-stderr feed 'a\nb\nc\n' srun_c wc -l
	[ "$status" -eq 0 ]
	[ "${output//[[:space:]]/}" = 3 ]
}

@test "slurm run mode: sbatch --container runs the batch script in the container" {
	use_mode run
	local job out
	run sl sbatch --parsable --container="$BUNDLE" -o "$ENGINE_TMP/out/%j.out" \
		--wrap 'echo J=$SLURM_JOB_ID; hostname; echo pid=$$; echo batch output; ls /tmp/slurm'
	echo "$output"
	[ "$status" -eq 0 ]
	job=${output%%;*}
	[[ "$job" =~ ^[0-9]+$ ]]
	wait_until 90 no_jobs
	out=$(cat "$ENGINE_TMP/out/$job.out")
	echo "$out"
	[ "$(sed -n 1p <<<"$out")" = "J=$job" ]
	[ "$(sed -n 2p <<<"$out")" = "$CTR_HOSTNAME" ]
	[ "$(sed -n 3p <<<"$out")" = pid=1 ]
	[ "$(sed -n 4p <<<"$out")" = "batch output" ]
	# Slurm bind-mounts the script (and the output file) at /tmp/slurm.
	grep -qx startup <<<"$out"
	# Nothing else: no error of Slurm's about the runtime in the output.
	run grep -ci error <<<"$out"
	[ "$output" = 0 ]
	step_ran "$job" batch
}

@test "slurm run mode: scancel ends a running container step and leaves nothing behind" {
	use_mode run
	sl srun --quiet -N1 -n1 --container="$BUNDLE" sleep 1000 </dev/null >"$ENGINE_TMP/sleep.out" 2>&1 3>&- &
	local srun_pid=$! id pid job cg cgdir
	wait_until 60 eval '[ -n "$(engine_mkrun_ids "$ENGINE_TMP/mkrun-root")" ]'
	id=$(engine_mkrun_ids "$ENGINE_TMP/mkrun-root")
	[[ "$id" =~ ^$NODE\.root\.([0-9]+)\.0\.0$ ]]
	job=${BASH_REMATCH[1]}
	wait_until 30 eval '[ "$("$MKRUN" --root "$ENGINE_TMP/mkrun-root" state "$id" | jq -r .status)" = running ]'
	pid=$("$MKRUN" --root "$ENGINE_TMP/mkrun-root" state "$id" | jq -r .pid)
	[ "$(cat "/proc/$pid/comm")" = sleep ]
	cg=$(awk -F: '$2 == "memory" || $2 == "" { print $3; exit }' "/proc/$pid/cgroup")
	[[ "$cg" == "$CG/"*"$id" ]]
	cgdir=$(engine_cgroup_dir memory "$cg")
	grep -qx "$pid" "$cgdir/cgroup.procs"
	job_called "$job" "run --bundle [^ ]*" 0

	run sl scancel "$job"
	[ "$status" -eq 0 ]
	wait_until 60 gone "$srun_pid"
	wait "$srun_pid" || true
	cat "$ENGINE_TMP/sleep.out"
	grep -q "STEP $job.0 ON $NODE CANCELLED" "$ENGINE_TMP/sleep.out"
	wait_until 60 no_jobs
	wait_until 30 no_containers
	wait_until 10 gone "$pid"
	wait_until 10 test ! -d "$cgdir"

	[ -z "$(ctr_pids)" ]
	job_called "$job" "delete --force" 0
	# No slurmstepd of that job is left either.
	run ! grep -q "^slurmstepd: \[$job\.0\]" < <(ps -eo args)
}

@test "slurm run mode: mkrun's errors reach its --log file and fail the step" {
	use_mode run
	run --separate-stderr srun_c /no/such/program
	echo "$output"
	echo "$stderr"
	[ "$status" -ne 0 ]
	grep -F '/no/such/program' "$ENGINE_TMP/mkrun.log"
	[[ "$stderr" == *"/no/such/program"* ]]
	wait_until 30 no_containers
}

# --- RunTimeCreate/RunTimeStart mode ----------------------------------------

@test "slurm create mode: srun --container prints the step's output" {
	check_step_output create
}

@test "slurm create mode: isolation and Slurm's environment" {
	use_mode create
	run --separate-stderr srun_c sh -c 'echo J=$SLURM_JOB_ID; echo pid=$$; readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; hostname; echo step=$SLURM_STEP_ID; grep -E "^[0-9]+:(memory|):" /proc/self/cgroup | head -n 1'
	echo "$output"
	[ "$status" -eq 0 ]
	local job
	job=$(job_of_output)
	[ "${lines[1]}" = pid=1 ]
	[ "${lines[2]}" != "$(readlink /proc/self/ns/pid)" ]
	[ "${lines[3]}" != "$(readlink /proc/self/ns/mnt)" ]
	[ "${lines[4]}" = "$CTR_HOSTNAME" ]
	[ "${lines[5]}" = step=0 ]
	[[ "${lines[6]}" == *":$CG/mkrun/$NODE.root.$job.0.0" ]]
	step_ran "$job" 0
}

@test "slurm create mode: srun's stdin reaches the container" {
	# Slurm 22.05's task process keeps the write end of its own stdin pipe
	# open while it polls the container, so the container never sees EOF:
	# read one line.
	use_mode create
	run --separate-stderr feed 'first line\nsecond line\n' srun_c sh -c 'echo J=$SLURM_JOB_ID; head -n 1'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "first line" ]
	step_ran "$(job_of_output)" 0
}

@test "slurm create mode: sbatch --container runs the batch script in the container" {
	use_mode create
	local job out
	run sl sbatch --parsable --container="$BUNDLE" -o "$ENGINE_TMP/out/%j.out" \
		--wrap 'echo J=$SLURM_JOB_ID; hostname; echo pid=$$; echo batch output'
	echo "$output"
	[ "$status" -eq 0 ]
	job=${output%%;*}
	wait_until 90 no_jobs
	out=$(cat "$ENGINE_TMP/out/$job.out")
	echo "$out"
	[ "$out" = "J=$job
$CTR_HOSTNAME
pid=1
batch output" ]
	step_ran "$job" batch
}

@test "slurm: nothing is left behind (mkrun state, container processes and cgroups, mounts, spool dirs)" {
	wait_until 60 no_jobs
	wait_until 30 no_containers
	[ -z "$(ctr_pids)" ]
	run ! grep -F "$ENGINE_TMP/" /proc/self/mountinfo
	[ -z "$(find "$ENGINE_TMP/spool" -maxdepth 1 -name 'oci-job*')" ]
	[ -z "$(find "$(engine_cgroup_dir memory "$CG")" -mindepth 1 -type d -name "$NODE.root.*")" ]
	# The daemons are still up and the node is not drained.
	wait_until 30 nodes_idle
}
