/* seccomp-listener: a seccomp notify agent for the tests.
 *
 *   seccomp-listener SOCKET_PATH OUTFILE [ERRNO]
 *
 * Listens on the unix socket SOCKET_PATH (it appears only once listening),
 * accepts ONE connection from the runtime, and writes the container process
 * state JSON it receives to OUTFILE (atomically, by rename).  Then it serves
 * the notifications on the fd that came with it: each syscall's name is
 * appended to OUTFILE.log, one a line, before the answer; the answer is
 * "failed with ERRNO" when ERRNO is given, else "succeeded, returned 0"
 * without the syscall running.  It exits 0 once the notify fd reports that
 * the filtered processes are gone (POLLHUP), 1 on errors, and 2 if all this
 * takes more than 30 seconds.  Messages go to stderr.
 *
 *   seccomp-listener --agent [--pid-file FILE] SOCKET_PATH
 *
 * runc's contrib/cmd/seccompagent, for runc's integration suite
 * (tests/runc-compat): serves any number of containers, each in a child of
 * its own, without a deadline, until killed.  mkdir(PATH) is done by the
 * agent as mkdir(PATH-METADATA) (METADATA: the state's "metadata", the
 * config's listenerMetadata), inside the process's root (or cwd for a
 * relative PATH) with RESOLVE_IN_ROOT; chmod, fchmod and fchmodat fail with
 * ENOMEDIUM; any other syscall continues.  --pid-file: where it writes its
 * pid.  */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/openat2.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#define TIMEOUT_MS 30000
#define MAX_STATE (1024 * 1024)

static const char *socket_path;
static struct timespec start;
static int agent; /* --agent: no deadline */

static void
cleanup_socket (void)
{
  if (socket_path)
    unlink (socket_path);
}

static void __attribute__ ((noreturn, format (printf, 2, 3))) die (int status, const char *fmt, ...)
{
  va_list ap;

  fputs ("seccomp-listener: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  exit (status);
}

/* Milliseconds left before the 30 s deadline; dies when none are.  */
static int
time_left (void)
{
  struct timespec now;
  long long spent;

  if (agent)
    return -1;
  clock_gettime (CLOCK_MONOTONIC, &now);
  spent = (now.tv_sec - start.tv_sec) * 1000LL + (now.tv_nsec - start.tv_nsec) / 1000000;
  if (spent >= TIMEOUT_MS)
    die (2, "timed out after %d s", TIMEOUT_MS / 1000);
  return (int)(TIMEOUT_MS - spent);
}

/* Waits for EVENTS on FD until the deadline; returns revents.  */
static short
wait_for (int fd, short events)
{
  struct pollfd pfd = { .fd = fd, .events = events };
  int n;

  for (;;)
    {
      n = poll (&pfd, 1, time_left ());
      if (n > 0)
        return pfd.revents;
      if (n < 0 && errno != EINTR)
        die (1, "poll: %s", strerror (errno));
    }
}

static int
listen_on (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char tmp[sizeof (addr.sun_path)];
  int fd;

  if (snprintf (tmp, sizeof (tmp), "%s.tmp", path) >= (int)sizeof (tmp))
    die (1, "%s: path too long", path);
  strcpy (addr.sun_path, tmp);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die (1, "socket: %s", strerror (errno));
  unlink (tmp);
  if (bind (fd, (struct sockaddr *)&addr, sizeof (addr)) < 0)
    die (1, "bind %s: %s", tmp, strerror (errno));
  chmod (tmp, 0777);
  if (listen (fd, 16) < 0)
    die (1, "listen: %s", strerror (errno));
  /* Only now does SOCKET_PATH exist: a test may wait for the file.  */
  if (rename (tmp, path) < 0)
    die (1, "rename %s to %s: %s", tmp, path, strerror (errno));
  socket_path = path;
  atexit (cleanup_socket);
  return fd;
}

static void
write_file (const char *path, const char *buf, size_t len)
{
  char tmp[PATH_MAX];
  size_t done = 0;
  ssize_t n;
  int fd;

  if (snprintf (tmp, sizeof (tmp), "%s.tmp", path) >= (int)sizeof (tmp))
    die (1, "%s: path too long", path);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    die (1, "open %s: %s", tmp, strerror (errno));
  while (done < len)
    {
      n = write (fd, buf + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        die (1, "write %s: %s", tmp, strerror (errno));
      done += n;
    }
  if (close (fd) < 0 || rename (tmp, path) < 0)
    die (1, "write %s: %s", path, strerror (errno));
}

/* Accepts one connection; returns the fd that came with it and the
   payload (read until EOF) in *state.  */
/* Whether BUF holds one whole JSON object (braces balanced outside strings). */
static int
json_complete (const char *buf, size_t len)
{
  int depth = 0, in_str = 0, esc = 0, seen = 0;
  for (size_t i = 0; i < len; i++)
    {
      char c = buf[i];
      if (in_str)
        {
          if (esc)
            esc = 0;
          else if (c == '\\')
            esc = 1;
          else if (c == '"')
            in_str = 0;
          continue;
        }
      if (c == '"')
        in_str = 1;
      else if (c == '{')
        depth++, seen = 1;
      else if (c == '}')
        depth--;
    }
  return seen && depth == 0;
}

static int
receive_state (int listen_fd, char **state, size_t *len)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int) * 4)];
    struct cmsghdr align;
  } control;
  struct msghdr mh = { 0 };
  struct cmsghdr *cmsg;
  struct iovec iov;
  char *buf;
  size_t used = 0;
  ssize_t n;
  int conn, notify_fd = -1;

  wait_for (listen_fd, POLLIN);
  conn = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    die (1, "accept: %s", strerror (errno));

  buf = calloc (1, MAX_STATE + 1);
  if (buf == NULL)
    die (1, "out of memory");
  iov.iov_base = buf;
  iov.iov_len = MAX_STATE;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control.buf;
  mh.msg_controllen = sizeof (control.buf);
  wait_for (conn, POLLIN);
  do
    n = recvmsg (conn, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    die (1, "recvmsg: %s", strerror (errno));
  used = n;
  for (cmsg = CMSG_FIRSTHDR (&mh); cmsg != NULL; cmsg = CMSG_NXTHDR (&mh, cmsg))
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS
        && cmsg->cmsg_len >= CMSG_LEN (sizeof (int)))
      memcpy (&notify_fd, CMSG_DATA (cmsg), sizeof (int));
  if (notify_fd < 0)
    die (1, "the runtime sent no file descriptor");

  /* The rest of the payload, if the stream split it; runc keeps the
     connection open, so stop once the JSON object is complete.  */
  while (n > 0 && used < MAX_STATE && !json_complete (buf, used))
    {
      wait_for (conn, POLLIN);
      n = read (conn, buf + used, MAX_STATE - used);
      if (n < 0 && errno == EINTR)
        n = 1;
      else if (n < 0)
        die (1, "read: %s", strerror (errno));
      else
        used += n;
    }
  close (conn);
  *state = buf;
  *len = used;
  return notify_fd;
}

