/* tests/fuzz/hpc_fuzz.c: the HPC profile's annotations (mk_hpc_parse), and
 * the GPU selection of org.mkrun.hpc.gpus (mk_gpu_select) against a fixed
 * fake host.
 *
 * The input is annotations, one KEY=VALUE a line (the value runs to the end
 * of the line; a line without `=` is a key with an empty value), e.g.
 *   org.mkrun.hpc.cores=2-3,6
 *   org.mkrun.hpc.hugepages=2M:64
 * They reach mk_hpc_parse as config.json's annotations do.  Cores, pages,
 * the registry and GPU discovery are the host's and are not touched: the
 * GPUs are the five of FAKE_GPUS below.  Checked: a cpu or node list that
 * parsed formats back to itself.  */
#include "config.h"

#include "fuzz.h"

#include <sched.h>

#include "hpc/cores.h"
#include "hpc/gpu.h"
#include "hpc/profile.h"
#include "spec.h"
#include "utils.h"

static struct mk_gpu fake_gpus[] = {
  { 0, "GPU-8c5d7f2e-1b3a-4c6d-9e0f-123456789abc", "0000:3b:00.0", "NVIDIA H100" },
  { 1, "GPU-8c5d7f2e-1b3a-4c6d-9e0f-123456789abd", "0000:5e:00.0", "NVIDIA H100" },
  { 2, "GPU-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "0000:86:00.0", NULL },
  { 3, NULL, "0000:af:00.0", NULL },  /* not initialized by the driver: no UUID */
  { 4, "GPU", "0000:d8:00.0", NULL }, /* a driver's truncated "GPU UUID:" line */
};

static const struct mk_gpu_host fake_host = {
  .gpus = fake_gpus,
  .n_gpus = MK_ARRAY_SIZE (fake_gpus),
  .driver_version = (char *)"535.104.05",
};

/* A cpu list that parsed formats to a list that parses to the same set.  */
static void
check_list (const cpu_set_t *set)
{
  _cleanup_free_ char *text = mk_cpulist_format (set);
  cpu_set_t again;
  FUZZ_ASSERT (mk_cpulist_parse (text, &again) == 0);
  FUZZ_ASSERT (CPU_EQUAL (set, &again));
}

static void
check_gpus (const char *value)
{
  size_t *idx = NULL, n = 0;
  mk_error *err = NULL;
  int r = mk_gpu_select (&fake_host, value, &idx, &n, &err);
  fuzz_check_result (r, err);
  if (r < 0)
    return;
  FUZZ_ASSERT (n <= fake_host.n_gpus);
  for (size_t i = 0; i < n; i++)
    FUZZ_ASSERT (idx[i] < fake_host.n_gpus && (i == 0 || idx[i - 1] < idx[i]));
  free (idx);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  _cleanup_free_ char *text = fuzz_text (data, size);
  struct mk_kv *kv = NULL;
  size_t n = 0;
  struct mk_spec spec = { 0 };
  struct mk_hpc *h = NULL;
  mk_error *err = NULL;
  char *save = NULL;
  int r;

  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *eq = strchr (line, '=');
      kv = xrealloc (kv, (n + 1) * sizeof (*kv));
      kv[n].key = line;
      kv[n].value = eq ? eq + 1 : line + strlen (line);
      if (eq)
        *eq = '\0';
      n++;
    }
  spec.annotations = kv;
  spec.n_annotations = n;
  r = mk_hpc_parse (&spec, &h, &err);
  fuzz_check_result (r, err);
  if (r == 0 && h)
    {
      cpu_set_t nodes;
      FUZZ_ASSERT (h->n_cores == 0 || !h->core_list);
      if (h->core_list)
        check_list (&h->core_set);
      if (h->numa_nodes)
        {
          FUZZ_ASSERT (mk_cpulist_parse (h->numa_nodes, &nodes) == 0);
          check_list (&nodes);
        }
      FUZZ_ASSERT (h->n_pages <= MK_ARRAY_SIZE (h->pages));
      if (h->gpus)
        check_gpus (h->gpus);
      mk_hpc_free (h);
    }
  else
    FUZZ_ASSERT (h == NULL);
  free (kv);
  return 0;
}
