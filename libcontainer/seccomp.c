/* seccomp.c: linux.seccomp through libseccomp.  See seccomp.h.
 *
 * The whole filter is built at parse time, in the runtime, so that every
 * mistake in the profile is reported before anything is created.  The
 * container's init inherits the context through fork() and only loads it.  */
#include "config.h"

/* libseccomp's header has our header's name.  With libcontainer/ on the -I
   path (rather than -iquote) <seccomp.h> finds ours first; then reach the
   system's from its include directory.  */
#include <seccomp.h>
#ifndef SCMP_VER_MAJOR
#include <../include/seccomp.h>
#endif
#ifndef SCMP_VER_MAJOR
#error "libseccomp's <seccomp.h> not found: build with -iquote libcontainer"
#endif

#include "seccomp.h"
#include "spec.h"
#include "utils.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

/* The runtime-spec version of the "container process state" we send.  */
#define MK_SECCOMP_STATE_VERSION MK_OCI_VERSION

/* libseccomp 2.6 added SCMP_FLTATR_CTL_WAITKILL.  */
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#define MK_HAVE_WAITKILL 1
#endif

#define MK_SECCOMP_MAX_ARGS 6

struct mk_seccomp
{
  scmp_filter_ctx ctx;
  uint32_t default_action;
  int max_nr; /* the highest native syscall number the profile names, -1: none */
  bool notify;
  char *listener_path;
  char *listener_metadata;
};

static void
seccomp_freep (struct mk_seccomp **s)
{
  mk_seccomp_free (*s);
}
#define _cleanup_seccomp_ __attribute__ ((cleanup (seccomp_freep)))

static void
yajl_gen_freep (yajl_gen *g)
{
  if (*g)
    yajl_gen_free (*g);
}
#define _cleanup_yajl_gen_ __attribute__ ((cleanup (yajl_gen_freep)))

static void
yajl_tree_freep (yajl_val *v)
{
  if (*v)
    yajl_tree_free (*v);
}
#define _cleanup_yajl_tree_ __attribute__ ((cleanup (yajl_tree_freep)))

/* Tables.  */

struct action_name
{
  const char *name;
  uint32_t action; /* without the errno part */
  bool takes_errno;
};

static const struct action_name actions[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL, false },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0), true },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (0), true },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

static const char *const action_names[] = {
  "SCMP_ACT_KILL",        "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
  "SCMP_ACT_ERRNO",       "SCMP_ACT_TRACE",
  "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",
  "SCMP_ACT_NOTIFY",      NULL,
};

struct flag_name
{
  const char *name;
  bool supported;
  int attr; /* enum scmp_filter_attr, when supported */
};

static const struct flag_name flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", true, SCMP_FLTATR_CTL_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", true, SCMP_FLTATR_CTL_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", true, SCMP_FLTATR_CTL_SSB },
#ifdef MK_HAVE_WAITKILL
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", true, SCMP_FLTATR_CTL_WAITKILL },
#else
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", false, 0 },
#endif
};

static const char *const flag_names[] = {
  "SECCOMP_FILTER_FLAG_TSYNC",
  "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
#ifdef MK_HAVE_WAITKILL
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
#endif
  NULL,
};

/* Every SCMP_ARCH_* this libseccomp knows, as X (NAME).  */
#define MK_ARCHS_BASE(X)                                                                           \
  X (X86)                                                                                          \
  X (X86_64) X (X32) X (ARM) X (AARCH64) X (MIPS) X (MIPS64) X (MIPS64N32) X (MIPSEL) X (MIPSEL64) \
      X (MIPSEL64N32) X (PPC) X (PPC64) X (PPC64LE) X (S390) X (S390X) X (PARISC) X (PARISC64)     \
          X (RISCV64)
