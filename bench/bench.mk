# Benchmarks; included from Makefile.am:  include $(top_srcdir)/bench/bench.mk
#
#   make bench              bench/lifecycle (mkrun vs crun vs runc, /bin/true)
#
# Variables: MKRUN (default the one just built), BENCH_ROUNDS (default 40).

noinst_PROGRAMS += bench/lifecycle-timer
bench_lifecycle_timer_SOURCES = bench/lifecycle-timer.c

BENCH_ROUNDS ?= 40

.PHONY: bench
bench: bench/lifecycle-timer$(EXEEXT) $(bin_PROGRAMS)
	MKRUN="$(or $(MKRUN),$(abs_top_builddir)/mkrun)" \
	TIMER="$(abs_top_builddir)/bench/lifecycle-timer$(EXEEXT)" \
	ROUNDS="$(BENCH_ROUNDS)" $(top_srcdir)/bench/lifecycle
