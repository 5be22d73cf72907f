/* app/parse.c: the app YAML → struct mk_app (see app.h).  */
#include "config.h"

#include "app/app.h"
#include "hpc/profile.h"
#include "utils.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <yaml.h>

struct mk_app_where
{
  char *key;
  unsigned long line, col; /* 1-based */
};

struct parse
{
  struct mk_app *app;
  yaml_document_t *doc;
  mk_error **err;
};

static const char *const log_levels[] = { "none", "error", "warn", "info", "debug", NULL };

const char *
mk_app_log_level_name (enum mk_app_log_level l)
{
  return log_levels[l];
}

/* ---- where things are ---------------------------------------------------- */

static void
remember (struct parse *p, const char *key, yaml_node_t *n)
{
  struct mk_app *a = p->app;
  a->where = xrealloc (a->where, (a->n_where + 1) * sizeof (*a->where));
  a->where[a->n_where].key = xstrdup (key);
  a->where[a->n_where].line = n->start_mark.line + 1;
  a->where[a->n_where].col = n->start_mark.column + 1;
  a->n_where++;
}

char *
mk_app_where (const struct mk_app *app, const char *key)
{
  for (size_t i = app->n_where; i-- > 0;)
    if (strcmp (app->where[i].key, key) == 0)
      return xasprintf ("%s:%lu:%lu: %s", app->file, app->where[i].line, app->where[i].col, key);
  return xasprintf ("%s: %s", app->file, key);
}

static int
fail_at (struct parse *p, yaml_node_t *n, const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static int
fail_at (struct parse *p, yaml_node_t *n, const char *key, const char *fmt, ...)
{
  _cleanup_free_ char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  return mk_error_set (p->err, 0, "%s:%lu:%lu: %s%s%s", p->app->file,
                       (unsigned long)n->start_mark.line + 1,
                       (unsigned long)n->start_mark.column + 1, key ? key : "", key ? ": " : "",
                       msg ? msg : "out of memory");
}

/* ---- "did you mean" --------------------------------------------------------- */

static size_t
edit_distance (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);
  size_t row[64];
  if (lb >= MK_ARRAY_SIZE (row))
    return SIZE_MAX;
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++)
    {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= lb; j++)
        {
          size_t up = row[j];
          size_t cost = tolower ((unsigned char)a[i - 1]) == tolower ((unsigned char)b[j - 1]) ? 0 : 1;
          size_t best = diag + cost;
          if (row[j] + 1 < best)
            best = row[j] + 1;
          if (row[j - 1] + 1 < best)
            best = row[j - 1] + 1;
          row[j] = best;
          diag = up;
        }
    }
  return row[lb];
}

static const char *
nearest (const char *word, const char *const *choices)
{
  const char *best = NULL;
  size_t best_d = SIZE_MAX;
  for (size_t i = 0; choices[i]; i++)
    {
      size_t d = edit_distance (word, choices[i]);
      if (d < best_d)
        {
          best_d = d;
          best = choices[i];
        }
    }
  /* A near miss: a couple of typos, or one in a short word.  */
  if (best && best_d <= (strlen (best) > 6 ? 3 : 2) && best_d < strlen (word))
    return best;
  return NULL;
}

static char *
choices_list (const char *const *choices)
{
  size_t len = 1;
  char *s;
  for (size_t i = 0; choices[i]; i++)
    len += strlen (choices[i]) + 2;
  s = xmalloc0 (len);
  for (size_t i = 0; choices[i]; i++)
    {
      if (i)
        strcat (s, ", ");
      strcat (s, choices[i]);
    }
  return s;
}

/* ---- typed values ---------------------------------------------------------- */

static bool
is_null (yaml_node_t *n)
{
  const char *v;
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return false;
  v = (const char *)n->data.scalar.value;
  return *v == 0 || strcmp (v, "~") == 0 || strcmp (v, "null") == 0 || strcmp (v, "Null") == 0
         || strcmp (v, "NULL") == 0;
}

static const char *
node_kind (yaml_node_t *n)
{
  if (is_null (n))
    return "nothing";
  switch (n->type)
    {
    case YAML_SCALAR_NODE:
      return "a scalar";
    case YAML_SEQUENCE_NODE:
      return "a list";
    case YAML_MAPPING_NODE:
      return "a mapping";
    default:
      return "nothing";
    }
}

static int
get_string (struct parse *p, yaml_node_t *n, const char *key, char **out)
{
  if (n->type != YAML_SCALAR_NODE || is_null (n))
    return fail_at (p, n, key, "expected a string, got %s", node_kind (n));
  free (*out);
  *out = xstrdup ((const char *)n->data.scalar.value);
  return 0;
}

static int
get_choice (struct parse *p, yaml_node_t *n, const char *key, const char *const *choices,
            int *out)
{
  _cleanup_free_ char *v = NULL;
  _cleanup_free_ char *all = NULL;
  const char *near;
  if (get_string (p, n, key, &v) < 0)
    return -1;
  for (int i = 0; choices[i]; i++)
    if (strcasecmp (v, choices[i]) == 0)
      {
        *out = i;
        return 0;
      }
  all = choices_list (choices);
  near = nearest (v, choices);
  if (near)
    return fail_at (p, n, key, "`%s` is not one of %s (did you mean `%s`?)", v, all, near);
  return fail_at (p, n, key, "`%s` is not one of %s", v, all);
}

