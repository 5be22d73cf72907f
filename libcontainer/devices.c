/* devices.c: see devices.h.  */
#include "config.h"

#include "devices.h"
#include "cgroups/resources.h"
#include "mounts.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static const struct mk_device default_devices[] = {
  { "/dev/null", 'c', 1, 3, 0666, true },    { "/dev/zero", 'c', 1, 5, 0666, true },
  { "/dev/full", 'c', 1, 7, 0666, true },    { "/dev/random", 'c', 1, 8, 0666, true },
  { "/dev/urandom", 'c', 1, 9, 0666, true }, { "/dev/tty", 'c', 5, 0, 0666, true },
};

static const char *const default_links[][2] = {
  { "/proc/self/fd", "fd" },         { "/proc/self/fd/0", "stdin" },
  { "/proc/self/fd/1", "stdout" },   { "/proc/self/fd/2", "stderr" },
  { "pts/ptmx", "ptmx" },
};

static int
create_device (int rootfd, const struct mk_device *d, bool userns, const char *where,
               mk_error **err)
{
  _cleanup_free_ char *dir = xstrdup (d->path);
  char *slash = strrchr (dir, '/');
  const char *name = strrchr (d->path, '/') + 1;
  _cleanup_close_ int dirfd = -1;
  mode_t mode = d->has_file_mode ? d->file_mode : 0666;
  mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;

  *slash = '\0';
  if (mk_mkpath_in_root (rootfd, dir[0] ? dir : "/", false, &dirfd, err) < 0)
    return mk_error_prefix (err, "%s", where);
  {
    /* An O_PATH fd will not do for mknodat: open the directory for real. */
    char p[64];
    int real;
    snprintf (p, sizeof (p), "/proc/self/fd/%d", dirfd);
    real = open (p, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (real < 0)
      return mk_error_set (err, errno, "%s: open `%s`", where, dir);
    close (dirfd);
    dirfd = real;
  }
  unlinkat (dirfd, name, 0);
  if (!userns && mknodat (dirfd, name, type | (mode & 07777), makedev (d->major, d->minor)) == 0)
    {
      if (fchmodat (dirfd, name, mode & 07777, 0) < 0)
        return mk_error_set (err, errno, "%s: chmod `%s`", where, d->path);
      if ((d->has_uid || d->has_gid)
          && fchownat (dirfd, name, d->has_uid ? d->uid : (uid_t) -1,
                       d->has_gid ? d->gid : (gid_t) -1, AT_SYMLINK_NOFOLLOW) < 0)
        return mk_error_set (err, errno, "%s: chown `%s`", where, d->path);
      return 0;
    }
  if (!userns && errno != EPERM)
    return mk_error_set (err, errno, "%s: mknod `%s`", where, d->path);
  /* Bind the host's device instead (user namespace).  */
  {
    int f = openat (dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    char target[64];
    _cleanup_close_ int tfd = -1;
    if (f < 0)
      return mk_error_set (err, errno, "%s: create `%s`", where, d->path);
    close (f);
    tfd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    snprintf (target, sizeof (target), "/proc/self/fd/%d", tfd);
    if (tfd < 0 || mount (d->path, target, NULL, MS_BIND, NULL) < 0)
      return mk_error_set (err, errno, "%s: bind the host's `%s`", where, d->path);
  }
  return 0;
}

int
mk_devices_create (const struct mk_spec *spec, int rootfd, bool userns, mk_error **err)
{
  mode_t old = umask (0);
  int ret = -1;

  if (mk_mounts_has_dev_tmpfs (spec))
    {
      _cleanup_close_ int devfd = mk_open_in_root (rootfd, "/dev", O_DIRECTORY | O_RDONLY);
      if (devfd < 0)
        {
          mk_error_set (err, errno, "open the container's /dev");
          goto out;
        }
      for (size_t i = 0; i < MK_ARRAY_SIZE (default_devices); i++)
        {
          bool overridden = false;
          for (size_t j = 0; j < spec->n_devices; j++)
            if (strcmp (spec->devices[j].path, default_devices[i].path) == 0)
              overridden = true;
          if (!overridden
              && create_device (rootfd, &default_devices[i], userns, default_devices[i].path, err)
                     < 0)
            goto out;
        }
      for (size_t i = 0; i < MK_ARRAY_SIZE (default_links); i++)
        if (symlinkat (default_links[i][0], devfd, default_links[i][1]) < 0 && errno != EEXIST)
          {
            mk_error_set (err, errno, "create /dev/%s", default_links[i][1]);
            goto out;
          }
      if (access ("/proc/kcore", F_OK) == 0)
        symlinkat ("/proc/kcore", devfd, "core");
    }
  for (size_t i = 0; i < spec->n_devices; i++)
    {
      char where[32];
      snprintf (where, sizeof (where), "linux.devices[%zu]", i);
      if (create_device (rootfd, &spec->devices[i], userns, where, err) < 0)
        goto out;
    }
  ret = 0;
out:
  umask (old);
  return ret;
}

/* The devices every container may use, as runc allows them: mknod of any
   char/block device, the default devices, the pty master and slaves, tun.  */
static const struct mk_device_rule default_rules[] = {
  { true, 'c', -1, -1, "m" },  { true, 'b', -1, -1, "m" },   { true, 'c', 1, 3, "rwm" },
  { true, 'c', 1, 5, "rwm" },  { true, 'c', 1, 7, "rwm" },   { true, 'c', 1, 8, "rwm" },
  { true, 'c', 1, 9, "rwm" },  { true, 'c', 5, 0, "rwm" },   { true, 'c', 5, 2, "rwm" },
  { true, 'c', 136, -1, "rwm" }, { true, 'c', 10, 200, "rwm" },
};

void
mk_devices_cgroup_rules (const struct mk_spec *spec, struct mk_resources *r)
{
  size_t n_defaults = MK_ARRAY_SIZE (default_rules);
  struct mk_device_rule *v;
  size_t lead = 0, k = 0;

  if (r->n_devices == 0)
    return; /* nothing denied: the kernel's default allows everything */
  v = xmalloc0 ((r->n_devices + n_defaults) * sizeof (*v));
  /* The spec's leading "deny everything" rules come first, then the
     defaults, then the spec's other rules: a rule the
     user wrote for a default device (deny /dev/null) still wins.  */
  while (lead < r->n_devices && !r->devices[lead].allow && r->devices[lead].type == 'a')
    lead++;
  for (size_t i = 0; i < lead; i++)
    v[k++] = r->devices[i];
  for (size_t i = 0; i < n_defaults; i++)
    v[k++] = default_rules[i];
  for (size_t i = lead; i < r->n_devices; i++)
    v[k++] = r->devices[i];
  free (r->devices);
  r->devices = v;
  r->n_devices = k;
}
