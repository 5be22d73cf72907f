#!/usr/bin/env bats
# Container lifecycle: create/start/state/kill/delete/run/list/spec/features
# and the global CLI flags. Every OCI runtime (runc, crun) shares this
# behaviour; the tests are validated against runc.

load helpers

setup() {
	requires root
	setup_busybox
}

teardown() {
	teardown_busybox
}

# With process.terminal=false the container inherits the runtime's stdio, so
# a detached create/run under bats `run` would hold the output pipe open.
# Send the container's stdio to files; the runtime's own messages land in
# $BATS_TEST_TMPDIR/ctr.err together with the container's stderr.
mkrun_detached() {
	mkrun "$@" </dev/null >"$BATS_TEST_TMPDIR/ctr.out" 2>"$BATS_TEST_TMPDIR/ctr.err"
}

# state_field ID JQ-FILTER: print one field of `mkrun state ID`.
state_field() {
	mkrun state "$1" | jq -r "$2"
}

# wait_status ID STATUS [TENTHS]: poll `state` until STATUS (default 5 s).
wait_status() {
	local id=$1 want=$2 n=${3:-50} i
	for ((i = 0; i < n; i++)); do
		[ "$(mkrun state "$id" 2>/dev/null | jq -r .status 2>/dev/null)" = "$want" ] && return 0
		sleep 0.1
	done
	echo "container $id did not reach $want; state: $(mkrun state "$id" 2>&1)" >&2
	return 1
}

