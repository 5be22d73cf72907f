/* hpc/irq.h: org.mkrun.hpc.irq=steer: interrupt affinity moved off an HPC
 * container's cores while it lives.  System-wide, opt-in, root on a node
 * you own.  */
#ifndef MK_HPC_IRQ_H
#define MK_HPC_IRQ_H

#include <sched.h>

#include "error.h"

/* Takes the cpus of OFF out of every interrupt's affinity (and of
   default_smp_affinity, for interrupts set up later) where something else
   remains and the kernel lets it be moved (per-cpu and kernel-managed
   ones do not move).  *SAVED: "IRQ=LIST;..." of what was changed, for
   mk_irq_restore.  PROCFS is "/proc".  Fails only if default_smp_affinity
   cannot be written (not root of the host).  */
int mk_irq_steer (const char *procfs, const cpu_set_t *off, char **saved, mk_error **err);
/* Puts back SAVED, less STILL_OFF (cores other steering containers hold).  */
void mk_irq_restore (const char *procfs, const char *saved, const cpu_set_t *still_off);

#endif
