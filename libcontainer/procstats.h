/* procstats.h: what a container without a cgroup of its own (unprivileged,
 * nothing delegated) can still be told from /proc: its processes (those of
 * its init's pid namespace that the caller may see) and their use of CPU,
 * memory and I/O, in the shape of `events --stats`' data.  */
#ifndef MK_PROCSTATS_H
#define MK_PROCSTATS_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* The processes of INIT's pid namespace (*PIDS, *N), or INIT alone when it
   shares the caller's.  */
int mk_proc_pidns_pids (pid_t init, pid_t **pids, size_t *n, mk_error **err);

/* runc's stats data (cpu.usage total/user/kernel, memory.usage.usage as
   the resident set, pids.current, blkio read/write bytes) summed over the
   processes of INIT's pid namespace: a JSON object.  */
int mk_proc_stats_json (pid_t init, char **json, mk_error **err);

#endif
