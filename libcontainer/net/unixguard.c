/* net/unixguard.c: see unixguard.h.  The two programs are built here as
 * instructions (no BPF compiler needed, as net/netfilter.c does), with the
 * kernel's struct offsets from its BTF (btf.c), and loaded and attached
 * through libbpf's low-level API.
 *
 *   r2 = peer (unix_stream_connect: arg 1, a struct sock *;
 *              unix_may_send: arg 1, a struct socket *, then ->sk)
 *   r6 = peer->sk_cgrp_data.cgroup->kn          the peer's cgroup
 *   16 times: if r6 == NULL: deny
 *             if r6->id is in the map: allow    a cgroup's id is its kn's id
 *             r6 = r6->parent                   the parent cgroup's kn
 *   deny
 *
 * Loads through these pointers are the verifier's checked BTF loads (a
 * NULL one reads 0).  */
#include "config.h"

#include "net/unixguard.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "extension.h"
#include "net/btf.h"
#include "net/netfilter.h"
#include "spec.h"
#include "state.h"
#include "utils.h"

#define DEPTH 16 /* ancestors of the peer's cgroup looked at */
#define MAX_PEERS 64

#define INSN(CODE, DST, SRC, OFF, IMM)                                                             \
  ((struct bpf_insn){                                                                              \
      .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM) })
#define LDX_DW(DST, SRC, OFF) INSN (BPF_LDX | BPF_MEM | BPF_DW, DST, SRC, OFF, 0)
#define STX_DW(DST, OFF, SRC) INSN (BPF_STX | BPF_MEM | BPF_DW, DST, SRC, OFF, 0)
#define MOV64_IMM(DST, IMM) INSN (BPF_ALU64 | BPF_MOV | BPF_K, DST, 0, 0, IMM)
#define MOV64_REG(DST, SRC) INSN (BPF_ALU64 | BPF_MOV | BPF_X, DST, SRC, 0, 0)
#define JEQ_IMM(DST, IMM) INSN (BPF_JMP | BPF_JEQ | BPF_K, DST, 0, 0, IMM) /* .off patched */
#define JNE_IMM(DST, IMM) INSN (BPF_JMP | BPF_JNE | BPF_K, DST, 0, 0, IMM)
#define EXIT() INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static const struct
{
  const char *hook; /* the LSM hook (bpf_lsm_HOOK in the BTF) */
  const char *name; /* the program's name */
  bool socket_arg;  /* its peer argument is a struct socket *, not a struct sock * */
} hooks[] = {
  { "unix_stream_connect", "mk_unix_connect", false },
  { "unix_may_send", "mk_unix_send", true },
};

/* Where the programs read, in this kernel.  */
struct offsets
{
  int16_t socket_sk;   /* struct socket: sk */
  int16_t sock_cgroup; /* struct sock: sk_cgrp_data.cgroup */
  int16_t cgroup_kn;   /* struct cgroup: kn */
  int16_t kn_id;       /* struct kernfs_node: id */
  int16_t kn_parent;   /* struct kernfs_node: __parent (Linux 6.15+) or parent */
};

/* What this kernel offers, found once per process (mk_unixguard_available):
   a host fact, like the cgroup layout.  */
static struct
{
  bool done;
  char *why_not;      /* NULL: the programs can be loaded */
  uint32_t btf_id[2]; /* per hook: bpf_lsm_HOOK */
  struct offsets o;
} facts;

/* ---- the annotation's value --------------------------------------------- */

static bool
valid_id (const char *id)
{
  if (id[0] == '\0' || strcmp (id, ".") == 0 || strcmp (id, "..") == 0 || strlen (id) > 1024)
    return false;
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
          || *p == '_' || *p == '-' || *p == '.' || *p == '+'))
      return false;
  return true;
}

/* Why ID is not a container id; NULL if it is.  */
static const char *
bad_id (const char *id)
{
  return valid_id (id) ? NULL : "not a container id";
}

/* Splits VALUE (ANNOTATION's) at commas into *OUT, blanks around items
   dropped, at most MAX_PEERS WHATs; BAD says why an item is refused.  */
