#!/bin/bash
# run.sh: the HPC example on one machine: a Slurm controller (slurmctld), two
# workers (slurmd, nodes worker1 and worker2) and a shared storage directory;
# jobs submitted with sbatch run their tasks through mkrun (run-task.sh), each
# task's log landing on the storage directory, even when the task crashes.
#
# Usage (as root):
#   run.sh                  the demo: up in a fresh temp dir, two jobs (one
#                           task on each worker; one task that crashes),
#                           the logs and results, then down
#   run.sh up DIR           stand the cluster up in DIR (empty or missing)
#   run.sh exec DIR CMD...  CMD on the controller (sbatch, squeue, sinfo...)
#   run.sh down DIR         stop what "up" started and remove DIR
#
# DIR holds everything: munge's key and socket, slurm.conf, Slurm's state,
# spool, pid files and logs, mkrun's --root, and storage/ (the shared
# storage: task.yaml, task.sbatch, run-task.sh, bin/task, input/, output/,
# logs/).  Each daemon runs in network + UTS namespaces of the script's own
# (hostnames controller, worker1, worker2; a bridge in the controller's, one
# veth pair to each worker, 10.213.7.0/24): nothing reaches the host's
# network.  The slurmds and all they start (slurmstepd, mkrun, the tasks) run
# in a cgroup of their own below ours (hpcex-<DIR's name>, in each
# hierarchy); down stops the daemons by their recorded pids, kills what is
# left in that cgroup and removes it.
#
# Environment: MKRUN (default: the repository's ./mkrun, else mkrun on PATH),
# CC (default cc).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${MKRUN:-}" ]; then
	MKRUN=$HERE/../../mkrun
	[ -x "$MKRUN" ] || MKRUN=$(command -v mkrun || true)
fi
NET=10.213.7
NODES=(worker1 worker2)

# wait_for SECONDS CMD...: poll CMD until it succeeds, or fail.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# in_ns NAME CMD...: CMD in the namespaces of NAME (controller, worker1...).
in_ns() {
	local ns=$1
	shift
	nsenter --net --uts -t "$(cat "$D/pid/ns-$ns")" "$@"
}

# ctl CMD...: a Slurm command on the controller.
# The jobs get MKRUN and MKRUN_ROOT (run-task.sh's), not sudo's SUDO_UID
# (mkrun would run the tasks as that user).
ctl() {
	env -u SUDO_UID -u SUDO_GID -u SUDO_USER SLURM_CONF="$D/slurm.conf" MKRUN="$MKRUN" \
		MKRUN_ROOT="$D/mkrun-root" timeout 120 nsenter --net --uts -t "$(cat "$D/pid/ns-controller")" "$@"
}

own_netns() {
	[ "$(readlink "/proc/$1/ns/net")" != "$(readlink /proc/self/ns/net)" ]
}

# new_ns NAME: a holder process in new network + UTS namespaces, hostname
# NAME, loopback up.
new_ns() {
	unshare --net --uts sleep infinity </dev/null >/dev/null 2>&1 3>&- &
	echo $! >"$D/pid/ns-$1"
	wait_for 10 own_netns $!
	in_ns "$1" hostname "$1"
	in_ns "$1" ip link set lo up
}

