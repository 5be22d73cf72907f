/* hpc/pages.h: reserving huge pages in the kernel's pool, per NUMA node,
 * and giving back exactly what was reserved.  */
#ifndef MK_HPC_PAGES_H
#define MK_HPC_PAGES_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define MK_HPC_MAX_NODES 64

/* "2MB" / "1GB": the hugetlb controller's name of SIZE bytes.  */
const char *mk_pages_cgroup_name (uint64_t size);

/* Raises the pool of SIZE pages by COUNT, spread over the nodes of the
   list NODES ("0", "0-1"; NULL or "": the pool without node), and checks
   the kernel found them; PER_NODE[node] gets what was added there (index
   MK_HPC_MAX_NODES - 1 for the pool without node).  Short of COUNT: gives
   back what it added and fails.  SYSFS is "/sys".  */
int mk_pages_reserve (const char *sysfs, uint64_t size, uint64_t count, const char *nodes,
                      uint64_t per_node[MK_HPC_MAX_NODES], mk_error **err);
/* The nodes whose pools mk_pages_reserve raises for NODES, in LIST;
   returns how many.  */
size_t mk_pages_nodes (const char *sysfs, uint64_t size, const char *nodes,
                       int list[MK_HPC_MAX_NODES]);
/* The size of the pool of SIZE pages on NODE now, in *OUT; -1 if it cannot
   be read.  */
int mk_pages_pool (const char *sysfs, uint64_t size, int node, uint64_t *out);
/* Lowers the pool of SIZE pages on NODE (MK_HPC_MAX_NODES - 1: without
   node) by COUNT.  */
int mk_pages_give_back (const char *sysfs, uint64_t size, int node, uint64_t count,
                        mk_error **err);

#endif
