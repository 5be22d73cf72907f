/* tests/fuzz/netallow_fuzz.c: the value of org.mkrun.network.allow
 * (mk_netfilter_parse), the limited network's allow list.
 *
 * The input is the annotation's value.  Nothing is resolved (the value holds
 * addresses only) and no BPF program is loaded.  Checked: every endpoint is
 * IPv4 or IPv6, and the list written back in the annotation's syntax (as
 * app/oci.c writes resolved names) parses to the same endpoints.  */
#include "config.h"

#include "fuzz.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "net/netfilter.h"
#include "utils.h"

/* EPS written back as "IP:PORT,[IP6]:*,...".  */
static char *
format (const struct mk_net_endpoint *eps, size_t n)
{
  char *out = xstrdup ("");
  for (size_t i = 0; i < n; i++)
    {
      char ip[INET6_ADDRSTRLEN], port[8];
      char *next;
      FUZZ_ASSERT (inet_ntop (eps[i].family, eps[i].addr, ip, sizeof (ip)) != NULL);
      if (eps[i].port)
        snprintf (port, sizeof (port), "%u", eps[i].port);
      else
        strcpy (port, "*");
      next = xasprintf (eps[i].family == AF_INET6 ? "%s%s[%s]:%s" : "%s%s%s:%s", out, i ? "," : "",
                        ip, port);
      free (out);
      out = next;
    }
  return out;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  _cleanup_free_ char *value = fuzz_text (data, size);
  _cleanup_free_ char *again = NULL;
  _cleanup_free_ struct mk_net_endpoint *eps = NULL, *eps2 = NULL;
  size_t n = 0, n2 = 0, commas = 0;
  mk_error *err = NULL;
  int r;

  r = mk_netfilter_parse (value, &eps, &n, &err);
  fuzz_check_result (r, err);
  if (r < 0)
    {
      FUZZ_ASSERT (eps == NULL);
      return 0;
    }
  FUZZ_ASSERT (eps != NULL);
  for (const char *p = value; *p; p++)
    commas += *p == ',';
  FUZZ_ASSERT (n <= commas + 1);
  for (size_t i = 0; i < n; i++)
    {
      FUZZ_ASSERT (eps[i].family == AF_INET || eps[i].family == AF_INET6);
      if (eps[i].family == AF_INET)
        for (size_t b = 4; b < 16; b++)
          FUZZ_ASSERT (eps[i].addr[b] == 0);
    }
  again = format (eps, n);
  err = NULL;
  r = mk_netfilter_parse (again, &eps2, &n2, &err);
  fuzz_check_result (r, err);
  FUZZ_ASSERT (r == 0 && n2 == n);
  FUZZ_ASSERT (n == 0 || memcmp (eps, eps2, n * sizeof (*eps)) == 0);
  return 0;
}
