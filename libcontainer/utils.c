/* utils.c: see utils.h.  */
#include "config.h"

#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

void *
xmalloc0 (size_t size)
{
  void *p = calloc (1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xrealloc (void *p, size_t size)
{
  p = realloc (p, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *r;
  if (s == NULL)
    return NULL;
  r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

char *
xvasprintf (const char *fmt, va_list ap)
{
  char *r;
  if (vasprintf (&r, fmt, ap) < 0)
    abort ();
  return r;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *r;
  va_start (ap, fmt);
  r = xvasprintf (fmt, ap);
  va_end (ap);
  return r;
}

char *
mk_now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf ("%s.%09ldZ", buf, ts.tv_nsec);
}

void
mk_strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
}

void
mk_strvfreep (char ***v)
{
  mk_strv_free (*v);
}

size_t
mk_strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

bool
mk_strv_contains (char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

ssize_t
mk_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  size_t done = 0;
  while (done < len)
    {
      ssize_t r = write (fd, p + done, len - done);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return -1;
      done += r;
    }
  return done;
}

ssize_t
mk_read_all (int fd, void *buf, size_t len)
{
  char *p = buf;
  size_t done = 0;
  while (done < len)
    {
      ssize_t r = read (fd, p + done, len - done);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        break;
      done += r;
    }
  return done;
}

int
mk_read_file_at (int dirfd, const char *path, char **out, size_t *len, mk_error **err)
{
  _cleanup_close_ int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  size_t cap = 4096, n = 0;
  char *buf;

  if (fd < 0)
    return mk_error_set (err, errno, "open `%s`", path);
  buf = xmalloc0 (cap);
  for (;;)
    {
      ssize_t r;
      if (n + 1 >= cap)
        {
          cap *= 2;
          buf = xrealloc (buf, cap);
        }
      r = read (fd, buf + n, cap - n - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          free (buf);
          return mk_error_set (err, e, "read `%s`", path);
        }
      if (r == 0)
        break;
      n += r;
    }
  buf[n] = '\0';
  *out = buf;
  if (len)
    *len = n;
  return 0;
}

int
mk_write_file_at (int dirfd, const char *path, const void *buf, size_t len, mk_error **err)
{
  _cleanup_close_ int fd = openat (dirfd, path, O_WRONLY | O_CLOEXEC | O_TRUNC);
  if (fd < 0)
    return mk_error_set (err, errno, "open `%s`", path);
  /* Kernel files take the whole value in one write; report its own errno.  */
  if (write (fd, buf, len) != (ssize_t)len)
    return mk_error_set (err, errno, "write `%s`", path);
  return 0;
}

int
mk_create_file_at (int dirfd, const char *path, const char *s, mode_t mode, mk_error **err)
{
  _cleanup_close_ int fd
      = openat (dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  size_t len = strlen (s);
  if (fd < 0)
    return mk_error_set (err, errno, "create `%s`", path);
  if (mk_write_all (fd, s, len) != (ssize_t)len)
    return mk_error_set (err, errno, "write `%s`", path);
  return 0;
}

int
mk_write_pid_file (const char *path, pid_t pid, mk_error **err)
{
  _cleanup_free_ char *tmp = xasprintf ("%s.XXXXXX", path);
  char buf[32];
  int fd = mkstemp (tmp);
  int n = snprintf (buf, sizeof (buf), "%d", (int)pid);
  if (fd < 0)
    return mk_error_set (err, errno, "--pid-file `%s`", path);
  if (mk_write_all (fd, buf, (size_t)n) < 0 || fchmod (fd, 0644) < 0 || close (fd) < 0
      || rename (tmp, path) < 0)
    {
      unlink (tmp);
      return mk_error_set (err, errno, "--pid-file `%s`", path);
    }
  return 0;
}

int
mk_write_string_at (int dirfd, const char *path, const char *s, mk_error **err)
{
  return mk_write_file_at (dirfd, path, s, strlen (s), err);
}

int
mk_mkdir_p (const char *path, mode_t mode, mk_error **err)
{
  _cleanup_free_ char *p = xstrdup (path);
  for (char *s = p + 1;; s++)
    {
      if (*s == '/' || *s == '\0')
        {
          char c = *s;
          *s = '\0';
          if (mkdir (p, mode) < 0 && errno != EEXIST)
            return mk_error_set (err, errno, "mkdir `%s`", p);
          *s = c;
          if (c == '\0')
            break;
        }
    }
  return 0;
}

/* mk_open_no_symlinks on kernels without openat2: one component at a time,
   O_NOFOLLOW, any symlink met is ELOOP.  */
static int
walk_no_symlinks (int dirfd, const char *path, int flags, mode_t mode, bool beneath)
{
  _cleanup_free_ char *copy = xstrdup (path);
  _cleanup_close_ int dir = -1;
  char *save = NULL, *name, *next;
  int depth = 0, fd;
  struct stat st;

  if (beneath && path[0] == '/')
    {
      errno = EXDEV;
      return -1;
    }
  dir = path[0] == '/' ? open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC)
                       : openat (dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return -1;
  name = strtok_r (copy, "/", &save);
  for (; name; name = next)
    {
      next = strtok_r (NULL, "/", &save);
      depth += strcmp (name, "..") == 0 ? -1 : strcmp (name, ".") != 0;
      if (beneath && depth < 0)
        {
          errno = EXDEV;
          return -1;
        }
      if (next == NULL)
        break;
      fd = openat (dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return -1;
      close (dir);
      dir = fd;
      if (fstat (dir, &st) < 0)
        return -1;
      if (!S_ISDIR (st.st_mode))
        {
          errno = S_ISLNK (st.st_mode) ? ELOOP : ENOTDIR;
          return -1;
        }
    }
  fd = openat (dir, name ? name : ".", flags | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd >= 0 && (flags & O_PATH) && fstat (fd, &st) == 0 && S_ISLNK (st.st_mode))
    {
      close (fd);
      errno = ELOOP;
      return -1;
    }
  return fd;
}

int
mk_open_no_symlinks (int dirfd, const char *path, int flags, mode_t mode, bool beneath)
{
  static int no_openat2;
  /* RESOLVE_NO_SYMLINKS refuses a trailing symlink too, except with
     O_PATH|O_NOFOLLOW (which would open the link itself).  */
  struct open_how how = { .flags = (unsigned long long)((flags | O_CLOEXEC) & ~O_NOFOLLOW),
                          .mode = (flags & O_CREAT) ? mode : 0,
                          .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS
                                     | (beneath ? RESOLVE_BENEATH : 0) };
  if (!no_openat2)
    {
      int fd = (int)syscall (SYS_openat2, dirfd, path, &how, sizeof (how));
      if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
        return fd;
      if (errno == ENOSYS)
        no_openat2 = 1;
    }
  return walk_no_symlinks (dirfd, path, flags, mode, beneath);
}

int
mk_mkdir_p_no_symlinks (const char *path, mode_t mode, mk_error **err)
{
  _cleanup_free_ char *p = xstrdup (path);
  _cleanup_close_ int dir = open (path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  char *save = NULL;
  if (dir < 0)
    return mk_error_set (err, errno, "mkdir `%s`", path);
  for (char *name = strtok_r (p, "/", &save); name; name = strtok_r (NULL, "/", &save))
    {
      int fd = mk_open_no_symlinks (dir, name, O_PATH | O_DIRECTORY, 0, false);
      if (fd < 0 && errno == ENOENT)
        {
          if (mkdirat (dir, name, mode) < 0 && errno != EEXIST)
            return mk_error_set (err, errno, "mkdir `%s`", path);
          fd = mk_open_no_symlinks (dir, name, O_PATH | O_DIRECTORY, 0, false);
        }
      if (fd < 0)
        return mk_error_set (err, errno, "mkdir `%s`", path);
      close (dir);
      dir = fd;
    }
  return steal_fd (&dir);
}

int
mk_parse_int64 (const char *s, long long *out)
{
  char *end;
  long long v;
  if (s == NULL || *s == '\0')
    return -1;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

int
mk_pidfd_open (pid_t pid)
{
  return (int)syscall (SYS_pidfd_open, pid, 0);
}

unsigned long long
mk_proc_start_time (pid_t pid)
{
  char path[64], buf[1024];
  _cleanup_close_ int fd = -1;
  ssize_t n;
  char *p;
  unsigned long long start = 0;

  snprintf (path, sizeof (path), "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof (buf) - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* Skip "pid (comm)": comm may hold spaces and parentheses.  */
  p = strrchr (buf, ')');
  if (p == NULL)
    return 0;
  p += 2;
  /* p is at field 3 (state); a zombie is as good as gone.  */
  if (*p == 'Z' || *p == 'X')
    return 0;
  for (int field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p)
    start = strtoull (p, NULL, 10);
  return start;
}

static const struct
{
  const char *name;
  int num;
} signals[] = {
  { "HUP", SIGHUP },       { "INT", SIGINT },   { "QUIT", SIGQUIT },     { "ILL", SIGILL },
  { "TRAP", SIGTRAP },     { "ABRT", SIGABRT }, { "IOT", SIGIOT },       { "BUS", SIGBUS },
  { "FPE", SIGFPE },       { "KILL", SIGKILL }, { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },     { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },     { "STOP", SIGSTOP },
  { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },     { "URG", SIGURG },
  { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
  { "WINCH", SIGWINCH },   { "IO", SIGIO },     { "POLL", SIGPOLL },     { "PWR", SIGPWR },
  { "SYS", SIGSYS },
};

int
mk_signal_parse (const char *s)
{
  long long n;
  if (s == NULL)
    return -1;
  if (mk_parse_int64 (s, &n) == 0)
    return (n >= 0 && n <= SIGRTMAX) ? (int)n : -1;
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  for (size_t i = 0; i < MK_ARRAY_SIZE (signals); i++)
    if (strcasecmp (s, signals[i].name) == 0)
      return signals[i].num;
  if (strncasecmp (s, "RTMIN", 5) == 0 || strncasecmp (s, "RTMAX", 5) == 0)
    {
      long long off = 0;
      int base = strncasecmp (s, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;
      if (s[5] == '\0')
        return base;
      if ((s[5] == '+' || s[5] == '-') && mk_parse_int64 (s + 6, &off) == 0)
        {
          int v = s[5] == '+' ? base + (int)off : base - (int)off;
          return (v >= SIGRTMIN && v <= SIGRTMAX) ? v : -1;
        }
    }
  return -1;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place.  */
void
mk_unescape_octal (char *s)
{
  char *w = s;
  for (char *r = s; *r;)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0'
          && r[3] <= '7')
        {
          *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
          r += 4;
        }
      else
        *w++ = *r++;
    }
  *w = '\0';
}

bool
mk_path_under (const char *path, const char *dir)
{
  size_t n = strlen (dir);
  if (strcmp (dir, "/") == 0)
    return path[0] == '/';
  return strncmp (path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

static int
int_cmp (const void *a, const void *b)
{
  return *(const int *)a - *(const int *)b;
}

/* close_range (LO, HI), or one close at a time where the kernel (before
   5.9) or a seccomp profile lacks it.  */
static void
close_between (unsigned int lo, unsigned int hi)
{
  struct rlimit rl;
  if (lo > hi || syscall (SYS_close_range, lo, hi, 0) == 0)
    return;
  if (getrlimit (RLIMIT_NOFILE, &rl) < 0)
    rl.rlim_cur = 65536;
  for (rlim_t fd = lo; fd <= hi && fd < rl.rlim_cur; fd++)
    close ((int)fd);
}

void
mk_close_fds_from (int first, const int *keep, size_t n)
{
  int sorted[16];
  size_t m = 0;
  unsigned int lo = (unsigned int)first;

  for (size_t i = 0; i < n && m < MK_ARRAY_SIZE (sorted); i++)
    if (keep[i] >= first)
      sorted[m++] = keep[i];
  qsort (sorted, m, sizeof (int), int_cmp);
  for (size_t i = 0; i < m; i++)
    {
      if ((unsigned int)sorted[i] > lo)
        close_between (lo, (unsigned int)sorted[i] - 1);
      if ((unsigned int)sorted[i] >= lo)
        lo = (unsigned int)sorted[i] + 1;
    }
  close_between (lo, ~0U);
}

int
mk_cpulist_parse (const char *s, cpu_set_t *set)
{
  const char *p = s;
  CPU_ZERO (set);
  while (*p == ' ' || *p == '\n')
    p++;
  while (*p && *p != '\n')
    {
      char *end;
      long a, b;
      errno = 0;
      a = strtol (p, &end, 10);
      if (end == p || errno || a < 0 || a >= CPU_SETSIZE)
        return -1;
      b = a;
      p = end;
      if (*p == '-')
        {
          b = strtol (p + 1, &end, 10);
          if (end == p + 1 || errno || b < a || b >= CPU_SETSIZE)
            return -1;
          p = end;
        }
      for (long i = a; i <= b; i++)
        CPU_SET (i, set);
      if (*p == ',')
        p++;
      else if (*p && *p != '\n')
        return -1;
    }
  return 0;
}
