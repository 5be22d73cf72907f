/* namespaces.c: see namespaces.h.  */
#include "config.h"

#include "kernfs.h"
#include "namespaces.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
mk_ns_plan (const struct mk_spec *spec, struct mk_ns_plan *plan, mk_error **err)
{
  const struct mk_namespace *user = mk_spec_namespace (spec, CLONE_NEWUSER);

  memset (plan, 0, sizeof (*plan));
  plan->saved_pid_fd = plan->saved_time_fd = -1;
  for (size_t i = 0; i < spec->n_namespaces; i++)
    {
      const struct mk_namespace *ns = &spec->namespaces[i];
      if (ns->path)
        {
          if (ns->type != CLONE_NEWPID && ns->type != CLONE_NEWTIME)
            plan->join_in_init = true;
          continue;
        }
      switch (ns->type)
        {
        case CLONE_NEWCGROUP:
          plan->new_cgroup = true;
          break;
        case CLONE_NEWTIME:
          break; /* made by the runtime before clone */
        case CLONE_NEWPID:
          plan->clone_flags |= ns->type;
          break;
        default:
          if (user && user->path)
            plan->unshare_flags |= ns->type; /* owned by the joined user ns */
          else
            plan->clone_flags |= ns->type;
        }
    }
  plan->new_user = user && !user->path;
  /* Joining happens in the init before it creates anything, so that a new
     user namespace does not stop it from entering the host's ones.  */
  if (plan->join_in_init && plan->new_user)
    {
      plan->unshare_flags |= plan->clone_flags & ~CLONE_NEWPID;
      plan->clone_flags &= CLONE_NEWPID;
    }
  if ((spec->n_uid_mappings || spec->n_gid_mappings) && !plan->new_user)
    return mk_error_set (err, 0, "linux.uidMappings: needs a new user namespace");
  if (plan->new_user && (!spec->n_uid_mappings || !spec->n_gid_mappings))
    return mk_error_set (
        err, 0, "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
  if (spec->n_time_offsets)
    {
      const struct mk_namespace *t = mk_spec_namespace (spec, CLONE_NEWTIME);
      if (t == NULL || t->path)
        return mk_error_set (err, 0, "linux.timeOffsets: needs a new time namespace");
    }
  if (spec->hostname && !mk_spec_namespace (spec, CLONE_NEWUTS))
    return mk_error_set (err, 0, "hostname: needs a UTS namespace");
  if (spec->domainname && !mk_spec_namespace (spec, CLONE_NEWUTS))
    return mk_error_set (err, 0, "domainname: needs a UTS namespace");
  if (!mk_spec_namespace (spec, CLONE_NEWNS))
    return mk_error_set (err, 0, "linux.namespaces: a mount namespace is required");
  return 0;
}

static int
join_path (int type, const char *path, mk_error **err)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return mk_error_set (err, errno, "linux.namespaces: open %s namespace `%s`",
                         mk_namespace_name (type), path);
  if (setns (fd, type) < 0)
    return mk_error_set (err, errno, "linux.namespaces: join %s namespace `%s`",
                         mk_namespace_name (type), path);
  return 0;
}