static int
parse_list (const char *annotation, const char *what, const char *(*bad) (const char *),
            const char *value, char ***out, mk_error **err)
{
  _cleanup_free_ char *copy = xstrdup (value);
  _cleanup_strv_ char **v = xmalloc0 (sizeof (char *));
  size_t n = 0;
  char *p = copy;

  while (*p == ' ' || *p == '\t')
    p++;
  for (char *item = p, *next; *p && item; item = next)
    {
      char *end;
      const char *why;
      next = strchr (item, ',');
      if (next)
        *next++ = '\0';
      while (*item == ' ' || *item == '\t')
        item++;
      end = item + strlen (item);
      while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
      if (*item == '\0')
        return mk_error_set (err, 0, "%s: empty item in `%s`", annotation, value);
      if ((why = bad (item)) != NULL)
        return mk_error_set (err, 0, "%s: `%s`: %s", annotation, item, why);
      if (n == MAX_PEERS)
        return mk_error_set (err, 0, "%s: more than %d %s", annotation, MAX_PEERS, what);
      v = xrealloc (v, (n + 2) * sizeof (char *));
      v[n++] = xstrdup (item);
      v[n] = NULL;
    }
  *out = steal_pointer (&v);
  return 0;
}

int
mk_unixguard_parse (const char *value, char ***peers, mk_error **err)
{
  return parse_list (MK_UNIXGUARD_ANNOTATION, "containers", bad_id, value, peers, err);
}

/* ---- the programs ----------------------------------------------------------- */

static int
find_offsets (const struct mk_btf *btf, struct offsets *o, mk_error **err)
{
  static const struct
  {
    const char *type, *member, *alt;
    size_t size;
    size_t where;
  } want[] = {
    { "socket", "sk", NULL, 8, offsetof (struct offsets, socket_sk) },
    { "sock", "sk_cgrp_data", NULL, 0, offsetof (struct offsets, sock_cgroup) },
    { "cgroup", "kn", NULL, 8, offsetof (struct offsets, cgroup_kn) },
    { "kernfs_node", "id", NULL, 8, offsetof (struct offsets, kn_id) },
    { "kernfs_node", "__parent", "parent", 8, offsetof (struct offsets, kn_parent) },
  };
  size_t size;
  long off, inner;

  for (size_t i = 0; i < MK_ARRAY_SIZE (want); i++)
    {
      off = mk_btf_member (btf, want[i].type, want[i].member, &size);
      if (off < 0 && want[i].alt)
        off = mk_btf_member (btf, want[i].type, want[i].alt, &size);
      if (off < 0 || (want[i].size && size != want[i].size))
        return mk_error_set (err, 0, "this kernel's BTF has no usable struct %s.%s", want[i].type,
                             want[i].member);
      if (want[i].where == offsetof (struct offsets, sock_cgroup))
        {
          /* sk_cgrp_data is a struct sock_cgroup_data: its cgroup.  */
          inner = mk_btf_member (btf, "sock_cgroup_data", "cgroup", &size);
          if (inner < 0 || size != 8)
            return mk_error_set (err, 0,
                                 "this kernel's BTF has no usable struct "
                                 "sock_cgroup_data.cgroup");
          off += inner;
        }
      if (off > INT16_MAX - 8)
        return mk_error_set (err, 0, "this kernel's struct %s.%s is too far in", want[i].type,
                             want[i].member);
      *(int16_t *)((char *)o + want[i].where) = (int16_t)off;
    }
  return 0;
}

static void
emit (struct bpf_insn *prog, size_t *n, struct bpf_insn i)
{
  prog[(*n)++] = i;
}

/* The end of a program: deny (0) here, then allow (1), where the jumps at
   ALLOW[] go.  */
static void
emit_verdicts (struct bpf_insn *prog, size_t *n, const size_t *allow, size_t n_allow)
{
  emit (prog, n, MOV64_IMM (BPF_REG_0, 0));
  emit (prog, n, EXIT ());
  for (size_t i = 0; i < n_allow; i++)
    prog[allow[i]].off = (int16_t)(*n - allow[i] - 1);
  emit (prog, n, MOV64_IMM (BPF_REG_0, 1));
  emit (prog, n, EXIT ());
}

/* Builds the program into PROG (room for 16 + DEPTH * 10); returns its
   length.  */