static int
get_bool (struct parse *p, yaml_node_t *n, const char *key, bool *out)
{
  static const char *const words[] = { "false", "no", "off", "true", "yes", "on", NULL };
  int i;
  if (get_choice (p, n, key, words, &i) < 0)
    return -1;
  *out = i >= 3;
  return 0;
}

static int
get_strv (struct parse *p, yaml_node_t *n, const char *key, char ***out)
{
  size_t count = 0;
  mk_strv_free (*out);
  *out = xmalloc0 (sizeof (char *));
  if (is_null (n))
    return 0;
  if (n->type != YAML_SEQUENCE_NODE)
    return fail_at (p, n, key, "expected a list of strings, got %s", node_kind (n));
  for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
    {
      yaml_node_t *item = yaml_document_get_node (p->doc, *it);
      _cleanup_free_ char *ikey = xasprintf ("%s[%zu]", key, count);
      if (item->type != YAML_SCALAR_NODE || is_null (item))
        return fail_at (p, item, ikey, "expected a string, got %s", node_kind (item));
      remember (p, ikey, item);
      *out = xrealloc (*out, (count + 2) * sizeof (char *));
      (*out)[count++] = xstrdup ((const char *)item->data.scalar.value);
      (*out)[count] = NULL;
    }
  return 0;
}

/* An absolute path: relative ones resolve against the YAML's directory.  */
static char *
host_path (const struct mk_app *a, const char *path)
{
  if (path[0] == '/')
    return xstrdup (path);
  if (strncmp (path, "./", 2) == 0)
    path += 2;
  return xasprintf ("%s/%s", a->dir, path);
}

static void
resolve_paths (const struct mk_app *a, char **v)
{
  for (; v && *v; v++)
    {
      char *abs = host_path (a, *v);
      free (*v);
      *v = abs;
    }
}

/* ---- sizes and CPUs ---------------------------------------------------------- */

/* "1.5 GiB": a positive number, then *UNIT at what follows the spaces.  */
static int
number_unit (const char *s, double *v, const char **unit)
{
  char *end;
  while (isspace ((unsigned char)*s))
    s++;
  if (!isdigit ((unsigned char)*s) && *s != '.')
    return -1;
  errno = 0;
  *v = strtod (s, &end);
  if (errno || end == s || !isfinite (*v) || *v <= 0)
    return -1;
  while (isspace ((unsigned char)*end))
    end++;
  *unit = end;
  return 0;
}

int
mk_app_parse_size (const char *s, uint64_t *out)
{
  static const struct
  {
    const char *unit;
    double mult;
  } units[] = {
    { "", 1 },
    { "b", 1 },
    { "k", 1024.0 },
    { "kib", 1024.0 },
    { "kb", 1e3 },
    { "m", 1048576.0 },
    { "mib", 1048576.0 },
    { "mb", 1e6 },
    { "g", 1073741824.0 },
    { "gib", 1073741824.0 },
    { "gb", 1e9 },
    { "t", 1099511627776.0 },
    { "tib", 1099511627776.0 },
    { "tb", 1e12 },
  };
  const char *end;
  double v;
  if (number_unit (s, &v, &end) < 0)
    return -1;
  for (size_t i = 0; i < MK_ARRAY_SIZE (units); i++)
    if (strcasecmp (end, units[i].unit) == 0)
      {
        double bytes = v * units[i].mult;
        if (bytes >= 18446744073709551615.0 || bytes < 1)
          return -1;
        *out = (uint64_t)bytes;
        return 0;
      }
  return -1;
}

int
mk_app_parse_cpus (const char *s, double *out)
{
  const char *end;
  double v;
  if (number_unit (s, &v, &end) < 0)
    return -1;
  if (strcmp (end, "%") == 0)
    v /= 100;
  else if (*end && strcasecmp (end, "core") != 0 && strcasecmp (end, "cores") != 0
           && strcasecmp (end, "cpu") != 0 && strcasecmp (end, "cpus") != 0)
    return -1;
  /* The kernel's smallest quota is 1 ms per 100 ms period.  */
  if (v < 0.01 || v > 1e6)
    return -1;
  *out = v;
  return 0;
}

/* ---- sections ------------------------------------------------------------------ */

typedef int (*key_fn) (struct parse *p, yaml_node_t *v, const char *key);

struct key
{
  const char *name;
  key_fn fn;
};

/* Calls each known key's function; an unknown key is an error naming the
   nearest known one.  */
