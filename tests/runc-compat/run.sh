#!/bin/bash
# runc's own integration suite (tests/integration/*.bats of Debian's runc
# source package, the suite youki also runs against itself) with mkrun in
# runc's place.
#
# Usage: tests/runc-compat/run.sh [--raw] [-f REGEX] [FILE.bats...]
#   FILE.bats  only these files of runc's suite (default: all of them)
#   -f REGEX   only tests whose name matches (bats -f)
#   --raw      report runc's verdicts as they are, without the expected
#              failures: how a runtime does on the suite (MKRUN=runc to see
#              what runc itself passes on this host)
#
# Each test's outcome is compared with tests/runc-compat/expected-failures
# ("FILE.bats: TEST NAME # why"): a failure listed there is reported as a
# skip with its reason; a failure not listed, or a listed test that passes,
# is "not ok" (the list must then shrink), unless its reason starts with
# "host: " (it fails on some machines of our kind, runc's too, and passes on
# others: either is accepted).  Prints TAP (one line a test,
# "FILE.bats: NAME") and, last, "N passed, N failed, N skipped".  Exits 1 on
# any "not ok".
#
# What runc's suite needs beside the runtime, made here in the work
# directory (RUNC_COMPAT_WORK, default tests/runc-compat/work of the build
# tree), once: the source (`apt-get source --download-only runc`: deb-src
# must be configured, as contrib/install-deps.sh does; or RUNC_SRC_DSC, a
# downloaded .dsc), unpacked with Debian's patches (dpkg-source -x); its
# images, from busybox-static instead of downloads (busybox: the applets
# with the directories, users and groups of Docker's busybox image; "debian": the same
# plus the static ldconfig and an ld.so.conf, all hooks.bats uses); and its
# helpers: recvtty and seccompagent are tests/bin/recvtty and
# tests/bin/seccomp-listener --agent (same command lines).  sd-helper is
# only for the systemd driver (RUNC_USE_SYSTEMD), not run here.
#
# Environment: MKRUN (the runtime, default the build's mkrun), top_builddir,
# RUNC_COMPAT_TIMEOUT (seconds a file of the suite may take, default 600:
# bats's own per-test timeout cannot be used, its watchdog is a background
# job that events.bats's `wait` would wait for).
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$HERE/../.." && pwd)
BUILDDIR=${top_builddir:-$SRCDIR}
WORK=${RUNC_COMPAT_WORK:-$BUILDDIR/tests/runc-compat/work}
EXPECT=$HERE/expected-failures
MKRUN=${MKRUN:-$BUILDDIR/mkrun}
case "$MKRUN" in */*) ;; *) MKRUN=$(command -v "$MKRUN" || echo "$MKRUN") ;; esac
unset BATS_TEST_TIMEOUT
FILE_TIMEOUT=${RUNC_COMPAT_TIMEOUT:-600}

RAW=0
FILTER=()
FILES=()
while [ $# -gt 0 ]; do
	case "$1" in
	--raw) RAW=1 ;;
	-f)
		FILTER=(-f "$2")
		shift
		;;
	-h | --help)
		sed -n '2,33p' "$0"
		exit 0
		;;
	-*)
		echo "runc-compat: unknown option $1" >&2
		exit 2
		;;
	*) FILES+=("${1##*/}") ;;
	esac
	shift
done

# setup_failed WHY: the suite could not be set up: one failing test.
setup_failed() {
	echo "1..1"
	echo "not ok 1 runc-compat: setup: $*"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
}

[ -x "$MKRUN" ] || setup_failed "runtime $MKRUN not found (build it, or set MKRUN)"
for t in bats jq gawk dpkg-source tar gcc nsenter script; do
	command -v "$t" >/dev/null || setup_failed "$t not found (contrib/install-deps.sh installs it)"
done
for b in recvtty seccomp-listener; do
	[ -x "$BUILDDIR/tests/bin/$b" ] || setup_failed "tests/bin/$b not built (make)"
done

