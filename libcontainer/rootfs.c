/* rootfs.c: see rootfs.h.  */
#include "config.h"

#include "kernfs.h"
#include "mounts.h"
#include "rootfs.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

int
mk_rootfs_prepare (const struct mk_spec *spec, int *rootfd, mk_error **err)
{
  unsigned long prop = spec->rootfs_propagation ? spec->rootfs_propagation : MS_SLAVE | MS_REC;
  int fd;

  /* shared would let our mounts reach the host: start rslave and set the
     asked propagation on the new root once it is built.  */
  if (prop & MS_SHARED)
    prop = MS_SLAVE | MS_REC;
  if (mount (NULL, "/", NULL, prop | MS_REC, NULL) < 0)
    return mk_error_set (err, errno, "set propagation of /");
  if (mount (spec->root_path, spec->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
    return mk_error_set (err, errno, "root.path: bind `%s`", spec->root_path);
  fd = open (spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return mk_error_set (err, errno, "root.path: open `%s`", spec->root_path);
  *rootfd = fd;
  return 0;
}

/* --no-pivot leaves the host's mounts in the container's mount namespace,
   below the chroot.  The kernel lets a process with CAP_SYS_ADMIN in its
   own user namespace mount a new procfs or sysfs only where one is already
   fully visible in its mount namespace, and the host's would be: so they
   are detached first, or covered where that is refused (runc's answer).  */
static int
hide_host_kernfs (const char *root, mk_error **err)
{
  _cleanup_free_ char *real = realpath (root, NULL);
  _cleanup_free_ char *line = NULL;
  char **mps = NULL;
  size_t cap = 0, n = 0;
  FILE *f;
  int fd, ret = 0;

  if (real == NULL)
    return mk_error_set (err, errno, "root.path: `%s`", root);
  fd = mk_kernfs_open (-1, "/proc/self/mountinfo", O_RDONLY);
  if (fd < 0 || (f = fdopen (fd, "re")) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return mk_error_set (err, errno, "--no-pivot: read /proc/self/mountinfo");
    }
  while (getline (&line, &cap, f) > 0)
    {
      /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE ...  */
      char mroot[PATH_MAX], mp[PATH_MAX], type[64];
      char *sep = strstr (line, " - ");
      if (sep == NULL || sscanf (line, "%*s %*s %*s %4095s %4095s", mroot, mp) != 2
          || sscanf (sep + 3, "%63s", type) != 1)
        continue;
      if (strcmp (type, "proc") != 0 && strcmp (type, "sysfs") != 0)
        continue;
      mk_unescape_octal (mroot);
      mk_unescape_octal (mp);
      if (strcmp (mroot, "/") != 0 || mk_path_under (mp, real))
        continue;
      mps = xrealloc (mps, (n + 1) * sizeof (*mps));
      mps[n++] = xstrdup (mp);
    }
  fclose (f);
  for (size_t i = 0; i < n; i++)
    {
      if (ret == 0 && umount2 (mps[i], MNT_DETACH) < 0 && errno != ENOENT)
        {
          if ((errno != EINVAL && errno != EPERM)
              || mount ("tmpfs", mps[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                        "size=0k")
                     < 0)
            ret = mk_error_set (err, errno, "--no-pivot: hide the host's `%s`", mps[i]);
        }
      free (mps[i]);
    }
  free (mps);
  return ret;
}

int
mk_rootfs_pivot (const struct mk_spec *spec, int rootfd, bool no_pivot, mk_error **err)
{
  if (no_pivot && hide_host_kernfs (spec->root_path, err) < 0)
    return -1;
  if (fchdir (rootfd) < 0)
    return mk_error_set (err, errno, "chdir to the rootfs");
  if (no_pivot)
    {
      if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
        return mk_error_set (err, errno, "move the rootfs to /");
      if (chroot (".") < 0)
        return mk_error_set (err, errno, "chroot");
    }
  else
    {
      _cleanup_close_ int oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
      if (oldroot < 0)
        return mk_error_set (err, errno, "open the old root");
      if (syscall (SYS_pivot_root, ".", ".") < 0)
        return mk_error_set (err, errno, "pivot_root");
      /* The old root is now stacked on the new one: step onto it and
         detach it, without letting the unmount reach the host.  */
      if (fchdir (oldroot) < 0)
        return mk_error_set (err, errno, "chdir to the old root");
      if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return mk_error_set (err, errno, "make the old root a slave");
      if (umount2 (".", MNT_DETACH) < 0)
        return mk_error_set (err, errno, "unmount the old root");
    }
  if (chdir ("/") < 0)
    return mk_error_set (err, errno, "chdir /");
  return 0;
}

/* ---- what is applied inside the new root ------------------------------ */

/* Masked and read-only paths under /proc and /sys are there to hide or
   protect the kernel's files: one that resolves to anything else (an
   image's own /proc, a volume) would hide nothing, so it is an error.  */
static int
check_kernfs (int fd, const char *path, const char *field, mk_error **err)
{
  unsigned long want = mk_path_under (path, "/proc")  ? PROC_SUPER_MAGIC
                       : mk_path_under (path, "/sys") ? SYSFS_MAGIC
                                                      : 0;
  struct statfs sfs;
  if (want == 0)
    return 0;
  if (fstatfs (fd, &sfs) < 0)
    return mk_error_set (err, errno, "%s: `%s`", field, path);
  if ((unsigned long)sfs.f_type != want)
    return mk_error_set (err, 0, "%s: `%s` is not on the kernel's %s: refusing to pretend it is %s",
                         field, path, want == PROC_SUPER_MAGIC ? "procfs" : "sysfs",
                         strcmp (field, "linux.maskedPaths") == 0 ? "masked" : "read-only");
  return 0;
}

/* Resolves PATH inside the root (ROOTFD: "/" after pivot_root), or -1 in
 *OUT when it does not exist (nothing to mask or protect).  */
static int
open_path (int rootfd, const char *path, const char *field, int *out, mk_error **err)
{
  int fd = mk_open_in_root (rootfd, path, O_PATH);
  *out = -1;
  if (fd < 0)
    return errno == ENOENT ? 0 : mk_error_set (err, errno, "%s: `%s`", field, path);
  if (check_kernfs (fd, path, field, err) < 0)
    {
      close (fd);
      return -1;
    }
  *out = fd;
  return 0;
}

/* The container's /dev/null, checked to be the null device: an image's
   symlink there would turn every mask into a bind of its target.  */
static int
open_null (int rootfd, int *out, mk_error **err)
{
  struct stat st;
  int fd;
  if (*out >= 0)
    return 0;
  fd = mk_open_in_root (rootfd, "/dev/null", O_PATH | O_NOFOLLOW);
  if (fd < 0)
    return mk_error_set (err, errno, "linux.maskedPaths: open /dev/null in the container");
  if (fstat (fd, &st) < 0 || !S_ISCHR (st.st_mode) || st.st_rdev != makedev (1, 3))
    {
      close (fd);
      return mk_error_set (err, 0,
                           "linux.maskedPaths: /dev/null in the container is not the "
                           "null device (1:3)");
    }
  *out = fd;
  return 0;
}

static int
mask_path (int rootfd, int *nullfd, const char *path, mk_error **err)
{
  _cleanup_close_ int fd = -1;
  struct stat st;
  if (open_path (rootfd, path, "linux.maskedPaths", &fd, err) < 0)
    return -1;
  if (fd < 0)
    return 0;
  if (fstat (fd, &st) < 0)
    return mk_error_set (err, errno, "linux.maskedPaths: `%s`", path);
  if (S_ISDIR (st.st_mode))
    {
      if (mk_mount_empty_fd (fd) < 0)
        return mk_error_set (err, errno, "linux.maskedPaths: mask `%s`", path);
      return 0;
    }
  if (open_null (rootfd, nullfd, err) < 0)
    return -1;
  if (mk_mount_bind_fd (*nullfd, fd, false) < 0)
    return mk_error_set (err, errno, "linux.maskedPaths: mask `%s`", path);
  return 0;
}

static int
readonly_path (int rootfd, const char *path, mk_error **err)
{
  _cleanup_close_ int fd = -1;
  if (open_path (rootfd, path, "linux.readonlyPaths", &fd, err) < 0)
    return -1;
  if (fd >= 0 && mk_mount_readonly_fd (fd) < 0)
    return mk_error_set (err, errno, "linux.readonlyPaths: `%s` read-only", path);
  return 0;
}

/* /proc must still be the procfs the mounts made (device PROC_DEV, its
   root), reached without a symlink: not an image's symlink into a volume,
   not a later mount over it.  */
static int
check_proc (int rootfd, dev_t proc_dev, mk_error **err)
{
  _cleanup_close_ int fd = mk_open_in_root_nosymlinks (rootfd, "/proc", O_PATH | O_DIRECTORY);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || st.st_dev != proc_dev || st.st_ino != 1)
    return mk_error_set (err, 0,
                         "mounts: /proc in the container is not the procfs mounted "
                         "there (a symlink or a later mount stands in its place)");
  return 0;
}

static int
write_sysctl (int procfd, const char *key, const char *value, mk_error **err)
{
  char path[512];
  size_t n = snprintf (path, sizeof (path), "/proc/sys/%s", key);
  for (size_t i = sizeof ("/proc/sys/") - 1; i < n; i++)
    if (path[i] == '.')
      path[i] = '/';
  if (mk_kernfs_write (procfd, path, value, err) < 0)
    return mk_error_prefix (err, "linux.sysctl.%s: write `%s`", key, value);
  return 0;
}

int
mk_rootfs_finish (const struct mk_spec *spec, int procfd, dev_t proc_dev, mk_error **err)
{
  _cleanup_close_ int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int nullfd = -1;

  if (rootfd < 0)
    return mk_error_set (err, errno, "open the container's root");
  if (proc_dev && check_proc (rootfd, proc_dev, err) < 0)
    return -1;
  for (size_t i = 0; i < spec->n_sysctl; i++)
    if (write_sysctl (procfd, spec->sysctl[i].key, spec->sysctl[i].value, err) < 0)
      return -1;
  for (char **p = spec->readonly_paths; p && *p; p++)
    if (readonly_path (rootfd, *p, err) < 0)
      return -1;
  for (char **p = spec->masked_paths; p && *p; p++)
    if (mask_path (rootfd, &nullfd, *p, err) < 0)
      return -1;
  {
    /* A read-only /dev, mounted read-write until now (mounts.c).  */
    const struct mk_mount *dev = mk_mounts_dev (spec);
    if (dev && (dev->flags & MS_RDONLY))
      {
        _cleanup_close_ int devfd = mk_open_in_root_nosymlinks (rootfd, "/dev", O_PATH);
        char path[64];
        if (devfd < 0)
          return mk_error_set (err, errno, "open /dev");
        PROC_FD_PATH (path, devfd);
        if (mount (NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | mk_mount_flags_of (path),
                   NULL)
            < 0)
          return mk_error_set (err, errno, "mounts: remount /dev read-only");
      }
  }
  if (spec->root_readonly
      && mount (NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | mk_mount_flags_of ("/"), NULL)
             < 0)
    return mk_error_set (err, errno, "root.readonly: remount / read-only");
  if (spec->rootfs_propagation && mount (NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
    return mk_error_set (err, errno, "linux.rootfsPropagation: set propagation of /");
  return 0;
}

int
mk_sysctl_validate (const struct mk_spec *spec, mk_error **err)
{
  static const char *const ipc_keys[]
      = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
          "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced" };
  for (size_t i = 0; i < spec->n_sysctl; i++)
    {
      const char *k = spec->sysctl[i].key;
      const struct mk_namespace *ns = NULL;
      int type = 0;
      bool known = false;

      for (size_t j = 0; j < MK_ARRAY_SIZE (ipc_keys); j++)
        if (strcmp (k, ipc_keys[j]) == 0)
          type = CLONE_NEWIPC;
      if (strncmp (k, "fs.mqueue.", 10) == 0)
        type = CLONE_NEWIPC;
      else if (strncmp (k, "net.", 4) == 0)
        type = CLONE_NEWNET;
      else if (strcmp (k, "kernel.hostname") == 0 || strcmp (k, "kernel.domainname") == 0)
        type = CLONE_NEWUTS;
      if (type)
        {
          ns = mk_spec_namespace (spec, type);
          known = true;
        }
      if (!known)
        return mk_error_set (err, 0, "linux.sysctl.%s: not a namespaced sysctl", k);
      if (ns == NULL)
        return mk_error_set (err, 0, "linux.sysctl.%s: needs the container's own %s namespace", k,
                             mk_namespace_name (type));
      if (strchr (k, '/') || strstr (k, ".."))
        return mk_error_set (err, 0, "linux.sysctl.%s: invalid name", k);
    }
  return 0;
}

int
mk_set_hostname (const struct mk_spec *spec, mk_error **err)
{
  if (spec->hostname && sethostname (spec->hostname, strlen (spec->hostname)) < 0)
    return mk_error_set (err, errno, "hostname: set `%s`", spec->hostname);
  if (spec->domainname && setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
    return mk_error_set (err, errno, "domainname: set `%s`", spec->domainname);
  return 0;
}
