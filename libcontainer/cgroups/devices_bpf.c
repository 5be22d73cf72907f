/* cgroups/devices_bpf.c: linux.resources.devices on cgroup v2, as a
 * BPF_PROG_TYPE_CGROUP_DEVICE program (the approach of runc's devicefilter
 * and crun's ebpf.c, our own code).  The last matching rule wins, so rules
 * are emitted last first; the first block that matches returns; nothing
 * matching means deny.  */
#include "config.h"

#include "internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../utils.h"

#define INSN(CODE, DST, SRC, OFF, IMM)                                                             \
  ((struct bpf_insn){ .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF),            \
                      .imm = (IMM) })

static void
emit (struct bpf_insn **p, size_t *n, struct bpf_insn i)
{
  *p = xrealloc (*p, sizeof (**p) * (*n + 1));
  (*p)[(*n)++] = i;
}

/* Builds the program; *out is malloc'ed.  Exposed for tests.  */
int mk_cg_devices_bpf_build (const struct mk_device_rule *rules, size_t n, struct bpf_insn **out,
                             size_t *count);

int
mk_cg_devices_bpf_build (const struct mk_device_rule *rules, size_t n, struct bpf_insn **out,
                         size_t *count)
{
  struct bpf_insn *prog = NULL;
  size_t len = 0;
  bool catch_all = false;

  /* r2 = type, r3 = access, r4 = major, r5 = minor (struct bpf_cgroup_dev_ctx).  */
  emit (&prog, &len, INSN (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0));
  emit (&prog, &len, INSN (BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xFFFF));
  emit (&prog, &len, INSN (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0));
  emit (&prog, &len, INSN (BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
  emit (&prog, &len, INSN (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0));
  emit (&prog, &len, INSN (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0));

  for (size_t k = n; k-- > 0;)
    {
      const struct mk_device_rule *r = &rules[k];
      struct bpf_insn block[16];
      size_t jumps[8], nj = 0, bl = 0;
      int32_t access = 0;

      for (const char *a = r->access; *a; a++)
        access |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
      if (r->type != 'a')
        {
          jumps[nj++] = bl;
          block[bl++] = INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
                              r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
        }
      if (access != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD))
        {
          /* The requested access must be a subset of the rule's.  */
          block[bl++] = INSN (BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
          block[bl++] = INSN (BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, access);
          jumps[nj++] = bl;
          block[bl++] = INSN (BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
        }
      if (r->major >= 0)
        {
          jumps[nj++] = bl;
          block[bl++] = INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t) r->major);
        }
      if (r->minor >= 0)
        {
          jumps[nj++] = bl;
          block[bl++] = INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t) r->minor);
        }
      block[bl++] = INSN (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r->allow ? 1 : 0);
      block[bl++] = INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
      /* A failed test skips to the next block.  */
      for (size_t j = 0; j < nj; j++)
        block[jumps[j]].off = (int16_t) (bl - jumps[j] - 1);
      for (size_t j = 0; j < bl; j++)
        emit (&prog, &len, block[j]);
      /* A rule matching everything makes the rest unreachable.  */
      if (nj == 0)
        {
          catch_all = true;
          break;
        }
    }
  /* Default deny (the verifier rejects it as unreachable after a catch-all).  */
  if (!catch_all)
    {
      emit (&prog, &len, INSN (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
      emit (&prog, &len, INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    }
  *out = prog;
  *count = len;
  return 0;
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (__NR_bpf, cmd, attr, sizeof (*attr));
}

/* The ids of the device programs attached to DIRFD now.  */
static size_t
query_attached (int dirfd, uint32_t *ids, size_t max)
{
  union bpf_attr attr;
  memset (&attr, 0, sizeof (attr));
  attr.query.target_fd = dirfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
  attr.query.prog_cnt = max;
  if (sys_bpf (BPF_PROG_QUERY, &attr) < 0)
    return 0;
  return attr.query.prog_cnt;
}

int
mk_cg_devices_bpf_apply (int dirfd, const struct mk_device_rule *rules, size_t n, mk_error **err)
{
  _cleanup_free_ struct bpf_insn *prog = NULL;
  _cleanup_close_ int prog_fd = -1;
  char log[4096] = "";
  uint32_t old[64];
  size_t count = 0, n_old;
  union bpf_attr attr;

  mk_cg_devices_bpf_build (rules, n, &prog, &count);
  n_old = query_attached (dirfd, old, MK_ARRAY_SIZE (old));

  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) prog;
  attr.insn_cnt = count;
  attr.license = (uint64_t) (uintptr_t) "Apache";
  prog_fd = sys_bpf (BPF_PROG_LOAD, &attr);
  if (prog_fd < 0)
    {
      /* Again with the verifier's log, for the message.  */
      int e = errno;
      attr.log_buf = (uint64_t) (uintptr_t) log;
      attr.log_size = sizeof (log);
      attr.log_level = 1;
      prog_fd = sys_bpf (BPF_PROG_LOAD, &attr);
      if (prog_fd < 0)
        {
          log[strcspn (log, "\n")] = '\0';
          if (log[0])
            return mk_error_set (err, e, "load the device BPF program (%s)", log);
          return mk_error_set (err, e, "load the device BPF program");
        }
    }

  memset (&attr, 0, sizeof (attr));
  attr.target_fd = dirfd;
  attr.attach_bpf_fd = prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return mk_error_set (err, errno, "attach the device BPF program");

  /* An update replaces the earlier program(s): with ALLOW_MULTI all of them
     would have to allow an access.  */
  for (size_t i = 0; i < n_old && i < MK_ARRAY_SIZE (old); i++)
    {
      _cleanup_close_ int old_fd = -1;
      memset (&attr, 0, sizeof (attr));
      attr.prog_id = old[i];
      old_fd = sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
      if (old_fd < 0)
        continue;
      memset (&attr, 0, sizeof (attr));
      attr.target_fd = dirfd;
      attr.attach_bpf_fd = old_fd;
      attr.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &attr) < 0)
        return mk_error_set (err, errno, "detach the previous device BPF program");
    }
  return 0;
}