static int
walk_mapping (struct parse *p, yaml_node_t *n, const char *section, const struct key *keys)
{
  const char *names[32];
  size_t nk = 0;
  for (; keys[nk].name; nk++)
    names[nk] = keys[nk].name;
  names[nk] = NULL;

  if (is_null (n))
    return 0;
  if (n->type != YAML_MAPPING_NODE)
    return fail_at (p, n, section, "expected a mapping, got %s", node_kind (n));
  for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++)
    {
      yaml_node_t *k = yaml_document_get_node (p->doc, pr->key);
      yaml_node_t *v = yaml_document_get_node (p->doc, pr->value);
      const char *name;
      _cleanup_free_ char *full = NULL;
      size_t i;
      if (k->type != YAML_SCALAR_NODE)
        return fail_at (p, k, section, "keys must be strings");
      name = (const char *)k->data.scalar.value;
      full = section ? xasprintf ("%s.%s", section, name) : xstrdup (name);
      for (i = 0; i < nk; i++)
        if (strcmp (name, keys[i].name) == 0)
          break;
      if (i == nk)
        {
          const char *near = nearest (name, names);
          if (near)
            return fail_at (p, k, NULL, "unknown key `%s` (did you mean `%s%s%s`?)", full,
                            section ? section : "", section ? "." : "", near);
          _cleanup_free_ char *all = choices_list (names);
          return fail_at (p, k, NULL, "unknown key `%s` (known here: %s)", full, all);
        }
      remember (p, full, v);
      if (keys[i].fn (p, v, full) < 0)
        return -1;
    }
  return 0;
}

#define KEY_FN(fn) static int fn (struct parse *p, yaml_node_t *v, const char *key)

KEY_FN (app_name)
{
  const char *s;
  if (get_string (p, v, key, &p->app->name) < 0)
    return -1;
  s = p->app->name;
  if (strlen (s) > 100 || s[0] == '.' || s[0] == '-')
    return fail_at (p, v, key, "`%s` is not a valid name (letters, digits, `_`, `.`, `-`; up "
                    "to 100; not starting with `.` or `-`)", s);
  for (; *s; s++)
    if (!isalnum ((unsigned char)*s) && !strchr ("_.-", *s))
      return fail_at (p, v, key, "`%s` is not a valid name (letters, digits, `_`, `.`, `-`)",
                      p->app->name);
  return 0;
}

KEY_FN (app_executable)
{
  return get_string (p, v, key, &p->app->executable);
}

KEY_FN (app_args)
{
  if (v->type == YAML_SCALAR_NODE && !is_null (v))
    {
      mk_error *e = NULL;
      mk_strv_free (p->app->args);
      p->app->args = NULL;
      if (mk_app_split_args ((const char *)v->data.scalar.value, &p->app->args, &e) < 0)
        {
          fail_at (p, v, key, "%s", e->msg);
          mk_error_free (e);
          return -1;
        }
      return 0;
    }
  return get_strv (p, v, key, &p->app->args);
}

KEY_FN (app_user)
{
  return get_string (p, v, key, &p->app->user);
}

KEY_FN (app_workdir)
{
  if (get_string (p, v, key, &p->app->workdir) < 0)
    return -1;
  if (p->app->workdir[0] != '/')
    {
      char *abs = host_path (p->app, p->app->workdir);
      free (p->app->workdir);
      p->app->workdir = abs;
    }
  return 0;
}

KEY_FN (app_restart)
{
  static const char *const words[] = { "no", "on-failure", "always", NULL };
  int i;
  /* YAML 1.1 reads a bare `no` as false: accept that spelling too.  */
  if (v->type == YAML_SCALAR_NODE && strcasecmp ((const char *)v->data.scalar.value, "false") == 0)
    {
      p->app->restart = MK_APP_RESTART_NO;
      return 0;
    }
  if (get_choice (p, v, key, words, &i) < 0)
    return -1;
  p->app->restart = (enum mk_app_restart)i;
  return 0;
}

KEY_FN (res_cpu)
{
  _cleanup_free_ char *s = NULL;
  if (get_string (p, v, key, &s) < 0)
    return -1;
  if (mk_app_parse_cpus (s, &p->app->cpu_cores) < 0)
    return fail_at (p, v, key, "`%s` is not a CPU count (use e.g. \"1 core\", \"2 cores\", "
                    "\"0.5 cores\" or \"50%%\"; at least 0.01)", s);
  return 0;
}

KEY_FN (res_mem)
{
  _cleanup_free_ char *s = NULL;
  if (get_string (p, v, key, &s) < 0)
    return -1;
  if (mk_app_parse_size (s, &p->app->mem_bytes) < 0)
    return fail_at (p, v, key, "`%s` is not a size (use e.g. \"100MB\" = 100*1000^2 bytes, "
                    "\"256MiB\" or \"256M\" = 256*1024^2 bytes, \"1G\")", s);
  if (p->app->mem_bytes < 4096 * 64)
    return fail_at (p, v, key, "`%s` is too small (at least 256KiB)", s);
  return 0;
}

KEY_FN (res_io)
{
  static const char *const words[] = { "low", "medium", "high", NULL };
  return get_choice (p, v, key, words, &p->app->io_priority);
}

KEY_FN (res_pids)
{
  _cleanup_free_ char *s = NULL;
  long long n;
  if (get_string (p, v, key, &s) < 0)
    return -1;
  if (mk_parse_int64 (s, &n) < 0 || n < 1)
    return fail_at (p, v, key, "`%s` is not a positive number of processes", s);
  p->app->pids_limit = n;
  return 0;
}

KEY_FN (res_best_effort) { return get_bool (p, v, key, &p->app->best_effort); }

