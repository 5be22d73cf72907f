/* hpc/cores.h: cpu lists, the host's cpu topology, and picking cores for
 * an HPC container.  */
#ifndef MK_HPC_CORES_H
#define MK_HPC_CORES_H

#include <sched.h>

#include "error.h"
#include "utils.h"

/* mk_cpulist_parse is the core's (utils.h).  */
/* SET → "0-3,8" ("" when empty).  */
char *mk_cpulist_format (const cpu_set_t *set);
/* The cpu list file PATH → SET; -1 (SET empty) if it cannot be read or
   parsed.  An empty file is no cpus.  */
int mk_cpulist_read (const char *path, cpu_set_t *set);

/* The NUMA nodes of the cpus of SET, as a list ("0", "0-1").  SYSFS is
   "/sys" (tests may point elsewhere).  */
char *mk_cpus_nodes (const char *sysfs, const cpu_set_t *set);

/* Picks N cpus of AVAIL not in HELD into *OUT, leaving at least one cpu
   of AVAIL neither held nor picked: isolated (isolcpus/nohz_full) cpus
   first, siblings (thread_siblings) together, one NUMA node where N fit
   in one, high numbers first (cpu 0 keeps the host's housekeeping).  */
int mk_cores_pick (const char *sysfs, unsigned n, const cpu_set_t *avail, const cpu_set_t *held,
                   cpu_set_t *out, mk_error **err);

#endif
