/* kernfs.c: see kernfs.h.  */
#include "config.h"

#include "kernfs.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#define PROC_ROOT_INO 1

/* The file system PATH should be on, and PATH below its mount point
   (without leading slashes).  */
static int
classify (const char *path, unsigned long *magic, const char **rel)
{
  const char *p;
  if (mk_path_under (path, "/proc"))
    {
      *magic = PROC_SUPER_MAGIC;
      p = path + 5;
    }
  else if (mk_path_under (path, "/sys"))
    {
      *magic = SYSFS_MAGIC;
      p = path + 4;
    }
  else
    {
      errno = EINVAL;
      return -1;
    }
  while (*p == '/')
    p++;
  *rel = *p ? p : ".";
  return 0;
}

static bool
on (int fd, unsigned long magic)
{
  struct statfs sfs;
  return fstatfs (fd, &sfs) == 0 && (unsigned long)sfs.f_type == magic;
}

int
mk_kernfs_open_root (const char *mountpoint, mk_error **err)
{
  _cleanup_close_ int fd = -1;
  unsigned long magic;
  const char *rel;
  struct stat st;

  if (classify (mountpoint, &magic, &rel) < 0 || strcmp (rel, ".") != 0)
    return mk_error_set (err, EINVAL, "`%s` is not a kernel file system's mount point", mountpoint);
  fd = open (mountpoint, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return mk_error_set (err, errno, "open `%s`", mountpoint);
  if (!on (fd, magic) || fstat (fd, &st) < 0
      || (magic == PROC_SUPER_MAGIC && st.st_ino != PROC_ROOT_INO))
    return mk_error_set (err, 0, "`%s` is not the root of a %s mount", mountpoint,
                         magic == PROC_SUPER_MAGIC ? "procfs" : "sysfs");
  return steal_fd (&fd);
}

int
mk_kernfs_open (int rootfd, const char *path, int flags)
{
  static int no_openat2;
  _cleanup_close_ int own = -1;
  _cleanup_free_ char *resolved = NULL;
  unsigned long magic;
  const char *rel;
  int fd;

  if (classify (path, &magic, &rel) < 0)
    return -1;
  if (rootfd < 0)
    {
      mk_error *e = NULL;
      own = mk_kernfs_open_root (magic == PROC_SUPER_MAGIC ? "/proc" : "/sys", &e);
      if (own < 0)
        {
          errno = e->errnum ? e->errnum : EXDEV;
          mk_error_free (e);
          return -1;
        }
      rootfd = own;
    }
  else if (!on (rootfd, magic))
    {
      errno = EXDEV;
      return -1;
    }
  /* "self" and "thread-self" are symlinks: read what they name here.  */
  if (magic == PROC_SUPER_MAGIC
      && (strncmp (rel, "self/", 5) == 0 || strncmp (rel, "thread-self/", 12) == 0))
    {
      const char *slash = strchr (rel, '/');
      _cleanup_free_ char *link = xasprintf ("%.*s", (int)(slash - rel), rel);
      char target[64];
      ssize_t n = readlinkat (rootfd, link, target, sizeof (target) - 1);
      if (n <= 0)
        return -1;
      target[n] = '\0';
      resolved = xasprintf ("%s%s", target, slash);
      rel = resolved;
    }
  if (!no_openat2)
    {
      struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC | O_NOFOLLOW),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
      };
      fd = (int)syscall (SYS_openat2, rootfd, rel, &how, sizeof (how));
      if (fd < 0 && errno == ENOSYS)
        no_openat2 = 1;
    }
  /* Without openat2 (before Linux 5.6) the walk may cross symlinks and
     mounts; the check below still proves where the file is.  */
  if (no_openat2)
    fd = openat (rootfd, rel, flags | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -1;
  if (!on (fd, magic))
    {
      close (fd);
      errno = EXDEV;
      return -1;
    }
  return fd;
}

int
mk_kernfs_write (int rootfd, const char *path, const char *s, mk_error **err)
{
  _cleanup_close_ int fd = mk_kernfs_open (rootfd, path, O_WRONLY);
  size_t len = strlen (s);
  if (fd < 0)
    {
      if (errno == EXDEV || errno == ELOOP)
        return mk_error_set (err, errno, "open `%s`: not on the kernel's %s", path,
                             mk_path_under (path, "/proc") ? "procfs" : "sysfs");
      return mk_error_set (err, errno, "open `%s`", path);
    }
  /* Kernel files take the whole value in one write; report its own errno.  */
  if (write (fd, s, len) != (ssize_t)len)
    return mk_error_set (err, errno, "write `%s`", path);
  return 0;
}

int
mk_kernfs_write_host (const char *path, const char *s, mk_error **err)
{
  if (mk_path_under (path, "/proc") || mk_path_under (path, "/sys"))
    return mk_kernfs_write (-1, path, s, err);
  return mk_write_string_at (AT_FDCWD, path, s, err);
}
