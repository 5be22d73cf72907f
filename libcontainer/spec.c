/* spec.c: config.json into struct mk_spec (see spec.h).  JSON stays behind
   this file and the mk_json_* accessors.  */
#include "config.h"

#include "spec.h"
#include "extension.h"
#include "cgroups/resources.h"
#include "seccomp.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <time.h>

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#define MOUNT_ATTR__ATIME 0x00000070
#define MOUNT_ATTR_RELATIME 0x00000000
#define MOUNT_ATTR_NOATIME 0x00000010
#define MOUNT_ATTR_STRICTATIME 0x00000020
#define MOUNT_ATTR_NODIRATIME 0x00000080
#endif

/* ---- JSON accessors --------------------------------------------------- */

yajl_val
mk_json_get (yajl_val node, const char *key)
{
  if (node == NULL || !YAJL_IS_OBJECT (node))
    return NULL;
  for (size_t i = 0; i < node->u.object.len; i++)
    if (strcmp (node->u.object.keys[i], key) == 0)
      return node->u.object.values[i];
  return NULL;
}

int
mk_json_string (yajl_val node, const char *where, char **out, mk_error **err)
{
  if (!YAJL_IS_STRING (node))
    return mk_error_set (err, 0, "%s: expected a string", where);
  *out = xstrdup (YAJL_GET_STRING (node));
  return 0;
}

int
mk_json_bool (yajl_val node, const char *where, bool *out, mk_error **err)
{
  if (YAJL_IS_TRUE (node))
    *out = true;
  else if (YAJL_IS_FALSE (node))
    *out = false;
  else
    return mk_error_set (err, 0, "%s: expected true or false", where);
  return 0;
}

int
mk_json_int64 (yajl_val node, const char *where, int64_t *out, mk_error **err)
{
  if (!YAJL_IS_INTEGER (node))
    return mk_error_set (err, 0, "%s: expected an integer", where);
  *out = YAJL_GET_INTEGER (node);
  return 0;
}

int
mk_json_uint64 (yajl_val node, const char *where, uint64_t *out, mk_error **err)
{
  /* yajl keeps the text: use it so values above INT64_MAX still parse.  */
  char *end;
  if (!YAJL_IS_NUMBER (node) || node->u.number.r == NULL || node->u.number.r[0] == '-')
    return mk_error_set (err, 0, "%s: expected a non-negative integer", where);
  errno = 0;
  *out = strtoull (node->u.number.r, &end, 10);
  if (errno || *end != '\0')
    return mk_error_set (err, 0, "%s: expected a non-negative integer", where);
  return 0;
}

int
mk_json_strv (yajl_val node, const char *where, char ***out, mk_error **err)
{
  char **v;
  size_t n;
  if (!YAJL_IS_ARRAY (node))
    return mk_error_set (err, 0, "%s: expected an array of strings", where);
  n = node->u.array.len;
  for (size_t i = 0; i < n; i++)
    if (!YAJL_IS_STRING (node->u.array.values[i]))
      return mk_error_set (err, 0, "%s: expected an array of strings", where);
  v = xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    v[i] = xstrdup (YAJL_GET_STRING (node->u.array.values[i]));
  *out = v;
  return 0;
}

static int
json_u32 (yajl_val node, const char *where, uint32_t *out, mk_error **err)
{
  uint64_t v;
  if (mk_json_uint64 (node, where, &v, err) < 0)
    return -1;
  if (v > UINT32_MAX)
    return mk_error_set (err, 0, "%s: %llu is out of range", where, (unsigned long long) v);
  *out = (uint32_t) v;
  return 0;
}

/* Fails if NODE is present and not an object/array.  */
static int
expect_object (yajl_val node, const char *where, mk_error **err)
{
  if (node && !YAJL_IS_OBJECT (node))
    return mk_error_set (err, 0, "%s: expected an object", where);
  return 0;
}

static int
expect_array (yajl_val node, const char *where, mk_error **err)
{
  if (node && !YAJL_IS_ARRAY (node))
    return mk_error_set (err, 0, "%s: expected an array", where);
  return 0;
}

static int
parse_kv (yajl_val node, const char *where, struct mk_kv **out, size_t *n, mk_error **err)
{
  if (node == NULL)
    return 0;
  if (expect_object (node, where, err) < 0)
    return -1;
  *out = xmalloc0 (node->u.object.len * sizeof (struct mk_kv));
  for (size_t i = 0; i < node->u.object.len; i++)
    {
      char w[512];
      snprintf (w, sizeof (w), "%s.%s", where, node->u.object.keys[i]);
      (*out)[i].key = xstrdup (node->u.object.keys[i]);
      *n = i + 1;
      if (mk_json_string (node->u.object.values[i], w, &(*out)[i].value, err) < 0)
        return -1;
    }
  return 0;
}

/* ---- mounts ----------------------------------------------------------- */

static const struct mount_opt
{
  const char *name;
  bool clear;
  unsigned long flag;
} mount_opts[] = {
  { "async", true, MS_SYNCHRONOUS },   { "atime", true, MS_NOATIME },
  { "bind", false, MS_BIND },          { "defaults", false, 0 },
  { "dev", true, MS_NODEV },           { "diratime", true, MS_NODIRATIME },
  { "dirsync", false, MS_DIRSYNC },    { "exec", true, MS_NOEXEC },
  { "iversion", false, MS_I_VERSION }, { "lazytime", false, MS_LAZYTIME },
  { "loud", true, MS_SILENT },         { "mand", false, MS_MANDLOCK },
  { "noatime", false, MS_NOATIME },    { "nodev", false, MS_NODEV },
  { "nodiratime", false, MS_NODIRATIME }, { "noexec", false, MS_NOEXEC },
  { "noiversion", true, MS_I_VERSION }, { "nolazytime", true, MS_LAZYTIME },
  { "nomand", true, MS_MANDLOCK },     { "norelatime", true, MS_RELATIME },
  { "nostrictatime", true, MS_STRICTATIME }, { "nosuid", false, MS_NOSUID },
  { "rbind", false, MS_BIND | MS_REC }, { "relatime", false, MS_RELATIME },
  { "remount", false, MS_REMOUNT },    { "ro", false, MS_RDONLY },
  { "rw", true, MS_RDONLY },           { "silent", false, MS_SILENT },
  { "strictatime", false, MS_STRICTATIME }, { "suid", true, MS_NOSUID },
  { "sync", false, MS_SYNCHRONOUS },
};

static const struct
{
  const char *name;
  unsigned long flag;
} propagation_opts[] = {
  { "private", MS_PRIVATE },         { "rprivate", MS_PRIVATE | MS_REC },
  { "shared", MS_SHARED },           { "rshared", MS_SHARED | MS_REC },
  { "slave", MS_SLAVE },             { "rslave", MS_SLAVE | MS_REC },
  { "unbindable", MS_UNBINDABLE },   { "runbindable", MS_UNBINDABLE | MS_REC },
};

