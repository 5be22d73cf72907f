/* app/hostfs.c: the app's log and outputs on the host (see hostfs.h).  */
#include "config.h"

#include "app/hostfs.h"
#include "sync.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define LOG_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

/* Runs FN (ARG) in a child process with the app's user's uid, gid and
   groups, and returns the fd FN returned there (or -1 with *err: FN's
   error, its errno kept).  A child, not setfsuid: the supplementary groups
   change too, and nothing of the supervisor's identity is left to undo.  */
static int
as_user (const struct mk_app_host *h, int (*fn) (void *arg, mk_error **err), void *arg,
         mk_error **err)
{
  int sv[2], fd = -1, r;
  pid_t pid;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return mk_error_set (err, errno, "socketpair");
  pid = fork ();
  if (pid < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return mk_error_set (err, errno, "fork");
    }
  if (pid == 0)
    {
      mk_error *e = NULL;
      close (sv[0]);
      if (setgroups (h->n_groups, h->groups) < 0 || setresgid (h->gid, h->gid, h->gid) < 0
          || setresuid (h->uid, h->uid, h->uid) < 0)
        {
          mk_error_set (&e, errno, "become uid %u", (unsigned)h->uid);
          mk_sync_fail (sv[1], e);
        }
      r = fn (arg, &e);
      if (r < 0)
        mk_sync_fail (sv[1], e);
      mk_sync_send (sv[1], MK_SYNC_READY, NULL, 0, r);
      _exit (0);
    }
  close (sv[1]);
  r = mk_sync_expect (sv[0], MK_SYNC_READY, &fd, err);
  close (sv[0]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (r >= 0 && fd < 0)
    return mk_error_set (err, 0, "as uid %u: no descriptor came back", (unsigned)h->uid);
  return r < 0 ? -1 : fd;
}

/* Opens the log PATH (ARG) following no symlink, on its path or at its
   end: whatever the app planted there is refused, not followed.  */
static int
open_log_file (void *arg, mk_error **err)
{
  const char *path = arg;
  int fd = mk_open_no_symlinks (AT_FDCWD, path, LOG_FLAGS, 0644, false);
  if (fd < 0)
    return mk_error_set (err, errno, "open `%s`", path);
  return fd;
}

/* FD is a log we may write: a regular file (not a FIFO or device the app
   left there), with no other name when root opened it (a hard link the app
   made to a file it may not write).  Clears the O_NONBLOCK of the open.  */
static int
check_log (int fd, const char *path, bool by_root, const char *where, mk_error **err)
{
  struct stat st;
  if (fstat (fd, &st) < 0)
    return mk_error_set (err, errno, "%s: stat `%s`", where, path);
  if (!S_ISREG (st.st_mode))
    return mk_error_set (err, 0, "%s: `%s` is not a regular file: refused", where, path);
  if (by_root && st.st_nlink > 1)
    return mk_error_set (err, 0, "%s: `%s` has other hard links: refused", where, path);
  if (fcntl (fd, F_SETFL, O_APPEND) < 0)
    return mk_error_set (err, errno, "%s: `%s`", where, path);
  return 0;
}

/* The real path of FD (what /proc/self/fd says), else PATH.  */
static char *
real_path (int fd, const char *path)
{
  char proc[64], buf[PATH_MAX];
  ssize_t n;
  snprintf (proc, sizeof (proc), "/proc/self/fd/%d", fd);
  n = readlink (proc, buf, sizeof (buf) - 1);
  if (n <= 0 || buf[0] != '/')
    return xstrdup (path);
  buf[n] = '\0';
  return xstrdup (buf);
}

int
mk_app_open_log (const struct mk_app *app, const struct mk_app_host *h, const char *app_dir,
                 char **path, mk_error **err)
{
  _cleanup_free_ char *where = mk_app_where (app, "logging.file");
  _cleanup_close_ int fd = -1;
  mk_error *e = NULL;
  bool by_root = true;

  if (app->log_file == NULL)
    {
      _cleanup_close_ int dir = open (app_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
      _cleanup_free_ char *def = xasprintf ("%s/output.log", app_dir);
      fd = dir < 0 ? -1 : openat (dir, "output.log", LOG_FLAGS, 0644);
      if (fd < 0)
        return mk_error_set (err, errno, "open `%s`", def);
      if (check_log (fd, def, true, "the log", err) < 0)
        return -1;
      *path = real_path (fd, def);
      return steal_fd (&fd);
    }
  /* As the app's user, wherever that is not us; as us where that user may
     not and root wrote the YAML (a log next to it, in root's directory).  */
  if (h->uid != geteuid ())
    {
      fd = as_user (h, open_log_file, app->log_file, &e);
      by_root = fd < 0 && !h->by_sudo && (e->errnum == EACCES || e->errnum == EPERM);
    }
  if (by_root)
    {
      mk_error_free (e);
      e = NULL;
      fd = open_log_file (app->log_file, &e);
    }
  if (fd < 0)
    {
      int errnum = e->errnum;
      mk_error_free (e);
      if (errnum == ELOOP)
        return mk_error_set (err, 0,
                             "%s: `%s` is a symlink, or one is on its path: refused "
                             "(the log is opened following no symlink)",
                             where, app->log_file);
      if (errnum == ENXIO) /* a FIFO no one reads, a socket */
        return mk_error_set (err, 0, "%s: `%s` is not a regular file: refused", where,
                             app->log_file);
      if (h->uid != geteuid () && !by_root)
        return mk_error_set (err, errnum, "%s: open `%s` as uid %u", where, app->log_file,
                             (unsigned)h->uid);
      return mk_error_set (err, errnum, "%s: open `%s`", where, app->log_file);
    }
  if (check_log (fd, app->log_file, by_root, where, err) < 0)
    return -1;
  *path = real_path (fd, app->log_file);
  return steal_fd (&fd);
}

int
mk_app_open_log_read (const char *path, mk_error **err)
{
  _cleanup_close_ int fd = mk_open_no_symlinks (AT_FDCWD, path, O_RDONLY | O_NONBLOCK, 0, false);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return mk_error_set (err, errno, "open `%s`", path);
  if (!S_ISREG (st.st_mode))
    return mk_error_set (err, 0, "`%s` is not a regular file: refused", path);
  return steal_fd (&fd);
}

static int
make_dir (void *arg, mk_error **err)
{
  const char *path = arg;
  int fd;
  if (mk_mkdir_p (path, 0755, err) < 0)
    return -1;
  fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return mk_error_set (err, errno, "open `%s`", path);
  return fd;
}

int
mk_app_make_outputs (const struct mk_app *app, const struct mk_app_host *h, mk_error **err)
{
  for (size_t i = 0; app->outputs && app->outputs[i]; i++)
    {
      const char *path = app->outputs[i];
      _cleanup_close_ int fd = -1;
      struct stat st;
      if (stat (path, &st) == 0)
        continue;
      int r;
      if (h->by_sudo)
        r = fd = as_user (h, make_dir, (void *)path, err);
      else if ((r = fd = mk_mkdir_p_no_symlinks (path, 0755, err)) >= 0
               && fchownat (fd, "", h->uid, h->gid, AT_EMPTY_PATH) < 0)
        r = mk_error_set (err, errno, "chown `%s`", path);
      if (r < 0)
        {
          _cleanup_free_ char *key = xasprintf ("filesystem.outputs[%zu]", i);
          _cleanup_free_ char *w = mk_app_where (app, key);
          return mk_error_prefix (err, "%s", w);
        }
    }
  return 0;
}
