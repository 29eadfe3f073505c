#!/usr/bin/python3
"""mod_auth_oidc benchmark: our module against mod_auth_openidc and mod_oauth2.

Run through bench/run (which installs and builds first); see bench/README.md.
Everything listens on 127.0.0.1 only. Results go to bench/out/results.{md,json};
callgrind profiles of our scenarios to bench/out/callgrind/.
"""

import argparse
import http.cookiejar
import http.server
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import ssl
import sys
import threading
import time
import urllib.parse

import requests

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, os.path.join(REPO, 'test', 'integration'))

from pyaoidc.evil_op import EvilOP  # noqa: E402
from pyaoidc.op import RealOP  # noqa: E402
from stores import StoreSet  # noqa: E402  (bench/stores.py)
import growth  # noqa: E402  (bench/growth.py: issue 14's curves, memory, logins)

OUT = os.path.join(BENCH, 'out')
RUN = os.path.join(OUT, 'run')            # server roots, logs, vgdb pipes
CG_DIR = os.path.join(OUT, 'callgrind')   # kept profiles
BIN = os.path.join(OUT, 'bin')
APACHE2 = os.environ.get('AOIDC_APACHE2', '/usr/sbin/apache2')
MODDIR = os.environ.get('AOIDC_MODDIR', '/usr/lib/apache2/modules')
OUR_MODULE = os.environ.get('AOIDC_MODULE',
                            os.path.join(OUT, 'build', 'src', 'src', '.libs', 'mod_auth_oidc.so'))
RUN_USER = 'www-data'
# vgdb finds a valgrind process's pipes by user name (from $USER) and host:
# both sides get the same clean environment.
VG_ENV = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'USER': 'aoidc-bench', 'LANG': 'C'}

CONTENT = 'AOIDC-BENCH tiny static file, 64 bytes ..........................\n'
FILE = 'bench.html'
PASSPHRASE = '0123456789abcdef0123456789abcdef'
CLIENT_SECRET_RP = RealOP.RP_CLIENT_SECRET
CLIENT_SECRET_RS = RealOP.RS_CLIENT_SECRET
SCOPE = 'orders:read'

BASE_MODULES = [
    ('authz_core_module', 'mod_authz_core.so'),
    ('authz_user_module', 'mod_authz_user.so'),
    ('authn_core_module', 'mod_authn_core.so'),
    ('socache_shmcb_module', 'mod_socache_shmcb.so'),
    ('mime_module', 'mod_mime.so'),
]
PROXY_MODULES = [
    ('proxy_module', os.path.join(MODDIR, 'mod_proxy.so')),
    ('proxy_http_module', os.path.join(MODDIR, 'mod_proxy_http.so')),
]

# wrk: one httpd process with a fixed number of threads
EVENT_CONF = '''LoadModule mpm_event_module %(moddir)s/mod_mpm_event.so
StartServers 1
ServerLimit 1
ThreadLimit 16
ThreadsPerChild 16
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16
MaxConnectionsPerChild 0
'''
# callgrind: apache2 -X (one process, one thread; event's listener thread
# would add time-dependent noise)
PREFORK_CONF = '''LoadModule mpm_prefork_module %(moddir)s/mod_mpm_prefork.so
StartServers 1
MaxRequestWorkers 1
MaxConnectionsPerChild 0
'''

# several nodes: (id, module, server, store kind, title); the store kinds are
# bench/stores.py's plus 'cookie' (no server state)
STORE_SCENARIOS = [
    ('aoidc-redis', 'mod_auth_oidc', 'ours_redis', 'redis', 'session (redis)'),
    ('aoidc-rediss', 'mod_auth_oidc', 'ours_rediss', 'rediss', 'session (redis over TLS)'),
    ('aoidc-sentinel', 'mod_auth_oidc', 'ours_sentinel', 'sentinel',
     'session (redis via Sentinel)'),
    ('aoidc-memcache', 'mod_auth_oidc', 'ours_memcache', 'memcache', 'session (memcached)'),
    ('aoidc-cookie', 'mod_auth_oidc', 'ours_cookie', 'cookie',
     'session (cookie store, no server state)'),
    ('openidc-redis', 'mod_auth_openidc', 'openidc_redis', 'redis',
     'session (redis, server-cache)'),
    ('openidc-memcache', 'mod_auth_openidc', 'openidc_memcache', 'memcache',
     'session (memcached, server-cache)'),
    ('openidc-cookie', 'mod_auth_openidc', 'openidc_cookie', 'cookie',
     'session (client-cookie)'),
]

LOG = None


def log(*a):
    msg = ' '.join(str(x) for x in a)
    print(msg, flush=True)
    if LOG:
        LOG.write(time.strftime('%H:%M:%S ') + msg + '\n')
        LOG.flush()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=0.5):
            return True
    except OSError:
        return False


def chown_tree(path, user=RUN_USER):
    shutil.chown(path, user, user)
    for d, dirs, files in os.walk(path):
        for n in dirs + files:
            shutil.chown(os.path.join(d, n), user, user)


def no_cookies_session():
    """A keep-alive client that never stores cookies: every request carries
    exactly the headers given, like wrk."""
    s = requests.Session()
    s.trust_env = False
    s.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return s


# --------------------------------------------------------------------------
# httpd configurations
# --------------------------------------------------------------------------

class Httpd:
    """One server root under bench/out/run/<name>: one config for wrk (event,
    one process) and one for callgrind (prefork, run with -X)."""

    def __init__(self, name, ports, body, modules=(), htdocs=None):
        self.name = name
        self.ports = list(ports)
        self.port = self.ports[0]
        self.body = body
        self.modules = list(modules)
        self.root = os.path.join(RUN, name)
        self.htdocs = htdocs
        self.proc = None
        self.vg = None          # Callgrind instance while under valgrind

    @property
    def base(self):
        return 'http://127.0.0.1:%d' % self.port

    def conf_text(self, mpm):
        r = self.root
        mods = ['LoadModule %s %s/%s' % (n, MODDIR, so) for n, so in BASE_MODULES]
        mods += ['LoadModule %s %s' % (n, path) for n, path in self.modules]
        return '''# generated by bench/bench.py
ServerName 127.0.0.1
%(listen)s
%(mpm)s
%(mods)s
User %(user)s
Group %(user)s
PidFile %(r)s/run/httpd.pid
DefaultRuntimeDir %(r)s/run
Mutex file:%(r)s/run default
ErrorLog %(r)s/logs/error_log
LogLevel warn
TypesConfig /etc/mime.types
Timeout 30
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30
DocumentRoot %(htdocs)s
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory %(htdocs)s>
    Require all granted
</Directory>
%(body)s''' % {'listen': '\n'.join('Listen 127.0.0.1:%d' % p for p in self.ports),
               'mpm': mpm % {'moddir': MODDIR}, 'mods': '\n'.join(mods), 'user': RUN_USER,
               'r': r, 'htdocs': self.htdocs, 'body': self.body}

    def setup(self):
        self.kill_stale()
        if os.path.isdir(self.root):
            shutil.rmtree(self.root)
        for d in ('conf', 'logs', 'run', 'vgdb'):
            os.makedirs(os.path.join(self.root, d))
        for mpm, fn in ((EVENT_CONF, 'wrk.conf'), (PREFORK_CONF, 'callgrind.conf')):
            with open(os.path.join(self.root, 'conf', fn), 'w') as f:
                f.write(self.conf_text(mpm))
        chown_tree(self.root)
        r = subprocess.run([APACHE2, '-t', '-d', self.root, '-f',
                            os.path.join(self.root, 'conf', 'wrk.conf')],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise RuntimeError('%s: configtest failed:\n%s' % (self.name, r.stdout))

    def kill_stale(self):
        """An httpd/valgrind a previous, aborted run of this script left behind
        (identified by its pid file and its command line naming our root)."""
        pid_file = os.path.join(self.root, 'run', 'httpd.pid')
        try:
            pid = int(open(pid_file).read().strip())
            cmd = open('/proc/%d/cmdline' % pid, 'rb').read().replace(b'\0', b' ').decode()
        except (OSError, ValueError):
            return
        if self.root in cmd:
            log('  stopping stale server %d from an earlier run' % pid)
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not os.path.exists('/proc/%d' % pid):
                    break
                time.sleep(0.1)

    def _wait_up(self, proc, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError('%s (%s) exited at startup rc=%s:\n%s' % (
                    self.name, what, proc.returncode, self.error_log_tail()))
            if all(port_open(p) for p in self.ports):
                return
            time.sleep(0.1)
        raise RuntimeError('%s (%s) not listening after %ss' % (self.name, what, timeout))

    def start(self):
        for p in self.ports:
            if port_open(p):
                raise RuntimeError('port %d busy' % p)
        self.proc = subprocess.Popen(
            PIN['httpd'] + [APACHE2, '-d', self.root, '-f', os.path.join(self.root, 'conf', 'wrk.conf'),
             '-DFOREGROUND'], stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(self.root, 'logs', 'stdout.log'), 'ab'),
            stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_up(self.proc, 30, 'wrk')

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        deadline = time.time() + 10
        while any(port_open(p) for p in self.ports) and time.time() < deadline:
            time.sleep(0.05)

    def cpu_ns(self):
        """On-CPU time (ns) of the server's processes, all threads
        (/proc/PID/task/TID/schedstat): parent plus its children."""
        if self.proc is None:
            return 0
        pids = [self.proc.pid]
        for d in os.listdir('/proc'):
            if d.isdigit():
                try:
                    with open('/proc/%s/stat' % d) as f:
                        st = f.read()
                    if int(st[st.rindex(')') + 2:].split()[1]) == self.proc.pid:
                        pids.append(int(d))
                except (OSError, ValueError):
                    pass
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

    def error_log_tail(self, n=30):
        try:
            with open(os.path.join(self.root, 'logs', 'error_log'), errors='replace') as f:
                lines = f.read().splitlines()
        except OSError:
            lines = []
        try:
            with open(os.path.join(self.root, 'logs', 'stdout.log'), errors='replace') as f:
                lines += f.read().splitlines()
        except OSError:
            pass
        return '\n'.join(lines[-n:])


class Callgrind:
    """apache2 -X under callgrind, run as the server user so that vgdb (also
    run as that user) can talk to it after httpd's setuid; zero/dump through
    vgdb monitor commands."""

    def __init__(self, httpd):
        self.h = httpd
        self.out = os.path.join(httpd.root, 'cg', 'callgrind.out')
        self.prefix = os.path.join(httpd.root, 'vgdb', 'vgdb')
        self.proc = None
        self.ndumps = 0
        self.extra_args = []    # more valgrind options (growth.py: --instr-atstart=no)

    def start(self):
        cgdir = os.path.dirname(self.out)
        if os.path.isdir(cgdir):
            shutil.rmtree(cgdir)
        os.makedirs(cgdir)
        chown_tree(self.h.root)     # the wrk run (as root) left root-owned logs
        for p in self.h.ports:
            if port_open(p):
                raise RuntimeError('port %d busy' % p)
        self.proc = subprocess.Popen(
            ['valgrind', '--tool=callgrind', '--vgdb=yes', '--vgdb-prefix=' + self.prefix,
             '--callgrind-out-file=' + self.out] + self.extra_args + [
             APACHE2, '-X', '-d', self.h.root, '-f',
             os.path.join(self.h.root, 'conf', 'callgrind.conf')],
            stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(self.h.root, 'logs', 'valgrind.log'), 'ab'),
            stderr=subprocess.STDOUT, env=VG_ENV, user=RUN_USER, group=RUN_USER,
            extra_groups=[], start_new_session=True)
        self.h._wait_up(self.proc, 120, 'callgrind')
        self.ndumps = 0

    def _vgdb(self, what):
        r = subprocess.run(['vgdb', '--vgdb-prefix=' + self.prefix, '--pid=%d' % self.proc.pid,
                            what], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=VG_ENV, user=RUN_USER, group=RUN_USER, extra_groups=[],
                           timeout=60)
        if r.returncode != 0:
            raise RuntimeError('vgdb %s failed: %s' % (what, r.stdout))

    def zero(self):
        self._vgdb('zero')

    def dump(self):
        """Dump; returns (path, instructions since the last zero)."""
        self._vgdb('dump')
        self.ndumps += 1
        path = '%s.%d' % (self.out, self.ndumps)
        for _ in range(100):
            if os.path.exists(path):
                break
            time.sleep(0.05)
        return path, read_totals(path)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        deadline = time.time() + 10
        while any(port_open(p) for p in self.h.ports) and time.time() < deadline:
            time.sleep(0.05)


def read_totals(path):
    tot = None
    with open(path, errors='replace') as f:
        for ln in f:
            if ln.startswith('totals:') or ln.startswith('summary:'):
                tot = int(ln.split()[1])
    if tot is None:
        raise RuntimeError('no totals in %s' % path)
    return tot


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    def _fwd(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n) if n else None
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() in ('authorization', 'content-type', 'accept')}
        r = requests.request(self.command, self.server.upstream + self.path, headers=hdrs,
                             data=body, timeout=30, allow_redirects=False)
        self.send_response(r.status_code)
        self.send_header('Content-Type', r.headers.get('Content-Type', 'application/json'))
        self.send_header('Content-Length', str(len(r.content)))
        self.end_headers()
        self.wfile.write(r.content)

    do_GET = do_POST = _fwd


