/* app/hostfs.h: what the supervisor opens and makes on the host for an app
 * (its log, its outputs), without lending the app rights it lacks.
 *
 * The paths a YAML names may lie where the app's user writes: in its
 * outputs, which the app changes as it runs, and under sudo anywhere the
 * user owns.  A symlink may wait there for the next start of a supervisor
 * running as root.  Hence:
 * - logging.file is opened following no symlink on its whole path, with
 *   the app's user's own rights wherever that user is not the
 *   supervisor's (a short-lived child with the user's uid, gid and groups
 *   opens it and passes the fd back).  Where that user may not open it and
 *   root wrote the YAML (no sudo: a log next to root's YAML, where nobody
 *   cannot write), the supervisor opens it itself.  The log must be a
 *   regular file (with a single link, when root opened it).
 * - A missing output is made under sudo by the user (mkdir -p with their
 *   rights); otherwise by the supervisor following no symlink, and handed
 *   to the app's user.  mk_app_check refuses an input or output inside an
 *   output (the app could swap it for a symlink before it is bound).
 * - The default log, ROOT/.apps/NAME/output.log, lies in a directory only
 *   root writes: opened there, O_NOFOLLOW.  */
#ifndef MK_APP_HOSTFS_H
#define MK_APP_HOSTFS_H

#include "app/app.h"
#include "app/oci.h"
#include "error.h"

/* Opens the app's log to append to: logging.file, else APP_DIR/output.log.
   *PATH: where it is, to record (its real path: `mkrun logs` opens it
   again following no symlink).  Returns the fd, or -1 with *err.  */
int mk_app_open_log (const struct mk_app *app, const struct mk_app_host *h, const char *app_dir,
                     char **path, mk_error **err);
/* Opens a recorded log (mk_app_open_log's *PATH) to read: no symlink
   followed, a regular file.  */
int mk_app_open_log_read (const char *path, mk_error **err);

/* Makes the outputs that do not exist yet, the app's user's.  */
int mk_app_make_outputs (const struct mk_app *app, const struct mk_app_host *h, mk_error **err);

#endif
