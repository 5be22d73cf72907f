/* exec.c: `mkrun exec`: one more process in a created or running container.
 *
 * The process is a clone3 of the runtime, like the init: the runtime joins
 * the container's pid namespace for its children around the clone, and
 * clones straight into the container's v2 cgroup (pure v2 and hybrid); the
 * child moves itself into the v1 cgroups ("0" to tasks), then joins every
 * other namespace the container has with one setns() on a pidfd of the
 * init, and goes through the same steps as the init before exec (limits,
 * cwd, labels, seccomp, capabilities, user: init.c).  Any failure before
 * execve comes back over a SOCK_SEQPACKET socket as the runtime's error;
 * a successful execve closes that socket (CLOEXEC).  */
#include "config.h"

#include "cgroups/cgroup.h"
#include "cgroups/systemd.h"
#include "container.h"
#include "extension.h"
#include "foreground.h"
#include "init.h"
#include "kernfs.h"
#include "log.h"
#include "namespaces.h"
#include "seccomp.h"
#include "spec.h"
#include "state.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <yajl/yajl_tree.h>

/* The process to run and what was allocated to build it.  */
struct exec_process
{
  struct mk_process proc;   /* shallow copy of the container's, with overrides */
  struct mk_process *owned; /* from --process */
  char **env;               /* allocated env (the strings belong to spec or opts) */
  int *caps[MK_CAP_COUNT];  /* allocated cap arrays */
  gid_t *gids;              /* allocated additional gids */
};

static void
exec_process_free (struct exec_process *x)
{
  mk_process_free (x->owned);
  free (x->env);
  for (int i = 0; i < MK_CAP_COUNT; i++)
    free (x->caps[i]);
  free (x->gids);
}

static int
parse_id (const char *s, const char *what, unsigned *out, mk_error **err)
{
  long long v;
  if (mk_parse_int64 (s, &v) < 0 || v < 0 || v > 0xfffffffeLL)
    return mk_error_set (err, 0, "%s: `%s` is not a numeric id", what, s);
  *out = (unsigned)v;
  return 0;
}

static int
load_process_file (const char *path, struct exec_process *x, mk_error **err)
{
  _cleanup_free_ char *text = NULL;
  char errbuf[256] = "";
  yajl_val tree;
  int r;

  if (mk_read_file_at (AT_FDCWD, path, &text, NULL, err) < 0)
    return mk_error_prefix (err, "--process");
  tree = yajl_tree_parse (text, errbuf, sizeof (errbuf));
  if (tree == NULL)
    {
      char *nl = strchr (errbuf, '\n');
      if (nl)
        *nl = '\0';
      return mk_error_set (err, 0, "--process %s: not valid JSON: %s", path, errbuf);
    }
  r = mk_spec_parse_process (tree, "process", &x->owned, err);
  yajl_tree_free (tree);
  if (r < 0)
    return mk_error_prefix (err, "--process %s", path);
  if (x->owned->args == NULL || x->owned->args[0] == NULL)
    return mk_error_set (err, 0, "--process %s: process.args: expected a non-empty array", path);
  if (x->owned->cwd == NULL)
    x->owned->cwd = xstrdup ("/");
  x->proc = *x->owned;
  return 0;
}

/* ENV with each KEY=VALUE of ADD replacing the same KEY or appended.  */
static char **
merge_env (char **env, char **add)
{
  size_t n = mk_strv_len (env), m = mk_strv_len (add), k = n;
  char **out = xmalloc0 (sizeof (char *) * (n + m + 1));
  memcpy (out, env, sizeof (char *) * n);
  for (size_t i = 0; i < m; i++)
    {
      const char *eq = strchr (add[i], '=');
      size_t keylen = eq ? (size_t)(eq - add[i]) : strlen (add[i]);
      size_t j;
      for (j = 0; j < k; j++)
        if (strncmp (out[j], add[i], keylen) == 0 && out[j][keylen] == '=')
          break;
      out[j] = add[i];
      if (j == k)
        k++;
    }
  return out;
}