KEY_FN (fs_inputs)
{
  if (get_strv (p, v, key, &p->app->inputs) < 0)
    return -1;
  resolve_paths (p->app, p->app->inputs);
  return 0;
}

KEY_FN (fs_outputs)
{
  if (get_strv (p, v, key, &p->app->outputs) < 0)
    return -1;
  resolve_paths (p->app, p->app->outputs);
  return 0;
}

KEY_FN (fs_root)
{
  static const char *const words[] = { "host", "minimal", NULL };
  int i;
  if (get_choice (p, v, key, words, &i) < 0)
    return -1;
  p->app->root_minimal = i == 1;
  return 0;
}

KEY_FN (net_access)
{
  static const char *const words[] = { "none", "limited", "full", NULL };
  int i;
  if (get_choice (p, v, key, words, &i) < 0)
    return -1;
  p->app->network = (enum mk_app_network)i;
  return 0;
}

KEY_FN (net_endpoints)
{
  if (get_strv (p, v, key, &p->app->endpoints) < 0)
    return -1;
  for (size_t i = 0; p->app->endpoints[i]; i++)
    {
      const char *e = p->app->endpoints[i];
      const char *colon = strrchr (e, ':');
      long long port;
      if (colon == NULL || colon == e || (mk_parse_int64 (colon + 1, &port) < 0 && strcmp (colon + 1, "*") != 0)
          || (strcmp (colon + 1, "*") != 0 && (port < 1 || port > 65535)))
        {
          _cleanup_free_ char *ikey = xasprintf ("%s[%zu]", key, i);
          yaml_node_t *item = yaml_document_get_node (p->doc, v->data.sequence.items.start[i]);
          return fail_at (p, item, ikey, "`%s` is not HOST:PORT (e.g. \"api.example.com:443\", "
                          "\"192.168.1.100:443\", \"[::1]:80\"; PORT may be *)", e);
        }
    }
  return 0;
}

KEY_FN (sock_path)
{
  struct mk_app_socket *s = &p->app->sockets[p->app->n_sockets - 1];
  if (get_string (p, v, key, &s->path) < 0)
    return -1;
  if (s->path[0] != '/')
    return fail_at (p, v, key, "`%s` is not an absolute path (it is a path in the app's view)",
                    s->path);
  /* Sockets live in the app's private /tmp or /run, which have a host
     directory each: the listener's socket has a host path a connector can
     be given, and a connector's socket has a place to be bound.  */
  if (strstr (s->path, "/../") || strstr (s->path, "/./") || s->path[strlen (s->path) - 1] == '/'
      || !(mk_path_under (s->path, "/tmp") || mk_path_under (s->path, "/run"))
      || strcmp (s->path, "/tmp") == 0 || strcmp (s->path, "/run") == 0)
    return fail_at (p, v, key, "`%s`: a socket's path must be a file under /tmp or /run "
                    "(the app's private directories)", s->path);
  /* The kernel's allow-list of connect paths is a comma-separated
     annotation (org.mkrun.network.unix.connect), and sun_path is 108
     bytes with its NUL.  */
  if (strchr (s->path, ','))
    return fail_at (p, v, key, "`%s`: a socket's path may not hold a comma", s->path);
  if (strlen (s->path) >= sizeof (((struct sockaddr_un *)0)->sun_path))
    return fail_at (p, v, key, "`%s`: longer than a unix socket address holds (%zu bytes)",
                    s->path, sizeof (((struct sockaddr_un *)0)->sun_path) - 1);
  return 0;
}

KEY_FN (sock_type)
{
  static const char *const words[] = { "connect", "listen", NULL };
  int i;
  if (get_choice (p, v, key, words, &i) < 0)
    return -1;
  p->app->sockets[p->app->n_sockets - 1].listen = i == 1;
  return 0;
}

KEY_FN (unix_enable)
{
  bool on;
  if (get_bool (p, v, key, &on) < 0)
    return -1;
  if (!on)
    {
      /* Disabled: sockets listed after this are still validated, then
         dropped at the end of parsing.  */
      p->app->socket_timeout_ms |= 1u << 31;
    }
  return 0;
}

KEY_FN (unix_sockets)
{
  static const struct key keys[] = { { "path", sock_path }, { "type", sock_type }, { NULL, NULL } };
  size_t i = 0;
  if (is_null (v))
    return 0;
  if (v->type != YAML_SEQUENCE_NODE)
    return fail_at (p, v, key, "expected a list of {path, type}, got %s", node_kind (v));
  for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
       it++, i++)
    {
      yaml_node_t *item = yaml_document_get_node (p->doc, *it);
      _cleanup_free_ char *ikey = xasprintf ("%s[%zu]", key, i);
      struct mk_app_socket *s;
      p->app->sockets = xrealloc (p->app->sockets, (p->app->n_sockets + 1) * sizeof (*s));
      s = &p->app->sockets[p->app->n_sockets++];
      memset (s, 0, sizeof (*s));
      if (item->type != YAML_MAPPING_NODE)
        return fail_at (p, item, ikey, "expected {path, type}, got %s", node_kind (item));
      if (walk_mapping (p, item, ikey, keys) < 0)
        return -1;
      if (s->path == NULL)
        return fail_at (p, item, ikey, "needs a `path`");
      {
        _cleanup_free_ char *tkey = xasprintf ("%s.type", ikey);
        bool typed = false;
        for (size_t j = 0; j < p->app->n_where && !typed; j++)
          typed = strcmp (p->app->where[j].key, tkey) == 0;
        if (!typed)
          return fail_at (p, item, ikey, "needs a `type` (listen or connect)");
      }
      for (size_t j = 0; j + 1 < p->app->n_sockets; j++)
        if (strcmp (p->app->sockets[j].path, s->path) == 0)
          return fail_at (p, item, ikey, "`%s` is listed twice", s->path);
    }
  return 0;
}

