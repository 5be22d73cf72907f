/* cgroups/systemd.h: the systemd cgroup driver (--systemd-cgroup, crun's
 * --cgroup-manager systemd).  Each container's cgroup is a transient scope
 * that systemd makes (StartTransientUnit over D-Bus, through libsystemd's
 * sd-bus), named from cgroupsPath in runc's "slice:prefix:name" form;
 * Delegate=yes gives the scope's directory to mkrun, which then writes its
 * files through the cgroupfs code (cgroup.h) as for any other cgroup.
 * Limits that systemd owns (memory, cpu weight and quota, tasks, cpuset,
 * io weight) are also set as the unit's properties, so that a
 * `systemctl daemon-reload` re-applies them instead of resetting them.
 *
 * The system's systemd for root; the caller's own (the user instance) when
 * unprivileged.  The bus: systemd's private socket when it can be reached
 * (no dbus-daemon needed, as systemctl does), else the system or user bus.  */
#ifndef MK_CGROUP_SYSTEMD_H
#define MK_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include <sys/types.h>

#include "../error.h"

struct mk_resources;
struct mk_systemd_scope;

/* Whether a systemd runs that this caller can ask: the system's (root) or
   the user's (unprivileged, USER).  */
bool mk_systemd_available (bool user);

/* Parses CGROUPS_PATH ("slice:prefix:name"; NULL or "": ":mkrun:ID") into
   the scope's unit name ("prefix-name.scope", "name.scope" without a
   prefix) and its slice (default: system.slice, user.slice for USER).
   Both malloc'ed.  Errors name linux.cgroupsPath.  */
int mk_systemd_unit_names (const char *cgroups_path, const char *id, bool user, char **slice,
                           char **unit, mk_error **err);

/* Starts the transient scope UNIT in SLICE, holding a placeholder process
   (a scope cannot be empty) until mk_systemd_scope_release: the container's
   init is then cloned into *CGROUP (the scope's cgroup, as
   /proc/PID/cgroup shows it on the unified hierarchy, malloc'ed).  R's
   limits that systemd owns are the unit's properties.  Waits for the
   start job.  A stale unit of that name that failed is reset first; one
   that runs is an error.  */
int mk_systemd_scope_start (bool user, const char *slice, const char *unit, const char *id,
                            const struct mk_resources *r, struct mk_systemd_scope **out,
                            char **cgroup, mk_error **err);

/* Ends the placeholder (the init is in the scope by now, or the create
   failed and the scope goes with it).  NULL is fine.  */
void mk_systemd_scope_release (struct mk_systemd_scope *s);

/* Moves PID into UNIT's cgroup through systemd (AttachProcessesToUnit):
   an unprivileged caller runs outside the user's delegated subtree, and
   the kernel lets it move nothing into it.  */
int mk_systemd_attach (bool user, const char *unit, pid_t pid, mk_error **err);
/* The same into UNIT's sub-cgroup SUB (relative; NULL: the unit's own).  */
int mk_systemd_attach_sub (bool user, const char *unit, const char *sub, pid_t pid, mk_error **err);

/* mkrun update: R's systemd-owned limits as UNIT's runtime properties.  */
int mk_systemd_set_properties (bool user, const char *unit, const struct mk_resources *r,
                               mk_error **err);

/* Stops UNIT (delete), waiting for the job; a unit already gone is no
   error.  */
int mk_systemd_stop (bool user, const char *unit, mk_error **err);

/* The unit of a scope cgroup path as state.json records it ("…/x.scope#0"
   → "x.scope"), malloc'ed; NULL when it does not name a scope.  */
char *mk_systemd_unit_of_path (const char *cgroup_path);

#endif
