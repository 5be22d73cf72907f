# Benchmarks; included from Makefile.am:  include $(top_srcdir)/bench/bench.mk
#
#   make bench              bench/lifecycle (mkrun vs crun vs runc, /bin/true)
#
# Variables: MKRUN (default the one just built), BENCH_ROUNDS (default 40).

# Built on demand by "make bench" (bench/lifecycle compiles it itself if absent).
EXTRA_PROGRAMS = bench/lifecycle-timer
bench_lifecycle_timer_SOURCES = bench/lifecycle-timer.c

.PHONY: bench
bench: bench/lifecycle-timer$(EXEEXT) $(bin_PROGRAMS)
	MKRUN="$${MKRUN:-$(abs_top_builddir)/mkrun}" \
	TIMER="$(abs_top_builddir)/bench/lifecycle-timer$(EXEEXT)" \
	ROUNDS="$${BENCH_ROUNDS:-40}" $(top_srcdir)/bench/lifecycle

clean-local: clean-mkrun-bench
.PHONY: clean-mkrun-bench
clean-mkrun-bench:
	rm -f bench/lifecycle-timer$(EXEEXT)