mkdir -p "$WORK" || setup_failed "cannot make $WORK"
SRC=$WORK/runc

# The source, unpacked once with Debian's patches.
if [ ! -f "$SRC/tests/integration/helpers.bash" ]; then
	dl=$WORK/download
	rm -rf "$dl" "$SRC"
	mkdir -p "$dl"
	if [ -n "${RUNC_SRC_DSC:-}" ]; then
		dsc=$RUNC_SRC_DSC
	else
		apt-cache showsrc runc 2>/dev/null | grep '^Package: runc' >/dev/null ||
			setup_failed "no source package for runc: configure deb-src (contrib/install-deps.sh does) and run apt-get update"
		(cd "$dl" && apt-get source --download-only -q runc >download.log 2>&1) ||
			setup_failed "apt-get source --download-only runc failed: $(tail -n1 "$dl/download.log")"
		dsc=$(find "$dl" -maxdepth 1 -name 'runc_*.dsc' | head -n1)
	fi
	[ -f "$dsc" ] || setup_failed "no runc .dsc downloaded"
	dpkg-source -x "$dsc" "$SRC" >"$dl/unpack.log" 2>&1 ||
		setup_failed "dpkg-source -x $dsc failed: $(tail -n1 "$dl/unpack.log")"
fi
INTEG=$SRC/tests/integration
[ -f "$INTEG/helpers.bash" ] || setup_failed "$INTEG/helpers.bash missing"

# The images.
# (.v2: no /proc, /sys, /run, as Docker's busybox image that runc's suite
# downloads, whose mask.bats puts symlinks there.)
IMAGES=$WORK/images.v2
if [ ! -f "$IMAGES/debian.tar" ]; then
	rm -rf "$IMAGES"
	mkdir -p "$IMAGES/rootfs"
	"$SRCDIR/tests/make-rootfs.sh" "$IMAGES/rootfs" || setup_failed "make-rootfs.sh failed"
	rmdir "$IMAGES/rootfs/proc" "$IMAGES/rootfs/sys" "$IMAGES/rootfs/run"
	cat >"$IMAGES/rootfs/etc/passwd" <<-EOF
		root:x:0:0:root:/root:/bin/sh
		daemon:x:1:1:daemon:/usr/sbin:/bin/false
		bin:x:2:2:bin:/bin:/bin/false
		sys:x:3:3:sys:/dev:/bin/false
		sync:x:4:100:sync:/bin:/bin/sync
		mail:x:8:8:mail:/var/spool/mail:/bin/false
		www-data:x:33:33:www-data:/var/www:/bin/false
		operator:x:37:37:Operator:/var:/bin/false
		nobody:x:65534:65534:nobody:/home:/bin/false
	EOF
	cat >"$IMAGES/rootfs/etc/group" <<-EOF
		root:x:0:
		daemon:x:1:
		bin:x:2:
		sys:x:3:
		adm:x:4:
		tty:x:5:
		disk:x:6:
		wheel:x:10:root
		mail:x:12:
		www-data:x:33:
		operator:x:37:
		users:x:100:
		nogroup:x:65534:
	EOF
	tar -C "$IMAGES/rootfs" -cf "$IMAGES/busybox.tar" . || setup_failed "tar busybox"
	mkdir -p "$IMAGES/rootfs/lib" "$IMAGES/rootfs/etc/ld.so.conf.d"
	cp /sbin/ldconfig "$IMAGES/rootfs/bin/ldconfig.real" && rm -f "$IMAGES/rootfs/bin/ldconfig" &&
		mv "$IMAGES/rootfs/bin/ldconfig.real" "$IMAGES/rootfs/bin/ldconfig" ||
		setup_failed "no /sbin/ldconfig to copy"
	printf '/lib\ninclude /etc/ld.so.conf.d/*.conf\n' >"$IMAGES/rootfs/etc/ld.so.conf"
	tar -C "$IMAGES/rootfs" -cf "$IMAGES/debian.tar.tmp" . && mv "$IMAGES/debian.tar.tmp" "$IMAGES/debian.tar" ||
		setup_failed "tar debian"
	rm -rf "$IMAGES/rootfs"
