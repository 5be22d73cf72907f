# tests/fuzz/fuzz.mak: builds the libFuzzer targets with clang, apart from the
# normal build.  GNU make, not automake: `make fuzz-build` (tests/tests.mk)
# runs it with these variables:
#   FUZZ_CC      clang (configure's FUZZ_CC)
#   SRCDIR       the source tree's root; BUILDDIR the build tree's (config.h)
#   LIB_SOURCES  the library's sources (its .c files are used), relative to SRCDIR
#   DEP_CFLAGS, DEP_LIBS  yajl, libyaml, libseccomp, libcap, libbpf, libmnl, libsystemd
# The library is compiled again with -fsanitize=fuzzer-no-link,address,undefined
# into $(O)/lib (the normal objects are not touched); each target
# tests/fuzz/NAME_fuzz.c is linked with it into $(O)/NAME_fuzz.

O := $(BUILDDIR)/tests/fuzz/build
TARGETS := spec app hpc netallow state

SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-missing-field-initializers -fno-strict-aliasing $(SAN) \
	-iquote $(SRCDIR)/libcontainer -I$(BUILDDIR) $(DEP_CFLAGS)

# The host lookups app_fuzz answers itself (tests/fuzz/host_stubs.c).
APP_WRAP := getpwnam getpwuid getgrnam getgrouplist getaddrinfo freeaddrinfo \
	mk_cgroup_io_weight_available
APP_LDFLAGS := $(foreach f,$(APP_WRAP),-Wl,--wrap=$(f))

LIB_OBJS := $(patsubst %.c,$(O)/lib/%.o,$(filter %.c,$(LIB_SOURCES)))
BINS := $(patsubst %,$(O)/%_fuzz,$(TARGETS))

.PHONY: all
all: $(BINS)

$(O)/lib/%.o: $(SRCDIR)/%.c
	@mkdir -p $(@D)
	@echo "  CC(fuzz) $*.c"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(O)/libmkfuzz.a: $(LIB_OBJS)
	@rm -f $@
	@ar rcs $@ $^

$(O)/%.o: $(SRCDIR)/tests/fuzz/%.c
	@mkdir -p $(@D)
	@echo "  CC(fuzz) tests/fuzz/$*.c"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(O)/app_fuzz: $(O)/app_fuzz.o $(O)/host_stubs.o $(O)/libmkfuzz.a
	@echo "  LD(fuzz) $(@F)"
	@$(FUZZ_CC) $(SAN) -fsanitize=fuzzer $(APP_LDFLAGS) -o $@ $(filter %.o,$^) \
		$(O)/libmkfuzz.a $(DEP_LIBS)

$(O)/%_fuzz: $(O)/%_fuzz.o $(O)/libmkfuzz.a
	@echo "  LD(fuzz) $(@F)"
	@$(FUZZ_CC) $(SAN) -fsanitize=fuzzer -o $@ $< $(O)/libmkfuzz.a $(DEP_LIBS)

-include $(LIB_OBJS:.o=.d) $(patsubst %,$(O)/%_fuzz.d,$(TARGETS)) $(O)/host_stubs.d
.SECONDARY:
