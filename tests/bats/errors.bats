#!/usr/bin/env bats
# Error paths: exit status 1, a message naming the offending field, and
# nothing left behind (state dir, cgroup, processes, mounts).
# The message fragments are mkrun's own wording: the file is skipped under
# runc (whose wording differs); the exit codes and clean-up rules are the
# same for every runtime.

load helpers

setup() {
	requires root
	[[ "$MKRUN" == *runc ]] && skip "mkrun-specific messages"
	setup_busybox
	# A unique marker in the program's argv, and a test-owned relative
	# cgroup, so that leftovers can be found.
	MARKER=$((1000000 + RANDOM * 32 + BATS_TEST_NUMBER))
	CGREL="mkrun-errors-$$-$BATS_TEST_NUMBER"
	update_config '.process.args = ["sleep", "'"$MARKER"'"]
		| .linux.cgroupsPath = "'"$CGREL"'"'
}

teardown() {
	teardown_busybox
}

# Run the runtime with the container's stdio on files (terminal=false makes
# the container inherit them) and show the runtime's messages as output.
mkrun_err() {
	local rc=0
	mkrun "$@" </dev/null >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || rc=$?
	cat "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"
	return "$rc"
}

# The cgroup directories a relative cgroupsPath would land in: below the
# runtime's own cgroup (which is ours: it is our child) for each controller.
cgroup_dirs_for() {
	local rel=$1 c
	for c in memory pids cpu devices freezer unified; do
		echo "$(cgroup_path_of "$BASHPID" "$c")/$rel"
	done | sort -u
}

assert_nothing_left() {
	local id=$1 d i
	# No state dir.
	[ ! -e "$ROOT/$id" ] || { echo "state dir $ROOT/$id left behind"; return 1; }
	# No process (give a killed init a moment to be reaped).
	for ((i = 0; i < 30; i++)); do
		pgrep -f "sleep $MARKER" >/dev/null || break
		sleep 0.1
	done
	! pgrep -af "sleep $MARKER" || { echo "process left behind"; return 1; }
	# No process still rooted in the bundle.
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$BUNDLE/rootfs" ] &&
			{ echo "process ${p#/proc/} rooted in the bundle"; return 1; }
	done
	# No cgroup dir.
	for d in $(cgroup_dirs_for "$CGREL"); do
		[ ! -e "$d" ] || { echo "cgroup $d left behind"; return 1; }
	done
	# No mount of/under the bundle in our mount namespace.
	! grep -F "$BUNDLE" /proc/self/mountinfo || { echo "mount left behind"; return 1; }
	return 0
}

@test "errors: id already taken" {
	run mkrun_err create c1
	[ "$status" -eq 0 ]
	local pid
	pid=$(mkrun state c1 | jq -r .pid)

	run mkrun_err create c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
	[[ "$output" == *c1* ]]

	# The first container is intact.
	testcontainer c1 created
	[ "$(mkrun state c1 | jq -r .pid)" = "$pid" ]
	run mkrun delete -f c1
	[ "$status" -eq 0 ]
	assert_nothing_left c1
}

@test "errors: missing config.json" {
	rm "$BUNDLE/config.json"
	run mkrun_err create c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *config.json* ]]
	assert_nothing_left c1

	run mkrun_err run c1
	[ "$status" -eq 1 ]
	[[ "$output" == *config.json* ]]
	assert_nothing_left c1
}

@test "errors: config.json is not valid JSON" {
	echo '{"ociVersion": "1.0.2", ' >"$BUNDLE/config.json"
	run mkrun_err create c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *config.json* ]]
	assert_nothing_left c1
}

@test "errors: missing rootfs" {
	update_config '.root.path = "no-such-rootfs"'
	run mkrun_err create c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *root.path* ]]
	assert_nothing_left c1
}

@test "errors: mount source missing" {
	update_config '.mounts += [{"destination": "/mnt", "type": "bind",
		"source": "/no-such-source-'"$MARKER"'", "options": ["bind"]}]'
	local n
	n=$(($(jq '.mounts | length' "$BUNDLE/config.json") - 1))

	run mkrun_err create c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"mounts[$n]"* ]]
	[[ "$output" == *source* ]]
	assert_nothing_left c1

	run mkrun_err run c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"mounts[$n]"* ]]
	assert_nothing_left c1
}

