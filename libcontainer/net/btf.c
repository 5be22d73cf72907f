/* net/btf.c: see btf.h.  The format is the kernel's (Documentation/bpf/btf.rst,
 * linux/btf.h): a header, then the type records (each a struct btf_type
 * followed by data whose size its kind and vlen give), then the strings.  */
#include "config.h"

#include "net/btf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utils.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

struct mk_btf
{
  const uint8_t *data;
  size_t size;
  bool mapped;
  const uint8_t *types; /* the type section */
  const char *strings;
  uint32_t str_len;
  const struct btf_type **type; /* by id; [0] (void) is NULL */
  uint32_t n_types;             /* ids 1..n_types */
};

void
mk_btf_free (struct mk_btf *btf)
{
  if (btf == NULL)
    return;
  if (btf->mapped)
    munmap ((void *)btf->data, btf->size);
  else
    free ((void *)btf->data);
  free (btf->type);
  free (btf);
}

/* The size of the data that follows T, or -1 for a kind we do not know.  */
static long
extra_size (const struct btf_type *t)
{
  uint32_t vlen = BTF_INFO_VLEN (t->info);
  switch (BTF_INFO_KIND (t->info))
    {
    case BTF_KIND_INT:
    case BTF_KIND_VAR:
    case BTF_KIND_DECL_TAG:
      return 4;
    case BTF_KIND_PTR:
    case BTF_KIND_FWD:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_FUNC:
    case BTF_KIND_FLOAT:
    case BTF_KIND_TYPE_TAG:
      return 0;
    case BTF_KIND_ARRAY:
      return sizeof (struct btf_array);
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
      return (long)vlen * sizeof (struct btf_member);
    case BTF_KIND_ENUM:
      return (long)vlen * sizeof (struct btf_enum);
    case BTF_KIND_ENUM64:
      return (long)vlen * sizeof (struct btf_enum64);
    case BTF_KIND_FUNC_PROTO:
      return (long)vlen * sizeof (struct btf_param);
    case BTF_KIND_DATASEC:
      return (long)vlen * sizeof (struct btf_var_secinfo);
    default:
      return -1;
    }
}

static int
index_types (struct mk_btf *btf, mk_error **err)
{
  const struct btf_header *h = (const struct btf_header *)btf->data;
  size_t cap = 1 << 16, off = 0;

  if (btf->size < sizeof (*h) || h->magic != BTF_MAGIC || h->hdr_len > btf->size
      || (uint64_t)h->hdr_len + h->type_off + h->type_len > btf->size
      || (uint64_t)h->hdr_len + h->str_off + h->str_len > btf->size || h->str_len == 0)
    return mk_error_set (err, 0, "%s: not BTF data this build can read", VMLINUX_BTF);
  btf->types = btf->data + h->hdr_len + h->type_off;
  btf->strings = (const char *)btf->data + h->hdr_len + h->str_off;
  btf->str_len = h->str_len;
  if (btf->strings[btf->str_len - 1] != '\0')
    return mk_error_set (err, 0, "%s: its strings are not terminated", VMLINUX_BTF);
  btf->type = xmalloc0 (cap * sizeof (*btf->type));
  while (off < h->type_len)
    {
      const struct btf_type *t = (const struct btf_type *)(btf->types + off);
      long extra;
      if (off + sizeof (*t) > h->type_len)
        return mk_error_set (err, 0, "%s: a type record runs past its section", VMLINUX_BTF);
      extra = extra_size (t);
      if (extra < 0)
        return mk_error_set (err, 0, "%s: type %u is of a kind (%u) this build does not know",
                             VMLINUX_BTF, btf->n_types + 1, BTF_INFO_KIND (t->info));
      if (btf->n_types + 2 > cap)
        {
          cap *= 2;
          btf->type = xrealloc (btf->type, cap * sizeof (*btf->type));
        }
      btf->type[++btf->n_types] = t;
      off += sizeof (*t) + (size_t)extra;
    }
  if (off != h->type_len)
    return mk_error_set (err, 0, "%s: a type record runs past its section", VMLINUX_BTF);
  return 0;
}

