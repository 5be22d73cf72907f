#!/usr/bin/env bats
# The app front end: `mkrun -e EXE --config FILE`, `mkrun app ...`,
# `mkrun yaml2oci`.  Each app runs on a read-only view of this host; the
# checks look from inside the app and from the host.  App names are unique
# to this file (their default cgroup is mkrun/app-NAME below ours).

load helpers

NETPROBE="$BATS_TEST_DIRNAME/../bin/netprobe"

setup() {
	requires root
	D="$BATS_TEST_TMPDIR/app"
	mkdir -p "$D"
	cd "$D"
	SERVERS=()
}

teardown() {
	local n
	for n in $(ls "$ROOT/.apps" 2>/dev/null); do
		"$MKRUN" --root "$ROOT" app rm --force "$n" >/dev/null 2>&1 || true
	done
	for n in "${SERVERS[@]}"; do kill "$n" 2>/dev/null || true; done
	cd /
}

# yaml NAME TEXT: writes $D/NAME.yaml
yaml() {
	printf '%s\n' "$2" >"$D/$1.yaml"
}

# app ARGS...: mkrun's app front end with our --root (stdin /dev/null).
app() {
	"$MKRUN" --root "$ROOT" "$@" </dev/null
}

# nothing_left: no app dir, no container.
nothing_left() {
	[ -z "$(ls -A "$ROOT/.apps" 2>/dev/null)" ]
	[ -z "$("$MKRUN" --root "$ROOT" list -q)" ]
}

# mem_cgroup_dir: our memory cgroup's directory (apps' cgroups go below it).
mem_cgroup_dir() {
	echo "/sys/fs/cgroup/memory$(grep -E '^[0-9]+:memory:' /proc/self/cgroup | cut -d: -f3)"
}

@test "app: the seed's hello world runs; output on the terminal and, timestamped, in the log" {
	yaml hello 'application:
  name: "t_hello"
  executable: "/bin/echo"

resources:
  cpu_limit: "1 core"
  mem_limit: "100MB"

filesystem:
  inputs: []
  outputs: []

network:
  access: "none"

dependencies:
  system_packages: []
  nim_packages: []

logging:
  level: "info"
  file: "./hello_app.log"'
	run app -e /bin/echo --config hello.yaml --app-args "Hello, World!"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "Hello, World!" ]
	# The log is relative to the YAML's directory.
	cat "$D/hello_app.log"
	grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z stdout Hello, World!$' "$D/hello_app.log"
	grep -q 'mkrun info: started t_hello (pid [0-9]*): /bin/echo' "$D/hello_app.log"
	grep -q 'mkrun info: t_hello exited with code 0' "$D/hello_app.log"
	nothing_left
	# nim_packages: accepted with a notice.
	sed -i 's/nim_packages: \[\]/nim_packages: ["jester"]/' hello.yaml
	run app -e /bin/echo --config hello.yaml
	[ "$status" -eq 0 ]
	[[ "$output" == *"dependencies.nim_packages are build-time only"* ]]
}

@test "app: --app-args is split like a shell (quotes, no expansion); the exit status and 128+N are mkrun's" {
	yaml args 'application:
  name: t_args
  executable: /bin/sh
  args: ["-c", "for a in \"$@\"; do echo \"[$a]\"; done; exit 3", "sh"]'
	run app --config args.yaml --app-args "one 'two three' \"four \\\"5\\\"\" \$HOME"
	echo "$output"
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = "[one]" ]
	[ "${lines[1]}" = "[two three]" ]
	[ "${lines[2]}" = '[four "5"]' ]
	[ "${lines[3]}" = '[$HOME]' ]
	# Killed by a signal: 128+N.
	yaml sig 'application:
  name: t_sig
  executable: /bin/sleep
  args: ["30"]'
	local bg pid rc=0 i
	app --config sig.yaml >/dev/null 2>&1 &
	bg=$!
	for ((i = 0; i < 50; i++)); do
		pid=$(app app status t_sig --json 2>/dev/null | jq -r .pid)
		[ "${pid:-0}" -gt 0 ] && break
		sleep 0.1
	done
	kill -9 "$pid"
	wait "$bg" || rc=$?
	[ "$rc" -eq 137 ]
	nothing_left
}

