/* init.c: the container's init, from clone to exec.  It runs in the clone
 * of the runtime (no re-exec), sets the container up in the order
 * runtime-spec and the kernel require, tells the runtime it is ready, waits
 * for start, and execs the process.  Any failure before exec goes back to
 * the runtime as an error message.  With the annotation org.mkrun.init it
 * forks instead and stays as the program's parent (run_init_shim).  */
#include "config.h"

#include "caps.h"
#include "devices.h"
#include "extension.h"
#include "foreground.h"
#include "hooks.h"
#include "init.h"
#include "kernfs.h"
#include "log.h"
#include "mounts.h"
#include "process.h"
#include "rootfs.h"
#include "seccomp.h"
#include "state.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

static int
run_container_hooks (struct mk_init_args *a, enum mk_hook_kind kind, enum mk_status status,
                     mk_error **err)
{
  struct mk_state st = { .id = (char *)a->id, .pid = a->host_pid, .bundle = (char *)a->bundle };
  _cleanup_free_ char *json = NULL;
  if (a->spec->hooks[kind].n == 0)
    return 0;
  st.annotations = a->spec->annotations;
  st.n_annotations = a->spec->n_annotations;
  json = mk_state_json (&st, status, false);
  return mk_hooks_run (a->spec, kind, json, err);
}

static int
wait_cgroup (void *arg, mk_error **err)
{
  struct mk_init_args *a = arg;
  if (a->wait_cgroup)
    {
      if (mk_sync_expect (a->sync_fd, MK_SYNC_CGROUP_DONE, NULL, err) < 0)
        return -1;
      a->wait_cgroup = false;
    }
  if (a->plan.new_cgroup)
    {
      if (unshare (CLONE_NEWCGROUP) < 0)
        return mk_error_set (err, errno, "linux.namespaces: create the cgroup namespace");
      a->plan.new_cgroup = false;
    }
  return 0;
}

/* In a new user namespace, the bind sources are opened by the runtime,
   which can still reach paths that the namespace's root is refused (a
   directory only its host owner may enter): it joins our mount namespace
   to open them, so that they are mounts of ours, and sends them.  */
static int
receive_sources (struct mk_init_args *a, mk_error **err)
{
  size_t n = a->spec->n_mounts, binds = 0;
  for (size_t i = 0; i < n; i++)
    binds += a->spec->mounts[i].bind;
  if (binds == 0)
    return 0;
  a->source_fds = xmalloc0 (n * sizeof (int));
  for (size_t i = 0; i < n; i++)
    a->source_fds[i] = -1;
  if (mk_sync_send (a->sync_fd, MK_SYNC_WANT_SOURCES, NULL, 0, -1) < 0)
    return mk_error_set (err, errno, "ask for the bind sources");
  for (;;)
    {
      char kind;
      uint32_t idx;
      int fd, r = mk_sync_recv (a->sync_fd, &kind, &idx, sizeof (idx), &fd, err);
      if (r < 0)
        return -1;
      if (kind == MK_SYNC_SOURCES_DONE)
        return 0;
      /* The runtime may have put us in our cgroup meanwhile (wait_cgroup
         then waits no more).  */
      if (kind == MK_SYNC_CGROUP_DONE && a->wait_cgroup && fd < 0)
        {
          a->wait_cgroup = false;
          continue;
        }
      if (kind != MK_SYNC_SOURCE || r != sizeof (idx) || idx >= n || fd < 0
          || a->source_fds[idx] >= 0)
        {
          if (fd >= 0)
            close (fd);
          return mk_error_set (err, 0, "container init: unexpected message `%c`", kind);
        }
      a->source_fds[idx] = fd;
    }
}

/* The bind sources are host descriptors: none is left once mounted.  */
static void
close_sources (struct mk_init_args *a)
{
  for (size_t i = 0; a->source_fds && i < a->spec->n_mounts; i++)
    if (a->source_fds[i] >= 0)
      close (a->source_fds[i]);
  free (a->source_fds);
  a->source_fds = NULL;
}

