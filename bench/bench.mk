# Benchmarks; included from Makefile.am:  include $(top_srcdir)/bench/bench.mk
#
#   make bench              bench/lifecycle (mkrun vs crun vs runc, /bin/true)
#   make bench-apps         bench/apps (mkrun -e vs bwrap, firejail, podman run
#                           --rootfs: /bin/true start to exit, and the memory
#                           of what stays around while a program runs)
#   make bench-noise        bench/noise/run (OS noise in a container: alone, next to a
#                           noisy neighbour, and with the HPC profile)
#
# Variables: MKRUN (default the one just built), BENCH_ROUNDS (default 40;
# 30 for bench-apps); bench-noise reads SAMPLES, SUPERSTEPS, QUANTUM_US, CPUS,
# OUTDIR, ... from the environment (see bench/noise/run).

# Built on demand by "make bench" (bench/lifecycle compiles it itself if absent).
EXTRA_PROGRAMS = bench/lifecycle-timer
bench_lifecycle_timer_SOURCES = bench/lifecycle-timer.c

.PHONY: bench
bench: bench/lifecycle-timer$(EXEEXT) $(bin_PROGRAMS)
	MKRUN="$${MKRUN:-$(abs_top_builddir)/mkrun}" \
	TIMER="$(abs_top_builddir)/bench/lifecycle-timer$(EXEEXT)" \
	ROUNDS="$${BENCH_ROUNDS:-40}" $(top_srcdir)/bench/lifecycle

.PHONY: bench-apps
bench-apps: bench/lifecycle-timer$(EXEEXT) $(bin_PROGRAMS)
	MKRUN="$${MKRUN:-$(abs_top_builddir)/mkrun}" \
	TIMER="$(abs_top_builddir)/bench/lifecycle-timer$(EXEEXT)" \
	ROUNDS="$${BENCH_ROUNDS:-30}" $(top_srcdir)/bench/apps

# The probes are built -static by bench/noise/run itself, into the container's
# rootfs, with $(CC).
.PHONY: bench-noise
bench-noise: $(bin_PROGRAMS)
	MKRUN="$${MKRUN:-$(abs_top_builddir)/mkrun}" CC="$(CC)" \
	OUTDIR="$${OUTDIR-$(abs_top_builddir)/noise-out}" $(top_srcdir)/bench/noise/run

clean-local: clean-mkrun-bench
.PHONY: clean-mkrun-bench
clean-mkrun-bench:
	rm -f bench/lifecycle-timer$(EXEEXT)
	rm -rf noise-out
