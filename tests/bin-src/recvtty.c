/* recvtty: a console socket for the tests.  `recvtty SOCKET` listens on
   SOCKET, accepts one connection, receives the pty master sent with
   SCM_RIGHTS (as mkrun --console-socket does), and copies what the pty
   prints to stdout until the other side closes.  */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char name[128], cbuf[CMSG_SPACE (sizeof (int))], buf[4096];
  struct iovec iov = { name, sizeof (name) };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                        .msg_controllen = sizeof (cbuf) };
  int s, c, master = -1;
  ssize_t n;

  if (argc != 2 || strlen (argv[1]) >= sizeof (addr.sun_path))
    {
      fprintf (stderr, "usage: recvtty SOCKET\n");
      return 2;
    }
  strcpy (addr.sun_path, argv[1]);
  s = socket (AF_UNIX, SOCK_STREAM, 0);
  unlink (argv[1]);
  if (s < 0 || bind (s, (struct sockaddr *) &addr, sizeof (addr)) < 0 || listen (s, 1) < 0)
    {
      perror ("recvtty: listen");
      return 1;
    }
  c = accept (s, NULL, NULL);
  if (c < 0 || recvmsg (c, &msg, 0) < 0)
    {
      perror ("recvtty: receive");
      return 1;
    }
  for (struct cmsghdr *h = CMSG_FIRSTHDR (&msg); h; h = CMSG_NXTHDR (&msg, h))
    if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
      memcpy (&master, CMSG_DATA (h), sizeof (int));
  close (c);
  close (s);
  unlink (argv[1]);
  if (master < 0)
    {
      fprintf (stderr, "recvtty: no descriptor received\n");
      return 1;
    }
  while ((n = read (master, buf, sizeof (buf))) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && write (1, buf, n) != n)
      break;
  return 0;
}
