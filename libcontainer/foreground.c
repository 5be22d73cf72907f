/* foreground.c: see foreground.h.  */
#include "config.h"

#include "foreground.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>

void
mk_foreground_block_signals (sigset_t *all, sigset_t *old)
{
  sigfillset (all);
  sigdelset (all, SIGSEGV);
  sigdelset (all, SIGBUS);
  sigdelset (all, SIGILL);
  sigdelset (all, SIGFPE);
  sigdelset (all, SIGABRT);
  sigprocmask (SIG_BLOCK, all, old);
}

/* What the process wrote before it exited and is still in the pty.  */
static void
drain_master (int master_fd)
{
  char buf[8192];
  ssize_t n;
  int fl = fcntl (master_fd, F_GETFL);
  if (fl >= 0)
    fcntl (master_fd, F_SETFL, fl | O_NONBLOCK);
  while ((n = read (master_fd, buf, sizeof (buf))) > 0)
    mk_write_all (1, buf, n);
}

int
mk_foreground_wait (pid_t pid, int *master_fd, const sigset_t *fwd, int *exit_code, mk_error **err)
{
  _cleanup_close_ int sfd = signalfd (-1, fwd, SFD_CLOEXEC);
  struct termios saved;
  bool raw = false;
  int status = 0;

  if (sfd < 0)
    return mk_error_set (err, errno, "signalfd");
  if (*master_fd >= 0 && isatty (0) && tcgetattr (0, &saved) == 0)
    {
      struct termios t = saved;
      struct winsize ws;
      cfmakeraw (&t);
      tcsetattr (0, TCSANOW, &t);
      raw = true;
      if (ioctl (0, TIOCGWINSZ, &ws) == 0)
        ioctl (*master_fd, TIOCSWINSZ, &ws);
    }
  for (;;)
    {
      struct pollfd p[3] = { { sfd, POLLIN, 0 }, { *master_fd, POLLIN, 0 }, { 0, POLLIN, 0 } };
      int np = *master_fd >= 0 ? 3 : 1;
      if (poll (p, np, -1) < 0 && errno != EINTR)
        break;
      if (p[0].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          if (read (sfd, &si, sizeof (si)) == sizeof (si))
            {
              if (si.ssi_signo == SIGCHLD)
                {
                  pid_t r = waitpid (pid, &status, WNOHANG);
                  if (r == pid)
                    break;
                }
              else if (si.ssi_signo == SIGWINCH && *master_fd >= 0)
                {
                  struct winsize ws;
                  if (ioctl (0, TIOCGWINSZ, &ws) == 0)
                    ioctl (*master_fd, TIOCSWINSZ, &ws);
                }
              else
                kill (pid, (int)si.ssi_signo);
            }
        }
      if (np > 1 && (p[1].revents & (POLLIN | POLLHUP)))
        {
          char buf[8192];
          ssize_t n = read (*master_fd, buf, sizeof (buf));
          if (n > 0)
            mk_write_all (1, buf, n);
          else
            {
              close (*master_fd);
              *master_fd = -1;
            }
        }
      if (np > 2 && (p[2].revents & (POLLIN | POLLHUP)))
        {
          char buf[8192];
          ssize_t n = read (0, buf, sizeof (buf));
          if (n > 0)
            mk_write_all (*master_fd, buf, n);
          else
            p[2].fd = -1;
        }
    }
  if (*master_fd >= 0)
    {
      drain_master (*master_fd);
      close (*master_fd);
      *master_fd = -1;
    }
  if (raw)
    tcsetattr (0, TCSANOW, &saved);
  if (WIFEXITED (status))
    *exit_code = WEXITSTATUS (status);
  else if (WIFSIGNALED (status))
    *exit_code = 128 + WTERMSIG (status);
  else
    *exit_code = 255;
  return 0;
}
