/* cgroups/v1.c: linux.resources on v1 hierarchies, with runc's file names
 * and write order.  Each setter looks up the hierarchy holding its
 * controller and does nothing when that is a v2 one (v2.c handles it).  */
#include "config.h"

#include "files.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../utils.h"

#define MEM "linux.resources.memory"
#define CPU "linux.resources.cpu"
#define BLKIO "linux.resources.blockIO"

static const struct mk_cg_dir *
v1_dir (const struct mk_cgroup *cg, const char *controller)
{
  const struct mk_cg_dir *d = mk_cg_dir_for (cg, controller);
  return d && !d->hier->v2 ? d : NULL;
}

static int
write_int (const struct mk_cg_dir *d, const char *file, int64_t v, const char *where,
           mk_error **err)
{
  char buf[32];
  snprintf (buf, sizeof (buf), "%" PRId64, v);
  return mk_cg_write (d, file, buf, where, err);
}

static int
write_uint (const struct mk_cg_dir *d, const char *file, uint64_t v, const char *where,
            mk_error **err)
{
  char buf[32];
  snprintf (buf, sizeof (buf), "%" PRIu64, v);
  return mk_cg_write (d, file, buf, where, err);
}

static int
read_uint (const struct mk_cg_dir *d, const char *file, uint64_t *v, mk_error **err)
{
  _cleanup_free_ char *s = NULL;
  if (mk_cg_read (d, file, &s, err) < 0)
    return -1;
  *v = strtoull (s, NULL, 10);
  return 0;
}

/* A new cpuset cgroup has empty cpus and mems, and no task may join it until
   they are set: copy them from the nearest ancestor that has them into every
   directory below it down to the leaf, top down (as runc does).  Not only
   the directories this container created: a create killed between its
   mkdir of an intermediate directory ("mkrun") and this copy leaves that
   directory empty, and every later container below it could not start.  */
int
mk_cg_v1_copy_cpuset (const struct mk_cg_dir *d, mk_error **err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

  for (size_t f = 0; f < MK_ARRAY_SIZE (files); f++)
    {
      _cleanup_free_ char *value = NULL, *up = xstrdup (d->dir);
      size_t top_len;

      /* The nearest non-empty value, the leaf's own included, read only.  */
      for (;;)
        {
          _cleanup_free_ char *path = xasprintf ("%s/%s", up, files[f]);
          char *slash;
          free (value);
          value = NULL;
          if (mk_read_file_at (AT_FDCWD, path, &value, NULL, NULL) == 0
              && value[strspn (value, " \n")] != '\0')
            break;
          slash = strrchr (up, '/');
          if (slash == NULL || slash == up)
            break;
          *slash = '\0';
        }
      top_len = strlen (up);
      if (value == NULL || top_len >= strlen (d->dir))
        continue;
      value[strcspn (value, "\n")] = '\0';
      /* Then every directory below it, from the top one down to the leaf.  */
      for (const char *p = d->dir + top_len; *p;)
        {
          _cleanup_free_ char *sub = NULL, *path = NULL, *cur = NULL;
          const char *next = strchr (p + 1, '/');
          size_t len = next ? (size_t) (next - d->dir) : strlen (d->dir);
          sub = strndup (d->dir, len);
          path = xasprintf ("%s/%s", sub, files[f]);
          if (mk_read_file_at (AT_FDCWD, path, &cur, NULL, err) < 0)
            return -1;
          if (cur[strspn (cur, " \n")] == '\0'
              && mk_write_string_at (AT_FDCWD, path, value, err) < 0)
            return -1;
          p = next ? next : "";
        }
    }
  return 0;
}

