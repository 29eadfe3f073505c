"""140: how the module reaches the OP: AuthOIDCCABundle (an OP behind TLS
with a CA this test makes) and AuthOIDCOutgoingProxy (a small forward
proxy on loopback that speaks absolute-form HTTP and CONNECT and counts
what goes through it), their configtest errors, proxy credentials kept out
of the logs, and the transport settings bound to the issuer they are set
under (config_http.c).

The TLS OP is a second RealOP behind a Debian apache2 with mod_ssl +
mod_proxy_http (its certificate is signed by the test CA, not in the
system store); the plain OP is an ordinary RealOP on http://127.0.0.1."""

import base64
import http.client
import http.server
import os
import re
import select
import socket
import subprocess
import threading
import time
import urllib.parse

import pytest

from pyaoidc.client import get, login, new_session
from pyaoidc.env import AoidcConf, Echo, free_port, oidc_lines
from pyaoidc import tlsfront
from pyaoidc.op import RealOP

PREFIXES = ('/og', '/og/same', '/og/ob', '/tc', '/tn', '/pp', '/pt', '/pd', '/ph')
PROXY_USER, PROXY_PASSWORD = 'svc140', 'pw-SECRET-140'


# ------------------------------------------------------------------ the CA

def openssl(*args, cwd):
    subprocess.run(['openssl'] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_ca(root):
    """A CA and a server certificate for 127.0.0.1 signed by it."""
    os.makedirs(root, exist_ok=True)
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
            '-days', '2', '-subj', '/CN=aoidc test 140 CA', '-keyout', 'ca.key', '-out', 'ca.crt',
            cwd=root)
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
            '-subj', '/CN=127.0.0.1', '-keyout', 'op.key', '-out', 'op.csr', cwd=root)
    with open(os.path.join(root, 'ext.cnf'), 'w') as f:
        f.write('subjectAltName=IP:127.0.0.1,DNS:localhost\n')
    openssl('x509', '-req', '-in', 'op.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
            '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'op.crt', cwd=root)
    os.chmod(os.path.join(root, 'op.key'), 0o644)  # read by the front's www-data child
    return os.path.join(root, 'ca.crt')


class TLSFront(tlsfront.TLSFront):
    """Debian apache2 terminating TLS on 127.0.0.1:port in front of an OP,
    with a certificate from a CA the test makes (self.ca: its file)."""

    def __init__(self, env, port, backend):
        super().__init__(env, 'tls140', port, backend)

    def make_cert(self):
        self.ca = make_ca(os.path.join(self.root, 'ca'))
        return (os.path.join(self.root, 'ca', 'op.crt'),
                os.path.join(self.root, 'ca', 'op.key'))


# --------------------------------------------------------- the forward proxy

HOP = {'connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te',
       'trailer', 'transfer-encoding', 'upgrade'}


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    timeout = 30

    def log_message(self, *a):
        pass

    def _allowed(self):
        px = self.server.owner
        px.record(self.command, self.path, self.headers.get('Proxy-Authorization'))
        if px.auth and self.headers.get('Proxy-Authorization') != px.auth:
            self.send_response(407)
            self.send_header('Proxy-Authenticate', 'Basic realm="140"')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return False
        return True

    def do_CONNECT(self):
        if not self._allowed():
            return
        host, _, port = self.path.rpartition(':')
        if host != '127.0.0.1':
            self.send_error(403)
            return
        up = socket.create_connection((host, int(port)), timeout=10)
        self.send_response(200, 'Connection established')
        self.end_headers()
        self.wfile.flush()
        conns = [self.connection, up]
        deadline = time.time() + 30
        try:
            while time.time() < deadline:
                ready, _, _ = select.select(conns, [], [], 1)
                for c in ready:
                    data = c.recv(65536)
                    if not data:
                        return
                    (up if c is self.connection else self.connection).sendall(data)
        finally:
            up.close()

    def _forward(self):
        if not self._allowed():
            return
        u = urllib.parse.urlsplit(self.path)
        if u.scheme != 'http' or u.hostname != '127.0.0.1':
            self.send_error(403)
            return
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n) if n else None
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        try:
            c.request(self.command, (u.path or '/') + ('?' + u.query if u.query else ''),
                      body=body, headers=hdrs)
            r = c.getresponse()
            data = r.read()
        finally:
            c.close()
        self.send_response(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != 'content-length':
                self.send_header(k, v)
        self.send_header('Content-Length', str(len(data)))
        self.send_header('Connection', 'close')
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _forward


class ForwardProxy:
    """http://127.0.0.1:port forwarding absolute-form requests and CONNECT
    tunnels to loopback only; .seen lists (method, target) of each."""

    def __init__(self, user=None, password=None):
        self.auth = ('Basic ' + base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
                     if user else None)
        self.seen, self.auths = [], []
        self._lock = threading.Lock()
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _ProxyHandler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.port = self.httpd.server_address[1]
        self._t = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._t.start()

    def url(self, creds=False):
        return 'http://%s127.0.0.1:%d' % (
            '%s:%s@' % (PROXY_USER, PROXY_PASSWORD) if creds else '', self.port)

    def record(self, method, target, auth):
        with self._lock:
            self.seen.append((method, target))
            self.auths.append(auth)

    def reset(self):
        with self._lock:
            self.seen, self.auths = [], []

    def paths(self, method=None):
        """Paths of the absolute-form requests (for method, or all)."""
        return [urllib.parse.urlsplit(t).path for m, t in list(self.seen)
                if m != 'CONNECT' and (method is None or m == method)]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# ----------------------------------------------------------------- fixtures

@pytest.fixture(scope='module')
def op_plain(env):
    o = RealOP(redirect_uris=[env.url(p + '/redirect_uri') for p in PREFIXES],
               log_path=os.path.join(env.logs_dir, 'op-140-plain.log'))
    o.start()
    yield o
    o.stop()


@pytest.fixture(scope='module')
def tls_op(env):
    """(RealOP whose issuer is https://127.0.0.1:<front>, its TLSFront)."""
    front_port, backend = free_port(), free_port()
    o = RealOP(port=backend, issuer='https://127.0.0.1:%d' % front_port, trust_proxy=True,
               redirect_uris=[env.url(p + '/redirect_uri') for p in PREFIXES],
               log_path=os.path.join(env.logs_dir, 'op-140-tls.log'))
    front = TLSFront(env, front_port, backend).start()
    o.start()
    yield o, front
    o.stop()
    front.stop()


@pytest.fixture
def proxy():
    p = ForwardProxy(PROXY_USER, PROXY_PASSWORD)
    yield p
    p.stop()


def tls_session(front):
    s = new_session()
    s.trust_env = False  # else REQUESTS_CA_BUNDLE beats s.verify
    s.verify = front.ca
    return s


def lines(op, prefix, *extra):
    return oidc_lines(op, prefix=prefix, extra=list(extra))


def op_log_count(op, method, path):
    """How many `METHOD path -> status` lines the OP logged for path."""
    rx = re.compile(r'^%s %s -> ' % (method, re.escape(path)), re.M)
    return len(rx.findall(op.log()))


def endpoint_path(op, key):
    return urllib.parse.urlsplit(op.metadata[key]).path


def no_secret_in_logs(env):
    for name in ('error_log', 'stderr.log', 'access_log'):
        path = os.path.join(env.logs_dir, name)
        if os.path.exists(path):
            with open(path, errors='replace') as f:
                assert PROXY_PASSWORD not in f.read(), 'proxy password in %s' % name


# ---------------------------------------------------------------- CA bundle

def test_aoidc_140_01_private_ca_login(env, tls_op):
    op, front = tls_op
    AoidcConf(env).add_location('/tc', lines(op, '/tc', 'AuthOIDCCABundle %s' % front.ca)).install()
    s = tls_session(front)
    r = login(env, s, op, '/tc/echo/')
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert Echo(r).value('OIDC_CLAIM_sub') == 'alice'
    # discovery, JWKS and the token call all went to the TLS front
    assert op_log_count(op, 'GET', '/.well-known/openid-configuration') >= 1
    assert op_log_count(op, 'POST', '/token') >= 1


@pytest.mark.expect_log(r'reason=op_insecure', r'SSL certificate problem')
def test_aoidc_140_02_system_store_refuses_private_ca(env, tls_op):
    op, front = tls_op
    AoidcConf(env).add_location('/tn', lines(op, '/tn')).install()
    t0 = time.time()
    r = get(new_session(), env.url('/tn/'))
    assert r.status_code == 502, (r.status_code, r.text[:300])
    assert time.time() - t0 < 5
    hits = env.assert_reason('op_insecure')
    assert any('SSL certificate problem' in h for h in env.find_log(r'SSL certificate')), hits


def test_aoidc_140_03_ca_bundle_configtest(env, tls_op, tmp_path):
    op, _ = tls_op
    rc, out = AoidcConf(env).add_location(
        '/tc', lines(op, '/tc', 'AuthOIDCCABundle /nonexistent/ca.pem')).configtest()
    assert rc != 0 and 'AuthOIDCCABundle: cannot read /nonexistent/ca.pem' in out, out
    junk = tmp_path / 'junk.pem'
    junk.write_text('not a certificate\n')
    rc, out = AoidcConf(env).add_location(
        '/tc', lines(op, '/tc', 'AuthOIDCCABundle %s' % junk)).configtest()
    assert rc != 0 and 'AuthOIDCCABundle:' in out and 'holds no PEM certificate' in out, out


# ------------------------------------------------------------- the proxy

def test_aoidc_140_04_proxy_configtest_hides_password(env, op_plain):
    for bad, why in (('socks5://%s:%s@127.0.0.1:1080', 'scheme must be http or https'),
                     ('http://%s:%s@127.0.0.1', 'needs a port'),
                     ('http://%s:%s@127.0.0.1:3128/x', 'no path')):
        url = bad % (PROXY_USER, PROXY_PASSWORD)
        rc, out = AoidcConf(env).add('AuthOIDCOutgoingProxy %s' % url).add_location(
            '/pp', lines(op_plain, '/pp')).configtest()
        assert rc != 0 and 'AuthOIDCOutgoingProxy:' in out and why in out, out
        assert PROXY_PASSWORD not in out, out
    rc, out = AoidcConf(env).add('AuthOIDCOutgoingProxy http://proxy.example:3128').add_location(
        '/pp', lines(op_plain, '/pp')).configtest()
    assert rc == 0, out


def test_aoidc_140_05_all_op_calls_through_proxy(env, op_plain, proxy):
    jwks, token = endpoint_path(op_plain, 'jwks_uri'), endpoint_path(op_plain, 'token_endpoint')
    calls = (('GET', '/.well-known/openid-configuration'), ('GET', jwks), ('POST', token))
    before = [op_log_count(op_plain, m, p) for m, p in calls]
    # set where no issuer is in effect: applies to every issuer below
    AoidcConf(env).add('AuthOIDCOutgoingProxy %s' % proxy.url(creds=True)).add_location(
        '/pp', lines(op_plain, '/pp')).install(force=True)
    r = login(env, new_session(), op_plain, '/pp/echo/')
    assert r.status_code == 200, (r.status_code, r.text[:300])
    got = proxy.paths()
    for _, path in calls:
        assert path in got, (path, got)
    # every back-channel call the OP saw came through the proxy
    for (method, path), n in zip(calls, before):
        assert op_log_count(op_plain, method, path) - n == proxy.paths(method).count(path), \
            (method, path, proxy.seen)
    assert set(proxy.auths) == {proxy.auth}, proxy.auths
    no_secret_in_logs(env)


def test_aoidc_140_06_connect_to_tls_op(env, tls_op, proxy):
    op, front = tls_op
    AoidcConf(env).add_location('/pt', lines(op, '/pt', 'AuthOIDCCABundle %s' % front.ca,
                                             'AuthOIDCOutgoingProxy %s' % proxy.url(creds=True))
                                ).install(force=True)
    r = login(env, tls_session(front), op, '/pt/echo/')
    assert r.status_code == 200, (r.status_code, r.text[:300])
    connects = [t for m, t in proxy.seen if m == 'CONNECT']
    # discovery, JWKS, token: each its own connection, all tunnelled
    assert len(connects) >= 3 and set(connects) == {'127.0.0.1:%d' % front.port}, proxy.seen
    assert not proxy.paths(), proxy.seen
    no_secret_in_logs(env)


@pytest.mark.expect_log(r'reason=op_unreachable')
def test_aoidc_140_07_proxy_down(env, op_plain):
    dead = free_port()
    AoidcConf(env).add_location('/pd', lines(
        op_plain, '/pd', 'AuthOIDCHTTPTimeout 2',
        'AuthOIDCOutgoingProxy http://%s:%s@127.0.0.1:%d' % (PROXY_USER, PROXY_PASSWORD, dead))
    ).install()
    t0 = time.time()
    r = get(new_session(), env.url('/pd/'))
    assert r.status_code == 503, (r.status_code, r.text[:300])
    assert time.time() - t0 < 3
    hits = env.find_log(r'via proxy http://%s:\*\*\*@127\.0\.0\.1:%d' % (PROXY_USER, dead))
    assert hits, env.log_since()[-10:]
    no_secret_in_logs(env)


@pytest.mark.expect_log(r'reason=op_unreachable')
def test_aoidc_140_08_proxy_hangs(env, op_plain):
    hole = socket.socket()
    hole.bind(('127.0.0.1', 0))
    hole.listen(8)  # accepts by the kernel, never answers
    try:
        AoidcConf(env).add_location('/ph', lines(
            op_plain, '/ph', 'AuthOIDCHTTPTimeout 2',
            'AuthOIDCOutgoingProxy http://127.0.0.1:%d' % hole.getsockname()[1])).install()
        t0 = time.time()
        r = get(new_session(), env.url('/ph/'))
        took = time.time() - t0
    finally:
        hole.close()
    assert r.status_code == 503, (r.status_code, r.text[:300])
    assert 1.5 < took < 4.5, took


# ----------------------------------------------- bound to the issuer

@pytest.mark.expect_log(r'reason=op_unreachable')
def test_aoidc_140_09_settings_stay_with_their_issuer(env, op_plain, tls_op):
    """/og: the plain OP through a dead proxy; /og/same inherits it (same
    issuer); /og/ob names the TLS OP and does not inherit the proxy (it
    would answer 503 through it), only the CA it names itself."""
    op, front = tls_op
    dead = free_port()
    AoidcConf(env).add_location('/og', lines(
        op_plain, '/og', 'AuthOIDCHTTPTimeout 2',
        'AuthOIDCOutgoingProxy http://127.0.0.1:%d' % dead)
    ).add_location('/og/same', ['AuthOIDCRedirectURI /og/same/redirect_uri']
    ).add_location('/og/ob', lines(op, '/og/ob', 'AuthOIDCCABundle %s' % front.ca)
    ).install()
    assert get(new_session(), env.url('/og/')).status_code == 503
    assert get(new_session(), env.url('/og/same/')).status_code == 503
    r = get(tls_session(front), env.url('/og/ob/'))
    assert r.status_code == 302 and r.headers['Location'].startswith(op.issuer + '/'), \
        (r.status_code, r.headers.get('Location'))


def test_aoidc_140_10_server_wide_proxy_reaches_every_issuer(env, op_plain, tls_op, proxy):
    """Set where no issuer is in effect, the proxy stays with each issuer
    below, through a nested change of issuer too."""
    op, front = tls_op
    AoidcConf(env).add('AuthOIDCOutgoingProxy %s' % proxy.url(creds=True)).add_location(
        '/og', lines(op_plain, '/og')
    ).add_location('/og/ob', lines(op, '/og/ob', 'AuthOIDCCABundle %s' % front.ca)
    ).install(force=True)
    r = get(new_session(), env.url('/og/'))
    assert r.status_code == 302, (r.status_code, r.text[:300])
    assert '/.well-known/openid-configuration' in proxy.paths('GET'), proxy.seen
    r = get(tls_session(front), env.url('/og/ob/'))
    assert r.status_code == 302 and r.headers['Location'].startswith(op.issuer + '/'), \
        (r.status_code, r.headers.get('Location'))
    assert ('CONNECT', '127.0.0.1:%d' % front.port) in proxy.seen, proxy.seen
