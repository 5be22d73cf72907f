/* container.c: the runtime's side of every lifecycle operation.
 *
 * create: parse and validate the spec, make the state dir and the cgroup,
 * clone the init with its namespaces (straight into its cgroup on v2),
 * move it into its v1 cgroups while it sets itself up, answer its
 * requests (id maps, hooks), record state.json when it is ready.  On any
 * failure everything made so far is undone in reverse.  */
#include "config.h"

#include "cgroups/cgroup.h"
#include "cgroups/resources.h"
#include "cgroups/systemd.h"
#include "container.h"
#include "devices.h"
#include "extension.h"
#include "foreground.h"
#include "hooks.h"
#include "init.h"
#include "log.h"
#include "namespaces.h"
#include "netdev.h"
#include "procstats.h"
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

/* ---- teardown: a failed create, the end of a foreground run, delete ----- */

/* Kills what is in CG: every hierarchy, as a process cloned into the v2
   one (an init, an exec'd process) may not have joined the v1 ones yet
   when the command that started it was killed.  */
static void
kill_leftovers (struct mk_cgroup *cg)
{
  if (cg)
    mk_cgroup_signal_all (cg, SIGKILL);
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

/* Runs poststop hooks, whose failures runtime-spec says are only logged:
   the operation goes on.  */
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
    mk_warn ("%s", e->msg);
  mk_error_free (e);
}

/* Runs the poststart hooks of a container whose program runs (STATUS:
   running).  runtime-spec 1.3: a failing one is an error and stops the
   container; the caller kills it.  */
static int
run_poststart (const struct mk_spec *spec, const struct mk_state *st, mk_error **err)
{
  _cleanup_free_ char *json = mk_state_json (st, MK_STATUS_RUNNING, false);
  if (mk_hooks_run (spec, MK_HOOK_POSTSTART, json, err) < 0)
    return mk_error_prefix (err, "poststart hook failed, the container is stopped");
  return 0;
}

/* What teardown undoes: each field says whether that part exists.  */
struct teardown
{
  const char *root, *id;
  pid_t pid;                     /* an init to kill, 0: none (or gone) */
  bool child;                    /* it is our child, to reap; else: */
  unsigned long long start_time; /* waited for until this process is gone */
  bool paused;                   /* its cgroup is frozen: thaw it for the kill */
  struct mk_cgroup *cg;          /* to remove, NULL: none */
  bool sweep;                    /* kill what is left in it first (not a
                                    failed create's: a cgroup it shares
                                    holds others' processes) */
  const struct mk_spec *spec;    /* its poststop hooks run, NULL: none */
  const struct mk_state *state;  /* what they are given */
  bool state_dir;                /* the state dir is the container's: the
                                    extensions release what they took for
                                    the id, then it is removed */
  const char *systemd_unit;      /* its scope, stopped (systemd driver) */
};

/* Undoes T in order: the processes, the poststop hooks, the cgroup, what
   the extensions hold, the state dir.  Stops at the first error, leaving
   the state dir (and with it the means to retry: a delete).  */
static int
teardown (const struct teardown *t, mk_error **err)
{
  if (t->pid > 0)
    kill (t->pid, SIGKILL);
  if (t->sweep)
    kill_leftovers (t->cg);
  if (t->paused && t->cg)
    {
      mk_error *e = NULL;
      mk_cgroup_freeze (t->cg, false, &e);
      mk_error_free (e);
    }
  if (t->pid > 0 && t->child)
    waitpid (t->pid, NULL, 0);
  else if (t->pid > 0)
    wait_gone (t->pid, t->start_time);
  run_hooks_warn (t->spec, MK_HOOK_POSTSTOP, t->state, MK_STATUS_STOPPED);
  if (t->cg && (t->sweep ? destroy_cgroup (t->cg, err) : mk_cgroup_destroy (t->cg, err)) < 0)
    return -1;
  /* The scope is systemd's: stopped through it (it is gone already when
     its processes were).  Its processes are dead by now, so a systemd we
     cannot reach (a user's that went away) only delays its collection:
     a warning, not a container that cannot be deleted.  */
  if (t->systemd_unit)
    {
      mk_error *e = NULL;
      if (mk_systemd_stop (mk_ns_unprivileged (), t->systemd_unit, &e) < 0)
        mk_warn ("%s", e->msg);
      mk_error_free (e);
    }
  /* Cores, pages and IRQ affinity go back before the state dir (the HPC
     registry's record of them is live while it exists).  */
  if (t->state_dir
      && (mk_ext_release (t->root, t->id, err) < 0
          || mk_state_dir_remove (t->root, t->id, err) < 0))
    return -1;
  return 0;
}

