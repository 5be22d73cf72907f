/* applicationA.c: the listening side of the seed's unix-socket example.
 *
 *   applicationA [--socket PATH] [--count N]     (default /tmp/socketA, forever)
 *
 * Listens on PATH; for each connection reads one line, answers
 * "A got: LINE" and logs it.  After N connections, or on SIGTERM/SIGINT,
 * it removes the socket and exits 0.  */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t done;

static void
on_stop (int sig)
{
  (void)sig;
  done = 1;
}

int
main (int argc, char **argv)
{
  const char *path = "/tmp/socketA";
  long count = -1;
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  struct sigaction act = { .sa_handler = on_stop };
  int lfd;

  for (int i = 1; i + 1 < argc; i += 2)
    if (strcmp (argv[i], "--socket") == 0)
      path = argv[i + 1];
    else if (strcmp (argv[i], "--count") == 0)
      count = atol (argv[i + 1]);
  setvbuf (stdout, NULL, _IOLBF, 0);
  sigaction (SIGTERM, &act, NULL);
  sigaction (SIGINT, &act, NULL);

  snprintf (sa.sun_path, sizeof (sa.sun_path), "%s", path);
  unlink (path);
  lfd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0 || bind (lfd, (struct sockaddr *)&sa, sizeof (sa)) < 0 || listen (lfd, 16) < 0)
    {
      fprintf (stderr, "A: listen on %s: %s\n", path, strerror (errno));
      return 1;
    }
  printf ("A: listening on %s\n", path);
  while (!done && count != 0)
    {
      char line[512], answer[600];
      ssize_t n;
      int fd = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
      if (fd < 0)
        {
          if (errno == EINTR)
            continue;
          perror ("A: accept");
          break;
        }
      n = read (fd, line, sizeof (line) - 1);
      if (n > 0)
        {
          line[n] = 0;
          line[strcspn (line, "\n")] = 0;
          printf ("A: got \"%s\"\n", line);
          n = snprintf (answer, sizeof (answer), "A got: %s\n", line);
          if (write (fd, answer, n) < 0)
            perror ("A: write");
        }
      close (fd);
      if (count > 0)
        count--;
    }
  unlink (path);
  printf ("A: done\n");
  return 0;
}
