/* netprobe: the network end points of tests/bats/netfilter.bats.
 *
 *   netprobe serve ADDR            TCP and UDP on one free port of ADDR (IPv4
 *                                  or IPv6 literal): prints the port, then one
 *                                  line per TCP line ("tcp LINE", answered
 *                                  with "pong LINE") and per datagram
 *                                  ("udp LINE"), forever
 *   netprobe connect ADDR PORT LINE   TCP: sends LINE, prints the answer
 *   netprobe sendto ADDR PORT LINE    UDP, unconnected: sendto(2) once
 *   netprobe unix                  AF_UNIX stream connect and datagram sendto
 *                                  (abstract names): prints "unix ok"
 *   netprobe progs CGROUP_DIR      how many programs are attached to the
 *                                  cgroup per sock_addr hook, and their ids
 *   netprobe alive ID...           which of these program ids still exist
 *
 * The socket's family is the address's: "::ffff:127.0.0.1" makes an AF_INET6
 * socket.  Failures print "CALL: strerror" and exit 1.  */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "probe.h"

static socklen_t
make_addr (const char *addr, int port, struct sockaddr_storage *ss)
{
  struct sockaddr_in *in = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

  memset (ss, 0, sizeof (*ss));
  if (inet_pton (AF_INET, addr, &in->sin_addr) == 1)
    {
      in->sin_family = AF_INET;
      in->sin_port = htons (port);
      return sizeof (*in);
    }
  if (inet_pton (AF_INET6, addr, &in6->sin6_addr) == 1)
    {
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons (port);
      return sizeof (*in6);
    }
  fprintf (stderr, "netprobe: bad address %s\n", addr);
  exit (2);
}