@test "app: an immutable view of the host: root read-only, /home /root hidden, /tmp private, inputs ro, outputs rw" {
	mkdir -p in bin
	echo data >in/f
	echo secret >"/tmp/mkrun-app-host-file.$$"
	printf '#!/bin/sh\n%s\n' "$(cat <<-'EOF'
		touch /etc/mkrun-x 2>&1 | grep -q 'Read-only file system' && echo etc-ro
		touch /usr/mkrun-x 2>&1 | grep -q 'Read-only file system' && echo usr-ro
		[ -z "$(ls /home)" ] && echo home-hidden
		[ -z "$(ls -A /root)" ] && echo root-hidden
		ls /tmp/mkrun-app-host-file.* >/dev/null 2>&1 || echo tmp-private
		echo x >/tmp/own && echo tmp-writable
		cat "$IN/f"
		touch "$IN/g" 2>&1 | grep -q 'Read-only file system' && echo input-ro
		echo hi >"$OUT/o" && echo output-rw
		[ "$(cat /proc/1/cmdline | tr '\0' ' ')" != "" ] && echo proc
		[ -c /dev/null ] && [ ! -e /dev/sda ] && echo dev-minimal
		[ -r "$0" ] && echo exe-dir-readable
	EOF
	)" >bin/probe
	chmod 755 bin/probe
	yaml view "application:
  name: t_view
  executable: ./bin/probe
filesystem:
  inputs: [./in]
  outputs: [./out/sub]
environment_variables:
  IN: $D/in
  OUT: $D/out/sub"
	run app --config view.yaml
	rm -f "/tmp/mkrun-app-host-file.$$"
	echo "$output"
	[ "$status" -eq 0 ]
	for w in etc-ro usr-ro home-hidden root-hidden tmp-private tmp-writable data input-ro output-rw proc dev-minimal exe-dir-readable; do
		grep -qx "$w" <<<"$output" || { echo "missing: $w"; return 1; }
	done
	# The output was created and holds what the app wrote; the host is untouched.
	[ "$(cat "$D/out/sub/o")" = hi ]
	[ ! -e /etc/mkrun-x ] && [ ! -e "$D/in/g" ]
	nothing_left
}

@test "app: the invoking user (SUDO_UID), no capabilities, no_new_privs, seccomp, no namespaces of its own" {
	# Under sudo the outputs are made with the user's rights: $D is uid
	# 65534's, as a sudo user's YAML directory is theirs (and reachable:
	# bats makes its run directory 0700).
	chmod o+x "$BATS_RUN_TMPDIR"
	chown 65534:65534 "$D"
	yaml user "application:
  name: t_user
  executable: /bin/sh
  args: [\"-c\", \"id -u; id -g; grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; unshare -U true 2>&1 || echo unshare-refused; touch $D/out/f\"]
filesystem:
  outputs: [./out]"
	SUDO_UID=65534 SUDO_GID=65534 run app --config user.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 65534 ]
	[ "${lines[1]}" = 65534 ]
	grep -qE '^CapEff:\s+0+$' <<<"$output"
	grep -qE '^CapBnd:\s+0+$' <<<"$output"
	grep -qE '^NoNewPrivs:\s+1$' <<<"$output"
	grep -qE '^Seccomp:\s+2$' <<<"$output"
	grep -q unshare-refused <<<"$output"
	# Outputs belong to the user.
	[ "$(stat -c %u "$D/out/f")" = 65534 ]
	# Root (no sudo): nobody (see security.bats), without capabilities.
	SUDO_UID= run app --config user.yaml
	[ "${lines[0]}" = 65534 ]
	grep -qE '^CapEff:\s+0+$' <<<"$output"
}

@test "app: application.user and workdir; logging.level filters mkrun's own lines" {
	yaml uw 'application:
  name: t_uw
  executable: /bin/sh
  args: ["-c", "id -un; pwd"]
  user: nobody
  workdir: /usr/share
logging:
  level: none
  file: ./uw.log'
	run app --config uw.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = nobody ]
	[ "${lines[1]}" = /usr/share ]
	# none: the program's lines only.
	cat "$D/uw.log"
	[ "$(grep -c ' stdout ' "$D/uw.log")" -eq 2 ]
	if grep -q ' mkrun ' "$D/uw.log"; then return 1; fi
	# error: no lifecycle lines for a clean run; info: start and exit.
	sed -i 's/level: none/level: error/' uw.yaml
	: >"$D/uw.log"
	run app --config uw.yaml
	if grep -q ' mkrun ' "$D/uw.log"; then return 1; fi
	sed -i 's/level: error/level: info/' uw.yaml
	run app --config uw.yaml
	grep -q ' mkrun info: started t_uw' "$D/uw.log"
	grep -q ' mkrun info: t_uw exited with code 0' "$D/uw.log"
	# A user that does not exist: one error at its place.
	sed -i 's/user: nobody/user: no-such-user-x/' uw.yaml
	run app --config uw.yaml
	[ "$status" -eq 1 ]
	[[ "$output" == *"uw.yaml:5:9: application.user: no user \`no-such-user-x\` on this host"* ]]
	nothing_left
}

