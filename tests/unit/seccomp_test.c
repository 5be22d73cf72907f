/* tests/unit/seccomp_test.c: libcontainer/seccomp.c.
 *
 * Parses good and bad linux.seccomp snippets (checking the exact error
 * messages), then loads filters in forked children and checks what they see:
 * ERRNO with errnoRet, KILL_PROCESS, argument conditions, and a NOTIFY rule
 * answered by a listener in this process, then by tests/bin/seccomp-listener
 * (the path in $SECCOMP_LISTENER).  Parts (check.h): parse-errors, parse-ok,
 * load, notify and listener (seccomp user notification: Linux 5.0 and
 * libseccomp 2.5), send-errors.  No root needed.  Built by make check as
 * tests/bin/seccomp_test; run by make check (tests/bats/unit.bats).  */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#ifndef SCMP_VER_MAJOR
#include <../include/seccomp.h>
#endif
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "error.h"
#include "seccomp.h"
#include "utils.h"

#include "check.h"

/* Parses JSON as linux.seccomp.  Returns 0 with *out, or -1 with *err.  */
static int
parse (const char *json, struct mk_seccomp **out, mk_error **err)
{
  char errbuf[256];
  yajl_val node;
  int rc;

  node = yajl_tree_parse (json, errbuf, sizeof (errbuf));
  if (node == NULL)
    {
      fprintf (stderr, "test bug: bad JSON %s: %s\n", json, errbuf);
      exit (2);
    }
  rc = mk_seccomp_parse (node, "linux.seccomp", out, err);
  yajl_tree_free (node);
  return rc;
}

static void
expect_error (const char *json, const char *message)
{
  struct mk_seccomp *s = NULL;
  mk_error *err = NULL;
  int rc;

  rc = parse (json, &s, &err);
  if (rc == 0)
    CHECK_MSG (false, "parse should fail with '%s': %s", message, json);
  else
    CHECK_MSG (err && err->msg && strcmp (err->msg, message) == 0, "error '%s' (got '%s')", message,
               err && err->msg ? err->msg : "(null)");
  mk_seccomp_free (s);
  mk_error_free (err);
}

static void
expect_ok (const char *what, const char *json)
{
  struct mk_seccomp *s = NULL;
  mk_error *err = NULL;

  CHECK_MSG (parse (json, &s, &err) == 0, "parse %s%s%s", what, err ? ": " : "",
             err ? err->msg : "");
  mk_seccomp_free (s);
  mk_error_free (err);
}

static const char *
part_parse_errors (void)
{
  expect_error ("{\"defaultAction\": 1}", "linux.seccomp.defaultAction: expected a string");
  expect_error ("{}", "linux.seccomp.defaultAction: missing");
  expect_error ("[]", "linux.seccomp: expected an object");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_NOPE\"}",
                "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                "{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\"},"
                "{\"names\": [\"chdir\"], \"action\": \"SCMP_ACT_LOG\"},"
                "{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_FOO\"}]}",
                "linux.seccomp.syscalls[2].action: unknown action \"SCMP_ACT_FOO\"");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
                "[{\"names\": [\"getcwd\"]}]}",
                "linux.seccomp.syscalls[0].action: missing");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
                "[{\"names\": \"getcwd\", \"action\": \"SCMP_ACT_ERRNO\"}]}",
                "linux.seccomp.syscalls[0].names: expected an array of strings");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
                "[{\"names\": [\"getcwd\", 3], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                "linux.seccomp.syscalls[0].names[1]: expected a string");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}",
                "linux.seccomp.syscalls: expected an array");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
                "[{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]}",
                "linux.seccomp.syscalls[0].errnoRet: not valid with action SCMP_ACT_ALLOW "
                "(only with SCMP_ACT_ERRNO and SCMP_ACT_TRACE)");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
                "[{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": -1}]}",
                "linux.seccomp.syscalls[0].errnoRet: expected an unsigned integer");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": \"1\"}",
                "linux.seccomp.defaultErrnoRet: expected an unsigned integer");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 70000}",
                "linux.seccomp.defaultErrnoRet: 70000 is out of range (0-65535)");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", "
                "\"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_VAX\"]}",
                "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": \"SCMP_ARCH_X86\"}",
                "linux.seccomp.architectures: expected an array of strings");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_FOO\"]}",
                "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\"");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                "[\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, "
                "\"value\": 1, \"op\": \"SCMP_CMP_FOO\"}]}]}",
                "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_FOO\"");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                "[\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, "
                "\"value\": 1, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 6, \"value\": 1, "
                "\"op\": \"SCMP_CMP_EQ\"}]}]}",
                "linux.seccomp.syscalls[0].args[1].index: 6 is out of range (0-5)");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                "[\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, "
                "\"value\": -1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                "linux.seccomp.syscalls[0].args[0].value: expected an unsigned integer");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                "[\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, "
                "\"op\": \"SCMP_CMP_EQ\"}]}]}",
                "linux.seccomp.syscalls[0].args[0].value: missing");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
                "[{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"listenerPath\": \"/tmp/x\"}",
                "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  expect_error (
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/tmp/x\", "
      "\"syscalls\": [{\"names\": [\"read\", \"write\"], \"action\": "
      "\"SCMP_ACT_NOTIFY\"}]}",
      "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for the write syscall");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": 5}",
                "linux.seccomp.listenerPath: expected a string");
