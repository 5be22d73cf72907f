/* seccomp.h: linux.seccomp through libseccomp.
 *
 * mk_seccomp_parse() validates the spec and builds the libseccomp filter in
 * the runtime (so errors come before anything is created); the container's
 * init, a fork of the runtime, loads it with mk_seccomp_load() just before
 * exec.  With SCMP_ACT_NOTIFY rules the load yields a listener fd that the
 * runtime sends to linux.seccomp.listenerPath (mk_seccomp_send_listener).  */
#ifndef MK_SECCOMP_H
#define MK_SECCOMP_H

#include <stdbool.h>
#include <sys/types.h>
#include <yajl/yajl_tree.h>

#include "error.h"

struct mk_seccomp;

int mk_seccomp_parse (yajl_val node, const char *where, struct mk_seccomp **out, mk_error **err);

/* True when some rule (or the default) uses SCMP_ACT_NOTIFY.  */
bool mk_seccomp_has_notify (const struct mk_seccomp *s);
const char *mk_seccomp_listener_path (const struct mk_seccomp *s);
const char *mk_seccomp_listener_metadata (const struct mk_seccomp *s);

/* Loads the filter into the calling thread's process.  *notify_fd gets the
   listener fd when the filter has notify rules, else -1.  */
int mk_seccomp_load (struct mk_seccomp *s, int *notify_fd, mk_error **err);

/* Connects to listenerPath and sends the runtime-spec "container process
   state" (STATE_JSON: the container's state object) with NOTIFY_FD attached
   by SCM_RIGHTS, as runtime-spec's seccomp section says; closes NOTIFY_FD
   in every case.  */
int mk_seccomp_send_listener (const struct mk_seccomp *s, int notify_fd, pid_t pid,
                              const char *state_json, mk_error **err);

void mk_seccomp_free (struct mk_seccomp *s);

/* For `features`: the actions, flags and architectures we accept. */
const char *const *mk_seccomp_known_actions (void);
const char *const *mk_seccomp_known_flags (void);
const char *const *mk_seccomp_known_archs (void);

#endif
