/* caps.h: process.capabilities through libcap: the bounding set is dropped
 * while still root; the other four sets are set after the switch to
 * process.user (PR_SET_KEEPCAPS keeps the permitted set across it).  */
#ifndef MK_CAPS_H
#define MK_CAPS_H

#include "error.h"
#include "spec.h"

int mk_caps_drop_bounding (const struct mk_process *p, mk_error **err);
int mk_caps_apply (const struct mk_process *p, mk_error **err);

#endif