static const struct
{
  const char *name;
  bool clear;
  unsigned long long attr;
} recursive_opts[] = {
  { "rro", false, MOUNT_ATTR_RDONLY },      { "rrw", true, MOUNT_ATTR_RDONLY },
  { "rnosuid", false, MOUNT_ATTR_NOSUID },  { "rsuid", true, MOUNT_ATTR_NOSUID },
  { "rnodev", false, MOUNT_ATTR_NODEV },    { "rdev", true, MOUNT_ATTR_NODEV },
  { "rnoexec", false, MOUNT_ATTR_NOEXEC },  { "rexec", true, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", false, MOUNT_ATTR_NODIRATIME }, { "rdiratime", true, MOUNT_ATTR_NODIRATIME },
  { "rrelatime", false, MOUNT_ATTR_RELATIME }, { "rnorelatime", true, MOUNT_ATTR__ATIME },
  { "rnoatime", false, MOUNT_ATTR_NOATIME }, { "ratime", true, MOUNT_ATTR__ATIME },
  { "rstrictatime", false, MOUNT_ATTR_STRICTATIME }, { "rnostrictatime", true, MOUNT_ATTR__ATIME },
};

/* Every option name we understand, for `features`.  */
const char *const *
mk_spec_mount_options (void)
{
  static const char *names[MK_ARRAY_SIZE (mount_opts) + MK_ARRAY_SIZE (propagation_opts)
                           + MK_ARRAY_SIZE (recursive_opts) + 4];
  size_t n = 0;
  if (names[0])
    return names;
  for (size_t i = 0; i < MK_ARRAY_SIZE (mount_opts); i++)
    names[n++] = mount_opts[i].name;
  for (size_t i = 0; i < MK_ARRAY_SIZE (propagation_opts); i++)
    names[n++] = propagation_opts[i].name;
  for (size_t i = 0; i < MK_ARRAY_SIZE (recursive_opts); i++)
    names[n++] = recursive_opts[i].name;
  names[n++] = "idmap";
  names[n++] = "ridmap";
  names[n] = NULL;
  return names;
}

static int
parse_idmaps (yajl_val node, const char *where, struct mk_idmap **out, size_t *n, mk_error **err)
{
  if (node == NULL)
    return 0;
  if (expect_array (node, where, err) < 0)
    return -1;
  *out = xmalloc0 (node->u.array.len * sizeof (struct mk_idmap));
  for (size_t i = 0; i < node->u.array.len; i++)
    {
      yajl_val m = node->u.array.values[i];
      char w[512];
      snprintf (w, sizeof (w), "%s[%zu]", where, i);
      char w1[512];
      snprintf (w1, sizeof (w1), "%s.containerID", w);
      char w2[512];
      snprintf (w2, sizeof (w2), "%s.hostID", w);
      char w3[512];
      snprintf (w3, sizeof (w3), "%s.size", w);
      if (expect_object (m, w, err) < 0 || m == NULL)
        return mk_error_set (err, 0, "%s: expected an object", w);
      if (json_u32 (mk_json_get (m, "containerID"), w1, &(*out)[i].container_id, err) < 0
          || json_u32 (mk_json_get (m, "hostID"), w2, &(*out)[i].host_id, err) < 0
          || json_u32 (mk_json_get (m, "size"), w3, &(*out)[i].size, err) < 0)
        return -1;
      *n = i + 1;
    }
  return 0;
}

int
mk_mount_parse_options (struct mk_mount *m, const char *where, mk_error **err)
{
  size_t datalen = 0;
  for (char **o = m->options; o && *o; o++)
    {
      bool found = false;
      for (size_t i = 0; i < MK_ARRAY_SIZE (mount_opts) && !found; i++)
        if (strcmp (*o, mount_opts[i].name) == 0)
          {
            found = true;
            if (mount_opts[i].clear)
              {
                m->flags &= ~mount_opts[i].flag;
                m->clear |= mount_opts[i].flag;
              }
            else
              {
                m->flags |= mount_opts[i].flag;
                m->clear &= ~mount_opts[i].flag;
              }
            if (mount_opts[i].flag & MS_BIND)
              {
                m->bind = true;
                m->recursive = (mount_opts[i].flag & MS_REC) != 0;
              }
          }
      for (size_t i = 0; i < MK_ARRAY_SIZE (propagation_opts) && !found; i++)
        if (strcmp (*o, propagation_opts[i].name) == 0)
          {
            found = true;
            m->propagation = propagation_opts[i].flag;
          }
      for (size_t i = 0; i < MK_ARRAY_SIZE (recursive_opts) && !found; i++)
        if (strcmp (*o, recursive_opts[i].name) == 0)
          {
            found = true;
            if (recursive_opts[i].clear)
              m->attr_clr |= recursive_opts[i].attr;
            else
              m->attr_set |= recursive_opts[i].attr;
          }
      if (!found && (strcmp (*o, "idmap") == 0 || strcmp (*o, "ridmap") == 0))
        {
          found = true;
          m->idmap = true;
        }
      if (!found && (strcmp (*o, "tmpcopyup") == 0))
        found = true; /* crun's extension; we keep the tmpfs empty */
      if (!found)
        {
          size_t l = strlen (*o);
          m->data = xrealloc (m->data, datalen + l + 2);
          if (datalen)
            m->data[datalen++] = ',';
          memcpy (m->data + datalen, *o, l + 1);
          datalen += l;
        }
    }
  (void) where;
  (void) err;
  return 0;
}

char *
mk_json_gen_finish (yajl_gen g, bool newline)
{
  const unsigned char *buf;
  size_t len;
  char *out;
  yajl_gen_get_buf (g, &buf, &len);
  out = xmalloc0 (len + 2);
  memcpy (out, buf, len);
  if (newline)
    out[len] = '\n';
  yajl_gen_free (g);
  return out;
}

void
mk_json_gen_kv (yajl_gen g, const char *key, const char *value)
{
  yajl_gen_string (g, (const unsigned char *)key, strlen (key));
  yajl_gen_string (g, (const unsigned char *)value, strlen (value));
}

int
mk_spec_add_mount (struct mk_spec *spec, const char *destination, const char *type,
                   const char *source, const char *const *options, mk_error **err)
{
  struct mk_mount *m;
  size_t n = 0;
  while (options && options[n])
    n++;
  spec->mounts = xrealloc (spec->mounts, (spec->n_mounts + 1) * sizeof (struct mk_mount));
  m = &spec->mounts[spec->n_mounts++];
  memset (m, 0, sizeof (*m));
  m->destination = xstrdup (destination);
  m->type = xstrdup (type);
  m->source = xstrdup (source);
  m->options = xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    m->options[i] = xstrdup (options[i]);
  if (mk_mount_parse_options (m, destination, err) < 0)
    return -1;
  m->bind = m->bind || strcmp (type, "bind") == 0;
  return 0;
}

static int
parse_mounts (yajl_val node, struct mk_spec *spec, mk_error **err)
{
  if (node == NULL)
    return 0;
  if (expect_array (node, "mounts", err) < 0)
    return -1;
  spec->mounts = xmalloc0 (node->u.array.len * sizeof (struct mk_mount));
  for (size_t i = 0; i < node->u.array.len; i++)
    {
      yajl_val mn = node->u.array.values[i], v;
      struct mk_mount *m = &spec->mounts[i];
      char where[64];
      char w[512] = "";

      spec->n_mounts = i + 1;
      snprintf (where, sizeof (where), "mounts[%zu]", i);
      if (!YAJL_IS_OBJECT (mn))
        return mk_error_set (err, 0, "%s: expected an object", where);
      snprintf (w, sizeof (w), "%s.destination", where);
      v = mk_json_get (mn, "destination");
      if (v == NULL)
        return mk_error_set (err, 0, "%s: missing", w);
      if (mk_json_string (v, w, &m->destination, err) < 0)
        return -1;
      if (m->destination[0] != '/')
        return mk_error_set (err, 0, "%s: `%s` is not an absolute path", w, m->destination);
      snprintf (w, sizeof (w), "%s.type", where);
      if ((v = mk_json_get (mn, "type")) && mk_json_string (v, w, &m->type, err) < 0)
        return -1;
      snprintf (w, sizeof (w), "%s.source", where);
      if ((v = mk_json_get (mn, "source")) && mk_json_string (v, w, &m->source, err) < 0)
        return -1;
      snprintf (w, sizeof (w), "%s.options", where);
      if ((v = mk_json_get (mn, "options")) && mk_json_strv (v, w, &m->options, err) < 0)
        return -1;
      if (mk_mount_parse_options (m, w, err) < 0)
        return -1;
      snprintf (w, sizeof (w), "%s.uidMappings", where);
      if (parse_idmaps (mk_json_get (mn, "uidMappings"), w, &m->uid_mappings,
                        &m->n_uid_mappings, err) < 0)
        return -1;
      snprintf (w, sizeof (w), "%s.gidMappings", where);
      if (parse_idmaps (mk_json_get (mn, "gidMappings"), w, &m->gid_mappings,
                        &m->n_gid_mappings, err) < 0)
        return -1;
      if (m->n_uid_mappings || m->n_gid_mappings)
        m->idmap = true;
      if (m->type && strcmp (m->type, "bind") == 0)
        m->bind = true;
      if (m->bind && m->source == NULL)
        return mk_error_set (err, 0, "%s.source: a bind mount needs a source", where);
      if (m->type == NULL && !m->bind)
        return mk_error_set (err, 0, "%s.type: missing", where);
    }
  return 0;
}

/* ---- process ------------------------------------------------------------ */

static const struct
{
  const char *name;
  int value;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },           { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },     { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },       { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static const struct
{
  const char *name;
  int value;
} sched_policies[] = {
  { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO },   { "SCHED_RR", SCHED_RR },
  { "SCHED_BATCH", SCHED_BATCH }, { "SCHED_ISO", 4 },             { "SCHED_IDLE", SCHED_IDLE },
  { "SCHED_DEADLINE", 6 },
};

static const struct
{
  const char *name;
  uint64_t value;
} sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },    { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static const char *const capset_names[MK_CAP_COUNT]
    = { "bounding", "effective", "inheritable", "permitted", "ambient" };

static int
parse_caps (yajl_val node, const char *where, struct mk_process *p, mk_error **err)
{
  if (node == NULL)
    return 0;
  if (expect_object (node, where, err) < 0)
    return -1;
  p->has_caps = true;
  for (int k = 0; k < MK_CAP_COUNT; k++)
    {
      char w[512];
      snprintf (w, sizeof (w), "%s.%s", where, capset_names[k]);
      _cleanup_strv_ char **names = NULL;
      yajl_val v = mk_json_get (node, capset_names[k]);
      struct mk_capset *set = &p->caps[k];
      if (v == NULL)
        continue;
      if (mk_json_strv (v, w, &names, err) < 0)
        return -1;
      set->given = true;
      set->caps = xmalloc0 ((mk_strv_len (names) + 1) * sizeof (int));
      for (char **n = names; *n; n++)
        {
          cap_value_t cap;
          char lower[64];
          size_t i;
          for (i = 0; (*n)[i] && i < sizeof (lower) - 1; i++)
            lower[i] = (char) (((*n)[i] >= 'A' && (*n)[i] <= 'Z') ? (*n)[i] + 32 : (*n)[i]);
          lower[i] = '\0';
          /* A name libcap does not know is a mistake; one this kernel
             lacks (a newer capability) is skipped, as crun does.  */
          if (cap_from_name (lower, &cap) < 0)
            return mk_error_set (err, 0, "%s: unknown capability `%s`", w, *n);
          if (!CAP_IS_SUPPORTED (cap))
            continue;
          set->caps[set->n++] = cap;
        }
    }
  return 0;
}

static int
parse_user (yajl_val node, const char *where, struct mk_process *p, mk_error **err)
{
  yajl_val v;
  char w[512] = "";
  uint32_t u = 0;

  if (node == NULL)
    return 0;
  if (expect_object (node, where, err) < 0)
    return -1;
  snprintf (w, sizeof (w), "%s.uid", where);
  if ((v = mk_json_get (node, "uid")))
    {
      if (json_u32 (v, w, &u, err) < 0)
        return -1;
      p->uid = u;
    }
  snprintf (w, sizeof (w), "%s.gid", where);
  if ((v = mk_json_get (node, "gid")))
    {
      if (json_u32 (v, w, &u, err) < 0)
        return -1;
      p->gid = u;
    }
  snprintf (w, sizeof (w), "%s.umask", where);
  if ((v = mk_json_get (node, "umask")))
    {
      if (json_u32 (v, w, &u, err) < 0)
        return -1;
      p->has_umask = true;
      p->umask = u & 07777;
    }
  snprintf (w, sizeof (w), "%s.additionalGids", where);
  if ((v = mk_json_get (node, "additionalGids")))
    {
      if (expect_array (v, w, err) < 0)
        return -1;
      p->additional_gids = xmalloc0 (v->u.array.len * sizeof (gid_t));
      for (size_t i = 0; i < v->u.array.len; i++)
        {
          if (json_u32 (v->u.array.values[i], w, &u, err) < 0)
            return -1;
          p->additional_gids[p->n_additional_gids++] = u;
        }
    }
  return 0;
}

static int
parse_rlimits (yajl_val node, const char *where, struct mk_process *p, mk_error **err)
{
  if (node == NULL)
    return 0;
  if (expect_array (node, where, err) < 0)
    return -1;
  p->rlimits = xmalloc0 (node->u.array.len * sizeof (struct mk_rlimit));
  for (size_t i = 0; i < node->u.array.len; i++)
    {
      yajl_val r = node->u.array.values[i];
      char w[512];
      snprintf (w, sizeof (w), "%s[%zu]", where, i);
      char wt[512];
      snprintf (wt, sizeof (wt), "%s.type", w);
      char ws[512];
      snprintf (ws, sizeof (ws), "%s.soft", w);
      char wh[512];
      snprintf (wh, sizeof (wh), "%s.hard", w);
      _cleanup_free_ char *type = NULL;
      struct mk_rlimit *rl = &p->rlimits[i];
      size_t k;

      if (!YAJL_IS_OBJECT (r))
        return mk_error_set (err, 0, "%s: expected an object", w);
      if (mk_json_string (mk_json_get (r, "type"), wt, &type, err) < 0)
        return -1;
      for (k = 0; k < MK_ARRAY_SIZE (rlimit_names); k++)
        if (strcmp (type, rlimit_names[k].name) == 0)
          break;
      if (k == MK_ARRAY_SIZE (rlimit_names))
        return mk_error_set (err, 0, "%s: unknown rlimit `%s`", wt, type);
      rl->resource = rlimit_names[k].value;
      if (mk_json_uint64 (mk_json_get (r, "soft"), ws, &rl->soft, err) < 0
          || mk_json_uint64 (mk_json_get (r, "hard"), wh, &rl->hard, err) < 0)
        return -1;
      for (size_t j = 0; j < i; j++)
        if (p->rlimits[j].resource == rl->resource)
          return mk_error_set (err, 0, "%s: `%s` is given twice", wt, type);
      p->n_rlimits = i + 1;
    }
  return 0;
}

static int
parse_scheduler (yajl_val node, const char *where, struct mk_process *p, mk_error **err)
{
  yajl_val v;
  _cleanup_free_ char *policy = NULL;
  char w[512];
      snprintf (w, sizeof (w), "%s.policy", where);
  size_t k;
  int64_t i64 = 0;
  uint64_t u64 = 0;

  if (node == NULL)
    return 0;
  if (expect_object (node, where, err) < 0)
    return -1;
  if (mk_json_string (mk_json_get (node, "policy"), w, &policy, err) < 0)
    return -1;
  for (k = 0; k < MK_ARRAY_SIZE (sched_policies); k++)
    if (strcmp (policy, sched_policies[k].name) == 0)
      break;
  if (k == MK_ARRAY_SIZE (sched_policies))
    return mk_error_set (err, 0, "%s: unknown policy `%s`", w, policy);
  p->has_scheduler = true;
  p->sched_policy = sched_policies[k].value;
#define SCHED_FIELD(key, dst, parse, tmp)                                                          \
  if ((v = mk_json_get (node, key)))                                                               \
    {                                                                                              \
                                                                                                   \
      snprintf (w, sizeof (w), "%s.%s", where, key);                                               \
      if (parse (v, w, &tmp, err) < 0)                                                             \
        return -1;                                                                                 \
      dst = tmp;                                                                                   \
    }
  SCHED_FIELD ("nice", p->sched_nice, mk_json_int64, i64);
  SCHED_FIELD ("priority", p->sched_priority, mk_json_int64, i64);
  SCHED_FIELD ("runtime", p->sched_runtime, mk_json_uint64, u64);
  SCHED_FIELD ("deadline", p->sched_deadline, mk_json_uint64, u64);
  SCHED_FIELD ("period", p->sched_period, mk_json_uint64, u64);
#undef SCHED_FIELD
  if ((v = mk_json_get (node, "flags")))
    {
      _cleanup_strv_ char **flags = NULL;
      snprintf (w, sizeof (w), "%s.flags", where);
      if (mk_json_strv (v, w, &flags, err) < 0)
        return -1;
      for (char **f = flags; *f; f++)
        {
          for (k = 0; k < MK_ARRAY_SIZE (sched_flags); k++)
            if (strcmp (*f, sched_flags[k].name) == 0)
              break;
          if (k == MK_ARRAY_SIZE (sched_flags))
            return mk_error_set (err, 0, "%s: unknown flag `%s`", w, *f);
          p->sched_flags |= sched_flags[k].value;
        }
    }
  return 0;
}

static int
parse_io_priority (yajl_val node, const char *where, struct mk_process *p, mk_error **err)
{
  _cleanup_free_ char *cls = NULL;
  char w[512];
      snprintf (w, sizeof (w), "%s.class", where);
  int64_t prio = 0;
  yajl_val v;

  if (node == NULL)
    return 0;
  if (expect_object (node, where, err) < 0)
    return -1;
  if (mk_json_string (mk_json_get (node, "class"), w, &cls, err) < 0)
    return -1;
  if (strcmp (cls, "IOPRIO_CLASS_RT") == 0)
    p->io_priority_class = 1;
  else if (strcmp (cls, "IOPRIO_CLASS_BE") == 0)
    p->io_priority_class = 2;
  else if (strcmp (cls, "IOPRIO_CLASS_IDLE") == 0)
    p->io_priority_class = 3;
  else
    return mk_error_set (err, 0, "%s: unknown class `%s`", w, cls);
  snprintf (w, sizeof (w), "%s.priority", where);
  if ((v = mk_json_get (node, "priority")) && mk_json_int64 (v, w, &prio, err) < 0)
    return -1;
  if (prio < 0 || prio > 7)
    return mk_error_set (err, 0, "%s: %lld is not between 0 and 7", w, (long long) prio);
  p->io_priority = (int) prio;
  p->has_io_priority = true;
  return 0;
}

/* process.execCPUAffinity: {"initial": "0-1", "final": "2"}.  */
static int
parse_exec_cpu_affinity (yajl_val node, const char *where, struct mk_process *p, mk_error **err)
{
  static const char *const keys[] = { "initial", "final" };
  if (node == NULL)
    return 0;
  if (expect_object (node, where, err) < 0)
    return -1;
  for (size_t k = 0; k < 2; k++)
    {
      _cleanup_free_ char *list = NULL;
      char w[512];
      cpu_set_t *set = k ? &p->affinity_final : &p->affinity_initial;
      yajl_val v = mk_json_get (node, keys[k]);
      snprintf (w, sizeof (w), "%s.%s", where, keys[k]);
      if (v == NULL)
        continue;
      if (mk_json_string (v, w, &list, err) < 0)
        return -1;
      if (mk_cpulist_parse (list, set) < 0 || CPU_COUNT (set) == 0)
        return mk_error_set (err, 0, "%s: `%s` is not a list of cpus", w, list);
      *(k ? &p->has_affinity_final : &p->has_affinity_initial) = true;
    }
  return 0;
}

int
mk_spec_parse_process (yajl_val node, const char *where, struct mk_process **out, mk_error **err)
{
  struct mk_process *p = xmalloc0 (sizeof (*p));
  yajl_val v;
  char w[512] = "";
  int64_t i64 = 0;

#define FIELD(name) (snprintf (w, sizeof (w), "%s.%s", where, name), mk_json_get (node, name))
  if (!YAJL_IS_OBJECT (node))
    {
      mk_error_set (err, 0, "%s: expected an object", where);
      goto fail;
    }
  if ((v = FIELD ("terminal")) && mk_json_bool (v, w, &p->terminal, err) < 0)
    goto fail;
  if ((v = FIELD ("consoleSize")))
    {
      uint32_t h = 0, wd = 0;
      char wh[512];
      snprintf (wh, sizeof (wh), "%s.height", w);
      char ww[512];
      snprintf (ww, sizeof (ww), "%s.width", w);
      if (expect_object (v, w, err) < 0 || json_u32 (mk_json_get (v, "height"), wh, &h, err) < 0
          || json_u32 (mk_json_get (v, "width"), ww, &wd, err) < 0)
        goto fail;
      p->console_height = h;
      p->console_width = wd;
    }
  if (parse_user (FIELD ("user"), w, p, err) < 0)
    goto fail;
  v = FIELD ("args");
  if (v == NULL)
    {
      mk_error_set (err, 0, "%s: missing", w);
      goto fail;
    }
  if (mk_json_strv (v, w, &p->args, err) < 0)
    goto fail;
  if (p->args[0] == NULL)
    {
      mk_error_set (err, 0, "%s: must not be empty", w);
      goto fail;
    }
  if ((v = FIELD ("env")) && mk_json_strv (v, w, &p->env, err) < 0)
    goto fail;
  if (p->env == NULL)
    p->env = xmalloc0 (sizeof (char *));
  v = FIELD ("cwd");
  if (v)
    {
      if (mk_json_string (v, w, &p->cwd, err) < 0)
        goto fail;
      if (p->cwd[0] != '/')
        {
          mk_error_set (err, 0, "%s: `%s` is not an absolute path", w, p->cwd);
          goto fail;
        }
    }
  else
    p->cwd = xstrdup ("/");
  if (parse_caps (FIELD ("capabilities"), w, p, err) < 0)
    goto fail;
  if (parse_rlimits (FIELD ("rlimits"), w, p, err) < 0)
    goto fail;
  if ((v = FIELD ("noNewPrivileges")) && mk_json_bool (v, w, &p->no_new_privileges, err) < 0)
    goto fail;
  if ((v = FIELD ("oomScoreAdj")))
    {
      if (mk_json_int64 (v, w, &i64, err) < 0)
        goto fail;
      if (i64 < -1000 || i64 > 1000)
        {
          mk_error_set (err, 0, "%s: %lld is not between -1000 and 1000", w, (long long) i64);
          goto fail;
        }
      p->has_oom_score_adj = true;
      p->oom_score_adj = (int) i64;
    }
  if ((v = FIELD ("apparmorProfile")) && mk_json_string (v, w, &p->apparmor_profile, err) < 0)
    goto fail;
  if ((v = FIELD ("selinuxLabel")) && mk_json_string (v, w, &p->selinux_label, err) < 0)
    goto fail;
  if (parse_io_priority (FIELD ("ioPriority"), w, p, err) < 0)
    goto fail;
  if (parse_scheduler (FIELD ("scheduler"), w, p, err) < 0)
    goto fail;
  if (parse_exec_cpu_affinity (FIELD ("execCPUAffinity"), w, p, err) < 0)
    goto fail;
#undef FIELD
  *out = p;
  return 0;
fail:
  mk_process_free (p);
  return -1;
}

void
mk_process_free (struct mk_process *p)
{
  if (p == NULL)
    return;
  free (p->additional_gids);
  mk_strv_free (p->args);
  mk_strv_free (p->env);
  free (p->cwd);
  for (int k = 0; k < MK_CAP_COUNT; k++)
    free (p->caps[k].caps);
  free (p->rlimits);
  free (p->apparmor_profile);
  free (p->selinux_label);
  free (p);
}

/* ---- hooks ------------------------------------------------------------ */

static const char *const hook_names[MK_HOOK_COUNT] = {
  "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

const char *
mk_hook_kind_name (enum mk_hook_kind k)
{
  return hook_names[k];
}

static int
parse_hooks (yajl_val node, struct mk_spec *spec, mk_error **err)
{
  if (node == NULL)
    return 0;
  if (expect_object (node, "hooks", err) < 0)
    return -1;
  for (int k = 0; k < MK_HOOK_COUNT; k++)
    {
      yajl_val list = mk_json_get (node, hook_names[k]);
      char where[512];
      snprintf (where, sizeof (where), "hooks.%s", hook_names[k]);
      if (list == NULL)
        continue;
      if (expect_array (list, where, err) < 0)
        return -1;
      spec->hooks[k].list = xmalloc0 (list->u.array.len * sizeof (struct mk_hook));
      for (size_t i = 0; i < list->u.array.len; i++)
        {
          yajl_val h = list->u.array.values[i], v;
          struct mk_hook *hook = &spec->hooks[k].list[i];
          char w[512];
      snprintf (w, sizeof (w), "%s[%zu]", where, i);
          char wf[512];
          spec->hooks[k].n = i + 1;
          if (!YAJL_IS_OBJECT (h))
            return mk_error_set (err, 0, "%s: expected an object", w);
          snprintf (wf, sizeof (wf), "%s.path", w);
          if (mk_json_string (mk_json_get (h, "path"), wf, &hook->path, err) < 0)
            return -1;
          if (hook->path[0] != '/')
            return mk_error_set (err, 0, "%s: `%s` is not an absolute path", wf, hook->path);
          snprintf (wf, sizeof (wf), "%s.args", w);
          if ((v = mk_json_get (h, "args")) && mk_json_strv (v, wf, &hook->args, err) < 0)
            return -1;
          snprintf (wf, sizeof (wf), "%s.env", w);
          if ((v = mk_json_get (h, "env")) && mk_json_strv (v, wf, &hook->env, err) < 0)
            return -1;
          snprintf (wf, sizeof (wf), "%s.timeout", w);
          if ((v = mk_json_get (h, "timeout")))
            {
              int64_t t = 0;
              if (mk_json_int64 (v, wf, &t, err) < 0)
                return -1;
              if (t <= 0)
                return mk_error_set (err, 0, "%s: must be greater than zero", wf);
              hook->timeout = (int) t;
            }
        }
    }
  return 0;
}

/* ---- linux ------------------------------------------------------------ */

static const struct
{
  const char *name;
  int type;
} ns_names[] = {
  { "pid", CLONE_NEWPID },   { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
  { "ipc", CLONE_NEWIPC },   { "uts", CLONE_NEWUTS },     { "user", CLONE_NEWUSER },
  { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

const char *
mk_namespace_name (int type)
{
  for (size_t i = 0; i < MK_ARRAY_SIZE (ns_names); i++)
    if (ns_names[i].type == type)
      return ns_names[i].name;
  return "?";
}

const char *const *
mk_namespace_names (void)
{
  static const char *names[MK_ARRAY_SIZE (ns_names) + 1];
  for (size_t i = 0; i < MK_ARRAY_SIZE (ns_names); i++)
    names[i] = ns_names[i].name;
  return names;
}

static int
parse_namespaces (yajl_val node, struct mk_spec *spec, mk_error **err)
{
  if (node == NULL)
    return 0;
  if (expect_array (node, "linux.namespaces", err) < 0)
    return -1;
  spec->namespaces = xmalloc0 (node->u.array.len * sizeof (struct mk_namespace));
  for (size_t i = 0; i < node->u.array.len; i++)
    {
      yajl_val ns = node->u.array.values[i], v;
      char w[512];
      snprintf (w, sizeof (w), "linux.namespaces[%zu]", i);
      char wt[512];
      snprintf (wt, sizeof (wt), "%s.type", w);
      _cleanup_free_ char *type = NULL;
      size_t k;
      if (!YAJL_IS_OBJECT (ns))
        return mk_error_set (err, 0, "%s: expected an object", w);
      if (mk_json_string (mk_json_get (ns, "type"), wt, &type, err) < 0)
        return -1;
      for (k = 0; k < MK_ARRAY_SIZE (ns_names); k++)
        if (strcmp (type, ns_names[k].name) == 0)
          break;
      if (k == MK_ARRAY_SIZE (ns_names))
        return mk_error_set (err, 0, "%s: unknown namespace type `%s`", wt, type);
      for (size_t j = 0; j < spec->n_namespaces; j++)
        if (spec->namespaces[j].type == ns_names[k].type)
          return mk_error_set (err, 0, "%s: namespace `%s` is listed twice", wt, type);
      spec->namespaces[i].type = ns_names[k].type;
      spec->n_namespaces = i + 1;
      if ((v = mk_json_get (ns, "path")))
        {
          char wp[512];
      snprintf (wp, sizeof (wp), "%s.path", w);
          if (mk_json_string (v, wp, &spec->namespaces[i].path, err) < 0)
            return -1;
          if (spec->namespaces[i].path[0] == '\0')
            {
              free (spec->namespaces[i].path);
              spec->namespaces[i].path = NULL;
            }
          else if (spec->namespaces[i].path[0] != '/')
            return mk_error_set (err, 0, "%s: `%s` is not an absolute path", wp,
                                 spec->namespaces[i].path);
        }
    }
  return 0;
}

static int
parse_devices (yajl_val node, struct mk_spec *spec, mk_error **err)
{
  if (node == NULL)
    return 0;
  if (expect_array (node, "linux.devices", err) < 0)
    return -1;
  spec->devices = xmalloc0 (node->u.array.len * sizeof (struct mk_device));
  for (size_t i = 0; i < node->u.array.len; i++)
    {
      yajl_val d = node->u.array.values[i], v;
      struct mk_device *dev = &spec->devices[i];
      char w[512];
      snprintf (w, sizeof (w), "linux.devices[%zu]", i);
      char wf[512];
      _cleanup_free_ char *type = NULL;
      uint32_t u = 0;

      spec->n_devices = i + 1;
      if (!YAJL_IS_OBJECT (d))
        return mk_error_set (err, 0, "%s: expected an object", w);
      snprintf (wf, sizeof (wf), "%s.path", w);
      if (mk_json_string (mk_json_get (d, "path"), wf, &dev->path, err) < 0)
        return -1;
      if (dev->path[0] != '/')
        return mk_error_set (err, 0, "%s: `%s` is not an absolute path", wf, dev->path);
      snprintf (wf, sizeof (wf), "%s.type", w);
      if (mk_json_string (mk_json_get (d, "type"), wf, &type, err) < 0)
        return -1;
      if (strlen (type) != 1 || strchr ("cubp", type[0]) == NULL)
        return mk_error_set (err, 0, "%s: unknown device type `%s`", wf, type);
      dev->type = type[0];
      if (dev->type != 'p')
        {
          snprintf (wf, sizeof (wf), "%s.major", w);
          if (mk_json_int64 (mk_json_get (d, "major"), wf, &dev->major, err) < 0)
            return -1;
          snprintf (wf, sizeof (wf), "%s.minor", w);
          if (mk_json_int64 (mk_json_get (d, "minor"), wf, &dev->minor, err) < 0)
            return -1;
        }
      snprintf (wf, sizeof (wf), "%s.fileMode", w);
      if ((v = mk_json_get (d, "fileMode")))
        {
          if (json_u32 (v, wf, &u, err) < 0)
            return -1;
          dev->file_mode = u & 07777;
          dev->has_file_mode = true;
        }
      snprintf (wf, sizeof (wf), "%s.uid", w);
      if ((v = mk_json_get (d, "uid")))
        {
          if (json_u32 (v, wf, &u, err) < 0)
            return -1;
          dev->uid = u;
          dev->has_uid = true;
        }
      snprintf (wf, sizeof (wf), "%s.gid", w);
      if ((v = mk_json_get (d, "gid")))
        {
          if (json_u32 (v, wf, &u, err) < 0)
            return -1;
          dev->gid = u;
          dev->has_gid = true;
        }
    }
  return 0;
}

/* set_mempolicy's modes and flags, by runtime-spec's names.  */
static const struct
{
  const char *name;
  int mode;
  bool nodes; /* needs nodes (else takes none) */
} mpol_modes[] = {
  { "MPOL_DEFAULT", 0, false },
  { "MPOL_PREFERRED", 1, true },
  { "MPOL_BIND", 2, true },
  { "MPOL_INTERLEAVE", 3, true },
  { "MPOL_LOCAL", 4, false },
  { "MPOL_PREFERRED_MANY", 5, true },
  { "MPOL_WEIGHTED_INTERLEAVE", 6, true },
};
static const struct
{
  const char *name;
  int flag;
} mpol_flags[] = {
  { "MPOL_F_NUMA_BALANCING", 1 << 13 },
  { "MPOL_F_RELATIVE_NODES", 1 << 14 },
  { "MPOL_F_STATIC_NODES", 1 << 15 },
};

/* Their names, for `features`.  */
const char *const *
mk_spec_memory_policy_names (bool flags)
{
  static const char *modes[MK_ARRAY_SIZE (mpol_modes) + 1], *fl[MK_ARRAY_SIZE (mpol_flags) + 1];
  if (modes[0] == NULL)
    {
      for (size_t i = 0; i < MK_ARRAY_SIZE (mpol_modes); i++)
        modes[i] = mpol_modes[i].name;
      for (size_t i = 0; i < MK_ARRAY_SIZE (mpol_flags); i++)
        fl[i] = mpol_flags[i].name;
    }
  return flags ? fl : modes;
}

/* linux.memoryPolicy: {"mode": "MPOL_BIND", "nodes": "0-1", "flags":
   ["MPOL_F_STATIC_NODES"]}.  The modes that place memory on nodes need
   nodes; MPOL_DEFAULT and MPOL_LOCAL take none.  */
static int
parse_memory_policy (yajl_val v, struct mk_spec *spec, mk_error **err)
{
  _cleanup_free_ char *mode = NULL, *nodes = NULL;
  _cleanup_strv_ char **fl = NULL;
  size_t m;

  if (v == NULL)
    return 0;
  if (expect_object (v, "linux.memoryPolicy", err) < 0
      || mk_json_string (mk_json_get (v, "mode"), "linux.memoryPolicy.mode", &mode, err) < 0)
    return -1;
  if (mk_json_get (v, "nodes")
      && mk_json_string (mk_json_get (v, "nodes"), "linux.memoryPolicy.nodes", &nodes, err) < 0)
    return -1;
  if (mk_json_get (v, "flags")
      && mk_json_strv (mk_json_get (v, "flags"), "linux.memoryPolicy.flags", &fl, err) < 0)
    return -1;
  for (m = 0; m < MK_ARRAY_SIZE (mpol_modes) && strcmp (mpol_modes[m].name, mode) != 0; m++)
    ;
  if (m == MK_ARRAY_SIZE (mpol_modes))
    return mk_error_set (err, 0, "linux.memoryPolicy.mode: unknown mode `%s`", mode);
  spec->memory_policy = mpol_modes[m].mode;
  CPU_ZERO (&spec->memory_nodes);
  if (nodes && *nodes && !mpol_modes[m].nodes)
    return mk_error_set (err, 0, "linux.memoryPolicy.nodes: %s takes no nodes", mode);
  if (mpol_modes[m].nodes && (nodes == NULL || *nodes == '\0'))
    return mk_error_set (err, 0, "linux.memoryPolicy.nodes: %s needs nodes", mode);
  if (nodes && *nodes
      && (mk_cpulist_parse (nodes, &spec->memory_nodes) < 0
          || CPU_COUNT (&spec->memory_nodes) == 0))
    return mk_error_set (err, 0, "linux.memoryPolicy.nodes: `%s` is not a list of nodes", nodes);
  for (char **f = fl; f && *f; f++)
    {
      size_t k;
      for (k = 0; k < MK_ARRAY_SIZE (mpol_flags) && strcmp (mpol_flags[k].name, *f) != 0; k++)
        ;
      if (k == MK_ARRAY_SIZE (mpol_flags))
        return mk_error_set (err, 0, "linux.memoryPolicy.flags: unknown flag `%s`", *f);
      spec->memory_policy |= mpol_flags[k].flag;
    }
  spec->has_memory_policy = true;
  return 0;
}

/* linux.netDevices: {"eth1": {"name": "ctr1"}, "eth2": {}}.  Moving a
   device takes a network namespace of the container's own (made or joined,
   not the runtime's), and CAP_NET_ADMIN over both (the kernel says).  */
static int
parse_net_devices (yajl_val node, struct mk_spec *spec, mk_error **err)
{
  const struct mk_namespace *ns;
  if (node == NULL)
    return 0;
  if (expect_object (node, "linux.netDevices", err) < 0)
    return -1;
  if (node->u.object.len == 0)
    return 0;
  ns = mk_spec_namespace (spec, CLONE_NEWNET);
  if (ns == NULL)
    return mk_error_set (err, 0,
                         "linux.netDevices: the container has no network namespace of its "
                         "own (linux.namespaces has no \"network\")");
  spec->net_devices = xmalloc0 (node->u.object.len * sizeof (struct mk_netdev));
  for (size_t i = 0; i < node->u.object.len; i++)
    {
      const char *key = node->u.object.keys[i];
      yajl_val v = node->u.object.values[i], name;
      struct mk_netdev *d = &spec->net_devices[spec->n_net_devices++];
      char where[64];

      d->host_name = xstrdup (key);
      snprintf (where, sizeof (where), "linux.netDevices.%.20s", key);
      if (!mk_netdev_name_ok (key))
        return mk_error_set (err, 0, "linux.netDevices: `%s` is not a network device name", key);
      if (expect_object (v, where, err) < 0)
        return -1;
      if ((name = mk_json_get (v, "name")))
        {
          char w[80];
          snprintf (w, sizeof (w), "%s.name", where);
          if (mk_json_string (name, w, &d->name, err) < 0)
            return -1;
          if (!mk_netdev_name_ok (d->name))
            return mk_error_set (err, 0, "%s: `%s` is not a network device name", w, d->name);
        }
      else
        d->name = xstrdup (key);
      for (size_t j = 0; j + 1 < spec->n_net_devices; j++)
        if (strcmp (spec->net_devices[j].name, d->name) == 0)
          return mk_error_set (
              err, 0, "linux.netDevices: two devices would be `%s` in the container", d->name);
    }
  return 0;
}

static int
parse_time_offsets (yajl_val node, struct mk_spec *spec, mk_error **err)
{
  if (node == NULL)
    return 0;
  if (expect_object (node, "linux.timeOffsets", err) < 0)
    return -1;
  spec->time_offsets = xmalloc0 (node->u.object.len * sizeof (struct mk_time_offset));
  for (size_t i = 0; i < node->u.object.len; i++)
    {
      const char *k = node->u.object.keys[i];
      yajl_val o = node->u.object.values[i], v;
      struct mk_time_offset *t = &spec->time_offsets[spec->n_time_offsets++];
      char w[512];
      snprintf (w, sizeof (w), "linux.timeOffsets.%s", k);
      if (strcmp (k, "monotonic") == 0)
        t->clock = CLOCK_MONOTONIC;
      else if (strcmp (k, "boottime") == 0)
        t->clock = CLOCK_BOOTTIME;
      else
        return mk_error_set (err, 0, "%s: unknown clock (monotonic or boottime)", w);
      if (!YAJL_IS_OBJECT (o))
        return mk_error_set (err, 0, "%s: expected an object", w);
      if ((v = mk_json_get (o, "secs")))
        {
          char ws[512];
      snprintf (ws, sizeof (ws), "%s.secs", w);
          if (mk_json_int64 (v, ws, &t->secs, err) < 0)
            return -1;
        }
      if ((v = mk_json_get (o, "nanosecs")))
        {
          char wn[512];
      snprintf (wn, sizeof (wn), "%s.nanosecs", w);
          if (json_u32 (v, wn, &t->nanosecs, err) < 0)
            return -1;
        }
    }
  return 0;
}

static int
parse_propagation (const char *value, const char *where, unsigned long *out, mk_error **err)
{
  for (size_t i = 0; i < MK_ARRAY_SIZE (propagation_opts); i++)
    if (strcmp (value, propagation_opts[i].name) == 0)
      {
        *out = propagation_opts[i].flag;
        return 0;
      }
  return mk_error_set (err, 0, "%s: unknown propagation `%s`", where, value);
}

static int
parse_linux (yajl_val node, struct mk_spec *spec, mk_error **err)
{
  yajl_val v;
  _cleanup_free_ char *s = NULL;

  if (node == NULL)
    return 0;
  if (expect_object (node, "linux", err) < 0)
    return -1;
  if (parse_namespaces (mk_json_get (node, "namespaces"), spec, err) < 0)
    return -1;
  if (parse_idmaps (mk_json_get (node, "uidMappings"), "linux.uidMappings", &spec->uid_mappings,
                    &spec->n_uid_mappings, err) < 0
      || parse_idmaps (mk_json_get (node, "gidMappings"), "linux.gidMappings",
                       &spec->gid_mappings, &spec->n_gid_mappings, err) < 0)
    return -1;
  if (parse_time_offsets (mk_json_get (node, "timeOffsets"), spec, err) < 0)
    return -1;
  if (parse_devices (mk_json_get (node, "devices"), spec, err) < 0)
    return -1;
  if ((v = mk_json_get (node, "cgroupsPath"))
      && mk_json_string (v, "linux.cgroupsPath", &spec->cgroups_path, err) < 0)
    return -1;
  if (spec->cgroups_path && spec->cgroups_path[0] == '\0')
    {
      free (spec->cgroups_path);
      spec->cgroups_path = NULL;
    }
  if ((v = mk_json_get (node, "resources"))
      && mk_resources_parse (v, "linux.resources", &spec->resources, err) < 0)
    return -1;
  if ((v = mk_json_get (node, "rootfsPropagation")))
    {
      if (mk_json_string (v, "linux.rootfsPropagation", &s, err) < 0
          || parse_propagation (s, "linux.rootfsPropagation", &spec->rootfs_propagation, err) < 0)
        return -1;
    }
  if ((v = mk_json_get (node, "maskedPaths"))
      && mk_json_strv (v, "linux.maskedPaths", &spec->masked_paths, err) < 0)
    return -1;
  if ((v = mk_json_get (node, "readonlyPaths"))
      && mk_json_strv (v, "linux.readonlyPaths", &spec->readonly_paths, err) < 0)
    return -1;
  if (parse_kv (mk_json_get (node, "sysctl"), "linux.sysctl", &spec->sysctl, &spec->n_sysctl, err)
      < 0)
    return -1;
  if ((v = mk_json_get (node, "seccomp"))
      && mk_seccomp_parse (v, "linux.seccomp", &spec->seccomp, err) < 0)
    return -1;
  if ((v = mk_json_get (node, "personality")))
    {
      _cleanup_free_ char *domain = NULL;
      if (expect_object (v, "linux.personality", err) < 0
          || mk_json_string (mk_json_get (v, "domain"), "linux.personality.domain", &domain, err)
                 < 0)
        return -1;
      if (strcmp (domain, "LINUX") == 0)
        spec->personality = PER_LINUX;
      else if (strcmp (domain, "LINUX32") == 0)
        spec->personality = PER_LINUX32;
      else
        return mk_error_set (err, 0, "linux.personality.domain: unknown domain `%s`", domain);
      spec->has_personality = true;
    }
  if (parse_memory_policy (mk_json_get (node, "memoryPolicy"), spec, err) < 0)
    return -1;
  if ((v = mk_json_get (node, "mountLabel"))
      && mk_json_string (v, "linux.mountLabel", &spec->mount_label, err) < 0)
    return -1;
  if (parse_net_devices (mk_json_get (node, "netDevices"), spec, err) < 0)
    return -1;
  if ((v = mk_json_get (node, "intelRdt")))
    return mk_error_set (err, 0, "linux.intelRdt: Intel RDT is not available on this host");
  return 0;
}

/* ---- the document ------------------------------------------------------ */

/* The annotations that change what mkrun does, read once here.  */
static int
parse_mkrun_annotations (struct mk_spec *spec, mk_error **err)
{
  const char *v = mk_spec_annotation (spec, MK_ANNOTATION_INIT);
  if (v == NULL || strcmp (v, "false") == 0)
    return 0;
  if (strcmp (v, "true") != 0)
    return mk_error_set (err, 0, "annotations.%s: `%s` is neither \"true\" nor \"false\"",
                         MK_ANNOTATION_INIT, v);
  spec->init_shim = true;
  return 0;
}

int
mk_spec_parse (const char *json, const char *bundle, struct mk_spec **out, mk_error **err)
{
  char errbuf[256] = "";
  struct mk_spec *spec = xmalloc0 (sizeof (*spec));
  yajl_val v;
  _cleanup_free_ char *root = NULL;

  spec->tree = yajl_tree_parse (json, errbuf, sizeof (errbuf));
  if (spec->tree == NULL)
    {
      char *nl = strchr (errbuf, '\n');
      if (nl)
        *nl = '\0';
      mk_error_set (err, 0, "config.json: invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
      goto fail;
    }
  if (!YAJL_IS_OBJECT (spec->tree))
    {
      mk_error_set (err, 0, "config.json: expected an object");
      goto fail;
    }
  if ((v = mk_json_get (spec->tree, "ociVersion")) == NULL)
    {
      mk_error_set (err, 0, "ociVersion: missing");
      goto fail;
    }
  if (mk_json_string (v, "ociVersion", &spec->oci_version, err) < 0)
    goto fail;
  if (strncmp (spec->oci_version, "1.", 2) != 0)
    {
      mk_error_set (err, 0, "ociVersion: `%s` is not a 1.x version", spec->oci_version);
      goto fail;
    }
  v = mk_json_get (spec->tree, "root");
  if (v == NULL || !YAJL_IS_OBJECT (v))
    {
      mk_error_set (err, 0, "root: expected an object with a path");
      goto fail;
    }
  if (mk_json_string (mk_json_get (v, "path"), "root.path", &root, err) < 0)
    goto fail;
  if (mk_json_get (v, "readonly")
      && mk_json_bool (mk_json_get (v, "readonly"), "root.readonly", &spec->root_readonly, err) < 0)
    goto fail;
  spec->root_path = root[0] == '/' ? xstrdup (root) : xasprintf ("%s/%s", bundle, root);
  if ((v = mk_json_get (spec->tree, "hostname"))
      && mk_json_string (v, "hostname", &spec->hostname, err) < 0)
    goto fail;
  if ((v = mk_json_get (spec->tree, "domainname"))
      && mk_json_string (v, "domainname", &spec->domainname, err) < 0)
    goto fail;
  if (parse_mounts (mk_json_get (spec->tree, "mounts"), spec, err) < 0)
    goto fail;
  if ((v = mk_json_get (spec->tree, "process"))
      && mk_spec_parse_process (v, "process", &spec->process, err) < 0)
    goto fail;
  if (parse_hooks (mk_json_get (spec->tree, "hooks"), spec, err) < 0)
    goto fail;
  if (parse_kv (mk_json_get (spec->tree, "annotations"), "annotations", &spec->annotations,
                &spec->n_annotations, err) < 0
      || parse_mkrun_annotations (spec, err) < 0)
    goto fail;
  if (parse_linux (mk_json_get (spec->tree, "linux"), spec, err) < 0)
    goto fail;
  *out = spec;
  return 0;
fail:
  mk_spec_free (spec);
  return -1;
}

int
mk_spec_load (const char *bundle, struct mk_spec **out, mk_error **err)
{
  char path[512];
      snprintf (path, sizeof (path), "%s/config.json", bundle);
  _cleanup_free_ char *json = NULL;

  if (mk_read_file_at (AT_FDCWD, path, &json, NULL, err) < 0)
    return -1;
  return mk_spec_parse (json, bundle, out, err);
}

void
mk_spec_free (struct mk_spec *spec)
{
  if (spec == NULL)
    return;
  free (spec->oci_version);
  free (spec->root_path);
  free (spec->hostname);
  free (spec->domainname);
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      struct mk_mount *m = &spec->mounts[i];
      free (m->destination);
      free (m->type);
      free (m->source);
      mk_strv_free (m->options);
      free (m->data);
      free (m->uid_mappings);
      free (m->gid_mappings);
    }
  free (spec->mounts);
  mk_process_free (spec->process);
  for (int k = 0; k < MK_HOOK_COUNT; k++)
    {
      for (size_t i = 0; i < spec->hooks[k].n; i++)
        {
          free (spec->hooks[k].list[i].path);
          mk_strv_free (spec->hooks[k].list[i].args);
          mk_strv_free (spec->hooks[k].list[i].env);
        }
      free (spec->hooks[k].list);
    }
  for (size_t i = 0; i < spec->n_annotations; i++)
    {
      free (spec->annotations[i].key);
      free (spec->annotations[i].value);
    }
  free (spec->annotations);
  for (size_t i = 0; i < spec->n_ext; i++)
    spec->ext[i].ext->free (spec->ext[i].data);
  free (spec->ext);
  for (size_t i = 0; i < spec->n_namespaces; i++)
    free (spec->namespaces[i].path);
  free (spec->namespaces);
  free (spec->uid_mappings);
  free (spec->gid_mappings);
  free (spec->time_offsets);
  for (size_t i = 0; i < spec->n_devices; i++)
    free (spec->devices[i].path);
  free (spec->devices);
  free (spec->cgroups_path);
  mk_resources_free (spec->resources);
  mk_strv_free (spec->masked_paths);
  mk_strv_free (spec->readonly_paths);
  for (size_t i = 0; i < spec->n_sysctl; i++)
    {
      free (spec->sysctl[i].key);
      free (spec->sysctl[i].value);
    }
  free (spec->sysctl);
  mk_seccomp_free (spec->seccomp);
  free (spec->mount_label);
  for (size_t i = 0; i < spec->n_net_devices; i++)
    {
      free (spec->net_devices[i].host_name);
      free (spec->net_devices[i].name);
    }
  free (spec->net_devices);
  if (spec->tree)
    yajl_tree_free (spec->tree);
  free (spec);
}

const struct mk_namespace *
mk_spec_namespace (const struct mk_spec *spec, int type)
{
  for (size_t i = 0; i < spec->n_namespaces; i++)
    if (spec->namespaces[i].type == type)
      return &spec->namespaces[i];
  return NULL;
}

const char *
mk_spec_annotation (const struct mk_spec *spec, const char *key)
{
  for (size_t i = 0; i < spec->n_annotations; i++)
    if (strcmp (spec->annotations[i].key, key) == 0)
      return spec->annotations[i].value;
  return NULL;
}

void *
mk_spec_ext (const struct mk_spec *spec, const struct mk_extension *ext)
{
  for (size_t i = 0; i < spec->n_ext; i++)
    if (spec->ext[i].ext == ext)
      return spec->ext[i].data;
  return NULL;
}

/* ---- `mkrun spec` ------------------------------------------------------ */

char *
mk_spec_default (bool rootless)
{
  static const char head[]
      = "{\n"
        "\t\"ociVersion\": \"" MK_OCI_VERSION "\",\n"
        "\t\"process\": {\n"
        "\t\t\"terminal\": true,\n"
        "\t\t\"user\": {\n\t\t\t\"uid\": 0,\n\t\t\t\"gid\": 0\n\t\t},\n"
        "\t\t\"args\": [\n\t\t\t\"sh\"\n\t\t],\n"
        "\t\t\"env\": [\n"
        "\t\t\t\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
        "\t\t\t\"TERM=xterm\"\n\t\t],\n"
        "\t\t\"cwd\": \"/\",\n"
        "\t\t\"capabilities\": {\n"
        "\t\t\t\"bounding\": [\n\t\t\t\t\"CAP_AUDIT_WRITE\",\n\t\t\t\t\"CAP_KILL\",\n"
        "\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n\t\t\t],\n"
        "\t\t\t\"effective\": [\n\t\t\t\t\"CAP_AUDIT_WRITE\",\n\t\t\t\t\"CAP_KILL\",\n"
        "\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n\t\t\t],\n"
        "\t\t\t\"permitted\": [\n\t\t\t\t\"CAP_AUDIT_WRITE\",\n\t\t\t\t\"CAP_KILL\",\n"
        "\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n\t\t\t]\n"
        "\t\t},\n"
        "\t\t\"rlimits\": [\n\t\t\t{\n\t\t\t\t\"type\": \"RLIMIT_NOFILE\",\n"
        "\t\t\t\t\"hard\": 1024,\n\t\t\t\t\"soft\": 1024\n\t\t\t}\n\t\t],\n"
        "\t\t\"noNewPrivileges\": true\n"
        "\t},\n"
        "\t\"root\": {\n\t\t\"path\": \"rootfs\",\n\t\t\"readonly\": true\n\t},\n"
        "\t\"hostname\": \"mkrun\",\n"
        "\t\"mounts\": [\n"
        "\t\t{\n\t\t\t\"destination\": \"/proc\",\n\t\t\t\"type\": \"proc\",\n"
        "\t\t\t\"source\": \"proc\"\n\t\t},\n"
        "\t\t{\n\t\t\t\"destination\": \"/dev\",\n\t\t\t\"type\": \"tmpfs\",\n"
        "\t\t\t\"source\": \"tmpfs\",\n\t\t\t\"options\": [\"nosuid\", \"strictatime\", "
        "\"mode=755\", \"size=65536k\"]\n\t\t},\n"
        "\t\t{\n\t\t\t\"destination\": \"/dev/pts\",\n\t\t\t\"type\": \"devpts\",\n"
        "\t\t\t\"source\": \"devpts\",\n\t\t\t\"options\": [\"nosuid\", \"noexec\", "
        "\"newinstance\", \"ptmxmode=0666\", \"mode=0620\"%s]\n\t\t},\n"
        "\t\t{\n\t\t\t\"destination\": \"/dev/shm\",\n\t\t\t\"type\": \"tmpfs\",\n"
        "\t\t\t\"source\": \"shm\",\n\t\t\t\"options\": [\"nosuid\", \"noexec\", \"nodev\", "
        "\"mode=1777\", \"size=65536k\"]\n\t\t},\n"
        "\t\t{\n\t\t\t\"destination\": \"/dev/mqueue\",\n\t\t\t\"type\": \"mqueue\",\n"
        "\t\t\t\"source\": \"mqueue\",\n\t\t\t\"options\": [\"nosuid\", \"noexec\", "
        "\"nodev\"]\n\t\t},\n"
        "%s"
        "\t\t{\n\t\t\t\"destination\": \"/sys/fs/cgroup\",\n\t\t\t\"type\": \"cgroup\",\n"
        "\t\t\t\"source\": \"cgroup\",\n\t\t\t\"options\": [\"nosuid\", \"noexec\", \"nodev\", "
        "\"relatime\", \"ro\"]\n\t\t}\n"
        "\t],\n"
        "\t\"linux\": {\n"
        "%s"
        "\t\t\"namespaces\": [\n"
        "\t\t\t{\n\t\t\t\t\"type\": \"pid\"\n\t\t\t},\n"
        "%s"
        "\t\t\t{\n\t\t\t\t\"type\": \"ipc\"\n\t\t\t},\n"
        "\t\t\t{\n\t\t\t\t\"type\": \"uts\"\n\t\t\t},\n"
        "\t\t\t{\n\t\t\t\t\"type\": \"mount\"\n\t\t\t}%s\n"
        "\t\t],\n"
        "\t\t\"maskedPaths\": [\n"
        "\t\t\t\"/proc/acpi\",\n\t\t\t\"/proc/asound\",\n\t\t\t\"/proc/kcore\",\n"
        "\t\t\t\"/proc/keys\",\n\t\t\t\"/proc/latency_stats\",\n\t\t\t\"/proc/timer_list\",\n"
        "\t\t\t\"/proc/timer_stats\",\n\t\t\t\"/proc/sched_debug\",\n\t\t\t\"/sys/firmware\",\n"
        "\t\t\t\"/proc/scsi\"\n\t\t],\n"
        "\t\t\"readonlyPaths\": [\n"
        "\t\t\t\"/proc/bus\",\n\t\t\t\"/proc/fs\",\n\t\t\t\"/proc/irq\",\n"
        "\t\t\t\"/proc/sys\",\n\t\t\t\"/proc/sysrq-trigger\"\n\t\t]\n"
        "\t}\n"
        "}\n";
  static const char sysfs_root[]
      = "\t\t{\n\t\t\t\"destination\": \"/sys\",\n\t\t\t\"type\": \"sysfs\",\n"
        "\t\t\t\"source\": \"sysfs\",\n\t\t\t\"options\": [\"nosuid\", \"noexec\", \"nodev\", "
        "\"ro\"]\n\t\t},\n";
  static const char sysfs_rootless[]
      = "\t\t{\n\t\t\t\"destination\": \"/sys\",\n\t\t\t\"type\": \"none\",\n"
        "\t\t\t\"source\": \"/sys\",\n\t\t\t\"options\": [\"rbind\", \"nosuid\", \"noexec\", "
        "\"nodev\", \"ro\"]\n\t\t},\n";
  static const char devices_root[]
      = "\t\t\"resources\": {\n\t\t\t\"devices\": [\n\t\t\t\t{\n"
        "\t\t\t\t\t\"allow\": false,\n\t\t\t\t\t\"access\": \"rwm\"\n\t\t\t\t}\n\t\t\t]\n"
        "\t\t},\n";
  char maps[512];

  if (!rootless)
    return xasprintf (head, ", \"gid=5\"", sysfs_root, devices_root,
                      "\t\t\t{\n\t\t\t\t\"type\": \"network\"\n\t\t\t},\n", "");
  snprintf (maps, sizeof (maps),
            "\t\t\"uidMappings\": [\n\t\t\t{\n\t\t\t\t\"containerID\": 0,\n"
            "\t\t\t\t\"hostID\": %u,\n\t\t\t\t\"size\": 1\n\t\t\t}\n\t\t],\n"
            "\t\t\"gidMappings\": [\n\t\t\t{\n\t\t\t\t\"containerID\": 0,\n"
            "\t\t\t\t\"hostID\": %u,\n\t\t\t\t\"size\": 1\n\t\t\t}\n\t\t],\n",
            (unsigned) getuid (), (unsigned) getgid ());
  return xasprintf (head, "", sysfs_rootless, maps, "",
                    ",\n\t\t\t{\n\t\t\t\t\"type\": \"user\"\n\t\t\t}");
}
