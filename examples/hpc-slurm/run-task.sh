#!/bin/bash
# run-task.sh [crash]: one task of an HPC-example job step, on whichever
# node srun started it.  Runs bin/task through mkrun as task.yaml says, as
# the app hpcex-task-JOB-RANK (app names must be unique among the tasks
# running at once), with its log at logs/hpcex-task-JOB-RANK.log on the
# storage directory: mkrun's supervisor writes it, whole even when the task
# crashes.  The YAML has no variables, so the task's YAML is a copy of
# task.yaml with its own logging.file, made next to it (where the relative
# paths still hold) and removed afterwards.  Exits with mkrun's status: the
# task's, 128+N for a signal.
# MKRUN (default: mkrun on PATH) and MKRUN_ROOT (mkrun's --root) come from
# the job's environment.
set -eu
cd "$(dirname "$0")"
name=hpcex-task-$SLURM_JOB_ID-$SLURM_PROCID
yaml=.$name.yaml
trap 'rm -f "$yaml"' EXIT
sed "s|\"./logs/task.log\"|\"./logs/$name.log\"|" task.yaml >"$yaml"
grep -q "logs/$name.log" "$yaml" || {
	echo "run-task.sh: no logging.file \"./logs/task.log\" in task.yaml" >&2
	exit 1
}
"${MKRUN:-mkrun}" ${MKRUN_ROOT:+--root "$MKRUN_ROOT"} -e ./bin/task --config "$yaml" --name "$name" \
	--app-args "'$PWD' $SLURM_JOB_ID.$SLURM_PROCID $SLURMD_NODENAME $*"
