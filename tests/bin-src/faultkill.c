/* faultkill: runs a command and SIGKILLs it, or its first child, at a chosen
 * point; for tests/faults.
 *
 *   faultkill -s N CMD...   trace CMD (ptrace, not its children) and kill it
 *                           on entering its Nth system call (counted from 1,
 *                           across its execs); N = 0 only counts
 *   faultkill -t USEC CMD...  kill CMD USEC microseconds after it started
 *   faultkill -c USEC CMD...  kill CMD's first child (a container's init, a
 *                           clone of mkrun) USEC microseconds after it was
 *                           first seen; CMD itself is left alone
 *
 * Prints one line to stderr: "faultkill: killed at syscall N (NR M), last
 * exec at syscall E", "faultkill: exited S after N syscalls, last exec at
 * syscall E" (-s), "faultkill: killed child PID" or "faultkill: no child"
 * (-c), "faultkill: killed" or "faultkill: exited S" (-t).  Exits with CMD's
 * status (128+signal when a signal ended it).  */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int
status_code (int st)
{
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

static long long
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void
sleep_us (long long us)
{
  struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

static pid_t
spawn (char **argv, int traced)
{
  pid_t pid = fork ();
  if (pid < 0)
    {
      perror ("faultkill: fork");
      exit (125);
    }
  if (pid == 0)
    {
      if (traced)
        {
          if (ptrace (PTRACE_TRACEME, 0, NULL, NULL) < 0)
            _exit (125);
          raise (SIGSTOP);
        }
      execvp (argv[0], argv);
      fprintf (stderr, "faultkill: exec %s: %s\n", argv[0], strerror (errno));
      _exit (127);
    }
  return pid;
}

/* -s: syscall-entry stops of CMD's thread group leader (mkrun is
   single-threaded; its clones are not traced).  */
static int
by_syscall (long n, char **argv)
{
  pid_t pid = spawn (argv, 1);
  long count = 0, last_exec = 0;
  int st, in_syscall = 0, sig = 0;

  if (waitpid (pid, &st, 0) < 0 || !WIFSTOPPED (st))
    return 125;
  ptrace (PTRACE_SETOPTIONS, pid, NULL,
          (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL));
  for (;;)
    {
      if (ptrace (PTRACE_SYSCALL, pid, NULL, (void *)(long)sig) < 0 && errno != ESRCH)
        break;
      sig = 0;
      if (waitpid (pid, &st, __WALL) < 0)
        {
          if (errno == EINTR)
            continue;
          return 125;
        }
      if (WIFEXITED (st) || WIFSIGNALED (st))
        {
          fprintf (stderr, "faultkill: exited %d after %ld syscalls, last exec at syscall %ld\n",
                   status_code (st), count, last_exec);
          return status_code (st);
        }
      if (!WIFSTOPPED (st))
        continue;
      if (WSTOPSIG (st) == (SIGTRAP | 0x80))
        {
          /* Entry and exit stops alternate; an exec's exit stop comes
             after its PTRACE_EVENT_EXEC stop.  */
          in_syscall = !in_syscall;
          if (!in_syscall)
            continue;
          count++;
          if (count == n)
            {
              struct user_regs_struct regs;
              long nr = -1;
              if (ptrace (PTRACE_GETREGS, pid, NULL, &regs) == 0)
                nr = (long)regs.orig_rax;
              kill (pid, SIGKILL);
              ptrace (PTRACE_CONT, pid, NULL, NULL);
              while (waitpid (pid, &st, __WALL) >= 0 && !WIFEXITED (st) && !WIFSIGNALED (st))
                ;
              fprintf (stderr,
                       "faultkill: killed at syscall %ld (NR %ld), last exec at syscall %ld\n",
                       count, nr, last_exec);
              return 137;
            }
        }
      else if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8)))
        last_exec = count;
      else if (WSTOPSIG (st) != SIGTRAP)
        sig = WSTOPSIG (st); /* a signal for the tracee: pass it on */
    }
  return 125;
}

/* The first child of PID, from /proc/PID/task/PID/children; 0: none.  */
static pid_t
first_child (pid_t pid)
{
  char path[64], buf[256];
  int fd;
  ssize_t r;
  snprintf (path, sizeof (path), "/proc/%d/task/%d/children", pid, pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  r = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (r <= 0)
    return 0;
  buf[r] = '\0';
  return (pid_t)atoi (buf);
}

int
main (int argc, char **argv)
{
  pid_t pid, child = 0;
  long long arg, start, deadline = 0;
  int st, killed = 0;
  char mode;

  if (argc < 4 || argv[1][0] != '-' || strchr ("stc", argv[1][1]) == NULL || argv[1][2])
    {
      fprintf (stderr, "usage: faultkill -s N | -t USEC | -c USEC CMD [ARGS...]\n");
      return 125;
    }
  mode = argv[1][1];
  arg = atoll (argv[2]);
  if (mode == 's')
    return by_syscall ((long)arg, argv + 3);

  pid = spawn (argv + 3, 0);
  start = now_us ();
  for (;;)
    {
      pid_t w = waitpid (pid, &st, WNOHANG);
      if (w == pid)
        break;
      if (mode == 't' && !killed && now_us () - start >= arg)
        {
          kill (pid, SIGKILL);
          killed = 1;
        }
      if (mode == 'c' && !killed)
        {
          if (child == 0 && (child = first_child (pid)) > 0)
            deadline = now_us () + arg;
          if (child > 0 && now_us () >= deadline)
            {
              kill (child, SIGKILL);
              killed = 1;
            }
        }
      sleep_us (mode == 'c' && child == 0 ? 20 : 100);
    }
  if (mode == 't')
    fprintf (stderr, killed ? "faultkill: killed\n" : "faultkill: exited %d\n", status_code (st));
  else if (killed)
    fprintf (stderr, "faultkill: killed child %d\n", (int)child);
  else
    fprintf (stderr, "faultkill: no child (exited %d)\n", status_code (st));
  return status_code (st);
}