#if SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR < 6
  {
    char msg[256];
    snprintf (msg, sizeof (msg),
              "linux.seccomp.flags[1]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs libseccomp "
              ">= 2.6 (built with %d.%d.%d): %s",
              SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO, strerror (EOPNOTSUPP));
    expect_error (
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\", "
        "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}",
        msg);
  }
#endif
  return NULL;
}

static const char *
part_parse_ok (void)
{
  expect_ok ("every action",
             "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/tmp/x\", \"syscalls\": ["
             "{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_KILL\"},"
             "{\"names\": [\"chdir\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},"
             "{\"names\": [\"fchdir\"], \"action\": \"SCMP_ACT_KILL_THREAD\"},"
             "{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_TRAP\"},"
             "{\"names\": [\"rmdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5},"
             "{\"names\": [\"link\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 5},"
             "{\"names\": [\"unlink\"], \"action\": \"SCMP_ACT_LOG\"},"
             "{\"names\": [\"symlink\"], \"action\": \"SCMP_ACT_NOTIFY\"},"
             "{\"names\": [\"open\"], \"action\": \"SCMP_ACT_ALLOW\"}]}");
  expect_ok ("unknown syscall names are skipped",
             "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": "
             "[\"no_such_syscall_ever\", \"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}");
  expect_ok (
      "docker-like architectures and flags",
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1, "
      "\"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\", "
      "\"SCMP_ARCH_AARCH64\", \"SCMP_ARCH_ARM\"], \"flags\": [\"SECCOMP_FILTER_FLAG_TSYNC\", "
      "\"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"], "
      "\"syscalls\": [{\"names\": [\"read\", \"write\", \"socketcall\", \"clone3\"], "
      "\"action\": \"SCMP_ACT_ALLOW\"}]}");
  expect_ok ("u64 argument values and valueTwo",
             "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"ioctl\"], "
             "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"value\": "
             "18446744073709551615, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 2, \"value\": 255, "
             "\"valueTwo\": 18, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}");
  expect_ok ("rule with the default action is skipped",
             "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
             "\"action\": \"SCMP_ACT_ERRNO\"}, {\"names\": [\"getcwd\"], \"action\": "
             "\"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}");
  expect_ok ("null args, empty names, no syscalls",
             "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [], "
             "\"action\": \"SCMP_ACT_LOG\", \"args\": null}]}");

  {
    const char *const *a = mk_seccomp_known_actions ();
    const char *const *f = mk_seccomp_known_flags ();
    const char *const *r = mk_seccomp_known_archs ();
    size_t na = 0, nf = 0, nr = 0;
    bool has_x86_64 = false;

    while (a[na])
      na++;
    while (f[nf])
      nf++;
    for (; r[nr]; nr++)
      if (strcmp (r[nr], "SCMP_ARCH_X86_64") == 0)
        has_x86_64 = true;
    CHECK_MSG (na == 9 && nf >= 3 && nr >= 19 && has_x86_64,
               "features lists: %zu actions, %zu flags, %zu architectures", na, nf, nr);
  }
  return NULL;
}