@test "app: restart always restarts a program that exits 0, until stopped" {
	yaml ra 'application:
  name: t_ra
  executable: /bin/sh
  args: ["-c", "echo run; sleep 0.2"]
  restart: always'
	run app app start --config ra.yaml
	[ "$status" -eq 0 ]
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(grep -c 'stdout run' "$ROOT/.apps/t_ra/output.log")" -ge 3 ] && break
		sleep 0.2
	done
	cat "$ROOT/.apps/t_ra/output.log"
	[ "$(grep -c 'stdout run' "$ROOT/.apps/t_ra/output.log")" -ge 3 ]
	[ "$(app status t_ra --json | jq .restarts)" -ge 2 ]
	run app stop t_ra
	[ "$status" -eq 0 ]
	[ "$(app status t_ra --json | jq -r .status)" = stopped ]
}

@test "app: the environment is exactly the YAML's plus PATH, HOME, TERM" {
	yaml env 'application:
  name: t_env
  executable: /usr/bin/env
environment_variables:
  API_KEY: "secret-key"
  DATABASE_URL: "https://example.com/db"'
	LEAK=1 TERM=vt100 run app --config env.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	# Root's app runs as nobody: its home is nobody's.
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "API_KEY=secret-key DATABASE_URL=https://example.com/db HOME=$(getent passwd nobody | cut -d: -f6) PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=vt100 " ]
}

@test "app: cpu_limit, mem_limit, pids_limit and io_priority reach the cgroup and the process" {
	yaml res 'application:
  name: t_res
  executable: /bin/sh
  args: ["-c", "cat /proc/self/cgroup >/dev/null; ionice -p $$ 2>/dev/null || true; sleep 30"]
resources:
  cpu_limit: "0.5 cores"
  mem_limit: "256MiB"
  pids_limit: 42
  io_priority: high'
	run app app start --config res.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	local cg pid
	pid=$(app app status t_res --json | jq -r .pid)
	[ "$pid" -gt 0 ]
	cg=$(grep -E '^[0-9]+:memory:' "/proc/$pid/cgroup" | cut -d: -f3)
	[ "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" = 268435456 ]
	cg=$(grep -E '^[0-9]+:cpu,cpuacct:|^[0-9]+:cpu:' "/proc/$pid/cgroup" | head -n1 | cut -d: -f3)
	[ "$(cat "/sys/fs/cgroup/cpu$cg/cpu.cfs_quota_us")" = 50000 ]
	[ "$(cat "/sys/fs/cgroup/cpu$cg/cpu.cfs_period_us")" = 100000 ]
	cg=$(grep -E '^[0-9]+:pids:' "/proc/$pid/cgroup" | cut -d: -f3)
	[ "$(cat "/sys/fs/cgroup/pids$cg/pids.max")" = 42 ]
	# io_priority high: best-effort level 0.
	[[ "$(ionice -p "$pid")" == "best-effort: prio 0" ]]
	run app app stop --time 1 t_res
	[ "$status" -eq 0 ]
}

@test "app: io_priority is the process's I/O priority; a cgroup I/O weight only where the host has one (yaml2oci)" {
	yaml iop 'application: {name: t_iop, executable: /bin/true}
resources: {io_priority: low}'
	run app yaml2oci iop.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -c .process.ioPriority <<<"$output")" = '{"class":"IOPRIO_CLASS_BE","priority":7}' ]
	local weight
	weight=$(jq .linux.resources.blockIO.weight <<<"$output")
	if has_io_weight; then
		[ "$weight" = 100 ]
	else
		[ "$weight" = null ]
		# and the app runs here.
		run app --config iop.yaml
		[ "$status" -eq 0 ]
	fi
}

