/* kernfs.h: writes that must land on procfs or sysfs.  A path under /proc
 * or /sys is only a name: a rootfs symlink, a bind mount or an image's own
 * directory can stand where the kernel's file system should be, and a write
 * meant for the kernel then lands on an ordinary file (CVE-2025-52881).
 * Here the root of the file system is checked once (fstatfs: its magic, and
 * procfs's root inode), and each file below it is opened from that handle
 * without following any symlink or crossing any mount, then checked again.  */
#ifndef MK_KERNFS_H
#define MK_KERNFS_H

#include <stddef.h>

#include "error.h"

/* Opens MOUNTPOINT ("/proc" or "/sys", as this process sees them now)
   O_PATH and checks that it is the root of a procfs (sysfs) mount.  Returns
   the fd, or -1 with *err set.  */
int mk_kernfs_open_root (const char *mountpoint, mk_error **err);

/* Opens PATH ("/proc/..." or "/sys/...") with FLAGS from ROOTFD, a handle
   from mk_kernfs_open_root for PATH's mount point (-1: open and check this
   process's own).  "/proc/self/..." and "/proc/thread-self/..." name what
   that procfs shows for the caller.  Returns the fd, or -1 with errno set
   (ELOOP: a symlink, EXDEV: a mount or another file system on the way).  */
int mk_kernfs_open (int rootfd, const char *path, int flags);

/* Writes S to PATH as mk_kernfs_open finds it; the error names PATH.  */
int mk_kernfs_write (int rootfd, const char *path, const char *s, mk_error **err);

/* For the runtime's own writes to the host's kernel files, where tests may
   point the code at a fake tree: PATH under /proc or /sys goes through
   mk_kernfs_write (-1, ...); any other PATH is a plain file.  */
int mk_kernfs_write_host (const char *path, const char *s, mk_error **err);

#endif