class TLSProxy:
    """https://127.0.0.1:PORT/... -> the OP: mod_auth_openidc accepts only https
    for OIDCOAuthVerifyJwksUri and OIDCOAuthIntrospectionEndpoint. Self-signed;
    the peer is told not to verify (OIDCOAuthSSLValidateServer Off, loopback
    only). The JWKS and introspection results are cached by the module, so TLS
    is not on the measured (warm) path."""

    def __init__(self, upstream, workdir):
        self.upstream = upstream.rstrip('/')
        cert, key = os.path.join(workdir, 'tls.crt'), os.path.join(workdir, 'tls.key')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
                        '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
                        '-addext', 'subjectAltName=IP:127.0.0.1'], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _ProxyHandler)
        self.httpd.daemon_threads = True
        self.httpd.upstream = self.upstream
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.base = 'https://127.0.0.1:%d' % self.port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, upstream_url):
        return self.base + upstream_url[len(self.upstream):]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# --------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------

class Scenario:
    """kind: none | session | bearer. cred(): headers of the real credential,
    bad(): the same credential corrupted."""

    def __init__(self, sid, module, server, path, kind, title, wrk=True, port=None, tls=None):
        self.id = sid
        # (cert, key, ca): https with this client certificate, the server's
        # certificate checked against ca (aoidc-mtls, aoidc-tls-floor)
        self.tls = tls
        self.module = module
        self.server = server
        self.path = path
        self.kind = kind
        self.title = title
        self.wrk = wrk
        self.port = port
        self.headers = {}
        self.bad_headers = {}
        self.dpop = None        # DPoPProofs of a dpop scenario
        self.store = None       # session store kind of the several-nodes scenarios
        self.check = None       # extra verification: () -> (ok, line)
        self.status = 'pending'
        self.reason = ''
        self.verify_log = []
        self.rps = []
        self.ratios = []
        self.cpu = []           # server CPU ns per request, per wrk run
        self.cpu_ratios = []
        self.p99 = []           # wrk's 99th percentile latency, us, per run
        self.p99_ratios = []    # ... over the floor's (mean of the runs around it)
        self.store_cpu = []     # the store's CPU ns per request, per wrk run
        self.non200 = 0
        self.requests = 0
        self.instr = None
        self.instr_spread = None
        self.instr_samples = []
        self.profile = None

    def url(self, h):
        return '%s://127.0.0.1:%d%s' % ('https' if self.tls else 'http', self.port or h.port,
                                       self.path)

    def tls_kw(self):
        """requests' arguments for this scenario's TLS client side."""
        return {'cert': self.tls[:2], 'verify': self.tls[2]} if self.tls else {}

    def result(self):
        return {
            'id': self.id, 'module': self.module, 'scenario': self.title,
            'status': self.status, 'reason': self.reason,
            'instructions_per_request': self.instr,
            'instructions_spread': self.instr_spread,
            'instructions_samples': self.instr_samples,
            'ratio_to_floor': (statistics.median(self.ratios) if self.ratios else None),
            'ratio_rounds': self.ratios,
            'requests_per_second': (statistics.median(self.rps) if self.rps else None),
            'rps_rounds': self.rps,
            'cpu_ratio_to_floor': (statistics.median(self.cpu_ratios) if self.cpu_ratios
                                   else None),
            'cpu_ratio_rounds': self.cpu_ratios,
            'p99_latency_us': (statistics.median(self.p99) if self.p99 else None),
            'p99_ratio_to_floor': (statistics.median(self.p99_ratios) if self.p99_ratios
                                   else None),
            'p99_ratio_rounds': self.p99_ratios,
            'server_cpu_us_per_request': (statistics.median(self.cpu) / 1e3 if self.cpu
                                          else None),
            'cpu_ns_rounds': self.cpu,
            'store_cpu_us_per_request': (statistics.median(self.store_cpu) / 1e3
                                         if self.store_cpu else None),
            'store_cpu_ns_rounds': self.store_cpu,
            'non200': self.non200, 'requests': self.requests,
            'verification': self.verify_log,
            'profile': self.profile,
            'note': NOTES.get(self.id, ''),
        }


MTLS_CLIENT = {'client_id': 'mtls-bench', 'token_endpoint_auth_method': 'tls_client_auth',
               'tls_client_auth_subject_dn': 'CN=aoidc-bench-client',
               'tls_client_certificate_bound_access_tokens': True,
               'grant_types': ['client_credentials'], 'response_types': [], 'redirect_uris': [],
               'scope': SCOPE}


class MtlsPKI:
    """openssl-made CA, server certificate for 127.0.0.1, the bench
    client's certificate and another one (aoidc-mtls)."""

    def __init__(self, root):
        self.root = root
        os.makedirs(root, exist_ok=True)

        def ossl(*args):
            subprocess.run(['openssl'] + list(args), cwd=root, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
        ossl('req', '-x509', *ec, '-days', '2', '-subj', '/CN=aoidc bench CA',
             '-keyout', 'ca.key', '-out', 'ca.crt')
        with open(os.path.join(root, 'san.ext'), 'w') as f:
            f.write('subjectAltName=IP:127.0.0.1\n')
        for name, subj in (('server', '/CN=127.0.0.1'), ('client', '/CN=aoidc-bench-client'),
                           ('other', '/CN=aoidc-bench-other')):
            ossl('req', *ec, '-subj', subj, '-keyout', name + '.key', '-out', name + '.csr')
            ossl('x509', '-req', '-in', name + '.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
                 '-CAcreateserial', '-days', '2', '-out', name + '.crt',
                 *(['-extfile', 'san.ext'] if name == 'server' else []))
        for n in os.listdir(root):
            os.chmod(os.path.join(root, n), 0o644)

    def path(self, name):
        return os.path.join(self.root, name)

    def pair(self, name):
        return (self.path(name + '.crt'), self.path(name + '.key'))

    def client_tls(self):
        return self.pair('client') + (self.path('ca.crt'),)

    def x5t(self, name):
        import base64
        import hashlib
        der = subprocess.run(['openssl', 'x509', '-in', self.path(name + '.crt'), '-outform',
                              'DER'], check=True, stdout=subprocess.PIPE).stdout
        return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b'=').decode()


def corrupt(value):
    """Change one character in the middle (of the signature part of a JWT),
    never the last one (its low bits may be padding)."""
    if value.count('.') == 2:
        h, p, s = value.split('.')
        i = len(s) // 2
        return '%s.%s.%s%s%s' % (h, p, s[:i], 'A' if s[i] != 'A' else 'B', s[i + 1:])
    i = len(value) // 2
    return value[:i] + ('A' if value[i] != 'A' else 'B') + value[i + 1:]


def bearer(token):
    return {'Authorization': 'Bearer ' + token}


def basic(user, password):
    import base64
    return {'Authorization': 'Basic ' + base64.b64encode(
        ('%s:%s' % (user, password)).encode()).decode()}


def verify(sc, h, op_issuer):
    """No credential -> the expected 302/401; corrupted credential -> a
    refusal (302/401); real credential -> 200 with the file. Sets status."""
    url = sc.url(h)
    lines = []
    ok = True

    def get(headers):
        return requests.get(url, headers=headers, allow_redirects=False, timeout=60,
                            **sc.tls_kw())

    try:
        r = get({})
        if sc.kind == 'none':
            good = r.status_code == 200 and r.text == CONTENT
            lines.append('no credentials: %d (want 200 + file)' % r.status_code)
        elif sc.kind == 'session':
            loc = r.headers.get('Location', '')
            good = r.status_code == 302 and loc.startswith(op_issuer)
            lines.append('no credentials: %d Location %s (want 302 to the OP)'
                         % (r.status_code, loc[:60]))
        elif sc.kind == 'basic':
            wa = r.headers.get('WWW-Authenticate', '-')
            good = r.status_code == 401 and wa.startswith('Basic ')
            lines.append('no credentials: %d WWW-Authenticate: %s (want 401 Basic)'
                         % (r.status_code, wa))
        else:
            good = r.status_code == 401
            lines.append('no credentials: %d WWW-Authenticate: %s (want 401)'
                         % (r.status_code, r.headers.get('WWW-Authenticate', '-')))
        ok &= good
        if sc.kind != 'none':
            r = get(sc.bad_headers)
            want = (401,) if sc.kind == 'basic' else (302, 401)
            good = r.status_code in want
            lines.append('corrupted credential%s: %d (want %s)' % (
                ' (wrong password)' if sc.kind == 'basic' else '', r.status_code,
                '/'.join(map(str, want))))
            ok &= good
            r = get(sc.headers)
            good = r.status_code == 200 and r.text == CONTENT
            lines.append('real credential: %d, body %s' % (
                r.status_code, 'is the file' if r.text == CONTENT else repr(r.text[:80])))
            ok &= good
        if sc.check:
            good, line = sc.check()
            lines.append(line)
            ok &= good
    except requests.RequestException as e:
        lines.append('request failed: %s' % e)
        ok = False
    sc.verify_log.append(lines)
    if not ok:
        sc.status = 'FAILED'
        sc.reason = 'verification: ' + '; '.join(lines)
    elif sc.status == 'pending':
        sc.status = 'ok'
    return ok