static size_t
build_prog (bool socket_arg, const struct offsets *o, int map_fd, struct bpf_insn *prog)
{
  size_t n = 0, to_deny[DEPTH + 3], n_deny = 0, to_allow[DEPTH], n_allow = 0;

  emit (prog, &n, LDX_DW (BPF_REG_2, BPF_REG_1, 8)); /* the hook's argument 1 */
  if (socket_arg)
    {
      to_deny[n_deny++] = n;
      emit (prog, &n, JEQ_IMM (BPF_REG_2, 0));
      emit (prog, &n, LDX_DW (BPF_REG_2, BPF_REG_2, o->socket_sk));
    }
  to_deny[n_deny++] = n;
  emit (prog, &n, JEQ_IMM (BPF_REG_2, 0));
  emit (prog, &n, LDX_DW (BPF_REG_2, BPF_REG_2, o->sock_cgroup));
  to_deny[n_deny++] = n;
  emit (prog, &n, JEQ_IMM (BPF_REG_2, 0));
  emit (prog, &n, LDX_DW (BPF_REG_6, BPF_REG_2, o->cgroup_kn));
  for (int level = 0; level < DEPTH; level++)
    {
      to_deny[n_deny++] = n;
      emit (prog, &n, JEQ_IMM (BPF_REG_6, 0));
      emit (prog, &n, LDX_DW (BPF_REG_1, BPF_REG_6, o->kn_id));
      emit (prog, &n, STX_DW (BPF_REG_10, -8, BPF_REG_1));
      emit (prog, &n, INSN (BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd));
      emit (prog, &n, INSN (0, 0, 0, 0, 0));
      emit (prog, &n, MOV64_REG (BPF_REG_2, BPF_REG_10));
      emit (prog, &n, INSN (BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -8));
      emit (prog, &n, INSN (BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem));
      to_allow[n_allow++] = n;
      emit (prog, &n, JNE_IMM (BPF_REG_0, 0));
      emit (prog, &n, LDX_DW (BPF_REG_6, BPF_REG_6, o->kn_parent));
    }
  for (size_t i = 0; i < n_deny; i++)
    prog[to_deny[i]].off = (int16_t)(n - to_deny[i] - 1);
  emit_verdicts (prog, &n, to_allow, n_allow);
  return n;
}

static int
load_and_attach (size_t h, int map_fd, int cgroup_fd, mk_error **err)
{
  struct bpf_insn prog[16 + DEPTH * 10];
  size_t count = build_prog (hooks[h].socket_arg, &facts.o, map_fd, prog);
  _cleanup_close_ int prog_fd = -1;
  char log[4096] = "";
  LIBBPF_OPTS (bpf_prog_load_opts, opts, .expected_attach_type = BPF_LSM_CGROUP,
               .attach_btf_id = facts.btf_id[h], .log_buf = log, .log_size = sizeof (log));

  /* The kernel takes LSM programs only under a GPL-compatible license.  */
  prog_fd = bpf_prog_load (BPF_PROG_TYPE_LSM, hooks[h].name, "GPL", prog, count, &opts);
  if (prog_fd < 0)
    {
      int e = errno;
      const char *reason = mk_bpf_verifier_reason (log);
      if (reason)
        return mk_error_set (err, e, "%s: load the %s BPF program (%s)", MK_UNIXGUARD_ANNOTATION,
                             hooks[h].hook, reason);
      return mk_error_set (err, e, "%s: load the %s BPF program", MK_UNIXGUARD_ANNOTATION,
                           hooks[h].hook);
    }
  if (bpf_prog_attach (prog_fd, cgroup_fd, BPF_LSM_CGROUP, BPF_F_ALLOW_MULTI) < 0)
    return mk_error_set (err, errno, "%s: attach the %s BPF program to the cgroup",
                         MK_UNIXGUARD_ANNOTATION, hooks[h].hook);
  return 0;
}

/* ---- can this kernel enforce it? ------------------------------------------ */

#define LSM_FILE "/sys/kernel/security/lsm"

/* The active LSMs ("lockdown,capability,bpf"), from securityfs; where it
   is not mounted, a child mounts it in a mount namespace of its own (root
   only).  NULL if neither works.  */
static char *
active_lsms (void)
{
  char buf[512];
  ssize_t n = 0;
  int p[2], status;
  char *s = NULL;
  pid_t pid;

  if (mk_read_file_at (AT_FDCWD, LSM_FILE, &s, NULL, NULL) == 0)
    return s;
  if (pipe2 (p, O_CLOEXEC) < 0)
    return NULL;
  pid = fork ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return NULL;
    }
  if (pid == 0)
    {
      int fd;
      close (p[0]);
      if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
          || mount ("securityfs", "/sys/kernel/security", "securityfs",
                    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)
                 < 0
          || (fd = open (LSM_FILE, O_RDONLY | O_CLOEXEC)) < 0)
        _exit (1);
      while ((n = read (fd, buf, sizeof (buf))) > 0)
        if (write (p[1], buf, (size_t)n) != n)
          _exit (1);
      _exit (n < 0);
    }
  close (p[1]);
  n = mk_read_all (p[0], buf, sizeof (buf) - 1);
  close (p[0]);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (n <= 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return NULL;
  buf[n] = '\0';
  return xstrdup (buf);
}

