#!/usr/bin/env python3
"""tests/fuzz/make-dicts.py: writes the libFuzzer dictionaries tests/fuzz/TARGET.dict.

The words are the string literals the parsers compare with (taken from their
sources, so a new key shows up on the next run) plus the syntax and values
listed here.  Run from anywhere; rewrites the .dict files next to it."""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def literals(*files):
    words = set()
    for f in files:
        with open(os.path.join(TOP, f)) as fh:
            words.update(re.findall(r'"([A-Za-z_][A-Za-z0-9_.:-]*)"', fh.read()))
    # Not words of the input: headers, error-message paths, environment names.
    return {w for w in words
            if not w.endswith('.h') and not re.match(r'^(linux|root|process)\.[a-z]', w)
            and not w.startswith('MKRUN_') and w not in ('NULL', 'getcwd', 'PATH', '_.-')}


def escape(word):
    out = ''
    for ch in word.encode():
        if ch in (0x22, 0x5c):
            out += '\\' + chr(ch)
        elif 0x20 <= ch < 0x7f:
            out += chr(ch)
        else:
            out += '\\x%02X' % ch
    return '"%s"' % out


def write(name, header, syntax, words, json_quoted=False):
    entries = list(syntax)
    for w in sorted(words):
        entries.append(w)
        if json_quoted:
            entries.append('"%s"' % w)
    seen, lines = set(), []
    for e in entries:
        if e not in seen:
            seen.add(e)
            lines.append(escape(e))
    with open(os.path.join(HERE, name + '.dict'), 'w') as fh:
        fh.write(''.join('# %s\n' % h for h in header.split('\n')))
        fh.write('\n'.join(lines) + '\n')


CAPS = ('CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP '
        'LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER '
        'SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE '
        'SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP '
        'MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF '
        'CHECKPOINT_RESTORE').split()
ARCHS = 'X86_64 X86 X32 AARCH64 ARM NATIVE PPC64LE S390X RISCV64'.split()
ANNOTATIONS = ['org.mkrun.init', 'org.mkrun.network.allow', 'org.mkrun.hpc.cores',
               'org.mkrun.hpc.hugepages', 'org.mkrun.hpc.numa', 'org.mkrun.hpc.thp',
               'org.mkrun.hpc.rt', 'org.mkrun.hpc.gpus', 'org.mkrun.hpc.irq',
               'io.kubernetes.cri.container-type', 'io.kubernetes.cri-o.ContainerType']

spec = literals('libcontainer/spec.c', 'libcontainer/seccomp.c', 'libcontainer/cgroups/resources.c')
spec |= {'CAP_' + c for c in CAPS} | {'SCMP_ARCH_' + a for a in ARCHS} | set(ANNOTATIONS)
spec |= {'read', 'write', 'openat', 'clone', 'clone3', 'mount', 'personality', 'socket', 'ptrace',
         'sandbox', '1.2.0', 'rootfs', '/proc', '/dev', '/sys', 'proc', 'tmpfs', 'sysfs', 'devpts',
         'mqueue', 'cgroup2', 'mode=755', 'size=65536k', 'uid=0', 'gid=5', '2-3,6', '2M:64',
         '127.0.0.1:53,[::1]:*'}
write('spec', 'tests/fuzz/spec.dict: config.json (made by tests/fuzz/make-dicts.py): the keys and\n'
      'values spec.c, seccomp.c and cgroups/resources.c compare with, capabilities,\n'
      'architectures, annotations; each bare and as a JSON string.',
      ['{', '}', '[', ']', ':', ',', 'null', '-1', '0', '4294967295', '4294967296',
       '18446744073709551615', '9223372036854775808', '1e400', '\\u0000', '\\n', '\\ud800'],
      spec, json_quoted=True)

app = literals('libcontainer/app/parse.c')
write('app', 'tests/fuzz/app.dict: the app YAML (made by tests/fuzz/make-dicts.py): the keys and\n'
      'values app/parse.c compares with, YAML syntax, typical values.',
      ['application:', 'resources:', 'filesystem:', 'network:', 'dependencies:',
       'environment_variables:', 'logging:', 'hpc:', 'unix_sockets:', 'sockets:',
       'allowed_endpoints:', '\n  ', '\n- ', '- ', '---', '...', '&a ', '*a', '!!str ', '!!map ',
       '? ', '|\n', '>\n', '{', '}', '[', ']', '"', "'", '~', '1 core', '0.5 cores', '50%', '100MB',
       '256MiB', '1G', '/tmp/s.sock', '/run/s.sock', 'api.example.com:443', '[::1]:80',
       'localhost:*', '192.0.2.1:53', '/bin/true', './prog', '2-3,6', '2M:64', 'fifo:10', 'all',
       '0,1', 'root', 'fuzz:users', '1000:100'],
      app)

write('hpc', 'tests/fuzz/hpc.dict: org.mkrun.hpc.* lines (made by tests/fuzz/make-dicts.py), and the\n'
      'fake GPUs\' UUIDs of hpc_fuzz.c.',
      [a + '=' for a in ANNOTATIONS[2:]] + ['\n', 'sandbox', 'org.mkrun.hpc.', 'always', 'madvise',
       'never', 'local', 'steer', 'none', 'all', 'fifo:', 'rr:', '2M:', '1G:', '2MB:', '1GB:', '-',
       ',', '99', '1023', '1024', 'GPU-', 'GPU-8c5d7f2e', '123456789abc',
       '8c5d7f2e-1b3a-4c6d-9e0f-123456789abd', '0f1e2d3c'],
      [])

write('netallow', 'tests/fuzz/netallow.dict: org.mkrun.network.allow (made by tests/fuzz/make-dicts.py).',
      ['0.0.0.0', '127.0.0.1', '192.0.2.10', '255.255.255.255', '[::1]', '[::]',
       '[::ffff:10.0.0.1]', '[2001:db8::1]', '[fe80::1%eth0]', ':*', ':443', ':65535', ':65536',
       ':0', ',', '*', '[', ']', ' ', '\t', ':'],
      [])

write('state', 'tests/fuzz/state.dict: state.json (made by tests/fuzz/make-dicts.py).',
      ['{', '}', '[', ']', ':', ',', 'true', 'false', 'null', '-1', '2147483648',
       '18446744073709551615', '\\u0000', '\\ud800', '"1.2.0"', '"running"'],
      ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner',
       'annotations', 'start_time', 'cgroup_path', 'freezer_file', 'owner_uid',
       'systemd_cgroup'], json_quoted=True)
