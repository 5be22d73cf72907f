/* cgroups/v2.c: linux.resources on the unified hierarchy, converted the way
 * runc's fs2 does (cpu.weight from shares, cpu.max, memory.swap.max =
 * swap - limit, io.weight from the blkio weight, io.max), plus
 * subtree_control, the unified map and cgroup.freeze.  On a hybrid host only
 * the controllers the v2 mount holds are set here (hugetlb on this kind of
 * host); the rest is v1.c's.  */
#include "config.h"

#include "files.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../utils.h"

#define MEM "linux.resources.memory"
#define CPU "linux.resources.cpu"
#define BLKIO "linux.resources.blockIO"

static const struct mk_cg_dir *
v2_dir (const struct mk_cgroup *cg, const char *controller)
{
  const struct mk_cg_dir *d = mk_cg_dir_for (cg, controller);
  return d && d->hier->v2 ? d : NULL;
}

bool
mk_cg_needs_controller (const struct mk_resources *r, const char *name)
{
  if (r == NULL)
    return false;
  for (size_t i = 0; i < r->n_unified; i++)
    {
      size_t len = strlen (name);
      if (strncmp (r->unified_keys[i], name, len) == 0 && r->unified_keys[i][len] == '.')
        return true;
    }
  if (strcmp (name, "memory") == 0)
    return r->has_mem_limit || r->has_mem_reservation || r->has_mem_swap;
  if (strcmp (name, "cpu") == 0)
    return r->has_cpu_shares || r->has_cpu_quota || r->has_cpu_period || r->has_cpu_burst
           || r->has_cpu_idle;
  if (strcmp (name, "cpuset") == 0)
    return r->cpu_cpus != NULL || r->cpu_mems != NULL;
  if (strcmp (name, "pids") == 0)
    return r->has_pids_limit;
  if (strcmp (name, "io") == 0)
    return r->has_blkio_weight || r->n_blkio_weight_device || r->n_throttle_read_bps
           || r->n_throttle_write_bps || r->n_throttle_read_iops || r->n_throttle_write_iops;
  if (strcmp (name, "hugetlb") == 0)
    return r->n_hugepage_limits > 0;
  return false;
}

static bool
word_in (const char *list, const char *word)
{
  size_t len = strlen (word);
  for (const char *p = list; (p = strstr (p, word)) != NULL; p += len)
    if ((p == list || p[-1] == ' ' || p[-1] == '\n')
        && (p[len] == '\0' || p[len] == ' ' || p[len] == '\n'))
      return true;
  return false;
}

/* Enables, in every ancestor from the container's starting point down to
   the leaf's parent, the controllers the parent offers.  In directories this
   container created every offered controller is enabled (failures of the
   unneeded ones are ignored); in pre-existing ones only the needed ones that
   are not yet enabled, so cgroups we did not create are left alone unless
   the spec asks for a controller.  */
/* The no-internal-process rule: a v2 cgroup holding processes cannot give
   its children controllers (EBUSY).  Where the process in DIR is the
   runtime alone (mkrun run in a cgroup delegated to it: under `systemd-run
   --scope -p Delegate=yes`, in a directory root gave the user), the
   runtime moves itself into a leaf of its own, DIR/mkrun.runtime (left for
   the next run), as systemd's delegation rules ask of a delegated cgroup's
   owner.  Other processes there are not ours to move: -1.  */
static int
leave_for_leaf (const char *dir)
{
  _cleanup_free_ char *procs_path = xasprintf ("%s/cgroup.procs", dir), *procs = NULL;
  _cleanup_free_ char *leaf = xasprintf ("%s/mkrun.runtime", dir);
  _cleanup_free_ char *leaf_procs = xasprintf ("%s/cgroup.procs", leaf);
  char *save = NULL;
  bool ours = false;

  if (mk_read_file_at (AT_FDCWD, procs_path, &procs, NULL, NULL) < 0)
    return -1;
  for (char *t = strtok_r (procs, "\n", &save); t; t = strtok_r (NULL, "\n", &save))
    {
      if (atoi (t) != (int)getpid ())
        return -1;
      ours = true;
    }
  if (!ours || (mkdir (leaf, 0755) < 0 && errno != EEXIST))
    return -1;
  return mk_write_string_at (AT_FDCWD, leaf_procs, "0", NULL);
}

