#!/bin/bash
# What the VM harnesses (tests/vm/run.sh, tests/vm/systemd.sh) share:
# messages, the command line, the runtime to copy in, and the report of the
# TAP the guest wrote between markers on its second serial port.  Sourced
# with TAG (the test name prefix) and LOG_NAME (the message prefix) set.

log() { echo "$LOG_NAME: $*" >&2; }
# die MESSAGE: one failed pseudo-test, so that callers count the harness
# failure.
die() {
	log "$*"
	echo "1..1"
	echo "not ok 1 $TAG harness: $*"
	exit 1
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# vm_args HELP_LINES DEFAULT_TESTS ARG...: FILTER (-f) and TESTS (the
# files given, else DEFAULT_TESTS); -h prints lines HELP_LINES of $0.
vm_args() {
	local help=$1 default=$2
	shift 2
	FILTER=()
	while [ $# -gt 0 ]; do
		case "$1" in
		-f | --filter)
			FILTER=(-f "$2")
			shift 2
			;;
		-h | --help)
			sed -n "${help}p" "$0"
			exit 0
			;;
		*) break ;;
		esac
	done
	if [ $# -gt 0 ]; then
		TESTS=("$@")
	else
		read -r -a TESTS <<<"$default"
	fi
}

# vm_mkrun: MKRUN, resolved (default: the build's mkrun), or die.
vm_mkrun() {
	MKRUN=${MKRUN:-${top_builddir:-$SRCDIR}/mkrun}
	case "$MKRUN" in */*) ;; *) MKRUN=$(command -v "$MKRUN" || echo "$MKRUN") ;; esac
	[ -x "$MKRUN" ] || die "runtime $MKRUN not found (set MKRUN)"
	MKRUN=$(readlink -f "$MKRUN")
}

# vm_report TAPOUT CONSOLE QEMU_STATUS: the guest's TAP (between
# "=== MKRUN-VM-TAP-BEGIN" and "=== MKRUN-VM-TAP-END rc=N") on stdout with
# TAG in each name, its MKRUN-VM-INFO lines on stderr; exits with its rc,
# or fails when the guest did not finish.
vm_report() {
	local tap=$1 console=$2 qrc=$3 rc
	tr -d '\r' <"$tap" >"$tap.clean"
	sed -n 's/^MKRUN-VM-INFO: //p' "$tap.clean" | sed "s/^/$LOG_NAME: /" >&2
	if ! grep -q '^=== MKRUN-VM-TAP-END' "$tap.clean"; then
		log "the VM did not finish the tests (qemu status $qrc); last console lines:"
		tail -n 40 "$console" | tr -d '\r' >&2
		# Whatever TAP came back still counts.
		sed -n '/^=== MKRUN-VM-TAP-BEGIN/,$p' "$tap.clean" | sed '1d' |
			sed -E "s/^(ok|not ok) ([0-9]+) /\1 \2 $TAG /"
		echo "not ok 9999 $TAG harness: VM did not finish (timeout or crash, qemu status $qrc)"
		exit 1
	fi
	sed -n '/^=== MKRUN-VM-TAP-BEGIN/,/^=== MKRUN-VM-TAP-END/p' "$tap.clean" | sed '1d;$d' |
		sed -E "s/^(ok|not ok) ([0-9]+) /\1 \2 $TAG /"
	rc=$(sed -n 's/^=== MKRUN-VM-TAP-END rc=\([0-9]*\).*/\1/p' "$tap.clean")
	exit "${rc:-1}"
}