/* Loads S in a child that then runs FN; returns the child's wait status.  */
static int
run_child (struct mk_seccomp *s, int (*fn) (void *), void *data)
{
  int status = 0;
  pid_t pid;

  fflush (stdout);
  pid = fork ();
  if (pid < 0)
    {
      perror ("fork");
      exit (2);
    }
  if (pid == 0)
    {
      mk_error *err = NULL;
      int fd;

      if (geteuid () != 0)
        prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (mk_seccomp_load (s, &fd, &err) < 0)
        {
          fprintf (stderr, "child: %s\n", err->msg);
          _exit (100);
        }
      if (fd >= 0)
        close (fd);
      _exit (fn (data));
    }
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  return status;
}

static struct mk_seccomp *
must_parse (const char *json)
{
  struct mk_seccomp *s = NULL;
  mk_error *err = NULL;

  if (parse (json, &s, &err) < 0)
    {
      CHECK_MSG (false, "parse %s: %s", json, err->msg);
      mk_error_free (err);
      return NULL;
    }
  return s;
}

static const char *tmpdir;

static int
child_mkdir_errno (void *data)
{
  char path[4096];
  int r;

  snprintf (path, sizeof (path), "%s/errno-dir", tmpdir);
  r = mkdir (path, 0755);
  if (r != -1 || errno != 38)
    return 1;
  /* Not filtered.  */
  if (rmdir ("/nonexistent-mkrun-dir") == 0 || errno != ENOENT)
    return 2;
  return 0;
}

static int
child_default_eperm (void *data)
{
  char path[4096];

  snprintf (path, sizeof (path), "%s/eperm-dir", tmpdir);
  return mkdir (path, 0755) == -1 && errno == EPERM ? 0 : 1;
}

static int
child_getppid (void *data)
{
  syscall (SYS_getppid);
  return 0;
}

static int
child_args (void *data)
{
  /* personality: ERRNO 33 for 8 or 0x20000 (two conditions on arg0 → two
     rules).  */
  errno = 0;
  if (syscall (SYS_personality, 0xffffffffUL) == -1)
    return 1;
  if (syscall (SYS_personality, 8UL) != -1 || errno != 33)
    return 2;
  if (syscall (SYS_personality, 0x20000UL) != -1 || errno != 33)
    return 3;
  /* getpriority: arg1 & 0xff == 0x42 → ERRNO 34; arg0 > 5 → ERRNO 35.  */
  if (syscall (SYS_getpriority, 0, 0x7fff42) != -1 || errno != 34)
    return 4;
  errno = 0;
  if (syscall (SYS_getpriority, 0, 0) == -1)
    return 5;
  if (syscall (SYS_getpriority, 7, 0) != -1 || errno != 35)
    return 6;
  if (syscall (SYS_getpriority, 3, 0) != -1 || errno != EINVAL)
    return 7;
  return 0;
}

static int
child_personality_query_only (void *data)
{
  if (syscall (SYS_personality, 0xffffffffUL) == -1)
    return 1;
  if (syscall (SYS_personality, 0UL) != -1 || errno != EPERM)
    return 2;
  return 0;
}

static void
check_exit (int status, const char *what)
{
  CHECK_MSG (WIFEXITED (status) && WEXITSTATUS (status) == 0, "%s (status 0x%x)", what, status);
}

