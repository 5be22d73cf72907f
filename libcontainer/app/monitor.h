/* app/monitor.h: an app's resource use, sampled from its cgroup.  CPU % is
 * the difference of two samples' cpu_ns over their wall time.  */
#ifndef MK_APP_MONITOR_H
#define MK_APP_MONITOR_H

#include <stdbool.h>
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

/* Takes each sample and the CPU % since the one before (the library never
   prints).  */
typedef void (*mk_app_monitor_fn) (const struct mk_app_sample *s, double cpu_percent, void *arg);

/* `mkrun app monitor`: samples app NAME every INTERVAL_S seconds and
   passes each sample to FN, until the app ends (then returns 0).  ONCE:
   one sample, INTERVAL_S or 0.5 s (the shorter) after the first, and the
   app gone by then is an error.  Fails when NAME is not running.  */
int mk_app_monitor (const char *root, const char *name, double interval_s, bool once,
                    mk_app_monitor_fn fn, void *arg, mk_error **err);

#endif
