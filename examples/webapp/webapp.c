/* webapp.c: the seed's second example, a small web server, in C.
 *
 *   webapp [--port N] [--bind ADDR]      (default 127.0.0.1:5000; port 0: any free one)
 *
 *   GET /                   "Hello, Web World!"
 *   GET /connect/IP:PORT    tries a TCP connection from inside the app and
 *                           says what happened: under `network.access:
 *                           limited` only allowed_endpoints connect.
 *
 * One request at a time, HTTP/1.0; each request is logged on stdout.
 * SIGTERM or SIGINT ends it with status 0.  */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t done;

static void
on_stop (int sig)
{
  (void)sig;
  done = 1;
}

static void
reply (int fd, const char *status, const char *body)
{
  char head[256];
  int n = snprintf (head, sizeof (head),
                    "HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                    "Connection: close\r\n\r\n",
                    status, strlen (body));
  if (write (fd, head, n) < 0 || write (fd, body, strlen (body)) < 0)
    perror ("write");
}

/* "IP:PORT" → connect, and say how it went.  */
static void
try_connect (const char *target, char *out, size_t n)
{
  char ip[64];
  const char *colon = strrchr (target, ':');
  struct sockaddr_in sa = { .sin_family = AF_INET };
  int fd;
  if (colon == NULL || (size_t)(colon - target) >= sizeof (ip))
    {
      snprintf (out, n, "bad target %s (IP:PORT)\n", target);
      return;
    }
  memcpy (ip, target, colon - target);
  ip[colon - target] = 0;
  sa.sin_port = htons ((unsigned short)atoi (colon + 1));
  if (inet_pton (AF_INET, ip, &sa.sin_addr) != 1)
    {
      snprintf (out, n, "bad address %s\n", ip);
      return;
    }
  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *)&sa, sizeof (sa)) < 0)
    snprintf (out, n, "connect %s: %s\n", target, strerror (errno));
  else
    snprintf (out, n, "connect %s: ok\n", target);
  if (fd >= 0)
    close (fd);
}

static void
serve (int fd)
{
  char req[2048], method[16], path[1024], body[1200];
  size_t len = 0;
  /* The request head: until its blank line (or a full buffer, or EOF).  */
  while (len < sizeof (req) - 1)
    {
      ssize_t n = read (fd, req + len, sizeof (req) - 1 - len);
      if (n <= 0)
        break;
      len += (size_t)n;
      req[len] = 0;
      if (strstr (req, "\r\n\r\n") || strstr (req, "\n\n"))
        break;
    }
  if (len == 0)
    return;
  req[len] = 0;
  if (sscanf (req, "%15s %1023s", method, path) != 2)
    {
      reply (fd, "400 Bad Request", "bad request\n");
      return;
    }
  printf ("%s %s\n", method, path);
  if (strcmp (method, "GET") != 0)
    reply (fd, "405 Method Not Allowed", "GET only\n");
  else if (strcmp (path, "/") == 0)
    reply (fd, "200 OK", "Hello, Web World!\n");
  else if (strncmp (path, "/connect/", 9) == 0)
    {
      try_connect (path + 9, body, sizeof (body));
      reply (fd, "200 OK", body);
    }
  else
    reply (fd, "404 Not Found", "not found\n");
}

int
main (int argc, char **argv)
{
  const char *bind_addr = "127.0.0.1";
  int port = 5000, one = 1, lfd;
  struct sockaddr_in sa = { .sin_family = AF_INET };
  struct sigaction act = { .sa_handler = on_stop };

  for (int i = 1; i + 1 < argc; i += 2)
    if (strcmp (argv[i], "--port") == 0)
      port = atoi (argv[i + 1]);
    else if (strcmp (argv[i], "--bind") == 0)
      bind_addr = argv[i + 1];
  setvbuf (stdout, NULL, _IOLBF, 0);
  sigaction (SIGTERM, &act, NULL); /* no SA_RESTART: accept returns EINTR */
  sigaction (SIGINT, &act, NULL);

  sa.sin_port = htons ((unsigned short)port);
  if (inet_pton (AF_INET, bind_addr, &sa.sin_addr) != 1)
    {
      fprintf (stderr, "webapp: bad address %s\n", bind_addr);
      return 2;
    }
  lfd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0 || setsockopt (lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one)) < 0
      || bind (lfd, (struct sockaddr *)&sa, sizeof (sa)) < 0 || listen (lfd, 16) < 0)
    {
      fprintf (stderr, "webapp: listen on %s:%d: %s\n", bind_addr, port, strerror (errno));
      return 1;
    }
  {
    socklen_t len = sizeof (sa); /* port 0: the one the kernel picked */
    getsockname (lfd, (struct sockaddr *)&sa, &len);
  }
  printf ("listening on http://%s:%d/\n", bind_addr, ntohs (sa.sin_port));
  while (!done)
    {
      int fd = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
      if (fd < 0)
        {
          if (errno == EINTR)
            continue;
          perror ("accept");
          return 1;
        }
      serve (fd);
      /* A lingering close: closing with request bytes still unread would
         send the client a reset that can overtake the answer.  */
      shutdown (fd, SHUT_WR);
      {
        struct timeval tv = { .tv_sec = 1 };
        char buf[512];
        setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof (tv));
        while (read (fd, buf, sizeof (buf)) > 0)
          ;
      }
      close (fd);
    }
  printf ("stopping\n");
  return 0;
}