static const char *
part_load (void)
{
  struct mk_seccomp *s;
  int status;

  s = must_parse ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                  "[\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}]}");
  if (s)
    {
      CHECK_MSG (!mk_seccomp_has_notify (s), "no notify without NOTIFY rules");
      check_exit (run_child (s, child_mkdir_errno, NULL), "mkdir gets errnoRet 38");
      mk_seccomp_free (s);
    }

  s = must_parse ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                  "[\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");
  if (s)
    {
      check_exit (run_child (s, child_default_eperm, NULL), "ERRNO defaults to EPERM");
      mk_seccomp_free (s);
    }

  s = must_parse ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                  "[\"getppid\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"}]}");
  if (s)
    {
      status = run_child (s, child_getppid, NULL);
      CHECK_MSG (WIFSIGNALED (status) && WTERMSIG (status) == SIGSYS,
                 "KILL_PROCESS kills with SIGSYS (status 0x%x)", status);
      mk_seccomp_free (s);
    }

  s = must_parse (
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
      "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 33, "
      " \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"},"
      "            {\"index\": 0, \"value\": 131072, \"op\": \"SCMP_CMP_EQ\"}]},"
      "{\"names\": [\"getpriority\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 34, "
      " \"args\": [{\"index\": 1, \"value\": 255, \"valueTwo\": 66, \"op\": "
      "\"SCMP_CMP_MASKED_EQ\"}]},"
      "{\"names\": [\"getpriority\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 35, "
      " \"args\": [{\"index\": 0, \"value\": 5, \"op\": \"SCMP_CMP_GT\"}]}]}");
  if (s)
    {
      check_exit (run_child (s, child_args, NULL), "argument conditions (EQ x2, MASKED_EQ, GT)");
      mk_seccomp_free (s);
    }

  s = must_parse ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                  "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", "
                  " \"args\": [{\"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_NE\"}]}]}");
  if (s)
    {
      check_exit (run_child (s, child_personality_query_only, NULL),
                  "personality(0xffffffff) allowed, personality(0) EPERM (NE)");
      mk_seccomp_free (s);
    }
  return NULL;
}

/* NOTIFY: the child loads the filter and sends the fd to our listener, as
   the runtime does; we answer its mkdir (success without doing it) and its
   rmdir (EXDEV).  */

static struct mk_seccomp *notify_filter;

static int
child_notify (void *data)
{
  char path[4096];
  struct stat st;

  snprintf (path, sizeof (path), "%s/notified-dir", tmpdir);
  errno = 0;
  if (mkdir (path, 0755) != 0)
    return 10;
  if (stat (path, &st) == 0 || errno != ENOENT)
    return 11;
  if (rmdir (tmpdir) != -1 || errno != EXDEV)
    return 12;
  return 0;
}

static pid_t
fork_notify_child (void)
{
  pid_t pid;

  fflush (stdout);
  pid = fork ();
  if (pid < 0)
    {
      perror ("fork");
      exit (2);
    }
  if (pid == 0)
    {
      mk_error *err = NULL;
      int fd;

      if (geteuid () != 0)
        prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (mk_seccomp_load (notify_filter, &fd, &err) < 0)
        {
          fprintf (stderr, "child: %s\n", err->msg);
          _exit (100);
        }
      if (fd < 0)
        _exit (101);
      if (mk_seccomp_send_listener (notify_filter, fd, getpid (),
                                    "{\"ociVersion\": \"1.3.0\", \"id\": \"c1\", \"status\": "
                                    "\"creating\", \"pid\": 1, \"bundle\": \"/b\", "
                                    "\"annotations\": {\"a\": \"b\"}}",
                                    &err)
          < 0)
        {
          fprintf (stderr, "child: %s\n", err->msg);
          _exit (102);
        }
      close (fd);
      _exit (child_notify (NULL));
    }
  return pid;
}

static int
receive_listener (int listen_fd, char *buf, size_t size, int *fd_out)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct msghdr mh = { 0 };
  struct cmsghdr *cmsg;
  struct iovec iov = { buf, size - 1 };
  size_t len = 0;
  ssize_t n;
  int conn;

  conn = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    return -1;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control.buf;
  mh.msg_controllen = sizeof (control.buf);
  n = recvmsg (conn, &mh, MSG_CMSG_CLOEXEC);
  if (n <= 0)
    return -1;
  len = n;
  *fd_out = -1;
  for (cmsg = CMSG_FIRSTHDR (&mh); cmsg; cmsg = CMSG_NXTHDR (&mh, cmsg))
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
      memcpy (fd_out, CMSG_DATA (cmsg), sizeof (int));
  while (len < size - 1 && (n = read (conn, buf + len, size - 1 - len)) > 0)
    len += n;
  buf[len] = '\0';
  close (conn);
  return *fd_out >= 0 ? 0 : -1;
}

