/* net/unixguard.h: which unix sockets a container may reach, the annotation
 * org.mkrun.network.unix.
 *
 * A container given this annotation may connect(2) to, and send datagrams
 * to, only unix sockets (pathname or abstract; stream, seqpacket or
 * datagram) that were made in its own cgroup (v2) or below it, or in the
 * cgroup (or below) of one of the listed containers.  Everything else, for
 * instance a host daemon's socket file seen through a read-only bind or an
 * abstract socket of the host's network namespace, fails with EPERM.  The
 * check is on the peer socket, not on the path: symlinks, relative paths
 * and bind mounts make no difference.
 *
 * Value: comma-separated ids of containers under the same --root (empty:
 * none, only the container's own sockets).  Example: "db,cache".  A listed
 * container that does not exist (or has no cgroup) when this one is
 * created adds nothing: it has no sockets then, and a later one of that
 * name is a different cgroup.
 *
 * Enforcement: two BPF LSM programs (BPF_PROG_TYPE_LSM, attach type
 * BPF_LSM_CGROUP, Linux 6.0+) on the hooks unix_stream_connect and
 * unix_may_send, attached with BPF_F_ALLOW_MULTI to the container's cgroup
 * v2 directory (after it is made, before the init is cloned into it).  The
 * kernel runs them for the sockets created in that cgroup or below.  Each
 * reads the peer socket's cgroup (sk_cgrp_data, the v2 cgroup its creator
 * was in), walks up to 16 levels of its ancestors and allows (1) if one is
 * in a frozen hash map of allowed cgroup ids, else denies (0: EPERM).  The
 * struct offsets and the hooks' BTF ids come from the running kernel's BTF.
 * The programs and the map live as long as the cgroup (nothing pinned).
 *
 * Needs the BPF LSM active ("bpf" in the kernel's lsm= list; Debian's
 * kernels do not enable it by default): without it such programs load and
 * attach but never run, so create refuses the annotation instead.  Not
 * covered: sockets passed in from outside (--preserve-fds, SCM_RIGHTS from
 * a reachable peer), socketpair(2), and incoming connections.  */
#ifndef MK_NET_UNIXGUARD_H
#define MK_NET_UNIXGUARD_H

#include <stdbool.h>

#include "error.h"

struct mk_extension;

#define MK_UNIXGUARD_ANNOTATION "org.mkrun.network.unix"

/* Tests only: set (to anything) to make this host look as if the BPF LSM
   were not active.  */
#define MK_UNIXGUARD_TEST_ENV "MKRUN_TEST_NO_BPF_LSM"

/* Parses the annotation's VALUE into *PEERS (NULL-terminated, never NULL
   on success).  "org.mkrun.network.unix: `a/b`: not a container id".  */
int mk_unixguard_parse (const char *value, char ***peers, mk_error **err);

/* Whether this kernel can enforce the annotation (Linux 6.0+, the BPF LSM
   active).  When not, and WHY is not NULL, *WHY (malloc'ed) says why and
   what to do, as a sentence's end: "the BPF LSM is not active (...):
   boot with lsm=...,bpf".  */
bool mk_unixguard_available (char **why);

/* Loads the programs allowing CGROUP_FD's own cgroup and those of the
   containers PEERS (under ROOT), and attaches them to CGROUP_FD (the
   container's cgroup v2 directory; -1 is an error).  No fd is kept; on
   failure what was attached stays until the cgroup is removed.  */
int mk_unixguard_attach (int cgroup_fd, const char *root, char *const *peers, mk_error **err);

/* ---- org.mkrun.network.unix.connect ----------------------------------------
 *
 * Where the BPF LSM cannot run (above), by the address instead: a container
 * given this annotation may connect(2) to, and send datagrams to, only the
 * unix socket paths it lists, as the exact strings the caller passes
 * (sun_path up to its first NUL); abstract names only where the container
 * has a network namespace of its own (all abstract sockets there are its
 * own); anything else fails with EPERM.  Exact strings: a relative path, a
 * symlink, "..", /proc/self/fd/N or another name for a listed socket is
 * denied, so the caller must make sure each listed path cannot be made to
 * lead elsewhere (the app front end lists only the sockets bound on mount
 * points, whose directories are mount points too, in a container without
 * capabilities).  Its own pathname sockets are denied too, unless listed.
 *
 * Value: comma-separated absolute paths (each shorter than 108 bytes, at
 * most 64), "" for none.  Example: "/tmp/socketA,/run/db/db.sock".
 *
 * Enforcement: two BPF_PROG_TYPE_CGROUP_SOCK_ADDR programs, attach types
 * BPF_CGROUP_UNIX_CONNECT and BPF_CGROUP_UNIX_SENDMSG (Linux 6.7+), on the
 * container's cgroup v2 directory, reading the address through the kfuncs
 * bpf_cast_to_kern_ctx and bpf_rdonly_cast (BTF ids from the kernel's
 * BTF).  Needs no LSM.  Older kernels: create refuses the annotation.  */
#define MK_UNIXGUARD_PATHS_ANNOTATION "org.mkrun.network.unix.connect"

/* Tests only: set (to anything) to make this host look as if it had no
   cgroup hooks on unix socket addresses (Linux before 6.7).  */
#define MK_UNIXGUARD_TEST_NO_ADDR_ENV "MKRUN_TEST_NO_UNIX_ADDR_BPF"

/* Parses the annotation's VALUE into *PATHS (NULL-terminated, never NULL
   on success).  "org.mkrun.network.unix.connect: `x`: not an absolute path".  */
int mk_unixguard_paths_parse (const char *value, char ***paths, mk_error **err);

/* Whether this kernel can enforce it; *WHY as for mk_unixguard_available().  */
bool mk_unixguard_paths_available (char **why);

/* Loads the programs allowing PATHS (and abstract names if ABSTRACT_OK)
   and attaches them to CGROUP_FD (-1 is an error).  */
int mk_unixguard_paths_attach (int cgroup_fd, char *const *paths, bool abstract_ok, mk_error **err);

/* The extension (extension.h): both annotations, checked at prepare and
   attached to the cgroup.  */
extern const struct mk_extension mk_ext_unixguard;

#endif
