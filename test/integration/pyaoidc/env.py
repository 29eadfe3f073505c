"""Test environment: a Debian apache2 under test/integration/gen/ with our module.

    env = Env(); env.setup()                 # gen/ tree, echo backend, port chosen
    AoidcConf(env).add_location('/app', [...]).install()   # write + (re)start httpd
    rc, out = AoidcConf(env).add(...).configtest()         # apache2 -t
    env.stop()

Layout of the server root (gen/):

    conf/httpd.conf     main config (modules, logs, backends) + Include conf/test.conf
    conf/test.conf      the snippet the current test installed
    logs/error_log      policed after every test (see Env.check_log)
    logs/access_log     CustomLog
    logs/stderr.log     apache2's stdout/stderr (startup failures)
    htdocs/             static files (/app/index.html, /loggedout.html, ...)
    cgi-bin/env.cgi     prints its environment as JSON
    run/                PidFile, DefaultRuntimeDir, Mutex file:, cgid socket
    asan/               ASan reports when AOIDC_ASAN=1

Environment variables:

    AOIDC_MODULE      path of mod_auth_oidc.so (default <repo>/src/.libs/mod_auth_oidc.so)
    AOIDC_NO_MODULE=1 do not LoadModule ours (try the harness without a build)
    AOIDC_ASAN=1      LD_PRELOAD libasan into apache2; any report fails the test
    AOIDC_APACHE2     apache2 binary (default /usr/sbin/apache2)
    AOIDC_MODDIR      Debian module dir (default /usr/lib/apache2/modules)
"""

import http.server
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION_DIR = os.path.dirname(HERE)
REPO_DIR = os.path.dirname(os.path.dirname(INTEGRATION_DIR))

PASSPHRASE = 'integration-test-passphrase-0123456789abcdef'
INDEX_MARK = 'AOIDC-TEST-INDEX'
LOGGEDOUT_MARK = 'AOIDC-TEST-LOGGED-OUT'

# Locations whose <prefix>/redirect_uri the RealOP registers (it only accepts
# registered redirect URIs, so a test protecting another prefix with the
# RealOP must add it here).
OIDC_PREFIXES = ('/app', '/app2', '/authz', '/sess', '/lo', '/srv', '/cs', '/nest', '/nest2',
                 '/nestno', '/uz', '/uzp', '/lc',
                 '/fp', '/hy', '/im',   # test_345: form_post, hybrid, implicit
                 '/multi')              # test_350: several providers

# Modules every config loads (Debian file names).
BASE_MODULES = [
    ('mpm_event_module', 'mod_mpm_event.so'),
    ('unixd_module', None),            # built into Debian's apache2 (checked below)
    ('authz_core_module', 'mod_authz_core.so'),
    ('authz_user_module', 'mod_authz_user.so'),
    ('authz_host_module', 'mod_authz_host.so'),
    ('authn_core_module', 'mod_authn_core.so'),
    ('socache_shmcb_module', 'mod_socache_shmcb.so'),
    ('proxy_module', 'mod_proxy.so'),
    ('proxy_http_module', 'mod_proxy_http.so'),
    ('cgid_module', 'mod_cgid.so'),
    ('alias_module', 'mod_alias.so'),
    ('mime_module', 'mod_mime.so'),
    ('dir_module', 'mod_dir.so'),
    ('env_module', 'mod_env.so'),
    ('headers_module', 'mod_headers.so'),
    ('setenvif_module', 'mod_setenvif.so'),
    ('log_config_module', None),       # built in too on Debian
]