/* ---- create -------------------------------------------------------------- */

/* Everything create made, so a failure can undo it.  */
struct creation
{
  const struct mk_create_opts *o;
  char *bundle;
  char *config_json;
  struct mk_spec *spec;
  int dirfd;     /* the state dir, locked while create holds it */
  bool made_dir; /* the state dir is this create's */
  struct mk_cgroup *cg;
  char *sd_slice, *sd_unit;       /* the systemd driver's names */
  struct mk_systemd_scope *scope; /* its placeholder, until the clone */
  pid_t pid;
  int sync_fd;
  int console_fd; /* runtime's end for a foreground terminal */
  int master_fd;
  struct mk_state state;
};

/* A failed create: undoes what it made (no hooks: it never ran).  */
static void
creation_rollback (struct creation *c)
{
  struct teardown t = { .root = c->o->root,
                        .id = c->o->id,
                        .pid = c->pid,
                        .child = true,
                        .cg = c->cg,
                        .state_dir = c->made_dir,
                        .systemd_unit = c->cg ? c->sd_unit : NULL };
  mk_error *e = NULL;
  mk_systemd_scope_release (c->scope);
  c->scope = NULL;
  teardown (&t, &e);
  mk_error_free (e);
  c->pid = 0;
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
  mk_systemd_scope_release (c->scope);
  free (c->sd_slice);
  free (c->sd_unit);
  mk_spec_free (c->spec);
  free (c->bundle);
  free (c->config_json);
  free (c->state.created);
  free (c->state.freezer_file);
  free (c->state.cpus);
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

/* The init, in its new user and mount namespaces, asks for its bind
   sources: opened with the runtime's credentials inside its mount
   namespace (a mount of another namespace cannot be bound there), by a
   child of ours that joins it (the runtime itself never leaves its own),
   and sent to the init over the sync socket.  A source that cannot be
   opened is left to the init, whose error names it; where the child may
   not join (no privilege over our own user namespace) it sends none, and
   the init uses the paths.  */
static int
send_sources (struct creation *c, mk_error **err)
{
  const struct mk_spec *spec = c->spec;
  int status;
  pid_t child = fork ();

  if (child < 0)
    return mk_error_set (err, errno, "fork to open the bind sources");
  if (child == 0)
    {
      int target = mk_pidfd_open (c->pid);
      bool ok = true;
      if (target >= 0 && setns (target, CLONE_NEWNS) == 0 && chdir (c->bundle) == 0)
        /* Relative sources are the bundle's, as in the init.  */
        for (size_t i = 0; i < spec->n_mounts && ok; i++)
          {
            uint32_t idx = (uint32_t)i;
            int fd = spec->mounts[i].bind ? open (spec->mounts[i].source, O_PATH | O_CLOEXEC) : -1;
            if (fd >= 0)
              ok = mk_sync_send (c->sync_fd, MK_SYNC_SOURCE, &idx, sizeof (idx), fd) >= 0;
          }
      _exit (ok && mk_sync_send (c->sync_fd, MK_SYNC_SOURCES_DONE, NULL, 0, -1) >= 0 ? 0 : 1);
    }
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      return mk_error_set (err, errno, "wait for the bind sources");
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return mk_error_set (err, 0, "send the bind sources to the container's init");
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
        case MK_SYNC_WANT_SOURCES:
          if (send_sources (c, err) < 0)
            return -1;
          break;
        case MK_SYNC_RUN_HOOKS:
          if (!hooks_pause)
            return mk_error_set (err, 0, "container init: unexpected hooks request");
          /* The init's network namespace exists: linux.netDevices move in
             before the hooks that may configure them.  */
          if (mk_netdev_move (c->spec->net_devices, c->spec->n_net_devices, c->pid, err) < 0)
            return -1;
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

/* An unprivileged create that may not make its cgroup (*ERR, from
   mk_cgroup_make): without limits it goes on without one, as runc's and
   crun's do; with limits it is an error that says how to get a cgroup,
   unless the config says they are best-effort (then a warning).  Never a
   limit dropped in silence.  */
static int
without_cgroup (struct creation *c, mk_error **err)
{
  const char *limit = mk_resources_first_limit (c->spec->resources);
  const char *best_effort = mk_spec_annotation (c->spec, MK_ANNOTATION_CGROUP_BEST_EFFORT);
  int e = (*err)->errnum;

  if (!mk_ns_unprivileged () || (e != EACCES && e != EPERM && e != EROFS))
    return -1;
  if (limit && !(best_effort && strcmp (best_effort, "true") == 0))
    {
      mk_error_prefix (err,
                       "%s: limits need a cgroup, and uid %u may not make one (none was "
                       "delegated: use --systemd-cgroup, where your systemd makes one, or "
                       "have root give you a cgroup directory; or run without the limits: "
                       "annotation %s=true, or an app's resources.best_effort: true)",
                       limit, (unsigned)geteuid (), MK_ANNOTATION_CGROUP_BEST_EFFORT);
      return -1;
    }
  if (limit)
    mk_warn ("%s: not applied (%s; annotation %s)", limit, (*err)->msg,
             MK_ANNOTATION_CGROUP_BEST_EFFORT);
  else
    mk_debug ("create %s: no cgroup of its own (%s)", c->o->id, (*err)->msg);
  mk_error_free (*err);
  *err = NULL;
  return 0;
}

/* The common part of create and run: on success the init is ready and
   waits (on exec.fifo for create, on the sync socket for run).  */
static int
spawn_init (struct creation *c, bool run_mode, sigset_t *oldmask, mk_error **err)
{
  const struct mk_create_opts *o = c->o;
  struct mk_ext_ctx x = { .root = o->root, .id = o->id };
  struct mk_init_args a = { 0 };
  int sv[2];
  _cleanup_close_ int fifo_fd = -1;
  int console_child = -1;
  int clone_fd;
  _cleanup_close_ int notify_fd = -1;
  bool hooks_pause;
  char cwd[PATH_MAX];

  c->bundle = o->bundle ? realpath (o->bundle, NULL) : xstrdup (getcwd (cwd, sizeof (cwd)));
  if (c->bundle == NULL)
    return mk_error_set (err, errno, "bundle `%s`", o->bundle);
  {
    /* --config FILE (crun's): another file than the bundle's config.json;
       its relative paths are still the bundle's.  */
    _cleanup_free_ char *path
        = o->config ? xstrdup (o->config) : xasprintf ("%s/config.json", c->bundle);
    if (mk_read_file_at (AT_FDCWD, path, &c->config_json, NULL, err) < 0)
      return -1;
  }
  if (mk_spec_parse (c->config_json, c->bundle, &c->spec, err) < 0
      || mk_ext_parse (c->spec, err) < 0)
    return -1;
  x.spec = c->spec;
  /* The config's cpus, before an extension narrows them.  */
  if (c->spec->resources && c->spec->resources->cpu_cpus)
    c->state.cpus = xstrdup (c->spec->resources->cpu_cpus);
  if (mk_ext_run (MK_EXT_PREPARE, &x, err) < 0 || preflight (c, run_mode, err) < 0)
    return -1;
  if (mk_ns_plan (c->spec, &a.plan, err) < 0)
    return -1;
  if (o->systemd_cgroup)
    {
      bool user = mk_ns_unprivileged ();
      if (!mk_systemd_available (user))
        return mk_error_set (err, 0,
                             user ? "--systemd-cgroup: no systemd user instance to ask "
                                    "(XDG_RUNTIME_DIR/bus or systemd/private)"
                                  : "--systemd-cgroup: systemd is not running on this host");
      if (mk_systemd_unit_names (c->spec->cgroups_path, o->id, user, &c->sd_slice, &c->sd_unit, err)
          < 0)
        return -1;
    }

  c->state.id = (char *)o->id;
  c->state.bundle = c->bundle;
  c->state.rootfs = c->spec->root_path;
  c->state.annotations = c->spec->annotations;
  c->state.n_annotations = c->spec->n_annotations;
  c->state.cgroup_path = (char *)"";
  c->state.owner = getuid ();
  c->state.systemd_cgroup = o->systemd_cgroup;
  c->state.env = c->spec->process->env;

  /* From here on, a create that is killed leaves things behind: the state
     dir (no state.json yet) says what in MK_STATE_CREATING_FILE, and a
     delete of the id undoes it.  What the HPC registry holds is found by
     the id.  */
  if (mk_state_dir_create (o->root, o->id, &c->dirfd, err) < 0)
    return -1;
  c->made_dir = true;
  if (mk_ext_run (MK_EXT_ACQUIRE, &x, err) < 0)
    return -1;
  if (c->spec->resources && mk_ns_unprivileged () && c->spec->resources->n_devices)
    {
      /* Device rules take CAP_SYS_ADMIN over the host (v1) or a BPF
         program (v2); an unprivileged container, in a user namespace,
         reaches only the devices its user may open anyway (runc and crun
         skip them too).  */
      mk_debug ("create %s: unprivileged: linux.resources.devices not applied", o->id);
      free (c->spec->resources->devices);
      c->spec->resources->devices = NULL;
      c->spec->resources->n_devices = 0;
    }
  if (c->spec->resources)
    mk_devices_cgroup_rules (c->spec, c->spec->resources);
  if (c->sd_unit)
    {
      /* The systemd driver: the scope exists (and a placeholder in it)
         before the init is cloned into it; its directory is then ours.  */
      _cleanup_free_ char *scope_cg = NULL;
      if (mk_systemd_scope_start (mk_ns_unprivileged (), c->sd_slice, c->sd_unit, o->id,
                                  c->spec->resources, &c->scope, &scope_cg, err)
          < 0)
        return -1;
      if (mk_cgroup_plan (scope_cg, o->id, &c->cg, err) < 0)
        {
          c->cg = NULL;
          return -1;
        }
      mk_cgroup_set_systemd_scope (c->cg);
    }
  else if (mk_cgroup_plan (c->spec->cgroups_path, o->id, &c->cg, err) < 0)
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
        if (without_cgroup (c, err) < 0)
          return -1;
        c->cg = mk_cgroup_none ();
      }
    c->state.cgroup_path = (char *)mk_cgroup_path (c->cg);
    if (strcmp (planned, c->state.cgroup_path) != 0 && record_creating (c, err) < 0)
      return -1;
  }
  x.cg = c->cg;
  if (mk_ext_run (MK_EXT_CGROUP, &x, err) < 0)
    return -1;
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
                || c->spec->hooks[MK_HOOK_CREATE_CONTAINER].n || c->spec->n_net_devices;
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
  clone_fd = mk_cgroup_clone_fd (c->cg);
  if (c->sd_unit && mk_ns_unprivileged ())
    {
      /* The user's scope is outside the cgroup we run in, in a subtree
         that is not ours to move into: systemd moves the init.  */
      clone_fd = -1;
      a.wait_cgroup = true;
    }
  else if (mk_cgroup_mode () == MK_CGROUP_V2 && c->spec->resources
           && c->spec->resources->has_pids_limit && c->spec->resources->pids_limit == 0)
    {
      /* pids.max 0 refuses a fork into the cgroup, not a move: cloned
         outside, then moved in by us.  */
      clone_fd = -1;
      a.wait_cgroup = true;
    }
  else if (a.plan.clone_flags & CLONE_NEWUSER)
    a.wait_cgroup = mk_cgroup_mode () != MK_CGROUP_V2 || clone_fd < 0;
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
  mk_debug ("create %s: bundle %s, cgroup %s, clone flags %#x", o->id, c->bundle,
            mk_cgroup_path (c->cg), (unsigned)a.plan.clone_flags);
  c->pid = mk_ns_clone (a.plan.clone_flags, clone_fd);
  if (c->pid == 0)
    {
      close (sv[0]);
      mk_init_run (&a);
    }
  mk_ns_after_clone (&a.plan);
  close (sv[1]);
  if (console_child >= 0)
    close (console_child);
  if (c->scope && (clone_fd >= 0 || c->pid < 0))
    {
      /* The init holds the scope now (or nothing will).  */
      mk_systemd_scope_release (c->scope);
      c->scope = NULL;
    }
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
      if (c->sd_unit && mk_ns_unprivileged ()
              ? mk_systemd_attach (true, c->sd_unit, c->pid, err) < 0
              : mk_cgroup_enter (c->cg, c->pid, clone_fd >= 0, err) < 0)
        return -1;
      mk_systemd_scope_release (c->scope);
      c->scope = NULL;
      mk_sync_send (c->sync_fd, MK_SYNC_CGROUP_DONE, NULL, 0, -1);
    }
  if (serve_init (c, hooks_pause, &notify_fd, err) < 0)
    return -1;
  if (c->spec->process->terminal && c->console_fd >= 0
      && mk_terminal_recv_master (c->console_fd, &c->master_fd, err) < 0)
    return -1;

  c->state.created = mk_now_rfc3339 ();
  /* exec and poststart/poststop hooks need the spec as it was at create,
     whatever happens to the bundle later: keep a copy (before state.json,
     so that a container that exists has it).  */
  {
    _cleanup_close_ int fd
        = openat (c->dirfd, "config.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || mk_write_all (fd, c->config_json, strlen (c->config_json)) < 0)
      {
        mk_error_set (err, errno, "save config.json");
        return -1;
      }
  }
  if (mk_state_write (c->dirfd, &c->state, err) < 0)
    return -1;
  unlinkat (c->dirfd, MK_STATE_CREATING_FILE, 0);
  x.pid = c->pid;
  if (mk_ext_run (MK_EXT_CREATED, &x, err) < 0
      || (o->pid_file && mk_write_pid_file (o->pid_file, c->pid, err) < 0)
      || (o->pidfd_socket && mk_send_pidfd (o->pidfd_socket, c->pid, err) < 0))
    return -1;
  if (notify_fd >= 0)
    {
      _cleanup_free_ char *json = mk_state_json (&c->state, MK_STATUS_CREATED, false);
      return mk_seccomp_send_listener (c->spec->seccomp, steal_fd (&notify_fd), c->pid, json, err);
    }
  return 0;
}