int
mk_cg_v2_enable_controllers (const struct mk_cg_dir *d, const struct mk_resources *r,
                             mk_error **err)
{
  _cleanup_free_ char *p = xstrdup (d->dir);
  size_t n_components = 0, base_len;
  bool moved = false;

  for (const char *s = p; *s; s++)
    n_components += *s == '/';
  /* P becomes the base: the leaf minus what we created.  */
  for (size_t i = 0; i < d->n_created; i++)
    *strrchr (p, '/') = '\0';
  base_len = strlen (p);

  for (;;)
    {
      _cleanup_free_ char *ctrl_path = xasprintf ("%s/cgroup.controllers", p);
      _cleanup_free_ char *sub_path = xasprintf ("%s/cgroup.subtree_control", p);
      _cleanup_free_ char *avail = NULL, *enabled = NULL;
      bool created = strlen (p) > base_len;
      char *save = NULL, *next;

      if (strcmp (p, d->dir) == 0)
        break;
      if (mk_read_file_at (AT_FDCWD, ctrl_path, &avail, NULL, err) < 0
          || mk_read_file_at (AT_FDCWD, sub_path, &enabled, NULL, err) < 0)
        return -1;
      for (char *c = strtok_r (avail, " \n", &save); c; c = strtok_r (NULL, " \n", &save))
        {
          bool needed = mk_cg_needs_controller (r, c);
          _cleanup_free_ char *plus = NULL;
          if (word_in (enabled, c) || (!created && !needed))
            continue;
          plus = xasprintf ("+%s", c);
          if (mk_write_string_at (AT_FDCWD, sub_path, plus, needed ? err : NULL) < 0 && needed)
            {
              if ((*err)->errnum != EBUSY || moved || leave_for_leaf (p) < 0)
                return mk_error_prefix (err, "enable the %s controller", c);
              moved = true;
              mk_error_free (*err);
              *err = NULL;
              if (mk_write_string_at (AT_FDCWD, sub_path, plus, err) < 0)
                return mk_error_prefix (err, "enable the %s controller", c);
            }
        }
      /* Down one component.  */
      next = strchr (d->dir + strlen (p) + 1, '/');
      free (p);
      p = next ? strndup (d->dir, next - d->dir) : xstrdup (d->dir);
    }
  (void) n_components;
  return 0;
}

static int
write_str (const struct mk_cg_dir *d, const char *file, const char *v, const char *where,
           mk_error **err)
{
  return mk_cg_write (d, file, v, where, err);
}

static void
fmt_max (char *buf, size_t len, int64_t v)
{
  if (v < 0)
    snprintf (buf, len, "max");
  else
    snprintf (buf, len, "%" PRId64, v);
}

static int
apply_memory_v2 (const struct mk_cgroup *cg, const struct mk_resources *r, bool update,
                 mk_error **err)
{
  const struct mk_cg_dir *d = v2_dir (cg, "memory");
  int64_t limit = r->has_mem_limit ? r->mem_limit : 0;
  int64_t swap = r->has_mem_swap ? r->mem_swap : 0, swap_v2;
  char buf[32];

  if (d == NULL)
    return 0;
  if (update && r->has_check_before_update && r->check_before_update && limit > 0)
    {
      _cleanup_free_ char *cur = NULL;
      if (mk_cg_read (d, "memory.current", &cur, err) < 0)
        return mk_error_prefix (err, MEM ".checkBeforeUpdate");
      if ((uint64_t) limit < strtoull (cur, NULL, 10))
        return mk_error_set (err, 0, MEM ".limit: rejecting memory limit %" PRId64
                             " below the current usage %s", limit, cur);
    }
  /* runc's ConvertMemorySwapToCgroupV2Value: 0 is "unset".  */
  if (limit == -1 && swap == 0)
    swap_v2 = -1;
  else if (swap == -1 || swap == 0)
    swap_v2 = swap;
  else if (limit == 0 || limit == -1)
    return mk_error_set (err, 0, MEM ".swap: cannot set a swap limit without a memory limit");
  else if (limit < 0)
    return mk_error_set (err, 0, MEM ".limit: invalid value %" PRId64, limit);
  else if (swap < limit)
    return mk_error_set (err, 0, MEM ".swap: memory+swap limit %" PRId64
                         " must be at least the memory limit %" PRId64, swap, limit);
  else
    swap_v2 = swap - limit;

  if (swap_v2 != 0 || (r->has_mem_swap && swap != 0))
    {
      fmt_max (buf, sizeof (buf), swap_v2);
      if (write_str (d, "memory.swap.max", buf, MEM ".swap", err) < 0)
        {
          /* No swap accounting: "max" and "0" are what we have anyway.  */
          if (err == NULL || *err == NULL || (*err)->errnum != ENOENT
              || (swap_v2 != -1 && swap_v2 != 0))
            return -1;
          mk_error_free (*err);
          *err = NULL;
        }
    }
  if (limit != 0)
    {
      fmt_max (buf, sizeof (buf), limit);
      if (write_str (d, "memory.max", buf, MEM ".limit", err) < 0)
        return -1;
    }
  if (r->has_mem_reservation && r->mem_reservation != 0)
    {
      fmt_max (buf, sizeof (buf), r->mem_reservation);
      if (write_str (d, "memory.low", buf, MEM ".reservation", err) < 0)
        return -1;
    }
  /* kernel, kernelTCP, swappiness, disableOOMKiller, useHierarchy have no
     v2 file: ignored, as runc does.  */
  return 0;
}

