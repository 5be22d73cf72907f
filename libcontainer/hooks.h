/* hooks.h: runs the OCI hooks of one kind, in order, each with the state
 * JSON on stdin, its args and env, and its timeout.  The caller runs them
 * at the moment and in the namespaces runtime-spec says (container.c for
 * the runtime's, init.c for createContainer/startContainer).  */
#ifndef MK_HOOKS_H
#define MK_HOOKS_H

#include "error.h"
#include "spec.h"

int mk_hooks_run (const struct mk_spec *spec, enum mk_hook_kind kind, const char *state_json,
                  mk_error **err);

#endif
