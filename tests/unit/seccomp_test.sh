#!/bin/sh
# Builds and runs the seccomp unit test against libcontainer/seccomp.c.
# Usage: tests/unit/seccomp_test.sh   (from anywhere; CC and CFLAGS honoured)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(mktemp -d /tmp/mkrun-seccomp-build.XXXXXX)
trap 'rm -rf "$build"' EXIT
# config.h comes from configure; the code under test needs nothing from it.
if [ -f "$top/config.h" ]; then cp "$top/config.h" "$build/"; else : > "$build/config.h"; fi
${CC:-gcc} -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
  -Wno-missing-field-initializers -D_GNU_SOURCE ${CFLAGS:-} \
  -I "$build" -I "$top/libcontainer" \
  -o "$build/seccomp_test" "$top/tests/unit/seccomp_test.c" \
  "$top/libcontainer/seccomp.c" "$top/libcontainer/error.c" "$top/libcontainer/utils.c" \
  -lseccomp -lyajl
# The listener helper the bats tests use; static when the libraries allow.
${CC:-gcc} -std=gnu11 -Wall -Wextra -Werror -O2 -static -o "$build/seccomp-listener" \
  "$top/tests/bin-src/seccomp-listener.c" -lseccomp 2>/dev/null ||
  ${CC:-gcc} -std=gnu11 -Wall -Wextra -Werror -O2 -o "$build/seccomp-listener" \
    "$top/tests/bin-src/seccomp-listener.c" -lseccomp
SECCOMP_LISTENER=${SECCOMP_LISTENER:-$build/seccomp-listener} "$build/seccomp_test"