int
mk_btf_open_vmlinux (struct mk_btf **out, mk_error **err)
{
  _cleanup_close_ int fd = open (VMLINUX_BTF, O_RDONLY | O_CLOEXEC);
  struct mk_btf *btf;
  struct stat st;

  if (fd < 0)
    return mk_error_set (err, errno == ENOENT ? 0 : errno,
                         errno == ENOENT ? "this kernel has no BTF (%s: CONFIG_DEBUG_INFO_BTF)"
                                         : "open %s",
                         VMLINUX_BTF);
  if (fstat (fd, &st) < 0)
    return mk_error_set (err, errno, "stat %s", VMLINUX_BTF);
  btf = xmalloc0 (sizeof (*btf));
  btf->size = (size_t)st.st_size;
  /* Linux 6.16+ lets it be mapped: no copy.  */
  btf->data = btf->size ? mmap (NULL, btf->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0)
                        : MAP_FAILED;
  btf->mapped = btf->data != MAP_FAILED;
  if (!btf->mapped)
    {
      /* sysfs hands a binary file out a page per read.  */
      size_t cap = btf->size ? btf->size : 1 << 22, n = 0;
      uint8_t *buf = xmalloc0 (cap);
      ssize_t r;
      btf->data = buf;
      while ((r = read (fd, buf + n, cap - n)) != 0)
        {
          if (r < 0 && errno == EINTR)
            continue;
          if (r < 0)
            {
              mk_btf_free (btf);
              return mk_error_set (err, errno, "read %s", VMLINUX_BTF);
            }
          n += (size_t)r;
          if (n == cap)
            {
              cap *= 2;
              buf = xrealloc (buf, cap);
              btf->data = buf;
            }
        }
      btf->size = n;
    }
  if (index_types (btf, err) < 0)
    {
      mk_btf_free (btf);
      return -1;
    }
  *out = btf;
  return 0;
}

static const char *
name_of (const struct mk_btf *btf, const struct btf_type *t)
{
  return t->name_off < btf->str_len ? btf->strings + t->name_off : "";
}

static const struct btf_type *
type_by_id (const struct mk_btf *btf, uint32_t id)
{
  return id >= 1 && id <= btf->n_types ? btf->type[id] : NULL;
}

uint32_t
mk_btf_find (const struct mk_btf *btf, const char *name, int kind)
{
  for (uint32_t id = 1; id <= btf->n_types; id++)
    if ((int)BTF_INFO_KIND (btf->type[id]->info) == kind
        && strcmp (name_of (btf, btf->type[id]), name) == 0)
      return id;
  return 0;
}

/* The size of type ID, through typedefs and qualifiers; -1 if unknown.  */
static long
type_size (const struct mk_btf *btf, uint32_t id)
{
  for (int depth = 0; depth < 32; depth++)
    {
      const struct btf_type *t = type_by_id (btf, id);
      if (t == NULL)
        return -1;
      switch (BTF_INFO_KIND (t->info))
        {
        case BTF_KIND_TYPEDEF:
        case BTF_KIND_VOLATILE:
        case BTF_KIND_CONST:
        case BTF_KIND_RESTRICT:
        case BTF_KIND_TYPE_TAG:
          id = t->type;
          continue;
        case BTF_KIND_PTR:
          return sizeof (uint64_t);
        case BTF_KIND_INT:
        case BTF_KIND_STRUCT:
        case BTF_KIND_UNION:
        case BTF_KIND_ENUM:
        case BTF_KIND_ENUM64:
        case BTF_KIND_FLOAT:
          return t->size;
        case BTF_KIND_ARRAY:
          {
            const struct btf_array *a = (const struct btf_array *)(t + 1);
            long elem = type_size (btf, a->type);
            return elem < 0 ? -1 : elem * (long)a->nelems;
          }
        default:
          return -1;
        }
    }
  return -1;
}

/* MEMBER's offset in the struct/union ID (recursing into anonymous
   members), or -1.  */
static long
member_offset (const struct mk_btf *btf, uint32_t id, const char *member, uint32_t *member_type,
               int depth)
{
  const struct btf_type *t = type_by_id (btf, id);
  const struct btf_member *m;
  uint32_t kind;

  if (t == NULL || depth > 8)
    return -1;
  kind = BTF_INFO_KIND (t->info);
  if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION)
    return -1;
  m = (const struct btf_member *)(t + 1);
  for (uint32_t i = 0; i < BTF_INFO_VLEN (t->info); i++, m++)
    {
      uint32_t bits = BTF_INFO_KFLAG (t->info) ? BTF_MEMBER_BIT_OFFSET (m->offset) : m->offset;
      uint32_t bitfield = BTF_INFO_KFLAG (t->info) ? BTF_MEMBER_BITFIELD_SIZE (m->offset) : 0;
      const char *name = m->name_off < btf->str_len ? btf->strings + m->name_off : "";
      if (name[0] == '\0')
        {
          long inner = member_offset (btf, m->type, member, member_type, depth + 1);
          if (inner >= 0)
            return bits % 8 ? -1 : (long)(bits / 8) + inner;
          continue;
        }
      if (strcmp (name, member) != 0)
        continue;
      if (bits % 8 || bitfield)
        return -1;
      *member_type = m->type;
      return bits / 8;
    }
  return -1;
}

long
mk_btf_member (const struct mk_btf *btf, const char *struct_name, const char *member, size_t *size)
{
  uint32_t id = mk_btf_find (btf, struct_name, BTF_KIND_STRUCT), type = 0;
  long off, sz;

  if (id == 0)
    return -1;
  off = member_offset (btf, id, member, &type, 0);
  if (off < 0 || (sz = type_size (btf, type)) < 0)
    return -1;
  *size = (size_t)sz;
  return off;
}
