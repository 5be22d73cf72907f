/* caps.c: see caps.h.  */
#include "config.h"

#include "caps.h"
#include "utils.h"

#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

static bool
in_set (const struct mk_capset *set, int cap)
{
  for (size_t i = 0; i < set->n; i++)
    if (set->caps[i] == cap)
      return true;
  return false;
}

int
mk_caps_drop_bounding (const struct mk_process *p, mk_error **err)
{
  int last;
  if (!p->has_caps)
    return 0;
  last = cap_max_bits () - 1;
  for (int cap = 0; cap <= last; cap++)
    if (!in_set (&p->caps[MK_CAP_BOUNDING], cap) && prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0
        && errno != EINVAL)
      return mk_error_set (err, errno, "process.capabilities.bounding: drop %s",
                           cap_to_name (cap));
  return 0;
}

int
mk_caps_apply (const struct mk_process *p, mk_error **err)
{
  cap_t c;
  static const struct
  {
    enum mk_capset_kind kind;
    cap_flag_t flag;
  } sets[] = { { MK_CAP_EFFECTIVE, CAP_EFFECTIVE },
               { MK_CAP_PERMITTED, CAP_PERMITTED },
               { MK_CAP_INHERITABLE, CAP_INHERITABLE } };

  if (!p->has_caps)
    return 0;
  c = cap_init ();
  if (c == NULL)
    return mk_error_set (err, errno, "process.capabilities");
  for (size_t i = 0; i < MK_ARRAY_SIZE (sets); i++)
    {
      const struct mk_capset *set = &p->caps[sets[i].kind];
      if (set->n && cap_set_flag (c, sets[i].flag, (int) set->n, (cap_value_t *) set->caps,
                                  CAP_SET) < 0)
        {
          cap_free (c);
          return mk_error_set (err, errno, "process.capabilities");
        }
    }
  if (cap_set_proc (c) < 0)
    {
      int e = errno;
      cap_free (c);
      return mk_error_set (err, e, "process.capabilities: set the process's capabilities");
    }
  cap_free (c);
  cap_reset_ambient ();
  for (size_t i = 0; i < p->caps[MK_CAP_AMBIENT].n; i++)
    {
      int cap = p->caps[MK_CAP_AMBIENT].caps[i];
      /* Ambient needs the capability permitted and inheritable; runc
         skips the others quietly, so do we.  */
      if (!in_set (&p->caps[MK_CAP_PERMITTED], cap) || !in_set (&p->caps[MK_CAP_INHERITABLE], cap))
        continue;
      if (cap_set_ambient (cap, CAP_SET) < 0)
        return mk_error_set (err, errno, "process.capabilities.ambient: raise %s",
                             cap_to_name (cap));
    }
  return 0;
}
