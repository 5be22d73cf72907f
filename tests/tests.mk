# Test targets; included from Makefile.am:  include $(top_srcdir)/tests/tests.mk
#
#   make check              -> check-local -> check-mkrun: tests/run.sh (host
#                              bats suite, then the cgroup v2 VM suite)
#   make check-host         only the host bats suite
#   make check-cgroupv2     only the cgroup v2 VM suite (tests/vm/run.sh)
#   make check-engines      only the engine suite (tests/engines/*.bats)
#   make check-runc-compat  only runc's integration suite with mkrun in runc's
#                           place (tests/runc-compat/run.sh; part of make check)
#   make check-programs     only builds the unit tests (check_PROGRAMS), which
#                           tests/bats/unit.bats runs (host and VM suites)
#   make check-faults       tests/faults: create/start/exec/delete cycles with
#                           SIGKILLs, nothing may be left (CYCLES=N, default
#                           1000; not part of make check: ~4 minutes on 2 cores)
#
# Variables: MKRUN (runtime under test, default the one just built),
# TESTFLAGS (passed to tests/run.sh, e.g. TESTFLAGS="-f kill lifecycle"),
# VM_TESTS (bats files run in the VM).

# "make check MKRUN=runc" reaches the recipes through the environment.
MKRUN_TEST_ENV = MKRUN="$${MKRUN:-$(abs_top_builddir)/mkrun}" top_builddir="$(abs_top_builddir)"

.PHONY: check-mkrun check-host check-cgroupv2 check-engines check-runc-compat check-faults check-programs

check-programs: $(check_PROGRAMS)

check-mkrun: $(bin_PROGRAMS) check-programs fuzz-check-build
	$(MKRUN_TEST_ENV) $(top_srcdir)/tests/run.sh $(TESTFLAGS)

check-host: $(bin_PROGRAMS) check-programs fuzz-check-build
	$(MKRUN_TEST_ENV) $(top_srcdir)/tests/run.sh --host-only $(TESTFLAGS)

check-cgroupv2: $(bin_PROGRAMS) check-programs
	$(MKRUN_TEST_ENV) $(top_srcdir)/tests/run.sh --vm-only $(TESTFLAGS)

check-engines: $(bin_PROGRAMS)
	$(MKRUN_TEST_ENV) $(top_srcdir)/tests/run.sh --engines-only $(TESTFLAGS)

check-runc-compat: $(bin_PROGRAMS) $(noinst_PROGRAMS)
	$(MKRUN_TEST_ENV) $(top_srcdir)/tests/run.sh --runc-compat-only $(TESTFLAGS)

check-faults: $(bin_PROGRAMS) tests/bin/faultkill$(EXEEXT)
	$(MKRUN_TEST_ENV) CYCLES="$(CYCLES)" $(top_srcdir)/tests/faults

clean-local: clean-mkrun-tests
.PHONY: clean-mkrun-tests
clean-mkrun-tests:
	rm -rf $(top_builddir)/tests/logs $(top_builddir)/tests/runc-compat/work \
		$(top_srcdir)/tests/vm/work/initramfs \
		$(top_srcdir)/tests/vm/work/initramfs.cpio

# Fuzzing (tests/fuzz/): libFuzzer targets for the parsers of untrusted input,
# built with clang (configure's FUZZ_CC) apart from the normal build:
#   make fuzz-build              builds tests/fuzz/build/NAME_fuzz
#   make fuzz [FUZZ_SECONDS=60]  builds, then runs each target that long
#                                (FUZZ_TARGETS="spec app" for some of them);
#                                fails on any crash, sanitizer report or leak
#   make fuzz-regress            runs each target once on its seeds and on the
#                                inputs that once broke it (tests/fuzz/regressions/)
#   make fuzz-merge              minimizes the seed corpus with what fuzzing
#                                found (-set_cover_merge=1)
# `make check` (and check-host) builds the targets too when configure found
# clang, for tests/bats/fuzz.bats (fuzz-regress's runs, one test a target);
# without clang the targets are not built and those tests skip.
# New inputs accumulate in tests/fuzz/work/NAME/ of the build tree; a crash's
# input is saved in tests/fuzz/work/ as NAME-crash-* (leak-*, timeout-*).
FUZZ_SECONDS = 60
FUZZ_TARGETS = spec app hpc netallow state
FUZZ_MAKE = $(MAKE) -f $(abs_top_srcdir)/tests/fuzz/fuzz.mak FUZZ_CC="$(FUZZ_CC)" \
	SRCDIR="$(abs_top_srcdir)" BUILDDIR="$(abs_top_builddir)" \
	LIB_SOURCES="$(libcontainer_libmkcontainer_a_SOURCES)" \
	DEP_CFLAGS="$(YAJL_CFLAGS) $(YAML_CFLAGS) $(SECCOMP_CFLAGS) $(CAP_CFLAGS) $(BPF_CFLAGS) $(MNL_CFLAGS) $(SYSTEMD_CFLAGS)" \
	DEP_LIBS="$(YAJL_LIBS) $(YAML_LIBS) $(SECCOMP_LIBS) $(CAP_LIBS) $(BPF_LIBS) $(MNL_LIBS)"
FUZZ_ENV = FUZZ_BUILD="$(abs_top_builddir)/tests/fuzz/build" \
	FUZZ_WORK="$(abs_top_builddir)/tests/fuzz/work"

.PHONY: fuzz fuzz-build fuzz-check-build fuzz-regress fuzz-merge clean-fuzz
fuzz-check-build:
	+@if test -n "$(FUZZ_MISSING)"; then \
		echo "fuzz targets not built ($(FUZZ_MISSING)): tests/bats/fuzz.bats skips"; \
	else \
		$(FUZZ_MAKE) all; \
	fi

fuzz-build:
	@if test -n "$(FUZZ_MISSING)"; then \
		echo "make fuzz: clang with libFuzzer is needed: $(FUZZ_MISSING); then re-run ./configure" >&2; \
		exit 1; \
	fi
	+@$(FUZZ_MAKE) all

fuzz: fuzz-build
	$(FUZZ_ENV) $(top_srcdir)/tests/fuzz/run.sh --seconds "$(FUZZ_SECONDS)" $(FUZZ_TARGETS)

fuzz-regress: fuzz-build
	$(FUZZ_ENV) $(top_srcdir)/tests/fuzz/run.sh --regress $(FUZZ_TARGETS)

fuzz-merge: fuzz-build
	$(FUZZ_ENV) $(top_srcdir)/tests/fuzz/run.sh --merge $(FUZZ_TARGETS)

clean-local: clean-fuzz
clean-fuzz:
	rm -rf $(top_builddir)/tests/fuzz/build $(top_builddir)/tests/fuzz/work

# The fuzz build's outputs are not sources (EXTRA_DIST takes tests/ whole).
dist-hook:
	rm -rf $(distdir)/tests/fuzz/build $(distdir)/tests/fuzz/work
