/* cgroups/internal.h: what common.c, v1.c, v2.c and devices_bpf.c share:
 * the types, and each file's entry points (files.c's are in files.h).
 *
 * The host layout is a list of hierarchies (one per v1 mount, plus the v2
 * mount).  A container cgroup is one directory per hierarchy.  Resources are
 * applied per controller, by whichever hierarchy holds that controller: on a
 * hybrid host hugetlb may live in the v2 mount while memory is in v1.  */
#ifndef MK_CGROUP_INTERNAL_H
#define MK_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "cgroup.h"
#include "resources.h"

struct mk_cg_hier
{
  char *key;         /* v1: super options' controller list ("cpu,cpuacct", "name=systemd");
                        v2: "unified" */
  char *mountpoint;  /* "/sys/fs/cgroup/memory" */
  char *root;        /* mountinfo's root field: the cgroup shown at the mountpoint */
  char **controllers; /* v1: the controllers of the mount; v2: the root's cgroup.controllers */
  bool v2;
};

struct mk_cg_layout
{
  enum mk_cgroup_mode mode;
  struct mk_cg_hier *hiers;
  size_t n_hiers;
};

/* One directory of the container: the hierarchy, its cgroup path (as in
   /proc/PID/cgroup), its directory on the host, and how many trailing
   components of the path this container created.  */
struct mk_cg_dir
{
  const struct mk_cg_hier *hier;
  char *path;
  char *dir;
  size_t n_created;
  size_t base_len; /* at create: the length of dir's part that is not the container's */
  int dirfd;       /* O_DIRECTORY fd of dir, -1 until opened */
};

struct mk_cgroup
{
  enum mk_cgroup_mode mode;
  struct mk_cg_dir *dirs;
  size_t n_dirs;
  char *state_path; /* see cgroup.h for the format */
  int clone_fd;     /* the v2 directory's dirfd, or -1 (see mk_cgroup_clone_fd) */
  bool systemd_scope; /* a scope systemd made, a placeholder in it */
};

/* common.c: the host layout, read once.  */
const struct mk_cg_layout *mk_cg_layout (void);

/* v1.c: per controller setters for a v1 directory.  */
int mk_cg_v1_apply (const struct mk_cgroup *cg, const struct mk_resources *r, bool update,
                    mk_error **err);
int mk_cg_v1_copy_cpuset (const struct mk_cg_dir *d, mk_error **err);

/* v2.c: setters for the controllers the v2 hierarchy holds, unified.  */
int mk_cg_v2_apply (const struct mk_cgroup *cg, const struct mk_resources *r, bool update,
                    mk_error **err);
int mk_cg_v2_enable_controllers (const struct mk_cg_dir *d, const struct mk_resources *r,
                                 mk_error **err);
int mk_cg_v2_freeze (const struct mk_cg_dir *d, bool freeze, mk_error **err);
uint64_t mk_cg_shares_to_weight (uint64_t shares);
uint64_t mk_cg_blkio_to_io_weight (uint64_t weight);

/* devices_bpf.c: builds, loads and attaches the device program to DIRFD.  */
int mk_cg_devices_bpf_apply (int dirfd, const struct mk_device_rule *rules, size_t n,
                             mk_error **err);

/* Whether the v2 controller NAME is needed by R (for subtree_control).  */
bool mk_cg_needs_controller (const struct mk_resources *r, const char *name);

#endif