static void
log_syscall (const char *path, const char *name)
{
  char line[256];
  int fd, len;

  len = snprintf (line, sizeof (line), "%s\n", name);
  fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    die (1, "open %s: %s", path, strerror (errno));
  if (write (fd, line, len) != len)
    die (1, "write %s: %s", path, strerror (errno));
  close (fd);
}

/* What the answers say: the first mode's log and errno, or the agent's
   metadata.  */
static const char *log_path;
static int answer_errno;
static char *metadata;

/* The first mode's answer: log the syscall, then succeed or fail.  */
static void
answer_logged (int notify_fd, const struct seccomp_notif *req, const char *name,
               struct seccomp_notif_resp *resp)
{
  (void)notify_fd;
  (void)req;
  log_syscall (log_path, name);
  resp->error = answer_errno ? -answer_errno : 0;
}

/* The NUL-terminated string at ADDR in PID's memory, in BUF.  */
static int
read_string (pid_t pid, unsigned long long addr, char *buf, size_t size)
{
  char mem[64];
  ssize_t n;
  int fd;

  snprintf (mem, sizeof (mem), "/proc/%d/mem", (int)pid);
  fd = open (mem, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  n = pread (fd, buf, size - 1, (off_t)addr);
  close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  return 0;
}

/* mkdir PATH-METADATA inside PID's root (or cwd, for a relative PATH).  */
static int
agent_mkdir (pid_t pid, const char *path, mode_t mode)
{
  struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  char where[64], full[PATH_MAX + 256], dir[sizeof (full)], base[sizeof (full)];
  int root, parent, rc;

  if (snprintf (full, sizeof (full), "%s-%s", path, metadata) >= (int)sizeof (full))
    return -1;
  strcpy (dir, full);
  strcpy (base, full);
  snprintf (where, sizeof (where), "/proc/%d/%s", (int)pid, path[0] == '/' ? "root" : "cwd");
  root = open (where, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return -1;
  parent = (int)syscall (SYS_openat2, root, dirname (dir), &how, sizeof (how));
  close (root);
  if (parent < 0)
    return -1;
  rc = mkdirat (parent, basename (base), mode);
  close (parent);
  return rc;
}

/* runc's seccompagent's answers.  */
static void
answer_agent (int notify_fd, const struct seccomp_notif *req, const char *name,
              struct seccomp_notif_resp *resp)
{
  char path[PATH_MAX];

  if (strcmp (name, "mkdir") == 0)
    {
      if (read_string (req->pid, req->data.args[0], path, sizeof (path)) < 0
          || seccomp_notify_id_valid (notify_fd, req->id) < 0
          || agent_mkdir (req->pid, path, (mode_t)req->data.args[1]) < 0)
        {
          resp->error = -ENOSYS;
          resp->val = -1;
        }
    }
  else if (!strcmp (name, "chmod") || !strcmp (name, "fchmod") || !strcmp (name, "fchmodat"))
    {
      resp->error = -ENOMEDIUM;
      resp->val = -1;
    }
  else
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
}

static void
serve_notifications (int notify_fd, void (*answer) (int, const struct seccomp_notif *, const char *,
                                                    struct seccomp_notif_resp *))
{
  struct seccomp_notif *req = NULL;
  struct seccomp_notif_resp *resp = NULL;
  int rc;

  rc = seccomp_notify_alloc (&req, &resp);
  if (rc < 0)
    die (1, "seccomp_notify_alloc: %s", strerror (-rc));
  for (;;)
    {
      short revents = wait_for (notify_fd, POLLIN);
      char *name, num[32];

      if (!(revents & POLLIN))
        {
          if (revents & (POLLHUP | POLLERR | POLLNVAL))
            break;
          continue;
        }
      memset (req, 0, sizeof (*req));
      rc = seccomp_notify_receive (notify_fd, req);
      if (rc < 0)
        {
          /* The target died between poll and receive.  */
          if (rc == -ENOENT || rc == -EINTR)
            continue;
          die (1, "seccomp_notify_receive: %s", strerror (-rc));
        }
      name = seccomp_syscall_resolve_num_arch (req->data.arch, req->data.nr);
      snprintf (num, sizeof (num), "%d", req->data.nr);

      memset (resp, 0, sizeof (*resp));
      resp->id = req->id;
      answer (notify_fd, req, name ? name : num, resp);
      free (name);
      rc = seccomp_notify_respond (notify_fd, resp);
      if (rc < 0 && rc != -ENOENT)
        die (1, "seccomp_notify_respond: %s", strerror (-rc));
    }
  seccomp_notify_free (req, resp);
}

/* --agent: each connection served by a child of its own.  */
static int
run_agent (int argc, char **argv)
{
  const char *pid_file = NULL;
  int listen_fd;

  agent = 1;
  /* As recvtty: nothing of the test's shell held open (bats's fd 3).  */
  close_range (3, ~0U, 0);
  if (argc == 4 && strcmp (argv[1], "--pid-file") == 0)
    pid_file = argv[2];
  else if (argc != 2)
    die (1, "usage: seccomp-listener --agent [--pid-file FILE] SOCKET_PATH");
  signal (SIGCHLD, SIG_IGN);
  if (pid_file)
    {
      char pid[32];
      int n = snprintf (pid, sizeof (pid), "%d\n", (int)getpid ());
      write_file (pid_file, pid, n);
    }
  listen_fd = listen_on (argv[argc - 1]);
  for (;;)
    {
      yajl_val tree, md;
      const char *md_path[] = { "metadata", NULL };
      char *state = NULL;
      size_t len = 0;
      int notify_fd = receive_state (listen_fd, &state, &len);
      pid_t child = fork ();

      if (child != 0)
        {
          close (notify_fd);
          free (state);
          continue;
        }
      /* The agent is one service, as runc's (one process): killing it
         (the pid file's pid) ends every connection.  */
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (getppid () == 1)
        _exit (0);
      socket_path = NULL; /* the child leaves the socket alone */
      close (listen_fd);
      tree = yajl_tree_parse (state, NULL, 0);
      md = tree ? yajl_tree_get (tree, md_path, yajl_t_string) : NULL;
      metadata = strdup (md && md->u.string ? md->u.string : "");
      yajl_tree_free (tree);
      serve_notifications (notify_fd, answer_agent);
      _exit (0);
    }
}

int
main (int argc, char **argv)
{
  const char *out_path;
  char *state = NULL, *log = NULL, *end = NULL;
  size_t len = 0;
  int listen_fd, notify_fd;

  if (argc >= 2 && strcmp (argv[1], "--agent") == 0)
    return run_agent (argc - 1, argv + 1);
  if (argc < 3 || argc > 4)
    {
      fprintf (stderr, "usage: %s SOCKET_PATH OUTFILE [ERRNO]\n", argv[0]);
      return 1;
    }
  out_path = argv[2];
  if (argc == 4)
    {
      long v = strtol (argv[3], &end, 10);
      if (end == argv[3] || *end != '\0' || v < 0 || v > 4095)
        die (1, "ERRNO: expected a number from 0 to 4095, got \"%s\"", argv[3]);
      answer_errno = (int)v;
    }
  if (asprintf (&log, "%s.log", out_path) < 0)
    die (1, "out of memory");
  clock_gettime (CLOCK_MONOTONIC, &start);

  listen_fd = listen_on (argv[1]);
  notify_fd = receive_state (listen_fd, &state, &len);
  close (listen_fd);
  cleanup_socket ();
  socket_path = NULL;
  write_file (out_path, state, len);
  log_path = log;
  serve_notifications (notify_fd, answer_logged);
  close (notify_fd);
  free (state);
  free (log);
  return 0;
}