static int
apply_memory_v1 (const struct mk_cgroup *cg, const struct mk_resources *r, bool update,
                 mk_error **err)
{
  const struct mk_cg_dir *d = v1_dir (cg, "memory");
  int64_t limit = r->has_mem_limit ? r->mem_limit : 0;
  int64_t swap = r->has_mem_swap ? r->mem_swap : 0;

  if (d == NULL)
    return 0;
  if (r->has_use_hierarchy
      && mk_cg_write (d, "memory.use_hierarchy", r->use_hierarchy ? "1" : "0",
                      MEM ".useHierarchy", err) < 0)
    return -1;

  if (update && r->has_check_before_update && r->check_before_update && limit > 0)
    {
      uint64_t usage = 0;
      if (read_uint (d, "memory.usage_in_bytes", &usage, err) < 0)
        return mk_error_prefix (err, MEM ".checkBeforeUpdate");
      if ((uint64_t) limit < usage)
        return mk_error_set (err, 0,
                             MEM ".limit: rejecting memory limit %" PRId64
                                 " below the current usage %" PRIu64,
                             limit, usage);
    }

  /* runc's order: unlimited memory without a swap value means both
     unlimited; when raising swap past the current limit, swap goes first.  */
  if (limit == -1 && swap == 0)
    swap = -1;
  if (limit != 0 && swap != 0)
    {
      uint64_t cur = 0;
      if (read_uint (d, "memory.limit_in_bytes", &cur, err) < 0)
        return mk_error_prefix (err, MEM ".limit");
      if (swap == -1 || cur < (uint64_t) swap)
        {
          if (write_int (d, "memory.memsw.limit_in_bytes", swap, MEM ".swap", err) < 0
              || write_int (d, "memory.limit_in_bytes", limit, MEM ".limit", err) < 0)
            return -1;
          goto rest;
        }
    }
  if (limit != 0 && write_int (d, "memory.limit_in_bytes", limit, MEM ".limit", err) < 0)
    return -1;
  if (swap != 0 && write_int (d, "memory.memsw.limit_in_bytes", swap, MEM ".swap", err) < 0)
    return -1;

rest:
  /* memory.kernel is ignored, as runc 1.2 does (the kernel removed it).  */
  if (r->has_mem_kernel_tcp && r->mem_kernel_tcp != 0
      && write_int (d, "memory.kmem.tcp.limit_in_bytes", r->mem_kernel_tcp, MEM ".kernelTCP", err)
             < 0)
    return -1;
  if (r->has_mem_reservation && r->mem_reservation != 0
      && write_int (d, "memory.soft_limit_in_bytes", r->mem_reservation, MEM ".reservation", err)
             < 0)
    return -1;
  if (r->has_mem_swappiness)
    {
      if (r->mem_swappiness > 100)
        return mk_error_set (err, 0, MEM ".swappiness: %" PRIu64 " out of range (0-100)",
                             r->mem_swappiness);
      if (write_uint (d, "memory.swappiness", r->mem_swappiness, MEM ".swappiness", err) < 0)
        return -1;
    }
  if (r->has_disable_oom_killer && (r->disable_oom_killer || update)
      && mk_cg_write (d, "memory.oom_control", r->disable_oom_killer ? "1" : "0",
                      MEM ".disableOOMKiller", err) < 0)
    return -1;
  return 0;
}

/* With real-time group scheduling a child's rt_runtime_us must fit in its
   parent's, and a new cgroup has 0: give the parent (mkrun's intermediate
   cgroup) room for RUNTIME more, as far as its own parent allows.  Errors
   are left to the write that follows.  */
