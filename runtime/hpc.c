/* hpc.c: `mkrun hpc status`: what each HPC container holds.  */
#include "config.h"

#include "cli.h"
#include "hpc/profile.h"
#include "utils.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[]
    = "Usage: mkrun hpc status [--json]\n\n"
      "The cores, huge pages and GPUs each container with the HPC profile\n"
      "(org.mkrun.hpc.* annotations) holds, across every --root.  PARTITION: the\n"
      "cgroup v2 cpuset partition its cores form (isolated, root); none where the\n"
      "kernel refused (--json: partition_note says why); - on cgroup v1, which has\n"
      "no partitions.\n";

/* "2 x 2M (node 0), 1 x 1G", or "" for no pages.  */
static void
format_pages (const struct mk_hpc_holder *h, char *buf, size_t size)
{
  buf[0] = '\0';
  for (size_t j = 0; j < h->n_pages; j++)
    {
      const struct mk_hpc_holder_pages *p = &h->pages[j];
      size_t l = strlen (buf);
      snprintf (buf + l, size - l, "%s%llu x %s", l ? ", " : "", (unsigned long long)p->count,
                p->size == 1ULL << 30 ? "1G" : "2M");
      if (p->node >= 0)
        {
          l = strlen (buf);
          snprintf (buf + l, size - l, " (node %d)", p->node);
        }
    }
}

static void
print_table (const struct mk_hpc_status *st)
{
  printf ("%-20s %-10s %-10s %-24s %-24s %s\n", "ID", "CORES", "PARTITION", "HUGEPAGES", "ROOT",
          "GPUS");
  for (size_t i = 0; i < st->n; i++)
    {
      const struct mk_hpc_holder *h = &st->holders[i];
      const char *part = h->partition ? h->partition : h->partition_note ? "none" : "-";
      char pages[128];
      format_pages (h, pages, sizeof (pages));
      printf ("%-20s %-10s %-10s %-24s %-24s %s\n", h->id, *h->cores ? h->cores : "-", part,
              *pages ? pages : "-", h->root, h->gpus ? h->gpus : "-");
    }
}

int
mk_cmd_hpc (struct mk_global *g, int argc, char **argv)
{
  bool json = false;
  struct mk_hpc_status *st = NULL;
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
  if (mk_hpc_status (&st, &err) < 0)
    return mk_cli_fail (g, NULL, err);
  if (json)
    {
      _cleanup_free_ char *doc = mk_hpc_status_json (st);
      fputs (doc, stdout);
    }
  else
    print_table (st);
  mk_hpc_status_free (st);
  return 0;
}
