/* features.c: see features.h.  */
#include "config.h"

#include "features.h"
#include "extension.h"
#include "cgroups/cgroup.h"
#include "seccomp.h"
#include "spec.h"
#include "utils.h"

#include <string.h>
#include <sys/capability.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#define GS(g, s) yajl_gen_string (g, (const unsigned char *) (s), strlen (s))

static void
gen_list (yajl_gen g, const char *key, const char *const *v)
{
  GS (g, key);
  yajl_gen_array_open (g);
  for (; v && *v; v++)
    GS (g, *v);
  yajl_gen_array_close (g);
}

static void
gen_enabled (yajl_gen g, const char *key, bool on)
{
  GS (g, key);
  yajl_gen_map_open (g);
  GS (g, "enabled");
  yajl_gen_bool (g, on);
  yajl_gen_map_close (g);
}

char *
mk_features_json (void)
{
  static const char *const hooks[] = { "prestart",       "createRuntime", "createContainer",
                                       "startContainer", "poststart",     "poststop",
                                       NULL };
  static const char *const operators[]
      = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
          "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL };
  yajl_gen g = yajl_gen_alloc (NULL);
  int last = cap_max_bits ();

  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "    ");
  yajl_gen_map_open (g);
  GS (g, "ociVersionMin");
  GS (g, "1.0.0");
  GS (g, "ociVersionMax");
  GS (g, MK_OCI_VERSION);
  gen_list (g, "hooks", hooks);
  gen_list (g, "mountOptions", mk_spec_mount_options ());
  GS (g, "linux");
  yajl_gen_map_open (g);
  gen_list (g, "namespaces", mk_namespace_names ());
  GS (g, "capabilities");
  yajl_gen_array_open (g);
  for (int c = 0; c < last; c++)
    {
      char *name = cap_to_name (c);
      char up[64];
      size_t i;
      for (i = 0; name[i] && i < sizeof (up) - 1; i++)
        up[i] = (char) (name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
      up[i] = '\0';
      if (strncmp (up, "CAP_", 4) == 0)
        GS (g, up);
      cap_free (name);
    }
  yajl_gen_array_close (g);
  GS (g, "cgroup");
  yajl_gen_map_open (g);
  GS (g, "v1");
  yajl_gen_bool (g, 1);
  GS (g, "v2");
  yajl_gen_bool (g, 1);
  /* The systemd driver (cgroups/systemd.c), with the user's instance.  */
  GS (g, "systemd");
  yajl_gen_bool (g, 1);
  GS (g, "systemdUser");
  yajl_gen_bool (g, 1);
  GS (g, "rdma");
  yajl_gen_bool (g, 0);
  yajl_gen_map_close (g);
  GS (g, "seccomp");
  yajl_gen_map_open (g);
  GS (g, "enabled");
  yajl_gen_bool (g, 1);
  gen_list (g, "actions", mk_seccomp_known_actions ());
  gen_list (g, "operators", operators);
  gen_list (g, "archs", mk_seccomp_known_archs ());
  gen_list (g, "knownFlags", mk_seccomp_known_flags ());
  gen_list (g, "supportedFlags", mk_seccomp_known_flags ());
  yajl_gen_map_close (g);
  gen_enabled (g, "apparmor", false);
  gen_enabled (g, "selinux", false);
  gen_enabled (g, "intelRdt", false);
  /* runtime-spec 1.3's features-linux.  */
  GS (g, "memoryPolicy");
  yajl_gen_map_open (g);
  gen_list (g, "modes", mk_spec_memory_policy_names (false));
  gen_list (g, "flags", mk_spec_memory_policy_names (true));
  yajl_gen_map_close (g);
  gen_enabled (g, "netDevices", true);
  GS (g, "mountExtensions");
  yajl_gen_map_open (g);
  gen_enabled (g, "idmap", true);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  GS (g, "annotations");
  yajl_gen_map_open (g);
  GS (g, "org.mkrun.checkpoint.enabled");
  GS (g, "false");
  /* Understood in config.json: "true" runs the program under mkrun's init.  */
  GS (g, MK_ANNOTATION_INIT);
  GS (g, "true");
  /* "true": an unprivileged container without a cgroup runs without its
     limits (a warning) instead of failing.  */
  GS (g, MK_ANNOTATION_CGROUP_BEST_EFFORT);
  GS (g, "true");
  mk_ext_features (g);
  GS (g, "org.mkrun.version");
  GS (g, PACKAGE_VERSION);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  return mk_json_gen_finish (g, false);
}
