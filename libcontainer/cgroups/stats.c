/* cgroups/stats.c: the cgroup's statistics in the shape of runc's
 * `events --stats` data (runc's types/events.go): cpu, memory (with the raw
 * memory.stat), pids, blkio and hugetlb, from v1 or v2 files, whichever
 * hierarchy holds each controller (on hybrid hosts hugetlb may be v2).
 * Unreadable files count as zero: a controller that is not mounted gives an
 * empty section, as in runc.  */
#include "config.h"

#include "../utils.h"
#include "files.h"
#include "internal.h"
#include "../spec.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#define GS(g, s) yajl_gen_string (g, (const unsigned char *)(s), strlen (s))

/* A number from FILE in D (the first one, or the one after "KEY " when KEY
   is given), 0 if unreadable; "max" reads as UINT64_MAX.  */
static uint64_t
stat_uint (const struct mk_cg_dir *d, const char *file, const char *key)
{
  _cleanup_free_ char *buf = NULL;
  const char *p;
  if (d == NULL || d->dirfd < 0 || mk_cg_read (d, file, &buf, NULL) < 0)
    return 0;
  p = buf;
  if (key)
    {
      size_t kl = strlen (key);
      for (p = buf; (p = strstr (p, key)) != NULL; p += kl)
        if ((p == buf || p[-1] == '\n') && p[kl] == ' ')
          break;
      if (p == NULL)
        return 0;
      p += kl + 1;
    }
  if (strncmp (p, "max", 3) == 0)
    return UINT64_MAX;
  return strtoull (p, NULL, 10);
}

static void
gen_u64 (yajl_gen g, const char *key, uint64_t v)
{
  GS (g, key);
  yajl_gen_integer (g, (long long)v);
}

/* "limit, usage, max, failcnt" from four files (NULL: leave it 0).  */
static void
gen_entry (yajl_gen g, const char *key, const struct mk_cg_dir *d, const char *usage,
           const char *max, const char *limit, const char *failcnt, const char *failkey)
{
  uint64_t l = limit ? stat_uint (d, limit, NULL) : 0;
  GS (g, key);
  yajl_gen_map_open (g);
  gen_u64 (g, "limit", l == UINT64_MAX ? 0 : l);
  gen_u64 (g, "usage", usage ? stat_uint (d, usage, NULL) : 0);
  gen_u64 (g, "max", max ? stat_uint (d, max, NULL) : 0);
  gen_u64 (g, "failcnt", failcnt ? stat_uint (d, failcnt, failkey) : 0);
  yajl_gen_map_close (g);
}

/* A space-separated list of numbers as a JSON array.  */
static void
gen_list (yajl_gen g, const char *key, const struct mk_cg_dir *d, const char *file)
{
  _cleanup_free_ char *buf = NULL;
  char *save = NULL;
  if (d == NULL || d->dirfd < 0 || mk_cg_read (d, file, &buf, NULL) < 0)
    return;
  GS (g, key);
  yajl_gen_array_open (g);
  for (char *t = strtok_r (buf, " \n", &save); t; t = strtok_r (NULL, " \n", &save))
    yajl_gen_integer (g, (long long)strtoull (t, NULL, 10));
  yajl_gen_array_close (g);
}

static void
gen_cpu (yajl_gen g, const struct mk_cgroup *cg)
{
  const struct mk_cg_dir *acct = mk_cg_dir_for (cg, "cpuacct");
  const struct mk_cg_dir *cpu = mk_cg_dir_for (cg, "cpu");
  bool v2 = cpu && cpu->hier->v2;

  GS (g, "cpu");
  yajl_gen_map_open (g);
  GS (g, "usage");
  yajl_gen_map_open (g);
  if (v2)
    {
      /* cpu.stat counts microseconds; runc reports nanoseconds.  */
      gen_u64 (g, "total", stat_uint (cpu, "cpu.stat", "usage_usec") * 1000);
      gen_u64 (g, "kernel", stat_uint (cpu, "cpu.stat", "system_usec") * 1000);
      gen_u64 (g, "user", stat_uint (cpu, "cpu.stat", "user_usec") * 1000);
    }
  else
    {
      gen_u64 (g, "total", stat_uint (acct, "cpuacct.usage", NULL));
      gen_list (g, "percpu", acct, "cpuacct.usage_percpu");
      gen_list (g, "percpu_kernel", acct, "cpuacct.usage_percpu_sys");
      gen_list (g, "percpu_user", acct, "cpuacct.usage_percpu_user");
      gen_u64 (g, "kernel", stat_uint (acct, "cpuacct.usage_sys", NULL));
      gen_u64 (g, "user", stat_uint (acct, "cpuacct.usage_user", NULL));
    }
  yajl_gen_map_close (g);
  GS (g, "throttling");
  yajl_gen_map_open (g);
  gen_u64 (g, "periods", stat_uint (cpu, "cpu.stat", "nr_periods"));
  gen_u64 (g, "throttledPeriods", stat_uint (cpu, "cpu.stat", "nr_throttled"));
  gen_u64 (g, "throttledTime",
           v2 ? stat_uint (cpu, "cpu.stat", "throttled_usec") * 1000
              : stat_uint (cpu, "cpu.stat", "throttled_time"));
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
}

