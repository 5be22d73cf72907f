/* app_show.c: what the apps do: `mkrun app status|list|logs|monitor`.  */
#include "config.h"

#include "app/logs.h"
#include "app/monitor.h"
#include "app/supervise.h"
#include "app_cli.h"
#include "utils.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
duration (long long s, char *out, size_t n)
{
  if (s < 60)
    snprintf (out, n, "%llds", s);
  else if (s < 3600)
    snprintf (out, n, "%lldm%02llds", s / 60, s % 60);
  else
    snprintf (out, n, "%lldh%02lldm", s / 3600, (s / 60) % 60);
}

static void
print_status (const struct mk_app_record *r)
{
  struct mk_app_status st = mk_app_record_status (r);
  char up[32];
  printf ("name:      %s\nstatus:    %s\n", r->name, st.word);
  if (st.running)
    {
      duration ((mk_app_now_ms () - r->started_ms) / 1000, up, sizeof (up));
      printf ("pid:       %d\nuptime:    %s\n", (int)r->pid, up);
    }
  if (r->finished_ms)
    {
      printf ("exit code: %d", r->exit_code);
      if (r->oom)
        printf (" (killed by the OOM killer)");
      else if (r->signal)
        printf (" (signal %d, %s)", r->signal, strsignal (r->signal));
      printf ("\n");
    }
  printf ("restarts:  %d\n", r->restarts);
  if (r->log)
    printf ("log:       %s\n", r->log);
  if (r->config)
    printf ("config:    %s\n", r->config);
}

int
mk_cmd_app_status (struct mk_global *g, int argc, char **argv)
{
  struct mk_cli_app_name o = { .allow = "j" };
  struct mk_app_record *r = NULL;
  mk_error *err = NULL;
  int status;
  if (!mk_cli_app_parse_name (g, argc, argv, &o, &status))
    return status;
  if (mk_app_record_read (g->root, o.name, &r, &err) < 0)
    return mk_cli_fail (g, o.name, err);
  if (o.json)
    {
      _cleanup_free_ char *doc = mk_app_record_json (r, true);
      printf ("%s\n", doc);
    }
  else
    print_status (r);
  mk_app_record_free (r);
  return 0;
}

static void
print_row (const struct mk_app_record *r)
{
  struct mk_app_status st = mk_app_record_status (r);
  char code[16] = "-";
  if (r->finished_ms)
    snprintf (code, sizeof (code), "%d", r->exit_code);
  printf ("%-24s %-10s %-8d %-9d %s\n", r->name, st.word, st.running ? (int)r->pid : 0, r->restarts,
          code);
}

int
mk_cmd_app_list (struct mk_global *g, int argc, char **argv)
{
  bool json = false;
  _cleanup_strv_ char **names = NULL;
  mk_error *err = NULL;
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--json") == 0)
      json = true;
    else if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      {
        printf ("%s", mk_cli_app_help);
        return 0;
      }
    else
      return mk_cli_usage_error (g, "unexpected `%s`", argv[i]);
  if (mk_app_list (g->root, &names, &err) < 0)
    return mk_cli_fail (g, NULL, err);
  if (json)
    printf ("[");
  else
    printf ("%-24s %-10s %-8s %-9s %s\n", "NAME", "STATUS", "PID", "RESTARTS", "EXIT");
  for (size_t i = 0; names[i]; i++)
    {
      struct mk_app_record *r = NULL;
      if (mk_app_record_read (g->root, names[i], &r, NULL) < 0)
        continue;
      if (json)
        {
          _cleanup_free_ char *doc = mk_app_record_json (r, false);
          printf ("%s%s", i ? "," : "", doc);
        }
      else
        print_row (r);
      mk_app_record_free (r);
    }
  if (json)
    printf ("]\n");
  return 0;
}

static void
to_stdout (const char *buf, size_t len, void *arg)
{
  fwrite (buf, 1, len, stdout);
  fflush (stdout);
}

struct logs_opts
{
  bool follow;
  long long tail;
};

static int
logs_opt (struct mk_global *g, int c, const char *arg, void *ctx)
{
  struct logs_opts *o = ctx;
  if (c == 'f')
    o->follow = true;
  else if (mk_parse_int64 (arg, &o->tail) < 0 || o->tail < 0) /* -n, --tail */
    return mk_cli_usage_error (g, "--tail: `%s` is not a number of lines", arg);
  return 0;
}

