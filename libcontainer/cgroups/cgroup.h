/* cgroups/cgroup.h: the container's cgroup, on v1, hybrid (v1 + a v2 mount)
 * and pure v2 hosts.  common.c detects the layout and dispatches to v1.c or
 * v2.c; devices_bpf.c builds the v2 device program.
 *
 * Placement: an absolute cgroupsPath is taken from each hierarchy's root; a
 * relative one, and the default (when cgroupsPath is absent: "mkrun/<id>"),
 * go below the cgroup the mkrun process itself is in (read from
 * /proc/self/cgroup), per hierarchy.  */
#ifndef MK_CGROUP_H
#define MK_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <yajl/yajl_tree.h>

#include "../error.h"

struct mk_resources; /* see resources.h */

enum mk_cgroup_mode
{
  MK_CGROUP_V1,     /* only v1 hierarchies */
  MK_CGROUP_HYBRID, /* v1 hierarchies plus a v2 mount (/sys/fs/cgroup/unified) */
  MK_CGROUP_V2,     /* pure unified */
};

struct mk_cgroup;

/* Host layout, read once per process (cached).  */
enum mk_cgroup_mode mk_cgroup_mode (void);

/* Creates the container's cgroup(s) for ID at CGROUPS_PATH (NULL: default)
   and applies RESOURCES (may be NULL).  On failure nothing is left behind.  */
int mk_cgroup_create (const char *cgroups_path, const char *id,
                      const struct mk_resources *resources, struct mk_cgroup **out,
                      mk_error **err);

/* mk_cgroup_create in two steps, so that the caller can record where the
   cgroup goes before anything exists (a create killed in mk_cgroup_make
   leaves directories that its delete must find).  mk_cgroup_plan makes
   nothing: CG's path (mk_cgroup_path) counts as created the components
   missing now.  mk_cgroup_make creates them and applies RESOURCES; the path
   then counts what it made.  On failure it removes what it made (CG is
   still to be freed).  */
int mk_cgroup_plan (const char *cgroups_path, const char *id, struct mk_cgroup **out,
                    mk_error **err);
int mk_cgroup_make (struct mk_cgroup *cg, const struct mk_resources *resources, mk_error **err);

/* A container without a cgroup of its own (an unprivileged caller that
   nothing was delegated to, and no limits asked for): it stays in the
   caller's cgroups; its state path is "" (mk_cgroup_load takes it back).
   Every operation that needs a cgroup says so.  */
struct mk_cgroup *mk_cgroup_none (void);
bool mk_cgroup_is_none (const struct mk_cgroup *cg);

/* Sends SIG to every process in the container's cgroup in any hierarchy
   (a process cloned into the v2 one may not have joined the v1 ones yet).
   Returns how many were signalled.  */
int mk_cgroup_signal_all (const struct mk_cgroup *cg, int sig);

/* An O_RDONLY|O_DIRECTORY fd of the v2 leaf for clone3(CLONE_INTO_CGROUP),
   on pure v2 and hybrid hosts (there the child is born in the v2 mount's
   cgroup and joins the v1 ones after: mk_cgroup_enter's cloned_into_v2),
   or -1 when there is no v2 hierarchy.  The fd belongs to CG: do not close
   it; it stays valid until mk_cgroup_free().  */
int mk_cgroup_clone_fd (const struct mk_cgroup *cg);

/* Moves PID into every hierarchy (v1 tasks/cgroup.procs; the v2 one unless
   the process was cloned into it: pass cloned_into_v2).  */
int mk_cgroup_enter (const struct mk_cgroup *cg, pid_t pid, bool cloned_into_v2, mk_error **err);

/* In a single-threaded process: moves the caller into every v1 hierarchy
   by writing "0" to `tasks`, which skips the kernel's global threadgroup
   lock (and its RCU grace period, ~10 ms) that cgroup.procs writes take.  */
int mk_cgroup_enter_self_v1 (const struct mk_cgroup *cg, mk_error **err);