#ifdef SCMP_ARCH_LOONGARCH64
#define MK_ARCHS_LOONGARCH(X) X (LOONGARCH64)
#else
#define MK_ARCHS_LOONGARCH(X)
#endif
#ifdef SCMP_ARCH_M68K
#define MK_ARCHS_M68K(X) X (M68K)
#else
#define MK_ARCHS_M68K(X)
#endif
#ifdef SCMP_ARCH_SHEB
#define MK_ARCHS_SH(X) X (SH) X (SHEB)
#else
#define MK_ARCHS_SH(X)
#endif
#define MK_ARCHS(X) MK_ARCHS_BASE (X) MK_ARCHS_LOONGARCH (X) MK_ARCHS_M68K (X) MK_ARCHS_SH (X)

struct arch_name
{
  const char *name;
  uint32_t token;
};

#define MK_ARCH_ENTRY(a) { "SCMP_ARCH_" #a, SCMP_ARCH_##a },
static const struct arch_name archs[] = { MK_ARCHS (MK_ARCH_ENTRY) };
#undef MK_ARCH_ENTRY

#define MK_ARCH_NAME(a) "SCMP_ARCH_" #a,
static const char *const arch_names[] = { MK_ARCHS (MK_ARCH_NAME) NULL };
#undef MK_ARCH_NAME

struct op_name
{
  const char *name;
  enum scmp_compare op;
};

