/* procstats.c: see procstats.h.  */
#include "config.h"

#include "procstats.h"
#include "spec.h"
#include "utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

static bool
same_ns (const struct stat *a, const struct stat *b)
{
  return a->st_ino == b->st_ino && a->st_dev == b->st_dev;
}

int
mk_proc_pidns_pids (pid_t init, pid_t **pids, size_t *n, mk_error **err)
{
  char path[64];
  struct stat want, self, st;
  DIR *d;
  struct dirent *e;
  size_t cap = 16;

  snprintf (path, sizeof (path), "/proc/%d/ns/pid", (int)init);
  if (stat (path, &want) < 0 || stat ("/proc/self/ns/pid", &self) < 0)
    return mk_error_set (err, errno, "pid namespace of %d", (int)init);
  *n = 0;
  *pids = xmalloc0 (cap * sizeof (pid_t));
  if (same_ns (&want, &self))
    {
      (*pids)[(*n)++] = init;
      return 0;
    }
  d = opendir ("/proc");
  if (d == NULL)
    return mk_error_set (err, errno, "open /proc");
  while ((e = readdir (d)))
    {
      long long pid;
      if (mk_parse_int64 (e->d_name, &pid) < 0 || pid <= 0)
        continue;
      snprintf (path, sizeof (path), "/proc/%lld/ns/pid", pid);
      if (stat (path, &st) < 0 || !same_ns (&st, &want))
        continue;
      if (*n == cap)
        *pids = xrealloc (*pids, (cap *= 2) * sizeof (pid_t));
      (*pids)[(*n)++] = (pid_t)pid;
    }
  closedir (d);
  return 0;
}

/* A small /proc file of PID, NUL-terminated in BUF; false if gone.  */
static bool
read_proc (pid_t pid, const char *file, char *buf, size_t cap)
{
  char path[64];
  _cleanup_close_ int fd = -1;
  ssize_t r;
  snprintf (path, sizeof (path), "/proc/%d/%s", (int)pid, file);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || (r = read (fd, buf, cap - 1)) <= 0)
    return false;
  buf[r] = '\0';
  return true;
}

#define GS(g, s) yajl_gen_string (g, (const unsigned char *)(s), strlen (s))

static void
gen_num (yajl_gen g, const char *key, uint64_t v)
{
  GS (g, key);
  yajl_gen_integer (g, (long long)v);
}

int
mk_proc_stats_json (pid_t init, char **json, mk_error **err)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  uint64_t user = 0, kernel = 0, rss = 0, rd = 0, wr = 0;
  long tick = sysconf (_SC_CLK_TCK), page = sysconf (_SC_PAGESIZE);
  yajl_gen g;

  if (mk_proc_pidns_pids (init, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      char buf[2048], *p;
      unsigned long long ut, kt, pages;
      /* stat: after "pid (comm) ", utime and stime are fields 14 and 15. */
      if (read_proc (pids[i], "stat", buf, sizeof (buf)) && (p = strrchr (buf, ')'))
          && sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &kt) == 2)
        {
          user += ut;
          kernel += kt;
        }
      if (read_proc (pids[i], "statm", buf, sizeof (buf)) && sscanf (buf, "%*u %llu", &pages) == 1)
        rss += pages * (uint64_t)page;
      if (read_proc (pids[i], "io", buf, sizeof (buf)))
        {
          char *r = strstr (buf, "\nread_bytes: "), *w = strstr (buf, "\nwrite_bytes: ");
          if (r)
            rd += strtoull (r + 13, NULL, 10);
          if (w)
            wr += strtoull (w + 14, NULL, 10);
        }
    }
  user = user * 1000000000ULL / (uint64_t)tick;
  kernel = kernel * 1000000000ULL / (uint64_t)tick;
  g = yajl_gen_alloc (NULL);
  yajl_gen_map_open (g);
  GS (g, "cpu");
  yajl_gen_map_open (g);
  GS (g, "usage");
  yajl_gen_map_open (g);
  gen_num (g, "total", user + kernel);
  gen_num (g, "user", user);
  gen_num (g, "kernel", kernel);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  GS (g, "memory");
  yajl_gen_map_open (g);
  GS (g, "usage");
  yajl_gen_map_open (g);
  gen_num (g, "usage", rss);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  GS (g, "pids");
  yajl_gen_map_open (g);
  gen_num (g, "current", n);
  yajl_gen_map_close (g);
  GS (g, "blkio");
  yajl_gen_map_open (g);
  GS (g, "ioServiceBytesRecursive");
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  GS (g, "op");
  GS (g, "Read");
  gen_num (g, "value", rd);
  yajl_gen_map_close (g);
  yajl_gen_map_open (g);
  GS (g, "op");
  GS (g, "Write");
  gen_num (g, "value", wr);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  *json = mk_json_gen_finish (g, false);
  return 0;
}