static bool
has_item (const char *list, const char *item)
{
  size_t len = strlen (item);
  for (const char *p = list; p && *p; p += strcspn (p, ","), p += *p == ',')
    if (strncmp (p, item, len) == 0 && (p[len] == ',' || p[len] == '\0' || p[len] == '\n'))
      return true;
  return false;
}

/* E's message (if any) becomes *WHY_NOT.  */
static void
keep_why (mk_error *e, char **why_not)
{
  if (e)
    {
      *why_not = e->msg;
      e->msg = NULL;
      mk_error_free (e);
    }
}

/* Runs FIND (which may set *WHY_NOT) the first time; then whether *WHY_NOT
   is NULL, and, if not and WHY is not NULL, a copy of it in *WHY.  */
static bool
probed (bool *done, void (*find) (void), char *const *why_not, char **why)
{
  if (!*done)
    {
      find ();
      *done = true;
    }
  if (*why_not && why)
    *why = xstrdup (*why_not);
  return *why_not == NULL;
}

/* A program that allows everything, loaded (not attached) at hook 0: some
   kernels list the BPF LSM as active and still refuse its programs.  */
static int
probe_load (mk_error **err)
{
  const struct bpf_insn prog[] = { MOV64_IMM (BPF_REG_0, 1), EXIT () };
  LIBBPF_OPTS (bpf_prog_load_opts, opts, .expected_attach_type = BPF_LSM_CGROUP,
               .attach_btf_id = facts.btf_id[0]);
  int fd = bpf_prog_load (BPF_PROG_TYPE_LSM, "mk_unix_probe", "GPL", prog, MK_ARRAY_SIZE (prog),
                          &opts);
  if (fd < 0)
    return mk_error_set (err, errno, "this kernel refuses to load BPF LSM programs");
  close (fd);
  return 0;
}

static void
find_facts (void)
{
  _cleanup_free_ char *lsms = NULL;
  struct mk_btf *btf = NULL;
  mk_error *e = NULL;
  struct utsname u;
  int major = 0, minor = 0;

  if (getenv (MK_UNIXGUARD_TEST_ENV))
    {
      facts.why_not = xasprintf ("the BPF LSM is not active (%s is set)", MK_UNIXGUARD_TEST_ENV);
      return;
    }
  if (uname (&u) < 0 || sscanf (u.release, "%d.%d", &major, &minor) != 2 || major < 6)
    {
      facts.why_not = xasprintf ("needs Linux 6.0 or later for cgroup BPF LSM programs (this "
                                 "is %s)",
                                 u.release);
      return;
    }
  if ((lsms = active_lsms ()) == NULL)
    {
      facts.why_not
          = xasprintf ("cannot tell whether the BPF LSM is active (%s is unreadable)", LSM_FILE);
      return;
    }
  lsms[strcspn (lsms, "\n")] = '\0';
  if (!has_item (lsms, "bpf"))
    {
      facts.why_not
          = xasprintf ("the BPF LSM is not active (active LSMs: %s): boot with lsm=%s%sbpf", lsms,
                       lsms, *lsms ? "," : "");
      return;
    }
  if (mk_btf_open_vmlinux (&btf, &e) == 0 && find_offsets (btf, &facts.o, &e) == 0)
    for (size_t h = 0; h < MK_ARRAY_SIZE (hooks) && e == NULL; h++)
      {
        _cleanup_free_ char *func = xasprintf ("bpf_lsm_%s", hooks[h].hook);
        facts.btf_id[h] = mk_btf_find (btf, func, BTF_KIND_FUNC);
        if (facts.btf_id[h] == 0)
          mk_error_set (&e, 0, "this kernel has no BPF LSM hook %s", hooks[h].hook);
      }
  mk_btf_free (btf);
  if (e == NULL)
    probe_load (&e);
  keep_why (e, &facts.why_not);
}

bool
mk_unixguard_available (char **why)
{
  return probed (&facts.done, find_facts, &facts.why_not, why);
}

/* ---- attaching ------------------------------------------------------------- */

/* The id of the cgroup v2 directory FD (the kernfs node id, which is also
   its file handle).  */
static int
cgroup_id (int fd, uint64_t *id)
{
  union
  {
    struct file_handle fh;
    char buf[sizeof (struct file_handle) + sizeof (uint64_t)];
  } h = { .fh.handle_bytes = sizeof (uint64_t) };
  int mount_id;

  if (name_to_handle_at (fd, "", &h.fh, &mount_id, AT_EMPTY_PATH) < 0)
    return -1;
  if (h.fh.handle_bytes != sizeof (uint64_t))
    {
      errno = EOVERFLOW;
      return -1;
    }
  memcpy (id, h.fh.f_handle, sizeof (*id));
  return 0;
}

