/* cgroups/files.c: the files of a container's cgroup directory: which
 * directory holds a controller, and reading and writing the files in it.
 * What common.c, v1.c, v2.c and stats.c share; it calls none of them.  */
#include "config.h"

#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../utils.h"

const struct mk_cg_dir *
mk_cg_dir_for (const struct mk_cgroup *cg, const char *controller)
{
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (mk_strv_contains (cg->dirs[i].hier->controllers, controller))
      return &cg->dirs[i];
  return NULL;
}

const struct mk_cg_dir *
mk_cg_v2_dir (const struct mk_cgroup *cg)
{
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (cg->dirs[i].hier->v2)
      return &cg->dirs[i];
  return NULL;
}

int
mk_cg_write (const struct mk_cg_dir *d, const char *file, const char *value, const char *where,
             mk_error **err)
{
  _cleanup_close_ int fd = openat (d->dirfd, file, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (value);
  int e;

  if (fd >= 0 && write (fd, value, len) == (ssize_t)len)
    return 0;
  e = errno;
  if (where)
    mk_error_set (err, 0, "%s: write %s: %s (value `%s`)", where, file, strerror (e), value);
  else
    mk_error_set (err, 0, "write %s: %s (value `%s`)", file, strerror (e), value);
  if (err && *err)
    (*err)->errnum = e;
  return -1;
}

int
mk_cg_read (const struct mk_cg_dir *d, const char *file, char **out, mk_error **err)
{
  size_t len = 0;
  if (mk_read_file_at (d->dirfd, file, out, &len, err) < 0)
    return -1;
  while (len > 0 && (*out)[len - 1] == '\n')
    (*out)[--len] = '\0';
  return 0;
}

bool
mk_cg_has_file (const struct mk_cg_dir *d, const char *file)
{
  return faccessat (d->dirfd, file, F_OK, 0) == 0;
}
