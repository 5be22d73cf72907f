/* namespaces.h: linux.namespaces, uid/gid mappings and time offsets.
 *
 * The runtime clones the init with CLONE_NEW* for every namespace to create
 * (one clone3, no intermediate process).  Namespaces given by path are
 * joined by the init right after clone, except pid and time, which only
 * apply to children: the runtime joins those itself around the clone and
 * returns to its own afterwards.  The cgroup namespace is made by the init
 * once it is in its cgroup, so that its root is the container's cgroup.  */
#ifndef MK_NAMESPACES_H
#define MK_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct mk_ns_plan
{
  int clone_flags;   /* created by clone3 */
  int unshare_flags; /* created by the init after joining (user joined by path) */
  bool new_cgroup;   /* unshare(CLONE_NEWCGROUP) once in the cgroup */
  bool new_user;
  bool join_in_init; /* some namespace is joined by path in the init */
  int saved_pid_fd, saved_time_fd; /* the runtime's own, to go back to */
};

int mk_ns_plan (const struct mk_spec *spec, struct mk_ns_plan *plan, mk_error **err);
/* clone3 with FLAGS (CLONE_NEW*) into the cgroup CGROUP_FD (-1: the
   caller's); like fork, returns 0 in the child.  Falls back to clone(2)
   where clone3 is missing and no cgroup is asked for.  */
pid_t mk_ns_clone (int flags, int cgroup_fd);
/* In the runtime, before clone: join pid/time by path, or make the time
   namespace and write its offsets.  */
int mk_ns_before_clone (const struct mk_spec *spec, struct mk_ns_plan *plan, mk_error **err);
/* In the runtime, after clone: back to its own pid/time namespaces.  */
void mk_ns_after_clone (struct mk_ns_plan *plan);
/* In the init: setns() every namespace given by path (user first).  */
int mk_ns_join (const struct mk_spec *spec, mk_error **err);
/* In the runtime: write /proc/PID/{uid_map,gid_map}.  */
int mk_ns_write_idmaps (const struct mk_spec *spec, pid_t pid, mk_error **err);
/* In the init, in a network namespace it made: bring `lo` up (as runc and
   crun do), so 127.0.0.1 works in a container with no other network.  */
int mk_ns_loopback_up (mk_error **err);
/* Whether mkrun runs without the host's privilege: not root, or root in a
   user namespace that is not the host's (how rootless Podman calls a
   runtime), as runc's and crun's rule says.  Read once.  */
bool mk_ns_unprivileged (void);

#endif