fi
cat >"$INTEG/get-images.sh" <<EOF
#!/bin/bash
# Written by mkrun's tests/runc-compat/run.sh: images built from busybox-static.
echo 'BUSYBOX_IMAGE=$IMAGES/busybox.tar'
echo 'DEBIAN_IMAGE=$IMAGES/debian.tar'
EOF
chmod +x "$INTEG/get-images.sh"

# runc's setup_recvtty starts recvtty in the background and goes on: on a
# loaded machine the test's first `run --console-socket` can come before the
# socket exists (ENOENT, runc's as ours).  Wait for it, as a user would.
if ! grep -q 'mkrun: wait for the socket' "$INTEG/helpers.bash"; then
	sed -i '/("\$RECVTTY" --pid-file "\$dir\/pid" --mode null "\$CONSOLE_SOCKET" &) &/a\
	# mkrun: wait for the socket (tests/runc-compat/run.sh)\
	local _i; for _i in $(seq 100); do [ -S "$CONSOLE_SOCKET" ] \&\& break; sleep 0.05; done' "$INTEG/helpers.bash"
	grep -q 'mkrun: wait for the socket' "$INTEG/helpers.bash" || setup_failed "could not patch setup_recvtty in helpers.bash"
fi

# setup_seccompagent likewise: wait for the agent's socket.
if ! grep -q 'mkrun: wait for the agent' "$INTEG/helpers.bash"; then
	sed -i '/("\${SECCOMP_AGENT}" -socketfile="\$SECCCOMP_AGENT_SOCKET" -pid-file "\$BATS_TMPDIR\/seccompagent.pid" &) &/a\
	# mkrun: wait for the agent (tests/runc-compat/run.sh)\
	local _i; for _i in $(seq 100); do [ -S "$SECCCOMP_AGENT_SOCKET" ] \&\& break; sleep 0.05; done' "$INTEG/helpers.bash"
	grep -q 'mkrun: wait for the agent' "$INTEG/helpers.bash" || setup_failed "could not patch setup_seccompagent in helpers.bash"
fi

# The helpers, where helpers.bash looks for them.
mkdir -p "$SRC/contrib/cmd/recvtty" "$SRC/contrib/cmd/seccompagent"
ln -sfn "$BUILDDIR/tests/bin/recvtty" "$SRC/contrib/cmd/recvtty/recvtty"
cat >"$SRC/contrib/cmd/seccompagent/seccompagent" <<EOF
#!/bin/bash
# runc's seccompagent command line (-socketfile=PATH -pid-file FILE) for
# tests/bin/seccomp-listener --agent.
sock=/run/seccomp-agent.socket pidf=
while [ \$# -gt 0 ]; do
	case "\$1" in
	-socketfile=*) sock=\${1#-socketfile=} ;;
	-pid-file) pidf=\$2; shift ;;
	-pid-file=*) pidf=\${1#-pid-file=} ;;
	*) echo "seccompagent: unknown argument \$1" >&2; exit 2 ;;
	esac
	shift
done
exec "$BUILDDIR/tests/bin/seccomp-listener" --agent \${pidf:+--pid-file "\$pidf"} "\$sock"
EOF
chmod +x "$SRC/contrib/cmd/seccompagent/seccompagent"

