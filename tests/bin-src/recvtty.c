/* recvtty: a console socket for the tests, with runc's contrib/cmd/recvtty
   command line (runc's integration suite calls it; tests/runc-compat):

     recvtty [--mode single|null] [--pid-file FILE] [--no-stdin] SOCKET

   listens on SOCKET and receives pty masters sent with SCM_RIGHTS (as
   --console-socket does).  single (the default): one connection; what the
   pty prints is copied to stdout until the other side closes, and stdin is
   copied to the pty unless --no-stdin (our own tests give it /dev/null).
   As runc's does, single mode clears ONLCR on the pty.  null: any number
   of connections, each pty's output discarded; the masters stay open while
   recvtty lives, so killing it hangs the containers' terminals up.
   --pid-file: where recvtty writes its pid before it listens.
   pidfd (ours, for --pidfd-socket): one connection; prints "pid N", the
   process the received pidfd refers to (its fdinfo's Pid:), and exits.  */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define MAX_TTYS 256

/* The descriptor that came with one connection on S, or -1.  */
static int
receive_master (int s)
{
  char name[128], cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { name, sizeof (name) };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                        .msg_controllen = sizeof (cbuf) };
  int c, master = -1;

  c = accept4 (s, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0)
    return -1;
  if (recvmsg (c, &msg, MSG_CMSG_CLOEXEC) >= 0)
    for (struct cmsghdr *h = CMSG_FIRSTHDR (&msg); h; h = CMSG_NXTHDR (&msg, h))
      if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
        memcpy (&master, CMSG_DATA (h), sizeof (int));
  close (c);
  return master;
}

/* Copy FROM to TO once; 0 at EOF or error.  */
static int
copy_once (int from, int to)
{
  char buf[4096];
  ssize_t n;

  do
    n = read (from, buf, sizeof (buf));
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return 0;
  return to < 0 || write (to, buf, n) == n || errno == EAGAIN;
}

static int
single (int s, int with_stdin)
{
  struct termios t;
  int master = receive_master (s);

  close (s);
  if (master < 0)
    {
      fprintf (stderr, "recvtty: no descriptor received\n");
      return 1;
    }
  if (tcgetattr (master, &t) == 0)
    {
      t.c_oflag &= ~ONLCR;
      tcsetattr (master, TCSANOW, &t);
    }
  for (;;)
    {
      struct pollfd p[2] = { { master, POLLIN, 0 }, { 0, POLLIN, 0 } };

      if (poll (p, with_stdin ? 2 : 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return 1;
        }
      if (p[0].revents && !copy_once (master, 1))
        return 0;
      if (with_stdin && p[1].revents && !copy_once (0, master))
        with_stdin = 0; /* stdin's EOF: keep copying the output */
    }
}

static int
pidfd_mode (int s)
{
  char path[64], line[256];
  int fd = receive_master (s);
  FILE *f;

  close (s);
  snprintf (path, sizeof (path), "/proc/self/fdinfo/%d", fd);
  f = fd >= 0 ? fopen (path, "re") : NULL;
  while (f && fgets (line, sizeof (line), f))
    if (strncmp (line, "Pid:", 4) == 0)
      {
        printf ("pid %ld\n", strtol (line + 4, NULL, 10));
        return 0;
      }
  fprintf (stderr, "recvtty: no pidfd received\n");
  return 1;
}

static int
null_mode (int s)
{
  struct pollfd p[MAX_TTYS + 1] = { { s, POLLIN, 0 } };
  int n = 1;

  for (;;)
    {
      if (poll (p, n, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return 1;
        }
      for (int i = n - 1; i > 0; i--)
        if (p[i].revents && !copy_once (p[i].fd, -1))
          {
            close (p[i].fd);
            p[i] = p[--n];
          }
      if (p[0].revents & POLLIN)
        {
          int master = receive_master (s);
          if (master >= 0 && n <= MAX_TTYS)
            p[n++] = (struct pollfd){ master, POLLIN, 0 };
          else if (master >= 0)
            close (master);
        }
    }
}

int
main (int argc, char **argv)
{
  static const struct option opts[] = { { "mode", required_argument, NULL, 'm' },
                                        { "pid-file", required_argument, NULL, 'p' },
                                        { "no-stdin", no_argument, NULL, 'n' },
                                        { NULL, 0, NULL, 0 } };
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  const char *mode = "single", *pid_file = NULL;
  int s, c, with_stdin = 1, rc;

  while ((c = getopt_long (argc, argv, "m:", opts, NULL)) != -1)
    switch (c)
      {
      case 'm':
        mode = optarg;
        break;
      case 'p':
        pid_file = optarg;
        break;
      case 'n':
        with_stdin = 0;
        break;
      default:
        return 2;
      }
  if (optind != argc - 1 || strlen (argv[optind]) >= sizeof (addr.sun_path)
      || (strcmp (mode, "single") && strcmp (mode, "null") && strcmp (mode, "pidfd")))
    {
      fprintf (stderr,
               "usage: recvtty [--mode single|null|pidfd] [--pid-file FILE] [--no-stdin] SOCKET\n");
      return 2;
    }
  /* Started in the background by a test, it would hold what the shell
     had open (bats's fd 3: bats would wait for it to exit).  */
  close_range (3, ~0U, 0);
  if (pid_file)
    {
      FILE *f = fopen (pid_file, "we");
      if (!f || fprintf (f, "%d\n", (int)getpid ()) < 0 || fclose (f) != 0)
        {
          perror ("recvtty: pid file");
          return 1;
        }
    }
  strcpy (addr.sun_path, argv[optind]);
  s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  unlink (addr.sun_path);
  if (s < 0 || bind (s, (struct sockaddr *)&addr, sizeof (addr)) < 0 || listen (s, 16) < 0)
    {
      perror ("recvtty: listen");
      return 1;
    }
  if (strcmp (mode, "pidfd") == 0)
    rc = pidfd_mode (s);
  else
    rc = strcmp (mode, "null") ? single (s, with_stdin) : null_mode (s);
  unlink (addr.sun_path);
  return rc;
}