/* The cgroup id of container ID under ROOT: false if it has none now.
   state.json is replaced by rename, so it is read without taking the
   container's lock (two creates naming each other must not wait on each
   other).  */
static bool
peer_cgroup_id (const char *root, const char *id, uint64_t *cg_id)
{
  _cleanup_free_ char *dir = xasprintf ("%s/%s", root, id);
  _cleanup_close_ int dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct mk_state *st = NULL;
  struct mk_cgroup *cg = NULL;
  bool found = false;

  if (dirfd < 0 || mk_state_read (dirfd, id, &st, NULL) < 0)
    return false;
  if (st->cgroup_path && *st->cgroup_path && mk_cgroup_load (st->cgroup_path, &cg, NULL) == 0)
    {
      found = mk_cgroup_clone_fd (cg) >= 0 && cgroup_id (mk_cgroup_clone_fd (cg), cg_id) == 0;
      mk_cgroup_free (cg);
    }
  mk_state_free (st);
  return found;
}

int
mk_unixguard_attach (int cgroup_fd, const char *root, char *const *peers, mk_error **err)
{
  _cleanup_close_ int map_fd = -1;
  _cleanup_free_ char *why = NULL;
  const uint8_t allow = 1;
  uint64_t id;
  size_t n = mk_strv_len (peers);
  LIBBPF_OPTS (bpf_map_create_opts, opts, .map_flags = BPF_F_RDONLY_PROG);

  if (!mk_unixguard_available (&why))
    return mk_error_set (err, 0, "%s: cannot be enforced here: %s", MK_UNIXGUARD_ANNOTATION, why);
  if (cgroup_fd < 0)
    return mk_error_set (err, 0, "%s: needs a cgroup v2 hierarchy (none mounted)",
                         MK_UNIXGUARD_ANNOTATION);
  map_fd = bpf_map_create (BPF_MAP_TYPE_HASH, "mk_unixallow", sizeof (uint64_t), sizeof (allow),
                           n + 1, &opts);
  if (map_fd < 0)
    return mk_error_set (err, errno, "%s: create the BPF map", MK_UNIXGUARD_ANNOTATION);
  if (cgroup_id (cgroup_fd, &id) < 0)
    return mk_error_set (err, errno, "%s: the cgroup's id", MK_UNIXGUARD_ANNOTATION);
  if (bpf_map_update_elem (map_fd, &id, &allow, BPF_ANY) < 0)
    return mk_error_set (err, errno, "%s: fill the BPF map", MK_UNIXGUARD_ANNOTATION);
  for (size_t i = 0; i < n; i++)
    if (peer_cgroup_id (root, peers[i], &id)
        && bpf_map_update_elem (map_fd, &id, &allow, BPF_ANY) < 0)
      return mk_error_set (err, errno, "%s: fill the BPF map", MK_UNIXGUARD_ANNOTATION);
  /* The list is fixed for the container's life.  */
  if (bpf_map_freeze (map_fd) < 0)
    return mk_error_set (err, errno, "%s: freeze the BPF map", MK_UNIXGUARD_ANNOTATION);
  for (size_t h = 0; h < MK_ARRAY_SIZE (hooks); h++)
    if (load_and_attach (h, map_fd, cgroup_fd, err) < 0)
      return -1;
  return 0;
}

/* ---- org.mkrun.network.unix.connect: by address ------------------------- */

/* The attach types (Linux 6.7; not in older uapi headers).  */
#define ATTACH_UNIX_CONNECT 49
#define ATTACH_UNIX_SENDMSG 50
#define SUN_PATH_OFF 2 /* offsetof (struct sockaddr_un, sun_path) */
#define SUN_PATH_MAX 108
#define JLE_IMM(DST, IMM) INSN (BPF_JMP | BPF_JLE | BPF_K, DST, 0, 0, IMM)
#define JLT_IMM(DST, IMM) INSN (BPF_JMP | BPF_JLT | BPF_K, DST, 0, 0, IMM)
#define JA() INSN (BPF_JMP | BPF_JA, 0, 0, 0, 0)
#define LDX_B(DST, SRC, OFF) INSN (BPF_LDX | BPF_MEM | BPF_B, DST, SRC, OFF, 0)
#define LDX_W(DST, SRC, OFF) INSN (BPF_LDX | BPF_MEM | BPF_W, DST, SRC, OFF, 0)
#define KFUNC(ID) INSN (BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, ID)

