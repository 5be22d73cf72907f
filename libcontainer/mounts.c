/* mounts.c: see mounts.h.  */
#include "config.h"

#include "kernfs.h"
#include "mounts.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* ---- resolving inside the root -------------------------------------- */

static int
walk_in_root (int rootfd, const char *path, int flags, bool no_symlinks)
{
  /* The fallback for kernels without openat2: one component at a time,
     with O_NOFOLLOW; a symlink's target is walked again from the root (or
     its directory), and ".." never climbs above the root.  NO_SYMLINKS:
     any symlink is ELOOP.  */
  int fds[256];
  int depth = 0, links = 0, result = -1, e = 0;
  char *queue = xstrdup (path), *p = queue;

  fds[0] = dup (rootfd);
  if (fds[0] < 0)
    {
      free (queue);
      return -1;
    }
  for (;;)
    {
      char name[NAME_MAX + 1];
      size_t len;
      struct stat st;
      int fd;

      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      len = strcspn (p, "/");
      if (len > NAME_MAX)
        {
          e = ENAMETOOLONG;
          goto out;
        }
      memcpy (name, p, len);
      name[len] = '\0';
      p += len;
      if (strcmp (name, ".") == 0)
        continue;
      if (strcmp (name, "..") == 0)
        {
          if (depth > 0)
            close (fds[depth--]);
          continue;
        }
      fd = openat (fds[depth], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 || fstat (fd, &st) < 0)
        {
          e = errno;
          if (fd >= 0)
            close (fd);
          goto out;
        }
      if (S_ISLNK (st.st_mode))
        {
          char target[PATH_MAX];
          ssize_t n = readlinkat (fd, "", target, sizeof (target) - 1);
          char *next;
          close (fd);
          if (n < 0 || ++links > 40 || no_symlinks)
            {
              e = n < 0 ? errno : ELOOP;
              goto out;
            }
          target[n] = '\0';
          if (target[0] == '/')
            while (depth > 0)
              close (fds[depth--]);
          next = xasprintf ("%s/%s", target, p);
          free (queue);
          queue = p = next;
          continue;
        }
      if (depth + 1 >= (int)MK_ARRAY_SIZE (fds))
        {
          close (fd);
          e = ENAMETOOLONG;
          goto out;
        }
      fds[++depth] = fd;
    }
  if (flags & O_PATH)
    result = dup (fds[depth]);
  else
    {
      char proc[64];
      PROC_FD_PATH (proc, fds[depth]);
      result = open (proc, flags | O_CLOEXEC);
    }
  e = result < 0 ? errno : 0;
out:
  while (depth >= 0)
    close (fds[depth--]);
  free (queue);
  errno = e;
  return result;
}

static int
open_in_root (int rootfd, const char *path, int flags, bool no_symlinks)
{
  static int no_openat2;
  struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC),
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
                                     | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0) };
  const char *rel = path;
  int fd;

  while (*rel == '/')
    rel++;
  if (*rel == '\0')
    rel = ".";
  if (!no_openat2)
    {
      fd = (int)syscall (SYS_openat2, rootfd, rel, &how, sizeof (how));
      if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
        return fd;
      if (errno == ENOSYS)
        no_openat2 = 1;
    }
  return walk_in_root (rootfd, rel, flags, no_symlinks);
}

int
mk_open_in_root (int rootfd, const char *path, int flags)
{
  return open_in_root (rootfd, path, flags, false);
}

int
mk_open_in_root_nosymlinks (int rootfd, const char *path, int flags)
{
  return open_in_root (rootfd, path, flags, true);
}