KEY_FN (unix_timeout)
{
  _cleanup_free_ char *s = NULL;
  char *end;
  double secs;
  if (get_string (p, v, key, &s) < 0)
    return -1;
  errno = 0;
  secs = strtod (s, &end);
  if (errno || end == s || secs < 0 || secs > 3600 || (*end && strcmp (end, "s") != 0))
    return fail_at (p, v, key, "`%s` is not a number of seconds (0 to 3600)", s);
  p->app->socket_timeout_ms = (p->app->socket_timeout_ms & (1u << 31)) | (unsigned)(secs * 1000);
  return 0;
}

KEY_FN (net_unix)
{
  static const struct key keys[] = { { "enable", unix_enable },
                                     { "sockets", unix_sockets },
                                     { "timeout", unix_timeout },
                                     { NULL, NULL } };
  return walk_mapping (p, v, key, keys);
}

KEY_FN (dep_system)
{
  return get_strv (p, v, key, &p->app->system_packages);
}

KEY_FN (dep_nim)
{
  return get_strv (p, v, key, &p->app->nim_packages);
}

KEY_FN (log_level)
{
  int i;
  if (get_choice (p, v, key, log_levels, &i) < 0)
    return -1;
  p->app->log_level = (enum mk_app_log_level)i;
  return 0;
}

KEY_FN (log_file)
{
  char *abs;
  if (get_string (p, v, key, &p->app->log_file) < 0)
    return -1;
  abs = host_path (p->app, p->app->log_file);
  free (p->app->log_file);
  p->app->log_file = abs;
  return 0;
}

KEY_FN (env_vars)
{
  struct mk_app *a = p->app;
  if (is_null (v))
    return 0;
  if (v->type != YAML_MAPPING_NODE)
    return fail_at (p, v, key, "expected a mapping of NAME: value, got %s", node_kind (v));
  for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top; pr++)
    {
      yaml_node_t *k = yaml_document_get_node (p->doc, pr->key);
      yaml_node_t *val = yaml_document_get_node (p->doc, pr->value);
      const char *name;
      _cleanup_free_ char *full = NULL;
      if (k->type != YAML_SCALAR_NODE)
        return fail_at (p, k, key, "names must be strings");
      name = (const char *)k->data.scalar.value;
      full = xasprintf ("%s.%s", key, name);
      if (*name == 0 || strchr (name, '=') || isdigit ((unsigned char)*name))
        return fail_at (p, k, full, "`%s` is not a variable name", name);
      if (val->type != YAML_SCALAR_NODE)
        return fail_at (p, val, full, "expected a string, got %s", node_kind (val));
      a->env = xrealloc (a->env, (a->n_env + 1) * sizeof (*a->env));
      a->env[a->n_env].key = xstrdup (name);
      a->env[a->n_env].value = xstrdup (is_null (val) ? "" : (const char *)val->data.scalar.value);
      a->n_env++;
    }
  return 0;
}

/* hpc: {cores, hugepages, thp, numa, rt, gpus, irq}: the same values as the
   org.mkrun.hpc.* annotations they become, checked by the same parser.  */
KEY_FN (hpc_value)
{
  struct mk_app *a = p->app;
  const char *name = strrchr (key, '.') + 1;
  if (v->type != YAML_SCALAR_NODE || is_null (v))
    return fail_at (p, v, key, "expected a string or a number, got %s", node_kind (v));
  a->hpc = xrealloc (a->hpc, (a->n_hpc + 1) * sizeof (*a->hpc));
  a->hpc[a->n_hpc].key = xasprintf (MK_HPC_PREFIX "%s", name);
  a->hpc[a->n_hpc].value = xstrdup ((const char *)v->data.scalar.value);
  a->n_hpc++;
  {
    struct mk_spec spec = { .annotations = a->hpc, .n_annotations = a->n_hpc };
    struct mk_hpc *h = NULL;
    mk_error *e = NULL;
    /* The value alone: keys that need others (cores) are checked whole.  */
    struct mk_kv one = a->hpc[a->n_hpc - 1];
    spec.annotations = &one;
    spec.n_annotations = 1;
    if (mk_hpc_parse (&spec, &h, &e) < 0 && strstr (e->msg, " needs ") == NULL)
      {
        const char *msg = strstr (e->msg, ": ") ? strstr (e->msg, ": ") + 2 : e->msg;
        const char *rest = strncmp (msg, MK_HPC_PREFIX, strlen (MK_HPC_PREFIX)) == 0
                               ? strchr (msg, ' ') + 1
                               : msg;
        int r = fail_at (p, v, key, "%s", rest);
        mk_error_free (e);
        return r;
      }
    mk_error_free (e);
    mk_hpc_free (h);
  }
  return 0;
}

