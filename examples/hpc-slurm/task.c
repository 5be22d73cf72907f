/* task.c: one task of the HPC example, run by mkrun under Slurm.

   Usage: task STORAGE ID NODE [crash]

   Reads the numbers in STORAGE/input/data.txt, prints a progress line for
   each, writes their sum to STORAGE/output/result-ID.txt, and tries to write
   where it may not (its input directory, /etc): mkrun's view of the host
   refuses those.  With "crash" it prints a line and dies of
   SIGSEGV half-way, before writing its result.  */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Creates PATH (and removes it again): prints whether the view allowed it.  */
static void
probe_write (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0)
    {
      printf ("probe %s: refused: %s\n", path, strerror (errno));
      return;
    }
  close (fd);
  unlink (path);
  printf ("probe %s: written\n", path);
}

int
main (int argc, char **argv)
{
  char path[4096];
  FILE *in, *out;
  long n, sum = 0;
  int count = 0;
  int crash = argc > 4 && strcmp (argv[4], "crash") == 0;

  if (argc < 4)
    {
      fprintf (stderr, "usage: task STORAGE ID NODE [crash]\n");
      return 2;
    }
  setvbuf (stdout, NULL, _IOLBF, 0);
  printf ("task %s on %s: start\n", argv[2], argv[3]);

  snprintf (path, sizeof (path), "%s/input/data.txt", argv[1]);
  in = fopen (path, "r");
  if (in == NULL)
    {
      fprintf (stderr, "task %s: %s: %s\n", argv[2], path, strerror (errno));
      return 1;
    }
  while (fscanf (in, "%ld", &n) == 1)
    {
      sum += n;
      count++;
      printf ("task %s: step %d: read %ld, sum %ld\n", argv[2], count, n, sum);
      if (crash && count == 2)
        {
          printf ("task %s: crashing now\n", argv[2]);
          fflush (stdout);
          raise (SIGSEGV);
        }
    }
  fclose (in);

  snprintf (path, sizeof (path), "%s/output/result-%s.txt", argv[1], argv[2]);
  out = fopen (path, "w");
  if (out == NULL || fprintf (out, "%ld\n", sum) < 0 || fclose (out) != 0)
    {
      fprintf (stderr, "task %s: %s: %s\n", argv[2], path, strerror (errno));
      return 1;
    }
  printf ("task %s: wrote %s\n", argv[2], path);

  snprintf (path, sizeof (path), "%s/input/escape-%s", argv[1], argv[2]);
  probe_write (path);
  probe_write ("/etc/escape-task");
  printf ("task %s: done, %d numbers, sum %ld\n", argv[2], count, sum);
  return 0;
}
