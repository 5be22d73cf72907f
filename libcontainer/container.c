/* container.c: the runtime's side of every lifecycle operation.
 *
 * create: parse and validate the spec, make the state dir and the cgroup,
 * clone the init with its namespaces (straight into its cgroup on v2),
 * move it into its v1 cgroups while it sets itself up, answer its
 * requests (id maps, hooks), record state.json when it is ready.  On any
 * failure everything made so far is undone in reverse.  */
#include "config.h"

#include "app/netfilter.h"
#include "unixguard.h"
#include "cgroups/cgroup.h"
#include "cgroups/resources.h"
#include "container.h"
#include "devices.h"
#include "foreground.h"
#include "hooks.h"
#include "hpc/gpu.h"
#include "hpc/profile.h"
#include "init.h"
#include "namespaces.h"
#include "rootfs.h"
#include "seccomp.h"
#include "spec.h"
#include "state.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <yajl/yajl_tree.h>

/* Everything create made, so a failure can undo it.  */
struct creation
{
  const struct mk_create_opts *o;
  char *bundle;
  char *config_json;
  struct mk_spec *spec;
  int dirfd;
  struct mk_cgroup *cg;
  pid_t pid;
  int sync_fd;
  int console_fd; /* runtime's end for a foreground terminal */
  int master_fd;
  struct mk_state state;
};

static void
creation_rollback (struct creation *c)
{
  if (c->pid > 0)
    {
      kill (c->pid, SIGKILL);
      waitpid (c->pid, NULL, 0);
      c->pid = 0;
    }
  if (c->cg)
    {
      mk_error *e = NULL;
      mk_cgroup_destroy (c->cg, &e);
      mk_error_free (e);
    }
  if (c->dirfd >= 0)
    {
      mk_error *e = NULL;
      mk_hpc_release (c->o->root, c->o->id, NULL);
      mk_state_dir_remove (c->o->root, c->o->id, &e);
      mk_error_free (e);
    }
}

static void
creation_free (struct creation *c)
{
  if (c->sync_fd >= 0)
    close (c->sync_fd);
  if (c->dirfd >= 0)
    close (c->dirfd);
  if (c->console_fd >= 0)
    close (c->console_fd);
  if (c->master_fd >= 0)
    close (c->master_fd);
  mk_cgroup_free (c->cg);
  mk_spec_free (c->spec);
  free (c->bundle);
  free (c->config_json);
  free (c->state.created);
  free (c->state.freezer_file);
}

static char *
now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf ("%s.%09ldZ", buf, ts.tv_nsec);
}

/* Checks what can be checked before anything is created.  */
static int
preflight (const struct creation *c, bool run_mode, mk_error **err)
{
  const struct mk_spec *spec = c->spec;
  struct stat st;

  if (spec->process == NULL)
    return mk_error_set (err, 0, "process: missing");
  if (stat (spec->root_path, &st) < 0)
    return mk_error_set (err, errno, "root.path: `%s`", spec->root_path);
  if (!S_ISDIR (st.st_mode))
    return mk_error_set (err, 0, "root.path: `%s` is not a directory", spec->root_path);
  if (spec->process->apparmor_profile && spec->process->apparmor_profile[0]
      && access ("/sys/kernel/security/apparmor", F_OK) < 0)
    return mk_error_set (err, 0, "process.apparmorProfile: AppArmor is not enabled on this host");
  if (spec->process->selinux_label && spec->process->selinux_label[0]
      && access ("/sys/fs/selinux/enforce", F_OK) < 0)
    return mk_error_set (err, 0, "process.selinuxLabel: SELinux is not enabled on this host");
  if (spec->process->terminal && c->o->console_socket == NULL && (c->o->detach || !run_mode))
    return mk_error_set (err, 0, "process.terminal: a detached container needs --console-socket");
  if (!spec->process->terminal && c->o->console_socket)
    return mk_error_set (err, 0,
                         "--console-socket: process.terminal is false: there is no "
                         "terminal to send");
  if (mk_sysctl_validate (spec, err) < 0)
    return -1;
  if (spec->unix_peers)
    {
      _cleanup_free_ char *why = NULL;
      if (!mk_unixguard_available (&why))
        return mk_error_set (err, 0, "%s: cannot be enforced here: %s", MK_UNIXGUARD_ANNOTATION,
                             why);
    }
  if (spec->unix_paths)
    {
      _cleanup_free_ char *why = NULL;
      if (!mk_unixguard_paths_available (&why))
        return mk_error_set (err, 0, "%s: cannot be enforced here: %s",
                             MK_UNIXGUARD_PATHS_ANNOTATION, why);
    }
  return 0;
}

