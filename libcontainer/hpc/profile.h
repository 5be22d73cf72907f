/* hpc/profile.h: the HPC profile, asked for with org.mkrun.hpc.* annotations.
 *
 * A container with the profile owns what it asks for, statically:
 *   org.mkrun.hpc.cores      N, or a cpu list ("2-3,6"): cores no other mkrun HPC
 *                            container holds; the container is pinned there and every
 *                            other container mkrun runs is kept off them.
 *   org.mkrun.hpc.hugepages  "2M:COUNT[,1G:COUNT]": pages reserved (on the NUMA nodes
 *                            of the cores), limited by the hugetlb controller, hugetlbfs
 *                            at /dev/hugepages; given back at delete.
 *   org.mkrun.hpc.thp        always | madvise | never, for the container's processes.
 *   org.mkrun.hpc.numa       local (the cores' nodes) or a node list: cpuset.mems.
 *   org.mkrun.hpc.rt         "fifo:PRIO" / "rr:PRIO" (or PRIO: fifo): real-time
 *                            scheduling for the program, memlock unlimited.
 *   org.mkrun.hpc.gpus       all, or GPU indices/UUIDs (hpc/gpu.h).
 *   org.mkrun.hpc.irq        steer: interrupt affinity moved off the cores while the
 *                            container lives, restored at delete.
 *
 * Values are checked when the spec is parsed (mk_hpc_parse: a bad one fails
 * create before anything exists).  What the host gives (cores, pages, IRQ
 * affinity) is taken at create by mk_hpc_acquire, which amends the spec
 * (cpuset, hugetlb limit, mounts, rlimits) so the container then takes the
 * same path as any other; it is recorded in one file per container under
 * the registry directory (/run/mkrun-hpc, or $MKRUN_HPC_STATE), shared by
 * every --root, since cores and pages belong to the host.  mk_hpc_release
 * gives everything back at delete.  */
#ifndef MK_HPC_PROFILE_H
#define MK_HPC_PROFILE_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct mk_spec;
struct mk_cgroup;
struct mk_extension;

#define MK_HPC_PREFIX "org.mkrun.hpc."

enum mk_hpc_thp
{
  MK_HPC_THP_UNSET,
  MK_HPC_THP_ALWAYS,
  MK_HPC_THP_MADVISE,
  MK_HPC_THP_NEVER,
};

struct mk_hpc_pages
{
  uint64_t size; /* bytes: 2 MiB or 1 GiB */
  uint64_t count;
};

struct mk_hpc
{
  unsigned n_cores;   /* cores: N (0: a list, or none) */
  cpu_set_t core_set; /* cores: the list */
  bool core_list;
  struct mk_hpc_pages pages[2];
  size_t n_pages;
  enum mk_hpc_thp thp;
  bool numa_local;
  char *numa_nodes; /* a node list, as cpuset.mems takes it */
  int rt_policy;    /* SCHED_FIFO / SCHED_RR, 0: none */
  int rt_priority;
  char *gpus; /* the annotation's (the GPUs are hpc/gpu.c's) */
  bool irq_steer;
};

/* The org.mkrun.hpc.* annotations of SPEC; *OUT is NULL when it has none.
   Unknown org.mkrun.hpc.* keys are errors (a typo must not go unnoticed).  */
int mk_hpc_parse (const struct mk_spec *spec, struct mk_hpc **out, mk_error **err);
void mk_hpc_free (struct mk_hpc *h);

/* At create, before the cgroup is made.  With a profile: takes cores and
   pages and amends SPEC.  Without one: keeps the container off the cores
   HPC containers hold (*NARROWED: its cpuset was set for that).  Records
   what it took for ROOT/ID.  */
int mk_hpc_acquire (const char *root, const char *id, struct mk_spec *spec, bool *narrowed,
                    mk_error **err);
/* At create, once the cgroup CG is made: on cgroup v2, the cpuset of a
   container holding cores becomes a partition where the kernel allows
   (hpc/partition.h); what was done is recorded for mk_hpc_release.  A
   refusal is no error (the container stays pinned, the others narrowed):
   `hpc status` shows why.  */
int mk_hpc_partition (const char *root, const char *id, const struct mk_cgroup *cg,
                      mk_error **err);
/* At create, once the state is written, for a container that holds no
   cores: an HPC container that took cores since acquire may have missed
   it (its narrowing finds containers by their state); keeps it off them
   now.  A readdir when nobody holds anything.  */
int mk_hpc_recheck (const char *root, const char *id, struct mk_spec *spec,
                    const struct mk_cgroup *cg, mk_error **err);
/* For update: CPUS (a cpu list, or NULL) must not include cores another
   HPC container holds.  */
int mk_hpc_check_cpus (const char *root, const char *id, const char *cpus, mk_error **err);
/* At delete (and when a create fails): gives back what ROOT/ID holds, if
   anything, and lets the containers kept off its cores use them again.  */
int mk_hpc_release (const char *root, const char *id, mk_error **err);
/* In the init, before exec: what applies to the process itself (THP,
   real-time scheduling).  */
int mk_hpc_apply_process (const struct mk_hpc *h, mk_error **err);

/* ---- `mkrun hpc status` -------------------------------------------------------- */

struct mk_hpc_holder_pages
{
  uint64_t size; /* bytes: 2 MiB or 1 GiB */
  int node;      /* the NUMA node they were taken on, -1: none */
  uint64_t count;
};

/* What one container holds: cores (with the profile), or only GPUs.  The
   strings from irq on are NULL where they do not apply.  */
struct mk_hpc_holder
{
  const char *root, *id; /* its --root and id */
  bool hpc;              /* holds cores (else GPUs only) */
  char *cores;           /* the cores, a cpu list ("" for none) */
  struct mk_hpc_holder_pages *pages;
  size_t n_pages;
  const char *irq;            /* irq=steer: the affinities changed, "IRQ=LIST;..." */
  const char *cgroup;         /* cgroup v2: its cpuset directory */
  const char *partition;      /* the partition its cores form ("isolated", "root") */
  const char *partition_note; /* else why none was made (NULL on cgroup v1) */
  const char *exclusive;      /* the ancestors' exclusive cpus added for it */
  const char *gpus;           /* the GPUs given (UUIDs or indices) */
};

struct holding;
struct mk_hpc_status
{
  struct mk_hpc_holder *holders;
  size_t n;
  struct holding *records; /* private: the registry's records the holders show */
};

/* Every holder, across every --root; free *OUT with mk_hpc_status_free.  */
int mk_hpc_status (struct mk_hpc_status **out, mk_error **err);
/* ST as `hpc status --json` prints it: an array of the holders in the
   registry's own record form.  */
char *mk_hpc_status_json (const struct mk_hpc_status *st);
void mk_hpc_status_free (struct mk_hpc_status *st);

/* The extension (extension.h): the hooks above.  */
extern const struct mk_extension mk_ext_hpc;

#endif
