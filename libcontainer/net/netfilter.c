/* net/netfilter.c: see netfilter.h.  The programs are a few dozen
 * instructions built here (no BPF compiler needed), loaded and attached
 * through libbpf's low-level API.  Each builds a map key on its stack from
 * the destination, looks it up, then looks up the same address with port 0
 * (an entry for any port): found means allow (1), else deny (0: EPERM).  */
#include "config.h"

#include "net/netfilter.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "cgroups/cgroup.h"
#include "extension.h"
#include "spec.h"
#include "utils.h"

/* The map key, as the programs build it at r10-24; no padding.  The port
   is the u32 of bpf_sock_addr.user_port: the network-order port zero
   extended, i.e. htons(port) as a number.  */
struct key
{
  uint32_t family;
  uint8_t addr[16];
  uint32_t port;
};

#define KEY_OFF (-(int16_t)sizeof (struct key))
#define CTX_OFF(field) ((int16_t)offsetof (struct bpf_sock_addr, field))

#define INSN(CODE, DST, SRC, OFF, IMM)                                                             \
  ((struct bpf_insn){                                                                              \
      .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM) })
#define LDX_W(DST, SRC, OFF) INSN (BPF_LDX | BPF_MEM | BPF_W, DST, SRC, OFF, 0)
#define STX_W(DST, OFF, SRC) INSN (BPF_STX | BPF_MEM | BPF_W, DST, SRC, OFF, 0)
#define ST(SIZE, DST, OFF, IMM) INSN (BPF_ST | BPF_MEM | (SIZE), DST, 0, OFF, IMM)
#define MOV64_IMM(DST, IMM) INSN (BPF_ALU64 | BPF_MOV | BPF_K, DST, 0, 0, IMM)
#define EXIT() INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum hook
{
  CONNECT4,
  CONNECT6,
  SENDMSG4,
  SENDMSG6,
};

static const struct
{
  const char *name;
  enum bpf_attach_type type;
  bool v6;
} hooks[] = {
  [CONNECT4] = { "mk_connect4", BPF_CGROUP_INET4_CONNECT, false },
  [CONNECT6] = { "mk_connect6", BPF_CGROUP_INET6_CONNECT, true },
  [SENDMSG4] = { "mk_sendmsg4", BPF_CGROUP_UDP4_SENDMSG, false },
  [SENDMSG6] = { "mk_sendmsg6", BPF_CGROUP_UDP6_SENDMSG, true },
};

static void
emit (struct bpf_insn *prog, size_t *n, struct bpf_insn i)
{
  prog[(*n)++] = i;
}

/* r1 = MAP_FD; r2 = &key; r0 = bpf_map_lookup_elem (r1, r2); if found,
   jump to the "allow" exit, whose index is not known yet: the caller
   patches the jump at *JUMP.  */
static void
emit_lookup (struct bpf_insn *prog, size_t *n, int map_fd, size_t *jump)
{
  emit (prog, n, INSN (BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd));
  emit (prog, n, INSN (0, 0, 0, 0, 0));
  emit (prog, n, INSN (BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0));
  emit (prog, n, INSN (BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, KEY_OFF));
  emit (prog, n, INSN (BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem));
  *jump = *n;
  emit (prog, n, INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 0, 0));
}

/* Builds the program of one hook into PROG (room for 64); returns its
   length.  Registers: r6 = ctx (struct bpf_sock_addr).  */