KEY_FN (sec_hpc)
{
  static const struct key keys[]
      = { { "cores", hpc_value }, { "hugepages", hpc_value }, { "thp", hpc_value },
          { "numa", hpc_value },  { "rt", hpc_value },        { "gpus", hpc_value },
          { "irq", hpc_value },   { NULL, NULL } };
  if (walk_mapping (p, v, key, keys) < 0)
    return -1;
  {
    struct mk_spec spec = { .annotations = p->app->hpc, .n_annotations = p->app->n_hpc };
    struct mk_hpc *h = NULL;
    mk_error *e = NULL;
    if (mk_hpc_parse (&spec, &h, &e) < 0)
      {
        int r = fail_at (p, v, key, "%s", e->msg + strlen ("annotations: "));
        mk_error_free (e);
        return r;
      }
    mk_hpc_free (h);
  }
  return 0;
}

#define SECTION(fn, ...)                                                                           \
  KEY_FN (fn)                                                                                      \
  {                                                                                                \
    static const struct key keys[] = { __VA_ARGS__, { NULL, NULL } };                             \
    return walk_mapping (p, v, key, keys);                                                         \
  }

SECTION (sec_application, { "name", app_name }, { "executable", app_executable },
         { "args", app_args }, { "user", app_user }, { "workdir", app_workdir },
         { "restart", app_restart })
SECTION (sec_resources, { "cpu_limit", res_cpu }, { "mem_limit", res_mem },
         { "io_priority", res_io }, { "pids_limit", res_pids }, { "best_effort", res_best_effort })
SECTION (sec_filesystem, { "inputs", fs_inputs }, { "outputs", fs_outputs }, { "root", fs_root })
SECTION (sec_network, { "access", net_access }, { "allowed_endpoints", net_endpoints },
         { "unix_sockets", net_unix })
SECTION (sec_dependencies, { "system_packages", dep_system }, { "nim_packages", dep_nim })
SECTION (sec_logging, { "level", log_level }, { "file", log_file })

static const struct key top_keys[] = {
  { "application", sec_application },
  { "resources", sec_resources },
  { "filesystem", sec_filesystem },
  { "network", sec_network },
  { "dependencies", sec_dependencies },
  { "environment_variables", env_vars },
  { "logging", sec_logging },
  { "hpc", sec_hpc },
  { NULL, NULL },
};

/* ---- entry points ------------------------------------------------------------- */

void
mk_app_free (struct mk_app *a)
{
  if (a == NULL)
    return;
  free (a->file);
  free (a->dir);
  free (a->name);
  free (a->executable);
  mk_strv_free (a->args);
  free (a->user);
  free (a->workdir);
  mk_strv_free (a->inputs);
  mk_strv_free (a->outputs);
  mk_strv_free (a->endpoints);
  for (size_t i = 0; i < a->n_sockets; i++)
    free (a->sockets[i].path);
  free (a->sockets);
  mk_strv_free (a->system_packages);
  mk_strv_free (a->nim_packages);
  for (size_t i = 0; i < a->n_env; i++)
    {
      free (a->env[i].key);
      free (a->env[i].value);
    }
  free (a->env);
  for (size_t i = 0; i < a->n_hpc; i++)
    {
      free (a->hpc[i].key);
      free (a->hpc[i].value);
    }
  free (a->hpc);
  free (a->log_file);
  for (size_t i = 0; i < a->n_where; i++)
    free (a->where[i].key);
  free (a->where);
  free (a);
}

static int
check_whole (struct parse *p, yaml_node_t *root)
{
  struct mk_app *a = p->app;
  if (a->socket_timeout_ms & (1u << 31))
    {
      /* unix_sockets.enable: false */
      for (size_t i = 0; i < a->n_sockets; i++)
        free (a->sockets[i].path);
      a->n_sockets = 0;
    }
  a->socket_timeout_ms &= ~(1u << 31);
  if (a->endpoints && a->endpoints[0] && a->network != MK_APP_NET_LIMITED)
    {
      _cleanup_free_ char *w = mk_app_where (a, "network.allowed_endpoints");
      return mk_error_set (p->err, 0, "%s: only used with `access: limited` (access is %s)", w,
                           a->network == MK_APP_NET_FULL ? "full" : "none");
    }
  (void)root;
  return 0;
}

int
mk_app_parse_string (const char *file, const char *dir, const char *text, size_t len,
                     struct mk_app **out, mk_error **err)
{
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_node_t *root;
  struct mk_app *a = xmalloc0 (sizeof (*a));
  struct parse p = { .app = a, .doc = &doc, .err = err };
  int ret = -1;

  a->file = xstrdup (file);
  a->dir = xstrdup (dir);
  a->io_priority = -1;
  a->log_level = MK_APP_LOG_WARN;
  a->socket_timeout_ms = 30000;

