"""The shared session stores of the benchmark's several-nodes scenarios:
Debian redis-server (plain and TLS with a CA made here), a redis master
watched by one redis-sentinel, memcached. All on 127.0.0.1, under one
directory, started only when a selected scenario needs them, pinned like
httpd (the store runs on the server's CPU, not on wrk's).

    ss = StoreSet(root, pin=['taskset', '-c', '0'])
    ss.start({'redis', 'rediss'})
    ss.url('redis')            # redis://127.0.0.1:PORT
    ss.count('redis')          # keys/items now held (proves a login wrote there)
    ss.stop()

The redis servers come from test/integration/pyaoidc/stores.py (the store
tests' own), so the bench and the tests run them the same way.
"""

import os
import shutil
import socket
import subprocess

from pyaoidc import stores as pst

KINDS = ('redis', 'rediss', 'sentinel', 'memcache')


def _pin(pin, pid):
    if pin:
        subprocess.run(['taskset', '-a', '-p', '-c', pin[-1], str(pid)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


class Memcached:
    def __init__(self, root):
        self.dir = os.path.join(root, 'memcached')
        os.makedirs(self.dir, exist_ok=True)
        self.port = pst.free_port()
        self.proc = None

    def start(self):
        exe = shutil.which('memcached') or '/usr/sbin/memcached'
        user = 'memcache' if _user_exists('memcache') else 'nobody'
        self.proc = subprocess.Popen(
            [exe, '-l', '127.0.0.1', '-p', str(self.port), '-U', '0', '-u', user,
             '-m', '64', '-t', '2'],
            stdout=open(os.path.join(self.dir, 'memcached.log'), 'ab'),
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        pst.wait_for(lambda: self.proc.poll() is None and pst.port_open(self.port), 10,
                     'memcached on %d' % self.port)
        return self

    def items(self):
        return self.stat('curr_items')

    def stat(self, name):
        with socket.create_connection(('127.0.0.1', self.port), timeout=5) as s:
            s.sendall(b'stats\r\n')
            buf = b''
            while not buf.endswith(b'END\r\n'):
                d = s.recv(65536)
                if not d:
                    break
                buf += d
        for ln in buf.decode(errors='replace').splitlines():
            f = ln.split()
            if len(f) == 3 and f[1] == name:
                return int(f[2])
        raise RuntimeError('memcached: no %s in stats' % name)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def cpu_ns(pids):
    """On-CPU time (ns) of every thread of pids (/proc/PID/task/*/schedstat)."""
    total = 0
    for pid in pids:
        try:
            tids = os.listdir('/proc/%d/task' % pid)
        except OSError:
            continue
        for tid in tids:
            try:
                with open('/proc/%d/task/%s/schedstat' % (pid, tid)) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    return total


def _user_exists(name):
    try:
        import pwd
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class Sentinel:
    """One master and one redis-sentinel (quorum 1) watching it as 'mymaster'."""

    def __init__(self, root):
        self.root = os.path.join(root, 'sentinel')
        self.master = pst.RedisServer(self.root, 'm')
        self.sdir = os.path.join(self.root, 's')
        os.makedirs(self.sdir, exist_ok=True)
        self.port = pst.free_port()
        self.proc = None

    def start(self):
        self.master.start()
        conf = os.path.join(self.sdir, 'sentinel.conf')
        with open(conf, 'w') as f:
            f.write('port %d\nbind 127.0.0.1\ndir %s\nlogfile %s\nprotected-mode no\n'
                    'sentinel monitor mymaster 127.0.0.1 %d 1\n'
                    'sentinel down-after-milliseconds mymaster 5000\n'
                    % (self.port, self.sdir, os.path.join(self.sdir, 'sentinel.log'),
                       self.master.port))
        self.proc = subprocess.Popen([pst.SENTINEL, conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        pst.wait_for(lambda: self.proc.poll() is None and self._master_port() ==
                     self.master.port, 15, 'sentinel on %d naming the master' % self.port)
        return self

    def _master_port(self):
        r = subprocess.run([pst.CLI, '-h', '127.0.0.1', '-p', str(self.port), 'SENTINEL',
                            'get-master-addr-by-name', 'mymaster'],
                           capture_output=True, text=True, timeout=5)
        f = r.stdout.split()
        return int(f[1]) if len(f) == 2 else None

    def pids(self):
        return [self.master.proc.pid, self.proc.pid]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.master.stop()


class StoreSet:
    def __init__(self, root, pin=()):
        self.root = root
        self.pin = list(pin)
        self.s = {}
        self.pids = {}
        self.tls = None

    def start(self, kinds):
        pst.require_binaries()
        for k in kinds:
            if k == 'redis':
                self.s[k] = pst.RedisServer(self.root, 'redis').start()
                pids = [self.s[k].proc.pid]
            elif k == 'rediss':
                self.tls = pst.make_tls(self.root)
                os.chmod(os.path.dirname(self.tls['ca']), 0o755)
                self.s[k] = pst.RedisServer(self.root, 'rediss', tls=self.tls,
                                            tls_auth_clients='no').start()
                pids = [self.s[k].proc.pid]
            elif k == 'sentinel':
                self.s[k] = Sentinel(self.root).start()
                pids = self.s[k].pids()
            elif k == 'memcache':
                self.s[k] = Memcached(self.root).start()
                pids = [self.s[k].proc.pid]
            else:
                raise ValueError(k)
            for p in pids:
                _pin(self.pin, p)
            self.pids[k] = pids
        return self

    def cpu_ns(self, kind):
        """On-CPU time of the store's processes (0 for the cookie 'store')."""
        return cpu_ns(self.pids.get(kind, []))

    def url(self, kind):
        x = self.s[kind]
        return {'redis': lambda: 'redis://127.0.0.1:%d' % x.port,
                'rediss': lambda: 'rediss://127.0.0.1:%d' % x.port,
                'sentinel': lambda: 'redis-sentinel://127.0.0.1:%d/mymaster' % x.port,
                'memcache': lambda: 'memcache://127.0.0.1:%d' % x.port}[kind]()

    def hostport(self, kind):
        return '127.0.0.1:%d' % self.s[kind].port

    def count(self, kind):
        """Keys (redis: DBSIZE of the data node) or items (memcached) held."""
        x = self.s[kind]
        if kind == 'memcache':
            return x.items()
        node = x.master if kind == 'sentinel' else x
        out = node.cli('DBSIZE')
        try:
            return int(out.split()[-1])
        except (ValueError, IndexError):
            raise RuntimeError('%s: DBSIZE answered %r' % (kind, out))

    def connections(self, kind):
        """Connections the data node has accepted since it started (shows
        whether the clients reuse theirs)."""
        x = self.s[kind]
        if kind == 'memcache':
            return x.stat('total_connections')
        node = x.master if kind == 'sentinel' else x
        for ln in node.cli('INFO', 'stats').splitlines():
            if ln.startswith('total_connections_received:'):
                return int(ln.split(':')[1])
        raise RuntimeError('%s: no total_connections_received' % kind)

    def stop(self):
        for x in self.s.values():
            try:
                x.stop()
            except Exception:       # noqa: BLE001
                pass
