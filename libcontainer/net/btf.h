/* net/btf.h: the few lookups mkrun's BPF programs need in the running
 * kernel's BTF (/sys/kernel/btf/vmlinux): a function's type id (a BPF LSM
 * program's attach_btf_id) and struct member offsets, so that a program
 * built by hand reads kernel structs at the offsets this kernel has.
 *
 * Not libbpf's btf__load_vmlinux_btf(): that copies and checks all of the
 * 5 MB (~20 ms here, on every create); this maps the file where the kernel
 * allows it (Linux 6.16+; else reads it) and only indexes the types.  */
#ifndef MK_NET_BTF_H
#define MK_NET_BTF_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct mk_btf;

/* The running kernel's BTF.  No BTF (CONFIG_DEBUG_INFO_BTF off) is an
   error that says so.  */
int mk_btf_open_vmlinux (struct mk_btf **out, mk_error **err);
void mk_btf_free (struct mk_btf *btf);

/* The id of the type named NAME of KIND (BTF_KIND_FUNC, BTF_KIND_STRUCT,
   ...); 0 if there is none.  */
uint32_t mk_btf_find (const struct mk_btf *btf, const char *name, int kind);

/* Member MEMBER of struct (or union) STRUCT_NAME, also inside its anonymous
   struct/union members: its byte offset and its size in bytes (a pointer:
   8); -1 if there is no such struct or member, or it is a bit field.  */
long mk_btf_member (const struct mk_btf *btf, const char *struct_name, const char *member,
                    size_t *size);

#endif