  if (!yaml_parser_initialize (&parser))
    {
      mk_app_free (a);
      return mk_error_set (err, ENOMEM, "%s: initialize the YAML parser", file);
    }
  yaml_parser_set_input_string (&parser, (const unsigned char *)text, len);
  if (!yaml_parser_load (&parser, &doc))
    {
      mk_error_set (err, 0, "%s:%lu:%lu: %s%s%s", file, (unsigned long)parser.problem_mark.line + 1,
                    (unsigned long)parser.problem_mark.column + 1,
                    parser.problem ? parser.problem : "not valid YAML",
                    parser.context ? " " : "", parser.context ? parser.context : "");
      yaml_parser_delete (&parser);
      mk_app_free (a);
      return -1;
    }
  root = yaml_document_get_root_node (&doc);
  if (root == NULL)
    mk_error_set (err, 0, "%s: is empty (it needs at least `application.executable`, or -e)",
                  file);
  else if (root->type != YAML_MAPPING_NODE)
    fail_at (&p, root, NULL, "the top level must be a mapping (application:, resources:, ...)");
  else if (walk_mapping (&p, root, NULL, top_keys) == 0 && check_whole (&p, root) == 0)
    ret = 0;
  yaml_document_delete (&doc);
  yaml_parser_delete (&parser);
  if (ret < 0)
    {
      mk_app_free (a);
      return -1;
    }
  if (a->executable && mk_app_set_executable (a, a->executable, err) < 0)
    {
      mk_app_free (a);
      return -1;
    }
  *out = a;
  return 0;
}

int
mk_app_parse (const char *file, struct mk_app **out, mk_error **err)
{
  _cleanup_free_ char *text = NULL;
  _cleanup_free_ char *dir = NULL;
  size_t len = 0;
  char *slash;
  if (mk_read_file_at (AT_FDCWD, file, &text, &len, err) < 0)
    return mk_error_prefix (err, "--config");
  if (file[0] == '/')
    dir = xstrdup (file);
  else
    {
      char cwd[PATH_MAX];
      if (getcwd (cwd, sizeof (cwd)) == NULL)
        return mk_error_set (err, errno, "getcwd");
      dir = xasprintf ("%s/%s", cwd, file);
    }
  slash = strrchr (dir, '/');
  if (slash == dir)
    slash[1] = 0;
  else
    *slash = 0;
  return mk_app_parse_string (file, dir, text, len, out, err);
}

/* ---- command line ------------------------------------------------------------- */