static void
raise_parent_rt (const struct mk_cg_dir *d, int64_t runtime)
{
  _cleanup_free_ char *parent = xstrdup (d->dir);
  _cleanup_free_ char *grand = NULL;
  char *slash = strrchr (parent, '/');
  long long cur = 0, cap = 0;
  char buf[32];
  if (slash == NULL || slash == parent)
    return;
  *slash = 0;
  grand = xstrdup (parent);
  slash = strrchr (grand, '/');
  if (slash == NULL || slash == grand)
    return;
  *slash = 0;
  {
    _cleanup_free_ char *pf = xasprintf ("%s/cpu.rt_runtime_us", parent);
    _cleanup_free_ char *gf = xasprintf ("%s/cpu.rt_runtime_us", grand);
    _cleanup_free_ char *pt = NULL, *gt = NULL;
    size_t len;
    if (mk_read_file_at (AT_FDCWD, pf, &pt, &len, NULL) < 0
        || mk_read_file_at (AT_FDCWD, gf, &gt, &len, NULL) < 0)
      return;
    pt[strcspn (pt, "\n")] = 0;
    gt[strcspn (gt, "\n")] = 0;
    if (mk_parse_int64 (pt, &cur) < 0 || mk_parse_int64 (gt, &cap) < 0)
      return;
    if (cap < 0 || cur + runtime < cap)
      cap = cur + runtime;
    if (cap <= cur)
      return;
    snprintf (buf, sizeof (buf), "%lld", cap);
    mk_write_string_at (AT_FDCWD, pf, buf, NULL);
  }
}

static int
apply_cpu_v1 (const struct mk_cgroup *cg, const struct mk_resources *r, mk_error **err)
{
  const struct mk_cg_dir *d = v1_dir (cg, "cpu");
  bool period_pending = false;

  if (d == NULL)
    return 0;
  if (r->has_cpu_shares && r->cpu_shares != 0)
    {
      uint64_t got = 0;
      if (write_uint (d, "cpu.shares", r->cpu_shares, CPU ".shares", err) < 0
          || read_uint (d, "cpu.shares", &got, err) < 0)
        return -1;
      /* The kernel clamps; say so instead of silently using another value.  */
      if (got != r->cpu_shares)
        return mk_error_set (err, 0, CPU ".shares: %" PRIu64 " out of range (the kernel set %" PRIu64 ")",
                             r->cpu_shares, got);
    }
  if (r->has_cpu_period && r->cpu_period != 0)
    {
      if (write_uint (d, "cpu.cfs_period_us", r->cpu_period, CPU ".period", err) < 0)
        {
          /* A smaller period can be refused until the quota is set: retry after.  */
          if (err == NULL || *err == NULL || (*err)->errnum != EINVAL || !r->has_cpu_quota || r->cpu_quota == 0)
            return -1;
          mk_error_free (*err);
          *err = NULL;
          period_pending = true;
        }
    }
  if (r->has_cpu_burst
      && write_uint (d, "cpu.cfs_burst_us", r->cpu_burst, CPU ".burst", err) < 0)
    return -1;
  if (r->has_cpu_quota && r->cpu_quota != 0
      && write_int (d, "cpu.cfs_quota_us", r->cpu_quota, CPU ".quota", err) < 0)
    return -1;
  if (period_pending
      && write_uint (d, "cpu.cfs_period_us", r->cpu_period, CPU ".period", err) < 0)
    return -1;
  if (r->has_cpu_rt_period && r->cpu_rt_period != 0
      && write_uint (d, "cpu.rt_period_us", r->cpu_rt_period, CPU ".realtimePeriod", err) < 0)
    return -1;
  if (r->has_cpu_rt_runtime && r->cpu_rt_runtime > 0)
    raise_parent_rt (d, r->cpu_rt_runtime);
  if (r->has_cpu_rt_runtime && r->cpu_rt_runtime != 0
      && write_int (d, "cpu.rt_runtime_us", r->cpu_rt_runtime, CPU ".realtimeRuntime", err) < 0)
    return -1;
  if (r->has_cpu_idle && write_int (d, "cpu.idle", r->cpu_idle, CPU ".idle", err) < 0)
    return -1;
  return 0;
}

static int
apply_cpuset_v1 (const struct mk_cgroup *cg, const struct mk_resources *r, mk_error **err)
{
  const struct mk_cg_dir *d = v1_dir (cg, "cpuset");
  if (d == NULL)
    return 0;
  if (r->cpu_cpus && r->cpu_cpus[0]
      && mk_cg_write (d, "cpuset.cpus", r->cpu_cpus, CPU ".cpus", err) < 0)
    return -1;
  if (r->cpu_mems && r->cpu_mems[0]
      && mk_cg_write (d, "cpuset.mems", r->cpu_mems, CPU ".mems", err) < 0)
    return -1;
  return 0;
}

