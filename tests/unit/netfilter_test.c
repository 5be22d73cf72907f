/* tests/unit/netfilter_test.c: libcontainer/net/netfilter.c's parser
 * (org.mkrun.network.allow), and the error without a cgroup v2 directory
 * (tests/bats/netfilter.bats covers the programs and the bad values through
 * mkrun).  No root needed.  Built by make check as tests/bin/netfilter_test;
 * run by make check (tests/bats/unit.bats).  */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"
#include "net/netfilter.h"

#include "check.h"

/* Parses VALUE, which must hold N endpoints; returns them (malloc'ed).  */
static struct mk_net_endpoint *
parse_ok (const char *value, size_t n)
{
  struct mk_net_endpoint *eps = NULL;
  size_t got = 0;
  mk_error *err = NULL;
  if (mk_netfilter_parse (value, &eps, &got, &err) < 0)
    {
      fprintf (stderr, "`%s`: %s\n", value, err->msg);
      mk_error_free (err);
      failures++;
      exit (1);
    }
  CHECK (eps != NULL);
  CHECK (got == n);
  return eps;
}

static void
check_ep (const struct mk_net_endpoint *ep, int family, const char *addr, unsigned short port)
{
  unsigned char want[16] = { 0 };
  inet_pton (family, addr, want);
  CHECK (ep->family == family);
  CHECK (memcmp (ep->addr, want, sizeof (want)) == 0);
  CHECK (ep->port == port);
}

int
main (void)
{
  struct mk_net_endpoint *eps;
  mk_error *err = NULL;

  eps = parse_ok ("192.0.2.10:443,[2001:db8::1]:*, [::ffff:127.0.0.1]:5432 ", 3);
  check_ep (&eps[0], AF_INET, "192.0.2.10", 443);
  check_ep (&eps[1], AF_INET6, "2001:db8::1", 0);
  check_ep (&eps[2], AF_INET, "127.0.0.1", 5432); /* IPv4-mapped: the IPv4 address */
  free (eps);
  eps = parse_ok ("127.0.0.1:*,127.0.0.1:65535,[::]:1", 3);
  check_ep (&eps[0], AF_INET, "127.0.0.1", 0);
  check_ep (&eps[1], AF_INET, "127.0.0.1", 65535);
  check_ep (&eps[2], AF_INET6, "::", 1);
  free (eps);
  free (parse_ok ("", 0));
  free (parse_ok ("  ", 0));

  CHECK (mk_netfilter_parse ("10.0.0.1:80,x", &eps, &(size_t){ 0 }, &err) < 0);
  CHECK (err
         && strcmp (err->msg, "org.mkrun.network.allow: `x`: expected IPV4:PORT or "
                              "[IPV6]:PORT")
                == 0);
  mk_error_free (err);
  err = NULL;
  CHECK (mk_netfilter_attach (-1, NULL, 0, &err) < 0);
  CHECK (err
         && strcmp (err->msg, "org.mkrun.network.allow: needs a cgroup v2 hierarchy (none mounted)")
                == 0);
  mk_error_free (err);

  printf ("netfilter_test: %d checks, %d failed\n", checks, failures);
  return failures != 0;
}
