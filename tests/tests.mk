# Test targets; included from Makefile.am:  include $(top_srcdir)/tests/tests.mk
#
#   make check              -> check-local -> check-mkrun: tests/run.sh (host
#                              bats suite, then the cgroup v2 VM suite)
#   make check-host         only the host bats suite
#   make check-cgroupv2     only the cgroup v2 VM suite (tests/vm/run.sh)
#   make check-engines      only the engine suite (tests/engines/*.bats)
#   make check-faults       tests/faults: create/start/exec/delete cycles with
#                           SIGKILLs, nothing may be left (CYCLES=N, default
#                           1000; not part of make check: ~4 minutes on 2 cores)
#
# Variables: MKRUN (runtime under test, default the one just built),
# TESTFLAGS (passed to tests/run.sh, e.g. TESTFLAGS="-f kill lifecycle"),
# VM_TESTS (bats files run in the VM).

# "make check MKRUN=runc" reaches the recipes through the environment.
MKRUN_TEST_ENV = MKRUN="$${MKRUN:-$(abs_top_builddir)/mkrun}" top_builddir="$(abs_top_builddir)"

.PHONY: check-mkrun check-host check-cgroupv2 check-engines check-faults

check-mkrun: $(bin_PROGRAMS)
	$(MKRUN_TEST_ENV) $(top_srcdir)/tests/run.sh $(TESTFLAGS)

check-host: $(bin_PROGRAMS)
	$(MKRUN_TEST_ENV) $(top_srcdir)/tests/run.sh --host-only $(TESTFLAGS)

check-cgroupv2: $(bin_PROGRAMS)
	$(MKRUN_TEST_ENV) $(top_srcdir)/tests/run.sh --vm-only $(TESTFLAGS)

check-engines: $(bin_PROGRAMS)
	$(MKRUN_TEST_ENV) $(top_srcdir)/tests/run.sh --engines-only $(TESTFLAGS)

check-faults: $(bin_PROGRAMS) tests/bin/faultkill$(EXEEXT)
	$(MKRUN_TEST_ENV) CYCLES="$(CYCLES)" $(top_srcdir)/tests/faults

clean-local: clean-mkrun-tests
.PHONY: clean-mkrun-tests
clean-mkrun-tests:
	rm -rf $(top_builddir)/tests/logs $(top_srcdir)/tests/vm/work/initramfs \
		$(top_srcdir)/tests/vm/work/initramfs.cpio
