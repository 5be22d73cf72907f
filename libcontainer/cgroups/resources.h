/* cgroups/resources.h: linux.resources as typed values (runtime-spec 1.2).
 * Parsed once by mk_resources_parse(), applied by v1.c / v2.c.  Every field
 * has a has_* flag: absent means "leave the kernel's default".  */
#ifndef MK_RESOURCES_H
#define MK_RESOURCES_H

#include <stdbool.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "../error.h"

struct mk_device_rule
{
  bool allow;
  char type;          /* 'a', 'c', 'b' */
  int64_t major, minor; /* -1 = wildcard */
  char access[4];     /* subset of "rwm" */
};

struct mk_blkio_device
{
  int64_t major, minor;
  bool has_weight, has_leaf_weight;
  uint16_t weight, leaf_weight;
  uint64_t rate; /* for throttles */
};

struct mk_hugepage_limit
{
  char *page_size; /* "2MB", "1GB" */
  uint64_t limit;
};

struct mk_net_priority
{
  char *name;
  uint32_t priority;
};

struct mk_resources
{
  /* memory */
  bool has_mem_limit, has_mem_reservation, has_mem_swap, has_mem_kernel, has_mem_kernel_tcp;
  bool has_mem_swappiness, has_disable_oom_killer, has_use_hierarchy, has_check_before_update;
  int64_t mem_limit, mem_reservation, mem_swap, mem_kernel, mem_kernel_tcp;
  uint64_t mem_swappiness;
  bool disable_oom_killer, use_hierarchy, check_before_update;

  /* cpu */
  bool has_cpu_shares, has_cpu_quota, has_cpu_burst, has_cpu_period;
  bool has_cpu_rt_runtime, has_cpu_rt_period, has_cpu_idle;
  uint64_t cpu_shares, cpu_period, cpu_rt_period, cpu_burst;
  int64_t cpu_quota, cpu_rt_runtime, cpu_idle;
  char *cpu_cpus, *cpu_mems;

  /* pids */
  bool has_pids_limit;
  int64_t pids_limit;

  /* blockIO */
  bool has_blkio_weight, has_blkio_leaf_weight;
  uint16_t blkio_weight, blkio_leaf_weight;
  struct mk_blkio_device *blkio_weight_device;
  size_t n_blkio_weight_device;
  struct mk_blkio_device *throttle_read_bps, *throttle_write_bps, *throttle_read_iops,
      *throttle_write_iops;
  size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops, n_throttle_write_iops;

  /* hugepageLimits */
  struct mk_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;

  /* network */
  bool has_net_class_id;
  uint32_t net_class_id;
  struct mk_net_priority *net_priorities;
  size_t n_net_priorities;

  /* devices, in order */
  struct mk_device_rule *devices;
  size_t n_devices;

  /* unified: v2 file name -> value */
  char **unified_keys, **unified_values;
  size_t n_unified;
};

/* Parses the linux.resources object NODE; WHERE is "linux.resources".
   Errors name the field: "linux.resources.memory.limit: expected an integer". */
int mk_resources_parse (yajl_val node, const char *where, struct mk_resources **out,
                        mk_error **err);
void mk_resources_free (struct mk_resources *r);

/* The field of the first limit R sets ("linux.resources.memory"), or NULL
   when it sets none.  Device rules are not limits here: without a cgroup
   (an unprivileged container in a user namespace) the user's own access
   to the host's devices is what bounds the container's.  */
const char *mk_resources_first_limit (const struct mk_resources *r);

/* Sets one of runc's `update` flags on R: NAME without the dashes
   ("memory", "cpu-quota", "cpuset-cpus", ...), VALUE as given.  Sizes take
   binary units (64m, 1G); -1 means unlimited.  */
int mk_resources_set_flag (struct mk_resources *r, const char *name, const char *value,
                           mk_error **err);

#endif