# wait_gone PID [TENTHS]: poll until the process disappears.
wait_gone() {
	local pid=$1 n=${2:-50} i
	for ((i = 0; i < n; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		# A zombie is gone too: this machine's pid 1 may never reap orphans.
		[ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.1
	done
	return 1
}

@test "lifecycle: create -> state created (pid, bundle, ociVersion, id, annotations)" {
	update_config '.process.args = ["sleep", "100"]
		| .annotations = {"org.mkrun.test": "lifecycle", "org.mkrun.other": "2"}'

	run mkrun_detached create c1
	[ "$status" -eq 0 ]

	run mkrun state c1
	[ "$status" -eq 0 ]
	echo "$output" | jq -e . >/dev/null

	[ "$(echo "$output" | jq -r .id)" = c1 ]
	[ "$(echo "$output" | jq -r .status)" = created ]
	[ "$(echo "$output" | jq -r '.ociVersion')" = 1.3.0 ]
	[ "$(echo "$output" | jq -r .bundle)" = "$(realpath "$BUNDLE")" ]
	[ "$(echo "$output" | jq -r '.annotations["org.mkrun.test"]')" = lifecycle ]
	[ "$(echo "$output" | jq -r '.annotations["org.mkrun.other"]')" = 2 ]

	local pid
	pid=$(echo "$output" | jq -r .pid)
	[ "$pid" -gt 0 ]
	[ -d "/proc/$pid" ]
	# The init is alive but has not exec'd the user program yet.
	! grep -q '^sleep' "/proc/$pid/cmdline"

	# A state dir exists under --root.
	[ -d "$ROOT/c1" ]
}

@test "lifecycle: create -> start -> running -> kill -> stopped -> delete" {
	update_config '.process.args = ["sleep", "100"]'

	run mkrun_detached create c1
	[ "$status" -eq 0 ]
	testcontainer c1 created
	local pid
	pid=$(state_field c1 .pid)

	run mkrun start c1
	[ "$status" -eq 0 ]
	testcontainer c1 running
	[ "$(state_field c1 .pid)" = "$pid" ]
	# The init is now the user program.
	[[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == "sleep 100"* ]]

	run mkrun kill c1 KILL
	[ "$status" -eq 0 ]
	wait_status c1 stopped
	testcontainer c1 stopped

	run mkrun delete c1
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/c1" ]
	! kill -0 "$pid" 2>/dev/null

	run mkrun state c1
	[ "$status" -ne 0 ]
}

@test "lifecycle: create's init waits, start returns quickly and runs the program" {
	update_config '.root.readonly = false
		| .process.args = ["sh", "-c", "echo started > /started; sleep 5"]'

	run mkrun_detached create c1
	[ "$status" -eq 0 ]
	# Nothing of the user program ran yet.
	sleep 0.3
	[ ! -e "$BUNDLE/rootfs/started" ]

	local t0 t1
	t0=$(date +%s%N)
	run mkrun start c1
	t1=$(date +%s%N)
	[ "$status" -eq 0 ]
	# start must not wait for the program (which sleeps 5 s).
	[ $(((t1 - t0) / 1000000)) -lt 2000 ]

	local i
	for ((i = 0; i < 50; i++)); do
		[ -e "$BUNDLE/rootfs/started" ] && break
		sleep 0.1
	done
	[ "$(cat "$BUNDLE/rootfs/started")" = started ]
	testcontainer c1 running
}

@test "lifecycle: run foreground returns the process exit status" {
	update_config '.process.args = ["sh", "-c", "echo hello-out; echo hello-err >&2; exit 7"]'
	run mkrun run c1
	[ "$status" -eq 7 ]
	[[ "$output" == *hello-out* ]]
	[[ "$output" == *hello-err* ]]

	update_config '.process.args = ["true"]'
	run mkrun run c2
	[ "$status" -eq 0 ]

	update_config '.process.args = ["false"]'
	run mkrun run c3
	[ "$status" -eq 1 ]
}

@test "lifecycle: run foreground when the caller ignores SIGCHLD" {
	# An ignored SIGCHLD is inherited across exec: mkrun must still wait for
	# its child (and not pass the ignored disposition to the program).
	update_config '.process.args = ["sh", "-c", "grep SigIgn /proc/self/status; exit 3"]'
	run timeout 20 bash -c "trap '' CHLD; exec \"\$0\" --root \"\$1\" run c1" "$MKRUN" "$ROOT"
	echo "$output"
	[ "$status" -eq 3 ]
	local ign
	ign=$(echo "${lines[0]}" | awk '$1 == "SigIgn:" { print $2 }')
	[ -n "$ign" ]
	# SIGCHLD is signal 17: bit 16 of the mask.
	[ $((0x$ign & (1 << 16))) -eq 0 ]
}

@test "lifecycle: run foreground: program killed by a signal -> 128+N" {
	update_config '.process.args = ["sleep", "100"]'

	(rc=0
	 mkrun run c1 </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 || rc=$?
	 echo "$rc" >"$BATS_TEST_TMPDIR/run.rc") 3>&- &
	local bg=$!
	wait_status c1 running

	run mkrun kill c1 KILL
	[ "$status" -eq 0 ]
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$BATS_TEST_TMPDIR/run.rc" ] && break
		sleep 0.1
	done
	wait "$bg" || true
	cat "$BATS_TEST_TMPDIR/run.out"
	[ "$(cat "$BATS_TEST_TMPDIR/run.rc")" -eq $((128 + 9)) ]
}

@test "lifecycle: run foreground without -d removes the container afterwards" {
	update_config '.process.args = ["true"]'
	run mkrun run c1
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/c1" ]
	run mkrun state c1
	[ "$status" -ne 0 ]
}

@test "lifecycle: run -d detaches and the container keeps running" {
	update_config '.process.args = ["sleep", "100"]'
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	testcontainer c1 running
	local pid
	pid=$(state_field c1 .pid)
	[ -d "/proc/$pid" ]

	run mkrun delete --force c1
	[ "$status" -eq 0 ]
	wait_gone "$pid"
}

@test "lifecycle: kill accepts KILL, SIGKILL and 9" {
	local sig id
	for sig in KILL SIGKILL 9; do
		id="c-$sig"
		update_config '.process.args = ["sleep", "100"]'
		run mkrun_detached run -d "$id"
		[ "$status" -eq 0 ]
		testcontainer "$id" running
		run mkrun kill "$id" "$sig"
		[ "$status" -eq 0 ]
		wait_status "$id" stopped
		run mkrun delete "$id"
		[ "$status" -eq 0 ]
	done
}

@test "lifecycle: kill defaults to SIGTERM and accepts TERM/SIGTERM/15 (trapped by the program)" {
	# pid 1 of a pid namespace only receives signals it handles: install a trap.
	update_config '.root.readonly = false
		| .process.args = ["sh", "-c", "trap \"echo got-term > /term; exit 0\" TERM; while :; do sleep 0.1; done"]'
	local sig id
	for sig in "" TERM SIGTERM 15; do
		id="c-${sig:-default}"
		rm -f "$BUNDLE/rootfs/term"
		run mkrun_detached run -d "$id"
		[ "$status" -eq 0 ]
		testcontainer "$id" running
		if [ -z "$sig" ]; then
			run mkrun kill "$id"
		else
			run mkrun kill "$id" "$sig"
		fi
		[ "$status" -eq 0 ]
		wait_status "$id" stopped
		[ "$(cat "$BUNDLE/rootfs/term")" = got-term ]
		run mkrun delete "$id"
		[ "$status" -eq 0 ]
	done
}

@test "lifecycle: kill --all signals every process of the container" {
	local marker=$((100000 + RANDOM))
	update_config '.process.args = ["sh", "-c", "sleep '"$marker"' & sleep '"$marker"' & wait"]'
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	testcontainer c1 running

	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(pgrep -fc "sleep $marker")" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(pgrep -fc "sleep $marker")" -ge 2 ]

	run mkrun kill --all c1 KILL
	[ "$status" -eq 0 ]
	wait_status c1 stopped
	for ((i = 0; i < 50; i++)); do
		pgrep -f "sleep $marker" >/dev/null || break
		sleep 0.1
	done
	! pgrep -f "sleep $marker"
}

@test "lifecycle: kill on a stopped container fails" {
	update_config '.process.args = ["sleep", "100"]'
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	run mkrun kill c1 KILL
	[ "$status" -eq 0 ]
	wait_status c1 stopped
	run mkrun kill c1 KILL
	[ "$status" -ne 0 ]
	# runc's words: containerd's shim maps them to NotFound.
	[[ "$output" == *"container not running"* ]]
}

@test "lifecycle: kill --all on a stopped container succeeds (as runc; ctr task rm -f relies on it)" {
	update_config '.process.args = ["true"]'
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	wait_status c1 stopped
	run mkrun kill --all c1 KILL
	[ "$status" -eq 0 ]
	run mkrun delete c1
	[ "$status" -eq 0 ]
}

@test "lifecycle: delete --force on a running container" {
	local marker=$((100000 + RANDOM))
	update_config '.process.args = ["sleep", "'"$marker"'"]'
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	testcontainer c1 running
	local pid
	pid=$(state_field c1 .pid)

	run mkrun delete --force c1
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/c1" ]
	wait_gone "$pid"
	! pgrep -f "sleep $marker"
	run mkrun state c1
	[ "$status" -ne 0 ]
}

@test "lifecycle: delete --force on a created container" {
	update_config '.process.args = ["sleep", "100"]'
	run mkrun_detached create c1
	[ "$status" -eq 0 ]
	local pid
	pid=$(state_field c1 .pid)
	run mkrun delete -f c1
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/c1" ]
	wait_gone "$pid"
}

@test "lifecycle: delete of a running container without --force fails" {
	update_config '.process.args = ["sleep", "100"]'
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	run mkrun delete c1
	[ "$status" -ne 0 ]
	testcontainer c1 running
}

@test "lifecycle: state/start/kill/delete of an unknown container fail" {
	local cmd
	for cmd in state start delete; do
		run mkrun "$cmd" nosuch
		[ "$status" -ne 0 ]
	done
	run mkrun kill nosuch KILL
	[ "$status" -ne 0 ]
}

@test "lifecycle: list (table, --format json, -q)" {
	update_config '.process.args = ["sleep", "100"]'
	run mkrun_detached create c1
	[ "$status" -eq 0 ]
	run mkrun_detached run -d c2
	[ "$status" -eq 0 ]

	run mkrun list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *ID*PID*STATUS*BUNDLE*CREATED* ]]
	[[ "$output" =~ c1\ +[0-9]+\ +created\ +$(realpath "$BUNDLE") ]]
	[[ "$output" =~ c2\ +[0-9]+\ +running\ +$(realpath "$BUNDLE") ]]

	run mkrun list --format json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq length)" -eq 2 ]
	[ "$(echo "$output" | jq -r '.[] | select(.id == "c1") | .status')" = created ]
	[ "$(echo "$output" | jq -r '.[] | select(.id == "c2") | .status')" = running ]
	[ "$(echo "$output" | jq -r '.[] | select(.id == "c2") | .bundle')" = "$(realpath "$BUNDLE")" ]
	[ "$(echo "$output" | jq -r '.[] | select(.id == "c2") | .pid')" -gt 0 ]

	run mkrun list -q
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort | tr '\n' ' ')" = "c1 c2 " ]
}