static int
add_caps (struct exec_process *x, char **names, mk_error **err)
{
  static const int kinds[] = { MK_CAP_BOUNDING, MK_CAP_EFFECTIVE, MK_CAP_PERMITTED };
  size_t m = mk_strv_len (names);
  int *vals = xmalloc0 (sizeof (int) * (m + 1));

  for (size_t i = 0; i < m; i++)
    {
      char lower[64];
      cap_value_t cap;
      size_t j;
      for (j = 0; names[i][j] && j < sizeof (lower) - 1; j++)
        lower[j] = (char)tolower ((unsigned char)names[i][j]);
      lower[j] = '\0';
      if (cap_from_name (lower, &cap) < 0)
        {
          free (vals);
          return mk_error_set (err, 0, "--cap: unknown capability `%s`", names[i]);
        }
      vals[i] = cap;
    }
  for (size_t k = 0; k < MK_ARRAY_SIZE (kinds); k++)
    {
      struct mk_capset *set = &x->proc.caps[kinds[k]];
      int *caps = xmalloc0 (sizeof (int) * (set->n + m + 1));
      memcpy (caps, set->caps, sizeof (int) * set->n);
      memcpy (caps + set->n, vals, sizeof (int) * m);
      x->caps[kinds[k]] = caps;
      set->caps = caps;
      set->n += m;
      set->given = true;
    }
  x->proc.has_caps = true;
  free (vals);
  return 0;
}

/* The container's process with the command line's changes, as runc's exec
   builds it.  */
static int
build_process (const struct mk_spec *spec, char **env, const struct mk_exec_opts *o,
               struct exec_process *x, mk_error **err)
{
  if (o->process_file)
    return load_process_file (o->process_file, x, err);
  if (spec->process == NULL)
    return mk_error_set (err, 0, "the container's config has no process");
  x->proc = *spec->process;
  x->proc.args = o->args;
  x->proc.terminal = o->tty > 0;
  if (o->cwd)
    x->proc.cwd = (char *)o->cwd;
  /* The environment create gave the process (with what its extensions
     added: the GPUs'), then --env.  */
  if (env)
    x->proc.env = env;
  if (o->env && o->env[0])
    x->proc.env = x->env = merge_env (x->proc.env, o->env);
  if (o->user)
    {
      _cleanup_free_ char *u = xstrdup (o->user);
      char *colon = strchr (u, ':');
      unsigned uid = 0, gid = 0;
      if (colon)
        *colon = '\0';
      if (parse_id (u, "--user", &uid, err) < 0)
        return -1;
      x->proc.uid = uid;
      if (colon)
        {
          if (parse_id (colon + 1, "--user", &gid, err) < 0)
            return -1;
          x->proc.gid = gid;
        }
    }
  if (o->additional_gids)
    {
      _cleanup_free_ char *copy = xstrdup (o->additional_gids);
      char *save = NULL;
      size_t n = x->proc.n_additional_gids;
      x->gids = xmalloc0 (sizeof (gid_t) * (n + strlen (copy) / 2 + 2));
      if (n)
        memcpy (x->gids, x->proc.additional_gids, sizeof (gid_t) * n);
      for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
        {
          unsigned g = 0;
          if (parse_id (t, "--additional-gids", &g, err) < 0)
            return -1;
          x->gids[n++] = g;
        }
      x->proc.additional_gids = x->gids;
      x->proc.n_additional_gids = n;
    }
  if (o->caps && o->caps[0] && add_caps (x, o->caps, err) < 0)
    return -1;
  if (o->no_new_privs)
    x->proc.no_new_privileges = true;
  if (o->process_label)
    x->proc.selinux_label = (char *)o->process_label;
  if (o->apparmor)
    x->proc.apparmor_profile = (char *)o->apparmor;
  return 0;
}