static const struct
{
  int attach;       /* its attach type */
  const char *name; /* the program's name */
} addr_hooks[] = {
  { ATTACH_UNIX_CONNECT, "mk_unix_conn_to" },
  { ATTACH_UNIX_SENDMSG, "mk_unix_send_to" },
};

static struct
{
  bool done;
  char *why_not;
  uint32_t cast_to_kern_ctx, rdonly_cast, sockaddr_un; /* BTF ids */
  int16_t uaddr, uaddrlen;                             /* struct bpf_sock_addr_kern */
} afacts;

/* Why PATH is not a socket path the programs can compare; NULL if it is.  */
static const char *
bad_path (const char *path)
{
  if (path[0] != '/')
    return "not an absolute path";
  if (strlen (path) >= SUN_PATH_MAX)
    return "longer than a unix socket address (107 bytes)";
  return NULL;
}

int
mk_unixguard_paths_parse (const char *value, char ***paths, mk_error **err)
{
  return parse_list (MK_UNIXGUARD_PATHS_ANNOTATION, "paths", bad_path, value, paths, err);
}

/* The program: allows (1) an address of at most 2 bytes (none), an
   abstract one if ABSTRACT_OK, and a pathname that is exactly one of
   PATHS (as the kernel reads sun_path: up to its first NUL or the address'
   length); else denies (0: EPERM).  Returns its length; *PROG is malloc'ed.

     r0 = bpf_cast_to_kern_ctx (ctx)
     r7 = r0->uaddr; r8 = r0->uaddrlen
     if r8 <= 2: allow
     r9 = bpf_rdonly_cast (r7, struct sockaddr_un)
     if r9->sun_path[0] == 0: abstract
     per path P (length L): if r8 < 2 + L: next
                            each byte: if r9->sun_path[i] != P[i]: next
                            if r8 == 2 + L: allow
                            if r9->sun_path[L] == 0: allow
                     next:
     deny  */
static size_t
build_addr_prog (char *const *paths, bool abstract_ok, struct bpf_insn **out)
{
  size_t cap = 32, n = 0, max_jumps = 8;
  for (char *const *p = paths; p && *p; p++)
    {
      cap += 2 * strlen (*p) + 8;
      max_jumps += strlen (*p) + 4;
    }
  struct bpf_insn *prog = xmalloc0 (cap * sizeof (*prog));
  _cleanup_free_ size_t *to_allow = xmalloc0 (max_jumps * sizeof (size_t));
  _cleanup_free_ size_t *to_next = xmalloc0 (max_jumps * sizeof (size_t));
  size_t n_allow = 0, abstract;

  emit (prog, &n, KFUNC (afacts.cast_to_kern_ctx));
  emit (prog, &n, LDX_DW (BPF_REG_7, BPF_REG_0, afacts.uaddr));
  emit (prog, &n, LDX_W (BPF_REG_8, BPF_REG_0, afacts.uaddrlen));
  to_allow[n_allow++] = n;
  emit (prog, &n, JLE_IMM (BPF_REG_8, SUN_PATH_OFF));
  emit (prog, &n, MOV64_REG (BPF_REG_1, BPF_REG_7));
  emit (prog, &n, MOV64_IMM (BPF_REG_2, (int32_t)afacts.sockaddr_un));
  emit (prog, &n, KFUNC (afacts.rdonly_cast));
  emit (prog, &n, MOV64_REG (BPF_REG_9, BPF_REG_0));
  emit (prog, &n, LDX_B (BPF_REG_3, BPF_REG_9, SUN_PATH_OFF));
  abstract = n;
  emit (prog, &n, JEQ_IMM (BPF_REG_3, 0));
  for (char *const *p = paths; p && *p; p++)
    {
      size_t len = strlen (*p), n_next = 0;
      to_next[n_next++] = n;
      emit (prog, &n, JLT_IMM (BPF_REG_8, (int32_t)(SUN_PATH_OFF + len)));
      for (size_t i = 0; i < len; i++)
        {
          emit (prog, &n, LDX_B (BPF_REG_3, BPF_REG_9, (int16_t)(SUN_PATH_OFF + i)));
          to_next[n_next++] = n;
          emit (prog, &n, JNE_IMM (BPF_REG_3, (unsigned char)(*p)[i]));
        }
      to_allow[n_allow++] = n;
      emit (prog, &n, JEQ_IMM (BPF_REG_8, (int32_t)(SUN_PATH_OFF + len)));
      emit (prog, &n, LDX_B (BPF_REG_3, BPF_REG_9, (int16_t)(SUN_PATH_OFF + len)));
      to_allow[n_allow++] = n;
      emit (prog, &n, JEQ_IMM (BPF_REG_3, 0));
      for (size_t i = 0; i < n_next; i++)
        prog[to_next[i]].off = (int16_t)(n - to_next[i] - 1);
    }
  if (abstract_ok)
    to_allow[n_allow++] = abstract;
  else
    prog[abstract].off = (int16_t)(n - abstract - 1);
  emit_verdicts (prog, &n, to_allow, n_allow);
  *out = prog;
  return n;
}

