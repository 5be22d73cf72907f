/* app/monitor.c: one sample of an app's resource use, from its cgroup
 * (the statistics `mkrun events --stats` prints).  */
#include "config.h"

#include "app/monitor.h"
#include "app/supervise.h"
#include "container.h"
#include "spec.h"
#include "utils.h"

#include <string.h>
#include <time.h>
#include <yajl/yajl_tree.h>

struct collect
{
  char *json;
};

static void
keep (const char *json, void *arg)
{
  struct collect *c = arg;
  free (c->json);
  c->json = xstrdup (json);
}

static uint64_t
num (yajl_val v, const char **path)
{
  yajl_val n = yajl_tree_get (v, path, yajl_t_number);
  return n && YAJL_IS_INTEGER (n) && YAJL_GET_INTEGER (n) > 0 ? (uint64_t)YAJL_GET_INTEGER (n) : 0;
}

int
mk_app_sample (const char *root, const char *name, struct mk_app_sample *s, mk_error **err)
{
  _cleanup_free_ char *id = mk_app_container_id (name);
  struct collect c = { NULL };
  yajl_val tree, data, blk;
  static const char *cpu[] = { "data", "cpu", "usage", "total", NULL };
  static const char *mem[] = { "data", "memory", "usage", "usage", NULL };
  static const char *lim[] = { "data", "memory", "usage", "limit", NULL };
  static const char *pids[] = { "data", "pids", "current", NULL };
  static const char *io[] = { "data", "blkio", "ioServiceBytesRecursive", NULL };

  memset (s, 0, sizeof (*s));
  if (mk_container_events (root, id, true, 0, keep, &c, err) < 0)
    {
      free (c.json);
      return mk_error_prefix (err, "app `%s` is not running", name);
    }
  tree = c.json ? yajl_tree_parse (c.json, NULL, 0) : NULL;
  free (c.json);
  if (tree == NULL)
    return mk_error_set (err, 0, "app `%s`: no statistics", name);
  data = tree;
  s->cpu_ns = num (data, cpu);
  s->mem_bytes = num (data, mem);
  s->mem_limit = num (data, lim);
  if (s->mem_limit >= (1ULL << 62))
    s->mem_limit = 0;
  s->pids = num (data, pids);
  blk = yajl_tree_get (data, io, yajl_t_array);
  for (size_t i = 0; blk && i < YAJL_GET_ARRAY (blk)->len; i++)
    {
      yajl_val e = YAJL_GET_ARRAY (blk)->values[i];
      yajl_val op = mk_json_get (e, "op"), v = mk_json_get (e, "value");
      const char *o = op && YAJL_IS_STRING (op) ? op->u.string : NULL;
      if (o == NULL || !v || !YAJL_IS_INTEGER (v))
        continue;
      if (strcmp (o, "Read") == 0)
        s->io_read += (uint64_t)YAJL_GET_INTEGER (v);
      else if (strcmp (o, "Write") == 0)
        s->io_write += (uint64_t)YAJL_GET_INTEGER (v);
    }
  s->at_ms = mk_app_now_ms ();
  yajl_tree_free (tree);
  return 0;
}

int
mk_app_monitor (const char *root, const char *name, double interval_s, bool once,
                mk_app_monitor_fn fn, void *arg, mk_error **err)
{
  struct mk_app_sample a, b;
  double wait = once && interval_s > 0.5 ? 0.5 : interval_s;
  struct timespec ts = { .tv_sec = (time_t)wait };
  ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
  if (mk_app_sample (root, name, &a, err) < 0)
    return -1;
  for (;;)
    {
      nanosleep (&ts, NULL);
      if (mk_app_sample (root, name, &b, once ? err : NULL) < 0)
        return once ? -1 : 0; /* it ended */
      fn (&b,
          b.at_ms > a.at_ms ? (double)(b.cpu_ns - a.cpu_ns) / 1e4 / (double)(b.at_ms - a.at_ms) : 0,
          arg);
      if (once)
        return 0;
      a = b;
    }
}