static size_t
build_prog (bool v6, int map_fd, struct bpf_insn *prog)
{
  static const uint8_t mapped_prefix[4] = { 0, 0, 0xff, 0xff }; /* ::ffff:0:0/96, 3rd word */
  size_t n = 0, found[2], to_v6[3], to_tail = 0;
  uint32_t mapped;

  emit (prog, &n, INSN (BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0));
  for (int16_t off = KEY_OFF; off < 0; off += 8)
    emit (prog, &n, ST (BPF_DW, BPF_REG_10, off, 0));
  if (!v6)
    {
      emit (prog, &n, ST (BPF_W, BPF_REG_10, KEY_OFF, AF_INET));
      emit (prog, &n, LDX_W (BPF_REG_2, BPF_REG_6, CTX_OFF (user_ip4)));
      emit (prog, &n, STX_W (BPF_REG_10, KEY_OFF + 4, BPF_REG_2));
    }
  else
    {
      /* r2..r5 = user_ip6[0..3].  ::ffff:a.b.c.d is keyed as AF_INET a.b.c.d.  */
      for (int i = 0; i < 4; i++)
        emit (prog, &n, LDX_W (BPF_REG_2 + i, BPF_REG_6, CTX_OFF (user_ip6) + 4 * i));
      memcpy (&mapped, mapped_prefix, sizeof (mapped));
      to_v6[0] = n;
      emit (prog, &n, INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0, 0));
      to_v6[1] = n;
      emit (prog, &n, INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_3, 0, 0, 0));
      to_v6[2] = n;
      /* 32-bit compare: the immediate would be sign-extended in 64 bits.  */
      emit (prog, &n, INSN (BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t)mapped));
      emit (prog, &n, ST (BPF_W, BPF_REG_10, KEY_OFF, AF_INET));
      emit (prog, &n, STX_W (BPF_REG_10, KEY_OFF + 4, BPF_REG_5));
      to_tail = n;
      emit (prog, &n, INSN (BPF_JMP | BPF_JA, 0, 0, 0, 0));
      for (int i = 0; i < 3; i++)
        prog[to_v6[i]].off = (int16_t)(n - to_v6[i] - 1);
      emit (prog, &n, ST (BPF_W, BPF_REG_10, KEY_OFF, AF_INET6));
      for (int i = 0; i < 4; i++)
        emit (prog, &n, STX_W (BPF_REG_10, KEY_OFF + 4 + 4 * i, BPF_REG_2 + i));
      prog[to_tail].off = (int16_t)(n - to_tail - 1);
    }
  /* {addr, port}, then {addr, any port}.  */
  emit (prog, &n, LDX_W (BPF_REG_2, BPF_REG_6, CTX_OFF (user_port)));
  emit (prog, &n, STX_W (BPF_REG_10, -4, BPF_REG_2));
  emit_lookup (prog, &n, map_fd, &found[0]);
  emit (prog, &n, ST (BPF_W, BPF_REG_10, -4, 0));
  emit_lookup (prog, &n, map_fd, &found[1]);
  emit (prog, &n, MOV64_IMM (BPF_REG_0, 0));
  emit (prog, &n, EXIT ());
  for (int i = 0; i < 2; i++)
    prog[found[i]].off = (int16_t)(n - found[i] - 1);
  emit (prog, &n, MOV64_IMM (BPF_REG_0, 1));
  emit (prog, &n, EXIT ());
  return n;
}