int
mk_mkpath_in_root (int rootfd, const char *path, bool as_file, int *out, mk_error **err)
{
  _cleanup_free_ char *p = xstrdup (path);
  size_t len = strlen (p);
  int fd;

  while (len > 1 && p[len - 1] == '/')
    p[--len] = '\0';
  fd = mk_open_in_root (rootfd, p, O_PATH);
  if (fd >= 0)
    {
      *out = fd;
      return 0;
    }
  if (errno != ENOENT)
    return mk_error_set (err, errno, "resolve `%s` in the rootfs", path);
  /* Create each missing component below its resolved parent.  */
  for (char *s = p + 1;; s++)
    {
      if (*s == '/' || *s == '\0')
        {
          char c = *s;
          char *slash;
          _cleanup_close_ int parent = -1;
          const char *name;
          bool leaf = c == '\0';

          *s = '\0';
          fd = mk_open_in_root (rootfd, p, O_PATH);
          if (fd >= 0)
            close (fd);
          else if (errno == ENOENT)
            {
              slash = strrchr (p, '/');
              name = slash + 1;
              if (slash == p)
                parent = mk_open_in_root (rootfd, "/", O_PATH);
              else
                {
                  *slash = '\0';
                  parent = mk_open_in_root (rootfd, p, O_PATH);
                  *slash = '/';
                }
              if (parent < 0)
                return mk_error_set (err, errno, "resolve `%s` in the rootfs", p);
              if (leaf && as_file)
                {
                  int f = openat (parent, name,
                                  O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                  if (f < 0 && errno != EEXIST)
                    return mk_error_set (err, errno, "create `%s` in the rootfs", p);
                  if (f >= 0)
                    close (f);
                }
              else if (mkdirat (parent, name, 0755) < 0 && errno != EEXIST)
                return mk_error_set (err, errno, "mkdir `%s` in the rootfs", p);
            }
          else
            return mk_error_set (err, errno, "resolve `%s` in the rootfs", p);
          *s = c;
          if (leaf)
            break;
        }
    }
  fd = mk_open_in_root (rootfd, p, O_PATH);
  if (fd < 0)
    return mk_error_set (err, errno, "resolve `%s` in the rootfs", path);
  *out = fd;
  return 0;
}

/* ---- mounting through descriptors ------------------------------------- */

/* The new mount API (Linux 5.2; mount_setattr 5.12) works on the
   descriptors themselves.  Where it is missing, /proc/self/fd/N stands in:
   callers after pivot_root check first that /proc is the kernel's.  */

int
mk_mount_bind_fd (int srcfd, int targetfd, bool recursive)
{
  _cleanup_close_ int tree = (int)syscall (SYS_open_tree, srcfd, "",
                                           OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH
                                               | (recursive ? AT_RECURSIVE : 0));
  char src[64], dst[64];

  if (tree >= 0)
    return (int)syscall (SYS_move_mount, tree, "", targetfd, "",
                         MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  if (errno != ENOSYS)
    return -1;
  PROC_FD_PATH (src, srcfd);
  PROC_FD_PATH (dst, targetfd);
  return mount (src, dst, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL);
}

int
mk_mount_empty_fd (int targetfd)
{
  _cleanup_close_ int fs = (int)syscall (SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
  _cleanup_close_ int mnt = -1;
  char dst[64];

  if (fs >= 0)
    {
      if (syscall (SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "0k", 0) < 0
          || syscall (SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return -1;
      mnt = (int)syscall (SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
      if (mnt < 0)
        return -1;
      return (int)syscall (SYS_move_mount, mnt, "", targetfd, "",
                           MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    }
  if (errno != ENOSYS)
    return -1;
  PROC_FD_PATH (dst, targetfd);
  return mount ("tmpfs", dst, "tmpfs", MS_RDONLY, "size=0k");
}

int
mk_mount_readonly_fd (int targetfd)
{
  _cleanup_close_ int tree
      = (int)syscall (SYS_open_tree, targetfd, "",
                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
  char dst[64];

  if (tree >= 0
      && syscall (SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr))
             == 0)
    return (int)syscall (SYS_move_mount, tree, "", targetfd, "",
                         MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  if (errno != ENOSYS)
    return -1;
  PROC_FD_PATH (dst, targetfd);
  if (mount (dst, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
    return -1;
  /* The new mount, not the one below it.  */
  return mount (NULL, dst, NULL,
                MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | mk_mount_flags_of (dst), NULL);
}

/* ---- mounting --------------------------------------------------------- */

const struct mk_mount *
mk_mounts_dev (const struct mk_spec *spec)
{
  const struct mk_mount *dev = NULL;
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (strcmp (spec->mounts[i].destination, "/dev") == 0 && !spec->mounts[i].bind)
      dev = &spec->mounts[i];
  return dev;
}

bool
mk_mounts_has_dev_tmpfs (const struct mk_spec *spec)
{
  return mk_mounts_dev (spec) != NULL;
}

unsigned long
mk_mount_flags_of (const char *path)
{
  struct statvfs sv;
  unsigned long f = 0;
  if (statvfs (path, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_NOSUID)
    f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    f |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY)
    f |= MS_RDONLY;
  if (sv.f_flag & ST_NOATIME)
    f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME)
    f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME)
    f |= MS_RELATIME;
  return f;
}

/* Makes a user namespace with the given maps (held by a short-lived child)
   and returns an fd of it, for MOUNT_ATTR_IDMAP.  */
static int
idmap_userns (const struct mk_spec *spec, const struct mk_mount *m, mk_error **err)
{
  const struct mk_idmap *um = m->n_uid_mappings ? m->uid_mappings : spec->uid_mappings;
  const struct mk_idmap *gm = m->n_gid_mappings ? m->gid_mappings : spec->gid_mappings;
  size_t nu = m->n_uid_mappings ? m->n_uid_mappings : spec->n_uid_mappings;
  size_t ng = m->n_gid_mappings ? m->n_gid_mappings : spec->n_gid_mappings;
  char path[64], buf[2048];
  size_t len;
  pid_t pid, pid_in_proc;
  int fd;
  mk_error *e = NULL;

  if (nu == 0 || ng == 0)
    return mk_error_set (err, 0, "idmap needs uidMappings and gidMappings");
  pid = (pid_t)syscall (SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    return mk_error_set (err, errno, "idmap: create a user namespace");
  if (pid == 0)
    {
      pause ();
      _exit (0);
    }
  pid_in_proc = pid;
  {
    /* PID is the child's number in our pid namespace; the /proc we write
       through may be the host's: ask the pidfd which number it has there. */
    int pfd = (int)syscall (SYS_pidfd_open, pid, 0);
    char info[64], *buf2 = NULL;
    if (pfd >= 0)
      {
        snprintf (info, sizeof (info), "/proc/self/fdinfo/%d", pfd);
        if (mk_read_file_at (AT_FDCWD, info, &buf2, NULL, &e) == 0)
          {
            char *p = strstr (buf2, "\nPid:");
            if (p)
              pid_in_proc = (pid_t)atoi (p + 5);
          }
        mk_error_free (e);
        e = NULL;
        free (buf2);
        close (pfd);
      }
  }
  len = 0;
  for (size_t i = 0; i < nu; i++)
    len += snprintf (buf + len, sizeof (buf) - len, "%u %u %u\n", um[i].container_id, um[i].host_id,
                     um[i].size);
  snprintf (path, sizeof (path), "/proc/%d/uid_map", pid_in_proc);
  if (mk_kernfs_write (-1, path, buf, &e) == 0)
    {
      len = 0;
      for (size_t i = 0; i < ng; i++)
        len += snprintf (buf + len, sizeof (buf) - len, "%u %u %u\n", gm[i].container_id,
                         gm[i].host_id, gm[i].size);
      snprintf (path, sizeof (path), "/proc/%d/gid_map", pid_in_proc);
      mk_kernfs_write (-1, path, buf, &e);
    }
  snprintf (path, sizeof (path), "/proc/%d/ns/user", pid_in_proc);
  fd = e ? -1 : open (path, O_RDONLY | O_CLOEXEC);
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  if (e)
    {
      mk_error_set (err, 0, "idmap: %s", e->msg);
      mk_error_free (e);
      return -1;
    }
  if (fd < 0)
    return mk_error_set (err, errno, "idmap: open the user namespace");
  return fd;
}

static int
mount_idmapped (const struct mk_spec *spec, const struct mk_mount *m, int srcfd, int targetfd,
                mk_error **err)
{
  _cleanup_close_ int tree = -1;
  _cleanup_close_ int userns = -1;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };

  tree = (int)syscall (SYS_open_tree, srcfd >= 0 ? srcfd : AT_FDCWD, srcfd >= 0 ? "" : m->source,
                       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->recursive ? AT_RECURSIVE : 0)
                           | (srcfd >= 0 ? AT_EMPTY_PATH : 0));
  if (tree < 0)
    return mk_error_set (err, errno, "idmap: open_tree `%s`", m->source);
  userns = idmap_userns (spec, m, err);
  if (userns < 0)
    return -1;
  attr.userns_fd = (unsigned long long)userns;
  if (syscall (SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (m->recursive ? AT_RECURSIVE : 0),
               &attr, sizeof (attr))
      < 0)
    return mk_error_set (err, errno,
                         "idmap: mount_setattr (the filesystem may not support "
                         "idmapped mounts)");
  if (syscall (SYS_move_mount, tree, "", targetfd, "",
               MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
      < 0)
    return mk_error_set (err, errno, "idmap: move_mount");
  return 0;
}

struct cgroup_mnt
{
  char *mountpoint; /* host mount point */
  char *name;       /* its last component: "memory", "cpu,cpuacct", "unified" */
  char *opts;       /* super options (controllers, name=) */
  bool v2;
};

/* The host's cgroup mounts (from mountinfo) and this process's path in each. */
static int
list_cgroup_mounts (const char *rootfs, struct cgroup_mnt **out, size_t *n)
{
  size_t rlen = strlen (rootfs);
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  char *line = NULL;
  size_t cap = 0;
  struct cgroup_mnt *v = NULL;

  *n = 0;
  if (f == NULL)
    return -1;
  while (getline (&line, &cap, f) > 0)
    {
      char mp[PATH_MAX], fstype[64], super[1024];
      char *sep = strstr (line, " - ");
      if (sep == NULL)
        continue;
      if (sscanf (line, "%*s %*s %*s %*s %4095s", mp) != 1
          || sscanf (sep + 3, "%63s %*s %1023s", fstype, super) != 2)
        continue;
      if (strcmp (fstype, "cgroup") != 0 && strcmp (fstype, "cgroup2") != 0)
        continue;
      /* The host's, not the copies an earlier rbind (of /sys) put in the
         rootfs, which the tmpfs about to be mounted there hides.  */
      if (strncmp (mp, rootfs, rlen) == 0 && mp[rlen] == '/')
        continue;
      v = xrealloc (v, (*n + 1) * sizeof (*v));
      v[*n].mountpoint = xstrdup (mp);
      v[*n].name = xstrdup (strrchr (mp, '/') + 1);
      v[*n].opts = xstrdup (super);
      v[*n].v2 = strcmp (fstype, "cgroup2") == 0;
      (*n)++;
    }
  free (line);
  fclose (f);
  *out = v;
  return 0;
}

/* This process's cgroup in the v1 hierarchy with those super options (or
   v2), from PROC_CGROUP (the text of /proc/self/cgroup, read once).  */
static char *
own_cgroup (const struct cgroup_mnt *c, const char *proc_cgroup)
{
  _cleanup_free_ char *text = xstrdup (proc_cgroup ? proc_cgroup : "");
  char *save_line = NULL, *result = NULL;
  for (char *line = strtok_r (text, "\n", &save_line); line && !result;
       line = strtok_r (NULL, "\n", &save_line))
    {
      char *ctrl = strchr (line, ':'), *path;
      if (ctrl == NULL || (path = strchr (ctrl + 1, ':')) == NULL)
        continue;
      *path++ = '\0';
      ctrl++;
      if (c->v2 ? ctrl[0] == '\0' : ctrl[0] != '\0')
        {
          if (!c->v2)
            {
              /* Every controller of this line must be in the super options. */
              _cleanup_free_ char *dup = xstrdup (ctrl);
              char *save = NULL;
              bool all = true;
              for (char *t = strtok_r (dup, ",", &save); t; t = strtok_r (NULL, ",", &save))
                {
                  char *hit = strstr (c->opts, t);
                  size_t l = strlen (t);
                  if (hit == NULL || (hit != c->opts && hit[-1] != ',')
                      || (hit[l] != '\0' && hit[l] != ','))
                    all = false;
                }
              if (!all)
                continue;
            }
          result = xstrdup (path);
        }
    }
  return result;
}

static int
mount_cgroup (struct mk_mount_ctx *ctx, const struct mk_mount *m, int targetfd, const char *where,
              mk_error **err)
{
  struct cgroup_mnt *mnts = NULL;
  size_t n = 0;
  char target[64];
  unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  bool pure_v2;
  int ret = -1;
  _cleanup_close_ int tfd = -1;
  _cleanup_free_ char *proc_cgroup = NULL;

  PROC_FD_PATH (target, targetfd);
  {
    _cleanup_free_ char *real = realpath (ctx->spec->root_path, NULL);
    if (list_cgroup_mounts (real ? real : ctx->spec->root_path, &mnts, &n) < 0)
      return mk_error_set (err, errno, "%s: read mountinfo", where);
  }
  {
    mk_error *e = NULL;
    if (mk_read_file_at (AT_FDCWD, "/proc/self/cgroup", &proc_cgroup, NULL, &e) < 0)
      mk_error_free (e); /* no path of our own: bind the hierarchy roots */
  }
  pure_v2 = true;
  for (size_t i = 0; i < n; i++)
    if (!mnts[i].v2)
      pure_v2 = false;
  if (pure_v2)
    {
      if (ctx->new_cgroupns)
        {
          if (mount ("cgroup2", target, "cgroup2", flags, NULL) < 0)
            {
              mk_error_set (err, errno, "%s: mount cgroup2", where);
              goto out;
            }
        }
      else
        {
          _cleanup_free_ char *own = own_cgroup (&mnts[0], proc_cgroup);
          _cleanup_free_ char *src = xasprintf ("%s%s", mnts[0].mountpoint, own ? own : "");
          char again[64];
          if (mount (src, target, NULL, MS_BIND, NULL) < 0)
            {
              mk_error_set (err, errno, "%s: bind the container's cgroup `%s`", where, src);
              goto out;
            }
          /* Remount through the new mount, not the directory below it.  */
          tfd = mk_open_in_root (ctx->rootfd, m->destination, O_PATH);
          PROC_FD_PATH (again, tfd);
          if (tfd < 0 || mount (NULL, again, NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
            {
              mk_error_set (err, errno, "%s: remount the container's cgroup", where);
              goto out;
            }
        }
      ret = 0;
      goto out;
    }
  /* v1 and hybrid: a tmpfs with one directory per hierarchy.  */
  if (mount ("tmpfs", target, "tmpfs", (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
             "mode=755")
      < 0)
    {
      mk_error_set (err, errno, "%s: mount tmpfs for cgroups", where);
      goto out;
    }
  tfd = mk_open_in_root (ctx->rootfd, m->destination, O_PATH | O_DIRECTORY);
  if (tfd < 0)
    {
      mk_error_set (err, errno, "%s: open `%s`", where, m->destination);
      goto out;
    }
  for (size_t i = 0; i < n; i++)
    {
      char sub[PATH_MAX];
      _cleanup_free_ char *own = NULL;
      if (strcmp (mnts[i].mountpoint, "/sys/fs/cgroup") == 0)
        continue;
      if (mkdirat (tfd, mnts[i].name, 0755) < 0 && errno != EEXIST)
        {
          mk_error_set (err, errno, "%s: mkdir `%s`", where, mnts[i].name);
          goto out;
        }
      snprintf (sub, sizeof (sub), "/proc/self/fd/%d/%s", tfd, mnts[i].name);
      own = own_cgroup (&mnts[i], proc_cgroup);
      if (ctx->new_cgroupns)
        {
          const char *opts = mnts[i].opts;
          /* super options look like "rw,memory"; keep the controllers.  */
          if (strncmp (opts, "rw,", 3) == 0 || strncmp (opts, "ro,", 3) == 0)
            opts += 3;
          else if (strcmp (opts, "rw") == 0 || strcmp (opts, "ro") == 0)
            opts = NULL;
          if (mount ("cgroup", sub, mnts[i].v2 ? "cgroup2" : "cgroup", flags,
                     mnts[i].v2 ? NULL : opts)
              < 0)
            {
              mk_error_set (err, errno, "%s: mount cgroup `%s`", where, mnts[i].name);
              goto out;
            }
        }
      else
        {
          _cleanup_free_ char *src = xasprintf ("%s%s", mnts[i].mountpoint, own ? own : "");
          if (mount (src, sub, NULL, MS_BIND, NULL) < 0
              || mount (NULL, sub, NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
            {
              mk_error_set (err, errno, "%s: bind cgroup `%s`", where, src);
              goto out;
            }
        }
      /* Co-mounted controllers also get a link per name: cpu -> cpu,cpuacct. */
      if (strchr (mnts[i].name, ','))
        {
          _cleanup_free_ char *names = xstrdup (mnts[i].name);
          char *save = NULL;
          for (char *t = strtok_r (names, ",", &save); t; t = strtok_r (NULL, ",", &save))
            symlinkat (mnts[i].name, tfd, t);
        }
    }
  if ((flags & MS_RDONLY)
      && mount (NULL, target, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "mode=755")
             < 0)
    {
      /* Remount through the new mount, not the directory below it.  */
      char again[64];
      _cleanup_close_ int nfd = mk_open_in_root (ctx->rootfd, m->destination, O_PATH);
      PROC_FD_PATH (again, nfd);
      if (nfd < 0
          || mount (NULL, again, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                    "mode=755")
                 < 0)
        {
          mk_error_set (err, errno, "%s: remount cgroups read-only", where);
          goto out;
        }
    }
  ret = 0;
out:
  for (size_t i = 0; i < n; i++)
    {
      free (mnts[i].mountpoint);
      free (mnts[i].name);
      free (mnts[i].opts);
    }
  free (mnts);
  return ret;
}

static int
mount_one (struct mk_mount_ctx *ctx, const struct mk_mount *m, int srcfd, const char *where,
           mk_error **err)
{
  _cleanup_close_ int targetfd = -1;
  _cleanup_close_ int newfd = -1;
  char target[64];
  bool is_dir = true;
  const char *type = m->type;
  bool kernfs = !m->bind && type && (strcmp (type, "proc") == 0 || strcmp (type, "sysfs") == 0);

  char source[64];
  const char *src = m->source;

  if (m->bind)
    {
      struct stat st;
      if (srcfd >= 0)
        {
          /* Opened by the runtime: mounted through the descriptor, whose
             path the container's user namespace may not be let through.  */
          PROC_FD_PATH (source, srcfd);
          src = source;
        }
      if ((srcfd >= 0 ? fstat (srcfd, &st) : stat (m->source, &st)) < 0)
        return mk_error_set (err, errno, "%s.source: `%s`", where, m->source);
      is_dir = S_ISDIR (st.st_mode);
    }
  /* The kernel's own file systems go where the destination says, on a
     real directory (as runc), not where an image's symlink points: the
     runtime writes through them later, and checks them (see rootfs.c).
     Refused before anything is made at a symlink's target.  */
  if (kernfs)
    {
      _cleanup_close_ int fd = mk_open_in_root_nosymlinks (ctx->rootfd, m->destination, O_PATH);
      if (fd < 0 && errno == ELOOP)
        return mk_error_set (err, 0,
                             "%s.destination: `%s` must be mounted on ordinary directory (it "
                             "goes through a symlink in the rootfs)",
                             where, m->destination);
    }
  if (mk_mkpath_in_root (ctx->rootfd, m->destination, !is_dir, &targetfd, err) < 0)
    return mk_error_prefix (err, "%s.destination", where);
  PROC_FD_PATH (target, targetfd);

  if (m->bind)
    {
      if (m->idmap)
        {
          if (mount_idmapped (ctx->spec, m, srcfd, targetfd, err) < 0)
            return mk_error_prefix (err, "%s", where);
        }
      else if (mount (src, target, NULL, MS_BIND | (m->recursive ? MS_REC : 0), NULL) < 0)
        return mk_error_set (err, errno, "%s: bind `%s` on `%s`", where, m->source, m->destination);
    }
  else if (type && strcmp (type, "cgroup") == 0)
    {
      if (ctx->before_cgroup && ctx->before_cgroup (ctx->arg, err) < 0)
        return -1;
      ctx->before_cgroup = NULL;
      return mount_cgroup (ctx, m, targetfd, where, err);
    }
  else
    {
      unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
      int r;
      /* A read-only /dev is made read-write, for the mounts, devices and
         console still to come in it, then read-only at the end
         (mk_rootfs_finish), as runc does.  */
      if (m == mk_mounts_dev (ctx->spec))
        flags &= ~MS_RDONLY;
      if (type && strcmp (type, "cgroup2") == 0 && ctx->before_cgroup)
        {
          if (ctx->before_cgroup (ctx->arg, err) < 0)
            return -1;
          ctx->before_cgroup = NULL;
        }
      r = mount (m->source ? m->source : type, target, type, flags, m->data);
      if (r < 0 && type && strcmp (type, "sysfs") == 0 && (errno == EPERM || errno == EACCES))
        {
          /* Without a network namespace of our own the kernel refuses a
             new sysfs: bind the host's read-only, as runc does.  */
          r = mount ("/sys", target, NULL, MS_BIND | MS_REC, NULL);
          flags |= MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
          if (r == 0)
            {
              newfd = mk_open_in_root (ctx->rootfd, m->destination, O_PATH);
              if (newfd >= 0)
                {
                  char p[64];
                  PROC_FD_PATH (p, newfd);
                  mount (NULL, p, NULL, MS_BIND | MS_REMOUNT | flags | mk_mount_flags_of (p), NULL);
                  close (newfd);
                  newfd = -1;
                }
            }
        }
      if (r < 0)
        return mk_error_set (err, errno, "%s: mount %s on `%s`", where, type ? type : "",
                             m->destination);
    }

  /* Flags, propagation and recursive attributes apply to the new mount:
     open it again (the old fd is the directory below it).  */
  newfd = mk_open_in_root (ctx->rootfd, m->destination, O_PATH);
  if (newfd < 0)
    return mk_error_set (err, errno, "%s: open `%s` after mounting", where, m->destination);
  PROC_FD_PATH (target, newfd);
  if (kernfs && strcmp (type, "proc") == 0 && strspn (m->destination, "/") == 1
      && strncmp (m->destination + 1, "proc", 4) == 0
      && m->destination[5 + strspn (m->destination + 5, "/")] == '\0')
    {
      struct stat st;
      if (fstat (newfd, &st) < 0)
        return mk_error_set (err, errno, "%s: stat `%s`", where, m->destination);
      ctx->proc_dev = st.st_dev;
    }
  if (m->bind)
    {
      unsigned long want = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
      if (want || m->clear)
        {
          unsigned long keep = mk_mount_flags_of (target) & ~m->clear;
          if (mount (NULL, target, NULL, MS_BIND | MS_REMOUNT | want | keep, NULL) < 0)
            return mk_error_set (err, errno, "%s: remount `%s` with its options", where,
                                 m->destination);
        }
    }
  if (m->propagation && mount (NULL, target, NULL, m->propagation, NULL) < 0)
    return mk_error_set (err, errno, "%s: set propagation of `%s`", where, m->destination);
  if (m->attr_set || m->attr_clr)
    {
      struct mount_attr attr = { .attr_set = m->attr_set, .attr_clr = m->attr_clr };
      if (syscall (SYS_mount_setattr, newfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr))
          < 0)
        return mk_error_set (err, errno, "%s: set recursive attributes of `%s`", where,
                             m->destination);
    }
  return 0;
}

int
mk_mounts_apply (struct mk_mount_ctx *ctx, mk_error **err)
{
  for (size_t i = 0; i < ctx->spec->n_mounts; i++)
    {
      char where[32];
      snprintf (where, sizeof (where), "mounts[%zu]", i);
      if (mount_one (ctx, &ctx->spec->mounts[i], ctx->source_fds ? ctx->source_fds[i] : -1, where,
                     err)
          < 0)
        return -1;
    }
  return 0;
}
