/* extension.h: what the core asks of an extension, and the one table of them.
 *
 * An extension is a feature asked for by annotations (the HPC profile, GPUs,
 * the network allow list, the unix socket guard) that amends what create
 * does.  It fills a struct mk_extension with the hooks it needs (any may be
 * NULL); the core calls them through the mk_ext_*() functions below, at
 * fixed points of a container's life, in the table's order (extension.c,
 * the only file of the core that includes an extension's header):
 *
 *   parse       the annotations into the extension's own data (NULL: not
 *               asked for); right after the spec is parsed, so a bad value
 *               fails before anything exists.
 *   prepare     before anything is made: amend the spec (GPUs: devices,
 *               mounts, env) or check the host can enforce what is asked.
 *   acquire     once the state dir exists, before the cgroup: take what
 *               belongs to the host (cores, pages) and amend the spec.
 *   cgroup      once the cgroup is made, before the init is in it.
 *   created     once state.json is written.
 *   apply       in the init (and an exec'd process) before execve.
 *   release     at teardown (a failed create, the end of a foreground run,
 *               delete), by ROOT/ID alone: also for a container whose spec
 *               cannot be read.
 *   update      before `update` sets new limits: may refuse them.
 *   features    adds the extension's entries to `features`' annotations.
 *
 * The hooks that run for every container (acquire, created, release,
 * update) are called with DATA NULL when the extension was not asked for:
 * an extension may still act for it (the HPC profile keeps every container
 * off the cores its containers hold).  */
#ifndef MK_EXTENSION_H
#define MK_EXTENSION_H

#include <sys/types.h>
#include <yajl/yajl_gen.h>

#include "error.h"

struct mk_spec;
struct mk_cgroup;
struct mk_resources;

/* Where a hook is called from.  */
struct mk_ext_ctx
{
  const char *root; /* --root and the container's id; NULL in apply */
  const char *id;
  struct mk_spec *spec;              /* NULL in release and update */
  const struct mk_cgroup *cg;        /* in cgroup and created */
  const struct mk_resources *update; /* in update: the new limits */
  pid_t pid;                         /* in created: the init */
};

typedef int (*mk_ext_hook) (const struct mk_ext_ctx *x, void *data, mk_error **err);

struct mk_extension
{
  const char *name;
  int (*parse) (const struct mk_spec *spec, void **data, mk_error **err);
  void (*free) (void *data);
  mk_ext_hook prepare, acquire, cgroup, created, apply, release, update;
  void (*features) (yajl_gen g);
};

/* The extension's data in SPEC (what its parse made); NULL if absent
   (spec.c).  */
void *mk_spec_ext (const struct mk_spec *spec, const struct mk_extension *ext);

/* Runs every extension's parse on SPEC, keeping their data in it (freed
   by mk_spec_free).  */
int mk_ext_parse (struct mk_spec *spec, mk_error **err);

/* The points of a container's life where hooks run (the comment above).  */
enum mk_ext_point
{
  MK_EXT_PREPARE,
  MK_EXT_ACQUIRE,
  MK_EXT_CGROUP,
  MK_EXT_CREATED,
  MK_EXT_APPLY,
  MK_EXT_UPDATE,
};

/* Runs the hooks of point P in the table's order, stopping at the first
   that fails.  */
int mk_ext_run (enum mk_ext_point p, const struct mk_ext_ctx *x, mk_error **err);
/* Every extension's release, even after one fails; the first error.  */
int mk_ext_release (const char *root, const char *id, mk_error **err);
void mk_ext_features (yajl_gen g);

#endif