/* Loads the program for addr_hooks[H]; its fd, or -1 with *ERR set.  */
static int
load_addr_prog (size_t h, char *const *paths, bool abstract_ok, mk_error **err)
{
  _cleanup_free_ struct bpf_insn *prog = NULL;
  size_t count = build_addr_prog (paths, abstract_ok, &prog);
  char log[4096] = "";
  LIBBPF_OPTS (bpf_prog_load_opts, opts, .expected_attach_type = addr_hooks[h].attach,
               .log_buf = log, .log_size = sizeof (log));
  int fd = bpf_prog_load (BPF_PROG_TYPE_CGROUP_SOCK_ADDR, addr_hooks[h].name, "GPL", prog, count,
                          &opts);
  if (fd < 0)
    {
      int e = errno;
      const char *reason = mk_bpf_verifier_reason (log);
      if (reason)
        return mk_error_set (err, e, "load the unix %s BPF program (%s)",
                             h == 0 ? "connect" : "sendmsg", reason);
      return mk_error_set (err, e, "load the unix %s BPF program", h == 0 ? "connect" : "sendmsg");
    }
  return fd;
}

static void
find_addr_facts (void)
{
  struct mk_btf *btf = NULL;
  mk_error *e = NULL;
  struct utsname u;
  int major = 0, minor = 0;
  size_t size;
  long uaddr, uaddrlen;

  if (getenv (MK_UNIXGUARD_TEST_NO_ADDR_ENV))
    {
      afacts.why_not = xasprintf ("no cgroup unix socket address hooks (%s is set)",
                                  MK_UNIXGUARD_TEST_NO_ADDR_ENV);
      return;
    }
  if (uname (&u) < 0 || sscanf (u.release, "%d.%d", &major, &minor) != 2
      || major * 1000 + minor < 6007)
    {
      afacts.why_not = xasprintf ("needs Linux 6.7 or later for cgroup BPF programs on unix "
                                  "socket addresses (this is %s)",
                                  u.release);
      return;
    }
  if (mk_btf_open_vmlinux (&btf, &e) == 0)
    {
      afacts.cast_to_kern_ctx = mk_btf_find (btf, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC);
      afacts.rdonly_cast = mk_btf_find (btf, "bpf_rdonly_cast", BTF_KIND_FUNC);
      afacts.sockaddr_un = mk_btf_find (btf, "sockaddr_un", BTF_KIND_STRUCT);
      uaddr = mk_btf_member (btf, "bpf_sock_addr_kern", "uaddr", &size);
      if (size != 8)
        uaddr = -1;
      uaddrlen = mk_btf_member (btf, "bpf_sock_addr_kern", "uaddrlen", &size);
      if (size != 4)
        uaddrlen = -1;
      if (!afacts.cast_to_kern_ctx || !afacts.rdonly_cast || !afacts.sockaddr_un || uaddr < 0
          || uaddrlen < 0 || uaddr > 4096 || uaddrlen > 4096)
        mk_error_set (&e, 0,
                      "this kernel's BTF lacks what the unix socket address programs "
                      "read (bpf_cast_to_kern_ctx, bpf_rdonly_cast, "
                      "bpf_sock_addr_kern.uaddrlen)");
      afacts.uaddr = (int16_t)uaddr;
      afacts.uaddrlen = (int16_t)uaddrlen;
    }
  mk_btf_free (btf);
  /* Both programs load (the verifier takes the kfuncs, the hooks exist).  */
  for (size_t h = 0; h < MK_ARRAY_SIZE (addr_hooks) && e == NULL; h++)
    {
      char *const one[] = { (char *)"/", NULL };
      int fd = load_addr_prog (h, one, false, &e);
      if (fd >= 0)
        close (fd);
    }
  keep_why (e, &afacts.why_not);
}

bool
mk_unixguard_paths_available (char **why)
{
  return probed (&afacts.done, find_addr_facts, &afacts.why_not, why);
}

