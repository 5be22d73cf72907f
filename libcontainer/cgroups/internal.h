/* cgroups/internal.h: shared between common.c, v1.c, v2.c (STUB: cgroup helper owns this) */
#ifndef MK_CGROUP_INTERNAL_H
#define MK_CGROUP_INTERNAL_H
#include "cgroup.h"
#include "resources.h"
#endif