static int
run_runtime_hooks (struct creation *c, enum mk_hook_kind kind, enum mk_status status,
                   mk_error **err)
{
  _cleanup_free_ char *json = NULL;
  if (c->spec->hooks[kind].n == 0)
    return 0;
  json = mk_state_json (&c->state, status, false);
  return mk_hooks_run (c->spec, kind, json, err);
}

static int
write_pid_file (const char *path, pid_t pid, mk_error **err)
{
  _cleanup_free_ char *tmp = xasprintf ("%s.tmp", path);
  char buf[32];
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int n = snprintf (buf, sizeof (buf), "%d", pid);
  if (fd < 0)
    return mk_error_set (err, errno, "--pid-file: create `%s`", path);
  if (mk_write_all (fd, buf, n) < 0)
    {
      close (fd);
      return mk_error_set (err, errno, "--pid-file: write `%s`", path);
    }
  close (fd);
  if (rename (tmp, path) < 0)
    return mk_error_set (err, errno, "--pid-file: rename to `%s`", path);
  return 0;
}

/* Answers the init until it is ready.  */
static int
serve_init (struct creation *c, bool hooks_pause, int *notify_fd, mk_error **err)
{
  for (;;)
    {
      char kind, buf[8192];
      int fd = -1;
      int n = mk_sync_recv (c->sync_fd, &kind, buf, sizeof (buf) - 1, &fd, err);
      if (n < 0)
        return -1;
      switch (kind)
        {
        case MK_SYNC_WANT_IDMAPS:
          if (mk_ns_write_idmaps (c->spec, c->pid, err) < 0)
            return -1;
          mk_sync_send (c->sync_fd, MK_SYNC_IDMAPS_DONE, NULL, 0, -1);
          break;
        case MK_SYNC_RUN_HOOKS:
          if (!hooks_pause)
            return mk_error_set (err, 0, "container init: unexpected hooks request");
          if (run_runtime_hooks (c, MK_HOOK_PRESTART, MK_STATUS_CREATING, err) < 0
              || run_runtime_hooks (c, MK_HOOK_CREATE_RUNTIME, MK_STATUS_CREATING, err) < 0)
            return -1;
          mk_sync_send (c->sync_fd, MK_SYNC_HOOKS_DONE, NULL, 0, -1);
          break;
        case MK_SYNC_READY:
          *notify_fd = fd;
          return 0;
        case MK_SYNC_ERROR:
          buf[n] = '\0';
          if (fd >= 0)
            close (fd);
          return mk_sync_error (buf, n, err);
        default:
          if (fd >= 0)
            close (fd);
          return mk_error_set (err, 0, "container init: unexpected message `%c`", kind);
        }
    }
}

/* org.mkrun.hpc.gpus: amend the parsed spec before anything is created.  */
static int
apply_hpc_gpus (struct mk_spec *spec, mk_error **err)
{
  return spec->hpc && spec->hpc->gpus ? mk_gpu_apply (spec, spec->hpc->gpus, err) : 0;
}

/* The GPU variables apply_hpc_gpus set, for exec (MK_STATE_ENV_FILE).  */
static int
save_env_additions (struct creation *c, mk_error **err)
{
  _cleanup_free_ char *text = xstrdup ("");
  if (c->spec->hpc == NULL || c->spec->hpc->gpus == NULL || c->spec->process == NULL)
    return 0;
  for (char **e = c->spec->process->env; e && *e; e++)
    for (const char *const *k = mk_gpu_env_keys; *k; k++)
      if (strncmp (*e, *k, strlen (*k)) == 0 && (*e)[strlen (*k)] == '=')
        {
          char *t = xasprintf ("%s%s\n", text, *e);
          free (text);
          text = t;
        }
  return mk_create_file_at (c->dirfd, MK_STATE_ENV_FILE, text, 0600, err);
}

/* Writes MK_STATE_CREATING_FILE: what this create has made so far, for a
   delete after a create that was killed (mk_container_delete).  */
static int
record_creating (struct creation *c, mk_error **err)
{
  struct mk_state st = c->state;
  st.created = (char *)"";
  if (mk_state_write_as (c->dirfd, MK_STATE_CREATING_FILE, &st, err) < 0)
    return mk_error_prefix (err, "create");
  return 0;
}

/* The common part of create and run: on success the init is ready and
   waits (on exec.fifo for create, on the sync socket for run).  */
