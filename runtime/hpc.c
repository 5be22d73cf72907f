/* hpc.c: `mkrun hpc status`: what each HPC container holds.  */
#include "config.h"

#include "cli.h"
#include "hpc/profile.h"
#include "utils.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

static const char help[]
    = "Usage: mkrun hpc status [--json]\n\n"
      "The cores, huge pages and GPUs each container with the HPC profile\n"
      "(org.mkrun.hpc.* annotations) holds, across every --root.  PARTITION: the\n"
      "cgroup v2 cpuset partition its cores form (isolated, root); none where the\n"
      "kernel refused (--json: partition_note says why); - on cgroup v1, which has\n"
      "no partitions.\n";

/* One row per holder from the JSON array of mk_hpc_status_json.  */
static void
print_table (const char *json)
{
  yajl_val t = yajl_tree_parse (json, NULL, 0);
  printf ("%-20s %-10s %-10s %-24s %-24s %s\n", "ID", "CORES", "PARTITION", "HUGEPAGES", "ROOT",
          "GPUS");
  for (size_t i = 0; t && YAJL_IS_ARRAY (t) && i < t->u.array.len; i++)
    {
      yajl_val h = t->u.array.values[i];
      const char *path[] = { "hugepages", NULL };
      yajl_val pages = yajl_tree_get (h, path, yajl_t_array);
      char buf[128] = "";
      const char *k_id[] = { "id", NULL }, *k_cores[] = { "cores", NULL },
                 *k_root[] = { "root", NULL }, *k_part[] = { "partition", NULL },
                 *k_gpus[] = { "gpus", NULL };
      const char *cores = YAJL_GET_STRING (yajl_tree_get (h, k_cores, yajl_t_string));
      const char *gpus = YAJL_GET_STRING (yajl_tree_get (h, k_gpus, yajl_t_string));
      const char *k_note[] = { "partition_note", NULL };
      const char *part = YAJL_GET_STRING (yajl_tree_get (h, k_part, yajl_t_string));
      if (part == NULL && yajl_tree_get (h, k_note, yajl_t_string))
        part = "none";
      for (size_t j = 0; pages && j < pages->u.array.len; j++)
        {
          yajl_val p = pages->u.array.values[j];
          const char *k_size[] = { "size", NULL }, *k_node[] = { "node", NULL },
                     *k_count[] = { "count", NULL };
          long long size = YAJL_GET_INTEGER (yajl_tree_get (p, k_size, yajl_t_number));
          long long node = YAJL_GET_INTEGER (yajl_tree_get (p, k_node, yajl_t_number));
          long long count = YAJL_GET_INTEGER (yajl_tree_get (p, k_count, yajl_t_number));
          size_t l = strlen (buf);
          snprintf (buf + l, sizeof (buf) - l, "%s%lld x %s", l ? ", " : "", count,
                    size == 1LL << 30 ? "1G" : "2M");
          if (node >= 0)
            {
              l = strlen (buf);
              snprintf (buf + l, sizeof (buf) - l, " (node %lld)", node);
            }
        }
      printf ("%-20s %-10s %-10s %-24s %-24s %s\n",
              YAJL_GET_STRING (yajl_tree_get (h, k_id, yajl_t_string)),
              cores && *cores ? cores : "-", part ? part : "-", *buf ? buf : "-",
              YAJL_GET_STRING (yajl_tree_get (h, k_root, yajl_t_string)), gpus ? gpus : "-");
    }
  yajl_tree_free (t);
}

int
mk_cmd_hpc (struct mk_global *g, int argc, char **argv)
{
  bool json = false;
  char *doc = NULL;
  mk_error *err = NULL;
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      printf ("%s", help);
      return argc < 2 ? 1 : 0;
    }
  if (strcmp (argv[1], "status") != 0)
    return mk_cli_usage_error (g, "unknown subcommand `%s` (status)", argv[1]);
  for (int i = 2; i < argc; i++)
    if (strcmp (argv[i], "--json") == 0)
      json = true;
    else
      return mk_cli_usage_error (g, "unexpected `%s`", argv[i]);
  if (mk_hpc_status_json (&doc, &err) < 0)
    return mk_cli_fail (g, NULL, err);
  if (json)
    fputs (doc, stdout);
  else
    print_table (doc);
  free (doc);
  return 0;
}