static void
test_notify (void)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct seccomp_notif *req = NULL;
  struct seccomp_notif_resp *resp = NULL;
  char json[8192], buf[8192], errbuf[256];
  yajl_val state = NULL;
  int listen_fd, notify_fd = -1, answered = 0, status = 0;
  pid_t pid;

  snprintf (addr.sun_path, sizeof (addr.sun_path), "%s/listener.sock", tmpdir);
  listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd < 0 || bind (listen_fd, (struct sockaddr *)&addr, sizeof (addr)) < 0
      || listen (listen_fd, 1) < 0)
    {
      CHECK_MSG (false, "notify: listen on %s: %s", addr.sun_path, strerror (errno));
      return;
    }
  snprintf (json, sizeof (json),
            "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"%s\", "
            "\"listenerMetadata\": \"hello meta\", \"syscalls\": [{\"names\": "
            "[\"mkdir\", \"mkdirat\", \"rmdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
            addr.sun_path);
  notify_filter = must_parse (json);
  if (notify_filter == NULL)
    return;
  CHECK_MSG (mk_seccomp_has_notify (notify_filter), "has_notify with a NOTIFY rule");
  CHECK_MSG (strcmp (mk_seccomp_listener_path (notify_filter), addr.sun_path) == 0
                 && strcmp (mk_seccomp_listener_metadata (notify_filter), "hello meta") == 0,
             "listener path and metadata");

  pid = fork_notify_child ();
  if (receive_listener (listen_fd, buf, sizeof (buf), &notify_fd) < 0)
    {
      CHECK_MSG (false, "notify: receive the state and fd: %s", strerror (errno));
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return;
    }
  state = yajl_tree_parse (buf, errbuf, sizeof (errbuf));
  {
    const char *p_ver[] = { "ociVersion", NULL };
    const char *p_fds[] = { "fds", NULL };
    const char *p_pid[] = { "pid", NULL };
    const char *p_meta[] = { "metadata", NULL };
    const char *p_id[] = { "state", "id", NULL };
    const char *p_ann[] = { "state", "annotations", "a", NULL };
    yajl_val fds = yajl_tree_get (state, p_fds, yajl_t_array);
    yajl_val v_pid = yajl_tree_get (state, p_pid, yajl_t_number);

    CHECK_MSG (
        state != NULL
            && strcmp (YAJL_GET_STRING (yajl_tree_get (state, p_ver, yajl_t_string)) ?: "", "1.3.0")
                   == 0
            && fds && fds->u.array.len == 1
            && strcmp (YAJL_GET_STRING (fds->u.array.values[0]) ?: "", "seccompFd") == 0 && v_pid
            && YAJL_GET_INTEGER (v_pid) == pid
            && strcmp (YAJL_GET_STRING (yajl_tree_get (state, p_meta, yajl_t_string)) ?: "",
                       "hello meta")
                   == 0
            && strcmp (YAJL_GET_STRING (yajl_tree_get (state, p_id, yajl_t_string)) ?: "", "c1")
                   == 0
            && strcmp (YAJL_GET_STRING (yajl_tree_get (state, p_ann, yajl_t_string)) ?: "", "b")
                   == 0,
        "container process state: %s", buf);
  }
  yajl_tree_free (state);

  if (seccomp_notify_alloc (&req, &resp) < 0)
    {
      CHECK_MSG (false, "seccomp_notify_alloc");
      return;
    }
  while (answered < 2)
    {
      struct pollfd pfd = { .fd = notify_fd, .events = POLLIN };
      char *name;

      if (poll (&pfd, 1, 10000) <= 0 || !(pfd.revents & POLLIN))
        break;
      memset (req, 0, sizeof (*req));
      if (seccomp_notify_receive (notify_fd, req) < 0)
        break;
      name = seccomp_syscall_resolve_num_arch (req->data.arch, req->data.nr);
      memset (resp, 0, sizeof (*resp));
      resp->id = req->id;
      resp->val = 0;
      resp->error = name && strcmp (name, "rmdir") == 0 ? -EXDEV : 0;
      free (name);
      if (seccomp_notify_respond (notify_fd, resp) < 0)
        break;
      answered++;
    }
  seccomp_notify_free (req, resp);
  CHECK_MSG (answered == 2, "listener answered %d notifications", answered);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  check_exit (status, "child saw the listener's answers (mkdir 0 without a dir, rmdir EXDEV)");
  {
    /* With the target gone, the notify fd reports POLLHUP.  */
    struct pollfd pfd = { .fd = notify_fd, .events = POLLIN };
    CHECK_MSG (poll (&pfd, 1, 5000) == 1 && (pfd.revents & POLLHUP),
               "notify fd hangs up after exit");
  }
  close (notify_fd);
  close (listen_fd);
  unlink (addr.sun_path);
  mk_seccomp_free (notify_filter);
}

