/* probe.h: what netprobe and unixprobe share: how a failure is told, and
 * the client that sends one line to an address and prints the answer.  */
#ifndef PROBE_H
#define PROBE_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Prints "WHAT: strerror(errno)" on stdout (the tests read it); returns 1.  */
static int
die (const char *what)
{
  printf ("%s: %s\n", what, strerror (errno));
  fflush (stdout);
  return 1;
}

/* Sends LINE and a newline to the address A (LEN bytes) over a socket of
   TYPE: a datagram prints "sent"; a stream connects, writes and prints all
   it reads back.  Returns 0, or die()'s 1.  */
static int
probe_client (int type, const struct sockaddr *a, socklen_t len, const char *line)
{
  int s = socket (a->sa_family, type | SOCK_CLOEXEC, 0);
  char buf[600];
  size_t n = snprintf (buf, sizeof (buf), "%s\n", line);
  ssize_t r;

  if (s < 0)
    return die ("socket");
  if (type == SOCK_DGRAM)
    {
      if (sendto (s, buf, n, 0, a, len) < 0)
        return die ("sendto");
      printf ("sent\n");
      return 0;
    }
  if (connect (s, a, len) < 0)
    return die ("connect");
  if (write (s, buf, n) < 0)
    return die ("write");
  while ((r = read (s, buf, sizeof (buf))) > 0)
    fwrite (buf, 1, r, stdout);
  return r < 0 ? die ("read") : 0;
}

#endif
