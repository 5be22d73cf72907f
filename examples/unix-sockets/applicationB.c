/* applicationB.c: the connecting side of the seed's unix-socket example.
 *
 *   applicationB [--socket PATH] [MESSAGE]     (default /tmp/socketA, "hello from B")
 *
 * Lists what it sees in the socket's directory (only the socket: not the
 * other app's files, nor the host's), connects, sends MESSAGE, prints the
 * answer.  Exits 1 if any step fails.  */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  const char *path = "/tmp/socketA", *msg = "hello from B";
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  char dir[sizeof (sa.sun_path)], answer[600];
  struct dirent *de;
  DIR *d;
  ssize_t n;
  int fd, i = 1;

  if (argc > 2 && strcmp (argv[1], "--socket") == 0)
    {
      path = argv[2];
      i = 3;
    }
  if (i < argc)
    msg = argv[i];
  setvbuf (stdout, NULL, _IOLBF, 0);

  snprintf (dir, sizeof (dir), "%s", path);
  d = opendir (dirname (dir));
  if (d == NULL)
    {
      fprintf (stderr, "B: open %s: %s\n", dir, strerror (errno));
      return 1;
    }
  printf ("B: in %s I see:", dir);
  while ((de = readdir (d)))
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      printf (" %s", de->d_name);
  printf ("\n");
  closedir (d);

  snprintf (sa.sun_path, sizeof (sa.sun_path), "%s", path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *)&sa, sizeof (sa)) < 0)
    {
      fprintf (stderr, "B: connect %s: %s\n", path, strerror (errno));
      return 1;
    }
  if (dprintf (fd, "%s\n", msg) < 0 || (n = read (fd, answer, sizeof (answer) - 1)) <= 0)
    {
      fprintf (stderr, "B: talk on %s: %s\n", path, strerror (errno));
      return 1;
    }
  answer[n] = 0;
  printf ("B: sent \"%s\", answer: %s", msg, answer);
  close (fd);
  return 0;
}