static bool
maps_zero (const struct mk_idmap *m, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (m[i].container_id == 0 && m[i].size > 0)
      return true;
  return false;
}

static int
setup_namespaces (struct mk_init_args *a, mk_error **err)
{
  if (a->plan.join_in_init && mk_ns_join (a->spec, err) < 0)
    return -1;
  if (a->plan.unshare_flags & CLONE_NEWUSER)
    {
      if (unshare (CLONE_NEWUSER) < 0)
        return mk_error_set (err, errno, "linux.namespaces: create the user namespace");
      if (mk_sync_send (a->sync_fd, MK_SYNC_WANT_IDMAPS, NULL, 0, -1) < 0)
        return mk_error_set (err, errno, "ask for the id maps");
    }
  if (a->plan.new_user && mk_sync_expect (a->sync_fd, MK_SYNC_IDMAPS_DONE, NULL, err) < 0)
    return -1;
  /* Root of the new namespace where it has one; where 0 is not mapped (an
     unprivileged app keeps its own uid) the capabilities the namespace's
     creator has are enough for the setup.  */
  if (a->plan.new_user && maps_zero (a->spec->uid_mappings, a->spec->n_uid_mappings)
      && maps_zero (a->spec->gid_mappings, a->spec->n_gid_mappings)
      && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
    return mk_error_set (err, errno, "become root in the user namespace");
  if ((a->plan.unshare_flags & ~CLONE_NEWUSER)
      && unshare (a->plan.unshare_flags & ~CLONE_NEWUSER) < 0)
    return mk_error_set (err, errno, "linux.namespaces: unshare");
  if (a->plan.new_user && receive_sources (a, err) < 0)
    return -1;
  if (!a->no_new_keyring)
    {
      char name[64];
      snprintf (name, sizeof (name), "_ses.mkrun");
      /* Errors are ignored, as runc does where keyrings are unavailable. */
      syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name);
    }
  return 0;
}

static int
setup_rootfs (struct mk_init_args *a, mk_error **err)
{
  _cleanup_close_ int rootfd = -1;
  struct mk_mount_ctx mctx = {
    .spec = a->spec,
    .new_cgroupns = a->plan.new_cgroup,
    .userns = a->plan.new_user || mk_spec_namespace (a->spec, CLONE_NEWUSER) != NULL,
    .before_cgroup = wait_cgroup,
    .arg = a,
  };

  if (mk_rootfs_prepare (a->spec, &rootfd, err) < 0)
    return -1;
  mctx.rootfd = rootfd;
  mctx.source_fds = a->source_fds;
  if (mk_mounts_apply (&mctx, err) < 0)
    return -1;
  close_sources (a);
  if (mk_devices_create (a->spec, rootfd, mctx.userns, err) < 0)
    return -1;
  {
    /* runc creates a missing process.cwd; so do we, inside the rootfs. */
    int cwdfd = -1;
    if (mk_mkpath_in_root (rootfd, a->process->cwd, false, &cwdfd, err) < 0)
      return mk_error_prefix (err, "process.cwd");
    close (cwdfd);
  }
  if (a->pause_for_hooks)
    {
      if (mk_sync_send (a->sync_fd, MK_SYNC_RUN_HOOKS, NULL, 0, -1) < 0)
        return mk_error_set (err, errno, "ask for the hooks");
      if (mk_sync_expect (a->sync_fd, MK_SYNC_HOOKS_DONE, NULL, err) < 0)
        return -1;
      /* createContainer hooks run in the rootfs (their cwd), as runc's:
         "./lib" there is the container's /lib.  */
      if (fchdir (rootfd) < 0)
        return mk_error_set (err, errno, "chdir to the rootfs");
      if (run_container_hooks (a, MK_HOOK_CREATE_CONTAINER, MK_STATUS_CREATING, err) < 0)
        return -1;
    }
  if (mk_rootfs_pivot (a->spec, rootfd, a->no_pivot, err) < 0)
    return -1;
  /* The terminal now, while / may still be written: /dev/console is made
     and the pty bound there (runc's console), not through anything the
     image put at that path.  */
  if (a->process->terminal && a->console_fd >= 0)
    {
      if (setsid () < 0)
        return mk_error_set (err, errno, "setsid");
      if (mk_terminal_setup (a->console_fd, a->process, true, err) < 0)
        return -1;
      close (a->console_fd);
      a->console_fd = -1;
    }
  return mk_rootfs_finish (a->spec, a->procfd, mctx.proc_dev, err);
}

