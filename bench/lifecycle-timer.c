/* lifecycle-timer: run a command, report its wall time, CPU time and peak RSS.
 *
 *   lifecycle-timer COMMAND [ARG...]
 *
 * Prints one line on stdout:  WALL_MS CPU_MS MAXRSS_KB EXIT_STATUS
 *   WALL_MS    fork to the command's exit (CLOCK_MONOTONIC)
 *   CPU_MS     user+sys of the command and every descendant, including
 *              ones that were orphaned (we are a child subreaper and reap
 *              them all before reading RUSAGE_CHILDREN)
 *   MAXRSS_KB  ru_maxrss of RUSAGE_CHILDREN: the peak RSS of the largest
 *              single process among them
 * The command's stdin is /dev/null; its stdout and stderr are left alone.
 * Exit status: the command's (128+N if killed by signal N), 127 if exec failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static double tv_ms(const struct timeval *tv)
{
	return tv->tv_sec * 1e3 + tv->tv_usec / 1e3;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s COMMAND [ARG...]\n", argv[0]);
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		perror("prctl(PR_SET_CHILD_SUBREAPER)");

	double t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && fd != 0) {
			dup2(fd, 0);
			close(fd);
		}
		execvp(argv[1], argv + 1);
		fprintf(stderr, "lifecycle-timer: exec %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}

	int st = 0;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			perror("waitpid");
			return 2;
		}
	}
	double t1 = now_ms();

	/* Reap orphaned descendants (they are ours as subreaper); give up
	 * waiting after 10 s so that a leaked daemon cannot hang the bench. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: waitpid returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	alarm(10);
	for (;;) {
		pid_t p = waitpid(-1, NULL, 0);
		if (p < 0 && errno == EINTR && !timed_out)
			continue;
		if (p < 0)
			break;
	}
	alarm(0);

	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	printf("%.3f %.3f %ld %d\n", t1 - t0, tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime),
	       ru.ru_maxrss, code);
	return code;
}
