/* app/monitor.h: an app's resource use, sampled from its cgroup.  CPU % is
 * the difference of two samples' cpu_ns over their wall time.  */
#ifndef MK_APP_MONITOR_H
#define MK_APP_MONITOR_H

#include <stdint.h>

#include "error.h"

struct mk_app_sample
{
  long long at_ms;
  uint64_t cpu_ns;   /* CPU time used so far */
  uint64_t mem_bytes;
  uint64_t mem_limit; /* 0: none */
  uint64_t io_read, io_write;
  uint64_t pids;
};

int mk_app_sample (const char *root, const char *name, struct mk_app_sample *s, mk_error **err);

#endif