static void
gen_memory (yajl_gen g, const struct mk_cgroup *cg)
{
  const struct mk_cg_dir *d = mk_cg_dir_for (cg, "memory");
  _cleanup_free_ char *raw = NULL;
  bool v2 = d && d->hier->v2;

  GS (g, "memory");
  yajl_gen_map_open (g);
  if (d && d->dirfd >= 0 && mk_cg_read (d, "memory.stat", &raw, NULL) == 0)
    {
      char *save = NULL;
      gen_u64 (g, "cache", stat_uint (d, "memory.stat", v2 ? "file" : "total_cache"));
      GS (g, "raw");
      yajl_gen_map_open (g);
      for (char *line = strtok_r (raw, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        {
          char *sp = strchr (line, ' ');
          if (sp == NULL)
            continue;
          *sp = '\0';
          gen_u64 (g, line, strtoull (sp + 1, NULL, 10));
        }
      yajl_gen_map_close (g);
    }
  if (v2)
    {
      gen_entry (g, "usage", d, "memory.current", "memory.peak", "memory.max", "memory.events",
                 "max");
      gen_entry (g, "swap", d, "memory.swap.current", "memory.swap.peak", "memory.swap.max",
                 "memory.swap.events", "max");
    }
  else if (d)
    {
      gen_entry (g, "usage", d, "memory.usage_in_bytes", "memory.max_usage_in_bytes",
                 "memory.limit_in_bytes", "memory.failcnt", NULL);
      gen_entry (g, "swap", d, "memory.memsw.usage_in_bytes", "memory.memsw.max_usage_in_bytes",
                 "memory.memsw.limit_in_bytes", "memory.memsw.failcnt", NULL);
      gen_entry (g, "kernel", d, "memory.kmem.usage_in_bytes", "memory.kmem.max_usage_in_bytes",
                 "memory.kmem.limit_in_bytes", "memory.kmem.failcnt", NULL);
      gen_entry (g, "kernelTCP", d, "memory.kmem.tcp.usage_in_bytes",
                 "memory.kmem.tcp.max_usage_in_bytes", "memory.kmem.tcp.limit_in_bytes",
                 "memory.kmem.tcp.failcnt", NULL);
    }
  yajl_gen_map_close (g);
}

static void
gen_pids (yajl_gen g, const struct mk_cgroup *cg)
{
  const struct mk_cg_dir *d = mk_cg_dir_for (cg, "pids");
  uint64_t limit = stat_uint (d, "pids.max", NULL);
  GS (g, "pids");
  yajl_gen_map_open (g);
  gen_u64 (g, "current", stat_uint (d, "pids.current", NULL));
  gen_u64 (g, "limit", limit == UINT64_MAX ? 0 : limit);
  yajl_gen_map_close (g);
}

static void
gen_blkio_entry (yajl_gen g, unsigned long maj, unsigned long min, const char *op, uint64_t v)
{
  yajl_gen_map_open (g);
  gen_u64 (g, "major", maj);
  gen_u64 (g, "minor", min);
  GS (g, "op");
  GS (g, op);
  gen_u64 (g, "value", v);
  yajl_gen_map_close (g);
}

/* v1: "MAJ:MIN Op VALUE" lines ("Total VALUE" at the end).  */
static void
gen_blkio_v1 (yajl_gen g, const char *key, const struct mk_cg_dir *d, const char *file)
{
  _cleanup_free_ char *buf = NULL;
  char *save = NULL;
  GS (g, key);
  yajl_gen_array_open (g);
  if (d && d->dirfd >= 0 && mk_cg_read (d, file, &buf, NULL) == 0)
    for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
      {
        unsigned long maj, min;
        unsigned long long v;
        char op[32];
        if (sscanf (line, "%lu:%lu %31s %llu", &maj, &min, op, &v) == 4)
          gen_blkio_entry (g, maj, min, op, v);
      }
  yajl_gen_array_close (g);
}

/* v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..." per device.  */
static void
gen_blkio_v2 (yajl_gen g, const char *key, const struct mk_cg_dir *d, const char *rkey,
              const char *wkey)
{
  _cleanup_free_ char *buf = NULL;
  char *save = NULL;
  GS (g, key);
  yajl_gen_array_open (g);
  if (d && d->dirfd >= 0 && mk_cg_read (d, "io.stat", &buf, NULL) == 0)
    for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
      {
        unsigned long maj, min;
        const char *keys[] = { rkey, wkey }, *ops[] = { "Read", "Write" };
        if (sscanf (line, "%lu:%lu", &maj, &min) != 2)
          continue;
        for (int i = 0; i < 2; i++)
          {
            _cleanup_free_ char *pat = xasprintf (" %s=", keys[i]);
            const char *p = strstr (line, pat);
            if (p)
              gen_blkio_entry (g, maj, min, ops[i], strtoull (p + strlen (pat), NULL, 10));
          }
      }
  yajl_gen_array_close (g);
}

static void
gen_blkio (yajl_gen g, const struct mk_cgroup *cg)
{
  const struct mk_cg_dir *d = mk_cg_dir_for (cg, "blkio");
  if (d == NULL)
    d = mk_cg_dir_for (cg, "io");
  GS (g, "blkio");
  yajl_gen_map_open (g);
  if (d && d->hier->v2)
    {
      gen_blkio_v2 (g, "ioServiceBytesRecursive", d, "rbytes", "wbytes");
      gen_blkio_v2 (g, "ioServicedRecursive", d, "rios", "wios");
    }
  else if (d)
    {
      /* CFQ/BFQ files when the scheduler provides them, else the throttle
         layer's, as runc reads them.  */
      bool cfq = mk_cg_has_file (d, "blkio.io_service_bytes_recursive");
      gen_blkio_v1 (g, "ioServiceBytesRecursive", d,
                    cfq ? "blkio.io_service_bytes_recursive"
                        : "blkio.throttle.io_service_bytes_recursive");
      gen_blkio_v1 (g, "ioServicedRecursive", d,
                    cfq ? "blkio.io_serviced_recursive" : "blkio.throttle.io_serviced_recursive");
    }
  yajl_gen_map_close (g);
}

/* The page sizes the kernel has, as hugetlb file names spell them.  */
static void
gen_hugetlb (yajl_gen g, const struct mk_cgroup *cg)
{
  const struct mk_cg_dir *d = mk_cg_dir_for (cg, "hugetlb");
  DIR *dir = opendir ("/sys/kernel/mm/hugepages");
  struct dirent *de;

  GS (g, "hugetlb");
  yajl_gen_map_open (g);
  while (d && dir && (de = readdir (dir)) != NULL)
    {
      unsigned long kb;
      char size[32];
      if (sscanf (de->d_name, "hugepages-%lukB", &kb) != 1)
        continue;
      if (kb >= 1024 * 1024)
        snprintf (size, sizeof (size), "%luGB", kb / (1024 * 1024));
      else if (kb >= 1024)
        snprintf (size, sizeof (size), "%luMB", kb / 1024);
      else
        snprintf (size, sizeof (size), "%luKB", kb);
      {
        _cleanup_free_ char *usage = NULL, *max = NULL, *fail = NULL;
        if (d->hier->v2)
          {
            usage = xasprintf ("hugetlb.%s.current", size);
            fail = xasprintf ("hugetlb.%s.events", size);
          }
        else
          {
            usage = xasprintf ("hugetlb.%s.usage_in_bytes", size);
            max = xasprintf ("hugetlb.%s.max_usage_in_bytes", size);
            fail = xasprintf ("hugetlb.%s.failcnt", size);
          }
        GS (g, size);
        yajl_gen_map_open (g);
        gen_u64 (g, "usage", stat_uint (d, usage, NULL));
        gen_u64 (g, "max", max ? stat_uint (d, max, NULL) : 0);
        gen_u64 (g, "failcnt", stat_uint (d, fail, d->hier->v2 ? "max" : NULL));
        yajl_gen_map_close (g);
      }
    }
  if (dir)
    closedir (dir);
  yajl_gen_map_close (g);
}

int
mk_cgroup_stats_json (const struct mk_cgroup *cg, char **json, mk_error **err)
{
  yajl_gen g = yajl_gen_alloc (NULL);

  (void)err;
  yajl_gen_map_open (g);
  gen_cpu (g, cg);
  gen_memory (g, cg);
  gen_pids (g, cg);
  gen_blkio (g, cg);
  gen_hugetlb (g, cg);
  yajl_gen_map_close (g);
  *json = mk_json_gen_finish (g, false);
  return 0;
}
