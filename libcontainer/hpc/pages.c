/* hpc/pages.c: see pages.h.  */
#include "config.h"

#include "hpc/cores.h"
#include "hpc/pages.h"
#include "kernfs.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
mk_pages_cgroup_name (uint64_t size)
{
  return size == (1ULL << 30) ? "1GB" : "2MB";
}

static char *
pool_file (const char *sysfs, uint64_t size, int node)
{
  unsigned long kb = (unsigned long)(size >> 10);
  if (node == MK_HPC_MAX_NODES - 1)
    return xasprintf ("%s/kernel/mm/hugepages/hugepages-%lukB/nr_hugepages", sysfs, kb);
  return xasprintf ("%s/devices/system/node/node%d/hugepages/hugepages-%lukB/nr_hugepages", sysfs,
                    node, kb);
}

static int
read_count (const char *path, uint64_t *out, mk_error **err)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  long long v;
  if (mk_read_file_at (AT_FDCWD, path, &text, &len, err) < 0)
    return -1;
  text[strcspn (text, "\n")] = 0;
  if (mk_parse_int64 (text, &v) < 0 || v < 0)
    return mk_error_set (err, 0, "%s: `%s` is not a count", path, text);
  *out = (uint64_t)v;
  return 0;
}

static int
write_count (const char *path, uint64_t v, mk_error **err)
{
  char buf[32];
  snprintf (buf, sizeof (buf), "%llu", (unsigned long long)v);
  return mk_kernfs_write_host (path, buf, err);
}

/* Adds COUNT to the pool at PATH; *ADDED: what the kernel really added.  */
static int
raise_pool (const char *path, uint64_t count, uint64_t *added, mk_error **err)
{
  uint64_t before, after;
  *added = 0;
  if (read_count (path, &before, err) < 0 || write_count (path, before + count, err) < 0
      || read_count (path, &after, err) < 0)
    return -1;
  *added = after > before ? after - before : 0;
  return 0;
}

size_t
mk_pages_nodes (const char *sysfs, uint64_t size, const char *nodes, int list[MK_HPC_MAX_NODES])
{
  cpu_set_t set; /* a node list parses like a cpu list */
  size_t n = 0;
  if (nodes && *nodes && mk_cpulist_parse (nodes, &set) == 0)
    for (int i = 0; i < MK_HPC_MAX_NODES - 1; i++)
      {
        _cleanup_free_ char *p = pool_file (sysfs, size, i);
        if (CPU_ISSET (i, &set) && access (p, F_OK) == 0)
          list[n++] = i;
      }
  if (n == 0)
    list[n++] = MK_HPC_MAX_NODES - 1;
  return n;
}

int
mk_pages_pool (const char *sysfs, uint64_t size, int node, uint64_t *out)
{
  _cleanup_free_ char *path = pool_file (sysfs, size, node);
  return read_count (path, out, NULL);
}

int
mk_pages_give_back (const char *sysfs, uint64_t size, int node, uint64_t count, mk_error **err)
{
  _cleanup_free_ char *path = pool_file (sysfs, size, node);
  uint64_t now;
  if (count == 0)
    return 0;
  if (read_count (path, &now, err) < 0)
    return -1;
  return write_count (path, now > count ? now - count : 0, err);
}

int
mk_pages_reserve (const char *sysfs, uint64_t size, uint64_t count, const char *nodes,
                  uint64_t per_node[MK_HPC_MAX_NODES], mk_error **err)
{
  int list[MK_HPC_MAX_NODES];
  size_t n = 0;
  uint64_t got = 0;
  mk_error *e = NULL;

  memset (per_node, 0, MK_HPC_MAX_NODES * sizeof (uint64_t));
  n = mk_pages_nodes (sysfs, size, nodes, list);
  {
    _cleanup_free_ char *p = pool_file (sysfs, size, list[0]);
    if (access (p, F_OK) < 0)
      return mk_error_set (err, 0, "org.mkrun.hpc.hugepages: this kernel has no %s pages",
                           mk_pages_cgroup_name (size));
  }
  for (size_t i = 0; i < n; i++)
    {
      _cleanup_free_ char *p = pool_file (sysfs, size, list[i]);
      uint64_t want = count / n + (i < count % n ? 1 : 0);
      if (raise_pool (p, want, &per_node[list[i]], &e) < 0)
        break;
      got += per_node[list[i]];
    }
  if (e == NULL && got == count)
    return 0;
  for (size_t i = 0; i < n; i++)
    mk_pages_give_back (sysfs, size, list[i], per_node[list[i]], NULL);
  memset (per_node, 0, MK_HPC_MAX_NODES * sizeof (uint64_t));
  if (e)
    {
      mk_error_set (err, 0, "org.mkrun.hpc.hugepages: %s", e->msg);
      mk_error_free (e);
      return -1;
    }
  return mk_error_set (err, 0,
                       "org.mkrun.hpc.hugepages: the kernel found %llu of %llu free %s "
                       "pages (memory too fragmented or too small)",
                       (unsigned long long)got, (unsigned long long)count,
                       mk_pages_cgroup_name (size));
}