@test "app: sizes: MB is decimal, MiB and M binary; cpu counts and percentages (yaml2oci)" {
	for pair in "100MB 100000000" "256MiB 268435456" "256M 268435456" "1G 1073741824" "1.5GB 1500000000"; do
		set -- $pair
		yaml size "application: {name: t_size, executable: /bin/true}
resources: {mem_limit: \"$1\"}"
		run app yaml2oci size.yaml
		[ "$status" -eq 0 ]
		[ "$(jq .linux.resources.memory.limit <<<"$output")" = "$2" ]
	done
	for pair in "1 core:100000" "2 cores:200000" "0.5 cores:50000" "50%:50000"; do
		yaml cpu "application: {name: t_cpu, executable: /bin/true}
resources: {cpu_limit: \"${pair%%:*}\"}"
		run app yaml2oci cpu.yaml
		[ "$status" -eq 0 ]
		[ "$(jq .linux.resources.cpu.quota <<<"$output")" = "${pair##*:}" ]
	done
}

@test "app: network none is its own namespace with loopback only; full is the host's" {
	yaml netnone 'application:
  name: t_netnone
  executable: /bin/sh
  args: ["-c", "readlink /proc/self/ns/net; ls /sys/class/net; cat /sys/class/net/lo/flags"]
network:
  access: none'
	run app --config netnone.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(readlink /proc/self/ns/net)" ]
	[ "${lines[1]}" = lo ]
	# lo is up (IFF_UP|IFF_LOOPBACK).
	[ "${lines[2]}" = 0x9 ]
	[ "${#lines[@]}" -eq 3 ]
	sed -i 's/access: none/access: full/; s/t_netnone/t_netfull/' netnone.yaml
	run app --config netnone.yaml
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/self/ns/net)" ]
}

@test "app: network limited: listed endpoints connect, others are refused (EPERM)" {
	[ -x "$NETPROBE" ] || skip "tests/bin/netprobe not built"
	local ok bad log
	log="$BATS_TEST_TMPDIR/serve.log"
	"$NETPROBE" serve 127.0.0.1 >"$log.1" 2>&1 3>&- &
	SERVERS+=($!)
	"$NETPROBE" serve 127.0.0.1 >"$log.2" 2>&1 3>&- &
	SERVERS+=($!)
	for ((i = 0; i < 50; i++)); do
		grep -q . "$log.1" && grep -q . "$log.2" && break
		sleep 0.1
	done
	ok=$(head -n1 "$log.1")
	bad=$(head -n1 "$log.2")
	yaml lim "application:
  name: t_lim
  executable: $NETPROBE
  args: [connect, 127.0.0.1, \"$ok\", hello]
network:
  access: limited
  allowed_endpoints:
    - \"127.0.0.1:$ok\"
    - \"no-such-host.invalid:80\""
	run app --config lim.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"pong hello"* ]]
	[[ "$output" == *"no-such-host.invalid"*"does not resolve"* ]]
	run app --config lim.yaml --app-args "" -e "$NETPROBE" --name t_lim2
	sed -i "s/\"$ok\", hello/\"$bad\", hello/; s/t_lim$/t_lim3/" lim.yaml
	run app --config lim.yaml
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	if grep -q hello "$log.2"; then return 1; fi
}

# build_examples: the examples' programs, built in $D/examples (a copy).
build_examples() {
	command -v cc >/dev/null || skip "no C compiler"
	cp -r "$BATS_TEST_DIRNAME/../../examples" "$D/examples"
	make -s -C "$D/examples" clean all
}

