/* yaml2oci.c: `mkrun yaml2oci FILE`: the OCI config.json (or bundle) an
 * app YAML becomes.  */
#include "config.h"

#include "app/hostfs.h"
#include "app/oci.h"
#include "app_cli.h"
#include "utils.h"

#include <getopt.h>
#include <stdio.h>

static const char help[]
    = "Usage: mkrun yaml2oci FILE [--bundle DIR] [-e EXE] [--app-args A]\n\n"
      "Print the OCI config.json the app YAML FILE becomes, or write DIR/config.json\n"
      "and DIR/rootfs (a bundle any OCI runtime can run).\n";

struct yaml2oci_opts
{
  const char *bundle;
  struct mk_cli_app_start a;
};

static int
yaml2oci_opt (struct mk_global *g, int c, const char *arg, void *ctx)
{
  struct yaml2oci_opts *o = ctx;
  *(c == 'b' ? &o->bundle : c == 'e' ? &o->a.exe : &o->a.app_args) = arg;
  return 0;
}

int
mk_cmd_yaml2oci (struct mk_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' }, { "exec", required_argument, NULL, 'e' },
    { "app-args", required_argument, NULL, 'a' }, { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct yaml2oci_opts o = { 0 };
  struct mk_app *app = NULL;
  struct mk_app_host h = { 0 };
  mk_error *err = NULL;
  _cleanup_free_ char *json = NULL;
  int status;
  if (!mk_cli_getopt (g, argc, argv, "b:e:h", opts, help, yaml2oci_opt, &o, &status))
    return status;
  if (optind + 1 != argc)
    return mk_cli_usage_error (g, "expected one YAML FILE");
  o.a.config = argv[optind];
  if (mk_cli_app_load (&o.a, &app, &err) < 0)
    return mk_cli_fail (g, NULL, err);
  if (mk_app_host_user (app, &h, &err) < 0)
    goto fail;
  if (o.bundle)
    {
      _cleanup_free_ char *abs = mk_cli_abs_path (o.bundle);
      if (mk_app_write_bundle (app, &h, abs, &err) < 0)
        goto fail;
    }
  else
    {
      h.tmp_dir = xstrdup ("tmp");
      h.run_dir = xstrdup ("run");
      if (mk_app_host_prepare (app, &h, &err) < 0)
        goto fail;
      for (char **w = h.warnings; w && *w; w++)
        mk_cli_app_notice (MK_APP_LOG_WARN, *w);
      if (mk_app_oci_json (app, &h, "rootfs", &json, &err) < 0)
        goto fail;
      fputs (json, stdout);
    }
  mk_app_host_free (&h);
  mk_app_free (app);
  return 0;
fail:
  mk_app_host_free (&h);
  mk_app_free (app);
  return mk_cli_fail (g, NULL, err);
}