# The event MPM's lines in httpd.conf unless Env.set_mpm() says otherwise.
DEFAULT_MPM = '''# One child: process-wide caches (metadata, JWKS) are then one cache, so fetch
# counts are deterministic.
StartServers 1
ServerLimit 1
ThreadsPerChild 64
ThreadLimit 64
MaxRequestWorkers 64
MinSpareThreads 1
MaxSpareThreads 64
MaxConnectionsPerChild 0'''
# Two children that stay (no spare-process reaping, no recycling), and
# SO_REUSEPORT with one listener bucket per child (ListenCoresBucketsRatio 1
# on a 2-CPU host gives 2 buckets), so the kernel spreads new connections
# over both children instead of waking the same one each time.
TWO_CHILDREN_MPM = '''StartServers 2
ServerLimit 2
ThreadsPerChild 4
ThreadLimit 4
MaxRequestWorkers 8
MinSpareThreads 1
MaxSpareThreads 8
MaxConnectionsPerChild 0
ListenCoresBucketsRatio 1'''

# Lines at these levels fail a test unless expected.
BAD_LEVELS = {'emerg', 'alert', 'crit', 'error', 'warn'}
# Always tolerated (startup noise), matched with re.search.
STARTUP_NOISE = [
    r'AH00558',     # could not reliably determine the server's FQDN
]
# Never tolerated, whatever the test expects.
FATAL_PATTERNS = [
    r'exit signal',                 # AH00052 child pid N exit signal Segmentation fault
    r'AH00045',                     # child process still did not exit, sending a SIGKILL
    r'AddressSanitizer',
    r'double free|corrupted size|malloc\(\)',
]

LOG_LINE_RE = re.compile(r'^\[[^\]]*\] \[([^:\]\s]*):(\w+)\]')
CGI_SCRIPT = r'''#!/usr/bin/python3
import json, os, sys
body = ''
n = int(os.environ.get('CONTENT_LENGTH') or 0)
if n:
    body = sys.stdin.buffer.read(n).decode('utf-8', 'replace')
sys.stdout.write('Content-Type: application/json\r\n\r\n')
sys.stdout.write(json.dumps({'env': dict(os.environ), 'body': body}, indent=1, sort_keys=True))
'''


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _allow_core():
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        pass


def port_open(port, host='127.0.0.1'):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class HttpdError(RuntimeError):
    pass


# --------------------------------------------------------------------------
# echo backend
# --------------------------------------------------------------------------

class _EchoHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'AoidcEcho/1.0'

    def log_message(self, *args):
        pass

    def _echo(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n).decode('utf-8', 'replace') if n else ''
        out = json.dumps({'method': self.command, 'path': self.path,
                          'headers': [[k, v] for k, v in self.headers.items()],
                          'body': body}, indent=1).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(out)))
        self.send_header('Cache-Control', 'no-store')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _echo


class EchoBackend:
    """ThreadingHTTPServer on loopback answering JSON
    {method, path, headers: [[name, value], ...], body}."""

    def __init__(self):
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _EchoHandler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                       name='echo-%d' % self.port)
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Echo:
    """What the echo backend saw (parsed from a response body)."""

    def __init__(self, resp):
        self.resp = resp
        self.data = resp.json()
        self.headers = [(k, v) for k, v in self.data['headers']]
        self.path = self.data['path']

    @staticmethod
    def norm(name):
        return name.lower().replace('-', '_')

    def values(self, name):
        """Values of headers called `name` (case-insensitive, exact)."""
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def value(self, name):
        vals = self.values(name)
        assert len(vals) == 1, 'expected exactly one %s header, backend saw %r' % (name, self.headers)
        return vals[0]

    def like(self, name):
        """Headers whose name equals `name` after lower-casing and '-' -> '_'."""
        return [(k, v) for k, v in self.headers if self.norm(k) == self.norm(name)]

    def prefixed(self, prefix='OIDC_CLAIM_'):
        p = self.norm(prefix)
        return [(k, v) for k, v in self.headers if self.norm(k).startswith(p)]


def cgi_env(resp):
    """The environment dict a /.../env.cgi response carries."""
    return resp.json()['env']


# --------------------------------------------------------------------------
# the server
# --------------------------------------------------------------------------

