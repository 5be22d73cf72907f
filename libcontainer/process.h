/* process.h: the process fields the init applies to itself before exec:
 * rlimits, oomScoreAdj, personality, ioPriority, scheduler, umask, user,
 * cwd, and the lookup of args[0] on the container's PATH.  */
#ifndef MK_PROCESS_H
#define MK_PROCESS_H

#include "error.h"
#include "spec.h"

/* While still root: oom score, rlimits, scheduler, I/O priority, personality. */
int mk_process_apply_limits (const struct mk_spec *spec, const struct mk_process *p,
                             mk_error **err);
/* setgroups, setresgid, setresuid (keeping capabilities, see caps.h).  */
int mk_process_set_user (const struct mk_process *p, mk_error **err);
/* chdir to process.cwd and check it is inside the root (CVE-2024-21626).  */
int mk_process_chdir (const struct mk_process *p, mk_error **err);
/* process.apparmorProfile and process.selinuxLabel: what the kernel
   applies at the next execve (/proc/self/attr/...).  */
int mk_process_set_labels (const struct mk_process *p, mk_error **err);
/* Finds args[0] on the PATH of process.env; the result is malloc'ed.  */
int mk_process_find_exec (const struct mk_process *p, char **path, mk_error **err);

#endif