# cgroup_dirs: the slurmds' cgroup directory in each hierarchy (ours there,
# plus hpcex-<DIR's name>), from /proc/self/cgroup and the cgroup mounts.
cgroup_dirs() {
	local ctrl path mnt
	while IFS=: read -r _ ctrl path; do
		mnt=$(awk -v c="$ctrl" '{ split($0, p, " - "); split(p[2], f, " ") }
			$4 == "/" && c == "" && f[1] == "cgroup2" { print $5; exit }
			$4 == "/" && c != "" && f[1] == "cgroup" && index("," f[3] ",", "," c ",") { print $5; exit }' \
			/proc/self/mountinfo)
		[ -n "$mnt" ] && echo "$mnt${path%/}/hpcex-${D##*/}"
	done </proc/self/cgroup
}

# make_cgroups: mkdir each of them (a cpuset one with its parent's cpus and
# mems, or nothing could join it); records them in $D/cgroups.
make_cgroups() {
	local d
	cgroup_dirs >"$D/cgroups"
	while read -r d; do
		mkdir -p "$d"
		if [ -f "$d/cpuset.cpus" ] && [ -z "$(cat "$d/cpuset.cpus")" ]; then
			cat "${d%/*}/cpuset.cpus" >"$d/cpuset.cpus"
			cat "${d%/*}/cpuset.mems" >"$d/cpuset.mems"
		fi
	done <"$D/cgroups"
}

# cgroup_pids: every process in those cgroups and below.
cgroup_pids() {
	local d
	[ -f "$D/cgroups" ] || return 0
	while read -r d; do
		[ -d "$d" ] && find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
	done <"$D/cgroups" | sort -un
}

cgroups_empty() {
	[ -z "$(cgroup_pids)" ]
}

nodes_idle() {
	[ "$(ctl sinfo -h -N -o '%N %T' 2>/dev/null | sort | tr '\n' ' ')" = "worker1 idle worker2 idle " ]
}

no_jobs() {
	[ -z "$(ctl squeue -h -o %i 2>/dev/null)" ]
}

write_slurm_conf() {
	cat >"$D/slurm.conf" <<-EOF
		ClusterName=hpcex
		SlurmctldHost=controller($NET.1)
		AuthType=auth/munge
		AuthInfo=socket=$D/munge.sock
		CredType=cred/munge
		SlurmUser=root
		SlurmdUser=root
		StateSaveLocation=$D/state
		SlurmdSpoolDir=$D/spool/%n
		SlurmctldPidFile=$D/pid/slurmctld.pid
		SlurmdPidFile=$D/pid/slurmd-%n.pid
		SlurmctldLogFile=$D/log/slurmctld.log
		SlurmdLogFile=$D/log/slurmd-%n.log
		PlugStackConfig=$D/plugstack.conf
		ProctrackType=proctrack/linuxproc
		TaskPlugin=task/none
		JobAcctGatherType=jobacct_gather/none
		AccountingStorageType=accounting_storage/none
		MpiDefault=none
		SwitchType=switch/none
		MailProg=/bin/true
		SelectType=select/cons_tres
		ReturnToService=2
		MinJobAge=3600
		NodeName=worker1 NodeAddr=$NET.11 CPUs=1 RealMemory=500 State=UNKNOWN
		NodeName=worker2 NodeAddr=$NET.12 CPUs=1 RealMemory=500 State=UNKNOWN
		PartitionName=batch Nodes=worker1,worker2 Default=YES MaxTime=INFINITE State=UP
	EOF
	: >"$D/plugstack.conf"
}

# storage: the shared storage directory: the job's files, the task built,
# its input, and the directories for its output and logs.  The jobs are
# root's, and mkrun runs root's apps as nobody: output/ is nobody's, as a
# real cluster's is the job user's.  (logs/ stays root's: mkrun writes the
# logs, the tasks do not.)
make_storage() {
	local s=$D/storage
	mkdir -p "$s/bin" "$s/input" "$s/output" "$s/logs"
	chown nobody:nogroup "$s/output"
	cp "$HERE/task.yaml" "$HERE/task.sbatch" "$HERE/run-task.sh" "$s/"
	"${CC:-cc}" -O2 -Wall -o "$s/bin/task" "$HERE/task.c"
	printf '%s\n' 10 20 30 40 >"$s/input/data.txt"
}

up() {
	[ "$(id -u)" = 0 ] || { echo "run.sh: needs root" >&2; return 1; }
	[ -x "$MKRUN" ] || { echo "run.sh: no mkrun (build it, or set MKRUN)" >&2; return 1; }
	mkdir -p "$D"
	D=$(cd "$D" && pwd)
	mkdir -p "$D/pid" "$D/log" "$D/state" "$D/mkrun-root" "${NODES[@]/#/$D/spool/}"
	make_storage
	write_slurm_conf

	# munge: a fresh key, its socket in DIR.
	dd if=/dev/urandom of="$D/munge.key" bs=1024 count=1 2>/dev/null
	chmod 0400 "$D/munge.key"
	munged -F --force --socket="$D/munge.sock" --key-file="$D/munge.key" \
		--pid-file="$D/pid/munged.pid" --log-file="$D/log/munged.log" --seed-file="$D/munge.seed" \
		</dev/null >>"$D/log/munged.out" 2>&1 3>&- &
	echo $! >"$D/pid/munged"
	wait_for 30 test -S "$D/munge.sock"

	# The network: a bridge on the controller, a veth pair to each worker.
	new_ns controller
	in_ns controller ip link add hpcex-br type bridge
	in_ns controller ip addr add "$NET.1/24" dev hpcex-br
	in_ns controller ip link set hpcex-br up
	local i=11 n
	for n in "${NODES[@]}"; do
		new_ns "$n"
		in_ns controller ip link add "v-$n" type veth peer name eth0 netns "$(cat "$D/pid/ns-$n")"
		in_ns controller ip link set "v-$n" master hpcex-br up
		in_ns "$n" ip addr add "$NET.$i/24" dev eth0
		in_ns "$n" ip link set eth0 up
		i=$((i + 1))
	done

	# The daemons; nsenter execs them, so $! is the daemon's pid.
	export SLURM_CONF=$D/slurm.conf
	nsenter --net --uts -t "$(cat "$D/pid/ns-controller")" slurmctld -D -i \
		</dev/null >>"$D/log/slurmctld.out" 2>&1 3>&- &
	echo $! >"$D/pid/slurmctld"
	make_cgroups
	local cgroups
	mapfile -t cgroups <"$D/cgroups"
	for n in "${NODES[@]}"; do
		# shellcheck disable=SC2016
		nsenter --net --uts -t "$(cat "$D/pid/ns-$n")" sh -c \
			'n=$1; shift; for d; do echo $$ >"$d/cgroup.procs" || exit 1; done; exec slurmd -D -N "$n"' \
			sh "$n" "${cgroups[@]}" </dev/null >>"$D/log/slurmd-$n.out" 2>&1 3>&- &
		echo $! >"$D/pid/slurmd-$n"
	done
	wait_for 90 nodes_idle || {
		tail -n 20 "$D/log/"*.log >&2
		return 1
	}
	echo "run.sh: cluster up in $D: controller $NET.1, ${NODES[*]}; storage $D/storage"
}

# gone PID: PID has exited (or is a zombie).
gone() {
	[ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# stop NAME...: SIGTERM to the recorded pid of each, then wait for them.
stop() {
	local f
	for f in "$@"; do
		[ -f "$D/pid/$f" ] && kill "$(cat "$D/pid/$f")" 2>/dev/null
	done
	for f in "$@"; do
		[ -f "$D/pid/$f" ] && { wait_for 20 gone "$(cat "$D/pid/$f")" || true; }
	done
	return 0
}

down() {
	[ -d "$D" ] || return 0
	D=$(cd "$D" && pwd)
	[ -d "$D/pid" ] || { echo "run.sh: $D is not a cluster's directory" >&2 && return 1; }
	local p d app
	if [ -f "$D/pid/ns-controller" ] && ! gone "$(cat "$D/pid/ns-controller")" && [ -f "$D/pid/slurmctld" ]; then
		ctl scancel --quiet --user=root 2>/dev/null || true
		wait_for 30 no_jobs || true
	fi
	stop "${NODES[@]/#/slurmd-}" slurmctld
	# Whatever is left in the slurmds' cgroup (stepds, mkrun, tasks) is ours.
	for p in $(cgroup_pids); do
		kill -9 "$p" 2>/dev/null || true
	done
	wait_for 10 cgroups_empty || true
	for app in "$D/mkrun-root/.apps"/*; do
		[ -e "$app" ] || continue
		"$MKRUN" --root "$D/mkrun-root" app rm --force "${app##*/}" >/dev/null 2>&1 || true
	done
	for d in $("$MKRUN" --root "$D/mkrun-root" list -q 2>/dev/null); do
		"$MKRUN" --root "$D/mkrun-root" delete --force "$d" 2>/dev/null || true
	done
	stop munged "${NODES[@]/#/ns-}" ns-controller
	if [ -f "$D/cgroups" ]; then
		while read -r d; do
			[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done <"$D/cgroups"
	fi
	awk -v p="$D/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r d; do umount -l "$d" 2>/dev/null || true; done
	rm -rf "$D"
}

# demo: up, a job with a task on each worker, a job whose task crashes on
# worker2, the logs and results, down.
demo() {
	D=$(mktemp -d /tmp/hpcex.XXXXXX)
	trap 'down' EXIT
	up
	local s=$D/storage j1 j2 j f
	j1=$(ctl sbatch --parsable --chdir="$s" -N2 "$s/task.sbatch")
	j2=$(ctl sbatch --parsable --chdir="$s" -w worker2 "$s/task.sbatch" crash)
	echo "run.sh: submitted job $j1 (-N2) and job $j2 (-w worker2, crash)"
	wait_for 120 no_jobs
	for j in "$j1" "$j2"; do
		ctl scontrol show job "$j" | grep -oE '\b(JobId|JobState|ExitCode|NodeList)=[^ ]*' | tr '\n' ' '
		echo
	done
	for f in "$s/logs/"*; do
		echo "=== ${f#"$s"/}"
		cat "$f"
	done
	for f in "$s/output/"*; do
		echo "=== ${f#"$s"/}: $(cat "$f")"
	done
}

case "${1:-demo}" in
demo) demo ;;
up | down)
	[ $# -eq 2 ] || { sed -n '7,14p' "$0" >&2 && exit 2; }
	D=$2
	"$1"
	;;
exec)
	[ $# -ge 3 ] || { sed -n '7,14p' "$0" >&2 && exit 2; }
	D=$(cd "$2" && pwd)
	shift 2
	ctl "$@"
	;;
*)
	sed -n '7,14p' "$0" >&2
	exit 2
	;;
esac
