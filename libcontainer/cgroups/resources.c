/* cgroups/resources.c: linux.resources (runtime-spec 1.2) to struct
 * mk_resources.  Uses yajl_tree directly so the cgroup module links on its
 * own.  Unknown keys are ignored (forward compatibility, as runc does);
 * known keys of the wrong type are errors naming the field.  */
#include "config.h"

#include "resources.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../log.h"
#include "../utils.h"

static yajl_val
field (yajl_val obj, const char *key)
{
  if (obj == NULL || !YAJL_IS_OBJECT (obj))
    return NULL;
  for (size_t i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      {
        yajl_val v = obj->u.object.values[i];
        return YAJL_IS_NULL (v) ? NULL : v;
      }
  return NULL;
}

static int
get_int64 (yajl_val obj, const char *key, const char *where, bool *has, int64_t *out,
           mk_error **err)
{
  yajl_val v = field (obj, key);
  if (has)
    *has = false;
  if (v == NULL)
    return 0;
  if (!YAJL_IS_INTEGER (v))
    return mk_error_set (err, 0, "%s.%s: expected an integer", where, key);
  *out = YAJL_GET_INTEGER (v);
  if (has)
    *has = true;
  return 0;
}

static int
get_uint64 (yajl_val obj, const char *key, const char *where, bool *has, uint64_t *out,
            mk_error **err)
{
  yajl_val v = field (obj, key);
  if (has)
    *has = false;
  if (v == NULL)
    return 0;
  if (YAJL_IS_INTEGER (v))
    {
      if (YAJL_GET_INTEGER (v) < 0)
        return mk_error_set (err, 0, "%s.%s: expected a non-negative integer", where, key);
      *out = (uint64_t)YAJL_GET_INTEGER (v);
    }
  else if (YAJL_IS_NUMBER (v) && v->u.number.r
           && strspn (v->u.number.r, "0123456789") == strlen (v->u.number.r))
    {
      /* Above INT64_MAX: yajl keeps only the text.  */
      char *end;
      errno = 0;
      *out = strtoull (v->u.number.r, &end, 10);
      if (errno || *end)
        return mk_error_set (err, 0, "%s.%s: integer out of range", where, key);
    }
  else
    return mk_error_set (err, 0, "%s.%s: expected an integer", where, key);
  if (has)
    *has = true;
  return 0;
}

static int
get_uint_max (yajl_val obj, const char *key, const char *where, uint64_t max, bool *has,
              uint64_t *out, mk_error **err)
{
  bool h = false;
  if (get_uint64 (obj, key, where, &h, out, err) < 0)
    return -1;
  if (h && *out > max)
    return mk_error_set (err, 0, "%s.%s: %" PRIu64 " out of range (maximum %" PRIu64 ")", where,
                         key, *out, max);
  if (has)
    *has = h;
  return 0;
}

static int
get_bool (yajl_val obj, const char *key, const char *where, bool *has, bool *out, mk_error **err)
{
  yajl_val v = field (obj, key);
  if (has)
    *has = false;
  if (v == NULL)
    return 0;
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return mk_error_set (err, 0, "%s.%s: expected a boolean", where, key);
  *out = YAJL_IS_TRUE (v);
  if (has)
    *has = true;
  return 0;
}

static int
get_string (yajl_val obj, const char *key, const char *where, char **out, mk_error **err)
{
  yajl_val v = field (obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_STRING (v))
    return mk_error_set (err, 0, "%s.%s: expected a string", where, key);
  free (*out);
  *out = xstrdup (YAJL_GET_STRING (v));
  return 0;
}

/* Returns the object at KEY, NULL if absent; sets *bad on a wrong type.  */
static yajl_val
get_object (yajl_val obj, const char *key, const char *where, int *bad, mk_error **err)
{
  yajl_val v = field (obj, key);
  if (v != NULL && !YAJL_IS_OBJECT (v))
    {
      *bad = mk_error_set (err, 0, "%s.%s: expected an object", where, key);
      return NULL;
    }
  return v;
}

static yajl_val
get_array (yajl_val obj, const char *key, const char *where, int *bad, mk_error **err)
{
  yajl_val v = field (obj, key);
  if (v != NULL && !YAJL_IS_ARRAY (v))
    {
      *bad = mk_error_set (err, 0, "%s.%s: expected an array", where, key);
      return NULL;
    }
  return v;
}

static int
parse_memory (yajl_val m, const char *where, struct mk_resources *r, mk_error **err)
{
  if (get_int64 (m, "limit", where, &r->has_mem_limit, &r->mem_limit, err) < 0
      || get_int64 (m, "reservation", where, &r->has_mem_reservation, &r->mem_reservation, err) < 0
      || get_int64 (m, "swap", where, &r->has_mem_swap, &r->mem_swap, err) < 0
      || get_int64 (m, "kernel", where, &r->has_mem_kernel, &r->mem_kernel, err) < 0
      || get_int64 (m, "kernelTCP", where, &r->has_mem_kernel_tcp, &r->mem_kernel_tcp, err) < 0
      || get_uint64 (m, "swappiness", where, &r->has_mem_swappiness, &r->mem_swappiness, err) < 0
      || get_bool (m, "disableOOMKiller", where, &r->has_disable_oom_killer, &r->disable_oom_killer,
                   err)
             < 0
      || get_bool (m, "useHierarchy", where, &r->has_use_hierarchy, &r->use_hierarchy, err) < 0
      || get_bool (m, "checkBeforeUpdate", where, &r->has_check_before_update,
                   &r->check_before_update, err)
             < 0)
    return -1;
  return 0;
}

static int
parse_cpu (yajl_val c, const char *where, struct mk_resources *r, mk_error **err)
{
  if (get_uint64 (c, "shares", where, &r->has_cpu_shares, &r->cpu_shares, err) < 0
      || get_int64 (c, "quota", where, &r->has_cpu_quota, &r->cpu_quota, err) < 0
      || get_uint64 (c, "burst", where, &r->has_cpu_burst, &r->cpu_burst, err) < 0
      || get_uint64 (c, "period", where, &r->has_cpu_period, &r->cpu_period, err) < 0
      || get_int64 (c, "realtimeRuntime", where, &r->has_cpu_rt_runtime, &r->cpu_rt_runtime, err)
             < 0
      || get_uint64 (c, "realtimePeriod", where, &r->has_cpu_rt_period, &r->cpu_rt_period, err) < 0
      || get_string (c, "cpus", where, &r->cpu_cpus, err) < 0
      || get_string (c, "mems", where, &r->cpu_mems, err) < 0
      || get_int64 (c, "idle", where, &r->has_cpu_idle, &r->cpu_idle, err) < 0)
    return -1;
  return 0;
}

/* weightDevice (WEIGHTS) or a throttle list.  */
static int
parse_blkio_devices (yajl_val arr, const char *where, const char *key, bool weights,
                     struct mk_blkio_device **out, size_t *n, mk_error **err)
{
  if (arr == NULL)
    return 0;
  *out = xmalloc0 (sizeof (**out) * (arr->u.array.len + 1));
  for (size_t i = 0; i < arr->u.array.len; i++)
    {
      yajl_val e = arr->u.array.values[i];
      struct mk_blkio_device *d = &(*out)[i];
      _cleanup_free_ char *w = xasprintf ("%s.%s[%zu]", where, key, i);
      bool has_major = false, has_minor = false;
      uint64_t v;

      *n = i + 1;
      if (!YAJL_IS_OBJECT (e))
        return mk_error_set (err, 0, "%s: expected an object", w);
      if (get_int64 (e, "major", w, &has_major, &d->major, err) < 0
          || get_int64 (e, "minor", w, &has_minor, &d->minor, err) < 0)
        return -1;
      if (!has_major || !has_minor)
        return mk_error_set (err, 0, "%s: major and minor are required", w);
      if (weights)
        {
          if (get_uint_max (e, "weight", w, UINT16_MAX, &d->has_weight, &v, err) < 0)
            return -1;
          d->weight = v;
          if (get_uint_max (e, "leafWeight", w, UINT16_MAX, &d->has_leaf_weight, &v, err) < 0)
            return -1;
          d->leaf_weight = v;
        }
      else
        {
          bool has_rate = false;
          if (get_uint64 (e, "rate", w, &has_rate, &d->rate, err) < 0)
            return -1;
          if (!has_rate)
            return mk_error_set (err, 0, "%s.rate: required", w);
        }
    }
  return 0;
}

static int
parse_block_io (yajl_val b, const char *where, struct mk_resources *r, mk_error **err)
{
  int bad = 0;
  uint64_t v;
  yajl_val a;

  if (get_uint_max (b, "weight", where, UINT16_MAX, &r->has_blkio_weight, &v, err) < 0)
    return -1;
  r->blkio_weight = v;
  if (get_uint_max (b, "leafWeight", where, UINT16_MAX, &r->has_blkio_leaf_weight, &v, err) < 0)
    return -1;
  r->blkio_leaf_weight = v;

#define LIST(KEY, W, PTR, N)                                                                       \
  a = get_array (b, KEY, where, &bad, err);                                                        \
  if (bad < 0 || parse_blkio_devices (a, where, KEY, W, &r->PTR, &r->N, err) < 0)                  \
    return -1;
  LIST ("weightDevice", true, blkio_weight_device, n_blkio_weight_device);
  LIST ("throttleReadBpsDevice", false, throttle_read_bps, n_throttle_read_bps);
  LIST ("throttleWriteBpsDevice", false, throttle_write_bps, n_throttle_write_bps);
  LIST ("throttleReadIOPSDevice", false, throttle_read_iops, n_throttle_read_iops);
  LIST ("throttleWriteIOPSDevice", false, throttle_write_iops, n_throttle_write_iops);
#undef LIST
  return 0;
}

static bool
valid_page_size (const char *s)
{
  size_t digits = strspn (s, "0123456789");
  if (digits == 0)
    return false;
  s += digits;
  return strcmp (s, "KB") == 0 || strcmp (s, "MB") == 0 || strcmp (s, "GB") == 0
         || strcmp (s, "TB") == 0 || strcmp (s, "PB") == 0;
}

static int
parse_hugepage_limits (yajl_val arr, const char *where, struct mk_resources *r, mk_error **err)
{
  r->hugepage_limits = xmalloc0 (sizeof (*r->hugepage_limits) * (arr->u.array.len + 1));
  for (size_t i = 0; i < arr->u.array.len; i++)
    {
      yajl_val e = arr->u.array.values[i];
      struct mk_hugepage_limit *h = &r->hugepage_limits[i];
      _cleanup_free_ char *w = xasprintf ("%s[%zu]", where, i);
      bool has_limit = false;

      r->n_hugepage_limits = i + 1;
      if (!YAJL_IS_OBJECT (e))
        return mk_error_set (err, 0, "%s: expected an object", w);
      if (get_string (e, "pageSize", w, &h->page_size, err) < 0
          || get_uint64 (e, "limit", w, &has_limit, &h->limit, err) < 0)
        return -1;
      if (h->page_size == NULL)
        return mk_error_set (err, 0, "%s.pageSize: required", w);
      if (!valid_page_size (h->page_size))
        return mk_error_set (err, 0, "%s.pageSize: invalid page size `%s` (expected e.g. 2MB, 1GB)",
                             w, h->page_size);
      if (!has_limit)
        return mk_error_set (err, 0, "%s.limit: required", w);
    }
  return 0;
}

static int
parse_network (yajl_val n, const char *where, struct mk_resources *r, mk_error **err)
{
  int bad = 0;
  uint64_t v;
  yajl_val arr;

  if (get_uint_max (n, "classID", where, UINT32_MAX, &r->has_net_class_id, &v, err) < 0)
    return -1;
  r->net_class_id = v;
  arr = get_array (n, "priorities", where, &bad, err);
  if (bad < 0)
    return -1;
  if (arr == NULL)
    return 0;
  r->net_priorities = xmalloc0 (sizeof (*r->net_priorities) * (arr->u.array.len + 1));
  for (size_t i = 0; i < arr->u.array.len; i++)
    {
      yajl_val e = arr->u.array.values[i];
      struct mk_net_priority *p = &r->net_priorities[i];
      _cleanup_free_ char *w = xasprintf ("%s.priorities[%zu]", where, i);
      bool has = false;

      r->n_net_priorities = i + 1;
      if (!YAJL_IS_OBJECT (e))
        return mk_error_set (err, 0, "%s: expected an object", w);
      if (get_string (e, "name", w, &p->name, err) < 0
          || get_uint_max (e, "priority", w, UINT32_MAX, &has, &v, err) < 0)
        return -1;
      if (p->name == NULL || p->name[0] == '\0' || strpbrk (p->name, " \n") != NULL)
        return mk_error_set (err, 0, "%s.name: expected an interface name", w);
      if (!has)
        return mk_error_set (err, 0, "%s.priority: required", w);
      p->priority = v;
    }
  return 0;
}

static int
parse_devices (yajl_val arr, const char *where, struct mk_resources *r, mk_error **err)
{
  r->devices = xmalloc0 (sizeof (*r->devices) * (arr->u.array.len + 1));
  for (size_t i = 0; i < arr->u.array.len; i++)
    {
      yajl_val e = arr->u.array.values[i];
      struct mk_device_rule *d = &r->devices[i];
      _cleanup_free_ char *w = xasprintf ("%s[%zu]", where, i);
      _cleanup_free_ char *type = NULL, *access = NULL;
      bool has_allow = false, has_major = false, has_minor = false;
      size_t k = 0;

      r->n_devices = i + 1;
      if (!YAJL_IS_OBJECT (e))
        return mk_error_set (err, 0, "%s: expected an object", w);
      if (get_bool (e, "allow", w, &has_allow, &d->allow, err) < 0
          || get_string (e, "type", w, &type, err) < 0
          || get_int64 (e, "major", w, &has_major, &d->major, err) < 0
          || get_int64 (e, "minor", w, &has_minor, &d->minor, err) < 0
          || get_string (e, "access", w, &access, err) < 0)
        return -1;
      if (!has_allow)
        return mk_error_set (err, 0, "%s.allow: required", w);
      if (type == NULL || strcmp (type, "a") == 0)
        d->type = 'a';
      else if (strcmp (type, "c") == 0 || strcmp (type, "b") == 0)
        d->type = type[0];
      else
        return mk_error_set (err, 0, "%s.type: unknown device type `%s` (expected a, b or c)", w,
                             type);
      if (!has_major || d->major < 0)
        d->major = -1;
      if (!has_minor || d->minor < 0)
        d->minor = -1;
      if (d->major > UINT32_MAX || d->minor > UINT32_MAX)
        return mk_error_set (err, 0, "%s: device number out of range", w);
      /* Absent or empty access means everything, as runc does.  */
      if (access == NULL || access[0] == '\0')
        strcpy (d->access, "rwm");
      else
        {
          /* Other letters are ignored, as runc ignores them (engines
             have sent "rwa"), with a warning; none of r, w, m is an
             error.  */
          for (const char *p = "rwm"; *p; p++)
            if (strchr (access, *p))
              d->access[k++] = *p;
          d->access[k] = '\0';
          if (k == 0)
            return mk_error_set (err, 0, "%s.access: `%s` has none of r, w, m", w, access);
          if (strspn (access, "rwm") != strlen (access))
            mk_warn ("%s.access: ignoring what is not r, w or m in `%s`", w, access);
        }
    }
  return 0;
}

static int
parse_unified (yajl_val u, const char *where, struct mk_resources *r, mk_error **err)
{
  size_t n = u->u.object.len;
  r->unified_keys = xmalloc0 (sizeof (char *) * (n + 1));
  r->unified_values = xmalloc0 (sizeof (char *) * (n + 1));
  for (size_t i = 0; i < n; i++)
    {
      const char *k = u->u.object.keys[i];
      yajl_val v = u->u.object.values[i];
      if (!YAJL_IS_STRING (v))
        return mk_error_set (err, 0, "%s.%s: expected a string", where, k);
      if (k[0] == '\0' || strchr (k, '/') != NULL || strcmp (k, ".") == 0 || strcmp (k, "..") == 0)
        return mk_error_set (err, 0, "%s: invalid file name `%s`", where, k);
      r->unified_keys[i] = xstrdup (k);
      r->unified_values[i] = xstrdup (YAJL_GET_STRING (v));
      r->n_unified = i + 1;
    }
  return 0;
}

int
mk_resources_parse (yajl_val node, const char *where, struct mk_resources **out, mk_error **err)
{
  struct mk_resources *r;
  _cleanup_free_ char *w = NULL;
  int bad = 0;
  yajl_val v;

  if (where == NULL)
    where = "linux.resources";
  if (node != NULL && !YAJL_IS_OBJECT (node))
    return mk_error_set (err, 0, "%s: expected an object", where);
  r = xmalloc0 (sizeof (*r));

#define SECTION(KEY, GET, FN)                                                                      \
  v = GET (node, KEY, where, &bad, err);                                                           \
  if (bad < 0)                                                                                     \
    goto fail;                                                                                     \
  if (v != NULL)                                                                                   \
    {                                                                                              \
      free (w);                                                                                    \
      w = xasprintf ("%s.%s", where, KEY);                                                         \
      if (FN (v, w, r, err) < 0)                                                                   \
        goto fail;                                                                                 \
    }

  SECTION ("memory", get_object, parse_memory);
  SECTION ("cpu", get_object, parse_cpu);
  SECTION ("blockIO", get_object, parse_block_io);
  SECTION ("hugepageLimits", get_array, parse_hugepage_limits);
  SECTION ("network", get_object, parse_network);
  SECTION ("devices", get_array, parse_devices);
  SECTION ("unified", get_object, parse_unified);
#undef SECTION

  v = get_object (node, "pids", where, &bad, err);
  if (bad < 0)
    goto fail;
  if (v != NULL)
    {
      free (w);
      w = xasprintf ("%s.pids", where);
      if (get_int64 (v, "limit", w, &r->has_pids_limit, &r->pids_limit, err) < 0)
        goto fail;
    }

  *out = r;
  return 0;

fail:
  mk_resources_free (r);
  return -1;
}

const char *
mk_resources_first_limit (const struct mk_resources *r)
{
  if (r == NULL)
    return NULL;
  if (r->has_mem_limit || r->has_mem_reservation || r->has_mem_swap || r->has_mem_kernel
      || r->has_mem_kernel_tcp || r->has_mem_swappiness || r->has_disable_oom_killer
      || r->has_use_hierarchy)
    return "linux.resources.memory";
  if (r->has_cpu_shares || r->has_cpu_quota || r->has_cpu_burst || r->has_cpu_period
      || r->has_cpu_rt_runtime || r->has_cpu_rt_period || r->has_cpu_idle || r->cpu_cpus
      || r->cpu_mems)
    return "linux.resources.cpu";
  if (r->has_pids_limit)
    return "linux.resources.pids";
  if (r->has_blkio_weight || r->has_blkio_leaf_weight || r->n_blkio_weight_device
      || r->n_throttle_read_bps || r->n_throttle_write_bps || r->n_throttle_read_iops
      || r->n_throttle_write_iops)
    return "linux.resources.blockIO";
  if (r->n_hugepage_limits)
    return "linux.resources.hugepageLimits";
  if (r->has_net_class_id || r->n_net_priorities)
    return "linux.resources.network";
  if (r->n_unified)
    return "linux.resources.unified";
  return NULL;
}

void
mk_resources_free (struct mk_resources *r)
{
  if (r == NULL)
    return;
  free (r->cpu_cpus);
  free (r->cpu_mems);
  free (r->blkio_weight_device);
  free (r->throttle_read_bps);
  free (r->throttle_write_bps);
  free (r->throttle_read_iops);
  free (r->throttle_write_iops);
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  for (size_t i = 0; i < r->n_net_priorities; i++)
    free (r->net_priorities[i].name);
  free (r->net_priorities);
  free (r->devices);
  mk_strv_free (r->unified_keys);
  mk_strv_free (r->unified_values);
  free (r);
}

/* A size as runc's update flags take it (docker's RAMInBytes): a number,
   optionally with a binary unit b, k, m, g, t, p (and an optional "b" or
   "ib" after it), case-insensitive: "64m", "1.5G", "512KiB".  -1 means
   unlimited.  */
static int
parse_size (const char *s, int64_t *out)
{
  char *end;
  double v;
  uint64_t mult = 1;
  const char *units = "bkmgtp";
  const char *u;

  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  v = strtod (s, &end);
  if (end == s || v < 0)
    return -1;
  if (*end)
    {
      u = strchr (units, tolower ((unsigned char)*end));
      if (u == NULL)
        return -1;
      for (long i = 0; i < u - units; i++)
        mult *= 1024;
      end++;
      if (u != units && (strcasecmp (end, "b") == 0 || strcasecmp (end, "ib") == 0))
        end += strlen (end);
      if (*end)
        return -1;
    }
  if (v * (double)mult > (double)INT64_MAX)
    return -1;
  *out = (int64_t)(v * (double)mult);
  return 0;
}

int
mk_resources_set_flag (struct mk_resources *r, const char *name, const char *value, mk_error **err)
{
  long long n;
  int64_t size;

#define SIZE(field, has)                                                                           \
  do                                                                                               \
    {                                                                                              \
      if (parse_size (value, &size) < 0)                                                           \
        return mk_error_set (err, 0, "--%s: `%s` is not a size (like 64m, 1G or -1)", name,        \
                             value);                                                               \
      r->field = size;                                                                             \
      r->has = true;                                                                               \
    }                                                                                              \
  while (0)
#define NUMBER(field, has, min, max)                                                               \
  do                                                                                               \
    {                                                                                              \
      if (mk_parse_int64 (value, &n) < 0 || n < (min) || n > (max))                                \
        return mk_error_set (err, 0, "--%s: `%s` is not a number in [%lld, %lld]", name, value,    \
                             (long long)(min), (long long)(max));                                  \
      r->field = n;                                                                                \
      r->has = true;                                                                               \
    }                                                                                              \
  while (0)

  if (strcmp (name, "memory") == 0)
    SIZE (mem_limit, has_mem_limit);
  else if (strcmp (name, "memory-swap") == 0)
    SIZE (mem_swap, has_mem_swap);
  else if (strcmp (name, "memory-reservation") == 0)
    SIZE (mem_reservation, has_mem_reservation);
  else if (strcmp (name, "kernel-memory") == 0)
    SIZE (mem_kernel, has_mem_kernel);
  else if (strcmp (name, "kernel-memory-tcp") == 0)
    SIZE (mem_kernel_tcp, has_mem_kernel_tcp);
  else if (strcmp (name, "cpu-shares") == 0)
    NUMBER (cpu_shares, has_cpu_shares, 0, 262144);
  else if (strcmp (name, "cpu-period") == 0)
    NUMBER (cpu_period, has_cpu_period, 0, 1000000);
  else if (strcmp (name, "cpu-quota") == 0)
    NUMBER (cpu_quota, has_cpu_quota, -1, INT64_MAX);
  else if (strcmp (name, "cpu-rt-period") == 0)
    NUMBER (cpu_rt_period, has_cpu_rt_period, 0, INT64_MAX);
  else if (strcmp (name, "cpu-rt-runtime") == 0)
    NUMBER (cpu_rt_runtime, has_cpu_rt_runtime, -1, INT64_MAX);
  else if (strcmp (name, "pids-limit") == 0)
    NUMBER (pids_limit, has_pids_limit, -1, INT64_MAX);
  else if (strcmp (name, "blkio-weight") == 0)
    {
      NUMBER (blkio_weight, has_blkio_weight, 0, 1000);
      if (n != 0 && n < 10)
        return mk_error_set (err, 0, "--blkio-weight: `%s`: expected 10 to 1000", value);
    }
  else if (strcmp (name, "cpuset-cpus") == 0 || strcmp (name, "cpuset-mems") == 0)
    {
      char **field = name[7] == 'c' ? &r->cpu_cpus : &r->cpu_mems;
      if (strspn (value, "0123456789,-") != strlen (value))
        return mk_error_set (err, 0, "--%s: `%s` is not a list like 0-2,4", name, value);
      free (*field);
      *field = xstrdup (value);
    }
  else if (strcmp (name, "l3-cache-schema") == 0 || strcmp (name, "mem-bw-schema") == 0)
    return mk_error_set (err, 0, "--%s: Intel RDT is not supported", name);
  else
    return mk_error_set (err, 0, "unknown resource flag --%s", name);
#undef SIZE
#undef NUMBER
  return 0;
}