class DPoPProofs:
    """The DPoP client of aoidc-dpop: an ES256 key, a token bound to it
    (cnf.jkt, minted by the EvilOP) and proofs made as a client makes them:
    a new jti and a fresh iat per request. The proofs of each batch are
    signed just before the batch is sent, so the module sees nothing but
    fresh, never-seen proofs (iat well inside its 120 s window)."""

    def __init__(self, evil):
        from jwcrypto import jwk
        self.key = jwk.JWK.generate(kty='EC', crv='P-256')
        self.pub = json.loads(self.key.export_public())
        self.token = evil.access_token(cnf={'jkt': self.key.thumbprint()},
                                       exp=int(time.time()) + 3600)
        import base64
        import hashlib
        self.ath = base64.urlsafe_b64encode(
            hashlib.sha256(self.token.encode()).digest()).rstrip(b'=').decode()

    def proof(self, url, method='GET', **over):
        import secrets
        from jwcrypto import jwt
        claims = {'htm': method, 'htu': url, 'iat': int(time.time()),
                  'jti': secrets.token_urlsafe(16), 'ath': self.ath}
        claims.update(over)
        t = jwt.JWT(header={'typ': 'dpop+jwt', 'alg': 'ES256', 'jwk': self.pub},
                    claims=claims)
        t.make_signed_token(self.key)
        return t.serialize()

    def headers(self, url, proof=None):
        return {'Authorization': 'DPoP ' + self.token,
                'DPoP': proof or self.proof(url)}

    def sender(self, do, url):
        """do(n) with n new proofs, signed before the first is sent."""
        def send(n):
            batch = [self.headers(url) for _ in range(n)]
            do(n, iter(batch))
        return send


def verify_dpop(sc, h, _issuer):
    """aoidc-dpop: no credential -> 401 DPoP challenge; the bound token as
    Bearer -> 401; a corrupted proof -> 401; a good proof -> 200 with the
    file, and the same proof again -> 401 (replay). Sets status."""
    url = sc.url(h)
    d = sc.dpop
    lines, ok = [], True
    try:
        r = requests.get(url, allow_redirects=False, timeout=60)
        wa = r.headers.get('WWW-Authenticate', '-')
        good = r.status_code == 401 and wa.startswith('DPoP ')
        lines.append('no credentials: %d WWW-Authenticate: %s (want 401 DPoP)'
                     % (r.status_code, wa[:40]))
        ok &= good
        r = requests.get(url, headers=bearer(d.token), allow_redirects=False, timeout=60)
        lines.append('bound token as Bearer: %d (want 401)' % r.status_code)
        ok &= r.status_code == 401
        r = requests.get(url, headers=d.headers(url, corrupt(d.proof(url))),
                         allow_redirects=False, timeout=60)
        lines.append('corrupted proof: %d (want 401)' % r.status_code)
        ok &= r.status_code == 401
        p = d.proof(url)
        r = requests.get(url, headers=d.headers(url, p), allow_redirects=False, timeout=60)
        lines.append('real token and proof: %d, body %s' % (
            r.status_code, 'is the file' if r.text == CONTENT else repr(r.text[:80])))
        ok &= r.status_code == 200 and r.text == CONTENT
        r = requests.get(url, headers=d.headers(url, p), allow_redirects=False, timeout=60)
        lines.append('the same proof again: %d (want 401)' % r.status_code)
        ok &= r.status_code == 401
    except requests.RequestException as e:
        lines.append('request failed: %s' % e)
        ok = False
    sc.verify_log.append(lines)
    if not ok:
        sc.status = 'FAILED'
        sc.reason = 'verification: ' + '; '.join(lines)
    elif sc.status == 'pending':
        sc.status = 'ok'
    return ok


def login(h, path, cookie_name, op):
    """Scripted browser login; returns the session cookie value."""
    s = requests.Session()
    s.trust_env = False
    url = 'http://127.0.0.1:%d%s' % (h.port, path)
    r = s.get(url, allow_redirects=False, timeout=120)
    if r.status_code != 302:
        raise RuntimeError('login %s: first response %d, not 302' % (url, r.status_code))
    cb = op.login(s, r)
    r = s.get(cb, allow_redirects=False, timeout=120)
    if r.status_code not in (302, 303):
        raise RuntimeError('login %s: callback answered %d: %s' % (url, r.status_code, r.text[:300]))
    for c in s.cookies:
        if c.name == cookie_name or c.name.startswith(cookie_name + '_'):    # chunked
            return c.value, s
    raise RuntimeError('login %s: no %s cookie after the callback (cookies: %s)'
                       % (url, cookie_name, [c.name for c in s.cookies]))


# --------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------

PIN = {'httpd': [], 'wrk': []}     # taskset prefixes, set in main()


_LAT_UNIT = {'us': 1.0, 'ms': 1e3, 's': 1e6}


def wrk_p99(out):
    """wrk --latency's 99% line, in microseconds (None when absent)."""
    m = re.search(r'^\s*99%\s+([\d.]+)(us|ms|s)\s*$', out, re.M)
    return float(m.group(1)) * _LAT_UNIT[m.group(2)] if m else None


def run_wrk(url, headers, duration, conns, server=None):
    """-> (req/s, requests, non-200 + socket errors, output, server CPU ns/request);
    the output carries wrk's latency distribution (wrk_p99)"""
    cpu0 = server.cpu_ns() if server else 0
    cmd = PIN['wrk'] + ['wrk', '-t1', '-c%d' % conns, '-d%ds' % duration, '--timeout', '10s',
           '--latency', '-s', os.path.join(BENCH, 'count.lua')]
    for k, v in headers.items():
        cmd += ['-H', '%s: %s' % (k, v)]
    cmd.append(url)
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=duration + 60).stdout
    m = re.search(r'Requests/sec:\s+([\d.]+)', out)
    n = re.search(r'(\d+) requests in', out)
    bad = re.search(r'NON200 (\d+)', out)
    if not (m and n and bad):
        raise RuntimeError('cannot parse wrk output:\n' + out)
    errs = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', out)
    nerr = sum(int(x) for x in errs.groups()) if errs else 0
    nreq = int(n.group(1))
    cpu = (server.cpu_ns() - cpu0) / nreq if server and nreq else None
    return float(m.group(1)), nreq, int(bad.group(1)) + nerr, out, cpu


