/* tests/unit/unixguard_test.c: libcontainer/net/unixguard.c's parser, and
 * libcontainer/net/btf.c against libbpf's own BTF reader on the running kernel
 * (the members and hooks the programs use, and a few more).  Built by make
 * as tests/bin/unixguard_test; run by tests/bats/security.bats.  No root
 * needed.  */
#include "config.h"

#include <bpf/btf.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/btf.h"
#include "error.h"
#include "net/unixguard.h"
#include "utils.h"

#include "check.h"

typedef int (*parser) (const char *, char ***, mk_error **);

static void
parse_ok_with (parser parse, const char *value, const char *const *want)
{
  char **peers = NULL;
  mk_error *err = NULL;
  size_t n = 0;
  if (parse (value, &peers, &err) < 0)
    {
      fprintf (stderr, "`%s`: %s\n", value, err->msg);
      mk_error_free (err);
      failures++;
      return;
    }
  CHECK (peers != NULL);
  for (; want[n]; n++)
    CHECK (peers[n] && strcmp (peers[n], want[n]) == 0);
  CHECK (peers[n] == NULL);
  mk_strv_free (peers);
}

static void
parse_bad_with (parser parse, const char *value, const char *msg)
{
  char **peers = NULL;
  mk_error *err = NULL;
  CHECK (parse (value, &peers, &err) < 0);
  CHECK (peers == NULL);
  if (err && strcmp (err->msg, msg) != 0)
    {
      fprintf (stderr, "`%s`: got `%s`, expected `%s`\n", value, err->msg, msg);
      failures++;
    }
  mk_error_free (err);
}

#define parse_ok(V, ...) parse_ok_with (mk_unixguard_parse, V, __VA_ARGS__)
#define parse_bad(V, M) parse_bad_with (mk_unixguard_parse, V, M)
#define paths_ok(V, ...) parse_ok_with (mk_unixguard_paths_parse, V, __VA_ARGS__)
#define paths_bad(V, M) parse_bad_with (mk_unixguard_paths_parse, V, M)

/* libbpf's answer: the byte offset of MEMBER (looking into anonymous
   members) in the struct named NAME, or -1.  */
static long
libbpf_member (const struct btf *btf, int id, const char *member)
{
  const struct btf_type *t = btf__type_by_id (btf, id);
  const struct btf_member *m;
  if (t == NULL || !btf_is_composite (t))
    return -1;
  m = btf_members (t);
  for (int i = 0; i < btf_vlen (t); i++, m++)
    {
      const char *name = btf__name_by_offset (btf, m->name_off);
      long off = btf_member_bit_offset (t, i) / 8;
      if (name && *name && strcmp (name, member) == 0)
        return off;
      if (name == NULL || *name == '\0')
        {
          long inner = libbpf_member (btf, m->type, member);
          if (inner >= 0)
            return off + inner;
        }
    }
  return -1;
}

static void
compare_btf (void)
{
  static const char *const members[][2] = {
    { "socket", "sk" },
    { "sock", "sk_cgrp_data" },
    { "sock_cgroup_data", "cgroup" },
    { "cgroup", "kn" },
    { "cgroup", "level" },
    { "kernfs_node", "id" },
    { "kernfs_node", "__parent" },
    { "kernfs_node", "parent" },
    { "task_struct", "pid" },
    { "sock", "sk_type" },
    { "sock", "skc_family" },
    { "file", "f_inode" },
    { "bpf_sock_addr_kern", "uaddr" },
    { "bpf_sock_addr_kern", "uaddrlen" },
  };
  static const char *const funcs[] = { "bpf_lsm_unix_stream_connect",
                                       "bpf_lsm_unix_may_send",
                                       "bpf_cast_to_kern_ctx",
                                       "bpf_rdonly_cast",
                                       "do_exit",
                                       "no_such_fn_x" };
  struct btf *ref = btf__load_vmlinux_btf ();
  struct mk_btf *btf = NULL;
  mk_error *err = NULL;
  int checked = 0;

  if (access ("/sys/kernel/btf/vmlinux", R_OK) < 0 || ref == NULL)
    {
      printf ("no BTF: btf.c not compared\n");
      return;
    }
  if (mk_btf_open_vmlinux (&btf, &err) < 0)
    {
      fprintf (stderr, "mk_btf_open_vmlinux: %s\n", err->msg);
      failures++;
      return;
    }
  for (size_t i = 0; i < MK_ARRAY_SIZE (members); i++)
    {
      int id = btf__find_by_name_kind (ref, members[i][0], BTF_KIND_STRUCT);
      long want = id > 0 ? libbpf_member (ref, id, members[i][1]) : -1;
      size_t size = 0;
      long got = mk_btf_member (btf, members[i][0], members[i][1], &size);
      if (got != want)
        {
          fprintf (stderr, "%s.%s: btf.c %ld, libbpf %ld\n", members[i][0], members[i][1], got,
                   want);
          failures++;
        }
      checked += want >= 0;
    }
  for (size_t i = 0; i < MK_ARRAY_SIZE (funcs); i++)
    {
      int want = btf__find_by_name_kind (ref, funcs[i], BTF_KIND_FUNC);
      uint32_t got = mk_btf_find (btf, funcs[i], BTF_KIND_FUNC);
      CHECK ((want < 0 && got == 0) || (want > 0 && got == (uint32_t)want));
      checked += want > 0;
    }
  CHECK (mk_btf_find (btf, "sockaddr_un", BTF_KIND_STRUCT)
         == (uint32_t)btf__find_by_name_kind (ref, "sockaddr_un", BTF_KIND_STRUCT));
  printf ("btf.c agrees with libbpf on %d lookups\n", checked);
  mk_btf_free (btf);
  btf__free (ref);
}

int
main (void)
{
  parse_ok ("", (const char *const[]){ NULL });
  parse_ok ("  ", (const char *const[]){ NULL });
  parse_ok ("db", (const char *const[]){ "db", NULL });
  parse_ok (" app-a , app_b.2+x ", (const char *const[]){ "app-a", "app_b.2+x", NULL });
  parse_bad ("a,,b", "org.mkrun.network.unix: empty item in `a,,b`");
  parse_bad ("a,", "org.mkrun.network.unix: empty item in `a,`");
  parse_bad ("a/b", "org.mkrun.network.unix: `a/b`: not a container id");
  parse_bad ("..", "org.mkrun.network.unix: `..`: not a container id");
  parse_bad ("x y", "org.mkrun.network.unix: `x y`: not a container id");
  paths_ok ("", (const char *const[]){ NULL });
  paths_ok (" /tmp/a.sock , /run/x/y ", (const char *const[]){ "/tmp/a.sock", "/run/x/y", NULL });
  paths_bad ("/a,,/b", "org.mkrun.network.unix.connect: empty item in `/a,,/b`");
  paths_bad ("/a,b", "org.mkrun.network.unix.connect: `b`: not an absolute path");
  paths_bad ("@abstract", "org.mkrun.network.unix.connect: `@abstract`: not an absolute path");
  {
    char long_path[120];
    memset (long_path, 'x', sizeof (long_path));
    long_path[0] = '/';
    long_path[108] = '\0';
    char *want = xasprintf ("org.mkrun.network.unix.connect: `%s`: longer than a unix "
                            "socket address (107 bytes)",
                            long_path);
    paths_bad (long_path, want);
    free (want);
    long_path[107] = '\0';
    paths_ok (long_path, (const char *const[]){ long_path, NULL });
  }
  compare_btf ();
  return failures != 0;
}