@test "app: unix sockets: B waits for A's socket, whichever starts first; B sees only the socket" {
	# Apps that declare unix sockets refuse to start where the host's
	# sockets cannot be kept out of reach (security.bats tests that).
	requires unix_guard
	build_examples
	cd "$D/examples/unix-sockets"
	: >/tmp/mkrun-app-host-file.$$
	# B first: it waits for an app listening on /tmp/socketA.
	app -e ./applicationB --config ApplicationB.yaml --name t_sockB >"$D/b.out" 2>&1 &
	local bpid=$!
	sleep 1
	kill -0 "$bpid" # still waiting
	grep -q 'waiting up to 30 s for an app listening on /tmp/socketA' "$D/b.out"
	run app app start --config ApplicationA.yaml --name t_sockA
	echo "$output"
	[ "$status" -eq 0 ]
	local rc=0
	wait "$bpid" || rc=$?
	rm -f /tmp/mkrun-app-host-file.$$
	cat "$D/b.out"
	[ "$rc" -eq 0 ]
	# Nothing of A's /tmp (a file put there from the host), nor of the
	# host's: only the socket, and the way to B's own directory when that
	# is under /tmp (the executable's directory is in every view).
	local own=""
	case "$D" in /tmp/*) own=" $(echo "${D#/tmp/}" | cut -d/ -f1)" ;; esac
	# seen TEXT: the names B lists, sorted (ext4 lists a small directory in
	# the order of its names' hashes: bats-run-05PjqJ comes before socketA).
	seen() {
		sed -n 's|^B: in /tmp I see: ||p' <<<"$1" | tr ' ' '\n' | sort | tr '\n' ' '
	}
	[ "$(seen "$(cat "$D/b.out")")" = "$(seen "B: in /tmp I see: socketA$own")" ]
	grep -qx 'B: sent "hello from B", answer: A got: hello from B' "$D/b.out"
	grep -q 'stdout A: got "hello from B"' ApplicationA.log
	# A first (it runs): B connects at once.
	: >"$ROOT/.apps/t_sockA/bundle/tmp/a-private"
	run app -e ./applicationB --config ApplicationB.yaml --name t_sockB2 --app-args "second"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *waiting* ]]
	[ "$(seen "${lines[0]}")" = "$(seen "B: in /tmp I see: socketA$own")" ]
	[ "${lines[1]}" = 'B: sent "second", answer: A got: second' ]
	# A's socket is in A's private /tmp on the host; B's is a bind of it.
	[ -S "$ROOT/.apps/t_sockA/bundle/tmp/socketA" ]
	run app app stop t_sockA
	[ "$status" -eq 0 ]
	grep -q 'stdout A: done' ApplicationA.log
	[ ! -e "$ROOT/.apps/t_sockB" ] && [ ! -e "$ROOT/.apps/t_sockB2" ]
}

@test "app: the examples run as written (hello, webapp with limited network)" {
	build_examples
	cd "$D/examples/hello"
	run app -e ./hello --config hello_config.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "Hello, World!" ]
	grep -q 'stdout Hello, World!' hello_app.log
	cd "$D/examples/webapp"
	run app app start --config webapp_config.yaml --app-args "--port 0"
	echo "$output"
	[ "$status" -eq 0 ]
	# api.example.com does not resolve here: a warning, not an error.
	[[ "$output" == *"api.example.com"*"does not resolve"* ]]
	local port="" i
	for ((i = 0; i < 50; i++)); do
		port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' web_app.log)
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ]
	# get PATH: one HTTP/1.0 request to the app, from the host.
	get() {
		exec 3<>"/dev/tcp/127.0.0.1/$port"
		printf 'GET %s HTTP/1.0\r\n\r\n' "$1" >&3
		cat <&3
		exec 3<&-
	}
	run get /
	echo "$output"
	[[ "$output" == *"200 OK"* ]]
	[ "${lines[-1]}" = "Hello, Web World!" ]
	# From inside: its own port is not an allowed endpoint.
	run get "/connect/127.0.0.1:$port"
	echo "$output"
	[ "${lines[-1]}" = "connect 127.0.0.1:$port: Operation not permitted" ]
	run app stop web_app
	[ "$status" -eq 0 ]
	grep -q 'stdout GET /$' web_app.log
	grep -q 'stdout stopping' web_app.log
	grep -q 'mkrun info: web_app exited with code 0' web_app.log
}

@test "app: root minimal: only the program, its interpreter and libraries, the packages' files, /etc basics" {
	# A script: its interpreter (/bin/sh, dash here) and dash's libraries
	# come too; busybox-static's one file (/bin/busybox) as a package.
	cat >"$D/probe" <<-'EOF'
		#!/bin/sh
		echo bin: /usr/bin/*
		echo lib: $(cd /usr/lib/x86_64-linux-gnu 2>/dev/null && echo *)
		echo top: /*
		/bin/busybox grep -c "^root:" /etc/passwd
		[ -e /var ] || echo no /var
		/bin/busybox touch /usr/x 2>/dev/null || echo root read-only
	EOF
	chmod 755 "$D/probe"
	yaml min "application: {name: t_min, executable: ./probe}
filesystem:
  root: minimal
dependencies:
  system_packages: [busybox-static]"
	run app --config min.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "bin: /usr/bin/busybox /usr/bin/sh" ]
	# The libraries are the loader's answer for the shell, no more.
	local want
	want=$(/lib64/ld-linux-x86-64.so.2 --list "$(readlink -f /bin/sh)" |
		sed -n 's|.*=> /.*/x86_64-linux-gnu/\([^ ]*\) .*|\1|p' | sort | tr '\n' ' ')
	[ "${lines[1]}" = "lib: ${want% }" ]
	# No host directory but those made for the mounts (bin lib lib32 lib64
	# sbin are the host's merged-/usr links; tmp is where $D is).
	[[ "${lines[2]}" != *"/var"* && "${lines[2]}" != *"/opt"* && "${lines[2]}" != *"/srv"* ]]
	[ "${lines[3]}" = 1 ]
	[ "${lines[4]}" = "no /var" ]
	[ "${lines[5]}" = "root read-only" ]
	# yaml2oci shows the binds.
	run app yaml2oci min.yaml
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '[.mounts[].destination] | index("/bin/busybox") and index("/bin/sh") and index("/etc/passwd")'
	echo "$output" | jq -e '[.mounts[].destination] | index("/usr") | not'
	nothing_left
	# A library the loader cannot find: one error naming it, nothing left.
	command -v cc >/dev/null || skip "no C compiler for the missing-library case"
	printf 'int foo (void) { return 1; }\n' >"$D/foo.c"
	printf 'int foo (void); int main (void) { return foo (); }\n' >"$D/prog.c"
	cc -shared -fPIC -o "$D/libmkfoo.so" "$D/foo.c"
	cc -o "$D/prog" "$D/prog.c" -L"$D" -lmkfoo
	rm "$D/libmkfoo.so"
	run app -e "$D/prog" --config min.yaml
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"min.yaml:3:9: filesystem.root: minimal: \`$D/prog\` needs libraries this host does not have: libmkfoo.so"* ]]
	nothing_left
}