# --------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.a = args
        self.op = None
        self.evil = None
        self.redis = None
        self.servers = {}
        self.scenarios = []
        sc = args.store_cpu
        self.stores = StoreSet(os.path.join(RUN, 'stores'),
                               PIN['httpd'] if sc is None else
                               [] if sc == 'any' else ['taskset', '-c', sc])
        self.extras = {}
        self.failures = []
        self.t0 = time.time()

    # ---- setup ---------------------------------------------------------------
    def setup(self):
        os.makedirs(RUN, exist_ok=True)
        os.makedirs(CG_DIR, exist_ok=True)
        htdocs = os.path.join(RUN, 'htdocs')
        if os.path.isdir(htdocs):
            shutil.rmtree(htdocs)
        for d in ('public', 'app', 'api', 'apiq', 'apic', 'apid', 'proxied', 'upstream',
                  'basic', 'mtls', 'mtlsjwt'):
            os.makedirs(os.path.join(htdocs, d))
            with open(os.path.join(htdocs, d, FILE), 'w') as f:
                f.write(CONTENT)
        chown_tree(htdocs)
        os.chmod(RUN, 0o755)
        self.htdocs = htdocs

        ports = {k: free_port() for k in ('floor', 'floor_loc', 'ours', 'openidc', 'openidc_j', 'openidc_q', 'oauth2',
                                           'ours_size', 'openidc_size', 'ours_proxy',
                                           'ours_basic', 'backend', 'ours_mtls')}
        # several nodes: one server per session store (ours and mod_auth_openidc's)
        ports.update({srv: free_port() for _, _, srv, _, _ in STORE_SCENARIOS})
        redirect_uris = ['http://127.0.0.1:%d/app/redirect_uri' % ports[k]
                         for k in ['ours', 'openidc', 'ours_size', 'openidc_size']
                         + [srv for _, _, srv, _, _ in STORE_SCENARIOS]]
        log('starting the test OP (node oidc-provider, npm ci when needed)')
        RealOP.ensure_installed()
        # aoidc-mtls: RFC 8705 at the OP (MTLS_CA) for one more client,
        # whose tokens are bound to its certificate; the other clients and
        # their tokens are as before
        self.pki = MtlsPKI(os.path.join(RUN, 'pki'))
        self.op = RealOP(redirect_uris=redirect_uris, at_ttl=3600,
                         log_path=os.path.join(RUN, 'op.log'),
                         mtls_ca=self.pki.path('ca.crt'), extra_clients=[MTLS_CLIENT])
        self.op.start()
        self.evil = EvilOP().start()
        iss = self.op.issuer
        meta = self.op.metadata
        jwks, introspect = meta['jwks_uri'], meta['introspection_endpoint']
        self.tls = TLSProxy(iss, RUN)

        ours_mod = [('auth_oidc_module', OUR_MODULE)]
        ours_body = '''
<Location /app>
    AuthType oidc
    AuthName app
    Require valid-user
    AuthOIDCIssuer %(iss)s
    AuthOIDCClientID rp
    AuthOIDCClientSecret %(rp)s
    AuthOIDCRedirectURI /app/redirect_uri
    AuthOIDCPassphrase %(pp)s
    AuthOIDCScope "openid email profile"%(store)s
</Location>
'''
        ours_api = '''
<Location %(loc)s>
    AuthType bearer
    AuthName api
    AuthOIDCIssuer %(iss)s
    AuthOIDCAudience api://default
    AuthOIDCClientID rs
    AuthOIDCClientSecret %(rs)s
    Require scope orders:read
</Location>
'''
        v = {'iss': iss, 'rp': CLIENT_SECRET_RP, 'rs': CLIENT_SECRET_RS, 'pp': PASSPHRASE,
             'jwks': jwks, 'introspect': introspect, 'jwks_tls': self.tls.url(jwks),
             'introspect_tls': self.tls.url(introspect)}
        ours_apis = (ours_api % dict(v, loc='/api') + ours_api % dict(v, loc='/apiq') + '''
<Location /apic>
    AuthType bearer
    AuthName apic
    AuthOIDCIssuer %(evil)s
    AuthOIDCAudience api://default
    Require scope orders:read
</Location>
<Location /apid>
    AuthType bearer
    AuthName apid
    AuthOIDCIssuer %(evil)s
    AuthOIDCAudience api://default
    AuthOIDCTokenBinding dpop
    Require scope orders:read
</Location>
''' % {'evil': self.evil.issuer})
        body = ours_body % dict(v, store='') + ours_apis
        self.servers['floor'] = Httpd('floor', [ports['floor']], '', [], htdocs)
        # the floor with the <Location> sections of 'ours' and no auth in
        # them: what httpd's walk and merge of those sections cost
        self.servers['floor_loc'] = Httpd('floor_loc', [ports['floor_loc']], ''.join(
            '<Location %s>\n    Require all granted\n</Location>\n' % loc
            for loc in re.findall(r'^<Location (\S+)>', body, re.M)), [], htdocs)
        self.servers['ours'] = Httpd('ours', [ports['ours']], body, ours_mod, htdocs)

        openidc_common = '''
OIDCProviderMetadataURL %(iss)s/.well-known/openid-configuration
OIDCClientID rp
OIDCClientSecret %(rp)s
OIDCRedirectURI http://127.0.0.1:%(port)d/app/redirect_uri
OIDCCryptoPassphrase %(pp)s
OIDCScope "openid email profile"
OIDCPKCEMethod S256
OIDCProviderTokenEndpointAuth client_secret_basic
OIDCSessionType server-cache
%(cache)s
<Location /app>
    AuthType openid-connect
    Require valid-user
</Location>
'''
        openidc_body = openidc_common % dict(v, port=ports['openidc'], cache='OIDCCacheType shm') + '''
# mod_auth_openidc refuses a server with both a JWKS URI and an introspection
# endpoint: each bearer scenario has its own virtual host (port)
<VirtualHost 127.0.0.1:%(portj)d>
    # only https is accepted here: the OP's JWKS through a loopback TLS proxy
    OIDCOAuthVerifyJwksUri %(jwks_tls)s
    OIDCOAuthSSLValidateServer Off
    OIDCOAuthRemoteUserClaim sub
    <Location /api>
        AuthType oauth20
        Require claim scope:orders:read
    </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:%(portq)d>
    OIDCOAuthIntrospectionEndpoint %(introspect_tls)s
    OIDCOAuthIntrospectionEndpointAuth client_secret_basic
    OIDCOAuthSSLValidateServer Off
    OIDCOAuthClientID rs
    OIDCOAuthClientSecret %(rs)s
    OIDCOAuthRemoteUserClaim sub
    <Location /apiq>
        AuthType oauth20
        Require claim scope:orders:read
    </Location>
</VirtualHost>
''' % dict(v, portq=ports['openidc_q'], portj=ports['openidc_j'])
        openidc_mod = [('auth_openidc_module', os.path.join(MODDIR, 'mod_auth_openidc.so'))]
        self.servers['openidc'] = Httpd('openidc', [ports['openidc'], ports['openidc_j'], ports['openidc_q']],
                                        openidc_body, openidc_mod, htdocs)
        oauth2_body = '''
<Location /api>
    AuthType oauth2
    OAuth2TokenVerify jwks_uri %(jwks)s
    Require oauth2_claim scope:orders:read
</Location>
<Location /apiq>
    AuthType oauth2
    OAuth2TokenVerify introspect %(introspect)s introspect.auth=client_secret_basic&client_id=rs&client_secret=%(rs)s
    Require oauth2_claim scope:orders:read
</Location>
''' % v
        self.servers['oauth2'] = Httpd('oauth2', [ports['oauth2']], oauth2_body,
                                       [('oauth2_module', os.path.join(MODDIR, 'mod_oauth2.so'))],
                                       htdocs)
        # session-size servers: the same /app, sessions in redis
        self.redis_port = free_port()
        self.servers['ours_size'] = Httpd(
            'ours_size', [ports['ours_size']],
            ours_body % dict(v, store='\n    AuthOIDCSessionStore redis://127.0.0.1:%d'
                             % self.redis_port),
            [('socache_redis_module', os.path.join(MODDIR, 'mod_socache_redis.so'))] + ours_mod,
            htdocs)
        self.servers['openidc_size'] = Httpd(
            'openidc_size', [ports['openidc_size']],
            openidc_common % dict(v, port=ports['openidc_size'],
                                  cache='OIDCCacheType redis\nOIDCRedisCacheServer 127.0.0.1:%d'
                                  % self.redis_port), openidc_mod, htdocs)

        self.proxy_servers(v, ports, ours_mod, htdocs)
        self.mtls_server(v, ports, ours_mod, htdocs)

        S = Scenario
        self.scenarios = [
            S('floor', 'none (floor)', 'floor', '/public/' + FILE, 'none', 'no auth'),
            S('floor-location', 'none', 'floor_loc', '/app/' + FILE, 'none',
              'no auth, the <Location> sections of ours (Require all granted)'),
            S('floor-location-jwt', 'none', 'floor_loc', '/api/' + FILE, 'none',
              'as floor-location, the request carrying the bearer JWT (ignored)'),
            S('aoidc-session', 'mod_auth_oidc', 'ours', '/app/' + FILE, 'session',
              'session (shm)'),
            S('aoidc-jwt', 'mod_auth_oidc', 'ours', '/api/' + FILE, 'bearer',
              'bearer JWT (same token)'),
            S('aoidc-introspect', 'mod_auth_oidc', 'ours', '/apiq/' + FILE, 'bearer',
              'introspected opaque token (cached)'),
            S('openidc-session', 'mod_auth_openidc', 'openidc', '/app/' + FILE, 'session',
              'session (shm, server-cache)'),
            S('openidc-jwt', 'mod_auth_openidc', 'openidc', '/api/' + FILE, 'bearer',
              'bearer JWT (same token)', port=ports['openidc_j']),
            S('openidc-introspect', 'mod_auth_openidc', 'openidc', '/apiq/' + FILE, 'bearer',
              'introspected opaque token (cached)', port=ports['openidc_q']),
            S('oauth2-jwt', 'mod_oauth2', 'oauth2', '/api/' + FILE, 'bearer',
              'bearer JWT (same token)'),
            S('oauth2-introspect', 'mod_oauth2', 'oauth2', '/apiq/' + FILE, 'bearer',
              'introspected opaque token (cached)'),
            # callgrind only
            S('aoidc-unprotected', 'mod_auth_oidc', 'ours', '/public/' + FILE, 'none',
              'unprotected path, module loaded', wrk=False),
            S('aoidc-proxied', 'mod_auth_oidc', 'ours_proxy', '/proxied/' + FILE, 'none',
              'proxied request (mod_proxy), no upstream token'),
            S('aoidc-upstream', 'mod_auth_oidc', 'ours_proxy', '/upstream/' + FILE, 'none',
              'proxied request + AuthOIDCUpstreamToken client_credentials (token cached)'),
            S('aoidc-tls-floor', 'mod_auth_oidc', 'ours_mtls', '/public/' + FILE, 'none',
              'TLS floor: unprotected path, same mTLS keep-alive connection', wrk=False,
              tls=self.pki.client_tls()),
            S('aoidc-jwt-tls', 'mod_auth_oidc', 'ours_mtls', '/mtlsjwt/' + FILE, 'bearer',
              'bearer JWT, unbound (same TLS connection, AuthOIDCTokenBinding off)',
              wrk=False, tls=self.pki.client_tls()),
            S('aoidc-mtls', 'mod_auth_oidc', 'ours_mtls', '/mtls/' + FILE, 'bearer',
              'certificate-bound JWT (RFC 8705; same token, same TLS connection)', wrk=False,
              tls=self.pki.client_tls()),
            S('aoidc-basic', 'mod_auth_oidc', 'ours_basic', '/basic/' + FILE, 'basic',
              'AuthType oidc-basic (cached success)'),
            # a new proof per request cannot be replayed by wrk: callgrind only
            S('aoidc-dpop', 'mod_auth_oidc', 'ours', '/apid/' + FILE, 'dpop',
              'DPoP-bound JWT (same token, a new ES256 proof per request)', wrk=False),
        ]
        for sid, mod, srv, store, title in STORE_SCENARIOS:
            sc = S(sid, mod, srv, '/app/' + FILE, 'session', title)
            sc.store = store
            self.scenarios.append(sc)
        if self.a.only:
            # aoidc-claims: the claims-growth pair (5 and 50 claims) on 'ours'
            keep = set(self.a.only.split(',')) - {'aoidc-claims'}
            unknown = keep - {s.id for s in self.scenarios}
            if unknown:
                raise RuntimeError('--only: no scenario %s' % ', '.join(sorted(unknown)))
            if 'aoidc-mtls' in keep:
                # its floor, and the unbound token over the same TLS connection
                keep.update(('aoidc-tls-floor', 'aoidc-jwt-tls'))
            self.scenarios = [s for s in self.scenarios if s.id in keep or s.id == 'floor']
        self.store_servers(v, ports, ours_body, ours_apis, ours_mod, openidc_common,
                           openidc_mod, htdocs)
        for h in self.servers.values():
            h.setup()
        if any(s.server == 'ours_proxy' for s in self.scenarios):
            log('starting the proxy backend (plain httpd) on %d' % ports['backend'])
            self.servers['backend'].start()

        # credentials minted once and used by every module
        self.jwt = self.op.mint_jwt_at(SCOPE)
        self.opaque = self.op.mint_opaque_at(SCOPE, with_audience=True)
        for sc in self.scenarios:
            if sc.kind == 'bearer':
                tok = self.opaque if sc.path.startswith('/apiq/') else self.jwt
                sc.headers, sc.bad_headers = bearer(tok), bearer(corrupt(tok))
            elif sc.kind == 'dpop':
                sc.dpop = DPoPProofs(self.evil)
            elif sc.kind == 'basic':
                pw = EvilOP.PASSWORDS['alice']
                sc.headers, sc.bad_headers = basic('alice', pw), basic('alice', corrupt(pw))
            if sc.id == 'floor-location-jwt':
                sc.headers = bearer(self.jwt)  # nobody looks at it: httpd reads it
            if sc.id == 'aoidc-upstream':
                sc.check = self.backend_refuses_without_token
            if sc.id == 'aoidc-mtls':
                tok = self.mtls_token()
                sc.headers, sc.bad_headers = bearer(tok), bearer(corrupt(tok))
                sc.check = self.mtls_refuses_other_certs

    def proxy_servers(self, v, ports, ours_mod, htdocs):
        """aoidc-proxied / aoidc-upstream: the same mod_proxy request to a
        plain httpd backend (the same static file), once without and once with
        AuthOIDCUpstreamToken client_credentials (api-client at the RealOP; the
        token is fetched once and cached). The backend's /upstream/ answers
        only a request that carries a bearer token, so a 200 through
        /upstream/ proves the token was attached. aoidc-basic: AuthType
        oidc-basic, the password grant at the EvilOP (alice)."""
        self.servers['backend'] = Httpd('backend', [ports['backend']], '''
<Location /upstream>
    Require expr "%{HTTP:Authorization} =~ /^Bearer [^ ]{20,}$/"
    # the expression adds "Vary: Authorization": the front would parse (and
    # the scenario pay for) one more backend header line than aoidc-proxied
    Header unset Vary
</Location>
''', [('headers_module', os.path.join(MODDIR, 'mod_headers.so'))], htdocs)
        b = 'http://127.0.0.1:%d' % ports['backend']
        self.backend_base = b
        self.servers['ours_proxy'] = Httpd('ours_proxy', [ports['ours_proxy']], '''
ProxyPass /proxied/ %(b)s/proxied/
ProxyPass /upstream/ %(b)s/upstream/
<Location /upstream/>
    AuthOIDCIssuer %(iss)s
    AuthOIDCClientID %(cid)s
    AuthOIDCClientSecret %(sec)s
    AuthOIDCPassphrase %(pp)s
    AuthOIDCUpstreamToken client_credentials
    AuthOIDCUpstreamScope "%(scope)s"
    AuthOIDCUpstreamAudience api://default
</Location>
''' % dict(v, b=b, cid=RealOP.API_CLIENT_ID, sec=RealOP.API_CLIENT_SECRET, scope=SCOPE),
            PROXY_MODULES + ours_mod, htdocs)
        self.servers['ours_basic'] = Httpd('ours_basic', [ports['ours_basic']], '''
<Location /basic>
    AuthType oidc-basic
    AuthName legacy
    AuthOIDCIssuer %(iss)s
    AuthOIDCClientID %(cid)s
    AuthOIDCClientSecret %(sec)s
    AuthOIDCPassphrase %(pp)s
    Require valid-user
</Location>
''' % {'iss': self.evil.issuer, 'cid': EvilOP.CLIENT_ID, 'sec': EvilOP.CLIENT_SECRET,
       'pp': PASSPHRASE}, ours_mod, htdocs)

    def mtls_server(self, v, ports, ours_mod, htdocs):
        """aoidc-mtls / aoidc-jwt-tls / aoidc-tls-floor: mod_ssl asking for
        a client certificate (optional_no_ca: the token's cnf judges it),
        the bearer location with AuthOIDCTokenBinding mtls, the same
        without binding (an unbound token), and /public/ unprotected on
        the same server: the TLS floor of the same keep-alive
        connection."""
        crt, key = self.pki.pair('server')
        body = '''
SSLEngine on
SSLCertificateFile %(crt)s
SSLCertificateKeyFile %(key)s
SSLSessionCache shmcb:%(run)s/ours_mtls/run/ssl(512000)
SSLVerifyClient optional_no_ca
SSLVerifyDepth 3
<Location /mtls>
    AuthType bearer
    AuthName mtls
    AuthOIDCIssuer %(iss)s
    AuthOIDCAudience api://default
    AuthOIDCTokenBinding mtls
    Require scope orders:read
</Location>
<Location /mtlsjwt>
    AuthType bearer
    AuthName mtlsjwt
    AuthOIDCIssuer %(iss)s
    AuthOIDCAudience api://default
    Require scope orders:read
</Location>
''' % dict(v, crt=crt, key=key, run=RUN)
        self.servers['ours_mtls'] = Httpd(
            'ours_mtls', [ports['ours_mtls']], body,
            ours_mod + [('ssl_module', os.path.join(MODDIR, 'mod_ssl.so'))], htdocs)

    def mtls_token(self):
        """A JWT bound to the bench client's certificate, by
        client_credentials with tls_client_auth at the OP. The OP is plain
        http here: the bench plays its TLS front and forwards the
        certificate in the header op.js reads (test/integration/op)."""
        with open(self.pki.path('client.crt')) as f:
            pem = ' '.join(f.read().split('\n'))
        r = requests.post(self.op.metadata['token_endpoint'], timeout=10,
                          headers={'X-SSL-Client-Cert': pem},
                          data={'grant_type': 'client_credentials',
                                'client_id': MTLS_CLIENT['client_id'], 'scope': SCOPE,
                                'resource': 'api://default'})
        r.raise_for_status()
        tok = r.json()['access_token']
        cnf = json.loads(base64url_decode(tok.split('.')[1])).get('cnf')
        if cnf != {'x5t#S256': self.pki.x5t('client')}:
            raise RuntimeError('aoidc-mtls: the OP did not bind the token (cnf %r)' % cnf)
        return tok

    def mtls_refuses_other_certs(self):
        """The bound token with another certificate, and with none: 401."""
        sc = next(s for s in self.scenarios if s.id == 'aoidc-mtls')
        url = sc.url(self.servers['ours_mtls'])
        other = requests.get(url, headers=sc.headers, timeout=60, verify=self.pki.path('ca.crt'),
                             cert=self.pki.pair('other'))
        none = requests.get(url, headers=sc.headers, timeout=60, verify=self.pki.path('ca.crt'))
        ok = other.status_code == 401 and none.status_code == 401
        return ok, 'the bound token with another certificate: %d, with none: %d (want 401)' % (
            other.status_code, none.status_code)

    def backend_refuses_without_token(self):
        """The check that makes aoidc-upstream's 200 mean something."""
        r = requests.get(self.backend_base + '/upstream/' + FILE, timeout=30)
        return r.status_code == 403, 'backend /upstream/ without a token: %d (want 403)' % (
            r.status_code)

    def store_servers(self, v, ports, ours_body, ours_apis, ours_mod, openidc_common,
                      openidc_mod, htdocs):
        """The stores the selected scenarios need (started here, pinned like
        httpd), and one server per store scenario: ours is the `ours` server
        with only AuthOIDCSessionStore changed, mod_auth_openidc's is its
        session server with only the cache/session type changed."""
        picked = [s for s in self.scenarios if s.store]
        kinds = sorted({s.store for s in picked if s.store != 'cookie'})
        if kinds:
            log('starting session stores: %s' % ', '.join(kinds))
            self.stores.start(kinds)
        for sc in picked:
            port = ports[sc.server]
            if sc.module == 'mod_auth_oidc':
                if sc.store == 'cookie':
                    line = 'cookie'
                else:
                    line = self.stores.url(sc.store)
                    if sc.store == 'rediss':
                        line += '\n    AuthOIDCStoreTLS ca=%s' % self.stores.tls['ca']
                self.servers[sc.server] = Httpd(
                    sc.server, [port], ours_body % dict(v, store='\n    AuthOIDCSessionStore '
                                                        + line) + ours_apis, ours_mod, htdocs)
            else:
                if sc.store == 'redis':
                    cache = 'OIDCCacheType redis\nOIDCRedisCacheServer ' + \
                        self.stores.hostport('redis')
                elif sc.store == 'memcache':
                    cache = 'OIDCCacheType memcache\nOIDCMemCacheServers ' + \
                        self.stores.hostport('memcache')
                else:
                    cache = 'OIDCCacheType shm'
                body = openidc_common % dict(v, port=port, cache=cache)
                if sc.store == 'cookie':
                    # its default inactivity timeout (300 s) ends a replayed
                    # client cookie mid-run (401s): ours is 3600 s, so is this
                    body = body.replace('OIDCSessionType server-cache',
                                        'OIDCSessionType client-cookie\n'
                                        'OIDCSessionInactivityTimeout 3600')
                self.servers[sc.server] = Httpd(sc.server, [port], body, openidc_mod, htdocs)

    def cookie_name(self, sc):
        return 'aoidc_session' if sc.module == 'mod_auth_oidc' else 'mod_auth_openidc_session'

    def prepare(self, sc, h):
        """Fresh session for session scenarios (sessions die with the server).
        The Cookie header carries every session cookie the login set (the
        cookie stores chunk the session: NAME_0, NAME_1, ...); the corrupted
        one changes a character of the largest. A store scenario also proves
        that the login wrote to its store (key/item count grew), a cookie
        scenario that the cookies carry the session (not a 43-byte ticket)."""
        if sc.kind != 'session':
            return
        name = self.cookie_name(sc)
        before = self.stores.count(sc.store) if sc.store not in (None, 'cookie') else None
        _, s = login(h, sc.path, name, self.op)
        jar = [(c.name, c.value) for c in s.cookies
               if c.name == name or c.name.startswith(name + '_')]
        big = max(range(len(jar)), key=lambda i: len(jar[i][1]))
        sc.headers = {'Cookie': '; '.join('%s=%s' % kv for kv in jar)}
        sc.bad_headers = {'Cookie': '; '.join(
            '%s=%s' % (n, corrupt(val) if i == big else val) for i, (n, val) in enumerate(jar))}
        if not sc.store:
            return
        size = sum(len(val) for _, val in jar)
        if sc.store == 'cookie':
            if size < 300:
                raise RuntimeError('cookie store: the session cookies hold only %d bytes (%s)'
                                   % (size, [n for n, _ in jar]))
            line = 'store: the session in %d cookie(s) %s, %d bytes' % (
                len(jar), ', '.join(n for n, _ in jar), size)
        else:
            after = self.stores.count(sc.store)
            if after <= before:
                raise RuntimeError('the login wrote nothing to the %s store (%d entries '
                                   'before and %d after)' % (sc.store, before, after))
            line = 'store: the login wrote %d entries to %s; cookie %d bytes' % (
                after - before, self.stores.url(sc.store), size)
        sc.verify_log.append([line])
        log('  %-20s %s' % (sc.id, line))

    def scen_of(self, server):
        return [s for s in self.scenarios if s.server == server]

    # ---- phase 1: verification and throughput ------------------------------------
    def throughput(self):
        live = [s for s in self.scenarios]
        needed = sorted({s.server for s in live})
        for name in needed:
            h = self.servers[name]
            log('starting %s (wrk config) on %s' % (name, h.ports))
            h.start()
        try:
            for sc in live:
                h = self.servers[sc.server]
                try:
                    self.prepare(sc, h)
                except Exception as e:      # noqa: BLE001 - reported as FAILED
                    sc.status, sc.reason = 'FAILED', 'login: %s' % e
                    log('  %-20s FAILED (%s)' % (sc.id, e))
                    continue
                (verify_dpop if sc.kind == 'dpop' else verify)(sc, h, self.op.issuer)
                log('  verify %-20s %s %s' % (sc.id, sc.status, sc.reason))
            floor = next(s for s in self.scenarios if s.id == 'floor')
            if floor.status != 'ok':
                raise RuntimeError('the no-auth floor failed verification: ' + floor.reason)
            measured = [s for s in live if s.wrk and s.status == 'ok' and s.id != 'floor']
            # warm-up: caches filled, code paged in (its non-200s count too)
            for sc in [floor] + measured:
                _, n, bad, _, _ = run_wrk(sc.url(self.servers[sc.server]), sc.headers, 1,
                                          self.a.conns)
                sc.requests += n
                sc.non200 += bad
            # F S1 F S2 F ... Sn F per round: each scenario is compared with the
            # mean of the floor runs right before and right after it
            fh = self.servers['floor']

            def floor_run():
                fr, fn, fbad, fout, fcpu = run_wrk(floor.url(fh), {}, self.a.duration,
                                                   self.a.conns, fh)
                floor.rps.append(fr)
                floor.cpu.append(fcpu)
                fp = wrk_p99(fout)
                if fp:
                    floor.p99.append(fp)
                floor.requests += fn
                floor.non200 += fbad
                return fr, fcpu, fp
            for rnd in range(self.a.rounds):
                before = floor_run()
                for sc in measured:
                    h = self.servers[sc.server]
                    st0 = self.stores.cpu_ns(sc.store)
                    r, n, bad, out, cpu = run_wrk(sc.url(h), sc.headers, self.a.duration,
                                                  self.a.conns, h)
                    if sc.store in self.stores.pids and n:
                        sc.store_cpu.append((self.stores.cpu_ns(sc.store) - st0) / n)
                    after = floor_run()
                    fr = (before[0] + after[0]) / 2
                    fcpu = (before[1] + after[1]) / 2
                    sc.rps.append(r)
                    sc.ratios.append(r / fr)
                    sc.cpu.append(cpu)
                    sc.cpu_ratios.append(fcpu / cpu)
                    p99 = wrk_p99(out)
                    if p99 and before[2] and after[2]:
                        sc.p99.append(p99)
                        sc.p99_ratios.append(p99 / ((before[2] + after[2]) / 2))
                    sc.requests += n
                    sc.non200 += bad
                    if bad:
                        log('    %s: %d non-200 responses in round %d:\n%s'
                            % (sc.id, bad, rnd + 1, '\n'.join(
                                ln for ln in out.splitlines()
                                if ln.startswith(('STATUS', 'Non', 'Socket')))))
                    log('  round %d %-20s %6.0f req/s floor %6.0f/%-6.0f ratio %.3f | '
                        'CPU %5.1f us/req floor %5.1f/%-5.1f ratio %.3f | non-200 %d'
                        % (rnd + 1, sc.id, r, before[0], after[0], r / fr, cpu / 1e3,
                           before[1] / 1e3, after[1] / 1e3, fcpu / cpu, bad))
                    before = after
            floor.ratios = [1.0] if floor.rps else []
            floor.cpu_ratios = [1.0] if floor.cpu else []
            floor.p99_ratios = [1.0] if floor.p99 else []
            for k in sorted(self.stores.pids):
                n = sum(s.requests for s in live if s.store == k)
                log('  store %s: %d connections accepted since it started (the bench\'s '
                    'own checks included) for %d requests through httpd'
                    % (k, self.stores.connections(k), n))
        finally:
            for name in needed:
                self.servers[name].stop()

    # ---- phase 2: instructions per request ----------------------------------------
    def phases(self, cg, do, n1, n2, pairs):
        """zero, n requests, dump: I(n). Returns per-request estimates
        (I(n2)-I(n1))/(n2-n1) for `pairs` pairs, after one discarded n1 phase,
        and the last n2 dump (the profile)."""
        cg.zero()
        do(n1)
        p, _ = cg.dump()
        os.unlink(p)
        est, keep = [], None
        for _ in range(pairs):
            cg.zero()
            do(n1)
            p1, i1 = cg.dump()
            cg.zero()
            do(n2)
            p2, i2 = cg.dump()
            est.append((i2 - i1) / (n2 - n1))
            os.unlink(p1)
            if keep:
                os.unlink(keep)
            keep = p2
        return est, keep

    def requester(self, url, headers, counter, tls_kw=None):
        s = no_cookies_session()
        for k, v in (tls_kw or {}).items():
            setattr(s, k, v)    # one keep-alive TLS connection, one handshake

        def do(n, hdr_iter=None):
            for _ in range(n):
                hh = next(hdr_iter) if hdr_iter else headers
                r = s.get(url, headers=hh, allow_redirects=False, timeout=120)
                counter['n'] += 1
                if r.status_code != 200 or r.text != CONTENT:
                    counter['bad'] += 1
                    if counter['bad'] <= 3:
                        log('    non-200: %d %s' % (r.status_code, r.text[:120]))
        return do, s

    def record(self, key, est, profile):
        med = statistics.median(est)
        spread = (max(est) - min(est)) / med if med and len(est) > 1 else None
        kept = None
        if profile:
            kept = os.path.join(CG_DIR, '%s.callgrind.out' % key)
            shutil.move(profile, kept)
            os.chmod(kept, 0o644)
        return med, spread, kept

    def instructions(self):
        order = (['floor', 'floor_loc', 'ours', 'ours_proxy', 'ours_basic', 'ours_mtls'] + [srv for _, m, srv, _, _ in STORE_SCENARIOS
                                      if m == 'mod_auth_oidc']
                 + ['openidc'] + [srv for _, m, srv, _, _ in STORE_SCENARIOS
                                  if m != 'mod_auth_oidc'] + ['oauth2'])
        for name in order:
            scs = [s for s in self.scen_of(name) if s.status == 'ok']
            cold = self.a.cold and name in ('ours', 'openidc', 'oauth2') and (
                not self.a.only or any(s.kind == 'bearer' for s in self.scen_of(name)))
            claims = name == 'ours' and self.a.claims and (
                not self.a.only or 'aoidc-claims' in self.a.only.split(','))
            if not scs and not cold and not claims:
                continue
            if name not in self.servers:
                continue
            h = self.servers[name]
            cg = Callgrind(h)
            log('callgrind: %s (apache2 -X under valgrind)' % name)
            t = time.time()
            cg.start()
            log('  up after %.1fs' % (time.time() - t))
            try:
                for sc in scs:
                    self.instr_scenario(cg, h, sc)
                if cold:
                    self.cold_bearer(cg, h, name)
                if claims:
                    self.claims_growth(cg, h)
            finally:
                cg.stop()

    def instr_scenario(self, cg, h, sc):
        t = time.time()
        try:
            self.prepare(sc, h)
        except Exception as e:      # noqa: BLE001
            sc.status, sc.reason = 'FAILED', 'login under callgrind: %s' % e
            log('  %-20s FAILED %s' % (sc.id, sc.reason))
            return
        if not (verify_dpop if sc.kind == 'dpop' else verify)(sc, h, self.op.issuer):
            log('  %-20s FAILED under callgrind: %s' % (sc.id, sc.reason))
            return
        counter = {'n': 0, 'bad': 0}
        do, s = self.requester(sc.url(h), sc.headers, counter, sc.tls_kw())
        if sc.kind == 'dpop':
            do = sc.dpop.sender(do, sc.url(h))
        do(self.a.warmup)
        est, prof = self.phases(cg, do, self.a.n1, self.a.n2, self.a.pairs)
        s.close()
        keep = sc.module == 'mod_auth_oidc' or sc.id == 'floor' or self.a.keep_all_profiles
        sc.instr, sc.instr_spread, sc.profile = self.record(sc.id, est, prof if keep else None)
        if prof and not keep and os.path.exists(prof):
            os.unlink(prof)
        sc.instr_samples = [round(x, 1) for x in est]
        sc.non200 += counter['bad']
        sc.requests += counter['n']
        log('  %-20s %9.0f instr/req  spread %.3f%%  (%s)  %.1fs' % (
            sc.id, sc.instr, 100 * (sc.instr_spread or 0), ', '.join('%.0f' % x for x in est),
            time.time() - t))

    def cold_bearer(self, cg, h, name):
        """First sight of a JWT: every request carries a token never seen before."""
        path = '/api/' + FILE
        mod = {'ours': 'mod_auth_oidc', 'openidc': 'mod_auth_openidc', 'oauth2': 'mod_oauth2'}[name]
        sc = next((s for s in self.scenarios if s.server == name and s.path == path), None)
        res = {'module': mod, 'status': 'FAILED', 'instructions_per_request': None}
        self.extras.setdefault('cold_bearer', []).append(res)
        if sc is None or sc.status != 'ok':
            res['reason'] = 'the warm JWT scenario did not pass verification'
            return
        n1, n2, pairs, w = self.a.cold_n1, self.a.cold_n2, self.a.pairs, 5
        need = w + n1 + pairs * (n1 + n2)
        t = time.time()
        toks = [self.op.mint_jwt_at(SCOPE) for _ in range(need)]
        it = iter([bearer(x) for x in toks])
        counter = {'n': 0, 'bad': 0}
        do0, s = self.requester(sc.url(h), None, counter)

        def do(n):
            do0(n, it)
        do(w)
        est, prof = self.phases(cg, do, n1, n2, pairs)
        s.close()
        keep = mod == 'mod_auth_oidc' or self.a.keep_all_profiles
        med, spread, kept = self.record('%s-jwt-cold' % {'ours': 'aoidc', 'openidc': 'openidc',
                                                          'oauth2': 'oauth2'}[name],
                                        est, prof if keep else None)
        if prof and not keep and os.path.exists(prof):
            os.unlink(prof)
        res.update(status='ok' if counter['bad'] == 0 else 'FAILED',
                   reason='' if counter['bad'] == 0 else '%d non-200' % counter['bad'],
                   instructions_per_request=med, instructions_spread=spread,
                   samples=[round(x, 1) for x in est], warm_instructions_per_request=sc.instr,
                   non200=counter['bad'], requests=counter['n'], tokens=need, profile=kept)
        log('  %-20s %9.0f instr/req  spread %.3f%%  (%d new tokens)  %.1fs' % (
            mod + ' cold', med, 100 * (spread or 0), need, time.time() - t))

    def claims_growth(self, cg, h):
        """Warm bearer JWT with 5 and with 50 claims (EvilOP as the issuer)."""
        url = 'http://127.0.0.1:%d/apic/%s' % (h.port, FILE)
        base = {'iat': None, 'client_id': None, 'jti': None}     # iss aud exp sub scope
        extra = {'claim%02d' % i: 'value-%02d-abcdefgh' % i for i in range(45)}
        out = {'status': 'ok', 'points': []}
        self.extras['claims_growth'] = out
        for n, claims in ((5, base), (50, dict(base, **extra))):
            tok = self.evil.access_token(**claims)
            payload = json.loads(base64url_decode(tok.split('.')[1]))
            assert len(payload) == n, (n, sorted(payload))
            sc = Scenario('aoidc-claims%d' % n, 'mod_auth_oidc', 'ours', '/apic/' + FILE,
                          'bearer', 'bearer JWT, %d claims' % n)
            sc.headers, sc.bad_headers = bearer(tok), bearer(corrupt(tok))
            if not verify(sc, h, self.evil.issuer):
                out['status'] = 'FAILED'
                out.setdefault('reason', []).append('%d claims: %s' % (n, sc.reason))
                log('  claims %d FAILED: %s' % (n, sc.reason))
                continue
            counter = {'n': 0, 'bad': 0}
            do, s = self.requester(url, sc.headers, counter)
            do(self.a.warmup)
            est, prof = self.phases(cg, do, self.a.n1, self.a.n2, self.a.pairs)
            s.close()
            med, spread, kept = self.record('aoidc-jwt-claims%d' % n, est, prof)
            out['points'].append({'claims': n, 'token_bytes': len(tok),
                                  'instructions_per_request': med,
                                  'instructions_spread': spread,
                                  'samples': [round(x, 1) for x in est],
                                  'non200': counter['bad'], 'profile': kept})
            log('  %-20s %9.0f instr/req  spread %.3f%%  token %d bytes' % (
                'claims %d' % n, med, 100 * (spread or 0), len(tok)))
        if len(out['points']) == 2:
            a, b = out['points']
            out['per_extra_claim'] = (b['instructions_per_request']
                                      - a['instructions_per_request']) / 45

    # ---- raw RS256 / ES256 verification ---------------------------------------
    def rsa_raw(self):
        self.raw_verify('rsa_verify', 'rsa2048.pem',
                        ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], 'RS256',
                        'EVP_DigestVerifyInit + EVP_DigestVerify (SHA-256 of a 345-byte '
                        'signing input + RSA-2048 public op), key already parsed')

    def es256_raw(self):
        self.raw_verify('es256_verify', 'ecp256.pem',
                        ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'ES256',
                        'EVP_DigestVerifyInit + EVP_DigestVerify (SHA-256 of a 345-byte '
                        'signing input + ECDSA P-256 verify of a DER signature), key '
                        'already parsed')

    def raw_verify(self, name, keyfile, genpkey, alg, what):
        """bench/rsa_verify.c (any key type: EVP picks the algorithm from the
        key) under callgrind, N = 10 and 110, difference / 100."""
        os.makedirs(BIN, exist_ok=True)
        exe = os.path.join(BIN, 'rsa_verify')
        src = os.path.join(BENCH, 'rsa_verify.c')
        key = os.path.join(BIN, keyfile)
        res = {'status': 'FAILED'}
        self.extras[name] = res
        r = subprocess.run(['gcc', '-O2', '-o', exe, src, '-lcrypto'],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode:
            res['reason'] = 'compile: ' + r.stdout
            return
        if not os.path.exists(key):
            subprocess.run(['openssl', 'genpkey'] + genpkey + ['-out', key], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tot = {}
        for n in (10, 110):
            cgf = os.path.join(BIN, '%s.%d.callgrind.out' % (name, n))
            r = subprocess.run(['valgrind', '--tool=callgrind', '--vgdb=no', '--collect-atstart=no',
                                '--toggle-collect=verify_loop', '--callgrind-out-file=' + cgf,
                                exe, key, str(n)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            if r.returncode:
                res['reason'] = 'run: ' + r.stdout[-2000:]
                return
            tot[n] = read_totals(cgf)
        per = (tot[110] - tot[10]) / 100
        t = time.time()
        r = subprocess.run([exe, key, '20000'], stdout=subprocess.PIPE, text=True)
        dt = time.time() - t
        res.update(status='ok', instructions_per_verify=per,
                   verifies_per_second_native=round(20000 / dt), what=what)
        log('raw OpenSSL %s verify: %.0f instructions (%d/s natively)' % (
            alg, per, res['verifies_per_second_native']))

    # ---- stored session size -----------------------------------------------
    def session_size(self):
        out = []
        self.extras['session_size'] = out
        logf = open(os.path.join(RUN, 'redis.log'), 'ab')
        self.redis = subprocess.Popen(
            ['redis-server', '--port', str(self.redis_port), '--bind', '127.0.0.1',
             '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        try:
            for _ in range(100):
                if port_open(self.redis_port):
                    break
                time.sleep(0.05)
            for name, mod, cookie in (('ours_size', 'mod_auth_oidc', 'aoidc_session'),
                                      ('openidc_size', 'mod_auth_openidc',
                                       'mod_auth_openidc_session')):
                res = {'module': mod, 'status': 'FAILED'}
                out.append(res)
                h = self.servers[name]
                try:
                    h.start()
                    res.update(self._session_size(h, cookie))
                    res['status'] = 'ok'
                    log('session size %-16s stored %d bytes, cookie %d bytes' % (
                        mod, res['session_bytes'], res['cookie_bytes']))
                except Exception as e:      # noqa: BLE001
                    res['reason'] = str(e)
                    log('session size %s FAILED: %s\n%s' % (mod, e, h.error_log_tail(10)))
                finally:
                    h.stop()
        finally:
            self.redis.terminate()
            self.redis.wait(10)
            logf.close()

    def _session_size(self, h, cookie):
        rc = Redis(self.redis_port)
        rc.cmd('FLUSHALL')
        s = requests.Session()
        s.trust_env = False
        url = h.base + '/app/' + FILE
        r = s.get(url, allow_redirects=False, timeout=30)
        if r.status_code != 302:
            raise RuntimeError('first response %d' % r.status_code)
        cb = self.op.login(s, r)
        before = rc.sizes()
        r = s.get(cb, allow_redirects=False, timeout=30)
        value = next((c.value for c in s.cookies if c.name == cookie), None)
        if value is None:
            raise RuntimeError('callback %d, no %s cookie' % (r.status_code, cookie))
        r = requests.get(url, headers={'Cookie': '%s=%s' % (cookie, value)},
                         allow_redirects=False, timeout=30)
        if r.status_code != 200 or r.text != CONTENT:
            raise RuntimeError('session not usable: %d' % r.status_code)
        after = rc.sizes()
        new = {k: v for k, v in after.items() if k not in before or before[k] != v}
        if not new:
            raise RuntimeError('no entry written to redis (keys: %d)' % len(after))
        strings = [k for k in new if new[k][2] == 'string']
        if not strings:
            raise RuntimeError('no string entry written to redis (keys: %d)' % len(after))
        key = max(strings, key=lambda k: new[k][0])
        return {'session_bytes': new[key][0], 'session_key': printable(key),
                'session_ttl': new[key][1], 'cookie_bytes': len(value),
                'entries_written_at_login': {printable(k): {'bytes': v[0], 'ttl': v[1],
                                                            'type': v[2]}
                                             for k, v in new.items()},
                'store': 'redis (value as stored, via STRLEN; sets: their members)'}

    # ---- output ------------------------------------------------------------
    def write(self):
        res = {
            'generated': time.strftime('%Y-%m-%dT%H:%M:%S%z'),
            'duration_seconds': round(time.time() - self.t0),
            'machine': {'cpus': os.cpu_count(), 'kernel': platform.release(),
                        'apache2': subprocess.run([APACHE2, '-v'], stdout=subprocess.PIPE,
                                                  text=True).stdout.splitlines()[0],
                        'packages': pkg_versions()},
            'settings': {'wrk': 'wrk -t1 -c%d -d%ds, %d rounds interleaved with the floor, '
                                'median ratio%s' % (self.a.conns, self.a.duration, self.a.rounds,
                                                    ', httpd pinned to CPU 0 and wrk to CPU 1'
                                                    if PIN['wrk'] else ''),
                         'callgrind': 'apache2 -X (prefork), keep-alive client; '
                                      '(I(%d)-I(%d))/%d, %d pairs, median'
                                      % (self.a.n2, self.a.n1, self.a.n2 - self.a.n1,
                                         self.a.pairs),
                         'cold': '(I(%d)-I(%d))/%d new tokens' % (
                             self.a.cold_n2, self.a.cold_n1, self.a.cold_n2 - self.a.cold_n1)},
            'scenarios': [s.result() for s in self.scenarios],
        }
        by = {x.id: x for x in self.scenarios}
        up, px = by.get('aoidc-upstream'), by.get('aoidc-proxied')
        if up and px and up.instr and px.instr:
            res['upstream_token_cost'] = {
                'instructions_per_request': up.instr - px.instr,
                'what': 'aoidc-upstream - aoidc-proxied (the same proxied request)'}
        res.update(self.extras)
        dp, es = by.get('aoidc-dpop'), self.extras.get('es256_verify', {})
        if dp and dp.instr and es.get('instructions_per_verify'):
            v = es['instructions_per_verify']
            res['dpop_cost'] = {
                'instructions_per_request': dp.instr,
                'raw_es256_verify': v,
                'target': 1.5 * v + 60000,
                'over_one_verify': dp.instr - v,
                'over_warm_bearer': dp.instr - by['aoidc-jwt'].instr
                if by.get('aoidc-jwt') and by['aoidc-jwt'].instr else None,
                'what': 'aoidc-dpop (a new ES256 proof per request, the token cached) '
                        'against issue 12\'s target 1.5 x one raw ES256 verify + 60 k'}
        with open(os.path.join(OUT, 'results.json'), 'w') as f:
            json.dump(res, f, indent=1)
        md = render_md(res)
        with open(os.path.join(OUT, 'results.md'), 'w') as f:
            f.write(md)
        print()
        print(md)

    def cleanup(self):
        for h in self.servers.values():
            try:
                h.stop()
            except Exception:       # noqa: BLE001
                pass
        if self.op:
            self.op.stop()
        if self.evil:
            self.evil.stop()
        if getattr(self, 'tls', None):
            self.tls.stop()
        if self.redis and self.redis.poll() is None:
            self.redis.terminate()
        self.stores.stop()


def base64url_decode(s):
    import base64
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def printable(b):
    try:
        s = b.decode('ascii')
        if s.isprintable():
            return s
    except UnicodeDecodeError:
        pass
    return 'hex:' + b.hex()


class Redis:
    """Just enough RESP for SCAN/STRLEN/TTL/FLUSHALL."""

    def __init__(self, port):
        self.port = port

    def cmd(self, *args):
        with socket.create_connection(('127.0.0.1', self.port), timeout=5) as s:
            parts = [b'*%d\r\n' % len(args)]
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                parts.append(b'$%d\r\n%s\r\n' % (len(a), a))
            s.sendall(b''.join(parts))
            f = s.makefile('rb')
            return self._read(f)

    def _read(self, f):
        line = f.readline()
        t, rest = line[:1], line[1:-2]
        if t in (b'+',):
            return rest
        if t == b'-':
            raise RuntimeError('redis: ' + rest.decode())
        if t == b':':
            return int(rest)
        if t == b'$':
            n = int(rest)
            if n < 0:
                return None
            data = f.read(n + 2)
            return data[:-2]
        if t == b'*':
            return [self._read(f) for _ in range(int(rest))]
        raise RuntimeError('redis: bad reply %r' % line)

    def sizes(self):
        keys, cur = [], b'0'
        while True:
            cur, ks = self.cmd('SCAN', cur, 'COUNT', 1000)
            keys += ks
            if cur == b'0':
                break
        out = {}
        for k in keys:
            t = self.cmd('TYPE', k).decode()
            if t == 'string':
                n = self.cmd('STRLEN', k)
            elif t == 'set':        # the store's sid/sub indexes: their members' bytes
                n = sum(len(m) for m in self.cmd('SMEMBERS', k))
            else:
                n = 0
            out[k] = (n, self.cmd('TTL', k), t)
        return out


def pkg_versions():
    out = {}
    for p in ('libapache2-mod-auth-openidc', 'libapache2-mod-oauth2', 'liboauth2-0', 'wrk',
              'valgrind', 'libssl3'):
        r = subprocess.run(['dpkg-query', '-W', '-f=${Version}', p], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        out[p] = r.stdout or None
    return out


NOTES = {
    'aoidc-mtls': 'AuthOIDCTokenBinding mtls on mod_ssl (SSLVerifyClient optional_no_ca), one '
                  'keep-alive TLS connection with a client certificate; compare with '
                  'aoidc-tls-floor (the TLS cost of the same request without auth)',
    'aoidc-jwt-tls': 'the aoidc-jwt token on the aoidc-mtls server and connection: '
                     'aoidc-mtls minus this is the cost of the binding',
    'aoidc-tls-floor': 'unprotected path on the aoidc-mtls server: TLS record layer and '
                       'mod_ssl per request, module loaded',
    'openidc-jwt': 'verifies the signature on every request (no validation cache); '
                   'own virtual host; JWKS via the loopback TLS proxy',
    'openidc-introspect': 'own virtual host; introspection via the loopback TLS proxy '
                          '(result cached)',
    'aoidc-unprotected': 'callgrind only: the module\'s cost on a path it does not protect',
    'floor-location': 'a server with the <Location> sections of ours, each with only '
                      'Require all granted: httpd\'s walk and merge of them, which any '
                      'module configured per <Location> pays',
    'floor-location-jwt': 'floor-location at /api/ with the Authorization header of '
                          'aoidc-jwt, which nothing reads: httpd parsing the longer request',
    'aoidc-proxied': 'ProxyPass to a plain httpd backend (the same file), no module '
                     'directive on the path',
    'aoidc-upstream': 'as aoidc-proxied + AuthOIDCUpstreamToken client_credentials '
                      '(api-client, scope orders:read, audience api://default); the '
                      'backend answers only a request with a bearer token',
    'aoidc-dpop': 'callgrind only: AuthOIDCTokenBinding dpop, EvilOP token with cnf.jkt '
                  '(cached after the first request), a new proof (jti, iat) per request '
                  'signed by the bench just before each batch; the jti goes to the shm cache',
    'aoidc-basic': 'AuthType oidc-basic, Basic alice:… against the EvilOP\'s password '
                   'grant; the success is cached',
    'aoidc-rediss': 'rediss://, server certificate verified against a CA the bench makes '
                    '(AuthOIDCStoreTLS ca=)',
    'aoidc-sentinel': 'redis-sentinel://: one master watched by one redis-sentinel',
    'aoidc-cookie': 'AuthOIDCSessionStore cookie: the sealed session in chunked cookies',
    'openidc-cookie': 'OIDCSessionType client-cookie, OIDCSessionInactivityTimeout 3600 '
                      '(our default; its own 300 s ends the replayed cookie mid-run)',
}
COLD_NOTES = {
    'mod_auth_openidc': 'no validation cache: cold = warm',
    'mod_oauth2': 'grows as its shm cache fills (see samples in results.json)',
}


def fmt(x, f='%.0f'):
    return '—' if x is None else f % x


def render_md(res):
    L = ['# mod_auth_oidc benchmark', '',
         'Generated %s in %d s on %d CPUs, %s. wrk: %s. callgrind: %s.' % (
             res['generated'], res['duration_seconds'], res['machine']['cpus'],
             res['machine']['apache2'], res['settings']['wrk'], res['settings']['callgrind']),
         '', 'Peers: %s.' % ', '.join('%s %s' % kv for kv in res['machine']['packages'].items()),
         '', '| module | scenario | status | instructions/request | spread | ratio to floor '
             '(throughput) | CPU ratio to floor | req/s | server CPU µs/req | store CPU µs/req '
             '| p99 latency µs (ratio to floor) | non-200 | notes |',
         '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|']
    for s in res['scenarios']:
        p99 = ('%.0f (%.2f)' % (s['p99_latency_us'], s['p99_ratio_to_floor'])
               if s.get('p99_latency_us') and s.get('p99_ratio_to_floor') else '—')
        L.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d / %d | %s |' % (
            s['module'], s['scenario'], s['status'] if s['status'] != 'pending' else 'not run',
            fmt(s['instructions_per_request']),
            fmt(s['instructions_spread'] and 100 * s['instructions_spread'], '%.2f%%'),
            fmt(s['ratio_to_floor'], '%.3f'), fmt(s['cpu_ratio_to_floor'], '%.3f'),
            fmt(s['requests_per_second']), fmt(s['server_cpu_us_per_request'], '%.1f'),
            fmt(s.get('store_cpu_us_per_request'), '%.1f'), p99, s['non200'], s['requests'],
            s.get('note', '')))
    fl = next((s for s in res['scenarios'] if s['id'] == 'floor'), None)
    if fl and fl['rps_rounds']:
        r = fl['rps_rounds']
        L += ['', 'Floor throughput over the run: median %.0f req/s, min %.0f, max %.0f '
                  '(%d runs); the ratio of a scenario is its req/s over the mean of the '
                  'floor runs just before and after it, median over the rounds '
                  '(per-round ratios in results.json). CPU ratio: the floor\'s server '
                  'CPU time per request over the scenario\'s (httpd\'s on-CPU time from '
                  '/proc/PID/task/*/schedstat during the same wrk runs), i.e. the '
                  'throughput ratio of a server with a core of its own; much less '
                  'affected by whatever else the machine is doing. Store CPU: the '
                  'on-CPU time of the session store\'s processes (redis, sentinel, '
                  'memcached; pinned to httpd\'s CPU) per request in the same runs, not '
                  'in the CPU ratio (a store on another machine).' % (
                      statistics.median(r), min(r), max(r), len(r))]
    ut = res.get('upstream_token_cost')
    if ut:
        L += ['', 'Cached upstream token (AuthOIDCUpstreamToken client_credentials): '
                  '**%+.0f instructions/request** over the same proxied request without it '
                  '(%s).' % (ut['instructions_per_request'], ut['what'])]
    fails = [s for s in res['scenarios'] if s['status'] == 'FAILED']
    if fails:
        L += ['', '## Failed verification', '']
        for s in fails:
            L.append('- **%s / %s**: %s' % (s['module'], s['scenario'], s['reason']))
    dc = res.get('dpop_cost')
    if dc:
        L += ['', 'DPoP (aoidc-dpop, a new ES256 proof per request): **%.0f '
                  'instructions/request**; raw OpenSSL ES256 verify %.0f; target 1.5 × '
                  'verify + 60 k = %.0f (%s); %s over the warm bearer JWT.' % (
                      dc['instructions_per_request'], dc['raw_es256_verify'], dc['target'],
                      'met' if dc['instructions_per_request'] <= dc['target'] else 'MISSED',
                      fmt(dc['over_warm_bearer'], '%+.0f'))]
    cold = res.get('cold_bearer')
    rsa = res.get('rsa_verify', {})
    if cold:
        L += ['', '## First sight of a bearer JWT (every request a new token)', '',
              'Raw OpenSSL RS256 verify (%s): **%s instructions**%s.' % (
                  rsa.get('what', 'n/a'), fmt(rsa.get('instructions_per_verify')),
                  ', %s verifies/s natively' % rsa['verifies_per_second_native']
                  if rsa.get('verifies_per_second_native') else ''),
              '', '| module | status | cold instr/request | spread | warm instr/request '
                  '| cold − warm | cold − warm − raw verify | notes |',
              '|---|---|---:|---:|---:|---:|---:|---|']
        for c in cold:
            ci, wi = c.get('instructions_per_request'), c.get('warm_instructions_per_request')
            rv = rsa.get('instructions_per_verify')
            L.append('| %s | %s | %s | %s | %s | %s | %s | %s |' % (
                c['module'], c['status'] + (' (%s)' % c['reason'] if c.get('reason') else ''),
                fmt(ci), fmt(c.get('instructions_spread') and 100 * c['instructions_spread'],
                             '%.2f%%'),
                fmt(wi), fmt(ci - wi if ci and wi else None),
                fmt(ci - wi - rv if ci and wi and rv else None), COLD_NOTES.get(c['module'], '')))
    cg = res.get('claims_growth')
    if cg:
        L += ['', '## Claims growth (mod_auth_oidc, warm bearer JWT, EvilOP issuer)', '',
              '| claims | token bytes | instructions/request | spread |', '|---:|---:|---:|---:|']
        for p in cg['points']:
            L.append('| %d | %d | %s | %s |' % (p['claims'], p['token_bytes'],
                                              fmt(p['instructions_per_request']),
                                              fmt(p['instructions_spread'] and
                                                  100 * p['instructions_spread'], '%.2f%%')))
        if 'per_extra_claim' in cg:
            L.append('')
            L.append('≈ %.0f instructions per extra claim.' % cg['per_extra_claim'])
        if cg.get('reason'):
            L.append('')
            L.append('FAILED: %s' % '; '.join(cg['reason']))
    ss = res.get('session_size')
    if ss:
        L += ['', '## Stored session (login with scope "openid email profile", store: redis)', '',
              '| module | status | stored session bytes | cookie bytes | entries written at login |',
              '|---|---|---:|---:|---|']
        for x in ss:
            L.append('| %s | %s | %s | %s | %s |' % (
                x['module'], x['status'] + (' (%s)' % x['reason'] if x.get('reason') else ''),
                fmt(x.get('session_bytes')), fmt(x.get('cookie_bytes')),
                ', '.join('%s…: %d B%s' % (k[:16], v['bytes'],
                                            '' if v.get('type', 'string') == 'string'
                                            else ' (%s)' % v['type'])
                          for k, v in x.get('entries_written_at_login', {}).items())))
    L += growth.render(res)
    L += ['', 'Instruction counts are taken under valgrind, whose virtual CPU has no '
              'SHA-NI and no AVX-512: OpenSSL falls back to its SSE/AVX2 code there, so '
              'SHA-256 in particular costs several times more instructions than natively '
              'on a CPU with SHA-NI. Compare modules with each other, not with native '
              'cycle counts.']
    L += ['', 'Profiles: bench/out/callgrind/*.callgrind.out '
              '(`callgrind_annotate --inclusive=yes FILE | head -60`).', '']
    return '\n'.join(L)


def main():
    global LOG
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--rounds', type=int, default=5, help='wrk rounds (default 5)')
    ap.add_argument('--duration', type=int, default=3, help='seconds per wrk run (default 3)')
    ap.add_argument('--no-pin', dest='pin', action='store_false',
                    help='do not pin httpd to CPU 0 and wrk to CPU 1')
    ap.add_argument('--conns', type=int, default=4, help='wrk connections (default 4)')
    ap.add_argument('--warmup', type=int, default=30, help='callgrind warm-up requests')
    ap.add_argument('--n1', type=int, default=100)
    ap.add_argument('--n2', type=int, default=500)
    ap.add_argument('--pairs', type=int, default=3, help='(n1, n2) pairs per scenario')
    ap.add_argument('--cold-n1', type=int, default=10)
    ap.add_argument('--cold-n2', type=int, default=60)
    ap.add_argument('--no-wrk', dest='wrk', action='store_false')
    ap.add_argument('--no-callgrind', dest='callgrind', action='store_false')
    ap.add_argument('--no-cold', dest='cold', action='store_false')
    ap.add_argument('--no-claims', dest='claims', action='store_false')
    ap.add_argument('--no-session-size', dest='session_size', action='store_false')
    ap.add_argument('--keep-all-profiles', action='store_true',
                    help="also keep the peers' callgrind profiles")
    ap.add_argument('--only', help='comma list of scenario ids (plus the floor)')
    ap.add_argument('--store-cpu', metavar='CPU',
                    help="CPU for the session stores (default: httpd's when pinned; "
                         "'any': not pinned)")
    growth.add_args(ap)
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit('bench: run as root (apache2 switches to %s; valgrind runs as that user)'
                 % RUN_USER)
    if not os.path.exists(OUR_MODULE):
        sys.exit('bench: %s not found (bench/run builds it)' % OUR_MODULE)
    if a.pin and (os.cpu_count() or 1) >= 2 and shutil.which('taskset'):
        PIN['httpd'], PIN['wrk'] = ['taskset', '-c', '0'], ['taskset', '-c', '1']
    os.makedirs(OUT, exist_ok=True)
    for d in (RUN, CG_DIR):
        if os.path.isdir(d):
            shutil.rmtree(d, ignore_errors=True)
    os.makedirs(RUN)
    LOG = open(os.path.join(OUT, 'bench.log'), 'w')
    b = Bench(a)
    try:
        b.setup()
        growth.setup(b)
        if a.wrk:
            log('== throughput (wrk), verification first')
            b.throughput()
        else:
            for sc in b.scenarios:
                sc.status = 'ok'    # verified again before callgrind
        if a.callgrind:
            log('== instructions per request (callgrind)')
            b.instructions()
            if a.cold:
                b.rsa_raw()
            if any(s.kind == 'dpop' and s.instr for s in b.scenarios):
                b.es256_raw()
        if a.session_size:
            log('== stored session size')
            b.session_size()
        if growth.wanted(a):
            growth.run(b)
    finally:
        growth.cleanup(b)
        b.cleanup()
    b.write()
    failed = [s for s in b.scenarios if s.status == 'FAILED']
    return 1 if failed else 0


growth.B = sys.modules[__name__]

if __name__ == '__main__':
    sys.exit(main())