int
mk_cmd_app_logs (struct mk_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "follow", no_argument, NULL, 'f' }, { "tail", required_argument, NULL, 't' },
    { "help", no_argument, NULL, 'h' },   { NULL, 0, NULL, 0 },
  };
  struct logs_opts o = { .tail = -1 };
  mk_error *err = NULL;
  const char *name;
  int status;
  if (!mk_cli_app_getopt (g, argc, argv, "fn:h", opts, logs_opt, &o, &name, &status))
    return status;
  if (mk_app_logs (g->root, name, o.tail, o.follow, to_stdout, NULL, &err) < 0)
    return mk_cli_fail (g, name, err);
  return 0;
}

static void
human (uint64_t b, char *out, size_t n)
{
  static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
  double v = (double)b;
  size_t i = 0;
  while (v >= 1024 && i + 1 < MK_ARRAY_SIZE (u))
    {
      v /= 1024;
      i++;
    }
  snprintf (out, n, i ? "%.1f%s" : "%.0f%s", v, u[i]);
}

struct monitor_opts
{
  const char *name;
  bool once, json;
  bool clear; /* each sample on a fresh screen */
  double interval;
};

static int
monitor_opt (struct mk_global *g, int c, const char *arg, void *ctx)
{
  struct monitor_opts *o = ctx;
  char *end;
  if (c == 'o')
    o->once = true;
  else if (c == 'j')
    o->json = true;
  else
    {
      o->interval = strtod (arg, &end);
      if (*end || o->interval < 0.1 || o->interval > 3600)
        return mk_cli_usage_error (g, "--interval: `%s` is not seconds (0.1 to 3600)", arg);
    }
  return 0;
}

static void
print_sample (const struct mk_app_sample *b, double cpu, void *arg)
{
  const struct monitor_opts *o = arg;
  char mem[32], lim[32], rd[32], wr[32], memcol[48], iocol[48];
  if (o->json)
    {
      printf ("{\"name\":\"%s\",\"cpu_percent\":%.1f,\"memory_bytes\":%llu,"
              "\"memory_limit\":%llu,\"io_read_bytes\":%llu,\"io_write_bytes\":%llu,"
              "\"pids\":%llu}\n",
              o->name, cpu, (unsigned long long)b->mem_bytes, (unsigned long long)b->mem_limit,
              (unsigned long long)b->io_read, (unsigned long long)b->io_write,
              (unsigned long long)b->pids);
      fflush (stdout);
      return;
    }
  human (b->mem_bytes, mem, sizeof (mem));
  if (b->mem_limit)
    human (b->mem_limit, lim, sizeof (lim));
  else
    snprintf (lim, sizeof (lim), "-");
  human (b->io_read, rd, sizeof (rd));
  human (b->io_write, wr, sizeof (wr));
  if (o->clear)
    printf ("\033[H\033[2J");
  printf ("%-20s %7s %21s %21s %6s\n", "NAME", "CPU %", "MEM / LIMIT", "IO READ / WRITE", "PIDS");
  snprintf (memcol, sizeof (memcol), "%s / %s", mem, lim);
  snprintf (iocol, sizeof (iocol), "%s / %s", rd, wr);
  printf ("%-20s %7.1f %21s %21s %6llu\n", o->name, cpu, memcol, iocol,
          (unsigned long long)b->pids);
  fflush (stdout);
}

int
mk_cmd_app_monitor (struct mk_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "once", no_argument, NULL, 'o' },     { "json", no_argument, NULL, 'j' },
    { "interval", required_argument, NULL, 'i' }, { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct monitor_opts o = { .interval = 1.0 };
  mk_error *err = NULL;
  int status;
  if (!mk_cli_app_getopt (g, argc, argv, "h", opts, monitor_opt, &o, &o.name, &status))
    return status;
  o.clear = !o.once && isatty (1);
  if (mk_app_monitor (g->root, o.name, o.interval, o.once, print_sample, &o, &err) < 0)
    return mk_cli_fail (g, o.name, err);
  return 0;
}
