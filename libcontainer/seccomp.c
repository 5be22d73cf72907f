/* STUB until the seccomp work lands.  */
#include "config.h"
#include "seccomp.h"
#include "utils.h"
#include <errno.h>
struct mk_seccomp { int x; };
int mk_seccomp_parse (yajl_val node, const char *where, struct mk_seccomp **out, mk_error **err)
{ return mk_error_set (err, ENOSYS, "%s: seccomp is not supported yet", where); }
bool mk_seccomp_has_notify (const struct mk_seccomp *s) { return false; }
const char *mk_seccomp_listener_path (const struct mk_seccomp *s) { return NULL; }
const char *mk_seccomp_listener_metadata (const struct mk_seccomp *s) { return NULL; }
int mk_seccomp_load (struct mk_seccomp *s, int *notify_fd, mk_error **err) { *notify_fd = -1; return 0; }
int mk_seccomp_send_listener (const struct mk_seccomp *s, int fd, pid_t pid, const char *st, mk_error **err) { return 0; }
void mk_seccomp_free (struct mk_seccomp *s) { free (s); }
static const char *const none[] = { NULL };
const char *const *mk_seccomp_known_actions (void) { return none; }
const char *const *mk_seccomp_known_flags (void) { return none; }
const char *const *mk_seccomp_known_archs (void) { return none; }
