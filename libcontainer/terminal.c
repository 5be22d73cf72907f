/* terminal.c: see terminal.h.  */
#include "config.h"

#include "mounts.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <termios.h>

int
mk_console_connect (const char *path, int *out, mk_error **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  _cleanup_close_ int fd = -1;

  if (strlen (path) >= sizeof (addr.sun_path))
    return mk_error_set (err, 0, "console socket `%s`: path too long", path);
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return mk_error_set (err, errno, "console socket");
  if (connect (fd, (struct sockaddr *)&addr, sizeof (addr)) < 0)
    return mk_error_set (err, errno, "connect to console socket `%s`", path);
  *out = steal_fd (&fd);
  return 0;
}

int
mk_send_pidfd (const char *path, pid_t pid, mk_error **err)
{
  _cleanup_close_ int sock = -1;
  _cleanup_close_ int pidfd = (int)syscall (SYS_pidfd_open, pid, 0);

  if (pidfd < 0)
    return mk_error_set (err, errno, "--pidfd-socket: pidfd of pid %d", (int)pid);
  if (mk_console_connect (path, &sock, err) < 0)
    return mk_error_prefix (err, "--pidfd-socket");
  if (mk_send_with_fd (sock, "pidfd", 5, pidfd) < 0)
    return mk_error_set (err, errno, "--pidfd-socket: send the pidfd to `%s`", path);
  return 0;
}

/* /dev/console in the container becomes the pty (runc's console): the
   file is made there, or must already be a file or a device, never
   followed if it is a symlink (CVE-2025-52565), and the pty is bound on it
   through both descriptors.  */
static int
mount_console (int slave, mk_error **err)
{
  _cleanup_close_ int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int devfd = -1, target = -1;
  struct stat st;

  if (rootfd < 0 || (devfd = mk_open_in_root (rootfd, "/dev", O_PATH | O_DIRECTORY)) < 0)
    return mk_error_set (err, errno, "process.terminal: /dev/console: open /dev");
  target = openat (devfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0 && errno == ENOENT)
    {
      int fd
          = openat (devfd, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0)
        return mk_error_set (err, errno, "process.terminal: create /dev/console");
      close (fd);
      target = openat (devfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
  if (target < 0 || fstat (target, &st) < 0)
    return mk_error_set (err, errno, "process.terminal: open /dev/console");
  if (!S_ISREG (st.st_mode) && !S_ISCHR (st.st_mode))
    return mk_error_set (err, 0,
                         "process.terminal: /dev/console in the rootfs is %s, not a file "
                         "or a device: refusing to mount the console there",
                         S_ISLNK (st.st_mode) ? "a symlink" : "neither");
  if (mk_mount_bind_fd (slave, target, false) < 0)
    return mk_error_set (err, errno, "process.terminal: bind the pty on /dev/console");
  return 0;
}

/* The pty's other end, opened from the master itself (TIOCGPTPEER, Linux
   4.13), not by a name the container's /dev resolves; then checked to be a
   pty (Unix98 slave majors 136-143).  */
static int
open_peer (int master, mk_error **err)
{
  struct stat st;
  int slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0 && errno == EINVAL)
    {
      char name[64];
      if (ptsname_r (master, name, sizeof (name)) != 0)
        return mk_error_set (err, errno, "process.terminal: unlock pty");
      slave = open (name, O_RDWR | O_NOCTTY | O_NOFOLLOW);
    }
  if (slave < 0)
    return mk_error_set (err, errno, "process.terminal: open the pty");
  if (fstat (slave, &st) < 0 || !S_ISCHR (st.st_mode) || major (st.st_rdev) < 136
      || major (st.st_rdev) > 143)
    {
      close (slave);
      return mk_error_set (err, 0,
                           "process.terminal: /dev/ptmx in the container is not a pty "
                           "multiplexer");
    }
  return slave;
}

int
mk_terminal_setup (int console_fd, const struct mk_process *p, bool console, mk_error **err)
{
  unsigned short rows = p->console_height, cols = p->console_width;
  _cleanup_close_ int master = -1;
  _cleanup_close_ int slave = -1;
  char name[64];

  master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return mk_error_set (err, errno, "process.terminal: open /dev/ptmx");
  if (unlockpt (master) < 0 || ptsname_r (master, name, sizeof (name)) != 0)
    return mk_error_set (err, errno, "process.terminal: unlock pty");
  slave = open_peer (master, err);
  if (slave < 0)
    return -1;
  /* The pty belongs to the process's user, as a login's does (and runc's):
     it may chmod it, mesg works.  Its group is devpts's gid= (tty).  A user
     the user namespace does not map keeps it root's.  */
  if (fchown (slave, p->uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM)
    return mk_error_set (err, errno, "process.terminal: give the pty to uid %u", (unsigned)p->uid);
  if (rows || cols)
    {
      struct winsize ws = { .ws_row = rows, .ws_col = cols };
      ioctl (slave, TIOCSWINSZ, &ws);
    }
  if (console && mount_console (slave, err) < 0)
    return -1;
  if (mk_send_with_fd (console_fd, name, strlen (name), master) < 0)
    return mk_error_set (err, errno, "process.terminal: send the pty to the console socket");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return mk_error_set (err, errno, "process.terminal: set controlling terminal");
  for (int i = 0; i < 3; i++)
    if (dup2 (slave, i) < 0)
      return mk_error_set (err, errno, "process.terminal: dup2");
  if (slave <= 2)
    slave = -1;
  return 0;
}

int
mk_terminal_recv_master (int sock, int *master, mk_error **err)
{
  char name[128];
  struct iovec iov = { name, sizeof (name) };
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct msghdr msg
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof (cbuf) };
  ssize_t r;

  do
    r = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r <= 0)
    return mk_error_set (err, r < 0 ? errno : 0, "receive the container's pty");
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        memcpy (master, CMSG_DATA (c), sizeof (int));
        return 0;
      }
  return mk_error_set (err, 0, "receive the container's pty: no descriptor");
}

int
mk_console_socket (const char *console_socket, int *runtime_fd, int *child_fd, mk_error **err)
{
  int tv[2];
  if (console_socket)
    return mk_console_connect (console_socket, child_fd, err);
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tv) < 0)
    return mk_error_set (err, errno, "socketpair");
  *runtime_fd = tv[0];
  *child_fd = tv[1];
  return 0;
}
