/* rootfs.h: the container's root: mount propagation, the rootfs bind,
 * pivot_root (or MS_MOVE + chroot with --no-pivot), then what is applied
 * inside the new root: maskedPaths, readonlyPaths, root.readonly,
 * rootfsPropagation, sysctl, hostname and domainname.  */
#ifndef MK_ROOTFS_H
#define MK_ROOTFS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* Makes "/" rslave (no mount leaks to the host) and binds the rootfs on
   itself; returns an O_PATH fd of it.  */
int mk_rootfs_prepare (const struct mk_spec *spec, int *rootfd, mk_error **err);
int mk_rootfs_pivot (const struct mk_spec *spec, int rootfd, bool no_pivot, mk_error **err);
/* After pivot: checks that /proc is still the procfs mounted there (device
   PROC_DEV; 0: none was), then sysctl (written through PROCFD, a handle
   from mk_kernfs_open_root), readonly and masked paths (through
   descriptors, each under /proc or /sys checked to be on procfs or sysfs),
   read-only root, propagation.  */
int mk_rootfs_finish (const struct mk_spec *spec, int procfd, dev_t proc_dev, mk_error **err);
/* Before anything is created: each sysctl must belong to a namespace the
   container has of its own.  */
int mk_sysctl_validate (const struct mk_spec *spec, mk_error **err);
int mk_set_hostname (const struct mk_spec *spec, mk_error **err);

#endif