@test "lifecycle: list with no containers" {
	run mkrun list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run mkrun list --format json
	[ "$status" -eq 0 ]
	# runc prints "null" for an empty list; accept [] too.
	[[ "$output" == "[]" || "$output" == "null" ]]
}

@test "lifecycle: --pid-file on create and run -d" {
	update_config '.process.args = ["sleep", "100"]'
	run mkrun_detached create --pid-file "$BATS_TEST_TMPDIR/c1.pid" c1
	[ "$status" -eq 0 ]
	[ -s "$BATS_TEST_TMPDIR/c1.pid" ]
	[ "$(cat "$BATS_TEST_TMPDIR/c1.pid")" = "$(state_field c1 .pid)" ]

	# A relative pid file is relative to the caller's cwd.
	run mkrun_detached run -d --pid-file c2.pid c2
	[ "$status" -eq 0 ]
	[ -s "$BUNDLE/c2.pid" ]
	[ "$(cat "$BUNDLE/c2.pid")" = "$(state_field c2 .pid)" ]
}

@test "lifecycle: spec writes config.json; refuses to overwrite" {
	local d="$BATS_TEST_TMPDIR/spec"
	mkdir -p "$d"
	cd "$d"
	run "$MKRUN" spec
	[ "$status" -eq 0 ]
	[ -f config.json ]
	jq -e . config.json >/dev/null
	[ "$(jq -r .ociVersion config.json)" = 1.3.0 ]
	[ "$(jq -r .root.path config.json)" = rootfs ]
	[ "$(jq -r '.process.args | type' config.json)" = array ]
	jq -e '.linux.namespaces | map(.type) | index("pid") and index("mount")' config.json >/dev/null
	jq -e '.mounts | map(.destination) | index("/proc")' config.json >/dev/null

	run "$MKRUN" spec
	[ "$status" -ne 0 ]
}