# The expected failures: "FILE.bats: NAME" -> reason.
declare -A EXPECTED=()
if [ "$RAW" = 0 ]; then
	while IFS= read -r line; do
		case "$line" in "" | "#"*) continue ;; esac
		key=${line%% # *}
		[ "$key" = "$line" ] && setup_failed "expected-failures: no \" # reason\" in: $line"
		EXPECTED[$key]=${line#* # }
	done <"$EXPECT"
fi

if [ ${#FILES[@]} -eq 0 ]; then
	for f in "$INTEG"/*.bats; do FILES+=("${f##*/}"); done
fi

PASSED=0 FAILED=0 SKIPPED=0 N=0
FAILURES=()
declare -A SEEN=()
OUT=$(mktemp -d "${TMPDIR:-/tmp}/runc-compat.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
# report VERDICT NAME [COMMENT]: one TAP line, counted.
report() {
	N=$((N + 1))
	case "$1" in
	ok) PASSED=$((PASSED + 1)) ;;
	skip) SKIPPED=$((SKIPPED + 1)) ;;
	*) FAILED=$((FAILED + 1)) FAILURES+=("$2${3:+ ($3)}") ;;
	esac
	case "$1" in
	ok) echo "ok $N $2" ;;
	skip) echo "ok $N $2 # skip $3" ;;
	*) echo "not ok $N $2${3:+ # $3}" ;;
	esac
}
echo "# runc-compat: runc's suite from $(basename "$SRC")/$(sed -n 1p "$SRC/VERSION" 2>/dev/null) with RUNC=$MKRUN"
for f in "${FILES[@]}"; do
	[ -f "$INTEG/$f" ] || setup_failed "no $f in runc's suite"
	tap=$OUT/${f%.bats}.tap
	# On a terminal of its own (script(1)): runc's spec has "terminal":
	# true, and the tests that run such a container in the foreground use
	# the caller's terminal, as a user at a shell would.
	(cd "$INTEG" && RUNC=$MKRUN timeout -k 10 "$FILE_TIMEOUT" script -qec "$(printf '%q ' bats --tap "${FILTER[@]}" "$f") >$(printf %q "$tap") 2>&1" /dev/null </dev/null >/dev/null 2>&1)
	planned=0 seen=0
	while IFS= read -r line; do
		case "$line" in
		1..*) planned=${line#1..} ;;
		"ok "* | "not ok "*)
			seen=$((seen + 1))
			name=${line#ok } name=${name#not ok } name=${name#* }
			skipped=
			if [[ "$name" =~ ^(.*)\ \#\ [sS][kK][iI][pP]\ ?(.*)$ ]]; then
				name=${BASH_REMATCH[1]} skipped=${BASH_REMATCH[2]:-skipped}
			fi
			key="$f: $name"
			SEEN[$key]=1
			why=${EXPECTED[$key]:-}
			if [ -n "$skipped" ]; then
				report skip "$key" "$skipped"
			elif [ "${line%% *}" = ok ]; then
				if [ -n "$why" ] && [ "${why#host: }" = "$why" ]; then
					report fail "$key" "passes now: remove it from tests/runc-compat/expected-failures"
				else
					report ok "$key"
				fi
			elif [ -n "$why" ]; then
				report skip "$key" "expected failure: $why"
			else
				report fail "$key"
				# The test's own output, for the log.
				awk -v n="$seen" '/^(not )?ok / { c++; p = (c == n); next } p && /^#/' "$tap"
			fi
			;;
		esac
	done <"$tap"
	if [ "$seen" -lt "$planned" ]; then
		report fail "$f: $((planned - seen)) planned test(s) never reported (bats aborted, or the file took more than $FILE_TIMEOUT s)"
		sed 's/^/# /' "$tap" | tail -n 20
	fi
done
# A listed test that no longer exists (or was renamed) must leave the list.
if [ "$RAW" = 0 ] && [ ${#FILTER[@]} -eq 0 ]; then
	for key in "${!EXPECTED[@]}"; do
		in_run=0
		for f in "${FILES[@]}"; do [ "${key%%: *}" = "$f" ] && in_run=1; done
		[ "$in_run" = 1 ] && [ -z "${SEEN[$key]:-}" ] &&
			report fail "$key" "listed in expected-failures but not in runc's suite"
	done
fi
echo "1..$N"
if [ ${#FAILURES[@]} -gt 0 ]; then
	echo "# failed:"
	printf '#   %s\n' "${FAILURES[@]}"
fi
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