static void
test_send_errors (void)
{
  struct mk_seccomp *s;
  mk_error *err = NULL;
  char json[4096], expected[4200];

  snprintf (json, sizeof (json),
            "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"%s/nobody.sock\"}",
            tmpdir);
  s = must_parse (json);
  if (s == NULL)
    return;
  snprintf (
      expected, sizeof (expected),
      "linux.seccomp.listenerPath: failed to connect with seccomp agent at %s/nobody.sock: %s",
      tmpdir, strerror (ENOENT));
  /* It closes the fd it is given, in every case: not one of ours.  */
  mk_seccomp_send_listener (s, open ("/dev/null", O_RDONLY | O_CLOEXEC), 1, "{\"id\": \"c1\"}",
                            &err);
  CHECK_MSG (err && strcmp (err->msg, expected) == 0, "send to a missing listener: '%s'",
             err ? err->msg : "(no error)");
  mk_error_free (err);
  err = NULL;
  mk_seccomp_send_listener (s, open ("/dev/null", O_RDONLY | O_CLOEXEC), 1, "[1]", &err);
  CHECK_MSG (err && strstr (err->msg, "container state is not a JSON object") != NULL,
             "send a non-object state: '%s'", err ? err->msg : "(no error)");
  mk_error_free (err);
  mk_seccomp_free (s);
}

/* tests/bin-src/seccomp-listener, when $SECCOMP_LISTENER names it: a child
   sends it the fd and makes two notified mkdir calls; the listener answers
   them (0, or ANSWER_ERRNO), logs them, writes the state and exits by itself
   once the child is gone.  */
