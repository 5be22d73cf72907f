/* tests/fuzz/app_fuzz.c: the app front end's YAML (mk_app_parse_string, what
 * mk_app_parse does with the file), then what `mkrun yaml2oci` makes of it:
 * the host part (mk_app_host_user, mk_app_host_prepare) and the config.json
 * (mk_app_oci_json), which must parse as any bundle's (mk_spec_parse).
 *
 * The input is the YAML text.  Users, groups, names (DNS) and the cgroup's
 * I/O weight are answered by tests/fuzz/host_stubs.c; `root: minimal`'s file
 * list (which runs the program's loader) is replaced by a fixed list; the
 * program is on no PATH (PATH is empty), so a bare name is not found.  Read
 * from the host, as yaml2oci does: the entries of / (the view's binds) and
 * /etc/resolv.conf (the DNS servers `limited` allows).  Nothing is written.  */
#include "config.h"

#include <fcntl.h>

#include "fuzz.h"

#include "app/app.h"
#include "app/oci.h"
#include "extension.h"
#include "spec.h"
#include "utils.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  setenv ("PATH", "/nonexistent-mkrun-fuzz", 1);
  setenv ("TERM", "xterm", 1);
  unsetenv ("SUDO_UID");
  unsetenv ("SUDO_GID");
  return 0;
}

/* What yaml2oci does after parsing; the JSON must be a spec mkrun runs.  */
static void
translate (struct mk_app *app)
{
  static const char *const minimal[] = { "/fuzz/bin/prog", "/lib64/ld-linux-x86-64.so.2",
                                         "/lib/x86_64-linux-gnu/libc.so.6", "/etc/passwd", NULL };
  struct mk_app_host h = { 0 };
  _cleanup_free_ char *json = NULL;
  struct mk_spec *spec = NULL;
  mk_error *err = NULL;
  bool root_minimal = app->root_minimal;
  int r;

  r = mk_app_host_user (app, &h, &err);
  fuzz_check_result (r, err);
  if (r < 0)
    goto out;
  h.tmp_dir = xstrdup ("/fuzz/bundle/tmp");
  h.run_dir = xstrdup ("/fuzz/bundle/run");
  /* Each socket it connects to found: a descriptor stands for the
     listener's socket (mk_app_host_free closes it).  */
  h.socket_fd = xmalloc0 ((app->n_sockets + 1) * sizeof (int));
  h.n_socket_fd = app->n_sockets;
  for (size_t i = 0; i < app->n_sockets; i++)
    {
      h.socket_fd[i] = app->sockets[i].listen ? -1 : open ("/", O_PATH | O_CLOEXEC);
      if (!app->sockets[i].listen)
        mk_app_host_add_listener (&h, "fuzz-listener");
    }
  app->root_minimal = false;
  err = NULL;
  r = mk_app_host_prepare (app, &h, &err);
  app->root_minimal = root_minimal;
  fuzz_check_result (r, err);
  if (r < 0)
    goto out;
  if (root_minimal)
    {
      for (size_t i = 0; minimal[i]; i++)
        {
          size_t n = mk_strv_len (h.minimal_files);
          h.minimal_files = xrealloc (h.minimal_files, (n + 2) * sizeof (char *));
          h.minimal_files[n] = xstrdup (minimal[i]);
          h.minimal_files[n + 1] = NULL;
        }
    }
  err = NULL;
  r = mk_app_oci_json (app, &h, "rootfs", &json, &err);
  fuzz_check_result (r, err);
  if (r < 0)
    goto out;
  err = NULL;
  r = mk_spec_parse (json, "/fuzz/bundle", &spec, &err);
  if (r == 0)
    r = mk_ext_parse (spec, &err);
  if (r < 0)
    fprintf (stderr, "fuzz: the config.json of a valid YAML does not parse: %s\n%s\n", err->msg,
             json);
  FUZZ_ASSERT (r == 0);
  mk_spec_free (spec);
out:
  mk_app_host_free (&h);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct mk_app *app = NULL;
  mk_error *err = NULL;
  int r;

  r = mk_app_parse_string ("fuzz.yaml", "/fuzz/app", (const char *)data, size, &app, &err);
  fuzz_check_result (r, err);
  if (r < 0)
    {
      FUZZ_ASSERT (app == NULL);
      return 0;
    }
  if (app->executable == NULL)
    {
      /* As `-e /fuzz/bin/prog` would.  */
      err = NULL;
      r = mk_app_set_executable (app, "/fuzz/bin/prog", &err);
      fuzz_check_result (r, err);
    }
  translate (app);
  mk_app_free (app);
  return 0;
}