/* Waits for `start` (a writer on exec.fifo) or, for run, the runtime's go. */
static int
wait_start (struct mk_init_args *a, mk_error **err)
{
  if (a->fifo_fd >= 0)
    {
      struct pollfd p = { a->fifo_fd, POLLIN, 0 };
      char c;
      for (;;)
        {
          int r = poll (&p, 1, -1);
          if (r < 0 && errno == EINTR)
            continue;
          if (r < 0)
            return mk_error_set (err, errno, "wait for start");
          if (read (a->fifo_fd, &c, 1) == 1)
            break;
          /* A writer came and went without a byte: keep waiting.  */
          if (p.revents & POLLHUP)
            {
              struct timespec ts = { 0, 1000000 };
              nanosleep (&ts, NULL);
            }
        }
      /* fifo_fd stays open (close-on-exec): `start` waits for it to
         close before it runs poststart hooks.  */
      return 0;
    }
  return mk_sync_expect (a->sync_fd, MK_SYNC_GO, NULL, err) < 0 ? -1 : 0;
}

/* Execs the program with the runtime's signal mask.  A failure is told on
   stderr: the runtime has gone on since READY and reads no message now.
   Nothing but stdio, the preserved fds and KEEP (close-on-exec, as are
   exec.fifo and the sync socket, neither a directory) is open while
   execve resolves the path.  */
static void __attribute__ ((noreturn))
exec_program (const struct mk_init_args *a, const char *exec_path, int keep)
{
  int fds[] = { a->sync_fd, a->fifo_fd, keep };
  mk_debug ("init: closing the pipe to signal completion: exec %s", exec_path);
  /* (The log is closed here too.)  */
  mk_close_fds_from (3 + a->preserve_fds, fds, MK_ARRAY_SIZE (fds));
  sigprocmask (SIG_SETMASK, &a->sigmask, NULL);
  execve (exec_path, a->process->args, a->env);
  fprintf (stderr, "mkrun: exec `%s`: %s\n", exec_path, strerror (errno));
  _exit (127);
}

/* org.mkrun.init: the program runs as our child and we stay as the
   container's pid 1, as tini does by default: every signal we can catch
   goes to the child (not its group), every process that ends up ours is
   reaped, and we exit as the child did (N, or 128+S for a signal S: pid 1
   cannot re-raise most signals on itself).  This runs after seccomp, the
   user and capabilities: only fork, pipe2, read, close(_range),
   rt_sigprocmask, rt_sigaction, rt_sigtimedwait, kill, wait4, exit_group,
   and no allocation.  */
