/* hpc/partition.h: an HPC container's cgroup v2 cpuset made a partition:
 * its cores taken out of every other cgroup's effective cpus by the
 * kernel, and out of load balancing where the kernel has "isolated".
 *
 * Linux 6.7 and later (cpuset.cpus.exclusive): a remote partition, for a
 * cgroup however deep: the cores are first added to cpuset.cpus.exclusive
 * of every ancestor below the hierarchy's root that lacks them (what was
 * added is recorded, to be taken out again).  Before 6.7 only a cgroup
 * whose parent is itself a partition root can be one (a local partition).
 * Where the kernel refuses, the container keeps its pinned cpuset (and the
 * other containers mkrun narrowed) and the reason is recorded.  */
#ifndef MK_HPC_PARTITION_H
#define MK_HPC_PARTITION_H

#include <sched.h>

/* Makes DIR (a cgroup directory of the v2 hierarchy mounted at MOUNT,
   whose cpuset.cpus is CORES) a partition: "isolated", else "root".
   Returns the type made, with *ADDED the ancestors' exclusive cpus added
   ("DIR=LIST;..." top down, or NULL); or NULL with *WHY (the kernel's
   reason, as cpuset.cpus.partition reads), having undone everything.  */
char *mk_partition_make (const char *mount, const char *dir, const cpu_set_t *cores,
                         char **added, char **why);

/* Undoes mk_partition_make: DIR back to a member if it is still there,
   then ADDED taken out of the ancestors, bottom up.  Either may be NULL.  */
void mk_partition_undo (const char *dir, const char *added);

#endif
