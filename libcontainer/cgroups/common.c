/* STUB until the cgroup work lands: no cgroups at all.  */
#include "config.h"
#include "internal.h"
#include "../utils.h"
#include <string.h>
#include <errno.h>
struct mk_cgroup { char *path; };
enum mk_cgroup_mode mk_cgroup_mode (void) { return MK_CGROUP_HYBRID; }
int mk_cgroup_create (const char *p, const char *id, const struct mk_resources *r, struct mk_cgroup **out, mk_error **err)
{ *out = xmalloc0 (sizeof (**out)); (*out)->path = xasprintf ("/mkrun/%s", id); return 0; }
int mk_cgroup_clone_fd (const struct mk_cgroup *cg) { return -1; }
int mk_cgroup_enter (const struct mk_cgroup *cg, pid_t pid, bool c, mk_error **err) { return 0; }
const char *mk_cgroup_path (const struct mk_cgroup *cg) { return cg->path; }
int mk_cgroup_load (const char *path, struct mk_cgroup **out, mk_error **err)
{ *out = xmalloc0 (sizeof (**out)); (*out)->path = xstrdup (path); return 0; }
int mk_cgroup_pids (const struct mk_cgroup *cg, pid_t **pids, size_t *n, mk_error **err) { *pids = NULL; *n = 0; return 0; }
int mk_cgroup_freeze (const struct mk_cgroup *cg, bool f, mk_error **err) { return mk_error_set (err, ENOSYS, "freeze"); }
int mk_cgroup_destroy (const struct mk_cgroup *cg, mk_error **err) { return 0; }
void mk_cgroup_free (struct mk_cgroup *cg) { if (cg) { free (cg->path); free (cg); } }