static void
test_listener_binary (const char *listener, int answer_errno)
{
  char sock[4096], out[4096], log[4200], json[8192], buf[8192], arg[16];
  struct mk_seccomp *s;
  struct stat st;
  pid_t lpid, cpid;
  int i, status = 0, lstatus = 0, fd;
  ssize_t n;

  snprintf (sock, sizeof (sock), "%s/bin-%d.sock", tmpdir, answer_errno);
  snprintf (out, sizeof (out), "%s/bin-%d.json", tmpdir, answer_errno);
  snprintf (log, sizeof (log), "%s.log", out);
  snprintf (arg, sizeof (arg), "%d", answer_errno);
  snprintf (json, sizeof (json),
            "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"%s\", "
            "\"listenerMetadata\": \"m=1\", \"syscalls\": [{\"names\": "
            "[\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
            sock);
  s = must_parse (json);
  if (s == NULL)
    return;

  fflush (stdout);
  lpid = fork ();
  if (lpid == 0)
    {
      if (answer_errno)
        execl (listener, listener, sock, out, arg, (char *)NULL);
      else
        execl (listener, listener, sock, out, (char *)NULL);
      _exit (127);
    }
  for (i = 0; i < 500 && stat (sock, &st) < 0; i++)
    usleep (10000);

  cpid = fork ();
  if (cpid == 0)
    {
      mk_error *err = NULL;
      char path[4200];
      int nfd, r1, r2, e1;

      if (geteuid () != 0)
        prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (mk_seccomp_load (s, &nfd, &err) < 0
          || mk_seccomp_send_listener (s, nfd, getpid (), "{\"id\": \"c2\"}", &err) < 0)
        {
          fprintf (stderr, "child: %s\n", err->msg);
          _exit (100);
        }
      close (nfd);
      snprintf (path, sizeof (path), "%s/bin-dir", tmpdir);
      errno = 0;
      r1 = mkdir (path, 0755);
      e1 = errno;
      r2 = mkdir (path, 0755);
      if (answer_errno == 0)
        _exit (r1 == 0 && r2 == 0 && stat (path, &st) < 0 ? 0 : 1);
      _exit (r1 == -1 && e1 == answer_errno && r2 == -1 && stat (path, &st) < 0 ? 0 : 2);
    }
  while (waitpid (cpid, &status, 0) < 0 && errno == EINTR)
    ;
  while (waitpid (lpid, &lstatus, 0) < 0 && errno == EINTR)
    ;
  check_exit (status, answer_errno ? "seccomp-listener ERRNO: child saw the errno"
                                   : "seccomp-listener: child saw success without a dir");
  check_exit (lstatus, "seccomp-listener exited 0 by itself");

  buf[0] = '\0';
  fd = open (out, O_RDONLY);
  n = fd >= 0 ? read (fd, buf, sizeof (buf) - 1) : -1;
  buf[n > 0 ? n : 0] = '\0';
  if (fd >= 0)
    close (fd);
  {
    char pid_field[64];
    snprintf (pid_field, sizeof (pid_field), "\"pid\":%d,", (int)cpid);
    CHECK_MSG (strstr (buf, pid_field) && strstr (buf, "\"metadata\":\"m=1\"")
                   && strstr (buf, "\"state\":{\"id\":\"c2\"}"),
               "seccomp-listener OUTFILE: %s", buf);
  }
  fd = open (log, O_RDONLY);
  n = fd >= 0 ? read (fd, buf, sizeof (buf) - 1) : -1;
  buf[n > 0 ? n : 0] = '\0';
  if (fd >= 0)
    close (fd);
  CHECK_MSG (strcmp (buf, "mkdir\nmkdir\n") == 0 || strcmp (buf, "mkdirat\nmkdirat\n") == 0,
             "seccomp-listener OUTFILE.log lists the syscalls: %s", buf);
  unlink (out);
  unlink (log);
  CHECK_MSG (stat (sock, &st) < 0, "seccomp-listener removed its socket");
  mk_seccomp_free (s);
}

/* Why this host cannot run a NOTIFY rule, or NULL.  */
static const char *
notify_unsupported (void)
{
  unsigned level = seccomp_api_get ();
  if (level < 5)
    return check_skip ("seccomp user notification: libseccomp reports API level %u, 5 needed "
                       "(Linux 5.0, libseccomp 2.5)",
                       level);
  return NULL;
}

static const char *
part_notify (void)
{
  const char *why = notify_unsupported ();
  if (why)
    return why;
  test_notify ();
  return NULL;
}

static const char *
part_send_errors (void)
{
  test_send_errors ();
  return NULL;
}

static const char *
part_listener (void)
{
  const char *listener = getenv ("SECCOMP_LISTENER"), *why = notify_unsupported ();
  if (why)
    return why;
  if (listener == NULL || listener[0] == '\0')
    return check_skip ("set SECCOMP_LISTENER to tests/bin/seccomp-listener");
  test_listener_binary (listener, 0);
  test_listener_binary (listener, EACCES);
  return NULL;
}

int
main (int argc, char **argv)
{
  static const struct check_part parts[] = {
    { "parse-errors", part_parse_errors },
    { "parse-ok", part_parse_ok },
    { "load", part_load },
    { "notify", part_notify },
    { "send-errors", part_send_errors },
    { "listener", part_listener },
  };
  char template[] = "/tmp/mkrun-seccomp-test.XXXXXX";
  int ret;

  alarm (60);
  tmpdir = mkdtemp (template);
  if (tmpdir == NULL)
    {
      perror ("mkdtemp");
      return 2;
    }
  ret = check_main (argc, argv, parts, MK_ARRAY_SIZE (parts));
  rmdir (tmpdir);
  return ret;
}