@test "lifecycle: spec --rootless adds a user namespace with mappings" {
	local d="$BATS_TEST_TMPDIR/rootless"
	mkdir -p "$d"
	cd "$d"
	run "$MKRUN" spec --rootless
	[ "$status" -eq 0 ]
	jq -e '.linux.namespaces | map(.type) | index("user")' config.json >/dev/null
	[ "$(jq '.linux.uidMappings | length' config.json)" -ge 1 ]
	[ "$(jq '.linux.gidMappings | length' config.json)" -ge 1 ]
	[ "$(jq -r '.linux.uidMappings[0].containerID' config.json)" = 0 ]
}

@test "lifecycle: spec --bundle DIR writes DIR/config.json" {
	local d="$BATS_TEST_TMPDIR/other"
	mkdir -p "$d"
	run "$MKRUN" spec --bundle "$d"
	[ "$status" -eq 0 ]
	[ -f "$d/config.json" ]
	jq -e . "$d/config.json" >/dev/null
}

@test "lifecycle: create/run with --bundle from another cwd" {
	update_config '.process.args = ["sh", "-c", "exit 3"]'
	cd "$BATS_TEST_TMPDIR"
	run mkrun run --bundle "$BUNDLE" c1
	[ "$status" -eq 3 ]

	update_config '.process.args = ["sleep", "100"]'
	run mkrun_detached create -b "$BUNDLE" c2
	[ "$status" -eq 0 ]
	[ "$(state_field c2 .bundle)" = "$(realpath "$BUNDLE")" ]
}

