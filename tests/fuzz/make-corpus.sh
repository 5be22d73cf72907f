#!/bin/bash
# tests/fuzz/make-corpus.sh [CAPTURE_DIR]: rebuilds the seed corpus
# tests/fuzz/corpus/TARGET from what the tests and the examples feed mkrun,
# then minimizes it (run.sh --merge: libFuzzer's -set_cover_merge=1 keeps a
# smallest set of files covering the same code).  Needs the fuzz targets
# (make fuzz-build), the mkrun just built and jq.
#   spec      `mkrun spec` (plain and --rootless), every update_config jq edit of
#             tests/bats and tests/engines applied to it, and CAPTURE_DIR/spec
#   app       examples/*/*.yaml and CAPTURE_DIR/app
#   state     CAPTURE_DIR/state
#   hpc       the org.mkrun.hpc.* annotations of the spec seeds, and the
#             org.mkrun.hpc.K=V arguments of the tests, as KEY=VALUE lines
#   netallow  the org.mkrun.network.allow values of the spec seeds
# CAPTURE_DIR holds what the bats suite gave mkrun, copied by
# tests/fuzz/capture-mkrun (state.json files exist only there):
#   MKRUN=$PWD/tests/fuzz/capture-mkrun MKRUN_REAL=$PWD/mkrun CAPTURE_DIR=/tmp/cap \
#     tests/run.sh --host-only
# Environment: MKRUN (default: the built ./mkrun), FUZZ_BUILD (run.sh's).
set -eu -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
MKRUN=${MKRUN:-$TOP/mkrun}
CAPTURE=${1:-}
RAW=$(mktemp -d /tmp/mkrun-corpus.XXXXXX)
trap 'rm -rf "$RAW"' EXIT

# add TARGET: stdin becomes a seed of TARGET, named by its hash.
add() {
	local tmp
	tmp=$(mktemp "$RAW/.in.XXXXXX")
	cat >"$tmp"
	mkdir -p "$RAW/$1"
	mv "$tmp" "$RAW/$1/$(sha1sum <"$tmp" | cut -c1-40)"
}

for t in spec app hpc netallow state; do mkdir -p "$RAW/$t"; done

# spec: the default configs, and the tests' jq edits of the default one.
"$MKRUN" spec --bundle "$RAW" && mv "$RAW/config.json" "$RAW/default.json"
add spec <"$RAW/default.json"
"$MKRUN" spec --rootless --bundle "$RAW" && add spec <"$RAW/config.json" && rm "$RAW/config.json"
# An expression is kept when it is written whole between single quotes
# (not spliced with shell variables) and jq takes it.
perl -0ne 'while (/update_config\s+\x27([^\x27]*)\x27(?=[\s;|&)])/g) { print "$1\0" }' \
	"$TOP"/tests/bats/*.bats "$TOP"/tests/engines/*.bats |
	while IFS= read -r -d '' expr; do
		jq "$expr" "$RAW/default.json" 2>/dev/null | add spec || true
	done
rm "$RAW/default.json"

# Captured files, without what only names this machine: the test run's temp
# dirs, the source tree, the cgroup the tests ran in.
if [ -n "$CAPTURE" ]; then
	for t in spec app state; do
		for f in "$CAPTURE/$t"/*; do
			[ -f "$f" ] || continue
			sed -e 's#/tmp/bats-run-[A-Za-z0-9]*/test/[0-9]*#/tmp/bats/test#g' \
				-e "s#$TOP/#/src/mkrun/#g" \
				-e 's#/[A-Za-z_.-]*/[0-9a-f]\{32\}/#/user.slice/session-1.scope/#g' \
				"$f" | add "$t"
		done
	done
fi
cp "$TOP"/examples/*/*.yaml "$RAW/app/"

# The annotations of the spec seeds.
for f in "$RAW"/spec/*; do
	jq -r '(.annotations // {}) | to_entries[]
		| select(.key | startswith("org.mkrun.hpc.") or startswith("io.kubernetes."))
		| "\(.key)=\(.value)"' "$f" 2>/dev/null | grep . | add hpc || true
	jq -j '.annotations["org.mkrun.network.allow"] // empty' "$f" 2>/dev/null | add netallow || true
done
grep -ho "org\.mkrun\.hpc\.[a-z]*=[^ '\"\$]*" "$TOP"/tests/bats/*.bats "$TOP"/tests/engines/*.bats |
	sort -u | while IFS= read -r line; do echo "$line" | add hpc; done
# Empty inputs (from configs without such annotations) are not seeds.
find "$RAW" -type f -empty -delete

for t in spec app hpc netallow state; do
	echo "$t: $(find "$RAW/$t" -type f | wc -l) raw seeds"
	rm -rf "${HERE:?}/corpus/$t"
	mkdir -p "$HERE/corpus/$t"
	cp "$RAW/$t"/* "$HERE/corpus/$t/" 2>/dev/null || true
done
# Minimized alone: not with the inputs fuzzing found (FUZZ_WORK).
FUZZ_WORK=$RAW/work "$HERE/run.sh" --merge spec app hpc netallow state
