/* cgroups/files.h: the files of a container's cgroup directory (files.c).
 * v1.c and v2.c set resources through these, and call nothing of common.c. */
#ifndef MK_CGROUP_FILES_H
#define MK_CGROUP_FILES_H

#include <stdbool.h>

#include "internal.h"

/* The directory of the hierarchy holding CONTROLLER, or NULL.  */
const struct mk_cg_dir *mk_cg_dir_for (const struct mk_cgroup *cg, const char *controller);
const struct mk_cg_dir *mk_cg_v2_dir (const struct mk_cgroup *cg);

/* Writes VALUE to FILE in D; on failure the error reads
   "WHERE: write FILE: strerror" (WHERE may be NULL).  */
int mk_cg_write (const struct mk_cg_dir *d, const char *file, const char *value, const char *where,
                 mk_error **err);
/* Reads FILE in D, trailing newline removed.  */
int mk_cg_read (const struct mk_cg_dir *d, const char *file, char **out, mk_error **err);
bool mk_cg_has_file (const struct mk_cg_dir *d, const char *file);

#endif