@test "lifecycle: features prints JSON" {
	run "$MKRUN" features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e . >/dev/null
	[ -n "$(echo "$output" | jq -r '.ociVersionMin // empty')" ]
	# runtime-spec 1.3.0, with what its features-linux added.
	[ "$(echo "$output" | jq -r '.ociVersionMax')" = 1.3.0 ]
	echo "$output" | jq -e '.linux.memoryPolicy.modes | index("MPOL_BIND") and index("MPOL_WEIGHTED_INTERLEAVE")' >/dev/null
	echo "$output" | jq -e '.linux.memoryPolicy.flags | index("MPOL_F_STATIC_NODES")' >/dev/null
	echo "$output" | jq -e '.linux.netDevices.enabled == true' >/dev/null
	echo "$output" | jq -e '.linux.cgroup.systemd == true and .linux.cgroup.systemdUser == true' >/dev/null
	local ns
	for ns in pid network ipc uts mount; do
		echo "$output" | jq -e --arg ns "$ns" '.linux.namespaces | index($ns)' >/dev/null
	done
	echo "$output" | jq -e '.mountOptions | index("ro") and index("nosuid") and index("bind")' >/dev/null
	echo "$output" | jq -e '.hooks | index("prestart") and index("poststop")' >/dev/null
}

@test "lifecycle: --version" {
	run "$MKRUN" --version
	[ "$status" -eq 0 ]
	# runc's lines: NAME version X.Y.Z, commit: ..., spec: X.Y.Z
	[[ "${lines[0]}" =~ ^mkrun\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[[ "${lines[1]}" =~ ^commit:\ [0-9a-z]+$ ]]
	[[ "${lines[2]}" =~ ^spec:\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "lifecycle: --help for each command" {
	run "$MKRUN" --help
	[ "$status" -eq 0 ]
	local cmd
	for cmd in create start state kill delete run list spec features; do
		[[ "$output" == *"$cmd"* ]]
	done
	for cmd in create start state kill delete run list spec features; do
		run "$MKRUN" "$cmd" --help
		echo "$cmd: $status"
		[ "$status" -eq 0 ]
		[[ "$output" == *"$cmd"* ]]
	done
}

@test "lifecycle: unknown command fails" {
	run "$MKRUN" no-such-command
	[ "$status" -ne 0 ]
}

@test "lifecycle: --log FILE --log-format json records a JSON error line" {
	local log="$BATS_TEST_TMPDIR/mkrun.log"
	run mkrun --log "$log" --log-format json state nosuch
	[ "$status" -ne 0 ]
	[ -s "$log" ]
	cat "$log"
	# Every line is JSON; one of them is the error.
	jq -e . "$log" >/dev/null
	[ "$(jq -r 'select(.level == "error") | .msg' "$log" | wc -l)" -ge 1 ]
	[ -n "$(jq -r 'select(.level == "error") | .msg' "$log" | head -1)" ]
}

@test "lifecycle: state dir is per --root" {
	update_config '.process.args = ["sleep", "100"]'
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	local other="$BATS_TEST_TMPDIR/other-root"
	mkdir -p "$other"
	run "$MKRUN" --root "$other" state c1
	[ "$status" -ne 0 ]
	run "$MKRUN" --root "$other" list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "lifecycle: kill ID 0 asks whether it is alive (as runc; engines use it)" {
	update_config '.process.args = ["sleep", "100"]'
	run mkrun_detached run -d c1
	[ "$status" -eq 0 ]
	run mkrun kill c1 0
	echo "$output"
	[ "$status" -eq 0 ]
	testcontainer c1 running
	mkrun kill c1 KILL
	wait_status c1 stopped
	run mkrun kill c1 0
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
}

@test "lifecycle: options after the container ID (as runc's CLI takes them)" {
	update_config '.process.args = ["sleep", "100"]'
	run mkrun_detached run c1 -d
	[ "$status" -eq 0 ]
	testcontainer c1 running
	run mkrun update c1 --pids-limit 50
	echo "$output"
	[ "$status" -eq 0 ]
	run mkrun kill c1 KILL --all
	[ "$status" -eq 0 ]
	wait_status c1 stopped
	run mkrun delete c1 --force
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/c1" ]
	run mkrun list c1 -q
	[ "$status" -ne 0 ] # list takes no ID: an error even after the ID-like word
}

@test "lifecycle: run --keep leaves the stopped container for state, ps and delete (as runc)" {
	set_cgroups_path
	update_config '.process.args = ["true"]'
	run mkrun run --keep c1
	[ "$status" -eq 0 ]
	testcontainer c1 stopped
	run mkrun ps c1
	[ "$status" -eq 0 ]
	# Its cgroup is still there until delete.
	local d=/sys/fs/cgroup$REL_CGROUP_PATH
	[ "$(cgroup_mode)" = v2 ] || d=/sys/fs/cgroup/memory$REL_CGROUP_PATH
	[ -d "$d" ]
	mkrun delete c1
	[ ! -e "$ROOT/c1" ]
	[ ! -d "$d" ]
	run mkrun create --keep c2
	[ "$status" -eq 1 ]
}

@test "lifecycle: --debug: the steps on stderr, or in --log only (text or JSON)" {
	update_config '.process.args = ["echo", "hello"]'
	run mkrun --debug run c1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'level=debug msg="child process in init(): pid '* ]]
	[[ "$output" == *'level=debug msg="init: closing the pipe to signal completion: exec '* ]]
	[[ "$output" == *hello* ]]
	local log="$BATS_TEST_TMPDIR/log.json"
	run mkrun --debug --log "$log" --log-format json run c2
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	jq -e . "$log" >/dev/null
	[ "$(jq -r 'select(.level == "debug") | .msg' "$log" | grep -c 'nsexec container setup')" -eq 1 ]
	# Without --debug, no debug line anywhere.
	: >"$log"
	run mkrun --log "$log" run c3
	[ "$output" = hello ]
	[ ! -s "$log" ]
}

@test "lifecycle: crun's spellings: --cgroup-manager cgroupfs|systemd, run/create --config FILE" {
	update_config '.process.args = ["echo", "from-bundle"]'
	jq '.process.args = ["echo", "from-other-config"]' config.json >"$BATS_TEST_TMPDIR/other.json"
	run mkrun --cgroup-manager cgroupfs run --config "$BATS_TEST_TMPDIR/other.json" c1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = from-other-config ]
	run mkrun run -f "$BATS_TEST_TMPDIR/other.json" c1
	[ "$output" = from-other-config ]
	run mkrun run c1
	[ "$output" = from-bundle ]
	run mkrun run --config "$BATS_TEST_TMPDIR/none.json" c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"none.json"* ]]
	[ ! -e "$ROOT/c1" ]
	run mkrun --cgroup-manager nope run c1
	[ "$status" -eq 1 ]
	[ "$output" = "mkrun: --cgroup-manager: expected cgroupfs, systemd or disabled, not \`nope\` (see \`mkrun --help\`)" ]
	run mkrun --cgroup-manager disabled run c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"not supported"* ]]
	if [ ! -d /run/systemd/system ]; then
		run mkrun --cgroup-manager systemd run c1
		[ "$status" -eq 1 ]
		[[ "$output" == *"systemd is not running"* ]]
	fi
}

