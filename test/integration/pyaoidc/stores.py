"""Real Debian redis-server / redis-sentinel deployments for the store tests,
all on 127.0.0.1, all under one temp dir, all stopped by stop_all():

    RedisServer(root, 'plain').start()                     plain
    RedisServer(root, 'pw', args=['--requirepass', 'x'])   requirepass
    RedisServer(root, 'acl', acl=('alice', 'pw'))          ACL user, default off
    RedisServer(root, 'tls', tls=make_tls(root))           TLS + client certs
    SentinelSet(root, n_sentinels=2).start()               master+replica+sentinels
    Cluster(root).start()                                  3 masters

and StoreCheck, a running `store_check URL ... repl` (one store object
driven line by line). A missing redis-server or redis-sentinel is an error
with a clear message, never a skip (test/tools/install-deps installs them).
"""

import os
import select
import shutil
import signal
import socket
import subprocess
import time

from pyaoidc.op import free_port

REDIS = shutil.which('redis-server') or '/usr/bin/redis-server'
SENTINEL = shutil.which('redis-sentinel') or '/usr/bin/redis-sentinel'
CLI = shutil.which('redis-cli') or '/usr/bin/redis-cli'


def require_binaries():
    missing = [b for b in (REDIS, SENTINEL, CLI) if not os.access(b, os.X_OK)]
    assert not missing, ('missing %s: run test/tools/install-deps (redis-server, '
                         'redis-sentinel)' % ', '.join(missing))


def store_check_exe():
    """The built test/tools/store_check: $AOIDC_STORE_CHECK, else beside the
    module's build tree ($AOIDC_MODULE = BUILD/src/.libs/mod_auth_oidc.so)."""
    exe = os.environ.get('AOIDC_STORE_CHECK')
    if not exe and os.environ.get('AOIDC_MODULE'):
        d = os.path.dirname(os.path.abspath(os.environ['AOIDC_MODULE']))
        for _ in range(4):
            cand = os.path.join(d, 'test', 'tools', 'store_check')
            if os.path.exists(cand):
                exe = cand
                break
            d = os.path.dirname(d)
    assert exe and os.access(exe, os.X_OK), (
        'store_check not found: build it (make in the build dir) and set '
        'AOIDC_STORE_CHECK or AOIDC_MODULE')
    return exe


def wait_for(cond, timeout, what, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if cond():
                return
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
        time.sleep(step)
    raise AssertionError('timed out after %ss waiting for %s' % (timeout, what))


def port_open(port):
    try:
        socket.create_connection(('127.0.0.1', port), 0.3).close()
        return True
    except OSError:
        return False


def openssl(*args, cwd):
    subprocess.run(['openssl'] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_tls(root):
    """A CA, a server certificate for 127.0.0.1/localhost, a client
    certificate, and a second CA that signed nothing. Paths in a dict."""
    d = os.path.join(root, 'tls')
    if os.path.exists(os.path.join(d, 'other-ca.crt')):
        return _tls_paths(d)
    os.makedirs(d, exist_ok=True)
    for ca in ('ca', 'other-ca'):
        openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                '-nodes', '-keyout', ca + '.key', '-out', ca + '.crt', '-days', '2',
                '-subj', '/CN=aoidc test %s' % ca, cwd=d)
    with open(os.path.join(d, 'server.ext'), 'w') as f:
        f.write('subjectAltName=IP:127.0.0.1,DNS:localhost\n'
                'extendedKeyUsage=serverAuth\n')
    with open(os.path.join(d, 'client.ext'), 'w') as f:
        f.write('extendedKeyUsage=clientAuth\n')
    for who in ('server', 'client'):
        openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                '-keyout', who + '.key', '-out', who + '.csr', '-subj', '/CN=' + who, cwd=d)
        openssl('x509', '-req', '-in', who + '.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
                '-CAcreateserial', '-out', who + '.crt', '-days', '2',
                '-extfile', who + '.ext', cwd=d)
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)
    return _tls_paths(d)


