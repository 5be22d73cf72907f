/* rootfs.c: see rootfs.h.  */
#include "config.h"

#include "rootfs.h"
#include "mounts.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

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

int
mk_rootfs_pivot (const struct mk_spec *spec, int rootfd, bool no_pivot, mk_error **err)
{
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
  (void) spec;
  return 0;
}

static int
mask_path (const char *path, mk_error **err)
{
  struct stat st;
  if (lstat (path, &st) < 0)
    return errno == ENOENT ? 0 : mk_error_set (err, errno, "linux.maskedPaths: `%s`", path);
  if (S_ISDIR (st.st_mode))
    {
      if (mount ("tmpfs", path, "tmpfs", MS_RDONLY, "size=0k") < 0)
        return mk_error_set (err, errno, "linux.maskedPaths: mask `%s`", path);
    }
  else if (mount ("/dev/null", path, NULL, MS_BIND, NULL) < 0)
    return mk_error_set (err, errno, "linux.maskedPaths: mask `%s`", path);
  return 0;
}

static int
readonly_path (const char *path, mk_error **err)
{
  if (mount (path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return mk_error_set (err, errno, "linux.readonlyPaths: bind `%s`", path);
    }
  if (mount (NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | mk_mount_flags_of (path), NULL)
      < 0)
    return mk_error_set (err, errno, "linux.readonlyPaths: remount `%s` read-only", path);
  return 0;
}

static int
write_sysctl (const char *key, const char *value, mk_error **err)
{
  char path[512];
  mk_error *e = NULL;
  size_t n = snprintf (path, sizeof (path), "/proc/sys/%s", key);
  for (size_t i = sizeof ("/proc/sys/") - 1; i < n; i++)
    if (path[i] == '.')
      path[i] = '/';
  if (mk_write_string_at (AT_FDCWD, path, value, &e) < 0)
    {
      mk_error_set (err, e->errnum, "linux.sysctl.%s: write `%s`", key, value);
      mk_error_free (e);
      return -1;
    }
  return 0;
}

int
mk_rootfs_finish (const struct mk_spec *spec, mk_error **err)
{
  for (size_t i = 0; i < spec->n_sysctl; i++)
    if (write_sysctl (spec->sysctl[i].key, spec->sysctl[i].value, err) < 0)
      return -1;
  for (char **p = spec->readonly_paths; p && *p; p++)
    if (readonly_path (*p, err) < 0)
      return -1;
  for (char **p = spec->masked_paths; p && *p; p++)
    if (mask_path (*p, err) < 0)
      return -1;
  if (spec->root_readonly
      && mount (NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | mk_mount_flags_of ("/"), NULL) < 0)
    return mk_error_set (err, errno, "root.readonly: remount / read-only");
  if (spec->rootfs_propagation
      && mount (NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
    return mk_error_set (err, errno, "linux.rootfsPropagation: set propagation of /");
  return 0;
}

int
mk_sysctl_validate (const struct mk_spec *spec, mk_error **err)
{
  static const char *const ipc_keys[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                          "kernel.sem",    "kernel.shmall", "kernel.shmmax",
                                          "kernel.shmmni", "kernel.shm_rmid_forced" };
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