int
mk_unixguard_paths_attach (int cgroup_fd, char *const *paths, bool abstract_ok, mk_error **err)
{
  _cleanup_free_ char *why = NULL;

  if (!mk_unixguard_paths_available (&why))
    return mk_error_set (err, 0, "%s: cannot be enforced here: %s", MK_UNIXGUARD_PATHS_ANNOTATION,
                         why);
  if (cgroup_fd < 0)
    return mk_error_set (err, 0, "%s: needs a cgroup v2 hierarchy (none mounted)",
                         MK_UNIXGUARD_PATHS_ANNOTATION);
  for (size_t h = 0; h < MK_ARRAY_SIZE (addr_hooks); h++)
    {
      mk_error *e = NULL;
      _cleanup_close_ int fd = load_addr_prog (h, paths, abstract_ok, &e);
      if (fd < 0)
        {
          mk_error_set (err, 0, "%s: %s", MK_UNIXGUARD_PATHS_ANNOTATION, e->msg);
          mk_error_free (e);
          return -1;
        }
      if (bpf_prog_attach (fd, cgroup_fd, addr_hooks[h].attach, BPF_F_ALLOW_MULTI) < 0)
        return mk_error_set (err, errno, "%s: attach the unix %s BPF program to the cgroup",
                             MK_UNIXGUARD_PATHS_ANNOTATION, h == 0 ? "connect" : "sendmsg");
    }
  return 0;
}

/* ---- the extension (extension.h): both annotations ------------------------------ */

struct guard
{
  char **peers; /* org.mkrun.network.unix, NULL if absent */
  char **paths; /* org.mkrun.network.unix.connect, NULL if absent */
};

static void
guard_free (void *data)
{
  struct guard *g = data;
  mk_strv_free (g->peers);
  mk_strv_free (g->paths);
  free (g);
}

static int
guard_parse (const struct mk_spec *spec, void **data, mk_error **err)
{
  const char *peers = mk_spec_annotation (spec, MK_UNIXGUARD_ANNOTATION);
  const char *paths = mk_spec_annotation (spec, MK_UNIXGUARD_PATHS_ANNOTATION);
  struct guard *g;
  if (peers == NULL && paths == NULL)
    return 0;
  g = xmalloc0 (sizeof (*g));
  if ((peers && mk_unixguard_parse (peers, &g->peers, err) < 0)
      || (paths && mk_unixguard_paths_parse (paths, &g->paths, err) < 0))
    {
      guard_free (g);
      return -1;
    }
  *data = g;
  return 0;
}

static int
guard_check (const struct mk_ext_ctx *x, void *data, mk_error **err)
{
  const struct guard *g = data;
  _cleanup_free_ char *why = NULL;
  if (g->peers && !mk_unixguard_available (&why))
    return mk_error_set (err, 0, "%s: cannot be enforced here: %s", MK_UNIXGUARD_ANNOTATION, why);
  if (g->paths && !mk_unixguard_paths_available (&why))
    return mk_error_set (err, 0, "%s: cannot be enforced here: %s", MK_UNIXGUARD_PATHS_ANNOTATION,
                         why);
  return 0;
}

static int
guard_attach (const struct mk_ext_ctx *x, void *data, mk_error **err)
{
  const struct guard *g = data;
  int fd = mk_cgroup_clone_fd (x->cg);
  if (g->peers && mk_unixguard_attach (fd, x->root, g->peers, err) < 0)
    return -1;
  if (g->paths)
    {
      /* Abstract names: only in a network namespace of its own.  */
      const struct mk_namespace *net = mk_spec_namespace (x->spec, CLONE_NEWNET);
      if (mk_unixguard_paths_attach (fd, g->paths, net && !net->path, err) < 0)
        return -1;
    }
  return 0;
}

static void
gen_enabled (yajl_gen g, const char *annotation, bool enabled)
{
  _cleanup_free_ char *key = xasprintf ("%s.enabled", annotation);
  mk_json_gen_kv (g, key, enabled ? "true" : "false");
}

/* Only where the kernel can enforce them.  */
static void
guard_features (yajl_gen g)
{
  gen_enabled (g, MK_UNIXGUARD_ANNOTATION, mk_unixguard_available (NULL));
  gen_enabled (g, MK_UNIXGUARD_PATHS_ANNOTATION, mk_unixguard_paths_available (NULL));
}

const struct mk_extension mk_ext_unixguard = {
  .name = "network.unix",
  .parse = guard_parse,
  .free = guard_free,
  .prepare = guard_check,
  .cgroup = guard_attach,
  .features = guard_features,
};
