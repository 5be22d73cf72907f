/* hooks.c: see hooks.h.  */
#include "config.h"

#include "hooks.h"
#include "utils.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Waits for PID up to TIMEOUT seconds (0: forever).  Returns the wait
   status, or -2 on timeout (the hook is killed).  */
static int
wait_hook (pid_t pid, int timeout)
{
  _cleanup_close_ int pfd = mk_pidfd_open (pid);
  long long deadline = timeout ? now_ms () + timeout * 1000LL : 0;
  int status;

  for (;;)
    {
      pid_t r = waitpid (pid, &status, timeout ? WNOHANG : 0);
      long long left;
      if (r == pid)
        return status;
      if (r < 0 && errno != EINTR)
        return -1;
      if (!timeout)
        continue;
      left = deadline - now_ms ();
      if (left <= 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, &status, 0);
          return -2;
        }
      if (pfd >= 0)
        {
          struct pollfd p = { pfd, POLLIN, 0 };
          poll (&p, 1, (int) left);
        }
      else
        {
          struct timespec ts = { 0, 5 * 1000 * 1000 };
          nanosleep (&ts, NULL);
        }
    }
}

static int
run_one (const struct mk_hook *h, const char *where, const char *state_json, mk_error **err)
{
  int pipefd[2];
  pid_t pid;
  int status;
  char *const empty[] = { NULL };
  char *argv0[] = { h->path, NULL };

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return mk_error_set (err, errno, "%s: pipe", where);
  pid = fork ();
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return mk_error_set (err, errno, "%s: fork", where);
    }
  if (pid == 0)
    {
      sigset_t all;
      sigemptyset (&all);
      sigprocmask (SIG_SETMASK, &all, NULL);
      dup2 (pipefd[0], 0);
      execve (h->path, h->args ? h->args : argv0, h->env ? h->env : empty);
      _exit (127);
    }
  close (pipefd[0]);
  /* A hook may not read its stdin: ignore EPIPE.  */
  {
    struct sigaction ign = { .sa_handler = SIG_IGN }, old;
    sigaction (SIGPIPE, &ign, &old);
    mk_write_all (pipefd[1], state_json, strlen (state_json));
    sigaction (SIGPIPE, &old, NULL);
  }
  close (pipefd[1]);
  status = wait_hook (pid, h->timeout);
  if (status == -2)
    return mk_error_set (err, 0, "%s: error running hook `%s`: timed out after %d s", where,
                         h->path, h->timeout);
  if (status == -1)
    return mk_error_set (err, errno, "%s: wait for `%s`", where, h->path);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127 && access (h->path, X_OK) < 0)
    return mk_error_set (err, errno, "%s: `%s`", where, h->path);
  if (WIFEXITED (status) && WEXITSTATUS (status) != 0)
    return mk_error_set (err, 0, "%s: error running hook `%s`: exited with status %d", where,
                         h->path, WEXITSTATUS (status));
  if (WIFSIGNALED (status))
    {
      /* "killed by signal 31 (bad system call)": the number and its name.  */
      _cleanup_free_ char *name = xstrdup (strsignal (WTERMSIG (status)));
      name[0] = (char)tolower ((unsigned char)name[0]);
      return mk_error_set (err, 0, "%s: error running hook `%s`: killed by signal %d (%s)", where,
                           h->path, WTERMSIG (status), name);
    }
  return 0;
}

int
mk_hooks_run (const struct mk_spec *spec, enum mk_hook_kind kind, const char *state_json,
              mk_error **err)
{
  const struct mk_hooks *hooks = &spec->hooks[kind];
  /* runtime-spec: after a failing poststop hook the others still run; the
     first error is reported (as a warning by the caller).  A failing hook
     of any other kind (poststart too, since 1.3) ends the operation.  */
  bool keep_going = kind == MK_HOOK_POSTSTOP;
  int ret = 0;
  for (size_t i = 0; i < hooks->n; i++)
    {
      char where[64];
      snprintf (where, sizeof (where), "hooks.%s[%zu]", mk_hook_kind_name (kind), i);
      if (run_one (&hooks->list[i], where, state_json, err) < 0)
        {
          ret = -1;
          if (!keep_going)
            break;
        }
    }
  return ret;
}
