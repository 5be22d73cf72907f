/* process.c: see process.h.  */
#include "config.h"

#include "kernfs.h"
#include "mounts.h"
#include "process.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

struct sched_attr_
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

int
mk_process_apply_limits (const struct mk_spec *spec, const struct mk_process *p, int procfd,
                         mk_error **err)
{
  if (p->has_oom_score_adj)
    {
      char buf[16];
      mk_error *e = NULL;
      snprintf (buf, sizeof (buf), "%d", p->oom_score_adj);
      if (mk_kernfs_write (procfd, "/proc/self/oom_score_adj", buf, &e) < 0)
        {
          mk_error_set (err, e->errnum, "process.oomScoreAdj: set %d", p->oom_score_adj);
          mk_error_free (e);
          return -1;
        }
    }
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      struct rlimit rl = { p->rlimits[i].soft, p->rlimits[i].hard };
      if (setrlimit (p->rlimits[i].resource, &rl) < 0)
        return mk_error_set (err, errno, "process.rlimits[%zu]: set soft %llu hard %llu", i,
                             (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
    }
  if (p->has_scheduler)
    {
      struct sched_attr_ attr = {
        .size = sizeof (attr),
        .sched_policy = (uint32_t)p->sched_policy,
        .sched_flags = p->sched_flags,
        .sched_nice = p->sched_nice,
        .sched_priority = (uint32_t)p->sched_priority,
        .sched_runtime = p->sched_runtime,
        .sched_deadline = p->sched_deadline,
        .sched_period = p->sched_period,
      };
      if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
        return mk_error_set (err, errno, "process.scheduler: sched_setattr");
    }
  if (p->has_io_priority)
    {
      int prio = (p->io_priority_class << 13) | p->io_priority;
      if (syscall (SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, prio) < 0)
        return mk_error_set (err, errno, "process.ioPriority: ioprio_set");
    }
  if (spec->has_personality && personality (spec->personality) < 0)
    return mk_error_set (err, errno, "linux.personality: set");
  /* The kernel reads maxnode - 1 bits: all of memory_nodes.  */
  if (spec->has_memory_policy
      && syscall (SYS_set_mempolicy, spec->memory_policy, &spec->memory_nodes,
                  (unsigned long)(8 * sizeof (spec->memory_nodes) + 1))
             < 0)
    return mk_error_set (err, errno, "linux.memoryPolicy: set_mempolicy");
  return 0;
}

int
mk_process_set_user (const struct mk_process *p, mk_error **err)
{
  if (setgroups (p->n_additional_gids, p->additional_gids) < 0 && errno != EPERM)
    return mk_error_set (err, errno, "process.user.additionalGids: setgroups");
  if (setresgid (p->gid, p->gid, p->gid) < 0)
    return mk_error_set (err, errno, "process.user.gid: setgid %u", (unsigned)p->gid);
  if (setresuid (p->uid, p->uid, p->uid) < 0)
    return mk_error_set (err, errno, "process.user.uid: setuid %u", (unsigned)p->uid);
  return 0;
}

/* The home of UID in the container's /etc/passwd (we are in its root):
   malloc'ed, or NULL.  Only a regular file is read (O_NONBLOCK: an image's
   FIFO there must not hang the init), with no NSS module.  */
static char *
passwd_home (uid_t uid)
{
  int fd = open ("/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  struct stat st;
  struct passwd pw, *res;
  char buf[4096];
  char *home = NULL;
  FILE *f;

  if (fd < 0)
    return NULL;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || (f = fdopen (fd, "re")) == NULL)
    {
      close (fd);
      return NULL;
    }
  while (home == NULL && fgetpwent_r (f, &pw, buf, sizeof (buf), &res) == 0)
    if (pw.pw_uid == uid && pw.pw_dir && pw.pw_dir[0])
      home = xstrdup (pw.pw_dir);
  fclose (f);
  return home;
}

char **
mk_process_env_home (const struct mk_process *p)
{
  size_t n = 0;
  char **env;
  _cleanup_free_ char *home = NULL;

  for (char *const *e = p->env; e && *e; e++, n++)
    if (strncmp (*e, "HOME=", 5) == 0 && (*e)[5] != '\0')
      return NULL;
  home = passwd_home (p->uid);
  env = xmalloc0 ((n + 2) * sizeof (char *));
  n = 0;
  for (char *const *e = p->env; e && *e; e++)
    if (strncmp (*e, "HOME=", 5) != 0)
      env[n++] = *e;
  env[n] = xasprintf ("HOME=%s", home ? home : "/");
  return env;
}

int
mk_process_chdir (const struct mk_process *p, mk_error **err)
{
  char buf[4096];
  if (chdir (p->cwd) < 0)
    return mk_error_set (err, errno, "process.cwd: chdir `%s`", p->cwd);
  /* A cwd reached through a descriptor of the host (/proc/self/fd/N) is
     outside the root: the kernel says so with "(unreachable)" or ENOENT. */
  if (syscall (SYS_getcwd, buf, sizeof (buf)) < 0 || buf[0] != '/')
    return mk_error_set (err, 0, "process.cwd: `%s` is outside the container's root", p->cwd);
  return 0;
}

static const char *
env_path (char *const *env)
{
  for (; env && *env; env++)
    if (strncmp (*env, "PATH=", 5) == 0)
      return *env + 5;
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

/* CAND (absolute) resolves inside ROOTFD, with no magic link on the way, to
   a regular file with an execute bit.  errno says why not.  */
static bool
executable (int rootfd, const char *cand)
{
  _cleanup_close_ int fd = mk_open_in_root (rootfd, cand, O_PATH);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return false;
  if (!S_ISREG (st.st_mode) || !(st.st_mode & 0111))
    {
      errno = S_ISDIR (st.st_mode) ? EISDIR : EACCES;
      return false;
    }
  return true;
}

/* NAME (relative) made absolute against the current directory.  */
static char *
absolute (const char *name)
{
  char cwd[PATH_MAX];
  if (name[0] == '/')
    return xstrdup (name);
  if (getcwd (cwd, sizeof (cwd)) == NULL)
    return xstrdup (name);
  return xasprintf ("%s/%s", strcmp (cwd, "/") == 0 ? "" : cwd, name);
}

int
mk_process_find_exec (const struct mk_process *p, char **out, mk_error **err)
{
  const char *name = p->args[0];
  _cleanup_close_ int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  const char *path, *s;

  if (rootfd < 0)
    return mk_error_set (err, errno, "open the container's root");
  if (strchr (name, '/'))
    {
      _cleanup_free_ char *abs = absolute (name);
      if (!executable (rootfd, abs))
        return mk_error_set (err, errno,
                             errno == EXDEV || errno == ELOOP
                                 ? "process.args[0]: exec `%s` (a /proc magic link or a symlink "
                                   "loop on the way)"
                                 : "process.args[0]: exec `%s`",
                             name);
      *out = steal_pointer (&abs);
      return 0;
    }
  path = env_path (p->env);
  for (s = path;; s = strchr (s, ':') + 1)
    {
      size_t len = strcspn (s, ":");
      _cleanup_free_ char *rel = xasprintf ("%.*s/%s", (int)len, len ? s : ".", name);
      _cleanup_free_ char *cand = absolute (rel);
      if (executable (rootfd, cand))
        {
          *out = steal_pointer (&cand);
          return 0;
        }
      if (s[len] == '\0')
        break;
    }
  return mk_error_set (err, 0, "process.args[0]: exec: \"%s\": executable file not found in $PATH",
                       name);
}

int
mk_process_set_labels (const struct mk_process *p, int procfd, mk_error **err)
{
  if (p->apparmor_profile && p->apparmor_profile[0])
    {
      _cleanup_free_ char *v = xasprintf ("exec %s", p->apparmor_profile);
      mk_error *e = NULL;
      /* Since 5.8 AppArmor has its own directory; older kernels the
         shared one.  */
      if (mk_kernfs_write (procfd, "/proc/thread-self/attr/apparmor/exec", v, &e) < 0
          && mk_kernfs_write (procfd, "/proc/thread-self/attr/exec", v, NULL) < 0)
        {
          mk_error_free (e);
          return mk_error_set (err, errno, "process.apparmorProfile: set `%s`",
                               p->apparmor_profile);
        }
      mk_error_free (e);
    }
  if (p->selinux_label && p->selinux_label[0]
      && mk_kernfs_write (procfd, "/proc/thread-self/attr/exec", p->selinux_label, NULL) < 0)
    return mk_error_set (err, errno, "process.selinuxLabel: set `%s`", p->selinux_label);
  return 0;
}
