/* hpc/gpu.h: the org.mkrun.hpc.gpus annotation: NVIDIA GPUs for a container.
 *
 * What nvidia-container-toolkit (libnvidia-container) gives a container,
 * done by amending the parsed spec before anything is created:
 *   - device nodes: /dev/nvidia<minor> of each selected GPU (195:minor) and
 *     the control devices (/dev/nvidiactl 195:255, /dev/nvidia-modeset,
 *     /dev/nvidia-uvm, /dev/nvidia-uvm-tools where the host has them),
 *     mode 0666, with device cgroup allow rules (rwm) for each;
 *   - read-only binds (ro,nosuid,nodev) of the driver's user-space libraries
 *     (utility and compute: libnvidia-ml, libcuda, ...: the files named
 *     after the driver version and their soname links), its tools
 *     (nvidia-smi, ...) and its GSP firmware, each at its host path;
 *   - NVIDIA_VISIBLE_DEVICES = the selected GPUs' UUIDs, CUDA_VISIBLE_DEVICES
 *     = 0..n-1 (the container has only the selected GPUs, so CUDA numbers
 *     them from 0), CUDA_DEVICE_ORDER = PCI_BUS_ID unless the process sets it;
 *   - the other GPUs' /proc/driver/nvidia/gpus/<bus> directories masked.
 *
 * Index N means the Nth GPU in PCI bus order (nvidia-smi's numbering,
 * CUDA_DEVICE_ORDER=PCI_BUS_ID).
 *
 * MKRUN_HPC_GPU_ROOT (tests only): discovery reads a fake tree under that
 * directory instead of the host ("" or unset = the host); its files are bound
 * at the same paths without the prefix.  */
#ifndef MK_HPC_GPU_H
#define MK_HPC_GPU_H

#include <stddef.h>

#include "error.h"

struct mk_spec;
struct mk_extension;

#define MK_GPU_ANNOTATION "org.mkrun.hpc.gpus"
#define MK_GPU_ROOT_ENV "MKRUN_HPC_GPU_ROOT"

struct mk_gpu
{
  unsigned minor; /* /dev/nvidia<minor>, 195:minor */
  char *uuid;     /* "GPU-...", as the driver reports it; NULL if not given */
  char *bus_id;   /* "0000:3b:00.0" (the /proc/driver/nvidia/gpus entry) */
  char *model;    /* NULL if not given */
};

/* Paths are the host's (without the prefix), absolute.  */
struct mk_gpu_host
{
  struct mk_gpu *gpus; /* in PCI bus order */
  size_t n_gpus;
  char *driver_version;   /* "535.104.05" */
  char **control_devices; /* NULL-terminated, as the rest */
  char **libraries;
  char **binaries;
  char **firmware;
};

/* Reads PREFIX/proc/driver/nvidia (GPUs, driver version), PREFIX/dev, the
   library and binary directories.  PREFIX is "" for the host.  With no GPU:
   "org.mkrun.hpc.gpus: no NVIDIA GPU on this host (...)".  */
int mk_gpu_discover (const char *prefix, struct mk_gpu_host *h, mk_error **err);
void mk_gpu_host_free (struct mk_gpu_host *h);

/* Parses VALUE ("all", or a comma list of indices and UUIDs, a UUID given in
   full or by a unique prefix) against H: *IDX (malloc'ed) gets the indices
   into h->gpus in ascending order, *N their count.  */
int mk_gpu_select (const struct mk_gpu_host *h, const char *value, size_t **idx, size_t *n,
                   mk_error **err);

/* Discovers the host's GPUs (MKRUN_HPC_GPU_ROOT aside) and amends SPEC for
   the annotation's VALUE (devices, device rules, mounts, env, masked paths).  */
int mk_gpu_apply (struct mk_spec *spec, const char *value, mk_error **err);

/* The extension (extension.h): the annotation's GPUs, added at prepare.  */
extern const struct mk_extension mk_ext_gpu;
/* The GPUs it selected for SPEC (NVIDIA_VISIBLE_DEVICES' value), NULL if
   none (shown by `hpc status`).  */
const char *mk_gpu_held (const struct mk_spec *spec);

#endif
