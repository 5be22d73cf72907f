/* devices.h: the container's /dev: the default devices (null, zero, full,
 * random, urandom, tty) and links (fd, stdin/out/err, ptmx, core) when the
 * spec mounts a fresh /dev, then linux.devices.  In a user namespace, where
 * mknod is refused, devices are bind mounts of the host's.  */
#ifndef MK_DEVICES_H
#define MK_DEVICES_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

int mk_devices_create (const struct mk_spec *spec, int rootfd, bool userns, mk_error **err);

struct mk_resources;
/* Adds to the spec's linux.resources.devices the rules every container
   needs (the default devices, ptys), as runc does; linux.devices get no
   rule of their own (a node is not access).  */
void mk_devices_cgroup_rules (const struct mk_spec *spec, struct mk_resources *r);

#endif
