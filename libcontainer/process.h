/* process.h: the process fields the init applies to itself before exec:
 * rlimits, oomScoreAdj, personality, ioPriority, scheduler, umask, user,
 * cwd, and the lookup of args[0] on the container's PATH.  */
#ifndef MK_PROCESS_H
#define MK_PROCESS_H

#include "error.h"
#include "spec.h"

/* While still root: oom score, rlimits, scheduler, I/O priority, personality.
   PROCFD: a checked procfs handle (kernfs.h) the oom score is written
   through.  */
int mk_process_apply_limits (const struct mk_spec *spec, const struct mk_process *p, int procfd,
                             mk_error **err);
/* setgroups, setresgid, setresuid (keeping capabilities, see caps.h).  */
int mk_process_set_user (const struct mk_process *p, mk_error **err);
/* chdir to process.cwd and check it is inside the root (CVE-2024-21626).  */
int mk_process_chdir (const struct mk_process *p, mk_error **err);
/* P's environment with HOME set where it has none (or an empty one), as
   runc does: process.user.uid's home in the container's /etc/passwd, else
   "/".  NULL when P's own will do; else malloc'ed (the strings but HOME's
   are P's).  Run in the container's root, before the user is set.  */
char **mk_process_env_home (const struct mk_process *p);
/* process.apparmorProfile and process.selinuxLabel: what the kernel
   applies at the next execve (/proc/self/attr/..., through PROCFD).  */
int mk_process_set_labels (const struct mk_process *p, int procfd, mk_error **err);
/* Finds args[0] (on the PATH of process.env unless it has a slash), after
   the chdir to process.cwd, and checks it resolves inside the root ("/")
   to an executable file without a /proc magic link on the way: a path
   through /proc/self/fd/N would reach whatever N is (CVE-2024-21626).  The
   result is absolute and malloc'ed.  */
int mk_process_find_exec (const struct mk_process *p, char **path, mk_error **err);

#endif
