/* init.h: what the runtime hands the container's init (its own clone,
 * sharing its memory image: nothing is serialized) and the init's entry.  */
#ifndef MK_INIT_H
#define MK_INIT_H

#include <signal.h>
#include <stdbool.h>

#include "cgroups/cgroup.h"
#include "namespaces.h"
#include "spec.h"

struct mk_init_args
{
  const struct mk_spec *spec;
  const struct mk_process *process;
  struct mk_ns_plan plan;
  const char *bundle;
  const char *id;
  pid_t host_pid;  /* the init's pid as the host sees it, for hooks */
  int sync_fd;     /* the init's end of the socketpair */
  int state_dirfd; /* the runtime's locked state dir: closed first thing */
  int fifo_fd;     /* exec.fifo opened O_RDONLY|O_NONBLOCK; -1 for run */
  int console_fd;  /* connected --console-socket, or -1 */
  int procfd;      /* the init's: the host's /proc, checked (kernfs.h) */
  bool no_pivot;
  bool no_new_keyring;
  bool wait_cgroup;                   /* the runtime moves it into its cgroup after clone */
  const struct mk_cgroup *self_enter; /* or the init moves itself (v1) */
  bool pause_for_hooks;               /* prestart/createRuntime/createContainer hooks exist */
  int preserve_fds;
  sigset_t sigmask; /* the runtime's mask before it blocked signals */
  char **env;       /* set by the init: process.env with HOME made sure of */
  int *source_fds;  /* set by the init: the bind sources the runtime opened
                       (mk_mount_ctx.source_fds), or NULL */
};

/* The steps the init and exec's process share, after namespaces and the
   root are in place: setsid, the terminal (sent over CONSOLE_FD, then
   closed), limits, umask, cwd, the lookup of args[0], LSM labels, seccomp,
   capabilities and user.  PROCFD (a checked procfs handle for the oom
   score and labels, kernfs.h) is closed once written through, before
   capabilities go.  *exec_path is what to execve, *env its environment
   (mk_process_env_home), *notify_fd the seccomp listener fd or -1.  */
int mk_init_prepare_process (const struct mk_spec *spec, const struct mk_process *p, int console_fd,
                             int procfd, char **exec_path, char ***env, int *notify_fd,
                             mk_error **err);

/* Never returns: execs process.args or reports an error on sync_fd and
   exits.  */
void mk_init_run (struct mk_init_args *a) __attribute__ ((noreturn));

#endif