static int
find_on_path (const char *name, char **out)
{
  const char *path = getenv ("PATH");
  _cleanup_free_ char *copy = xstrdup (path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
  char *save = NULL;
  for (char *d = strtok_r (copy, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      _cleanup_free_ char *cand = xasprintf ("%s/%s", d, name);
      struct stat st;
      if (stat (cand, &st) == 0 && S_ISREG (st.st_mode) && access (cand, X_OK) == 0)
        {
          *out = steal_pointer (&cand);
          return 0;
        }
    }
  return -1;
}

int
mk_app_set_executable (struct mk_app *app, const char *exe, mk_error **err)
{
  char *abs = NULL;
  if (strchr (exe, '/') == NULL)
    {
      if (find_on_path (exe, &abs) < 0)
        {
          _cleanup_free_ char *w = mk_app_where (app, "application.executable");
          return mk_error_set (err, 0, "%s: `%s` is not on PATH", w, exe);
        }
    }
  else if (exe[0] == '/')
    abs = xstrdup (exe);
  else if (exe == app->executable)
    abs = host_path (app, exe);
  else
    {
      char cwd[PATH_MAX];
      if (getcwd (cwd, sizeof (cwd)) == NULL)
        return mk_error_set (err, errno, "getcwd");
      abs = xasprintf ("%s/%s", cwd, strncmp (exe, "./", 2) == 0 ? exe + 2 : exe);
    }
  free (app->executable);
  app->executable = abs;
  return 0;
}

int
mk_app_split_args (const char *line, char ***out, mk_error **err)
{
  size_t n = 0, cap = 4;
  char **v = xmalloc0 (cap * sizeof (char *));
  const char *s = line;
  char *word = xmalloc0 (strlen (line) + 1);
  for (;;)
    {
      size_t len = 0;
      bool any = false;
      while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
      if (*s == 0)
        break;
      while (*s && *s != ' ' && *s != '\t' && *s != '\n')
        {
          any = true;
          if (*s == '\'')
            {
              const char *end = strchr (s + 1, '\'');
              if (end == NULL)
                goto unterminated;
              memcpy (word + len, s + 1, end - s - 1);
              len += end - s - 1;
              s = end + 1;
            }
          else if (*s == '"')
            {
              for (s++; *s && *s != '"'; s++)
                {
                  if (*s == '\\' && s[1] && strchr ("\"\\$`\n", s[1]))
                    s++;
                  word[len++] = *s;
                }
              if (*s != '"')
                goto unterminated;
              s++;
            }
          else if (*s == '\\')
            {
              if (s[1] == 0)
                {
                  s++;
                  break;
                }
              word[len++] = s[1];
              s += 2;
            }
          else
            word[len++] = *s++;
        }
      if (any)
        {
          if (n + 2 > cap)
            v = xrealloc (v, (cap *= 2) * sizeof (char *));
          word[len] = 0;
          v[n++] = xstrdup (word);
          v[n] = NULL;
        }
    }
  free (word);
  *out = v;
  return 0;
unterminated:
  free (word);
  mk_strv_free (v);
  return mk_error_set (err, 0, "unterminated quote in `%s`", line);
}

int
mk_app_add_args (struct mk_app *app, const char *line, mk_error **err)
{
  _cleanup_strv_ char **more = NULL;
  size_t n = mk_strv_len (app->args), m;
  if (mk_app_split_args (line, &more, err) < 0)
    return mk_error_prefix (err, "--app-args");
  m = mk_strv_len (more);
  app->args = xrealloc (app->args, (n + m + 1) * sizeof (char *));
  for (size_t i = 0; i < m; i++)
    app->args[n + i] = steal_pointer (&more[i]);
  app->args[n + m] = NULL;
  return 0;
}

/* ---- host checks --------------------------------------------------------------- */

/* The packages of NAMES that dpkg does not list as installed; NULL when
   all are (or dpkg's status file is not there to ask).  */
static char *
missing_packages (char **names)
{
  _cleanup_free_ char *status = NULL;
  size_t len = 0;
  char *missing = NULL;
  if (names == NULL || names[0] == NULL)
    return NULL;
  if (mk_read_file_at (AT_FDCWD, "/var/lib/dpkg/status", &status, &len, NULL) < 0)
    return xstrdup ("(dpkg's status file is missing)");
  for (char **n = names; *n; n++)
    {
      _cleanup_free_ char *needle = xasprintf ("\nPackage: %s\n", *n);
      bool ok = false;
      /* Also accept an architecture-qualified name (libssl3:amd64).  */
      _cleanup_free_ char *bare = xstrdup (*n);
      char *colon = strchr (bare, ':');
      if (colon)
        {
          *colon = 0;
          free (needle);
          needle = xasprintf ("\nPackage: %s\n", bare);
        }
      for (char *at = strstr (status, needle); at; at = strstr (at + 1, needle))
        {
          char *end = strstr (at + 1, "\n\n");
          char *st = strstr (at + 1, "\nStatus: ");
          if (st && (end == NULL || st < end) && strncmp (st + 9, "install ok installed", 20) == 0)
            {
              ok = true;
              break;
            }
        }
      if (!ok)
        {
          char *m = xasprintf ("%s%s%s", missing ? missing : "", missing ? " " : "", *n);
          free (missing);
          missing = m;
        }
    }
  return missing;
}

int
mk_app_check (const struct mk_app *a, mk_error **err)
{
  struct stat st;
  _cleanup_free_ char *missing = NULL;

  if (a->executable == NULL)
    return mk_error_set (err, 0, "%s: no program to run: give -e EXE or application.executable",
                         a->file);
  if (stat (a->executable, &st) < 0 || !S_ISREG (st.st_mode) || access (a->executable, X_OK) < 0)
    {
      _cleanup_free_ char *w = mk_app_where (a, "application.executable");
      int e = errno;
      if (stat (a->executable, &st) < 0)
        return mk_error_set (err, e, "%s: `%s`", w, a->executable);
      return mk_error_set (err, 0, "%s: `%s` is not an executable file", w, a->executable);
    }
  for (size_t i = 0; a->inputs && a->inputs[i]; i++)
    if (stat (a->inputs[i], &st) < 0)
      {
        _cleanup_free_ char *key = xasprintf ("filesystem.inputs[%zu]", i);
        _cleanup_free_ char *w = mk_app_where (a, key);
        return mk_error_set (err, errno, "%s: `%s`", w, a->inputs[i]);
      }
  for (size_t i = 0; a->outputs && a->outputs[i]; i++)
    if (stat (a->outputs[i], &st) == 0 && !S_ISDIR (st.st_mode))
      {
        _cleanup_free_ char *key = xasprintf ("filesystem.outputs[%zu]", i);
        _cleanup_free_ char *w = mk_app_where (a, key);
        return mk_error_set (err, 0, "%s: `%s` is not a directory", w, a->outputs[i]);
      }
  /* An input or output inside an output: the app could swap it for a
     symlink to any host directory before the next start binds it.  */
  for (size_t i = 0; a->outputs && a->outputs[i]; i++)
    for (int k = 0; k < 2; k++)
      {
        char **v = k ? a->outputs : a->inputs;
        for (size_t j = 0; v && v[j]; j++)
          if (mk_path_under (v[j], a->outputs[i]) && strcmp (v[j], a->outputs[i]) != 0)
            {
              _cleanup_free_ char *key
                  = xasprintf ("filesystem.%s[%zu]", k ? "outputs" : "inputs", j);
              _cleanup_free_ char *w = mk_app_where (a, key);
              return mk_error_set (err, 0,
                                   "%s: `%s` is inside the output `%s`, which the app "
                                   "can change: bind the output alone",
                                   w, v[j], a->outputs[i]);
            }
      }
  missing = missing_packages (a->system_packages);
  if (missing)
    {
      _cleanup_free_ char *w = mk_app_where (a, "dependencies.system_packages");
      return mk_error_set (err, 0, "%s: not installed: %s (install with: apt-get install %s)", w,
                           missing, missing);
    }
  return 0;
}