static void __attribute__ ((noreturn))
run_init_shim (const struct mk_init_args *a, const char *exec_path)
{
  struct sigaction dfl = { .sa_handler = SIG_DFL };
  pid_t self = getpid (), child;
  int pipefd[2];
  sigset_t all;
  char c;

  /* Blocked before the fork, so that nothing sent to us is lost: what
     comes before the loop below waits in the queue.  SIGCHLD ignored by
     whoever started the runtime would reap our children unseen.  */
  mk_foreground_block_signals (&all, NULL);
  sigaction (SIGCHLD, &dfl, NULL);
  if (pipe2 (pipefd, O_CLOEXEC) < 0 || (child = fork ()) < 0)
    {
      fprintf (stderr, "mkrun: exec `%s`: start it under the init: %s\n", exec_path,
               strerror (errno));
      _exit (127);
    }
  if (child == 0)
    {
      close (pipefd[0]);
      /* The program leads its own group, as it did when it was the
         session leader, and that group owns the terminal: ^C on it
         reaches the program alone.  (SIGTTOU is blocked here.)  */
      setpgid (0, 0);
      if (a->process->terminal)
        tcsetpgrp (0, getpgrp ());
      /* Without a pid namespace nothing else ends the program with us.  */
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (getppid () != self)
        _exit (127);
      exec_program (a, exec_path, pipefd[1]);
    }
  close (pipefd[1]);
  /* EOF once the child has exec'd (or died).  Until then we hold exec.fifo
     or the sync socket, whose close tells the runtime the program started
     (it runs poststart hooks then).  */
  while (read (pipefd[0], &c, 1) < 0 && errno == EINTR)
    ;
  /* Then nothing: not those, not preserved fds, not stdio, so that the
     readers of the program's pipes or pty see EOF when it closes them.  We
     remain the pty's session leader: a hangup's SIGHUP comes to us and is
     passed on.  */
  mk_close_fds_from (0, NULL, 0);
  for (;;)
    {
      int sig = sigwaitinfo (&all, NULL), status;
      pid_t pid;

      if (sig < 0)
        continue;
      if (sig != SIGCHLD)
        {
          kill (child, sig);
          continue;
        }
      while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
        if (pid == child)
          _exit (WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
    }
}

int
mk_init_prepare_process (const struct mk_spec *spec, const struct mk_process *p, int console_fd,
                         int procfd, char **exec_path, char ***env, int *notify_fd, mk_error **err)
{
  /* The extensions' apply hooks only read the spec.  */
  struct mk_ext_ctx x = { .spec = (struct mk_spec *)spec };
  bool seccomp_loaded = false;
  int r;

  /* (The init may have set its terminal up already, as session leader.)  */
  if (getsid (0) != getpid () && setsid () < 0)
    r = mk_error_set (err, errno, "setsid");
  else if (p->terminal && console_fd >= 0 && mk_terminal_setup (console_fd, p, false, err) < 0)
    r = -1;
  else if (mk_process_apply_limits (spec, p, procfd, err) < 0
           || mk_ext_run (MK_EXT_APPLY, &x, err) < 0)
    r = -1;
  else
    {
      umask (p->has_umask ? p->umask : 022);
      *env = mk_process_env_home (p);
      if (*env == NULL)
        *env = p->env;
      r = mk_process_chdir (p, err) < 0 || mk_process_find_exec (p, exec_path, err) < 0
                  || mk_process_set_labels (p, procfd, err) < 0
              ? -1
              : 0;
    }
  /* The last write through PROCFD (which may be the host's) is done.  */
  if (console_fd >= 0)
    close (console_fd);
  if (procfd >= 0)
    close (procfd);
  if (r < 0)
    return -1;

  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it
     while still root.  */
  if (spec->seccomp && !p->no_new_privileges)
    {
      if (mk_seccomp_load (spec->seccomp, notify_fd, err) < 0)
        return -1;
      seccomp_loaded = true;
    }
  if (mk_caps_drop_bounding (p, err) < 0)
    return -1;
  if (prctl (PR_SET_KEEPCAPS, 1) < 0)
    return mk_error_set (err, errno, "keep capabilities");
  if (mk_process_set_user (p, err) < 0)
    return -1;
  prctl (PR_SET_KEEPCAPS, 0);
  if (mk_caps_apply (p, err) < 0)
    return -1;
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return mk_error_set (err, errno, "process.noNewPrivileges");
  if (spec->seccomp && !seccomp_loaded && mk_seccomp_load (spec->seccomp, notify_fd, err) < 0)
    return -1;

  return 0;
}

void
mk_init_run (struct mk_init_args *a)
{
  const struct mk_process *p = a->process;
  mk_error *err = NULL;
  _cleanup_free_ char *exec_path = NULL;
  int notify_fd = -1;

  /* The state dir's flock is shared with this copy of its fd: let go of it
     so `state`, `list` and `start` can take it while we wait.  */
  if (a->state_dirfd >= 0)
    close (a->state_dirfd);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (a->self_enter && mk_cgroup_enter_self_v1 (a->self_enter, &err) < 0)
    goto fail;
  {
    /* Nothing of the runtime's is needed from here on (its cgroup and
       state directories, the caller's strays): close it all now rather than
       at exec, where execve would still resolve the program's path through
       /proc/self/fd/N of a directory (CVE-2024-21626).  */
    int keep[] = { a->sync_fd, a->fifo_fd, a->console_fd, mk_log_fd () };
    mk_close_fds_from (3 + a->preserve_fds, keep, MK_ARRAY_SIZE (keep));
  }
  /* The host's /proc is still ours: the init's own writes to procfs
     (sysctl, oom_score_adj, LSM labels) go through it, whatever the
     container's /proc turns out to be; closed before the runtime hears
     READY.  Its "self" is our host pid.  */
  a->procfd = mk_kernfs_open_root ("/proc", &err);
  if (a->procfd < 0)
    goto fail;
  {
    char buf[32];
    ssize_t n = readlinkat (a->procfd, "self", buf, sizeof (buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    a->host_pid = (pid_t)atoi (buf);
  }
  if (a->bundle && chdir (a->bundle) < 0)
    {
      mk_error_set (&err, errno, "chdir to the bundle");
      goto fail;
    }
  mk_debug ("child process in init(): pid %d on the host", (int)a->host_pid);
  mk_debug ("nsexec container setup: namespaces, then the root filesystem");
  if (setup_namespaces (a, &err) < 0)
    goto fail;
  if (mk_spec_namespace (a->spec, CLONE_NEWUTS) && mk_set_hostname (a->spec, &err) < 0)
    goto fail;
  {
    const struct mk_namespace *net = mk_spec_namespace (a->spec, CLONE_NEWNET);
    if (net && !net->path && mk_ns_loopback_up (&err) < 0)
      goto fail;
  }
  if (setup_rootfs (a, &err) < 0)
    goto fail;
  /* No cgroup mount made us wait: the process must still be in its cgroup
     (and cgroup namespace) before it runs anything of its own.  */
  if (wait_cgroup (a, &err) < 0)
    goto fail;

  if (mk_init_prepare_process (a->spec, p, a->console_fd, steal_fd (&a->procfd), &exec_path,
                               &a->env, &notify_fd, &err)
      < 0)
    goto fail;

  /* Once told we are ready the runtime may be gone at any moment (create
     returns, run -d too): stop tying our life to it first.  */
  prctl (PR_SET_PDEATHSIG, 0);
  if (mk_sync_send (a->sync_fd, MK_SYNC_READY, NULL, 0, notify_fd) < 0)
    _exit (1);
  if (notify_fd >= 0)
    close (notify_fd);
  if (wait_start (a, &err) < 0)
    _exit (1);
  /* sync_fd stays open (close-on-exec): `run` waits for it to close
     before it runs poststart hooks.  */
  if (run_container_hooks (a, MK_HOOK_START_CONTAINER, MK_STATUS_CREATED, &err) < 0)
    {
      fprintf (stderr, "mkrun: %s\n", err->msg);
      _exit (1);
    }
  if (a->spec->init_shim)
    run_init_shim (a, exec_path);
  exec_program (a, exec_path, -1);

fail:
  mk_sync_fail (a->sync_fd, err);
}
