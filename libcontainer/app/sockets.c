/* app/sockets.c: unix sockets between apps (see sockets.h).  */
#include "config.h"

#include "app/sockets.h"
#include "app/supervise.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

/* The socket PATH (/tmp/... or /run/..., in the view) of the app whose
   directory is APP_DIR: O_PATH, beneath its bundle's tmp/ or run/,
   following no symlink.  -1 with errno: ENOENT (not made yet), ELOOP (a
   symlink on the way), ENOTSOCK (something else).  */
static int
open_listener_socket (const char *app_dir, const char *path)
{
  const char *rest = strchr (path + 1, '/'); /* parse.c: a file under /tmp or /run */
  _cleanup_free_ char *dir = xasprintf ("%s/bundle%.*s", app_dir, (int)(rest - path), path);
  _cleanup_close_ int dirfd = open (dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  _cleanup_close_ int fd = -1;
  struct stat st;
  if (dirfd < 0)
    return -1;
  fd = mk_open_no_symlinks (dirfd, rest + 1, O_PATH, 0, true);
  if (fd < 0 || fstat (fd, &st) < 0)
    return -1;
  if (!S_ISSOCK (st.st_mode))
    {
      errno = ENOTSOCK;
      return -1;
    }
  return steal_fd (&fd);
}

/* The socket of a running app listening on PATH: 1 with *FD once it is
   there, 0 while not (*WHO: the app that lists PATH, if one does), -1 when
   what is there is not a socket.  */
static int
find_listener (const char *root, const struct mk_app *app, const char *path, char **who, int *fd,
               mk_error **err)
{
  _cleanup_strv_ char **names = NULL;
  int ret = 0;
  if (mk_app_list (root, &names, NULL) < 0)
    return 0;
  for (char **n = names; *n && ret == 0; n++)
    {
      struct mk_app_record *r = NULL;
      bool listens = false;
      if (strcmp (*n, app->name) == 0 || mk_app_record_read (root, *n, &r, NULL) < 0)
        continue;
      for (size_t i = 0; mk_app_record_alive (r) && r->listen && r->listen[i] && !listens; i++)
        listens = strcmp (r->listen[i], path) == 0;
      mk_app_record_free (r);
      if (listens)
        {
          _cleanup_free_ char *dir = mk_app_dir (root, *n);
          if (*who == NULL)
            *who = xstrdup (*n);
          *fd = open_listener_socket (dir, path);
          if (*fd >= 0)
            ret = 1;
          else if (errno != ENOENT)
            {
              _cleanup_free_ char *w = mk_app_where (app, "network.unix_sockets");
              ret = mk_error_set (err, 0, "%s: `%s` of app `%s` is %s: refused", w, path, *n,
                                  errno == ELOOP ? "a symlink" : "not a socket");
            }
          break;
        }
    }
  return ret;
}

int
mk_app_wait_for_listeners (const char *root, const struct mk_app *app, struct mk_app_host *h,
                           void (*notice) (enum mk_app_log_level, const char *), mk_error **err)
{
  long long deadline = mk_app_now_ms () + app->socket_timeout_ms;
  bool told = false, connects = false;

  h->n_socket_fd = app->n_sockets;
  h->socket_fd = xmalloc0 ((app->n_sockets + 1) * sizeof (int));
  for (size_t i = 0; i < app->n_sockets; i++)
    {
      h->socket_fd[i] = -1;
      connects |= !app->sockets[i].listen;
    }
  /* Our own mount namespace, receiving the host's mounts but giving back
     none: the binds will be the supervisor's and its containers'.  The
     sockets are opened in it: a mount can only be cloned from the
     namespace it is in.  */
  if (connects
      && (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0))
    return mk_error_set (err, errno, "network.unix_sockets: a mount namespace for the sockets");
  for (size_t i = 0; i < app->n_sockets; i++)
    {
      const char *path = app->sockets[i].path;
      _cleanup_free_ char *who = NULL;
      int r;
      if (app->sockets[i].listen)
        continue;
      while ((r = find_listener (root, app, path, &who, &h->socket_fd[i], err)) == 0)
        {
          if (mk_app_now_ms () >= deadline)
            {
              _cleanup_free_ char *w = mk_app_where (app, "network.unix_sockets");
              if (who)
                return mk_error_set (err, 0,
                                     "%s: app `%s` listens on `%s` but made no socket "
                                     "there within %u s",
                                     w, who, path, app->socket_timeout_ms / 1000);
              return mk_error_set (err, 0,
                                   "%s: no app listens on `%s` (waited %u s for one "
                                   "to start; its YAML lists the path with type: listen)",
                                   w, path, app->socket_timeout_ms / 1000);
            }
          if (!told && notice && app->log_level >= MK_APP_LOG_INFO)
            {
              _cleanup_free_ char *msg = xasprintf ("waiting up to %u s for an app listening on %s",
                                                    app->socket_timeout_ms / 1000, path);
              notice (MK_APP_LOG_INFO, msg);
              told = true;
            }
          usleep (50 * 1000);
        }
      if (r < 0)
        return -1;
      mk_app_host_add_listener (h, who);
    }
  return 0;
}

/* Binds the socket SOCKFD on the empty file REL beneath BUNDLEFD, through
   the descriptors: the mount source is the inode that was checked.  */
static int
bind_socket (int sockfd, int bundlefd, const char *rel, mk_error **err)
{
  _cleanup_close_ int target = mk_open_no_symlinks (bundlefd, rel, O_PATH, 0, true);
  _cleanup_close_ int tree = -1;
  struct statfs sfs;
  char src[64], dst[64];

  if (target < 0)
    return mk_error_set (err, errno, "open its place `%s` in the bundle", rel);
  tree = (int)syscall (SYS_open_tree, sockfd, "",
                       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree >= 0)
    {
      if (syscall (SYS_move_mount, tree, "", target, "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
          < 0)
        return mk_error_set (err, errno == ENOENT ? 0 : errno, "bind the listener's socket%s",
                             errno == ENOENT ? ": the listener replaced it meanwhile" : "");
      return 0;
    }
  if (errno != ENOSYS)
    return mk_error_set (err, errno, "clone the listener's socket's mount");
  /* Before Linux 5.2: the same descriptors through /proc, once it is procfs.  */
  if (statfs ("/proc/self/fd", &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    return mk_error_set (err, 0, "bind the listener's socket: /proc is not procfs");
  snprintf (src, sizeof (src), "/proc/self/fd/%d", sockfd);
  snprintf (dst, sizeof (dst), "/proc/self/fd/%d", target);
  if (mount (src, dst, NULL, MS_BIND, NULL) < 0)
    return mk_error_set (err, errno, "bind the listener's socket");
  return 0;
}

int
mk_app_bind_sockets (const struct mk_app *app, struct mk_app_host *h, const char *bundle,
                     mk_error **err)
{
  _cleanup_close_ int bundlefd = -1;
  bool any = false;
  for (size_t i = 0; i < h->n_socket_fd; i++)
    any |= h->socket_fd[i] >= 0;
  if (!any)
    return 0;
  bundlefd = open (bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (bundlefd < 0)
    return mk_error_set (err, errno, "open `%s`", bundle);
  for (size_t i = 0; i < h->n_socket_fd; i++)
    {
      if (h->socket_fd[i] < 0)
        continue;
      if (bind_socket (h->socket_fd[i], bundlefd, app->sockets[i].path + 1, err) < 0)
        {
          _cleanup_free_ char *w = mk_app_where (app, "network.unix_sockets");
          return mk_error_prefix (err, "%s: `%s`", w, app->sockets[i].path);
        }
      close (h->socket_fd[i]);
      h->socket_fd[i] = -1;
    }
  return 0;
}
