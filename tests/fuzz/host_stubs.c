/* tests/fuzz/host_stubs.c: the host lookups the app front end makes while it
 * turns a YAML into a config.json, replaced for fuzzing by fixed answers.
 *
 * Linked into app_fuzz only, with -Wl,--wrap=NAME for each NAME below
 * (tests/fuzz/fuzz.mak): the library's calls to NAME reach __wrap_NAME, so
 * no name goes to the resolver (DNS), NSS or the cgroup tree, and the
 * answers do not depend on the machine.  The library itself is unchanged.
 *
 *   users   root 0, fuzz 1000, nobody 65534; groups root 0, users 100,
 *           fuzz 1000; everyone is also in `users`
 *   names   numeric addresses; localhost (127.0.0.1, ::1); api.example.com
 *           (192.0.2.10, 2001:db8::10); any other name does not resolve
 *   cgroup  an I/O weight is available (so io_priority makes blockIO) */
#include "config.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct passwd *__wrap_getpwnam (const char *name);
struct passwd *__wrap_getpwuid (uid_t uid);
struct group *__wrap_getgrnam (const char *name);
int __wrap_getgrouplist (const char *user, gid_t group, gid_t *groups, int *ngroups);
int __wrap_getaddrinfo (const char *node, const char *service, const struct addrinfo *hints,
                        struct addrinfo **res);
void __wrap_freeaddrinfo (struct addrinfo *res);
bool __wrap_mk_cgroup_io_weight_available (void);

static struct passwd users[] = {
  { (char *)"root", (char *)"x", 0, 0, (char *)"root", (char *)"/root", (char *)"/bin/sh" },
  { (char *)"fuzz", (char *)"x", 1000, 1000, (char *)"", (char *)"/home/fuzz", (char *)"/bin/sh" },
  { (char *)"nobody", (char *)"x", 65534, 65534, (char *)"", (char *)"/nonexistent",
    (char *)"/usr/sbin/nologin" },
};

static char *no_members[] = { NULL };
static struct group groups[] = {
  { (char *)"root", (char *)"x", 0, no_members },
  { (char *)"users", (char *)"x", 100, no_members },
  { (char *)"fuzz", (char *)"x", 1000, no_members },
};

struct passwd *
__wrap_getpwnam (const char *name)
{
  for (size_t i = 0; i < sizeof (users) / sizeof (*users); i++)
    if (strcmp (users[i].pw_name, name) == 0)
      return &users[i];
  return NULL;
}

struct passwd *
__wrap_getpwuid (uid_t uid)
{
  for (size_t i = 0; i < sizeof (users) / sizeof (*users); i++)
    if (users[i].pw_uid == uid)
      return &users[i];
  return NULL;
}

struct group *
__wrap_getgrnam (const char *name)
{
  for (size_t i = 0; i < sizeof (groups) / sizeof (*groups); i++)
    if (strcmp (groups[i].gr_name, name) == 0)
      return &groups[i];
  return NULL;
}

int
__wrap_getgrouplist (const char *user, gid_t group, gid_t *list, int *ngroups)
{
  gid_t mine[2] = { group, 100 };
  int n = group == 100 ? 1 : 2, room = *ngroups;
  (void)user;
  *ngroups = n;
  if (room < n)
    return -1;
  memcpy (list, mine, n * sizeof (gid_t));
  return n;
}

static struct addrinfo *
add (struct addrinfo *next, int family, const char *text)
{
  struct addrinfo *ai = calloc (1, sizeof (*ai));
  struct sockaddr_storage *ss = calloc (1, sizeof (*ss));
  if (ai == NULL || ss == NULL)
    abort ();
  ai->ai_family = family;
  ai->ai_socktype = SOCK_STREAM;
  ai->ai_addr = (struct sockaddr *)ss;
  if (family == AF_INET)
    {
      struct sockaddr_in *a = (struct sockaddr_in *)ss;
      a->sin_family = AF_INET;
      inet_pton (AF_INET, text, &a->sin_addr);
      ai->ai_addrlen = sizeof (*a);
    }
  else
    {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
      a->sin6_family = AF_INET6;
      inet_pton (AF_INET6, text, &a->sin6_addr);
      ai->ai_addrlen = sizeof (*a);
    }
  ai->ai_next = next;
  return ai;
}

int
__wrap_getaddrinfo (const char *node, const char *service, const struct addrinfo *hints,
                    struct addrinfo **res)
{
  unsigned char buf[16];
  (void)service;
  (void)hints;
  *res = NULL;
  if (node == NULL)
    return EAI_NONAME;
  if (inet_pton (AF_INET, node, buf) == 1)
    *res = add (NULL, AF_INET, node);
  else if (inet_pton (AF_INET6, node, buf) == 1)
    *res = add (NULL, AF_INET6, node);
  else if (strcmp (node, "localhost") == 0)
    *res = add (add (NULL, AF_INET6, "::1"), AF_INET, "127.0.0.1");
  else if (strcmp (node, "api.example.com") == 0)
    *res = add (add (NULL, AF_INET6, "2001:db8::10"), AF_INET, "192.0.2.10");
  else
    return EAI_NONAME;
  return 0;
}

void
__wrap_freeaddrinfo (struct addrinfo *res)
{
  while (res)
    {
      struct addrinfo *next = res->ai_next;
      free (res->ai_addr);
      free (res);
      res = next;
    }
}

bool
__wrap_mk_cgroup_io_weight_available (void)
{
  return true;
}