int
mk_ns_before_clone (const struct mk_spec *spec, struct mk_ns_plan *plan, mk_error **err)
{
  const struct mk_namespace *pid = mk_spec_namespace (spec, CLONE_NEWPID);
  const struct mk_namespace *tns = mk_spec_namespace (spec, CLONE_NEWTIME);

  if (pid && pid->path)
    {
      plan->saved_pid_fd = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
      if (join_path (CLONE_NEWPID, pid->path, err) < 0)
        return -1;
    }
  if (tns)
    {
      plan->saved_time_fd = open ("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
      if (tns->path)
        return join_path (CLONE_NEWTIME, tns->path, err);
      if (unshare (CLONE_NEWTIME) < 0)
        return mk_error_set (err, errno, "linux.namespaces: create the time namespace");
      for (size_t i = 0; i < spec->n_time_offsets; i++)
        {
          const struct mk_time_offset *t = &spec->time_offsets[i];
          char line[128];
          mk_error *e = NULL;
          snprintf (line, sizeof (line), "%d %lld %u\n", t->clock, (long long)t->secs, t->nanosecs);
          if (mk_kernfs_write (-1, "/proc/self/timens_offsets", line, &e) < 0)
            {
              mk_error_set (err, e->errnum, "linux.timeOffsets: write timens_offsets");
              mk_error_free (e);
              return -1;
            }
        }
    }
  return 0;
}

void
mk_ns_after_clone (struct mk_ns_plan *plan)
{
  if (plan->saved_pid_fd >= 0)
    {
      setns (plan->saved_pid_fd, CLONE_NEWPID);
      close (plan->saved_pid_fd);
      plan->saved_pid_fd = -1;
    }
  if (plan->saved_time_fd >= 0)
    {
      setns (plan->saved_time_fd, CLONE_NEWTIME);
      close (plan->saved_time_fd);
      plan->saved_time_fd = -1;
    }
}

int
mk_ns_join (const struct mk_spec *spec, mk_error **err)
{
  const struct mk_namespace *user = mk_spec_namespace (spec, CLONE_NEWUSER);
  if (user && user->path && join_path (CLONE_NEWUSER, user->path, err) < 0)
    return -1;
  for (size_t i = 0; i < spec->n_namespaces; i++)
    {
      const struct mk_namespace *ns = &spec->namespaces[i];
      if (ns->path == NULL || ns->type == CLONE_NEWUSER || ns->type == CLONE_NEWPID
          || ns->type == CLONE_NEWTIME)
        continue;
      if (join_path (ns->type, ns->path, err) < 0)
        return -1;
    }
  return 0;
}

static int
write_map (pid_t pid, const char *file, const struct mk_idmap *m, size_t n, const char *where,
           mk_error **err)
{
  char path[64], buf[4096] = "";
  size_t len = 0;
  mk_error *e = NULL;

  for (size_t i = 0; i < n && len < sizeof (buf) - 40; i++)
    len += snprintf (buf + len, sizeof (buf) - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
                     m[i].size);
  snprintf (path, sizeof (path), "/proc/%d/%s", pid, file);
  if (mk_kernfs_write (-1, path, buf, &e) < 0)
    {
      mk_error_set (err, e->errnum, "%s: write %s", where, file);
      mk_error_free (e);
      return -1;
    }
  return 0;
}

/* An unprivileged caller maps ranges through shadow's setuid helpers,
   which check /etc/subuid and /etc/subgid: `newuidmap PID ID HOSTID SIZE
   ...`.  Its own error goes to our stderr.  */
static int
run_idmap_helper (const char *helper, pid_t pid, const struct mk_idmap *m, size_t n,
                  const char *where, mk_error **err)
{
  _cleanup_strv_ char **argv = xmalloc0 ((3 * n + 3) * sizeof (char *));
  size_t k = 0;
  pid_t child;
  int status;

  argv[k++] = xstrdup (helper);
  argv[k++] = xasprintf ("%d", pid);
  for (size_t i = 0; i < n; i++)
    {
      argv[k++] = xasprintf ("%u", m[i].container_id);
      argv[k++] = xasprintf ("%u", m[i].host_id);
      argv[k++] = xasprintf ("%u", m[i].size);
    }
  child = fork ();
  if (child < 0)
    return mk_error_set (err, errno, "%s: fork for %s", where, helper);
  if (child == 0)
    {
      execvp (helper, argv);
      _exit (127);
    }
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      return mk_error_set (err, errno, "%s: wait for %s", where, helper);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
    return mk_error_set (err, 0,
                         "%s: mapping more than your own id takes %s (Debian's uidmap "
                         "package) and a range in /etc/sub%cid",
                         where, helper, helper[3] == 'u' ? 'u' : 'g');
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return mk_error_set (err, 0, "%s: %s failed (is the range yours in /etc/sub%cid?)", where,
                         helper, helper[3] == 'u' ? 'u' : 'g');
  return 0;
}

/* Whether M (N entries) maps only ID, once: what an unprivileged process
   may write itself.  */
static bool
only_own (const struct mk_idmap *m, size_t n, unsigned id)
{
  return n == 1 && m[0].host_id == id && m[0].size == 1;
}

int
mk_ns_write_idmaps (const struct mk_spec *spec, pid_t pid, mk_error **err)
{
  if (mk_ns_unprivileged ())
    {
      /* runc's and crun's rule: the caller's own ids are written (with
         setgroups denied, which the kernel requires for a gid_map written
         without CAP_SETGID), ranges go through newuidmap/newgidmap.  */
      bool own_uid = only_own (spec->uid_mappings, spec->n_uid_mappings, geteuid ());
      bool own_gid = only_own (spec->gid_mappings, spec->n_gid_mappings, getegid ());
      if (!own_uid
          && run_idmap_helper ("newuidmap", pid, spec->uid_mappings, spec->n_uid_mappings,
                               "linux.uidMappings", err)
                 < 0)
        return -1;
      if (own_uid
          && write_map (pid, "uid_map", spec->uid_mappings, spec->n_uid_mappings,
                        "linux.uidMappings", err)
                 < 0)
        return -1;
      if (!own_gid)
        return run_idmap_helper ("newgidmap", pid, spec->gid_mappings, spec->n_gid_mappings,
                                 "linux.gidMappings", err);
      {
        char path[64];
        snprintf (path, sizeof (path), "/proc/%d/setgroups", pid);
        if (mk_kernfs_write (-1, path, "deny", err) < 0)
          return mk_error_prefix (err, "linux.gidMappings");
      }
      return write_map (pid, "gid_map", spec->gid_mappings, spec->n_gid_mappings,
                        "linux.gidMappings", err);
    }
  if (write_map (pid, "uid_map", spec->uid_mappings, spec->n_uid_mappings, "linux.uidMappings", err)
      < 0)
    return -1;
  return write_map (pid, "gid_map", spec->gid_mappings, spec->n_gid_mappings, "linux.gidMappings",
                    err);
}

pid_t
mk_ns_clone (int flags, int cgroup_fd)
{
  struct clone_args args = {
    .flags = (unsigned long long)flags,
    /* CLONE_PARENT takes none: the child has its new parent's.  */
    .exit_signal = flags & CLONE_PARENT ? 0 : SIGCHLD,
  };
  pid_t pid;

  if (cgroup_fd >= 0)
    {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = (unsigned long long)cgroup_fd;
    }
  pid = (pid_t)syscall (SYS_clone3, &args, sizeof (args));
  if (pid < 0 && errno == ENOSYS && cgroup_fd < 0)
    pid = (pid_t)syscall (SYS_clone, flags | (flags & CLONE_PARENT ? 0 : SIGCHLD), NULL, NULL, NULL,
                          NULL);
  return pid;
}

int
mk_ns_loopback_up (mk_error **err)
{
  struct ifreq ifr = { 0 };
  _cleanup_close_ int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return mk_error_set (err, errno, "network namespace: socket for lo");
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (fd, SIOCGIFFLAGS, &ifr) < 0)
    return mk_error_set (err, errno, "network namespace: flags of lo");
  if (ifr.ifr_flags & IFF_UP)
    return 0;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (fd, SIOCSIFFLAGS, &ifr) < 0)
    return mk_error_set (err, errno, "network namespace: bring lo up");
  return 0;
}

bool
mk_ns_unprivileged (void)
{
  static int cached = -1;
  if (cached < 0)
    {
      _cleanup_free_ char *map = NULL;
      unsigned long inside = 1, outside = 1, count = 0;
      cached = geteuid () != 0;
      /* The host's user namespace maps every id to itself: "0 0 4294967295". */
      if (!cached && mk_read_file_at (AT_FDCWD, "/proc/self/uid_map", &map, NULL, NULL) == 0)
        cached = sscanf (map, "%lu %lu %lu", &inside, &outside, &count) != 3 || inside != 0
                 || outside != 0 || count != 4294967295UL;
    }
  return cached;
}
