#!/bin/bash
# tests/unit/layering.sh: the core of libcontainer/ (its top directory and
# cgroups/) knows its extensions (hpc/, net/) only through extension.h: no
# file of it but extension.c, the table, includes their headers or calls
# them by name.  Nor does the core include the app front end's (app/).
# Run by make check (tests/bats/unit.bats); exit 0 = pass.
set -u
cd "$(dirname "$0")/../.." || exit 2
fail=0
for f in libcontainer/*.[ch] libcontainer/cgroups/*.[ch]; do
	[ "$f" = libcontainer/extension.c ] && continue
	if grep -Hn '#include "\(hpc\|net\|app\)/' "$f"; then
		echo "layering: $f includes an extension's (or the app's) header" >&2
		fail=1
	fi
	if grep -Hn '\bmk_\(hpc\|gpu\|netfilter\|unixguard\)_[a-z_]* *(' "$f"; then
		echo "layering: $f calls an extension by name" >&2
		fail=1
	fi
done
[ $fail = 0 ] && echo "layering: the core reaches its extensions only through extension.h"
exit $fail