/* Which of the init's namespaces differ from ours: those are joined.  */
static int
namespaces_to_join (pid_t pid, int *flags, bool *pidns)
{
  static const struct
  {
    const char *name;
    int flag;
  } ns[] = {
    { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },  { "net", CLONE_NEWNET },
    { "ipc", CLONE_NEWIPC },   { "uts", CLONE_NEWUTS }, { "cgroup", CLONE_NEWCGROUP },
    { "time", CLONE_NEWTIME }, { "pid", CLONE_NEWPID },
  };
  *flags = 0;
  *pidns = false;
  for (size_t i = 0; i < MK_ARRAY_SIZE (ns); i++)
    {
      char path[64];
      struct stat a, b;
      snprintf (path, sizeof (path), "/proc/%d/ns/%s", (int)pid, ns[i].name);
      if (stat (path, &a) < 0)
        {
          if (errno == ENOENT && strcmp (ns[i].name, "time") == 0)
            continue; /* kernel without time namespaces */
          return -1;
        }
      snprintf (path, sizeof (path), "/proc/self/ns/%s", ns[i].name);
      if (stat (path, &b) < 0)
        return -1;
      if (a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        continue;
      if (ns[i].flag == CLONE_NEWPID)
        *pidns = true;
      else
        *flags |= ns[i].flag;
    }
  return 0;
}

struct exec_child
{
  const struct mk_spec *spec;
  const struct mk_process *proc;
  const struct mk_cgroup *cg;
  int pidfd;
  int ns_flags;
  int rootfd; /* the init's root, for a container sharing our mount namespace */
  int sync_fd;
  int console_fd;
  int preserve_fds;
  bool wait_cgroup; /* systemd moves it into the cgroup: wait for that */
  sigset_t sigmask;
};

static void __attribute__ ((noreturn)) exec_child_run (struct exec_child *a)
{
  mk_error *err = NULL;
  _cleanup_free_ char *exec_path = NULL;
  int notify_fd = -1, procfd;
  char **env = NULL;

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  mk_debug ("child process in init(): exec, pid %d", (int)getpid ());
  /* execCPUAffinity.initial: where it runs while it joins the container.  */
  if (a->proc->has_affinity_initial
      && sched_setaffinity (0, sizeof (a->proc->affinity_initial), &a->proc->affinity_initial) < 0)
    {
      mk_error_set (&err, errno, "process.execCPUAffinity.initial: sched_setaffinity");
      goto fail;
    }
  /* While still the host's root: the v1 cgroups (the v2 one by clone3,
     or by systemd for an unprivileged caller of the systemd driver).  */
  if (a->wait_cgroup && mk_sync_expect (a->sync_fd, MK_SYNC_CGROUP_DONE, NULL, &err) < 0)
    goto fail;
  if (a->cg && mk_cgroup_enter_self_v1 (a->cg, &err) < 0)
    goto fail;
  /* The host's /proc, for the oom score and LSM labels: the container's
     may be anything its image made it.  Closed before capabilities go.  */
  procfd = mk_kernfs_open_root ("/proc", &err);
  if (procfd < 0)
    goto fail;
  if (a->ns_flags && setns (a->pidfd, a->ns_flags) < 0)
    {
      mk_error_set (&err, errno, "join the container's namespaces");
      goto fail;
    }
  if (!(a->ns_flags & CLONE_NEWNS) && (fchdir (a->rootfd) < 0 || chroot (".") < 0))
    {
      mk_error_set (&err, errno, "enter the container's root");
      goto fail;
    }
  {
    /* Inside now: nothing of the runtime's stays open (the state dir, the
       cgroups, the init's root), or execve could still resolve the
       program's path through /proc/self/fd/N of it (CVE-2024-21626).  */
    int keep[] = { a->sync_fd, a->console_fd, procfd, mk_log_fd () };
    mk_close_fds_from (3 + a->preserve_fds, keep, MK_ARRAY_SIZE (keep));
  }
  mk_debug ("nsexec container setup: joined the container's namespaces");
  if (chdir ("/") < 0)
    {
      mk_error_set (&err, errno, "chdir /");
      goto fail;
    }
  if (mk_init_prepare_process (a->spec, a->proc, a->console_fd, procfd, &exec_path, &env,
                               &notify_fd, &err)
      < 0)
    goto fail;
  prctl (PR_SET_PDEATHSIG, 0);
  if (mk_sync_send (a->sync_fd, MK_SYNC_READY, NULL, 0, notify_fd) < 0)
    _exit (1);
  if (notify_fd >= 0)
    close (notify_fd);
  /* execCPUAffinity.final: the program's, now in the container's cgroup
     (its cpuset may have narrowed the initial one).  */
  if (a->proc->has_affinity_final
      && sched_setaffinity (0, sizeof (a->proc->affinity_final), &a->proc->affinity_final) < 0)
    {
      mk_error_set (&err, errno, "process.execCPUAffinity.final: sched_setaffinity");
      goto fail;
    }
  mk_debug ("setns_init: about to exec %s", exec_path);
  /* The log too (like the sync socket, it reaches the runtime).  */
  mk_close_fds_from (3 + a->preserve_fds, &a->sync_fd, 1);
  sigprocmask (SIG_SETMASK, &a->sigmask, NULL);
  execve (exec_path, a->proc->args, env);
  mk_error_set (&err, errno, "exec `%s`", exec_path);
fail:
  mk_sync_fail (a->sync_fd, err);
}

/* After READY: EOF means execve succeeded; an error message means not.  */
static int
wait_exec (int sync_fd, mk_error **err)
{
  char buf[4096];
  ssize_t n;
  do
    n = recv (sync_fd, buf, sizeof (buf) - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  if (buf[0] == MK_SYNC_ERROR)
    return mk_sync_error (buf + 1, (int)n - 1, err);
  return mk_error_set (err, 0, "unexpected message from the process");
}

struct exec_run
{
  struct mk_spec *spec;
  struct mk_state *st;
  struct mk_cgroup *cg;
  char *systemd_unit; /* an unprivileged caller's scope: systemd moves the process */
  char *systemd_sub;  /* (its sub-cgroup, exec --cgroup) */
  struct exec_process x;
  int dirfd, pidfd, rootfd, sync_fd, child_sync, console_fd, child_console, master_fd;
  int own_pidns, target_pidns;
  pid_t pid;
};

static void
exec_run_free (struct exec_run *r)
{
  int *fds[]
      = { &r->dirfd,      &r->pidfd,         &r->rootfd,    &r->sync_fd,   &r->child_sync,
          &r->console_fd, &r->child_console, &r->master_fd, &r->own_pidns, &r->target_pidns };
  for (size_t i = 0; i < MK_ARRAY_SIZE (fds); i++)
    if (*fds[i] >= 0)
      close (*fds[i]);
  exec_process_free (&r->x);
  mk_cgroup_free (r->cg);
  free (r->systemd_unit);
  free (r->systemd_sub);
  mk_spec_free (r->spec);
  mk_state_free (r->st);
}

/* Everything before the clone: the container must be running (or created),
   its spec, the process, the cgroup, and the fds of its namespaces.  */
static int
prepare (const struct mk_exec_opts *o, struct exec_run *r, mk_error **err)
{
  struct mk_opened c;
  unsigned long long start;

  if (mk_container_open (o->root, o->id, false, ~MK_IN (MK_STATUS_STOPPED),
                         "cannot exec in a stopped container", &c, err)
      < 0)
    return -1;
  r->dirfd = c.dirfd;
  r->st = c.st;
  if (c.status == MK_STATUS_PAUSED && !o->ignore_paused)
    return mk_error_set (
        err, 0, "cannot exec in a paused container: resume it first (or use --ignore-paused)");
  /* The config as create saved it, never the bundle's (which may have
     changed since); its extensions for what applies to every process.  */
  if (mk_state_saved_spec (r->dirfd, r->st, &r->spec, err) < 0 || mk_ext_parse (r->spec, err) < 0)
    return -1;
  if (build_process (r->spec, r->st->env, o, &r->x, err) < 0)
    return -1;
  if (r->x.proc.terminal && o->console_socket == NULL && o->detach)
    return mk_error_set (err, 0, "--tty with --detach needs --console-socket");
  if (!r->x.proc.terminal && o->console_socket)
    return mk_error_set (err, 0, "--console-socket: the process has no terminal (use --tty)");
  if (r->x.proc.apparmor_profile && r->x.proc.apparmor_profile[0]
      && access ("/sys/kernel/security/apparmor", F_OK) < 0)
    return mk_error_set (err, 0, "apparmor profile `%s`: AppArmor is not enabled on this host",
                         r->x.proc.apparmor_profile);
  if (r->x.proc.selinux_label && r->x.proc.selinux_label[0]
      && access ("/sys/fs/selinux/enforce", F_OK) < 0)
    return mk_error_set (err, 0, "process label `%s`: SELinux is not enabled on this host",
                         r->x.proc.selinux_label);

  r->pidfd = mk_pidfd_open (r->st->pid);
  start = mk_proc_start_time (r->st->pid);
  if (r->pidfd < 0 || start == 0 || start != r->st->start_time)
    return mk_error_set (err, 0, "cannot exec in a stopped container");
  {
    char path[64];
    snprintf (path, sizeof (path), "/proc/%d/root", (int)r->st->pid);
    r->rootfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r->rootfd < 0)
      return mk_error_set (err, errno, "open %s", path);
  }
  if (r->st->cgroup_path && r->st->cgroup_path[0])
    {
      if (mk_cgroup_load (r->st->cgroup_path, &r->cg, err) < 0)
        return -1;
      for (char **c = o->cgroups; c && *c; c++)
        {
          _cleanup_free_ char *copy = xstrdup (*c);
          char *colon = strchr (copy, ':');
          if (colon)
            *colon = '\0';
          if (mk_cgroup_sub (r->cg, colon ? copy : NULL, colon ? colon + 1 : copy, err) < 0)
            return mk_error_prefix (err, "--cgroup");
          free (r->systemd_sub);
          r->systemd_sub = xstrdup (colon ? colon + 1 : copy);
        }
      /* The user's scope is in a subtree our own cgroup is outside of:
         the kernel lets us clone nothing into it, systemd moves it.  */
      if (r->st->systemd_cgroup && mk_ns_unprivileged ())
        r->systemd_unit = mk_systemd_unit_of_path (r->st->cgroup_path);
    }
  else if (o->cgroups && o->cgroups[0])
    return mk_error_set (err, 0, "--cgroup: the container has no cgroup");
  return 0;
}

/* In a helper (forked, so that the runtime's own pid namespace for its
   children never changes): joins TARGET_PIDNS and clones C's process there
   with CLONE_PARENT, our child.  Returns its pid, or -errno.  */
static pid_t
clone_by_helper (int target_pidns, int cgroup_fd, struct exec_child *c)
{
  int p[2];
  pid_t helper, pid = -EIO;
  int status;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return -errno;
  helper = fork ();
  if (helper < 0)
    {
      int e = errno;
      close (p[0]);
      close (p[1]);
      return -e;
    }
  if (helper == 0)
    {
      pid_t got;
      close (p[0]);
      /* The container's user namespace first where it has one: its
         creator (us) has the capabilities there to enter its pid
         namespace; the process is then born in it.  */
      if ((c->ns_flags & CLONE_NEWUSER) && setns (c->pidfd, CLONE_NEWUSER) == 0)
        c->ns_flags &= ~CLONE_NEWUSER;
      got = setns (target_pidns, CLONE_NEWPID) < 0 ? -errno : mk_ns_clone (CLONE_PARENT, cgroup_fd);
      if (got == 0)
        exec_child_run (c);
      if (got < 0 && got != -errno)
        got = -errno;
      _exit (write (p[1], &got, sizeof (got)) == sizeof (got) ? 0 : 1);
    }
  close (p[1]);
  if (read (p[0], &pid, sizeof (pid)) != sizeof (pid))
    pid = -EIO;
  close (p[0]);
  while (waitpid (helper, &status, 0) < 0 && errno == EINTR)
    ;
  return pid;
}

static int
spawn_process (const struct mk_exec_opts *o, struct exec_run *r, const sigset_t *oldmask,
               mk_error **err)
{
  struct exec_child c = { 0 };
  bool pidns;
  int clone_fd;
  int sv[2];
  _cleanup_close_ int notify_fd = -1;

  if (namespaces_to_join (r->st->pid, &c.ns_flags, &pidns) < 0)
    return mk_error_set (err, errno, "the container's namespaces");
  if (r->x.proc.terminal
      && mk_console_socket (o->console_socket, &r->console_fd, &r->child_console, err) < 0)
    return -1;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return mk_error_set (err, errno, "socketpair");
  r->sync_fd = sv[0];
  r->child_sync = sv[1];

  c.spec = r->spec;
  c.proc = &r->x.proc;
  c.cg = r->cg;
  c.pidfd = r->pidfd;
  c.rootfd = r->rootfd;
  c.sync_fd = r->child_sync;
  c.console_fd = r->child_console;
  c.preserve_fds = o->preserve_fds;
  c.wait_cgroup = r->systemd_unit != NULL;
  c.sigmask = *oldmask;

  /* A pid namespace applies to children: join it for the clone only.
     Without the host's privilege (rootless Podman's runtime is root in a
     user namespace) there is no way back to our own, which the host's user
     namespace owns: a helper joins it instead and clones the process as
     our child (CLONE_PARENT).  */
  if (pidns)
    {
      char path[64];
      snprintf (path, sizeof (path), "/proc/%d/ns/pid", (int)r->st->pid);
      r->own_pidns = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
      r->target_pidns = open (path, O_RDONLY | O_CLOEXEC);
      if (r->own_pidns < 0 || r->target_pidns < 0
          || (!mk_ns_unprivileged () && setns (r->target_pidns, CLONE_NEWPID) < 0))
        return mk_error_set (err, errno, "join the container's pid namespace");
    }
  clone_fd = r->cg && !c.wait_cgroup ? mk_cgroup_clone_fd (r->cg) : -1;
  if (pidns && mk_ns_unprivileged ())
    {
      r->pid = clone_by_helper (r->target_pidns, clone_fd, &c);
      if (r->pid < 0)
        return mk_error_set (err, -r->pid, "clone the process in the container's pid namespace");
      pidns = false; /* nothing to return from */
    }
  else
    r->pid = mk_ns_clone (0, clone_fd);
  if (r->pid == 0)
    exec_child_run (&c);
  if (pidns && setns (r->own_pidns, CLONE_NEWPID) < 0 && r->pid > 0)
    {
      /* Our children would land in the container: never go on like that. */
      kill (r->pid, SIGKILL);
      return mk_error_set (err, errno, "return to our pid namespace");
    }
  if (r->pid < 0)
    {
      r->pid = 0;
      return mk_error_set (err, errno, "clone the process");
    }
  close (r->child_sync);
  r->child_sync = -1;
  if (c.wait_cgroup)
    {
      if (mk_systemd_attach_sub (true, r->systemd_unit, r->systemd_sub, r->pid, err) < 0)
        return -1;
      mk_sync_send (r->sync_fd, MK_SYNC_CGROUP_DONE, NULL, 0, -1);
    }
  if (r->child_console >= 0)
    {
      close (r->child_console);
      r->child_console = -1;
    }
  if (mk_sync_expect (r->sync_fd, MK_SYNC_READY, &notify_fd, err) < 0)
    return -1;
  if (r->console_fd >= 0 && mk_terminal_recv_master (r->console_fd, &r->master_fd, err) < 0)
    return -1;
  if (notify_fd >= 0)
    {
      struct mk_state st = *r->st;
      _cleanup_free_ char *json = NULL;
      st.pid = r->pid;
      json = mk_state_json (&st, MK_STATUS_RUNNING, false);
      if (mk_seccomp_send_listener (r->spec->seccomp, steal_fd (&notify_fd), r->pid, json, err) < 0)
        return -1;
    }
  if (wait_exec (r->sync_fd, err) < 0)
    return -1;
  if (o->pid_file && mk_write_pid_file (o->pid_file, r->pid, err) < 0)
    return -1;
  if (o->pidfd_socket && mk_send_pidfd (o->pidfd_socket, r->pid, err) < 0)
    return -1;
  return 0;
}

int
mk_container_exec (const struct mk_exec_opts *o, int *exit_code, mk_error **err)
{
  struct exec_run r = { .dirfd = -1,
                        .pidfd = -1,
                        .rootfd = -1,
                        .sync_fd = -1,
                        .child_sync = -1,
                        .console_fd = -1,
                        .child_console = -1,
                        .master_fd = -1,
                        .own_pidns = -1,
                        .target_pidns = -1 };
  sigset_t all, oldmask;
  int ret = -1;

  *exit_code = 0;
  mk_foreground_block_signals (&all, &oldmask);
  if (prepare (o, &r, err) < 0 || spawn_process (o, &r, &oldmask, err) < 0)
    {
      if (r.pid > 0)
        {
          kill (r.pid, SIGKILL);
          waitpid (r.pid, NULL, 0);
        }
      goto out;
    }
  /* Let go of the state dir's lock: delete may come while we wait.  */
  close (r.dirfd);
  r.dirfd = -1;
  if (o->detach)
    ret = 0;
  else
    ret = mk_foreground_wait (r.pid, &r.master_fd, &all, exit_code, err);
out:
  sigprocmask (SIG_SETMASK, &oldmask, NULL);
  exec_run_free (&r);
  return ret;
}