@test "errors: unknown namespace type" {
	update_config '.linux.namespaces[0].type = "bogus"'
	run mkrun_err create c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.namespaces[0].type"* ]]
	assert_nothing_left c1
}

@test "errors: process.args not an array of strings" {
	update_config '.process.args = ["sh", 1]'
	run mkrun_err create c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"process.args: expected an array of strings"* ]]
	assert_nothing_left c1

	update_config '.process.args = "sh"'
	run mkrun_err create c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"process.args: expected an array of strings"* ]]
	assert_nothing_left c1
}

@test "errors: unknown signal" {
	run mkrun_err run -d c1
	[ "$status" -eq 0 ]
	testcontainer c1 running

	run mkrun kill c1 SIGNOSUCH
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *signal* ]]

	run mkrun kill c1 999
	[ "$status" -eq 1 ]
	[[ "$output" == *signal* ]]

	# The container was not touched.
	testcontainer c1 running
	run mkrun delete -f c1
	[ "$status" -eq 0 ]
	assert_nothing_left c1
}

@test "errors: start on a running container" {
	run mkrun_err run -d c1
	[ "$status" -eq 0 ]
	testcontainer c1 running

	run mkrun start c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *created* ]]
	testcontainer c1 running

	run mkrun delete -f c1
	[ "$status" -eq 0 ]
	assert_nothing_left c1
}

@test "errors: delete of a running container without --force" {
	run mkrun_err run -d c1
	[ "$status" -eq 0 ]
	testcontainer c1 running

	run mkrun delete c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *running* ]]
	testcontainer c1 running

	run mkrun delete --force c1
	[ "$status" -eq 0 ]
	assert_nothing_left c1
}

@test "errors: unknown container" {
	run mkrun state nosuch
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *nosuch* ]]
	run mkrun start nosuch
	[ "$status" -eq 1 ]
	run mkrun delete nosuch
	[ "$status" -eq 1 ]
	run mkrun kill nosuch KILL
	[ "$status" -eq 1 ]
}

@test "errors: program not found in the rootfs" {
	update_config '.process.args = ["/no-such-binary-'"$MARKER"'"]'
	run mkrun_err run c1
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *no-such-binary* ]]
	assert_nothing_left c1
}

# Inputs the fuzz targets (tests/fuzz/) found mishandled: each is refused
# with one clean line and status 1.  The inputs themselves are in
# tests/fuzz/regressions/, which `make fuzz-regress` runs under ASan.

# assert_one_line_error FRAGMENT: $output is one "mkrun: ..." line holding FRAGMENT.
assert_one_line_error() {
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
	[[ "$output" == "mkrun: "* ]]
	[[ "$output" == *"$1"* ]]
}

@test "errors (fuzz): an org.mkrun.hpc.* annotation given twice" {
	# jq cannot write a repeated key: add the second one as text.
	update_config '.annotations = {"org.mkrun.hpc.gpus": "0"}'
	sed -i 's/"org.mkrun.hpc.gpus": "0"/&, "org.mkrun.hpc.gpus": "1"/' "$BUNDLE/config.json"
	grep -c org.mkrun.hpc.gpus "$BUNDLE/config.json"
	run mkrun_err create c1
	assert_one_line_error "annotations: org.mkrun.hpc.gpus: given twice"
	assert_nothing_left c1
}

@test "errors (fuzz): control characters from config.json stay on one line" {
	update_config '.linux.rootfsPropagation = "bad\nline\u001b[2J"'
	run mkrun_err create c1
	assert_one_line_error 'linux.rootfsPropagation: unknown propagation `bad\nline\x1b[2J`'
	assert_nothing_left c1
}

@test "errors (fuzz): app YAML: an unknown logging.level; an hpc key given twice" {
	cat >"$BATS_TEST_TMPDIR/app.yaml" <<-'YAML'
		application:
		  executable: /bin/true
		logging:
		  level: bogus
	YAML
	run mkrun yaml2oci "$BATS_TEST_TMPDIR/app.yaml"
	assert_one_line_error 'app.yaml:4:10: logging.level: `bogus` is not one of none, error, warn, info, debug'

	cat >"$BATS_TEST_TMPDIR/app.yaml" <<-'YAML'
		application:
		  executable: /bin/true
		hpc:
		  cores: 1
		  gpus: 0
		  gpus: 1
	YAML
	run mkrun yaml2oci "$BATS_TEST_TMPDIR/app.yaml"
	assert_one_line_error "org.mkrun.hpc.gpus: given twice"
}