@test "app: start -d, status, list, logs, monitor, stop (SIGTERM reaches it), rm" {
	yaml svc 'application:
  name: t_svc
  executable: /bin/sh
  args: ["-c", "trap \"echo got-term; exit 0\" TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"]
resources:
  mem_limit: 64MiB'
	run app app start --config svc.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	sleep 0.5
	run app app status t_svc
	echo "$output"
	[[ "$output" == *"status:    running"* ]]
	[[ "$output" =~ pid:\ +[0-9]+ ]]
	run app status t_svc --json
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r .restarts <<<"$output")" = 0 ]
	run app app list
	[[ "$output" == *t_svc*running* ]]
	run app logs --tail 2 t_svc
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == *" stdout tick "* ]]
	run app monitor --once --json t_svc
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq .memory_limit <<<"$output")" = 67108864 ]
	[ "$(jq '.pids >= 1' <<<"$output")" = true ]
	[ "$(jq '.memory_bytes > 0' <<<"$output")" = true ]
	# On a terminal each sample redraws the screen in place (as top does);
	# into a pipe, plain lines.
	run script -qec "timeout 1.5 $MKRUN --root $ROOT app monitor --interval 0.2 t_svc" /dev/null
	[ "$(grep -o $'\033\\[H\033\\[2J' <<<"$output" | wc -l)" -ge 2 ]
	run timeout 1.5 "$MKRUN" --root "$ROOT" app monitor --interval 0.2 t_svc
	[[ "$output" != *$'\033'* ]]
	[ "$(grep -c '^t_svc ' <<<"$output")" -ge 2 ]
	run app stop t_svc
	[ "$status" -eq 0 ]
	run app app status t_svc --json
	echo "$output"
	[ "$(jq -r .status <<<"$output")" = stopped ]
	[ "$(jq -r .exit_code <<<"$output")" = 0 ]
	grep -q 'stdout got-term' "$ROOT/.apps/t_svc/output.log"
	# The name is taken until rm.
	run app app start --config svc.yaml
	[ "$status" -eq 1 ]
	[[ "$output" == *"app \`t_svc\` already exists"* ]]
	# Started again by name: the same config, the old output still in the log.
	run app app start t_svc
	echo "$output"
	[ "$status" -eq 0 ]
	sleep 0.3
	[ "$(app status t_svc --json | jq -r .status)" = running ]
	grep -q 'stdout got-term' "$ROOT/.apps/t_svc/output.log"
	[ "$(grep -c 'stdout tick 0$' "$ROOT/.apps/t_svc/output.log")" -eq 2 ]
	run app restart t_svc
	[ "$status" -eq 0 ]
	sleep 0.3
	[ "$(grep -c 'stdout tick 0$' "$ROOT/.apps/t_svc/output.log")" -eq 3 ]
	[ "$(app status t_svc --json | jq -r .status)" = running ]
	run app app rm --force t_svc
	[ "$status" -eq 0 ]
	nothing_left
}

