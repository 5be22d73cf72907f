/* tests/fuzz/spec_fuzz.c: config.json (mk_spec_parse), with what create does
 * to the parsed spec before it touches the host.
 *
 * The input is the whole document, as create reads BUNDLE/config.json.  It
 * covers spec.c and the parsers it hands sub-trees to: linux.resources
 * (cgroups/resources.c), linux.seccomp (seccomp.c: the libseccomp filter is
 * built, never loaded), hooks, mounts and their options, the process, the
 * annotations (org.mkrun.init; then, as create does, the extensions'
 * through extension.c: org.mkrun.hpc.*, org.mkrun.network.allow, ...).  Then, on a spec that
 * parsed: the namespace plan, the sysctl check, the device cgroup rules and
 * the cgroup v2 device program built from them (not loaded).  Nothing here
 * mounts, writes a cgroup file, loads a BPF program or looks a GPU up
 * (org.mkrun.hpc.gpus is only applied by create after parsing).  */
#include "config.h"

#include "fuzz.h"

#include <linux/bpf.h>

#include "cgroups/resources.h"
#include "devices.h"
#include "extension.h"
#include "namespaces.h"
#include "rootfs.h"
#include "seccomp.h"
#include "spec.h"
#include "utils.h"

/* cgroups/devices_bpf.c, exposed for tests.  */
int mk_cg_devices_bpf_build (const struct mk_device_rule *rules, size_t n, struct bpf_insn **out,
                             size_t *count);

static void
after_parse (struct mk_spec *spec)
{
  struct mk_ns_plan plan;
  mk_error *err = NULL;
  int r;

  r = mk_ns_plan (spec, &plan, &err);
  fuzz_check_result (r, err);
  err = NULL;
  r = mk_sysctl_validate (spec, &err);
  fuzz_check_result (r, err);
  if (spec->seccomp)
    {
      (void)mk_seccomp_has_notify (spec->seccomp);
      (void)mk_seccomp_listener_path (spec->seccomp);
      (void)mk_seccomp_listener_metadata (spec->seccomp);
    }
  if (spec->resources)
    {
      struct bpf_insn *prog = NULL;
      size_t count = 0;
      mk_devices_cgroup_rules (spec, spec->resources);
      FUZZ_ASSERT (mk_cg_devices_bpf_build (spec->resources->devices, spec->resources->n_devices,
                                            &prog, &count)
                   == 0);
      FUZZ_ASSERT (count >= 2);
      free (prog);
    }
  (void)mk_spec_annotation (spec, MK_ANNOTATION_INIT);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  _cleanup_free_ char *json = fuzz_text (data, size);
  struct mk_spec *spec = NULL;
  mk_error *err = NULL;
  int r;

  r = mk_spec_parse (json, "/fuzz/bundle", &spec, &err);
  if (r == 0)
    {
      /* What create does next: the extensions' annotations.  */
      r = mk_ext_parse (spec, &err);
      if (r < 0)
        {
          mk_spec_free (spec);
          spec = NULL;
        }
    }
  fuzz_check_result (r, err);
  if (r < 0)
    {
      FUZZ_ASSERT (spec == NULL);
      return 0;
    }
  FUZZ_ASSERT (spec != NULL && spec->root_path != NULL && spec->root_path[0] == '/');
  after_parse (spec);
  mk_spec_free (spec);
  return 0;
}