def _tls_paths(d):
    return {k: os.path.join(d, f) for k, f in (
        ('ca', 'ca.crt'), ('other_ca', 'other-ca.crt'), ('cert', 'server.crt'),
        ('key', 'server.key'), ('client_cert', 'client.crt'),
        ('client_key', 'client.key'))}


_running = []


def stop_all():
    for s in list(_running):
        s.stop()


class RedisServer:
    def __init__(self, root, name, args=(), acl=None, tls=None, port=None,
                 tls_auth_clients='yes'):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir, exist_ok=True)
        self.name, self.args, self.acl, self.tls = name, list(args), acl, tls
        self.tls_auth_clients = tls_auth_clients
        self.port = port or free_port()
        self.proc = None

    def argv(self):
        a = [REDIS, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
             '--dir', self.dir, '--logfile', os.path.join(self.dir, 'redis.log'),
             '--protected-mode', 'no', '--daemonize', 'no']
        if self.tls:
            a += ['--port', '0', '--tls-port', str(self.port),
                  '--tls-cert-file', self.tls['cert'], '--tls-key-file', self.tls['key'],
                  '--tls-ca-cert-file', self.tls['ca'],
                  '--tls-auth-clients', self.tls_auth_clients]
        else:
            a += ['--port', str(self.port)]
        if self.acl:
            a += ['--user', 'default', 'off', '--user', self.acl[0], 'on',
                  '>' + self.acl[1], '~*', '&*', '+@all']
        return a + self.args

    def start(self, timeout=10):
        self.proc = subprocess.Popen(self.argv(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        _running.append(self)
        wait_for(lambda: self.proc.poll() is None and port_open(self.port)
                 and (self.tls or self.acl or '--requirepass' in self.args
                      or self.cli('PING') == 'PONG'),
                 timeout, 'redis %s on %d' % (self.name, self.port))
        return self

    def cli_argv(self, *args):
        a = [CLI, '-h', '127.0.0.1', '-p', str(self.port), '--no-auth-warning']
        if self.acl:
            a += ['--user', self.acl[0], '--pass', self.acl[1]]
        if '--requirepass' in self.args:
            a += ['-a', self.args[self.args.index('--requirepass') + 1]]
        if self.tls:
            a += ['--tls', '--cacert', self.tls['ca'], '--cert', self.tls['client_cert'],
                  '--key', self.tls['client_key']]
        return a + [str(x) for x in args]

    def cli(self, *args, timeout=5):
        r = subprocess.run(self.cli_argv(*args), capture_output=True, text=True,
                           timeout=timeout)
        return r.stdout.strip()

    def command(self, *args, timeout=5):
        """One command over a plain socket (RESP), the reply as Python
        values with bulk strings as bytes: binary values survive intact,
        which redis-cli's text output does not promise. Plain TCP only."""
        assert not self.tls and not self.acl, 'command(): plain servers only'
        with socket.create_connection(('127.0.0.1', self.port), timeout) as c:
            out = b'*%d\r\n' % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b'$%d\r\n%s\r\n' % (len(a), a)
            c.sendall(out)
            return _resp_read(c.makefile('rb'))

    def dump(self):
        """Every key of every type with its value(s): [(key, [values])],
        all bytes. For "nothing in the store is readable" checks."""
        out = []
        for k in self.command('KEYS', '*'):
            t = self.command('TYPE', k)
            vals = {'string': lambda: [self.command('GET', k)],
                    'set': lambda: self.command('SMEMBERS', k),
                    'hash': lambda: self.command('HGETALL', k),
                    'list': lambda: self.command('LRANGE', k, 0, -1),
                    'zset': lambda: self.command('ZRANGE', k, 0, -1)}.get(t)
            assert vals, 'key of unexpected type %s' % t
            out.append((k, [v for v in vals() if v is not None]))
        return out

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)
        wait_for(lambda: not port_open(self.port), 5, 'port %d closed' % self.port)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self in _running:
            _running.remove(self)


def _resp_read(f):
    line = f.readline()
    assert line.endswith(b'\r\n'), 'short RESP reply %r' % line
    kind, rest = line[:1], line[1:-2]
    if kind == b'+':
        return rest.decode()
    if kind == b'-':
        raise AssertionError('redis error: %s' % rest.decode())
    if kind == b':':
        return int(rest)
    if kind == b'$':
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind == b'*':
        n = int(rest)
        return None if n < 0 else [_resp_read(f) for _ in range(n)]
    raise AssertionError('unknown RESP reply %r' % line)


class SentinelSet:
    """A master, one replica and n sentinels (quorum 1) watching 'mymaster'."""

    def __init__(self, root, n_sentinels=2, name='sentinel', password=None):
        """password: requirepass on the data nodes and the sentinels alike."""
        self.root = os.path.join(root, name)
        self.password = password
        pw = ['--requirepass', password, '--masterauth', password] if password else []
        self.master = RedisServer(self.root, 'm', args=pw)
        self.replica = RedisServer(self.root, 'r', args=pw + [
            '--replicaof', '127.0.0.1', str(self.master.port)])
        self.sentinels = [RedisServer(self.root, 's%d' % i,
                                      args=['--requirepass', password] if password else [])
                          for i in range(n_sentinels)]

    def start(self):
        self.master.start()
        self.replica.start()
        wait_for(lambda: 'master_link_status:up' in self.replica.cli('INFO', 'replication'),
                 20, 'replica in sync')
        for s in self.sentinels:
            conf = os.path.join(s.dir, 'sentinel.conf')
            with open(conf, 'w') as f:
                f.write('port %d\nbind 127.0.0.1\ndir %s\nlogfile %s\n'
                        'protected-mode no\n'
                        'sentinel monitor mymaster 127.0.0.1 %d 1\n'
                        'sentinel down-after-milliseconds mymaster 1000\n'
                        'sentinel failover-timeout mymaster 4000\n'
                        'sentinel parallel-syncs mymaster 1\n'
                        % (s.port, s.dir, os.path.join(s.dir, 'sentinel.log'),
                           self.master.port))
                if self.password:
                    f.write('requirepass "%s"\nsentinel auth-pass mymaster "%s"\n'
                            % (self.password, self.password))
            s.proc = subprocess.Popen([SENTINEL, conf], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            _running.append(s)
            wait_for(lambda: s.cli('PING') == 'PONG', 10, 'sentinel on %d' % s.port)
        for s in self.sentinels:
            wait_for(lambda: '%d' % self.replica.port in s.cli(
                'SENTINEL', 'replicas', 'mymaster'), 20, 'sentinel sees the replica')
        return self

    def url(self, first_dead_port=None):
        hosts = ['127.0.0.1:%d' % s.port for s in self.sentinels]
        if first_dead_port:
            hosts.insert(0, '127.0.0.1:%d' % first_dead_port)
        return 'redis-sentinel://%s/mymaster' % ','.join(hosts)

    def master_port(self):
        out = self.sentinels[0].cli('SENTINEL', 'get-master-addr-by-name', 'mymaster')
        return int(out.split()[1])

    def failover(self, timeout=20):
        """SENTINEL FAILOVER, then wait until the old replica is master."""
        old = self.master_port()
        out = self.sentinels[0].cli('SENTINEL', 'FAILOVER', 'mymaster')
        assert out == 'OK', out
        wait_for(lambda: self.master_port() != old, timeout, 'sentinel failover')
        new = self.master_port()
        srv = self.replica if new == self.replica.port else self.master
        wait_for(lambda: srv.cli('ROLE').startswith('master'), timeout, 'new master role')
        return old, new

    def stop(self):
        for s in self.sentinels + [self.replica, self.master]:
            s.stop()


class Cluster:
    """Three masters, no replicas, all 16384 slots assigned."""

    def __init__(self, root, n=3, name='cluster', tls=None):
        """tls: make_tls()'s paths; clients, the bus and CLUSTER SLOTS use TLS."""
        self.root = os.path.join(root, name)
        self.tls = tls
        self.nodes = []
        for i in range(n):
            r = RedisServer(self.root, 'n%d' % i, tls=tls)
            r.args = ['--cluster-enabled', 'yes', '--cluster-port', str(free_port()),
                      '--cluster-config-file', os.path.join(r.dir, 'nodes.conf'),
                      '--cluster-node-timeout', '2000']
            if tls:
                # the bus is TLS both ways: a node presents a client certificate
                r.args += ['--tls-cluster', 'yes', '--tls-replication', 'yes',
                           '--tls-client-cert-file', tls['client_cert'],
                           '--tls-client-key-file', tls['client_key']]
            self.nodes.append(r)

    def start(self):
        for r in self.nodes:
            r.start()
        addrs = ['127.0.0.1:%d' % r.port for r in self.nodes]
        tls = self.nodes[0].cli_argv()[len(self.nodes[0].cli_argv()) - 7:] \
            if self.tls else []
        out = subprocess.run([CLI] + tls + ['--cluster', 'create'] + addrs
                             + ['--cluster-yes'],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        for r in self.nodes:
            wait_for(lambda: 'cluster_state:ok' in r.cli('CLUSTER', 'INFO'), 30,
                     'cluster state ok on %d' % r.port)
        return self

    def url(self, nodes=None):
        nodes = self.nodes if nodes is None else nodes
        return ('rediss-cluster://' if self.tls else 'redis-cluster://') + ','.join(
            '127.0.0.1:%d' % r.port for r in nodes)

    def node_id(self, r):
        return r.cli('CLUSTER', 'MYID')

    def owner(self, slot):
        for r in self.nodes:
            for line in r.cli('CLUSTER', 'NODES').splitlines():
                f = line.split()
                if 'myself' not in f[2]:
                    continue
                for rng in f[8:]:
                    if rng.startswith('['):
                        continue
                    a, _, b = rng.partition('-')
                    if int(a) <= slot <= int(b or a):
                        return r
        raise AssertionError('no owner for slot %d' % slot)

    def stop(self):
        for r in self.nodes:
            r.stop()


class StoreCheck:
    """`store_check URL OPTS... repl`: one store object, commands one per
    line. cmd() returns (status, elapsed_ms, rest)."""

    def __init__(self, url, *opts):
        self.proc = subprocess.Popen([store_check_exe(), url] + list(opts) + ['repl'],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1,
                                     env=check_env())

    def cmd(self, line, timeout=10):
        self.proc.stdin.write(line + '\n')
        self.proc.stdin.flush()
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert r, 'store_check gave no answer to %r within %ss' % (line, timeout)
        out = self.proc.stdout.readline().rstrip('\n')
        assert out, 'store_check ended: %s' % self.proc.stderr.read()
        status, ms, rest = (out.split(' ', 2) + ['', ''])[:3]
        return status, int(ms), rest

    def close(self):
        """Ends the process; it must exit 0 with no sanitizer report (a
        store_check built with --enable-sanitizers checks leaks at exit)."""
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        err = self.proc.stderr.read()
        assert self.proc.returncode == 0 and 'Sanitizer' not in err, (
            'store_check exit %s: %s' % (self.proc.returncode, err[-3000:]))


def check_env():
    """The environment for store_check. Under the gcc 12 ASan runtime a
    thread that exits trips a false stack-use-after-scope in the runtime's
    own sigaltstack teardown (__interceptor_sigaltstack, not our code);
    use_sigaltstack=0 turns that runtime feature off. No effect on a build
    without ASan."""
    e = dict(os.environ)
    opts = e.get('ASAN_OPTIONS', '')
    e['ASAN_OPTIONS'] = (opts + ':' if opts else '') + 'use_sigaltstack=0'
    return e


def run_check(url, *args, timeout=60):
    """store_check URL ARGS... once; returns the CompletedProcess."""
    return subprocess.run([store_check_exe(), url] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout,
                          env=check_env())