@test "app: restart on-failure with a backoff; the log records each restart" {
	yaml rs 'application:
  name: t_rs
  executable: /bin/sh
  args: ["-c", "echo run; exit 2"]
  restart: on-failure
logging:
  level: info'
	run app app start --config rs.yaml
	[ "$status" -eq 0 ]
	sleep 1.2
	run app app status t_rs --json
	echo "$output"
	[ "$(jq '.restarts >= 2' <<<"$output")" = true ]
	grep -q 'restarting t_rs in 100 ms' "$ROOT/.apps/t_rs/output.log"
	grep -q 'restarting t_rs in 200 ms' "$ROOT/.apps/t_rs/output.log"
	run app app stop t_rs
	[ "$status" -eq 0 ]
	run app app status t_rs --json
	[ "$(jq -r .status <<<"$output")" = stopped ]
}

@test "app: the log is complete when the program is SIGKILLed or OOM-killed" {
	yaml kl "application:
  name: t_kl
  executable: /bin/sh
  args: [\"-c\", \"echo before; sleep 30\"]
logging:
  level: info
  file: $D/kl.log"
	run app app start --config kl.yaml
	[ "$status" -eq 0 ]
	sleep 0.3
	kill -9 "$(app app status t_kl --json | jq -r .pid)"
	for ((i = 0; i < 50; i++)); do
		[ "$(app app status t_kl --json | jq -r .status)" = exited ] && break
		sleep 0.1
	done
	cat "$D/kl.log"
	grep -q 'stdout before' "$D/kl.log"
	grep -q 'killed by signal 9' "$D/kl.log"

	cat >"$D/oom.sh" <<-'EOF'
		#!/bin/sh
		echo start
		x=$(head -c 200000000 /dev/zero | tr '\0' a)
		echo survived
	EOF
	chmod 755 "$D/oom.sh"
	yaml oom "application:
  name: t_oom
  executable: ./oom.sh
resources:
  mem_limit: 32MiB
logging:
  level: info
  file: $D/oom.log"
	run app --config oom.yaml
	echo "$output"
	cat "$D/oom.log"
	grep -q 'stdout start' "$D/oom.log"
	grep -q 'killed by the OOM killer' "$D/oom.log"
	if grep -q survived "$D/oom.log"; then return 1; fi
}

@test "app: bad input names FILE:LINE:COL and the key, exits 1, leaves nothing" {
	# check CONTENT EXPECTED [ARGS...]
	check() {
		printf '%s\n' "$1" >"$D/bad.yaml"
		run app --config bad.yaml "${@:3}"
		echo "$output"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"$2"* ]] || { echo "expected: $2"; return 1; }
		nothing_left
	}
	mkdir -p notdir && : >afile && : >notexec
	check 'application:
  name: t_bad
  executable: /bin/true
resorces:
  cpu_limit: "1 core"' 'bad.yaml:4:1: unknown key `resorces` (did you mean `resources`?)'
	check 'application:
  name: t_bad
  exectuable: /bin/true' 'bad.yaml:3:3: unknown key `application.exectuable` (did you mean `application.executable`?)'
	check 'application: {name: t_bad, executable: /bin/true, args: {a: 1}}' 'bad.yaml:1:57: application.args: expected a list of strings, got a mapping'
	check 'application: {name: t_bad, executable: /bin/true}
resources:
  mem_limit: "12XB"' 'bad.yaml:3:14: resources.mem_limit: `12XB` is not a size'
	check 'application: {name: t_bad, executable: /bin/true}
resources:
  cpu_limit: "two cores"' 'bad.yaml:3:14: resources.cpu_limit: `two cores` is not a CPU count'
	check 'application: {name: t_bad, executable: /bin/true}
