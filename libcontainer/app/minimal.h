/* app/minimal.h: `filesystem.root: minimal`, the files of a root made only
 * of what the program needs.
 *
 * Instead of the host's directories, the app's root holds, each bound
 * read-only at its own path: the executable (and a script's interpreter),
 * the shared libraries the dynamic loader resolves for it (the loader run
 * in trace mode, as ldd does: nothing of the program runs), the files
 * dpkg lists for each of dependencies.system_packages (not directories or
 * documentation), and the /etc files programs commonly read (users,
 * groups, name service and resolver configuration, time zone, the loader's
 * cache, CA certificates) where the host has them.  Bind mounts only:
 * nothing is copied.  */
#ifndef MK_APP_MINIMAL_H
#define MK_APP_MINIMAL_H

#include "app/app.h"
#include "error.h"

/* The host paths to bind, sorted as found; *OUT is a NULL-terminated
   vector.  A library the loader cannot find is an error naming it.  */
int mk_app_minimal_files (const struct mk_app *app, char ***out, mk_error **err);

#endif