const char *
mk_bpf_verifier_reason (char *log)
{
  char *reason = NULL;
  for (char *save = NULL, *line = strtok_r (log, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    if (strncmp (line, "processed ", 10) != 0 && strncmp (line, "verification time", 17) != 0)
      reason = line;
  return reason;
}

static int
load_and_attach (enum hook h, int map_fd, int cgroup_fd, mk_error **err)
{
  struct bpf_insn prog[64];
  size_t count = build_prog (hooks[h].v6, map_fd, prog);
  _cleanup_close_ int prog_fd = -1;
  char log[4096] = "";
  LIBBPF_OPTS (bpf_prog_load_opts, opts, .expected_attach_type = hooks[h].type, .log_buf = log,
               .log_size = sizeof (log));

  prog_fd
      = bpf_prog_load (BPF_PROG_TYPE_CGROUP_SOCK_ADDR, hooks[h].name, "Apache", prog, count, &opts);
  if (prog_fd < 0)
    {
      int e = errno;
      const char *reason = mk_bpf_verifier_reason (log);
      if (reason)
        return mk_error_set (err, e, "%s: load the %s BPF program (%s)", MK_NETFILTER_ANNOTATION,
                             hooks[h].name + 3, reason);
      return mk_error_set (err, e, "%s: load the %s BPF program", MK_NETFILTER_ANNOTATION,
                           hooks[h].name + 3);
    }
  if (bpf_prog_attach (prog_fd, cgroup_fd, hooks[h].type, BPF_F_ALLOW_MULTI) < 0)
    return mk_error_set (err, errno, "%s: attach the %s BPF program to the cgroup",
                         MK_NETFILTER_ANNOTATION, hooks[h].name + 3);
  return 0;
}

int
mk_netfilter_attach (int cgroup_fd, const struct mk_net_endpoint *eps, size_t n, mk_error **err)
{
  _cleanup_close_ int map_fd = -1;
  const uint8_t allow = 1;
  LIBBPF_OPTS (bpf_map_create_opts, opts, .map_flags = BPF_F_RDONLY_PROG);

  if (cgroup_fd < 0)
    return mk_error_set (err, 0, "%s: needs a cgroup v2 hierarchy (none mounted)",
                         MK_NETFILTER_ANNOTATION);
  map_fd = bpf_map_create (BPF_MAP_TYPE_HASH, "mk_netallow", sizeof (struct key), sizeof (allow),
                           n > 0 ? n : 1, &opts);
  if (map_fd < 0)
    return mk_error_set (err, errno, "%s: create the BPF map", MK_NETFILTER_ANNOTATION);
  for (size_t i = 0; i < n; i++)
    {
      struct key k = { .family = eps[i].family, .port = htons (eps[i].port) };
      memcpy (k.addr, eps[i].addr, eps[i].family == AF_INET ? 4 : 16);
      if (bpf_map_update_elem (map_fd, &k, &allow, BPF_ANY) < 0)
        return mk_error_set (err, errno, "%s: fill the BPF map", MK_NETFILTER_ANNOTATION);
    }
  /* The list is fixed for the container's life.  */
  if (bpf_map_freeze (map_fd) < 0)
    return mk_error_set (err, errno, "%s: freeze the BPF map", MK_NETFILTER_ANNOTATION);
  for (enum hook h = CONNECT4; h <= SENDMSG6; h++)
    if (load_and_attach (h, map_fd, cgroup_fd, err) < 0)
      return -1;
  return 0;
}

/* ---- the annotation's value --------------------------------------------- */

static int
bad_item (const char *name, const char *item, const char *why, mk_error **err)
{
  return mk_error_set (err, 0, "%s: `%s`: %s", name, item, why);
}

/* Parses ITEM, trimmed, into EP.  */
static int
parse_endpoint (const char *name, char *item, struct mk_net_endpoint *ep, mk_error **err)
{
  _cleanup_free_ char *orig = xstrdup (item);
  char *addr = item, *port, *end;
  long p;

  if (item[0] == '[')
    {
      struct in6_addr a6;
      end = strchr (item, ']');
      if (end == NULL || end[1] != ':')
        return bad_item (name, orig, "expected [IPV6]:PORT", err);
      *end = '\0';
      port = end + 2;
      addr = item + 1;
      if (inet_pton (AF_INET6, addr, &a6) != 1)
        return bad_item (name, orig, "not an IPv6 address", err);
      if (IN6_IS_ADDR_V4MAPPED (&a6))
        {
          ep->family = AF_INET;
          memcpy (ep->addr, &a6.s6_addr[12], 4);
        }
      else
        {
          ep->family = AF_INET6;
          memcpy (ep->addr, &a6, 16);
        }
    }
  else
    {
      port = strrchr (item, ':');
      if (port == NULL)
        return bad_item (name, orig, "expected IPV4:PORT or [IPV6]:PORT", err);
      *port++ = '\0';
      if (strchr (addr, ':'))
        return bad_item (name, orig, "an IPv6 address goes in brackets: [IPV6]:PORT", err);
      ep->family = AF_INET;
      if (inet_pton (AF_INET, addr, ep->addr) != 1)
        return bad_item (name, orig, "not an IPv4 address", err);
    }
  if (strcmp (port, "*") == 0)
    {
      ep->port = 0;
      return 0;
    }
  errno = 0;
  p = strtol (port, &end, 10);
  if (port[0] < '0' || port[0] > '9' || *end || errno || p < 1 || p > 65535)
    return bad_item (name, orig, "the port must be 1-65535 or `*` (any)", err);
  ep->port = (unsigned short)p;
  return 0;
}

static char *
trim (char *s)
{
  char *e;
  while (*s == ' ' || *s == '\t')
    s++;
  e = s + strlen (s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
    *--e = '\0';
  return s;
}

int
mk_netfilter_parse (const char *value, struct mk_net_endpoint **eps, size_t *n, mk_error **err)
{
  return mk_netfilter_parse_as (MK_NETFILTER_ANNOTATION, value, eps, n, err);
}

int
mk_netfilter_parse_as (const char *name, const char *value, struct mk_net_endpoint **eps, size_t *n,
                       mk_error **err)
{
  _cleanup_free_ char *copy = xstrdup (value);
  _cleanup_free_ struct mk_net_endpoint *v = NULL;
  size_t count = 0, max = 1;
  char *start = trim (copy);

  for (const char *p = value; *p; p++)
    max += *p == ',';
  v = xmalloc0 (max * sizeof (*v));
  for (char *item = start, *next; *start && item; item = next)
    {
      next = strchr (item, ',');
      if (next)
        *next++ = '\0';
      item = trim (item);
      if (*item == '\0')
        return mk_error_set (err, 0, "%s: empty item in `%s`", name, value);
      if (parse_endpoint (name, item, &v[count++], err) < 0)
        return -1;
    }
  *eps = steal_pointer (&v);
  *n = count;
  return 0;
}

/* ---- the extension (extension.h) ------------------------------------------------- */

struct allow
{
  struct mk_net_endpoint *eps;
  size_t n;
};

static int
allow_parse (const struct mk_spec *spec, void **data, mk_error **err)
{
  const char *v = mk_spec_annotation (spec, MK_NETFILTER_ANNOTATION);
  struct allow *a;
  if (v == NULL)
    return 0;
  a = xmalloc0 (sizeof (*a));
  if (mk_netfilter_parse (v, &a->eps, &a->n, err) < 0)
    {
      free (a);
      return -1;
    }
  *data = a;
  return 0;
}

static void
allow_free (void *data)
{
  struct allow *a = data;
  free (a->eps);
  free (a);
}

static int
allow_attach (const struct mk_ext_ctx *x, void *data, mk_error **err)
{
  const struct allow *a = data;
  return mk_netfilter_attach (mk_cgroup_clone_fd (x->cg), a->eps, a->n, err);
}

static void
allow_features (yajl_gen g)
{
  mk_json_gen_kv (g, MK_NETFILTER_ANNOTATION ".enabled", "true");
}

const struct mk_extension mk_ext_netallow = {
  .name = "network.allow",
  .parse = allow_parse,
  .free = allow_free,
  .cgroup = allow_attach,
  .features = allow_features,
};