static int
spawn (struct creation *c, bool run_mode, sigset_t *oldmask, mk_error **err)
{
  const struct mk_create_opts *o = c->o;
  struct mk_init_args a = { 0 };
  int sv[2];
  _cleanup_close_ int fifo_fd = -1;
  int console_child = -1;
  int notify_fd = -1;
  bool hooks_pause;
  char cwd[PATH_MAX];

  c->bundle = o->bundle ? realpath (o->bundle, NULL) : xstrdup (getcwd (cwd, sizeof (cwd)));
  if (c->bundle == NULL)
    return mk_error_set (err, errno, "bundle `%s`", o->bundle);
  {
    _cleanup_free_ char *path = xasprintf ("%s/config.json", c->bundle);
    if (mk_read_file_at (AT_FDCWD, path, &c->config_json, NULL, err) < 0)
      return -1;
  }
  if (mk_spec_parse (c->config_json, c->bundle, &c->spec, err) < 0)
    return -1;
  if (apply_hpc_gpus (c->spec, err) < 0)
    return -1;
  if (preflight (c, run_mode, err) < 0)
    return -1;
  if (mk_ns_plan (c->spec, &a.plan, err) < 0)
    return -1;
  if (o->systemd_cgroup && access ("/run/systemd/system", F_OK) < 0)
    return mk_error_set (err, 0, "--systemd-cgroup: systemd is not running on this host");

  c->state.id = (char *)o->id;
  c->state.bundle = c->bundle;
  c->state.rootfs = c->spec->root_path;
  c->state.annotations = c->spec->annotations;
  c->state.n_annotations = c->spec->n_annotations;
  c->state.cgroup_path = (char *)"";
  c->state.owner = getuid ();
  c->state.systemd_cgroup = o->systemd_cgroup;

  /* From here on, a create that is killed leaves things behind: the state
     dir (no state.json yet) says what in MK_STATE_CREATING_FILE, and a
     delete of the id undoes it.  What the HPC registry holds is found by
     the id.  */
  if (mk_state_dir_create (o->root, o->id, &c->dirfd, err) < 0)
    return -1;
  {
    bool narrowed;
    if (mk_hpc_acquire (o->root, o->id, c->spec, &narrowed, err) < 0)
      return -1;
  }
  if (c->spec->resources)
    mk_devices_cgroup_rules (c->spec, c->spec->resources);
  if (mk_cgroup_plan (c->spec->cgroups_path, o->id, &c->cg, err) < 0)
    {
      c->cg = NULL;
      return -1;
    }
  c->state.cgroup_path = (char *)mk_cgroup_path (c->cg);
  if (record_creating (c, err) < 0)
    return -1;
  {
    _cleanup_free_ char *planned = xstrdup (mk_cgroup_path (c->cg));
    if (mk_cgroup_make (c->cg, c->spec->resources, err) < 0)
      {
        mk_cgroup_free (c->cg);
        c->cg = NULL;
        return -1;
      }
    c->state.cgroup_path = (char *)mk_cgroup_path (c->cg);
    if (strcmp (planned, c->state.cgroup_path) != 0 && record_creating (c, err) < 0)
      return -1;
  }
  if (c->spec->hpc && mk_hpc_partition (o->root, o->id, c->cg, err) < 0)
    return -1;
  if (c->spec->net_allow
      && mk_netfilter_attach (mk_cgroup_clone_fd (c->cg), c->spec->net_allow, c->spec->n_net_allow,
                              err)
             < 0)
    return -1;
  if (c->spec->unix_peers
      && mk_unixguard_attach (mk_cgroup_clone_fd (c->cg), o->root, c->spec->unix_peers, err) < 0)
    return -1;
  if (c->spec->unix_paths)
    {
      /* Abstract names: only in a network namespace of its own.  */
      const struct mk_namespace *net = mk_spec_namespace (c->spec, CLONE_NEWNET);
      if (mk_unixguard_paths_attach (mk_cgroup_clone_fd (c->cg), c->spec->unix_paths,
                                     net && !net->path, err)
          < 0)
        return -1;
    }
  if (!run_mode)
    {
      if (mkfifoat (c->dirfd, "exec.fifo", 0622) < 0)
        return mk_error_set (err, errno, "create exec.fifo");
      fifo_fd = openat (c->dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      if (fifo_fd < 0)
        return mk_error_set (err, errno, "open exec.fifo");
    }
  if (c->spec->process->terminal
      && mk_console_socket (o->console_socket, &c->console_fd, &console_child, err) < 0)
    return -1;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return mk_error_set (err, errno, "socketpair");
  c->sync_fd = sv[0];

  c->state.freezer_file = mk_cgroup_freezer_file (c->cg);

  hooks_pause = c->spec->hooks[MK_HOOK_PRESTART].n || c->spec->hooks[MK_HOOK_CREATE_RUNTIME].n
                || c->spec->hooks[MK_HOOK_CREATE_CONTAINER].n;
  a.spec = c->spec;
  a.process = c->spec->process;
  a.bundle = c->bundle;
  a.id = o->id;
  a.sync_fd = sv[1];
  a.state_dirfd = c->dirfd;
  a.fifo_fd = fifo_fd;
  a.console_fd = console_child;
  a.procfd = -1;
  a.no_pivot = o->no_pivot;
  a.no_new_keyring = o->no_new_keyring;
  a.preserve_fds = o->preserve_fds;
  a.pause_for_hooks = hooks_pause;
  /* Into the v2 cgroup by clone3; into v1 ones by the init itself, which
     is cheaper than our cgroup.procs write, unless a new user namespace
     keeps it from writing the host's cgroup files.  */
  if (a.plan.clone_flags & CLONE_NEWUSER)
    a.wait_cgroup = mk_cgroup_mode () != MK_CGROUP_V2 || mk_cgroup_clone_fd (c->cg) < 0;
  else
    a.self_enter = c->cg;
  a.sigmask = *oldmask;

  if (mk_ns_before_clone (c->spec, &a.plan, err) < 0)
    {
      mk_ns_after_clone (&a.plan);
      close (sv[1]);
      if (console_child >= 0)
        close (console_child);
      return -1;
    }
  c->pid = mk_ns_clone (a.plan.clone_flags, mk_cgroup_clone_fd (c->cg));
  if (c->pid == 0)
    {
      close (sv[0]);
      mk_init_run (&a);
    }
  mk_ns_after_clone (&a.plan);
  close (sv[1]);
  if (console_child >= 0)
    close (console_child);
  if (c->pid < 0)
    {
      c->pid = 0;
      return mk_error_set (err, errno, "clone the container's init");
    }
  c->state.pid = c->pid;
  c->state.start_time = mk_proc_start_time (c->pid);
  if (record_creating (c, err) < 0)
    return -1;
  if (a.plan.new_user && !(a.plan.unshare_flags & CLONE_NEWUSER))
    {
      if (mk_ns_write_idmaps (c->spec, c->pid, err) < 0)
        return -1;
      mk_sync_send (c->sync_fd, MK_SYNC_IDMAPS_DONE, NULL, 0, -1);
    }
  if (a.wait_cgroup)
    {
      if (mk_cgroup_enter (c->cg, c->pid, mk_cgroup_clone_fd (c->cg) >= 0, err) < 0)
        return -1;
      mk_sync_send (c->sync_fd, MK_SYNC_CGROUP_DONE, NULL, 0, -1);
    }
  if (serve_init (c, hooks_pause, &notify_fd, err) < 0)
    return -1;
  if (c->spec->process->terminal && c->console_fd >= 0
      && mk_terminal_recv_master (c->console_fd, &c->master_fd, err) < 0)
    return -1;

  c->state.created = now_rfc3339 ();
  /* exec and poststart/poststop hooks need the spec as it was at create,
     whatever happens to the bundle later: keep a copy (before state.json,
     so that a container that exists has it).  */
  {
    _cleanup_close_ int fd
        = openat (c->dirfd, "config.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || mk_write_all (fd, c->config_json, strlen (c->config_json)) < 0)
      {
        mk_error_set (err, errno, "save config.json");
        goto fail_notify;
      }
  }
  if (save_env_additions (c, err) < 0)
    goto fail_notify;
  if (mk_state_write (c->dirfd, &c->state, err) < 0)
    goto fail_notify;
  unlinkat (c->dirfd, MK_STATE_CREATING_FILE, 0);
  if (mk_hpc_recheck (o->root, o->id, c->spec, c->cg, err) < 0
      || (o->pid_file && write_pid_file (o->pid_file, c->pid, err) < 0))
    goto fail_notify;
  if (notify_fd >= 0)
    {
      _cleanup_free_ char *json = mk_state_json (&c->state, MK_STATUS_CREATED, false);
      return mk_seccomp_send_listener (c->spec->seccomp, notify_fd, c->pid, json, err);
    }
  return 0;
fail_notify:
  if (notify_fd >= 0)
    close (notify_fd);
  return -1;
}

int
mk_container_create (const struct mk_create_opts *o, mk_error **err)
{
  struct creation c = { .o = o, .dirfd = -1, .sync_fd = -1, .console_fd = -1, .master_fd = -1 };
  sigset_t oldmask;
  int ret;

  sigprocmask (SIG_SETMASK, NULL, &oldmask);
  ret = spawn (&c, false, &oldmask, err);
  if (ret < 0)
    creation_rollback (&c);
  creation_free (&c);
  return ret;
}

/* ---- run in the foreground --------------------------------------------- */

/* Kills what is in CG: every hierarchy, as a process cloned into the v2
   one (an init, an exec'd process) may not have joined the v1 ones yet
   when the command that started it was killed.  */
static void
kill_leftovers (struct mk_cgroup *cg)
{
  if (cg)
    mk_cgroup_signal_all (cg, SIGKILL);
}

/* Waits until the init has exec'd the program (or died): it holds FD, the
   far end of our exec.fifo or sync socket, until then; poll reports POLLERR
   or POLLHUP once it is gone.  Poststart hooks run after this, as
   runtime-spec orders: after the program starts, after startContainer.  */
static void
wait_program_started (int fd)
{
  struct pollfd p = { fd, 0, 0 };
  while (poll (&p, 1, -1) < 0 && errno == EINTR)
    ;
}

/* Runs poststart/poststop hooks, whose failures runtime-spec says are only
   logged: the operation goes on.  */
static void
run_hooks_warn (const struct mk_spec *spec, enum mk_hook_kind kind, const struct mk_state *st,
                enum mk_status status)
{
  _cleanup_free_ char *json = NULL;
  mk_error *e = NULL;
  if (spec == NULL || spec->hooks[kind].n == 0)
    return;
  json = mk_state_json (st, status, false);
  if (mk_hooks_run (spec, kind, json, &e) < 0)
    fprintf (stderr, "mkrun: warning: %s\n", e->msg);
  mk_error_free (e);
}

/* Kills what is left in CG and removes it, retrying while the kernel still
   counts the dying processes.  */
static int
destroy_cgroup (struct mk_cgroup *cg, mk_error **err)
{
  mk_error *e = NULL;
  for (int i = 0; i < 100; i++)
    {
      kill_leftovers (cg);
      mk_error_free (e);
      e = NULL;
      if (mk_cgroup_destroy (cg, &e) == 0)
        return 0;
    }
  if (err && *err == NULL)
    *err = e;
  else
    mk_error_free (e);
  return -1;
}

static void
cleanup_after_exit (struct creation *c)
{
  mk_error *e = NULL;
  run_hooks_warn (c->spec, MK_HOOK_POSTSTOP, &c->state, MK_STATUS_STOPPED);
  if (c->cg)
    destroy_cgroup (c->cg, NULL);
  mk_hpc_release (c->o->root, c->o->id, NULL);
  mk_state_dir_remove (c->o->root, c->o->id, &e);
  mk_error_free (e);
}

int
mk_container_run (const struct mk_create_opts *o, int *exit_code, mk_error **err)
{
  struct creation c = { .o = o, .dirfd = -1, .sync_fd = -1, .console_fd = -1, .master_fd = -1 };
  sigset_t all, oldmask;
  int ret = -1;

  /* Signals for the container wait in a queue until it runs; then the
     foreground loop forwards them.  */
  mk_foreground_block_signals (&all, &oldmask);
  if (spawn (&c, true, &oldmask, err) < 0)
    goto fail;
  if (mk_sync_send (c.sync_fd, MK_SYNC_GO, NULL, 0, -1) < 0)
    {
      mk_error_set (err, errno, "start the container");
      goto fail;
    }
  if (c.spec->hooks[MK_HOOK_POSTSTART].n)
    {
      wait_program_started (c.sync_fd);
      run_hooks_warn (c.spec, MK_HOOK_POSTSTART, &c.state, MK_STATUS_RUNNING);
    }
  *exit_code = 0;
  if (o->detach)
    {
      c.pid = 0;
      ret = 0;
      goto out;
    }
  close (c.dirfd); /* unlock: others may look at it now */
  c.dirfd = -1;
  if (mk_foreground_wait (c.pid, &c.master_fd, &all, exit_code, err) < 0)
    goto fail;
  c.pid = 0;
  cleanup_after_exit (&c);
  ret = 0;
  goto out;
fail:
  if (c.dirfd < 0 && c.state.created)
    {
      /* The state dir is still there; remove it with the rest.  */
      c.dirfd = open (o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  creation_rollback (&c);
out:
  sigprocmask (SIG_SETMASK, &oldmask, NULL);
  creation_free (&c);
  return ret;
}

/* ---- operations on an existing container ------------------------------- */

int
mk_container_start (const char *root, const char *id, mk_error **err)
{
  _cleanup_close_ int dirfd = -1;
  _cleanup_close_ int fifo = -1;
  struct mk_state *st = NULL;
  enum mk_status status;
  struct mk_spec *spec;
  int ret = -1;

  if (mk_state_load (root, id, true, &dirfd, &st, err) < 0)
    return -1;
  status = mk_state_status (dirfd, st);
  if (status != MK_STATUS_CREATED)
    {
      mk_error_set (err, 0, "container `%s` is not in the created state (it is %s)", id,
                    mk_status_name (status));
      goto out;
    }
  fifo = openat (dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    {
      mk_error_set (err, errno == ENXIO ? 0 : errno, "container `%s`: its init is gone", id);
      goto out;
    }
  if (write (fifo, "0", 1) != 1)
    {
      mk_error_set (err, errno, "start container `%s`", id);
      goto out;
    }
  unlinkat (dirfd, "exec.fifo", 0);
  spec = mk_state_saved_spec (dirfd, st, NULL);
  if (spec && spec->hooks[MK_HOOK_POSTSTART].n)
    {
      wait_program_started (fifo);
      run_hooks_warn (spec, MK_HOOK_POSTSTART, st, MK_STATUS_RUNNING);
    }
  mk_spec_free (spec);
  ret = 0;
out:
  mk_state_free (st);
  return ret;
}

int
mk_container_state (const char *root, const char *id, char **json, mk_error **err)
{
  _cleanup_close_ int dirfd = -1;
  struct mk_state *st = NULL;
  if (mk_state_load (root, id, false, &dirfd, &st, err) < 0)
    return -1;
  *json = mk_state_json (st, mk_state_status (dirfd, st), true);
  mk_state_free (st);
  return 0;
}

int
mk_container_kill (const char *root, const char *id, int sig, bool all, mk_error **err)
{
  _cleanup_close_ int dirfd = -1;
  struct mk_state *st = NULL;
  enum mk_status status;
  int ret = -1;

  if (mk_state_load (root, id, false, &dirfd, &st, err) < 0)
    return -1;
  status = mk_state_status (dirfd, st);
  /* runc's contract, which the engines parse: "container not running" for a
     stopped init (containerd's shim maps that text to NotFound, so that
     "delete --force" of an exited task goes on), while --all on a stopped
     container signals what is left in its cgroup and succeeds.  */
  if (status == MK_STATUS_STOPPED && !all)
    {
      mk_error_set (err, 0, "container not running");
      goto out;
    }
  if (all)
    {
      struct mk_cgroup *cg = NULL;
      pid_t *pids = NULL;
      size_t n = 0;
      if (!st->cgroup_path[0] && status == MK_STATUS_STOPPED)
        {
          ret = 0;
          goto out;
        }
      if (mk_cgroup_load (st->cgroup_path, &cg, err) < 0 || mk_cgroup_pids (cg, &pids, &n, err) < 0)
        {
          mk_cgroup_free (cg);
          if (status != MK_STATUS_STOPPED)
            goto out;
          /* Stopped and its cgroup already gone: nothing left to signal.  */
          if (err)
            {
              mk_error_free (*err);
              *err = NULL;
            }
          ret = 0;
          goto out;
        }
      for (size_t i = 0; i < n; i++)
        kill (pids[i], sig);
      if (status == MK_STATUS_PAUSED && sig == SIGKILL)
        {
          mk_error *e = NULL;
          mk_cgroup_freeze (cg, false, &e);
          mk_error_free (e);
        }
      free (pids);
      mk_cgroup_free (cg);
    }
  else if (kill (st->pid, sig) < 0)
    {
      mk_error_set (err, errno, "kill container `%s`", id);
      goto out;
    }
  ret = 0;
out:
  mk_state_free (st);
  return ret;
}

static void
wait_gone (pid_t pid, unsigned long long start)
{
  for (int i = 0; i < 2000; i++)
    {
      unsigned long long s = mk_proc_start_time (pid);
      struct timespec ts = { 0, 1000000 };
      if (s == 0 || s != start)
        return;
      nanosleep (&ts, NULL);
    }
}

/* The delete of a state dir without state.json (DIRFD, locked): a create
   that was killed, whose MK_STATE_CREATING_FILE says what it had made (an
   init, which may wait for a start that cannot come, and a cgroup), or a
   delete killed while removing the dir.  Nothing can complete such a
   create: it is undone whatever FORCE says, as a failed create undoes
   itself.  */
static int
delete_abandoned (const char *root, const char *id, int dirfd, mk_error **err)
{
  struct mk_state *st = NULL;
  struct mk_cgroup *cg = NULL;
  int ret = -1;

  if (mk_state_read_as (dirfd, MK_STATE_CREATING_FILE, id, &st, NULL) == 0)
    {
      if (st->pid > 0 && st->start_time && mk_proc_start_time (st->pid) == st->start_time)
        {
          kill (st->pid, SIGKILL);
          wait_gone (st->pid, st->start_time);
        }
      if (st->cgroup_path[0] && mk_cgroup_load (st->cgroup_path, &cg, err) < 0)
        goto out;
      if (cg && destroy_cgroup (cg, err) < 0)
        goto out;
    }
  if (mk_hpc_release (root, id, err) < 0 || mk_state_dir_remove (root, id, err) < 0)
    goto out;
  ret = 0;
out:
  mk_cgroup_free (cg);
  mk_state_free (st);
  return ret;
}

int
mk_container_delete (const char *root, const char *id, bool force, mk_error **err)
{
  _cleanup_close_ int dirfd = -1;
  struct mk_state *st = NULL;
  struct mk_cgroup *cg = NULL;
  struct mk_spec *spec = NULL;
  enum mk_status status;
  int ret = -1;

  for (;;)
    {
      mk_error *e = NULL;
      int r;
      if (mk_state_load (root, id, true, &dirfd, &st, &e) == 0)
        break;
      /* No state.json: nothing, or what a killed create or delete left.  */
      if (e->errnum != 0 || strstr (e->msg, "does not exist") == NULL)
        {
          if (err)
            *err = e;
          else
            mk_error_free (e);
          return -1;
        }
      mk_error_free (e);
      r = mk_state_dir_open_abandoned (root, id, &dirfd, err);
      if (r < 0)
        return -1;
      if (r == 0)
        return delete_abandoned (root, id, dirfd, err);
      /* A create finished while we waited for its lock.  */
    }
  status = mk_state_status (dirfd, st);
  if ((status == MK_STATUS_RUNNING || status == MK_STATUS_PAUSED) && !force)
    {
      mk_error_set (err, 0, "container `%s` is %s: stop it first or use --force", id,
                    mk_status_name (status));
      goto out;
    }
  if (st->cgroup_path[0] && mk_cgroup_load (st->cgroup_path, &cg, err) < 0)
    goto out;
  if (status != MK_STATUS_STOPPED)
    {
      kill (st->pid, SIGKILL);
      kill_leftovers (cg);
      if (status == MK_STATUS_PAUSED && cg)
        {
          mk_error *e = NULL;
          mk_cgroup_freeze (cg, false, &e);
          mk_error_free (e);
        }
      wait_gone (st->pid, st->start_time);
    }
  spec = mk_state_saved_spec (dirfd, st, NULL);
  run_hooks_warn (spec, MK_HOOK_POSTSTOP, st, MK_STATUS_STOPPED);
  if (cg && destroy_cgroup (cg, err) < 0)
    goto out;
  /* Cores, pages and IRQ affinity go back before the state dir (the
     registry's record of them is live while it exists).  */
  if (mk_hpc_release (root, id, err) < 0)
    goto out;
  if (mk_state_dir_remove (root, id, err) < 0)
    goto out;
  ret = 0;
out:
  mk_spec_free (spec);
  mk_cgroup_free (cg);
  mk_state_free (st);
  return ret;
}

int
mk_container_list (const char *root, struct mk_container_info **out, size_t *n, mk_error **err)
{
  _cleanup_strv_ char **ids = NULL;
  struct mk_container_info *v;
  size_t k = 0;

  if (mk_state_list (root, &ids, err) < 0)
    return -1;
  v = xmalloc0 ((mk_strv_len (ids) + 1) * sizeof (*v));
  for (char **id = ids; *id; id++)
    {
      int dirfd;
      struct mk_state *st = NULL;
      mk_error *e = NULL;
      if (mk_state_load (root, *id, false, &dirfd, &st, &e) < 0)
        {
          mk_error_free (e);
          continue;
        }
      v[k].id = xstrdup (*id);
      v[k].status = mk_state_status (dirfd, st);
      v[k].pid = v[k].status == MK_STATUS_STOPPED ? 0 : st->pid;
      v[k].bundle = xstrdup (st->bundle);
      v[k].created = xstrdup (st->created);
      v[k].owner = st->owner;
      k++;
      close (dirfd);
      mk_state_free (st);
    }
  *out = v;
  *n = k;
  return 0;
}

void
mk_container_info_free (struct mk_container_info *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (v[i].id);
      free (v[i].bundle);
      free (v[i].created);
    }
  free (v);
}

int
mk_container_pause (const char *root, const char *id, bool pause, mk_error **err)
{
  _cleanup_close_ int dirfd = -1;
  struct mk_state *st = NULL;
  struct mk_cgroup *cg = NULL;
  enum mk_status status, want = pause ? MK_STATUS_RUNNING : MK_STATUS_PAUSED;
  int ret = -1;

  if (mk_state_load (root, id, true, &dirfd, &st, err) < 0)
    return -1;
  status = mk_state_status (dirfd, st);
  if (status != want)
    {
      mk_error_set (err, 0, "container `%s` is %s, not %s", id, mk_status_name (status),
                    mk_status_name (want));
      goto out;
    }
  if (st->freezer_file == NULL || st->freezer_file[0] == '\0')
    {
      mk_error_set (err, 0, "container `%s` has no freezer cgroup", id);
      goto out;
    }
  if (mk_cgroup_load (st->cgroup_path, &cg, err) < 0 || mk_cgroup_freeze (cg, pause, err) < 0)
    goto out;
  ret = 0;
out:
  mk_cgroup_free (cg);
  mk_state_free (st);
  return ret;
}

int
mk_container_pids (const char *root, const char *id, pid_t **pids, size_t *n, mk_error **err)
{
  _cleanup_close_ int dirfd = -1;
  struct mk_state *st = NULL;
  struct mk_cgroup *cg = NULL;
  int ret = -1;

  if (mk_state_load (root, id, false, &dirfd, &st, err) < 0)
    return -1;
  if (mk_state_status (dirfd, st) == MK_STATUS_STOPPED)
    {
      mk_error_set (err, 0, "container `%s` is not running", id);
      goto out;
    }
  if (mk_cgroup_load (st->cgroup_path, &cg, err) < 0 || mk_cgroup_pids (cg, pids, n, err) < 0)
    goto out;
  ret = 0;
out:
  mk_cgroup_free (cg);
  mk_state_free (st);
  return ret;
}

int
mk_container_update (const char *root, const char *id, const char *resources_json,
                     char *const *flags, mk_error **err)
{
  _cleanup_close_ int dirfd = -1;
  struct mk_state *st = NULL;
  struct mk_resources *r = NULL;
  struct mk_cgroup *cg = NULL;
  enum mk_status status;
  int ret = -1;

  if (mk_state_load (root, id, true, &dirfd, &st, err) < 0)
    return -1;
  status = mk_state_status (dirfd, st);
  if (status == MK_STATUS_STOPPED)
    {
      mk_error_set (err, 0, "container `%s` is not running", id);
      goto out;
    }
  if (resources_json)
    {
      char errbuf[256] = "";
      yajl_val tree = yajl_tree_parse (resources_json, errbuf, sizeof (errbuf));
      int r2;
      if (tree == NULL)
        {
          char *nl = strchr (errbuf, '\n');
          if (nl)
            *nl = '\0';
          mk_error_set (err, 0, "--resources: not valid JSON: %s", errbuf);
          goto out;
        }
      r2 = mk_resources_parse (tree, "resources", &r, err);
      yajl_tree_free (tree);
      if (r2 < 0)
        goto out;
      /* As runc: update changes limits, never the device rules.  */
      r->n_devices = 0;
    }
  else
    r = xmalloc0 (sizeof (*r));
  for (char *const *f = flags; f && *f; f++)
    {
      _cleanup_free_ char *name = xstrdup (*f);
      char *eq = strchr (name, '=');
      if (eq == NULL)
        {
          mk_error_set (err, 0, "bad flag `%s`", *f);
          goto out;
        }
      *eq = '\0';
      if (mk_resources_set_flag (r, name, eq + 1, err) < 0)
        goto out;
    }
  if (st->cgroup_path == NULL || st->cgroup_path[0] == '\0')
    {
      mk_error_set (err, 0, "container `%s` has no cgroup", id);
      goto out;
    }
  if (mk_hpc_check_cpus (root, id, r->cpu_cpus, err) < 0
      || mk_cgroup_load (st->cgroup_path, &cg, err) < 0 || mk_cgroup_update (cg, r, err) < 0)
    goto out;
  ret = 0;
out:
  mk_cgroup_free (cg);
  mk_resources_free (r);
  mk_state_free (st);
  return ret;
}