/* The string to record in state.json; mk_cgroup_load() takes it back.
   Format: entries separated by ';'.  The first entry, "PATH#N", applies to
   every hierarchy not named later; each further entry "KEY=PATH#N" applies
   to one hierarchy.  PATH is the cgroup path as /proc/PID/cgroup shows it
   (relative to the hierarchy's root), N is how many trailing components of
   PATH this container created (what destroy removes), KEY is the v1 mount's
   controller list as in /proc/self/cgroup ("cpu,cpuacct", "name=systemd",
   "memory") or "unified" for the v2 mount.  Example on a hybrid host whose
   memory cgroup is /process_api/X:
     "/mkrun/c1#2;memory=/process_api/X/mkrun/c1#2"
   and on a host where every hierarchy agrees: "/mkrun/c1#2".  A missing
   "#N" means 1.  cgroupsPath may not contain ';', '#', '=' or newlines.  */
const char *mk_cgroup_path (const struct mk_cgroup *cg);

/* Re-opens the cgroup of an existing container from its recorded path.  */
int mk_cgroup_load (const char *path, struct mk_cgroup **out, mk_error **err);

/* Narrows CG (loaded, for exec --cgroup) to its existing sub-cgroup SUB in
   the hierarchies holding one of CONTROLLERS (comma-separated; NULL: all).
   SUB may not leave the container's cgroup.  */
int mk_cgroup_sub (struct mk_cgroup *cg, const char *controllers, const char *sub,
                   mk_error **err);

/* The pids in the container's cgroup (from the pids or first v1 hierarchy,
   or v2).  *pids is malloc'ed.  */
int mk_cgroup_pids (const struct mk_cgroup *cg, pid_t **pids, size_t *n, mk_error **err);

/* Freezes (true) or thaws (false) the cgroup, waiting until it is done.  */
int mk_cgroup_freeze (const struct mk_cgroup *cg, bool freeze, mk_error **err);

/* Removes every directory created for the container (retrying briefly while
   the kernel still reports it busy).  Missing directories are not an error.  */
int mk_cgroup_destroy (const struct mk_cgroup *cg, mk_error **err);

/* Applies RESOURCES again (mkrun update).  Errors name the field, the file
   and the value.  */
int mk_cgroup_update (const struct mk_cgroup *cg, const struct mk_resources *resources,
                      mk_error **err);

/* The cgroup's statistics as a JSON object in the shape of runc's
   `events --stats` "data" (memory, cpu, pids, blkio, hugetlb).  *json is
   malloc'ed.  */
int mk_cgroup_stats_json (const struct mk_cgroup *cg, char **json, mk_error **err);

/* How many processes the OOM killer killed in the cgroup (memory.events
   oom_kill on v2, memory.oom_control oom_kill on v1).  */
int mk_cgroup_oom_kill_count (const struct mk_cgroup *cg, uint64_t *count, mk_error **err);

void mk_cgroup_free (struct mk_cgroup *cg);

/* CG (planned, not made) is a scope the systemd driver made (systemd.h):
   the process already in it is the driver's placeholder, not a reason to
   warn.  */
void mk_cgroup_set_systemd_scope (struct mk_cgroup *cg);

/* Whether a cgroup made where mkrun runs can take an I/O weight
   (linux.resources.blockIO.weight): v1 blkio.weight (CFQ) or
   blkio.bfq.weight, v2 io.bfq.weight or io.weight.  Hosts whose disks use
   none or mq-deadline have none of them.  */
bool mk_cgroup_io_weight_available (void);

/* The file that says whether the cgroup is frozen (v1 freezer.state, v2
   cgroup.freeze), malloc'ed; NULL when there is no freezer.  */
char *mk_cgroup_freezer_file (const struct mk_cgroup *cg);

/* The host directory of CG in the v2 hierarchy when that hierarchy holds
   cpuset, and *MOUNTPOINT its mount; NULL where cpuset is v1.  */
const char *mk_cgroup_v2_cpuset_dir (const struct mk_cgroup *cg, const char **mountpoint);

#endif
