/* extension.c: the table of extensions (extension.h) and the calls
 * through it.  The only file of the core that includes an extension's
 * header: adding one is a line here.  */
#include "config.h"

#include "extension.h"
#include "hpc/gpu.h"
#include "hpc/profile.h"
#include "net/netfilter.h"
#include "net/netproxy.h"
#include "net/unixguard.h"
#include "spec.h"
#include "utils.h"

#include <stddef.h>

/* GPUs first: the HPC profile records the GPUs they selected.  */
static const struct mk_extension *const extensions[] = {
  &mk_ext_gpu, &mk_ext_hpc, &mk_ext_netallow, &mk_ext_netproxy, &mk_ext_unixguard, NULL,
};

int
mk_ext_parse (struct mk_spec *spec, mk_error **err)
{
  for (const struct mk_extension *const *e = extensions; *e; e++)
    {
      void *data = NULL;
      if ((*e)->parse == NULL)
        continue;
      if ((*e)->parse (spec, &data, err) < 0)
        return -1;
      if (data == NULL)
        continue;
      spec->ext = xrealloc (spec->ext, (spec->n_ext + 1) * sizeof (*spec->ext));
      spec->ext[spec->n_ext].ext = *e;
      spec->ext[spec->n_ext].data = data;
      spec->n_ext++;
    }
  return 0;
}

/* Where each point's hook is in struct mk_extension, and whether it runs
   for every container (with DATA NULL where the extension was not asked
   for) or only where it was.  */
static const struct
{
  size_t offset;
  bool all;
} points[] = {
  [MK_EXT_PREPARE] = { offsetof (struct mk_extension, prepare), false },
  [MK_EXT_ACQUIRE] = { offsetof (struct mk_extension, acquire), true },
  [MK_EXT_CGROUP] = { offsetof (struct mk_extension, cgroup), false },
  [MK_EXT_CREATED] = { offsetof (struct mk_extension, created), true },
  [MK_EXT_APPLY] = { offsetof (struct mk_extension, apply), false },
  [MK_EXT_UPDATE] = { offsetof (struct mk_extension, update), true },
};

int
mk_ext_run (enum mk_ext_point p, const struct mk_ext_ctx *x, mk_error **err)
{
  for (const struct mk_extension *const *e = extensions; *e; e++)
    {
      mk_ext_hook hook = *(const mk_ext_hook *)((const char *)*e + points[p].offset);
      void *data = x->spec ? mk_spec_ext (x->spec, *e) : NULL;
      if (hook == NULL || (data == NULL && !points[p].all))
        continue;
      if (hook (x, data, err) < 0)
        return -1;
    }
  return 0;
}

int
mk_ext_release (const char *root, const char *id, mk_error **err)
{
  struct mk_ext_ctx x = { .root = root, .id = id };
  int ret = 0;
  for (const struct mk_extension *const *e = extensions; *e; e++)
    {
      mk_error *e1 = NULL;
      if ((*e)->release == NULL || (*e)->release (&x, NULL, &e1) == 0)
        continue;
      if (ret == 0 && err && *err == NULL)
        *err = e1;
      else
        mk_error_free (e1);
      ret = -1;
    }
  return ret;
}

void
mk_ext_features (yajl_gen g)
{
  for (const struct mk_extension *const *e = extensions; *e; e++)
    if ((*e)->features)
      (*e)->features (g);
}
