/* tests/fuzz/state_fuzz.c: a container's state.json (mk_state_parse, what
 * mk_state_read does with the file), and the state documents made from it
 * (mk_state_json: what `state` prints and hooks receive).
 *
 * The input is the file's text.  Checked: the documents made from a state
 * that parsed are JSON objects.  Nothing opens the state dir, /proc or the
 * cgroup and freezer files (the status is given, not derived).  */
#include "config.h"

#include "fuzz.h"

#include <yajl/yajl_tree.h>

#include "state.h"
#include "utils.h"

static void
check_doc (const struct mk_state *st, enum mk_status status, bool pretty)
{
  _cleanup_free_ char *doc = mk_state_json (st, status, pretty);
  char errbuf[128];
  yajl_val tree = yajl_tree_parse (doc, errbuf, sizeof (errbuf));
  FUZZ_ASSERT (tree != NULL && YAJL_IS_OBJECT (tree));
  yajl_tree_free (tree);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  _cleanup_free_ char *json = fuzz_text (data, size);
  struct mk_state *st = NULL;
  mk_error *err = NULL;
  int r;

  r = mk_state_parse (json, "fuzz-c1", &st, &err);
  fuzz_check_result (r, err);
  if (r < 0)
    {
      FUZZ_ASSERT (st == NULL);
      return 0;
    }
  FUZZ_ASSERT (st->bundle && st->rootfs && st->created && st->cgroup_path && st->freezer_file);
  check_doc (st, MK_STATUS_RUNNING, false);
  check_doc (st, MK_STATUS_STOPPED, true);
  mk_state_free (st);
  return 0;
}
