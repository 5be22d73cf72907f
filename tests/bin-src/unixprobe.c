/* unixprobe: unix socket end points of tests/bats/security.bats
 * (org.mkrun.network.unix).  ADDR is a path, or @NAME for an abstract name.
 *
 *   unixprobe serve ADDR          stream listener: prints "ready", then per
 *                                 connection "got LINE", answering "pong LINE"
 *   unixprobe serve-dgram ADDR    datagram socket: "ready", then "got LINE"
 *   unixprobe connect ADDR LINE   stream: sends LINE, prints the answer
 *   unixprobe sendto ADDR LINE    datagram, unconnected: sendto(2) once
 *   unixprobe self DIR            the caller's own sockets: listens on
 *                                 DIR/self.sock and @self-PID, binds a
 *                                 datagram socket DIR/self.dgram; a forked
 *                                 child connects and sends: "self ok"
 *   unixprobe pair                socketpair(2) stream: "pair ok"
 *   unixprobe pairsend ADDR LINE  socketpair(2) datagram, then sendto(2) ADDR
 *
 * Failures print "CALL: strerror" and exit 1.  */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

static socklen_t
make_addr (const char *addr, struct sockaddr_un *a)
{
  memset (a, 0, sizeof (*a));
  a->sun_family = AF_UNIX;
  if (strlen (addr) >= sizeof (a->sun_path))
    {
      fprintf (stderr, "unixprobe: address too long: %s\n", addr);
      exit (2);
    }
  memcpy (a->sun_path, addr, strlen (addr));
  if (addr[0] != '@')
    return sizeof (*a);
  a->sun_path[0] = '\0';
  return offsetof (struct sockaddr_un, sun_path) + strlen (addr);
}

static int
serve (int type, const char *addr)
{
  struct sockaddr_un a;
  socklen_t len = make_addr (addr, &a);
  int s = socket (AF_UNIX, type | SOCK_CLOEXEC, 0);
  char buf[512], reply[600];
  ssize_t n;

  if (addr[0] != '@')
    unlink (addr);
  if (s < 0 || bind (s, (struct sockaddr *)&a, len) < 0
      || (type == SOCK_STREAM && listen (s, 16) < 0))
    return die ("bind");
  setvbuf (stdout, NULL, _IOLBF, 0);
  printf ("ready\n");
  for (;;)
    {
      int c = type == SOCK_STREAM ? accept4 (s, NULL, NULL, SOCK_CLOEXEC) : s;
      if (c < 0)
        continue;
      n = read (c, buf, sizeof (buf) - 1);
      if (n >= 0)
        {
          buf[n] = '\0';
          buf[strcspn (buf, "\n")] = '\0';
          printf ("got %s\n", buf);
          n = snprintf (reply, sizeof (reply), "pong %s\n", buf);
          if (type == SOCK_STREAM && write (c, reply, n) < 0)
            perror ("unixprobe: write");
        }
      if (c != s)
        close (c);
    }
}

static int
client (int type, const char *addr, const char *line)
{
  struct sockaddr_un a;
  socklen_t len = make_addr (addr, &a);
  return probe_client (type, (struct sockaddr *)&a, len, line);
}

/* Listens on three addresses, then a child (another process) reaches each.  */
static int
self (const char *dir)
{
  char path[3][200], buf[8];
  struct sockaddr_un a[3];
  socklen_t len[3];
  int s[3], status;
  pid_t pid;

  snprintf (path[0], sizeof (path[0]), "%s/self.sock", dir);
  snprintf (path[1], sizeof (path[1]), "@self-%d", (int)getpid ());
  snprintf (path[2], sizeof (path[2]), "%s/self.dgram", dir);
  for (int i = 0; i < 3; i++)
    {
      len[i] = make_addr (path[i], &a[i]);
      unlink (path[i]);
      s[i] = socket (AF_UNIX, (i == 2 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
      if (s[i] < 0 || bind (s[i], (struct sockaddr *)&a[i], len[i]) < 0
          || (i < 2 && listen (s[i], 4) < 0))
        return die ("bind");
    }
  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      for (int i = 0; i < 3; i++)
        {
          int c = socket (AF_UNIX, (i == 2 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
          if (c < 0)
            _exit (die ("socket"));
          if (i < 2 && connect (c, (struct sockaddr *)&a[i], len[i]) < 0)
            _exit (die (i ? "connect abstract" : "connect path"));
          if (i == 2 && sendto (c, "x", 1, 0, (struct sockaddr *)&a[i], len[i]) < 0)
            _exit (die ("sendto path"));
          close (c);
        }
      _exit (0);
    }
  if (pid < 0 || waitpid (pid, &status, 0) < 0)
    return die ("fork");
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return 1;
  if (recv (s[2], buf, sizeof (buf), MSG_DONTWAIT) != 1)
    return die ("recv");
  unlink (path[0]);
  unlink (path[2]);
  printf ("self ok\n");
  return 0;
}

static int
pair (void)
{
  int sv[2];
  char buf[8];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return die ("socketpair");
  if (write (sv[0], "x", 1) != 1 || read (sv[1], buf, sizeof (buf)) != 1)
    return die ("pair");
  printf ("pair ok\n");
  return 0;
}

/* A datagram pair is connected to itself, yet sendto(2) takes any address.  */
static int
pairsend (const char *addr, const char *line)
{
  struct sockaddr_un a;
  socklen_t len = make_addr (addr, &a);
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
    return die ("socketpair");
  if (sendto (sv[0], line, strlen (line), 0, (struct sockaddr *)&a, len) < 0)
    return die ("sendto");
  printf ("sent\n");
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 3 && strcmp (argv[1], "serve") == 0)
    return serve (SOCK_STREAM, argv[2]);
  if (argc == 3 && strcmp (argv[1], "serve-dgram") == 0)
    return serve (SOCK_DGRAM, argv[2]);
  if (argc == 4 && strcmp (argv[1], "connect") == 0)
    return client (SOCK_STREAM, argv[2], argv[3]);
  if (argc == 4 && strcmp (argv[1], "sendto") == 0)
    return client (SOCK_DGRAM, argv[2], argv[3]);
  if (argc == 3 && strcmp (argv[1], "self") == 0)
    return self (argv[2]);
  if (argc == 2 && strcmp (argv[1], "pair") == 0)
    return pair ();
  if (argc == 4 && strcmp (argv[1], "pairsend") == 0)
    return pairsend (argv[2], argv[3]);
  fprintf (stderr, "usage: unixprobe serve|serve-dgram ADDR | connect|sendto ADDR LINE | self DIR "
                   "| pair | pairsend ADDR LINE\n");
  return 2;
}