@test "lifecycle: --pidfd-socket sends a pidfd of the init (create, run) and of exec's process (as runc)" {
	local recv="$BATS_TEST_DIRNAME/../bin/recvtty" sock="$BATS_TEST_TMPDIR/pidfd.sock" out="$BATS_TEST_TMPDIR/pidfd.out"
	update_config '.process.args = ["sleep", "100"]'
	"$recv" --mode pidfd "$sock" >"$out" 2>&1 </dev/null &
	retry 50 0.1 test -S "$sock"
	run mkrun_detached create --pidfd-socket "$sock" c1
	[ "$status" -eq 0 ]
	retry 50 0.1 grep -q "^pid " "$out"
	[ "$(cat "$out")" = "pid $(mkrun state c1 | jq -r .pid)" ]
	mkrun start c1
	"$recv" --mode pidfd "$sock" >"$out" 2>&1 </dev/null &
	retry 50 0.1 test -S "$sock"
	mkrun exec -d --pidfd-socket "$sock" --pid-file "$BATS_TEST_TMPDIR/exec.pid" c1 sleep 50 \
		</dev/null >"$BATS_TEST_TMPDIR/exec.log" 2>&1
	retry 50 0.1 grep -q "^pid " "$out"
	[ "$(cat "$out")" = "pid $(cat "$BATS_TEST_TMPDIR/exec.pid")" ]
	# Nobody listening: a clear error, nothing left.
	run mkrun_detached run -d --pidfd-socket "$BATS_TEST_TMPDIR/none.sock" c2
	[ "$status" -eq 1 ]
	grep -q -- "run c2: --pidfd-socket: connect to console socket" "$BATS_TEST_TMPDIR/ctr.err"
	[ ! -e "$ROOT/c2" ]
	mkrun delete -f c1
}