class Env:
    """One httpd. Env() lives in gen/; Env(name='node2') is a further node
    with the same module in gen/node2/ on its own port (see the `nodes`
    fixture), with its own error_log, policed the same way."""

    def __init__(self, name=None):
        self.name = name or 'main'
        self.gen = os.path.join(INTEGRATION_DIR, 'gen', *([name] if name else []))
        self.root = self.gen
        self.conf_dir = os.path.join(self.gen, 'conf')
        self.logs_dir = os.path.join(self.gen, 'logs')
        self.htdocs = os.path.join(self.gen, 'htdocs')
        self.cgi_bin = os.path.join(self.gen, 'cgi-bin')
        self.run_dir = os.path.join(self.gen, 'run')
        self.asan_dir = os.path.join(self.gen, 'asan')
        self.core_dir = os.path.join(self.gen, 'core')
        self.error_log = os.path.join(self.logs_dir, 'error_log')
        self.access_log = os.path.join(self.logs_dir, 'access_log')
        self.stderr_log = os.path.join(self.logs_dir, 'stderr.log')
        self.httpd_conf = os.path.join(self.conf_dir, 'httpd.conf')
        self.test_conf = os.path.join(self.conf_dir, 'test.conf')
        self.pid_file = os.path.join(self.run_dir, 'httpd.pid')
        self.apache2 = os.environ.get('AOIDC_APACHE2', '/usr/sbin/apache2')
        self.mod_dir = os.environ.get('AOIDC_MODDIR', '/usr/lib/apache2/modules')
        self.module = os.environ.get('AOIDC_MODULE',
                                     os.path.join(REPO_DIR, 'src', '.libs', 'mod_auth_oidc.so'))
        self.load_module = os.environ.get('AOIDC_NO_MODULE', '') not in ('1', 'yes', 'true')
        self.asan = os.environ.get('AOIDC_ASAN', '') in ('1', 'yes', 'true')
        self.port = free_port()
        self.host = '127.0.0.1'
        self.base_url = 'http://127.0.0.1:%d' % self.port
        self.echo = None
        self.op = None               # the session RealOP (set by conftest)
        self.proc = None
        self._stderr = None
        self._installed = None       # conf text of the running server
        self._dirty = False
        self._expected = []          # regexes for the current test
        self._mark = 0               # error_log offset at test start
        self._test = None
        self._cores_seen = set()
        self.mpm = None              # MPM lines of httpd.conf (None: DEFAULT_MPM)
        # apache2 -k graceful-stop (SIGWINCH) or -k stop (SIGTERM)
        self.stop_signal = (signal.SIGTERM if os.environ.get('AOIDC_STOP') == 'term'
                            else signal.SIGWINCH)

    # ------------------------------------------------------------ setup
    def setup(self):
        self._stop_stale()
        if os.path.isdir(self.gen):
            shutil.rmtree(self.gen)
        for d in (self.conf_dir, self.logs_dir, self.htdocs, self.cgi_bin, self.run_dir):
            os.makedirs(d, 0o755, exist_ok=True)
        os.chmod(self.gen, 0o755)
        os.makedirs(self.core_dir, exist_ok=True)
        os.chmod(self.core_dir, 0o1777)     # children (www-data) dump core here
        if self.asan:
            os.makedirs(self.asan_dir, exist_ok=True)
            os.chmod(self.asan_dir, 0o1777)     # children run as www-data
        self.echo = EchoBackend().start()
        self._write_htdocs()
        cgi = os.path.join(self.cgi_bin, 'env.cgi')
        with open(cgi, 'w') as f:
            f.write(CGI_SCRIPT)
        os.chmod(cgi, 0o755)
        open(self.error_log, 'a').close()
        with open(self.test_conf, 'w') as f:
            f.write('# empty\n')
        with open(self.httpd_conf, 'w') as f:
            f.write(self.main_conf('conf/test.conf'))
        if self.load_module and not os.path.exists(self.module):
            raise HttpdError('module %s not found: build it or set AOIDC_MODULE '
                             '(AOIDC_NO_MODULE=1 runs without it)' % self.module)
        return self

    def set_mpm(self, lines=None):
        """Replace the MPM lines of httpd.conf (None: back to DEFAULT_MPM,
        one child); the next install() restarts httpd with them."""
        self.mpm = lines
        with open(self.httpd_conf, 'w') as f:
            f.write(self.main_conf('conf/test.conf'))
        self.mark_dirty()

    def _write_htdocs(self):
        def put(rel, text):
            p = os.path.join(self.htdocs, rel.lstrip('/'))
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, 'w') as f:
                f.write(text)
        put('index.html', '<html><body>%s /</body></html>\n' % INDEX_MARK)
        put('loggedout.html', '<html><body>%s</body></html>\n' % LOGGEDOUT_MARK)
        for d in OIDC_PREFIXES + ('/evil', '/down', '/api', '/api2', '/apiq', '/apif',
                                  '/apityp', '/apidown', '/apikeys', '/public'):
            for sub in ('', '/a', '/b', '/c', '/d', '/deep', '/deep/er'):
                put('%s%s/index.html' % (d, sub),
                    '<html><body>%s %s%s/</body></html>\n' % (INDEX_MARK, d, sub))

    def _stop_stale(self):
        """An httpd left running by an aborted earlier run of this harness."""
        pid_file = os.path.join(self.gen, 'run', 'httpd.pid')
        try:
            pid = int(open(pid_file).read().strip())
            cmd = open('/proc/%d/cmdline' % pid, 'rb').read().replace(b'\0', b' ').decode()
        except (OSError, ValueError):
            return
        if 'apache2' in cmd and self.gen in cmd:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not os.path.exists('/proc/%d' % pid):
                    break
                time.sleep(0.1)

    def main_conf(self, include):
        m = []
        for name, so in BASE_MODULES:
            if so is None:
                continue
            m.append('LoadModule %s %s/%s' % (name, self.mod_dir, so))
        if self.load_module:
            m.append('LoadModule auth_oidc_module %s' % self.module)
        r = self.root
        return '''# generated by pyaoidc/env.py
ServerName 127.0.0.1
Listen 127.0.0.1:%(port)d
%(modules)s
User www-data
Group www-data
PidFile %(r)s/run/httpd.pid
DefaultRuntimeDir %(r)s/run
Mutex file:%(r)s/run default
ScriptSock %(r)s/run/cgid.sock
CoreDumpDirectory %(r)s/core
ErrorLog %(r)s/logs/error_log
%(loglevel)s
LogFormat "%%h %%l %%u %%t \\"%%r\\" %%>s %%b %%D \\"%%{Location}o\\"" aoidc
CustomLog %(r)s/logs/access_log aoidc
TypesConfig /etc/mime.types
Timeout 30
# Longer than any sleep in a test: a client reusing a connection the server
# closes at that very moment sees a spurious disconnect.
KeepAliveTimeout 60
GracefulShutdownTimeout 5
%(mpm)s
DocumentRoot %(r)s/htdocs
DirectoryIndex index.html
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory %(r)s/htdocs>
    Require all granted
</Directory>
<Directory %(r)s/cgi-bin>
    Options +ExecCGI
    Require all granted
</Directory>
# Backends, reachable below every prefix: .../env.cgi (CGI) and .../echo/ (proxy)
ScriptAliasMatch "^/(.+/)?env\\.cgi$" "%(r)s/cgi-bin/env.cgi"
ProxyPassMatch "^(/.+)?/echo(/.*)?$" "http://127.0.0.1:%(echo)d$1/echo$2"
ProxyTimeout 30
Include %(r)s/%(include)s
''' % {'port': self.port, 'modules': '\n'.join(m), 'r': r, 'echo': self.echo.port,
       'include': include, 'mpm': self.mpm or DEFAULT_MPM,
       'loglevel': 'LogLevel warn auth_oidc:debug' if self.load_module else 'LogLevel warn'}

    # ------------------------------------------------------------ URLs
    def url(self, path='/'):
        if path.startswith('/'):
            return self.base_url + path         # keeps a bare trailing '?'
        return urllib.parse.urljoin(self.base_url + '/', path)

    def redirect_uris(self):
        return [self.url(p + '/redirect_uri') for p in OIDC_PREFIXES]

    def backchannel_logout_uris(self):
        """Back-Channel Logout 1.0 URIs the RealOP registers for its RP clients:
        rp (used by /app and /app2) and rp-post at /app and /app2 respectively."""
        return {'rp': self.url('/app/redirect_uri?logout=backchannel'),
                'rp-post': self.url('/app2/redirect_uri?logout=backchannel')}

    def post_logout_uris(self):
        return [self.url('/loggedout.html'), self.url('/'), self.url('/app/')]

    # ------------------------------------------------------------ process
    def _proc_env(self):
        e = dict(os.environ)
        e.setdefault('LANG', 'C')
        e['AOIDC_TEST_PASSPHRASE'] = PASSPHRASE
        if self.asan:
            lib = subprocess.run(['gcc', '-print-file-name=libasan.so'], stdout=subprocess.PIPE,
                                 text=True).stdout.strip()
            e['LD_PRELOAD'] = lib
            e['ASAN_OPTIONS'] = 'log_path=%s/asan:detect_leaks=0' % self.asan_dir
        return e

    def _cmd(self, conf, *args):
        return [self.apache2, '-d', self.root, '-f', conf] + list(args)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=15):
        if self.running:
            raise HttpdError('httpd already running')
        deadline = time.time() + 10
        while port_open(self.port) and time.time() < deadline:
            time.sleep(0.1)
        if port_open(self.port):
            raise HttpdError('port %d still in use' % self.port)
        self._stderr = open(self.stderr_log, 'ab')
        start_off = self._stderr.tell()
        log_off = self.log_mark()
        # -DFOREGROUND: a normal multi-process start that does not detach, so we
        # own the parent (stop = SIGTERM, no stale pid files or zombies).
        self.proc = subprocess.Popen(self._cmd(self.httpd_conf, '-DFOREGROUND'),
                                     stdin=subprocess.DEVNULL, stdout=self._stderr,
                                     stderr=subprocess.STDOUT, env=self._proc_env(),
                                     preexec_fn=_allow_core, start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                self._installed = None
                raise HttpdError('apache2 exited at startup (rc=%s):\n%s\n--- error_log ---\n%s'
                                 % (rc, self._read(self.stderr_log, start_off),
                                    self._read(self.error_log, log_off)[-4000:]))
            if port_open(self.port) and os.path.exists(self.pid_file):
                return
            time.sleep(0.05)
        self.stop()
        raise HttpdError('apache2 not listening on %d within %ss' % (self.port, timeout))

    def stop(self, timeout=20):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self._installed = None
        if self._stderr:
            self._stderr.close()
            self._stderr = None
        deadline = time.time() + 10
        while port_open(self.port) and time.time() < deadline:
            time.sleep(0.05)

    def graceful(self, timeout=10):
        """SIGUSR1 (apache2 -k graceful) and wait until the server answers."""
        if not self.running:
            raise HttpdError('httpd not running')
        off = os.path.getsize(self.error_log)
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if 'resuming normal operations' in self._read(self.error_log, off):
                return
            if self.proc.poll() is not None:
                raise HttpdError('apache2 died on graceful restart:\n' + self._tail(self.error_log))
            time.sleep(0.05)
        raise HttpdError('graceful restart did not complete')

    def install(self, conf_text, force=False):
        """Write conf/test.conf and restart httpd, unless this exact text is
        already running (and nothing marked the server dirty)."""
        if not force and not self._dirty and self.running and self._installed == conf_text:
            return False
        self.stop()
        with open(self.test_conf, 'w') as f:
            f.write(conf_text)
        self._dirty = False
        self.start()
        self._installed = conf_text
        return True

    def mark_dirty(self):
        """The next install() restarts even with the same config (the test
        left process-wide caches in a state later tests must not inherit)."""
        self._dirty = True

    def configtest(self, conf_text):
        """apache2 -t on the main config with `conf_text` as the snippet.
        Returns (exit code, combined output)."""
        snippet = os.path.join(self.conf_dir, 'configtest-snippet.conf')
        main = os.path.join(self.conf_dir, 'configtest.conf')
        with open(snippet, 'w') as f:
            f.write(conf_text)
        with open(main, 'w') as f:
            f.write(self.main_conf('conf/configtest-snippet.conf'))
        r = subprocess.run(self._cmd(main, '-t'), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=self._proc_env(), text=True, timeout=60)
        return r.returncode, r.stdout

    # ------------------------------------------------------------ logs
    @staticmethod
    def _read(path, off=0):
        try:
            with open(path, 'rb') as f:
                f.seek(off)
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def _tail(self, path, n=30):
        return '\n'.join(self._read(path).splitlines()[-n:])

    def log_mark(self):
        try:
            return os.path.getsize(self.error_log)
        except OSError:
            return 0

    def log_since(self, mark=None):
        return self._read(self.error_log, self._mark if mark is None else mark).splitlines()

    def expect_log(self, *patterns):
        """Error-log lines (regex, re.search) at warn level or above that the
        current test expects. Cleared at the start of each test."""
        self._expected.extend(re.compile(p) for p in patterns)

    def find_log(self, pattern, mark=None, timeout=2.0):
        """Lines since mark (default: test start) matching pattern; waits up
        to timeout for at least one."""
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        while True:
            hits = [ln for ln in self.log_since(mark) if rx.search(ln)]
            if hits or time.time() >= deadline:
                return hits
            time.sleep(0.05)

    def assert_reason(self, *names, mark=None, timeout=2.0):
        """At least one log line `reason=<one of names>` since mark."""
        pat = r'reason=(%s)\b' % '|'.join(re.escape(n) for n in names)
        hits = self.find_log(pat, mark, timeout)
        assert hits, ('no error_log line with reason=%s since mark; new lines:\n%s'
                      % ('|'.join(names), '\n'.join(self.log_since(mark)[-30:])))
        return hits

    def begin_test(self, name):
        self._test = name
        self._expected = []
        self._mark = self.log_mark()
        self._asan_seen = set(os.listdir(self.asan_dir)) if self.asan and os.path.isdir(self.asan_dir) else set()
        with open(self.error_log, 'a') as f:
            f.write('[test] ===== begin %s\n' % name)
        self._mark = self.log_mark()

    def check_log(self):
        """Problems in the error_log since the test started (list of str)."""
        problems = []
        for ln in self.log_since():
            if any(re.search(p, ln) for p in FATAL_PATTERNS):
                problems.append('FATAL: ' + ln)
                continue
            m = LOG_LINE_RE.match(ln)
            if not m or m.group(2) not in BAD_LEVELS:
                continue
            if any(re.search(p, ln) for p in STARTUP_NOISE):
                continue
            if any(rx.search(ln) for rx in self._expected):
                continue
            problems.append(ln)
        if self.asan and os.path.isdir(self.asan_dir):
            for fn in sorted(os.listdir(self.asan_dir)):
                problems.append('ASAN report %s:\n%s' % (
                    fn, self._read(os.path.join(self.asan_dir, fn))[:6000]))
        cores = sorted(os.listdir(self.core_dir)) if os.path.isdir(self.core_dir) else []
        for fn in cores:
            if fn not in self._cores_seen:
                problems.append('FATAL: core dump %s/%s (gdb %s %s/%s)' % (
                    self.core_dir, fn, self.apache2, self.core_dir, fn))
        self._cores_seen = set(cores)
        if self.proc is not None and self.proc.poll() is not None:
            problems.append('apache2 parent exited (rc=%s)' % self.proc.returncode)
        return problems

    def end_test(self):
        problems = self.check_log()
        with open(self.error_log, 'a') as f:
            f.write('[test] ===== end %s\n' % self._test)
        if self.asan and os.path.isdir(self.asan_dir):
            # keep the reports, but out of the way of the next test
            keep = os.path.join(self.logs_dir, 'asan-reports')
            os.makedirs(keep, exist_ok=True)
            for fn in os.listdir(self.asan_dir):
                shutil.move(os.path.join(self.asan_dir, fn), os.path.join(keep, fn))
        return problems


class AoidcConf:
    """Builder for the per-test config snippet.

        AoidcConf(env).add('AuthOIDCLeeway 10') \
                      .add_location('/app', ['AuthType oidc', ...]).install()
    """

    def __init__(self, env):
        self.env = env
        self.parts = []

    def add(self, text):
        if isinstance(text, (list, tuple)):
            text = '\n'.join(text)
        self.parts.append(text.rstrip('\n') + '\n')
        return self

    def add_location(self, path, lines):
        body = ''.join('    %s\n' % ln for ln in lines)
        self.parts.append('<Location %s>\n%s</Location>\n' % (path, body))
        return self

    def text(self):
        return ''.join(self.parts)

    def install(self, force=False):
        self.env.install(self.text(), force=force)
        return self

    def configtest(self):
        return self.env.configtest(self.text())


# --------------------------------------------------------------------------
# standard directive sets
# --------------------------------------------------------------------------

def oidc_lines(op, prefix='/app', client_id=None, secret=None, extra=(), authname=None,
               require='valid-user', scope='openid email profile'):
    """AuthType oidc directives for a location at prefix, against op (RealOP
    or EvilOP, told apart by their client attributes)."""
    if client_id is None:
        client_id = getattr(op, 'RP_CLIENT_ID', None) or op.CLIENT_ID
    if secret is None:
        secret = getattr(op, 'RP_CLIENT_SECRET', None) or op.CLIENT_SECRET
    lines = ['AuthType oidc',
             'AuthName %s' % (authname or prefix.strip('/').replace('/', '-') or 'root'),
             'AuthOIDCIssuer %s' % op.issuer,
             'AuthOIDCClientID %s' % client_id,
             'AuthOIDCClientSecret %s' % secret,
             'AuthOIDCRedirectURI %s/redirect_uri' % prefix,
             'AuthOIDCPassphrase %s' % PASSPHRASE,
             'AuthOIDCScope "%s"' % scope]
    if require:
        lines.append('Require %s' % require)
    return lines + list(extra)


def bearer_lines(op, authname='api', audience='api://default', require='scope orders:read',
                 client_id=None, secret=None, extra=()):
    if client_id is None:
        client_id = getattr(op, 'RS_CLIENT_ID', None) or op.CLIENT_ID
    if secret is None:
        secret = getattr(op, 'RS_CLIENT_SECRET', None) or op.CLIENT_SECRET
    lines = ['AuthType bearer',
             'AuthName %s' % authname,
             'AuthOIDCIssuer %s' % op.issuer,
             'AuthOIDCAudience %s' % audience]
    if client_id:
        lines += ['AuthOIDCClientID %s' % client_id, 'AuthOIDCClientSecret %s' % secret]
    if require:
        lines.append('Require %s' % require)
    return lines + list(extra)


def app_conf(env, op):
    """The standard /app + /app2 config against the RealOP (shared by several
    test files so that httpd is not restarted between them)."""
    return (AoidcConf(env)
            .add_location('/app', oidc_lines(op))
            .add_location('/app2', oidc_lines(op, prefix='/app2', extra=[
                'AuthOIDCRemoteUserClaim email', 'AuthOIDCPassAccessToken on'])))