int
mk_container_create (const struct mk_create_opts *o, mk_error **err)
{
  struct creation c = { .o = o, .dirfd = -1, .sync_fd = -1, .console_fd = -1, .master_fd = -1 };
  sigset_t oldmask;
  int ret;

  sigprocmask (SIG_SETMASK, NULL, &oldmask);
  ret = spawn_init (&c, false, &oldmask, err);
  if (ret < 0)
    creation_rollback (&c);
  creation_free (&c);
  return ret;
}

/* ---- run in the foreground --------------------------------------------- */

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

/* The end of run: the container (its init C->pid, if still ours to kill)
   destroyed as delete destroys it, poststop hooks included.  */
static void
run_destroy (struct creation *c)
{
  struct teardown t = { .root = c->o->root,
                        .id = c->o->id,
                        .pid = c->pid,
                        .child = true,
                        .cg = c->cg,
                        .sweep = true,
                        .spec = c->spec,
                        .state = &c->state,
                        .state_dir = true,
                        .systemd_unit = c->sd_unit };
  mk_error *e = NULL;
  c->pid = 0;
  if (teardown (&t, &e) < 0)
    mk_warn ("%s", e->msg);
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
  if (spawn_init (&c, true, &oldmask, err) < 0)
    goto fail;
  if (mk_sync_send (c.sync_fd, MK_SYNC_GO, NULL, 0, -1) < 0)
    {
      mk_error_set (err, errno, "start the container");
      goto fail;
    }
  if (c.spec->hooks[MK_HOOK_POSTSTART].n)
    {
      wait_program_started (c.sync_fd);
      if (run_poststart (c.spec, &c.state, err) < 0)
        {
          /* Stopped, then destroyed as delete would (poststop hooks
             included): run does the whole lifecycle.  */
          run_destroy (&c);
          goto out;
        }
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
  if (o->keep)
    {
      /* --keep: the stopped container stays for state, ps and delete
         (which runs its poststop hooks and removes its cgroup).  */
      ret = 0;
      goto out;
    }
  run_destroy (&c);
  ret = 0;
  goto out;
fail:
  creation_rollback (&c);
out:
  sigprocmask (SIG_SETMASK, &oldmask, NULL);
  creation_free (&c);
  return ret;
}

/* ---- operations on an existing container ------------------------------- */

int
mk_container_open (const char *root, const char *id, bool exclusive, unsigned want,
                   const char *refusal, struct mk_opened *c, mk_error **err)
{
  c->dirfd = -1;
  c->st = NULL;
  if (mk_state_load (root, id, exclusive, &c->dirfd, &c->st, err) < 0)
    return -1;
  c->status = mk_state_status (c->dirfd, c->st);
  if (want & MK_IN (c->status))
    return 0;
  mk_error_set (err, 0, refusal, id, mk_status_name (c->status));
  mk_container_close (c);
  return -1;
}

void
mk_container_close (struct mk_opened *c)
{
  if (c->dirfd >= 0)
    close (c->dirfd);
  c->dirfd = -1;
  mk_state_free (c->st);
  c->st = NULL;
}

#define _cleanup_opened_ __attribute__ ((cleanup (mk_container_close)))
#define ANY (~0u)
#define LIVE (~MK_IN (MK_STATUS_STOPPED))

int
mk_container_start (const char *root, const char *id, mk_error **err)
{
  _cleanup_opened_ struct mk_opened c = { .dirfd = -1 };
  _cleanup_close_ int fifo = -1;
  struct mk_spec *spec = NULL;

  if (mk_container_open (root, id, true, MK_IN (MK_STATUS_CREATED),
                         "container `%s` is not in the created state (it is %s)", &c, err)
      < 0)
    return -1;
  /* Its poststart hooks: a saved config that cannot be read is an error
     before the program starts, not hooks silently skipped.  */
  if (mk_state_saved_spec (c.dirfd, c.st, &spec, err) < 0)
    return -1;
  fifo = openat (c.dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    {
      mk_error_set (err, errno == ENXIO ? 0 : errno, "container `%s`: its init is gone", id);
      mk_spec_free (spec);
      return -1;
    }
  if (write (fifo, "0", 1) != 1)
    {
      mk_error_set (err, errno, "start container `%s`", id);
      mk_spec_free (spec);
      return -1;
    }
  unlinkat (c.dirfd, "exec.fifo", 0);
  if (spec->hooks[MK_HOOK_POSTSTART].n)
    {
      wait_program_started (fifo);
      if (run_poststart (spec, c.st, err) < 0)
        {
          /* Stopped: what is left of it is delete's (poststop hooks, the
             cgroup), as after any other end of its program.  */
          if (kill (c.st->pid, SIGKILL) == 0)
            wait_gone (c.st->pid, c.st->start_time);
          mk_spec_free (spec);
          return -1;
        }
    }
  mk_spec_free (spec);
  return 0;
}

int
mk_container_state (const char *root, const char *id, char **json, mk_error **err)
{
  _cleanup_opened_ struct mk_opened c = { .dirfd = -1 };
  if (mk_container_open (root, id, false, ANY, NULL, &c, err) < 0)
    return -1;
  *json = mk_state_json (c.st, c.status, true);
  return 0;
}

/* kill --all: every process in the container's cgroup.  */
static int
kill_all (const struct mk_opened *c, int sig, mk_error **err)
{
  struct mk_cgroup *cg = NULL;
  pid_t *pids = NULL;
  size_t n = 0;

  if (!c->st->cgroup_path[0] && c->status == MK_STATUS_STOPPED)
    return 0;
  /* No cgroup of its own (unprivileged): its init, and with it every
     process of its pid namespace.  */
  if (!c->st->cgroup_path[0])
    return kill (c->st->pid, sig) < 0 && errno != ESRCH
               ? mk_error_set (err, errno, "kill container `%s`", c->st->id)
               : 0;
  if (mk_cgroup_load (c->st->cgroup_path, &cg, err) < 0 || mk_cgroup_pids (cg, &pids, &n, err) < 0)
    {
      mk_cgroup_free (cg);
      if (c->status != MK_STATUS_STOPPED)
        return -1;
      /* Stopped and its cgroup already gone: nothing left to signal.  */
      if (err)
        {
          mk_error_free (*err);
          *err = NULL;
        }
      return 0;
    }
  for (size_t i = 0; i < n; i++)
    kill (pids[i], sig);
  if (c->status == MK_STATUS_PAUSED && sig == SIGKILL)
    {
      mk_error *e = NULL;
      mk_cgroup_freeze (cg, false, &e);
      mk_error_free (e);
    }
  free (pids);
  mk_cgroup_free (cg);
  return 0;
}

int
mk_container_kill (const char *root, const char *id, int sig, bool all, mk_error **err)
{
  _cleanup_opened_ struct mk_opened c = { .dirfd = -1 };

  /* runc's contract, which the engines parse: "container not running" for a
     stopped init (containerd's shim maps that text to NotFound, so that
     "delete --force" of an exited task goes on), while --all on a stopped
     container signals what is left in its cgroup and succeeds.  */
  if (mk_container_open (root, id, false, all ? ANY : LIVE, "container not running", &c, err) < 0)
    return -1;
  if (all)
    return kill_all (&c, sig, err);
  if (kill (c.st->pid, sig) < 0)
    return mk_error_set (err, errno, "kill container `%s`", id);
  return 0;
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
  struct teardown t = { .root = root, .id = id, .sweep = true, .state_dir = true };
  struct mk_state *st = NULL;
  struct mk_cgroup *cg = NULL;
  char *unit = NULL;
  int ret;

  if (mk_state_read_as (dirfd, MK_STATE_CREATING_FILE, id, &st, NULL) == 0)
    {
      if (st->pid > 0 && st->start_time && mk_proc_start_time (st->pid) == st->start_time)
        {
          t.pid = st->pid;
          t.start_time = st->start_time;
        }
      /* A cgroup that cannot be loaded: the init is killed all the same,
         the state dir kept for a delete to try again.  */
      if (st->cgroup_path[0] && mk_cgroup_load (st->cgroup_path, &cg, err) < 0)
        t.state_dir = false;
      t.cg = cg;
      if (st->systemd_cgroup)
        unit = mk_systemd_unit_of_path (st->cgroup_path);
      t.systemd_unit = unit;
    }
  ret = teardown (&t, err) < 0 || !t.state_dir ? -1 : 0;
  free (unit);
  mk_cgroup_free (cg);
  mk_state_free (st);
  return ret;
}

int
mk_container_delete (const char *root, const char *id, bool force, mk_error **err)
{
  _cleanup_opened_ struct mk_opened c = { .dirfd = -1 };
  struct mk_cgroup *cg = NULL;
  struct mk_spec *spec = NULL;
  struct teardown t = { .root = root, .id = id, .sweep = true, .state_dir = true };
  char *unit = NULL;
  int ret = -1;

  for (;;)
    {
      mk_error *e = NULL;
      int r;
      if (mk_container_open (root, id, true,
                             force ? ANY : MK_IN (MK_STATUS_CREATED) | MK_IN (MK_STATUS_STOPPED),
                             "container `%s` is %s: stop it first or use --force", &c, &e)
          == 0)
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
      r = mk_state_dir_open_abandoned (root, id, &c.dirfd, err);
      if (r < 0)
        return -1;
      if (r == 0)
        return delete_abandoned (root, id, c.dirfd, err);
      /* A create finished while we waited for its lock.  */
      mk_container_close (&c);
    }
  /* Its poststop hooks: a saved config that cannot be read is an error
     (with --force, a warning: the container goes all the same).  */
  {
    mk_error *e = NULL;
    if (mk_state_saved_spec (c.dirfd, c.st, &spec, &e) < 0)
      {
        if (!force)
          {
            mk_error_set (err, 0, "%s (--force deletes it without its poststop hooks)", e->msg);
            mk_error_free (e);
            return -1;
          }
        mk_warn ("%s: its poststop hooks are not run", e->msg);
        mk_error_free (e);
      }
  }
  if (c.st->cgroup_path[0] && mk_cgroup_load (c.st->cgroup_path, &cg, err) < 0)
    goto out;
  if (c.status != MK_STATUS_STOPPED)
    {
      t.pid = c.st->pid;
      t.start_time = c.st->start_time;
      t.paused = c.status == MK_STATUS_PAUSED;
    }
  t.cg = cg;
  t.spec = spec;
  t.state = c.st;
  if (c.st->systemd_cgroup)
    unit = mk_systemd_unit_of_path (c.st->cgroup_path);
  t.systemd_unit = unit;
  ret = teardown (&t, err);
out:
  free (unit);
  mk_spec_free (spec);
  mk_cgroup_free (cg);
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
      _cleanup_opened_ struct mk_opened c = { .dirfd = -1 };
      mk_error *e = NULL;
      if (mk_container_open (root, *id, false, ANY, NULL, &c, &e) < 0)
        {
          mk_error_free (e);
          continue;
        }
      v[k].id = xstrdup (*id);
      v[k].status = c.status;
      v[k].pid = c.status == MK_STATUS_STOPPED ? 0 : c.st->pid;
      v[k].bundle = xstrdup (c.st->bundle);
      v[k].created = xstrdup (c.st->created);
      v[k].owner = c.st->owner;
      k++;
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

/* The cgroup of a container that has one (ERR: "container `ID` has no
   cgroup").  */
static int
load_cgroup (const struct mk_opened *c, const char *id, struct mk_cgroup **cg, mk_error **err)
{
  *cg = NULL;
  if (c->st->cgroup_path == NULL || c->st->cgroup_path[0] == '\0')
    return mk_error_set (err, 0,
                         "container `%s` has no cgroup (created without privilege, and no "
                         "cgroup was delegated)",
                         id);
  return mk_cgroup_load (c->st->cgroup_path, cg, err);
}

int
mk_container_pause (const char *root, const char *id, bool pause, mk_error **err)
{
  _cleanup_opened_ struct mk_opened c = { .dirfd = -1 };
  struct mk_cgroup *cg = NULL;
  int ret = -1;

  const char *refusal
      = pause ? "container `%s` is %s, not running" : "container `%s` is %s, not paused";

  /* resume shares the lock: an `exec --ignore-paused` holds it while its
     process waits, frozen, for this very resume.  */
  if (mk_container_open (root, id, pause, MK_IN (pause ? MK_STATUS_RUNNING : MK_STATUS_PAUSED),
                         refusal, &c, err)
      < 0)
    return -1;
  if (c.st->freezer_file == NULL || c.st->freezer_file[0] == '\0')
    return mk_error_set (err, 0, "container `%s` has no freezer cgroup", id);
  if (load_cgroup (&c, id, &cg, err) == 0 && mk_cgroup_freeze (cg, pause, err) == 0)
    ret = 0;
  mk_cgroup_free (cg);
  return ret;
}

int
mk_container_pids (const char *root, const char *id, pid_t **pids, size_t *n, mk_error **err)
{
  _cleanup_opened_ struct mk_opened c = { .dirfd = -1 };
  struct mk_cgroup *cg = NULL;
  int ret = -1;

  /* A stopped container lists what is left in its cgroup, as runc's ps:
     nothing, or nothing at all where the cgroup is gone already.  */
  if (mk_container_open (root, id, false, ANY, NULL, &c, err) < 0)
    return -1;
  if (c.st->cgroup_path[0] == '\0' && c.status != MK_STATUS_STOPPED)
    return mk_proc_pidns_pids (c.st->pid, pids, n, err);
  if (mk_cgroup_load (c.st->cgroup_path, &cg, err) == 0 && mk_cgroup_pids (cg, pids, n, err) == 0)
    ret = 0;
  else if (c.status == MK_STATUS_STOPPED)
    {
      mk_error_free (*err);
      *err = NULL;
      *pids = NULL;
      *n = 0;
      ret = 0;
    }
  mk_cgroup_free (cg);
  return ret;
}

/* update's limits: RESOURCES_JSON, then FLAGS on top.  */
static int
update_resources (const char *resources_json, char *const *flags, struct mk_resources **out,
                  mk_error **err)
{
  struct mk_resources *r = NULL;
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
          return mk_error_set (err, 0, "--resources: not valid JSON: %s", errbuf);
        }
      r2 = mk_resources_parse (tree, "resources", &r, err);
      yajl_tree_free (tree);
      if (r2 < 0)
        return -1;
      /* As runc: update changes limits, never the device rules.  */
      r->n_devices = 0;
    }
  else
    r = xmalloc0 (sizeof (*r));
  *out = r;
  for (char *const *f = flags; f && *f; f++)
    {
      _cleanup_free_ char *name = xstrdup (*f);
      char *eq = strchr (name, '=');
      if (eq == NULL)
        return mk_error_set (err, 0, "bad flag `%s`", *f);
      *eq = '\0';
      if (mk_resources_set_flag (r, name, eq + 1, err) < 0)
        return -1;
    }
  return 0;
}

int
mk_container_update (const char *root, const char *id, const char *resources_json,
                     char *const *flags, mk_error **err)
{
  _cleanup_opened_ struct mk_opened c = { .dirfd = -1 };
  struct mk_resources *r = NULL;
  struct mk_cgroup *cg = NULL;
  int ret = -1;

  if (mk_container_open (root, id, true, LIVE, "container `%s` is not running", &c, err) < 0)
    return -1;
  if (update_resources (resources_json, flags, &r, err) == 0 && load_cgroup (&c, id, &cg, err) == 0)
    {
      struct mk_ext_ctx x = { .root = root, .id = id, .update = r };
      _cleanup_free_ char *unit
          = c.st->systemd_cgroup ? mk_systemd_unit_of_path (c.st->cgroup_path) : NULL;
      /* systemd's own properties first (a reload keeps them), then the
         files, as at create.  */
      if (mk_ext_run (MK_EXT_UPDATE, &x, err) == 0
          && (unit == NULL || mk_systemd_set_properties (mk_ns_unprivileged (), unit, r, err) == 0)
          && mk_cgroup_update (cg, r, err) == 0)
        ret = 0;
    }
  mk_cgroup_free (cg);
  mk_resources_free (r);
  return ret;
}