static int
port_of (const struct sockaddr_storage *ss)
{
  return ntohs (ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
                                         : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void
chomp (char *s)
{
  s[strcspn (s, "\r\n")] = '\0';
}

static int
serve (const char *addr)
{
  struct sockaddr_storage ss;
  socklen_t len = make_addr (addr, 0, &ss);
  int one = 1, tcp, udp;
  char buf[512];

  tcp = socket (ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  udp = socket (ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (tcp < 0 || udp < 0)
    return die ("socket");
  setsockopt (tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
  /* A free TCP port whose UDP twin is free too.  */
  for (int tries = 0;; tries++)
    {
      if (bind (tcp, (struct sockaddr *)&ss, len) < 0 || listen (tcp, 16) < 0)
        return die ("bind tcp");
      if (getsockname (tcp, (struct sockaddr *)&ss, &len) < 0)
        return die ("getsockname");
      if (bind (udp, (struct sockaddr *)&ss, len) == 0)
        break;
      if (tries == 20)
        return die ("bind udp");
      close (tcp);
      tcp = socket (ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      len = make_addr (addr, 0, &ss);
    }
  setvbuf (stdout, NULL, _IOLBF, 0);
  printf ("%d\n", port_of (&ss));
  for (;;)
    {
      struct pollfd p[2] = { { tcp, POLLIN, 0 }, { udp, POLLIN, 0 } };
      ssize_t n;
      if (poll (p, 2, -1) < 0)
        continue;
      if (p[1].revents & POLLIN)
        {
          n = recv (udp, buf, sizeof (buf) - 1, 0);
          if (n >= 0)
            {
              buf[n] = '\0';
              chomp (buf);
              printf ("udp %s\n", buf);
            }
        }
      if (p[0].revents & POLLIN)
        {
          int c = accept4 (tcp, NULL, NULL, SOCK_CLOEXEC);
          struct pollfd pc = { c, POLLIN, 0 };
          char reply[600];
          if (c < 0)
            continue;
          n = poll (&pc, 1, 5000) == 1 ? read (c, buf, sizeof (buf) - 1) : -1;
          if (n >= 0)
            {
              buf[n] = '\0';
              chomp (buf);
              printf ("tcp %s\n", buf);
              n = snprintf (reply, sizeof (reply), "pong %s\n", buf);
              if (write (c, reply, n) < 0)
                perror ("netprobe: write");
            }
          close (c);
        }
    }
}

static int
client (int type, const char *addr, const char *port, const char *line)
{
  struct sockaddr_storage ss;
  socklen_t len = make_addr (addr, atoi (port), &ss);
  return probe_client (type, (struct sockaddr *)&ss, len, line);
}

static int
unix_sockets (void)
{
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  socklen_t len;
  int l, c, d, r;
  char buf[8];

  snprintf (a.sun_path + 1, sizeof (a.sun_path) - 1, "netprobe-%d", getpid ());
  len = offsetof (struct sockaddr_un, sun_path) + 1 + strlen (a.sun_path + 1);
  l = socket (AF_UNIX, SOCK_STREAM, 0);
  c = socket (AF_UNIX, SOCK_STREAM, 0);
  if (l < 0 || c < 0 || bind (l, (struct sockaddr *)&a, len) < 0 || listen (l, 1) < 0)
    return die ("unix listen");
  if (connect (c, (struct sockaddr *)&a, len) < 0)
    return die ("unix connect");
  close (l);
  a.sun_path[1] = 'd';
  r = socket (AF_UNIX, SOCK_DGRAM, 0);
  d = socket (AF_UNIX, SOCK_DGRAM, 0);
  if (r < 0 || d < 0 || bind (r, (struct sockaddr *)&a, len) < 0)
    return die ("unix bind");
  if (sendto (d, "x", 1, 0, (struct sockaddr *)&a, len) < 0)
    return die ("unix sendto");
  if (recv (r, buf, sizeof (buf), 0) != 1)
    return die ("unix recv");
  printf ("unix ok\n");
  return 0;
}

static int
progs (const char *dir)
{
  static const struct
  {
    const char *name;
    enum bpf_attach_type type;
  } hooks[] = { { "connect4", BPF_CGROUP_INET4_CONNECT },
                { "connect6", BPF_CGROUP_INET6_CONNECT },
                { "sendmsg4", BPF_CGROUP_UDP4_SENDMSG },
                { "sendmsg6", BPF_CGROUP_UDP6_SENDMSG } };
  uint32_t ids[64];
  size_t n = 0;
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return die ("open");
  for (size_t i = 0; i < sizeof (hooks) / sizeof (hooks[0]); i++)
    {
      union bpf_attr attr;
      memset (&attr, 0, sizeof (attr));
      attr.query.target_fd = fd;
      attr.query.attach_type = hooks[i].type;
      attr.query.prog_ids = (uint64_t)(uintptr_t)(ids + n);
      attr.query.prog_cnt = sizeof (ids) / sizeof (ids[0]) - n;
      if (syscall (__NR_bpf, BPF_PROG_QUERY, &attr, sizeof (attr)) < 0)
        return die ("BPF_PROG_QUERY");
      printf ("%s=%u ", hooks[i].name, attr.query.prog_cnt);
      n += attr.query.prog_cnt;
    }
  printf ("ids=");
  for (size_t i = 0; i < n; i++)
    printf ("%s%u", i ? "," : "", ids[i]);
  printf ("\n");
  return 0;
}

static int
alive (char **ids)
{
  for (; *ids; ids++)
    {
      union bpf_attr attr;
      int fd;
      memset (&attr, 0, sizeof (attr));
      attr.prog_id = strtoul (*ids, NULL, 10);
      fd = syscall (__NR_bpf, BPF_PROG_GET_FD_BY_ID, &attr, sizeof (attr));
      if (fd >= 0)
        {
          printf ("%s\n", *ids);
          close (fd);
        }
    }
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 3 && strcmp (argv[1], "serve") == 0)
    return serve (argv[2]);
  if (argc == 5 && strcmp (argv[1], "connect") == 0)
    return client (SOCK_STREAM, argv[2], argv[3], argv[4]);
  if (argc == 5 && strcmp (argv[1], "sendto") == 0)
    return client (SOCK_DGRAM, argv[2], argv[3], argv[4]);
  if (argc == 2 && strcmp (argv[1], "unix") == 0)
    return unix_sockets ();
  if (argc == 3 && strcmp (argv[1], "progs") == 0)
    return progs (argv[2]);
  if (argc >= 2 && strcmp (argv[1], "alive") == 0)
    return alive (argv + 2);
  fprintf (stderr, "usage: netprobe serve ADDR | connect|sendto ADDR PORT LINE | unix | progs DIR "
                   "| alive ID...\n");
  return 2;
}
