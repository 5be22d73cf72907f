/* mounts.h: paths inside the rootfs and the spec's mounts.
 *
 * Every target is resolved inside the rootfs as if it were "/" (openat2
 * RESOLVE_IN_ROOT, or a component-by-component walk where the kernel lacks
 * it), so a symlink the container owns cannot redirect a mount to the
 * host; the mount is then made on /proc/self/fd/N of the resolved O_PATH
 * descriptor, never on a path that could change in between.  */
#ifndef MK_MOUNTS_H
#define MK_MOUNTS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* Opens PATH (absolute or relative) inside ROOTFD with FLAGS (O_PATH etc.).
   Returns the fd or -1 with errno set.  */
int mk_open_in_root (int rootfd, const char *path, int flags);
/* The same, but any symlink on the way (or at the end) is ELOOP.  */
int mk_open_in_root_nosymlinks (int rootfd, const char *path, int flags);
/* Creates the missing directories of PATH inside ROOTFD, and PATH itself as
   a directory, or as an empty file when AS_FILE.  Returns an O_PATH fd of it.  */
int mk_mkpath_in_root (int rootfd, const char *path, bool as_file, int *out, mk_error **err);

struct mk_mount_ctx
{
  const struct mk_spec *spec;
  int rootfd;        /* O_PATH of the rootfs mount */
  bool new_cgroupns; /* the init has its own cgroup namespace */
  bool userns;       /* the init is in a new user namespace */
  /* Per entry of spec->mounts, a bind source the runtime opened (O_PATH,
     in the init's mount namespace, before its user namespace could be
     refused the path), or -1: the path then.  NULL: none at all.  */
  const int *source_fds;
  /* Called once, before the first mount of type cgroup, so the init is in
     its cgroup (and cgroup namespace) when that mount is made.  */
  int (*before_cgroup) (void *arg, mk_error **err);
  void *arg;
  /* Out: the device of the procfs mounted at /proc (0: none), which the
     finishing steps check /proc still is.  */
  dev_t proc_dev;
};

/* Mounts spec->mounts in order.  The error names the entry: "mounts[3]".  */
int mk_mounts_apply (struct mk_mount_ctx *ctx, mk_error **err);

/* The MS_* flags of the mount at PATH (statvfs): a bind remount must keep
   those the kernel locked (in a user namespace), so callers pass them on.  */
unsigned long mk_mount_flags_of (const char *path);

/* Mounts made through descriptors (O_PATH fds of paths already resolved
   and checked), never through a path that could change in between: a bind
   of SRCFD on TARGETFD; an empty read-only tmpfs on TARGETFD; TARGETFD's
   mount bound on itself read-only (recursively).  -1 with errno set.  */
int mk_mount_bind_fd (int srcfd, int targetfd, bool recursive);
int mk_mount_empty_fd (int targetfd);
int mk_mount_readonly_fd (int targetfd);

/* BUF (a char array) = "/proc/self/fd/FD": the path of a checked descriptor
   for the calls that take only paths (mount(2)).  */
#define PROC_FD_PATH(buf, fd) snprintf (buf, sizeof (buf), "/proc/self/fd/%d", fd)

/* Whether the spec mounts a fresh filesystem (not a bind) on /dev; the
   last such mount, or NULL.  */
bool mk_mounts_has_dev_tmpfs (const struct mk_spec *spec);
const struct mk_mount *mk_mounts_dev (const struct mk_spec *spec);

#endif