network: {access: limted}' 'network.access: `limted` is not one of none, limited, full (did you mean `limited`?)'
	check 'application: {name: t_bad, executable: /bin/true}
filesystem:
  inputs: [./missing]' "bad.yaml:3:12: filesystem.inputs[0]: \`$D/missing\`: No such file or directory"
	check 'application: {name: t_bad, executable: /bin/true}
filesystem:
  outputs: [./afile]' "bad.yaml:3:13: filesystem.outputs[0]: \`$D/afile\` is not a directory"
	check 'application: {name: t_bad, executable: /bin/true}
filesystem:
  outputs: [./o, ./o/sub]' "bad.yaml:3:18: filesystem.outputs[1]: \`$D/o/sub\` is inside the output \`$D/o\`, which the app can change"
	check 'application: {name: t_bad, executable: ./notexec}' "application.executable: \`$D/notexec\` is not an executable file"
	check 'application: {name: t_bad, executable: /bin/true}
dependencies:
  system_packages: [bash, no-such-package-x]' 'dependencies.system_packages: not installed: no-such-package-x (install with: apt-get install no-such-package-x)'
	check 'application: {name: t_bad, executable: /bin/true}
hpc: {cores: zero}' 'bad.yaml:2:14: hpc.cores: `zero` is neither a number of cores nor a cpu list'
	check 'application: {name: t_bad, executable: /bin/true}
network:
  unix_sockets: {enable: true, sockets: [{path: /var/socketA, type: listen}]}' 'bad.yaml:3:49: network.unix_sockets.sockets[0].path: `/var/socketA`: a socket'"'"'s path must be a file under /tmp or /run'
	check 'application: {name: t_bad, executable: /bin/true}
network:
  unix_sockets: {sockets: [{path: /tmp/socketA}]}' 'bad.yaml:3:28: network.unix_sockets.sockets[0]: needs a `type` (listen or connect)'
	check 'application: {name: t_bad, executable: /bin/true}
network:
  unix_sockets: {sockets: [{path: /tmp/socketA, type: conect}]}' '`conect` is not one of connect, listen (did you mean `connect`?)'
	# A connector whose listener never comes: a clear error after the timeout
	# (access full: no BPF LSM needed, see security.bats).
	check 'application: {name: t_bad, executable: /bin/true}
network:
  access: full
  unix_sockets: {timeout: 1, sockets: [{path: /tmp/nobody, type: connect}]}' 'bad.yaml:4:17: network.unix_sockets: no app listens on `/tmp/nobody` (waited 1 s'
	check 'application: [1, 2]' 'bad.yaml:1:14: application: expected a mapping, got a list'
	check 'application:
  name: t_bad
   executable: x' 'bad.yaml:3:'
	# A taken name: a running app of that name.
	yaml taken 'application: {name: t_taken, executable: /bin/sleep, args: ["30"]}'
	run app app start --config taken.yaml
	[ "$status" -eq 0 ]
	run app --config taken.yaml
	[ "$status" -eq 1 ]
	[[ "$output" == *"app \`t_taken\` is already running"* ]]
}

@test "app: yaml2oci prints the config; --bundle writes one that mkrun run runs" {
	yaml y 'application:
  name: t_y
  executable: /bin/echo
  args: [from, bundle]'
	run app yaml2oci y.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.process.args | join(" ")' <<<"$output")" = "/bin/echo from bundle" ]
	[ "$(jq -r .root.readonly <<<"$output")" = true ]
	[ "$(jq -r .process.noNewPrivileges <<<"$output")" = true ]
	[ "$(jq -r '.process.capabilities.bounding | length' <<<"$output")" = 0 ]
	[ "$(jq -r '.mounts[] | select(.destination == "/usr") | .options | index("rro") != null' <<<"$output")" = true ]
	[ "$(jq -r '.linux.namespaces | map(.type) | sort | join(",")' <<<"$output")" = "cgroup,ipc,mount,network,pid,uts" ]
	run app yaml2oci y.yaml --bundle "$D/bundle"
	[ "$status" -eq 0 ]
	[ -f "$D/bundle/config.json" ] && [ -d "$D/bundle/rootfs" ]
	run "$MKRUN" --root "$ROOT" run --bundle "$D/bundle" t_y_oci
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "from bundle" ]
}