static const struct op_name ops[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* JSON helpers.  Every error names the field by its full path.  */

static yajl_val
get_field (yajl_val obj, const char *key)
{
  size_t i;

  for (i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      return obj->u.object.values[i];
  return NULL;
}

static int
get_string (yajl_val v, const char *path, const char **out, mk_error **err)
{
  if (!YAJL_IS_STRING (v))
    return mk_error_set (err, 0, "%s: expected a string", path);
  *out = v->u.string;
  return 0;
}

/* A non-negative integer no greater than MAX.  yajl keeps the number's text,
   which lets us read values above INT64_MAX (argument values are u64).  */
static int
get_uint (yajl_val v, const char *path, uint64_t max, uint64_t *out, mk_error **err)
{
  const char *s;
  char *end = NULL;
  unsigned long long n;

  if (!YAJL_IS_NUMBER (v))
    return mk_error_set (err, 0, "%s: expected an unsigned integer", path);
  s = YAJL_GET_NUMBER (v);
  if (s == NULL || *s == '-' || strpbrk (s, ".eE") != NULL)
    return mk_error_set (err, 0, "%s: expected an unsigned integer", path);
  errno = 0;
  n = strtoull (s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || n > max)
    return mk_error_set (err, 0, "%s: %s is out of range (0-%" PRIu64 ")", path, s, max);
  *out = n;
  return 0;
}

/* Fields.  */

/* Parses ACTION_V (an action name) and ERRNO_V (its errnoRet, may be NULL)
   into a libseccomp action.  */
static int
parse_action (yajl_val action_v, const char *action_path, yajl_val errno_v, const char *errno_path,
              uint32_t *out, mk_error **err)
{
  const struct action_name *a = NULL;
  const char *name = NULL;
  uint64_t errno_ret = EPERM;
  size_t i;

  if (get_string (action_v, action_path, &name, err) < 0)
    return -1;
  for (i = 0; i < MK_ARRAY_SIZE (actions); i++)
    if (strcmp (actions[i].name, name) == 0)
      a = &actions[i];
  if (a == NULL)
    return mk_error_set (err, 0, "%s: unknown action \"%s\"", action_path, name);

  if (errno_v != NULL)
    {
      if (!a->takes_errno)
        return mk_error_set (err, 0,
                             "%s: not valid with action %s (only with SCMP_ACT_ERRNO "
                             "and SCMP_ACT_TRACE)",
                             errno_path, name);
      if (get_uint (errno_v, errno_path, 0xffff, &errno_ret, err) < 0)
        return -1;
    }

  *out = a->takes_errno ? (a->action | (uint32_t)errno_ret) : a->action;
  return 0;
}

static int
parse_architectures (struct mk_seccomp *s, yajl_val v, const char *where, mk_error **err)
{
  size_t i, j;

  if (v == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (v))
    return mk_error_set (err, 0, "%s.architectures: expected an array of strings", where);
  for (i = 0; i < v->u.array.len; i++)
    {
      _cleanup_free_ char *path = xasprintf ("%s.architectures[%zu]", where, i);
      const struct arch_name *a = NULL;
      const char *name = NULL;
      int rc;

      if (get_string (v->u.array.values[i], path, &name, err) < 0)
        return -1;
      for (j = 0; j < MK_ARRAY_SIZE (archs); j++)
        if (strcmp (archs[j].name, name) == 0)
          a = &archs[j];
      if (a == NULL)
        return mk_error_set (err, 0, "%s: unknown architecture \"%s\"", path, name);
      rc = seccomp_arch_add (s->ctx, a->token);
      if (rc < 0 && rc != -EEXIST)
        return mk_error_set (err, -rc, "%s: add architecture %s", path, name);
    }
  return 0;
}

static int
parse_flags (struct mk_seccomp *s, yajl_val v, const char *where, mk_error **err)
{
  size_t i, j;

  if (v == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (v))
    return mk_error_set (err, 0, "%s.flags: expected an array of strings", where);
  for (i = 0; i < v->u.array.len; i++)
    {
      _cleanup_free_ char *path = xasprintf ("%s.flags[%zu]", where, i);
      const struct flag_name *f = NULL;
      const char *name = NULL;
      int rc;

      if (get_string (v->u.array.values[i], path, &name, err) < 0)
        return -1;
      for (j = 0; j < MK_ARRAY_SIZE (flags); j++)
        if (strcmp (flags[j].name, name) == 0)
          f = &flags[j];
      if (f == NULL)
        return mk_error_set (err, 0, "%s: unknown flag \"%s\"", path, name);
      if (!f->supported)
        return mk_error_set (err, EOPNOTSUPP,
                             "%s: %s needs libseccomp >= 2.6 (built with %d.%d.%d)", path, name,
                             SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
      rc = seccomp_attr_set (s->ctx, f->attr, 1);
      if (rc < 0)
        return mk_error_set (err, -rc, "%s: set %s", path, name);
    }
  return 0;
}

static int
parse_arg (yajl_val v, const char *path, struct scmp_arg_cmp *out, mk_error **err)
{
  _cleanup_free_ char *index_path = xasprintf ("%s.index", path);
  _cleanup_free_ char *value_path = xasprintf ("%s.value", path);
  _cleanup_free_ char *value_two_path = xasprintf ("%s.valueTwo", path);
  _cleanup_free_ char *op_path = xasprintf ("%s.op", path);
  uint64_t index, value, value_two = 0;
  yajl_val value_two_v;
  const char *op = NULL;
  size_t i;

  if (!YAJL_IS_OBJECT (v))
    return mk_error_set (err, 0, "%s: expected an object", path);
  if (get_field (v, "index") == NULL)
    return mk_error_set (err, 0, "%s: missing", index_path);
  if (get_uint (get_field (v, "index"), index_path, MK_SECCOMP_MAX_ARGS - 1, &index, err) < 0)
    return -1;
  if (get_field (v, "value") == NULL)
    return mk_error_set (err, 0, "%s: missing", value_path);
  if (get_uint (get_field (v, "value"), value_path, UINT64_MAX, &value, err) < 0)
    return -1;
  value_two_v = get_field (v, "valueTwo");
  if (value_two_v != NULL
      && get_uint (value_two_v, value_two_path, UINT64_MAX, &value_two, err) < 0)
    return -1;
  if (get_field (v, "op") == NULL)
    return mk_error_set (err, 0, "%s: missing", op_path);
  if (get_string (get_field (v, "op"), op_path, &op, err) < 0)
    return -1;

  memset (out, 0, sizeof (*out));
  for (i = 0; i < MK_ARRAY_SIZE (ops); i++)
    if (strcmp (ops[i].name, op) == 0)
      out->op = ops[i].op;
  if (out->op == 0)
    return mk_error_set (err, 0, "%s: unknown operator \"%s\"", op_path, op);
  out->arg = (unsigned int)index;
  out->datum_a = value;
  out->datum_b = value_two;
  return 0;
}

/* Adds the rule for one syscall.  libseccomp accepts one comparison per
   argument in a rule; when several conditions name the same argument, each
   becomes a rule of its own (what runc does).  */
static int
add_rule (struct mk_seccomp *s, uint32_t action, int nr, const struct scmp_arg_cmp *args,
          size_t n_args)
{
  bool split = false;
  size_t i, j;
  int rc;

  for (i = 0; i < n_args; i++)
    for (j = i + 1; j < n_args; j++)
      if (args[i].arg == args[j].arg)
        split = true;
  if (!split)
    return seccomp_rule_add_array (s->ctx, action, nr, n_args, n_args ? args : NULL);
  for (i = 0; i < n_args; i++)
    {
      rc = seccomp_rule_add_array (s->ctx, action, nr, 1, &args[i]);
      if (rc < 0)
        return rc;
    }
  return 0;
}

static int
parse_syscall (struct mk_seccomp *s, yajl_val v, const char *path, mk_error **err)
{
  _cleanup_free_ char *names_path = xasprintf ("%s.names", path);
  _cleanup_free_ char *action_path = xasprintf ("%s.action", path);
  _cleanup_free_ char *errno_path = xasprintf ("%s.errnoRet", path);
  _cleanup_free_ char *args_path = xasprintf ("%s.args", path);
  _cleanup_free_ struct scmp_arg_cmp *args = NULL;
  yajl_val names, args_v;
  size_t i, n_args = 0;
  uint32_t action;

  if (!YAJL_IS_OBJECT (v))
    return mk_error_set (err, 0, "%s: expected an object", path);

  names = get_field (v, "names");
  if (!YAJL_IS_ARRAY (names))
    return mk_error_set (err, 0, "%s: expected an array of strings", names_path);
  for (i = 0; i < names->u.array.len; i++)
    if (!YAJL_IS_STRING (names->u.array.values[i]))
      return mk_error_set (err, 0, "%s[%zu]: expected a string", names_path, i);

  if (get_field (v, "action") == NULL)
    return mk_error_set (err, 0, "%s: missing", action_path);
  if (parse_action (get_field (v, "action"), action_path, get_field (v, "errnoRet"), errno_path,
                    &action, err)
      < 0)
    return -1;

  args_v = get_field (v, "args");
  if (args_v != NULL && !YAJL_IS_NULL (args_v))
    {
      if (!YAJL_IS_ARRAY (args_v))
        return mk_error_set (err, 0, "%s: expected an array", args_path);
      n_args = args_v->u.array.len;
      args = xmalloc0 (sizeof (*args) * (n_args ? n_args : 1));
      for (i = 0; i < n_args; i++)
        {
          _cleanup_free_ char *arg_path = xasprintf ("%s[%zu]", args_path, i);
          if (parse_arg (args_v->u.array.values[i], arg_path, &args[i], err) < 0)
            return -1;
        }
    }

  /* Every name counts for the newest syscall the profile knows (see
     mk_seccomp_load), whatever its action.  */
  for (i = 0; i < names->u.array.len; i++)
    {
      int nr = seccomp_syscall_resolve_name (names->u.array.values[i]->u.string);
      if (nr != __NR_SCMP_ERROR && nr > s->max_nr)
        s->max_nr = nr;
    }
  /* libseccomp refuses a rule that repeats the default action; it would
     change nothing anyway.  */
  if (action == s->default_action)
    return 0;

  for (i = 0; i < names->u.array.len; i++)
    {
      const char *name = names->u.array.values[i]->u.string;
      int nr, rc;

      /* Profiles list syscalls newer than our libseccomp: skip those.  */
      nr = seccomp_syscall_resolve_name (name);
      if (nr == __NR_SCMP_ERROR)
        continue;
      /* The runtime writes to its sync pipe after the filter is loaded and
         before anyone listens to the notify fd: that would hang.  */
      if (action == SCMP_ACT_NOTIFY && strcmp (name, "write") == 0)
        return mk_error_set (
            err, 0, "%s[%zu]: SCMP_ACT_NOTIFY cannot be used for the write syscall", names_path, i);
      rc = add_rule (s, action, nr, args, n_args);
      if (rc < 0)
        return mk_error_set (err, -rc, "%s: add rule for \"%s\"", path, name);
    }
  if (action == SCMP_ACT_NOTIFY)
    s->notify = true;
  return 0;
}

static int
parse_syscalls (struct mk_seccomp *s, yajl_val v, const char *where, mk_error **err)
{
  size_t i;

  if (v == NULL || YAJL_IS_NULL (v))
    return 0;
  if (!YAJL_IS_ARRAY (v))
    return mk_error_set (err, 0, "%s.syscalls: expected an array", where);
  for (i = 0; i < v->u.array.len; i++)
    {
      _cleanup_free_ char *path = xasprintf ("%s.syscalls[%zu]", where, i);
      if (parse_syscall (s, v->u.array.values[i], path, err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_listener (struct mk_seccomp *s, yajl_val node, const char *where, mk_error **err)
{
  _cleanup_free_ char *path_path = xasprintf ("%s.listenerPath", where);
  _cleanup_free_ char *metadata_path = xasprintf ("%s.listenerMetadata", where);
  yajl_val v;
  const char *str = NULL;

  v = get_field (node, "listenerPath");
  if (v != NULL)
    {
      if (get_string (v, path_path, &str, err) < 0)
        return -1;
      if (*str != '\0')
        {
          if (strlen (str) >= sizeof (((struct sockaddr_un *)0)->sun_path))
            return mk_error_set (err, ENAMETOOLONG, "%s: \"%s\"", path_path, str);
          s->listener_path = xstrdup (str);
        }
    }
  v = get_field (node, "listenerMetadata");
  if (v != NULL)
    {
      if (get_string (v, metadata_path, &str, err) < 0)
        return -1;
      if (*str != '\0')
        s->listener_metadata = xstrdup (str);
    }
  return 0;
}

int
mk_seccomp_parse (yajl_val node, const char *where, struct mk_seccomp **out, mk_error **err)
{
  _cleanup_seccomp_ struct mk_seccomp *s = NULL;
  _cleanup_free_ char *action_path = xasprintf ("%s.defaultAction", where);
  _cleanup_free_ char *errno_path = xasprintf ("%s.defaultErrnoRet", where);
  int rc;

  if (!YAJL_IS_OBJECT (node))
    return mk_error_set (err, 0, "%s: expected an object", where);
  if (get_field (node, "defaultAction") == NULL)
    return mk_error_set (err, 0, "%s: missing", action_path);

  s = xmalloc0 (sizeof (*s));
  s->max_nr = -1;
  if (parse_action (get_field (node, "defaultAction"), action_path,
                    get_field (node, "defaultErrnoRet"), errno_path, &s->default_action, err)
      < 0)
    return -1;
  /* Every syscall would wait for a listener that the runtime cannot reach
     any more; runc refuses it too.  */
  if (s->default_action == SCMP_ACT_NOTIFY)
    return mk_error_set (err, 0, "%s: SCMP_ACT_NOTIFY cannot be the default action", action_path);

  s->ctx = seccomp_init (s->default_action);
  if (s->ctx == NULL)
    return mk_error_set (err, ENOMEM, "%s: create the seccomp filter", where);
  /* The runtime sets no_new_privs itself when process.noNewPrivileges asks.  */
  rc = seccomp_attr_set (s->ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (rc < 0)
    return mk_error_set (err, -rc, "%s: clear the no_new_privs attribute", where);
  /* Report the kernel's errno from seccomp_load, not -ECANCELED.  */
  seccomp_attr_set (s->ctx, SCMP_FLTATR_API_SYSRAWRC, 1);

  if (parse_architectures (s, get_field (node, "architectures"), where, err) < 0)
    return -1;
  if (parse_flags (s, get_field (node, "flags"), where, err) < 0)
    return -1;
  if (parse_listener (s, node, where, err) < 0)
    return -1;
  if (parse_syscalls (s, get_field (node, "syscalls"), where, err) < 0)
    return -1;
  if (s->notify && s->listener_path == NULL)
    return mk_error_set (err, 0, "%s.listenerPath: required when a rule uses SCMP_ACT_NOTIFY",
                         where);

  *out = steal_pointer (&s);
  return 0;
}

bool
mk_seccomp_has_notify (const struct mk_seccomp *s)
{
  return s != NULL && s->notify;
}

const char *
mk_seccomp_listener_path (const struct mk_seccomp *s)
{
  return s ? s->listener_path : NULL;
}

const char *
mk_seccomp_listener_metadata (const struct mk_seccomp *s)
{
  return s ? s->listener_metadata : NULL;
}

/* The flags libseccomp would load the filter with (the config's flags are
   its attributes), and a listener's when a rule notifies.  */
static unsigned int
load_flags (const struct mk_seccomp *s)
{
  static const struct
  {
    enum scmp_filter_attr attr;
    unsigned int flag;
  } map[] = {
    { SCMP_FLTATR_CTL_TSYNC, SECCOMP_FILTER_FLAG_TSYNC },
    { SCMP_FLTATR_CTL_LOG, SECCOMP_FILTER_FLAG_LOG },
    { SCMP_FLTATR_CTL_SSB, SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  };
  unsigned int flags = s->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
  for (size_t i = 0; i < MK_ARRAY_SIZE (map); i++)
    {
      uint32_t v = 0;
      if (seccomp_attr_get (s->ctx, map[i].attr, &v) == 0 && v)
        flags |= map[i].flag;
    }
  return flags;
}

/* A syscall newer than every syscall the profile names gets ENOSYS, not
   the default action, as runc does: a profile written before a syscall
   existed cannot mean to refuse it with EPERM, and ENOSYS is what makes a
   libc fall back (clone3 -> clone, faccessat2 -> faccessat).  libseccomp
   has no such action, so its program is exported and this test put in
   front, for the native architecture (not x32's numbers):

     ld [arch]; jeq NATIVE ? next : filter; ld [nr]; jge X32 ? filter : next;
     jgt MAX ? next : filter; ret ERRNO(ENOSYS); filter: libseccomp's program

   Where the default action allows (or only logs), there is nothing to do.
   Returns 0 with *PROG (malloc'd) and *LEN, or -1.  */
static int
build_program (const struct mk_seccomp *s, struct sock_filter **prog, unsigned short *len,
               mk_error **err)
{
  _cleanup_close_ int memfd = memfd_create ("seccomp-bpf", MFD_CLOEXEC);
  _cleanup_free_ char *bpf = NULL;
  size_t size = 0, head = 6;
  uint32_t native = seccomp_arch_native ();
  struct sock_filter *p;
  int rc;

  if (memfd < 0)
    return mk_error_set (err, errno, "seccomp: memfd for the filter");
  rc = seccomp_export_bpf (s->ctx, memfd);
  if (rc < 0)
    return mk_error_set (err, -rc, "seccomp: export the filter");
  {
    struct stat st;
    if (fstat (memfd, &st) < 0)
      return mk_error_set (err, errno, "seccomp: read the filter back");
    size = (size_t)st.st_size;
    bpf = xmalloc0 (size + 1);
    if (lseek (memfd, 0, SEEK_SET) < 0 || mk_read_all (memfd, bpf, size) != (ssize_t)size)
      return mk_error_set (err, errno, "seccomp: read the filter back");
  }
  if (size == 0 || size % sizeof (struct sock_filter) != 0
      || size / sizeof (struct sock_filter) + head > BPF_MAXINSNS)
    return mk_error_set (err, EINVAL, "seccomp: the filter has %zu bytes", size);
  p = xmalloc0 (size + head * sizeof (*p));
  p[0] = (struct sock_filter)BPF_STMT (BPF_LD | BPF_W | BPF_ABS,
                                       offsetof (struct seccomp_data, arch));
  p[1] = (struct sock_filter)BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, native, 0, 4);
  p[2]
      = (struct sock_filter)BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr));
  p[3] = (struct sock_filter)BPF_JUMP (BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 2, 0);
  p[4] = (struct sock_filter)BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, (uint32_t)s->max_nr, 0, 1);
  p[5] = (struct sock_filter)BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  memcpy (p + head, bpf, size);
  *prog = p;
  *len = (unsigned short)(head + size / sizeof (struct sock_filter));
  return 0;
}

/* The notify fd belongs to the caller; init passes it to the runtime and
   closes it.  */
int
mk_seccomp_load (struct mk_seccomp *s, int *notify_fd, mk_error **err)
{
  int rc, fd;

  *notify_fd = -1;
  if (s->max_nr >= 0 && s->default_action != SCMP_ACT_ALLOW && s->default_action != SCMP_ACT_LOG)
    {
      _cleanup_free_ struct sock_filter *prog = NULL;
      struct sock_fprog fprog;
      if (build_program (s, &prog, &fprog.len, err) < 0)
        return -1;
      fprog.filter = prog;
      fd = (int)syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, load_flags (s), &fprog);
      if (fd < 0)
        return mk_error_set (err, errno, "load the seccomp filter");
      if (s->notify)
        *notify_fd = fd;
      return 0;
    }
  rc = seccomp_load (s->ctx);
  if (rc < 0)
    return mk_error_set (err, -rc, "load the seccomp filter");
  if (!s->notify)
    return 0;
  fd = seccomp_notify_fd (s->ctx);
  if (fd < 0)
    return mk_error_set (err, fd < -1 ? -fd : EBADF, "get the seccomp notify fd");
  *notify_fd = fd;
  return 0;
}

/* The container process state.  */

static int
gen_tree (yajl_gen g, yajl_val v)
{
  size_t i;

  switch (v->type)
    {
    case yajl_t_string:
      return yajl_gen_string (g, (const unsigned char *)v->u.string, strlen (v->u.string));
    case yajl_t_number:
      return yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
    case yajl_t_object:
      if (yajl_gen_map_open (g) != yajl_gen_status_ok)
        return -1;
      for (i = 0; i < v->u.object.len; i++)
        {
          const char *k = v->u.object.keys[i];
          if (yajl_gen_string (g, (const unsigned char *)k, strlen (k)) != yajl_gen_status_ok
              || gen_tree (g, v->u.object.values[i]) != yajl_gen_status_ok)
            return -1;
        }
      return yajl_gen_map_close (g);
    case yajl_t_array:
      if (yajl_gen_array_open (g) != yajl_gen_status_ok)
        return -1;
      for (i = 0; i < v->u.array.len; i++)
        if (gen_tree (g, v->u.array.values[i]) != yajl_gen_status_ok)
          return -1;
      return yajl_gen_array_close (g);
    case yajl_t_true:
      return yajl_gen_bool (g, 1);
    case yajl_t_false:
      return yajl_gen_bool (g, 0);
    case yajl_t_null:
    default:
      return yajl_gen_null (g);
    }
}

static int
gen_key_string (yajl_gen g, const char *key, const char *value)
{
  if (yajl_gen_string (g, (const unsigned char *)key, strlen (key)) != yajl_gen_status_ok)
    return -1;
  return yajl_gen_string (g, (const unsigned char *)value, strlen (value));
}

/* Writes {"ociVersion", "fds", "pid", "metadata", "state"} into a new
   string.  */
static int
container_process_state (const struct mk_seccomp *s, pid_t pid, const char *state_json, char **out,
                         size_t *out_len, mk_error **err)
{
  _cleanup_yajl_gen_ yajl_gen g = NULL;
  _cleanup_yajl_tree_ yajl_val state = NULL;
  const unsigned char *buf;
  char errbuf[256] = "";
  size_t len = 0;
  bool ok;

  state = yajl_tree_parse (state_json, errbuf, sizeof (errbuf));
  if (!YAJL_IS_OBJECT (state))
    return mk_error_set (err, EINVAL, "container state is not a JSON object%s%s",
                         *errbuf ? ": " : "", errbuf);

  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return mk_error_set (err, ENOMEM, "allocate a JSON generator");
  ok = yajl_gen_map_open (g) == yajl_gen_status_ok
       && gen_key_string (g, "ociVersion", MK_SECCOMP_STATE_VERSION) == yajl_gen_status_ok
       && yajl_gen_string (g, (const unsigned char *)"fds", 3) == yajl_gen_status_ok
       && yajl_gen_array_open (g) == yajl_gen_status_ok
       && yajl_gen_string (g, (const unsigned char *)"seccompFd", 9) == yajl_gen_status_ok
       && yajl_gen_array_close (g) == yajl_gen_status_ok
       && yajl_gen_string (g, (const unsigned char *)"pid", 3) == yajl_gen_status_ok
       && yajl_gen_integer (g, pid) == yajl_gen_status_ok
       && (s->listener_metadata == NULL
           || gen_key_string (g, "metadata", s->listener_metadata) == yajl_gen_status_ok)
       && yajl_gen_string (g, (const unsigned char *)"state", 5) == yajl_gen_status_ok
       && gen_tree (g, state) == yajl_gen_status_ok && yajl_gen_map_close (g) == yajl_gen_status_ok
       && yajl_gen_get_buf (g, &buf, &len) == yajl_gen_status_ok;
  if (!ok)
    return mk_error_set (err, EINVAL, "write the container process state");
  *out = xmalloc0 (len + 1);
  memcpy (*out, buf, len);
  *out_len = len;
  return 0;
}

static int
send_listener (const struct mk_seccomp *s, int notify_fd, pid_t pid, const char *state_json,
               mk_error **err)
{
  _cleanup_free_ char *msg = NULL;
  _cleanup_close_ int sock = -1;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct msghdr mh = { 0 };
  struct cmsghdr *cmsg;
  struct iovec iov;
  size_t len = 0, sent = 0;
  ssize_t n;

  if (s == NULL || s->listener_path == NULL)
    return mk_error_set (err, EINVAL, "send the seccomp notify fd: no listenerPath");
  if (container_process_state (s, pid, state_json, &msg, &len, err) < 0)
    return mk_error_prefix (err, "send the seccomp notify fd to %s", s->listener_path);

  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return mk_error_set (err, errno, "create a socket for the seccomp listener");
  /* Length checked at parse time.  */
  strncpy (addr.sun_path, s->listener_path, sizeof (addr.sun_path) - 1);
  while (connect (sock, (struct sockaddr *)&addr, sizeof (addr)) < 0)
    if (errno != EINTR)
      return mk_error_set (err, errno, "failed to connect with seccomp agent at %s",
                           s->listener_path);

  memset (&control, 0, sizeof (control));
  iov.iov_base = msg;
  iov.iov_len = len;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control.buf;
  mh.msg_controllen = sizeof (control.buf);
  cmsg = CMSG_FIRSTHDR (&mh);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &notify_fd, sizeof (int));

  do
    n = sendmsg (sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return mk_error_set (err, errno, "send to the seccomp listener %s", s->listener_path);
  /* A stream socket may take less than the whole message.  */
  for (sent = n; sent < len; sent += n)
    {
      n = send (sock, msg + sent, len - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        {
          n = 0;
          continue;
        }
      if (n < 0)
        return mk_error_set (err, errno, "send to the seccomp listener %s", s->listener_path);
    }
  return 0;
}

void
mk_seccomp_free (struct mk_seccomp *s)
{
  if (s == NULL)
    return;
  if (s->ctx)
    seccomp_release (s->ctx);
  free (s->listener_path);
  free (s->listener_metadata);
  free (s);
}

/* For `features`.  */

const char *const *
mk_seccomp_known_actions (void)
{
  return action_names;
}

const char *const *
mk_seccomp_known_flags (void)
{
  return flag_names;
}

const char *const *
mk_seccomp_known_archs (void)
{
  return arch_names;
}

int
mk_seccomp_send_listener (const struct mk_seccomp *s, int notify_fd, pid_t pid,
                          const char *state_json, mk_error **err)
{
  int ret = send_listener (s, notify_fd, pid, state_json, err);
  close (notify_fd);
  return ret < 0 ? mk_error_prefix (err, "linux.seccomp.listenerPath") : 0;
}