static int
apply_cpu_v2 (const struct mk_cgroup *cg, const struct mk_resources *r, mk_error **err)
{
  const struct mk_cg_dir *d = v2_dir (cg, "cpu");
  bool burst_pending = false;
  char buf[64];

  if ((r->has_cpu_rt_period && r->cpu_rt_period != 0)
      || (r->has_cpu_rt_runtime && r->cpu_rt_runtime != 0))
    {
      if (cg->mode == MK_CGROUP_V2)
        return mk_error_set (err, 0, CPU ".realtimeRuntime: realtime scheduling is not supported on cgroup v2");
    }
  if (d == NULL)
    return 0;
  if (r->has_cpu_idle)
    {
      snprintf (buf, sizeof (buf), "%" PRId64, r->cpu_idle);
      if (write_str (d, "cpu.idle", buf, CPU ".idle", err) < 0)
        return -1;
    }
  /* An idle group takes no weight.  */
  if (r->has_cpu_shares && r->cpu_shares != 0 && !(r->has_cpu_idle && r->cpu_idle == 1))
    {
      snprintf (buf, sizeof (buf), "%" PRIu64, mk_cg_shares_to_weight (r->cpu_shares));
      if (write_str (d, "cpu.weight", buf, CPU ".shares", err) < 0)
        return -1;
    }
  if (r->has_cpu_burst)
    {
      snprintf (buf, sizeof (buf), "%" PRIu64, r->cpu_burst);
      if (write_str (d, "cpu.max.burst", buf, CPU ".burst", err) < 0)
        {
          if (err == NULL || *err == NULL || (*err)->errnum != EINVAL || !r->has_cpu_quota
              || r->cpu_quota == 0)
            return -1;
          mk_error_free (*err);
          *err = NULL;
          burst_pending = true;
        }
    }
  if ((r->has_cpu_quota && r->cpu_quota != 0) || (r->has_cpu_period && r->cpu_period != 0))
    {
      char quota[32] = "max";
      if (r->has_cpu_quota && r->cpu_quota > 0)
        snprintf (quota, sizeof (quota), "%" PRId64, r->cpu_quota);
      if (r->has_cpu_period && r->cpu_period != 0)
        snprintf (buf, sizeof (buf), "%s %" PRIu64, quota, r->cpu_period);
      else
        snprintf (buf, sizeof (buf), "%s", quota);
      if (write_str (d, "cpu.max", buf, r->has_cpu_quota ? CPU ".quota" : CPU ".period", err) < 0)
        return -1;
    }
  if (burst_pending)
    {
      snprintf (buf, sizeof (buf), "%" PRIu64, r->cpu_burst);
      if (write_str (d, "cpu.max.burst", buf, CPU ".burst", err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_cpuset_v2 (const struct mk_cgroup *cg, const struct mk_resources *r, mk_error **err)
{
  const struct mk_cg_dir *d = v2_dir (cg, "cpuset");
  if (d == NULL)
    return 0;
  if (r->cpu_cpus && r->cpu_cpus[0]
      && write_str (d, "cpuset.cpus", r->cpu_cpus, CPU ".cpus", err) < 0)
    return -1;
  if (r->cpu_mems && r->cpu_mems[0]
      && write_str (d, "cpuset.mems", r->cpu_mems, CPU ".mems", err) < 0)
    return -1;
  return 0;
}

static int
apply_pids_v2 (const struct mk_cgroup *cg, const struct mk_resources *r, mk_error **err)
{
  const struct mk_cg_dir *d = v2_dir (cg, "pids");
  char buf[32];
  if (d == NULL || !r->has_pids_limit)
    return 0;
  fmt_max (buf, sizeof (buf), r->pids_limit < 0 ? -1 : r->pids_limit);
  return write_str (d, "pids.max", buf, "linux.resources.pids.limit", err);
}

static int
write_io_max (const struct mk_cg_dir *d, const char *key, const struct mk_blkio_device *v,
              size_t n, const char *where, mk_error **err)
{
  for (size_t i = 0; i < n; i++)
    {
      char buf[128];
      snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " %s=%" PRIu64, v[i].major, v[i].minor,
                key, v[i].rate);
      if (write_str (d, "io.max", buf, where, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_block_io_v2 (const struct mk_cgroup *cg, const struct mk_resources *r, mk_error **err)
{
  const struct mk_cg_dir *d = v2_dir (cg, "io");
  bool bfq;
  char buf[96];

  if (d == NULL)
    return 0;
  bfq = mk_cg_has_file (d, "io.bfq.weight");
  if (r->has_blkio_weight && r->blkio_weight != 0)
    {
      if (bfq)
        {
          snprintf (buf, sizeof (buf), "%u", r->blkio_weight);
          if (write_str (d, "io.bfq.weight", buf, BLKIO ".weight", err) < 0)
            return -1;
        }
      else
        {
          snprintf (buf, sizeof (buf), "%" PRIu64, mk_cg_blkio_to_io_weight (r->blkio_weight));
          if (write_str (d, "io.weight", buf, BLKIO ".weight", err) < 0)
            return -1;
        }
    }
  for (size_t i = 0; i < r->n_blkio_weight_device; i++)
    {
      const struct mk_blkio_device *w = &r->blkio_weight_device[i];
      if (!w->has_weight)
        continue;
      if (!bfq)
        return mk_error_set (err, 0, BLKIO ".weightDevice: needs the BFQ I/O scheduler (no io.bfq.weight)");
      snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->weight);
      if (write_str (d, "io.bfq.weight", buf, BLKIO ".weightDevice", err) < 0)
        return -1;
    }
  if (write_io_max (d, "rbps", r->throttle_read_bps, r->n_throttle_read_bps,
                    BLKIO ".throttleReadBpsDevice", err) < 0
      || write_io_max (d, "wbps", r->throttle_write_bps, r->n_throttle_write_bps,
                       BLKIO ".throttleWriteBpsDevice", err) < 0
      || write_io_max (d, "riops", r->throttle_read_iops, r->n_throttle_read_iops,
                       BLKIO ".throttleReadIOPSDevice", err) < 0
      || write_io_max (d, "wiops", r->throttle_write_iops, r->n_throttle_write_iops,
                       BLKIO ".throttleWriteIOPSDevice", err) < 0)
    return -1;
  return 0;
}

static int
apply_hugepage_limits_v2 (const struct mk_cgroup *cg, const struct mk_resources *r,
                          mk_error **err)
{
  const struct mk_cg_dir *d = v2_dir (cg, "hugetlb");
  if (d == NULL)
    return 0;
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      const struct mk_hugepage_limit *h = &r->hugepage_limits[i];
      _cleanup_free_ char *file = xasprintf ("hugetlb.%s.max", h->page_size);
      _cleanup_free_ char *rsvd = xasprintf ("hugetlb.%s.rsvd.max", h->page_size);
      _cleanup_free_ char *where = xasprintf ("linux.resources.hugepageLimits[%zu]", i);
      char buf[32];
      if (!mk_cg_has_file (d, file))
        return mk_error_set (err, 0, "%s.pageSize: huge page size %s is not supported (no %s)",
                             where, h->page_size, file);
      snprintf (buf, sizeof (buf), "%" PRIu64, h->limit);
      if (write_str (d, file, buf, where, err) < 0)
        return -1;
      if (mk_cg_has_file (d, rsvd) && write_str (d, rsvd, buf, where, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_unified (const struct mk_cgroup *cg, const struct mk_resources *r, mk_error **err)
{
  const struct mk_cg_dir *d = mk_cg_v2_dir (cg);
  for (size_t i = 0; d && i < r->n_unified; i++)
    {
      _cleanup_free_ char *where = xasprintf ("linux.resources.unified.%s", r->unified_keys[i]);
      _cleanup_free_ char *controller = xstrdup (r->unified_keys[i]);
      controller[strcspn (controller, ".")] = '\0';
      /* A key of a controller that is not on the v2 hierarchy (a hybrid
         host's are on v1) is the config's mistake, not a failed write.  */
      if (strcmp (controller, "cgroup") != 0
          && !mk_strv_contains (d->hier->controllers, controller))
        return mk_error_set (err, 0,
                             "%s: invalid configuration: the %s controller is not on this host's "
                             "cgroup v2 hierarchy%s",
                             where, controller, cg->mode == MK_CGROUP_V2 ? "" : " (it is on v1)");
      if (write_str (d, r->unified_keys[i], r->unified_values[i], where, err) < 0)
        return -1;
    }
  return 0;
}

int
mk_cg_v2_apply (const struct mk_cgroup *cg, const struct mk_resources *r, bool update,
                mk_error **err)
{
  const struct mk_cg_dir *d = mk_cg_v2_dir (cg);

  if (apply_cpuset_v2 (cg, r, err) < 0 || apply_memory_v2 (cg, r, update, err) < 0
      || apply_cpu_v2 (cg, r, err) < 0 || apply_pids_v2 (cg, r, err) < 0
      || apply_block_io_v2 (cg, r, err) < 0 || apply_hugepage_limits_v2 (cg, r, err) < 0)
    return -1;
  /* Devices: the v1 controller when a v1 hierarchy holds it, else BPF.  */
  if (r->n_devices > 0 && mk_cg_dir_for (cg, "devices") == NULL && d != NULL
      && mk_cg_devices_bpf_apply (d->dirfd, r->devices, r->n_devices, err) < 0)
    return mk_error_prefix (err, "linux.resources.devices");
  /* unified last: it overrides what the typed fields wrote, as in runc.  */
  return apply_unified (cg, r, err);
}

int
mk_cg_v2_freeze (const struct mk_cg_dir *d, bool freeze, mk_error **err)
{
  const char *want = freeze ? "frozen 1" : "frozen 0";
  struct timespec ts = { 0, 1000 * 1000 };

  if (mk_cg_write (d, "cgroup.freeze", freeze ? "1" : "0", NULL, err) < 0)
    return -1;
  for (int i = 0; i < 10000; i++)
    {
      _cleanup_free_ char *events = NULL;
      char *p;
      if (mk_cg_read (d, "cgroup.events", &events, err) < 0)
        return -1;
      p = strstr (events, "frozen ");
      if (p == NULL)
        return 0; /* a kernel without the field: trust the write */
      if (strncmp (p, want, strlen (want)) == 0)
        return 0;
      nanosleep (&ts, NULL);
    }
  if (freeze)
    mk_cg_write (d, "cgroup.freeze", "0", NULL, NULL);
  return mk_error_set (err, ETIMEDOUT, "%s cgroup `%s`", freeze ? "freeze" : "thaw", d->dir);
}

/* runc's conversions, which crun and systemd's drivers share: cpu.shares
   [2, 262144] onto cpu.weight [1, 10000]; blkio.weight [10, 1000] onto
   io.weight [1, 10000].  */
uint64_t
mk_cg_shares_to_weight (uint64_t shares)
{
  uint64_t w = shares < 2 ? 1 : 1 + ((shares - 2) * 9999) / 262142;
  return w > 10000 ? 10000 : w;
}

uint64_t
mk_cg_blkio_to_io_weight (uint64_t weight)
{
  uint64_t w = 1 + ((weight < 10 ? 10 : weight) - 10) * 9999 / 990;
  return w > 10000 ? 10000 : w;
}
