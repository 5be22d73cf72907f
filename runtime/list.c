/* list.c: `mkrun list [--format table|json] [-q]`.  */
#include "config.h"

#include "cli.h"
#include "container.h"
#include "utils.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#define GS(g, s) yajl_gen_string (g, (const unsigned char *) (s), strlen (s))

int
mk_cmd_list (struct mk_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool json = false, quiet = false;
  struct mk_container_info *v = NULL;
  size_t n = 0;
  mk_error *err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "f:qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        if (mk_cli_parse_format (g, "--format", optarg, "table", &json) != 0)
          return 1;
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        printf ("Usage: mkrun list [OPTIONS]\n\nList the containers under --root.\n\n"
                "Options:\n  -f, --format table|json\n  -q, --quiet   only the ids\n");
        return 0;
      default:
        return mk_cli_usage_error (g, "unknown option");
      }
  if (optind != argc)
    return mk_cli_usage_error (g, "takes no arguments");
  if (mk_container_list (g->root, &v, &n, &err) < 0)
    return mk_cli_fail (g, NULL, err);
  if (quiet)
    for (size_t i = 0; i < n; i++)
      printf ("%s\n", v[i].id);
  else if (json)
    {
      yajl_gen gen = yajl_gen_alloc (NULL);
      const unsigned char *buf;
      size_t len;
      yajl_gen_array_open (gen);
      for (size_t i = 0; i < n; i++)
        {
          struct passwd *pw = getpwuid (v[i].owner);
          yajl_gen_map_open (gen);
          GS (gen, "ociVersion");
          GS (gen, MK_OCI_VERSION);
          GS (gen, "id");
          GS (gen, v[i].id);
          GS (gen, "pid");
          yajl_gen_integer (gen, v[i].pid);
          GS (gen, "status");
          GS (gen, mk_status_name (v[i].status));
          GS (gen, "bundle");
          GS (gen, v[i].bundle);
          GS (gen, "rootfs");
          {
            _cleanup_free_ char *r = xasprintf ("%s/rootfs", v[i].bundle);
            GS (gen, r);
          }
          GS (gen, "created");
          GS (gen, v[i].created);
          GS (gen, "owner");
          GS (gen, pw ? pw->pw_name : "");
          yajl_gen_map_close (gen);
        }
      yajl_gen_array_close (gen);
      yajl_gen_get_buf (gen, &buf, &len);
      printf ("%.*s\n", (int) len, buf);
      yajl_gen_free (gen);
    }
  else
    {
      printf ("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
              "OWNER");
      for (size_t i = 0; i < n; i++)
        {
          struct passwd *pw = getpwuid (v[i].owner);
          printf ("%-12s %-8d %-10s %-40s %-30s %s\n", v[i].id, v[i].pid,
                  mk_status_name (v[i].status), v[i].bundle, v[i].created,
                  pw ? pw->pw_name : "");
        }
    }
  mk_container_info_free (v, n);
  return 0;
}