static int
apply_pids_v1 (const struct mk_cgroup *cg, const struct mk_resources *r, mk_error **err)
{
  const struct mk_cg_dir *d = v1_dir (cg, "pids");
  if (d == NULL || !r->has_pids_limit)
    return 0;
  if (r->pids_limit < 0)
    return mk_cg_write (d, "pids.max", "max", "linux.resources.pids.limit", err);
  return write_int (d, "pids.max", r->pids_limit, "linux.resources.pids.limit", err);
}

static int
write_blkio_list (const struct mk_cg_dir *d, const char *file, const struct mk_blkio_device *v,
                  size_t n, const char *where, mk_error **err)
{
  for (size_t i = 0; i < n; i++)
    {
      char buf[96];
      snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " %" PRIu64, v[i].major, v[i].minor,
                v[i].rate);
      if (mk_cg_write (d, file, buf, where, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_block_io_v1 (const struct mk_cgroup *cg, const struct mk_resources *r, mk_error **err)
{
  const struct mk_cg_dir *d = v1_dir (cg, "blkio");
  const char *weight_file = "blkio.weight", *weight_device_file = "blkio.weight_device";

  if (d == NULL)
    return 0;
  if (!mk_cg_has_file (d, weight_file) && mk_cg_has_file (d, "blkio.bfq.weight"))
    {
      weight_file = "blkio.bfq.weight";
      weight_device_file = "blkio.bfq.weight_device";
    }
  if (r->has_blkio_weight && r->blkio_weight != 0)
    {
      if (!mk_cg_has_file (d, weight_file))
        return mk_error_set (err, 0,
                             BLKIO ".weight: neither blkio.weight nor blkio.bfq.weight exists "
                                   "(no CFQ or BFQ I/O scheduler)");
      if (write_uint (d, weight_file, r->blkio_weight, BLKIO ".weight", err) < 0)
        return -1;
    }
  if (r->has_blkio_leaf_weight && r->blkio_leaf_weight != 0
      && write_uint (d, "blkio.leaf_weight", r->blkio_leaf_weight, BLKIO ".leafWeight", err) < 0)
    return -1;
  for (size_t i = 0; i < r->n_blkio_weight_device; i++)
    {
      const struct mk_blkio_device *w = &r->blkio_weight_device[i];
      char buf[96];
      if (w->has_weight)
        {
          snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->weight);
          if (mk_cg_write (d, weight_device_file, buf, BLKIO ".weightDevice", err) < 0)
            return -1;
        }
      if (w->has_leaf_weight)
        {
          snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
                    w->leaf_weight);
          if (mk_cg_write (d, "blkio.leaf_weight_device", buf, BLKIO ".weightDevice", err) < 0)
            return -1;
        }
    }
  if (write_blkio_list (d, "blkio.throttle.read_bps_device", r->throttle_read_bps,
                        r->n_throttle_read_bps, BLKIO ".throttleReadBpsDevice", err) < 0
      || write_blkio_list (d, "blkio.throttle.write_bps_device", r->throttle_write_bps,
                           r->n_throttle_write_bps, BLKIO ".throttleWriteBpsDevice", err) < 0
      || write_blkio_list (d, "blkio.throttle.read_iops_device", r->throttle_read_iops,
                           r->n_throttle_read_iops, BLKIO ".throttleReadIOPSDevice", err) < 0
      || write_blkio_list (d, "blkio.throttle.write_iops_device", r->throttle_write_iops,
                           r->n_throttle_write_iops, BLKIO ".throttleWriteIOPSDevice", err) < 0)
    return -1;
  return 0;
}

static int
apply_hugepage_limits_v1 (const struct mk_cgroup *cg, const struct mk_resources *r,
                          mk_error **err)
{
  const struct mk_cg_dir *d = v1_dir (cg, "hugetlb");
  if (d == NULL)
    return 0;
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      const struct mk_hugepage_limit *h = &r->hugepage_limits[i];
      _cleanup_free_ char *file = xasprintf ("hugetlb.%s.limit_in_bytes", h->page_size);
      _cleanup_free_ char *rsvd = xasprintf ("hugetlb.%s.rsvd.limit_in_bytes", h->page_size);
      _cleanup_free_ char *where = xasprintf ("linux.resources.hugepageLimits[%zu]", i);
      if (!mk_cg_has_file (d, file))
        return mk_error_set (err, 0, "%s.pageSize: huge page size %s is not supported (no %s)",
                             where, h->page_size, file);
      if (write_uint (d, file, h->limit, where, err) < 0)
        return -1;
      if (mk_cg_has_file (d, rsvd) && write_uint (d, rsvd, h->limit, where, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_network_v1 (const struct mk_cgroup *cg, const struct mk_resources *r, mk_error **err)
{
  const struct mk_cg_dir *cls = v1_dir (cg, "net_cls"), *prio = v1_dir (cg, "net_prio");

  if (cls && r->has_net_class_id
      && write_uint (cls, "net_cls.classid", r->net_class_id, "linux.resources.network.classID",
                     err) < 0)
    return -1;
  for (size_t i = 0; prio && i < r->n_net_priorities; i++)
    {
      _cleanup_free_ char *v = xasprintf ("%s %u", r->net_priorities[i].name,
                                          r->net_priorities[i].priority);
      if (mk_cg_write (prio, "net_prio.ifpriomap", v, "linux.resources.network.priorities", err)
          < 0)
        return -1;
    }
  return 0;
}

static char *
device_rule_string (const struct mk_device_rule *d)
{
  char maj[24], min[24];
  if (d->major < 0)
    strcpy (maj, "*");
  else
    snprintf (maj, sizeof (maj), "%" PRId64, d->major);
  if (d->minor < 0)
    strcpy (min, "*");
  else
    snprintf (min, sizeof (min), "%" PRId64, d->minor);
  return xasprintf ("%c %s:%s %s", d->type, maj, min, d->access);
}

static int
apply_devices_v1 (const struct mk_cgroup *cg, const struct mk_resources *r, mk_error **err)
{
  const struct mk_cg_dir *d = v1_dir (cg, "devices");
  size_t start = 0;

  if (d == NULL || r->n_devices == 0)
    return 0;
  if (!r->devices[0].allow && r->devices[0].type == 'a')
    {
      if (mk_cg_write (d, "devices.deny", "a", "linux.resources.devices[0]", err) < 0)
        return -1;
      start = 1;
    }
  for (size_t i = start; i < r->n_devices; i++)
    {
      const struct mk_device_rule *dev = &r->devices[i];
      _cleanup_free_ char *s = device_rule_string (dev);
      _cleanup_free_ char *where = xasprintf ("linux.resources.devices[%zu]", i);
      if (mk_cg_write (d, dev->allow ? "devices.allow" : "devices.deny", s, where, err) < 0)
        return -1;
    }
  return 0;
}

int
mk_cg_v1_apply (const struct mk_cgroup *cg, const struct mk_resources *r, bool update,
                mk_error **err)
{
  /* cpuset before anything a task could trip over; devices last.  */
  if (apply_cpuset_v1 (cg, r, err) < 0 || apply_memory_v1 (cg, r, update, err) < 0
      || apply_cpu_v1 (cg, r, err) < 0 || apply_pids_v1 (cg, r, err) < 0
      || apply_block_io_v1 (cg, r, err) < 0 || apply_hugepage_limits_v1 (cg, r, err) < 0
      || apply_network_v1 (cg, r, err) < 0 || apply_devices_v1 (cg, r, err) < 0)
    return -1;
  return 0;
}
