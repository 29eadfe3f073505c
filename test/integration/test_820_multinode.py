"""820: one session store shared by two httpd nodes. A login on node A is a
session on node B; both restart and the session stays; the store going
away answers 503 + Retry-After and keeps the cookie, and the same cookie
works again when it is back. Also shm:SIZE.

memcached (Debian's) runs on a loopback port behind a small TCP relay:
stopping the relay is "the store is down" while memcached keeps its data,
so "back" really means the same session again."""

import base64
import re
import shutil
import socket
import subprocess
import threading
import time

import pytest

from pyaoidc.client import (wait_out_l1, authenticate, cookies_named, get, is_clearing, jar_value, login,
                            location, new_session, raw_get, start_login)
from pyaoidc.env import AoidcConf, Echo, INDEX_MARK, PASSPHRASE, oidc_lines
from pyaoidc.op import free_port
from test_800_stores import wait_port

STORE_TIMEOUT_MS = 500




class Relay:
    """127.0.0.1:port -> 127.0.0.1:upstream, byte for byte. stop() closes
    the listener and every relayed connection (clients see EOF, then
    connection refused); start() listens on the same port again."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.port = free_port()
        self.lsock = None
        self.conns = []
        self.lock = threading.Lock()

    def start(self):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(('127.0.0.1', self.port))
        ls.listen(64)
        self.lsock = ls
        threading.Thread(target=self._accept, args=(ls,), daemon=True).start()
        return self

    def _accept(self, ls):
        while True:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(('127.0.0.1', self.upstream), 2)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        if self.lsock:
            # shutdown first: a thread blocked in accept() keeps a closed
            # listener listening
            try:
                self.lsock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.lsock.close()
            self.lsock = None
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                    c.close()
                except OSError:
                    pass
            self.conns = []


@pytest.fixture(scope='module')
def memcached():
    exe = shutil.which('memcached')
    assert exe, 'memcached is not installed (test/tools/install-deps installs it)'
    port = free_port()
    p = subprocess.Popen([exe, '-l', '127.0.0.1', '-p', str(port), '-U', '0', '-u', 'nobody'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, p, 'memcached')
    relay = Relay(port).start()
    yield relay
    relay.stop()
    p.terminate()
    p.wait(10)


def store_conf(node, op, spec, extra=()):
    return (AoidcConf(node)
            .add_location('/sess', oidc_lines(op, prefix='/sess', extra=[
                'AuthOIDCSessionStore %s' % spec] + list(extra))))


def install_both(nodes, op, spec, extra=()):
    for n in nodes:
        store_conf(n, op, spec, extra).install(force=True)


def served(node, s, path='/sess/'):
    r = get(s, node.url(path))
    return r.status_code == 200 and INDEX_MARK in r.text, r


def store_secrets(node, s, prefix='/sess'):
    """What a store dump must never show in clear: the claims the backend
    sees (sub, email, sid), the access token when the location passes it,
    and the session cookie with its ID and SECRET parts."""
    e = Echo(get(s, node.url(prefix + '/echo/')))
    vals = [v for k, v in e.headers if k.lower() in (
        'oidc_claim_sub', 'oidc_claim_email', 'oidc_claim_sid', 'oidc_access_token')]
    cookie = jar_value(s, 'aoidc_session')
    assert cookie and 'alice' in vals, (cookie, e.headers)
    return vals + [cookie] + [p for p in cookie.replace('~', '.').split('.') if len(p) >= 8]


def _decodings(blob):
    """blob, and what it decodes to when it is base64 or base64url text."""
    out = [blob]
    for alt in (b'-_', b'+/'):
        if re.fullmatch(rb'[A-Za-z0-9%s]+=*' % re.escape(alt), blob):
            try:
                out.append(base64.b64decode(blob.rstrip(b'=') + b'=' * (-len(blob.rstrip(b'=')) % 4),
                                            altchars=alt))
            except ValueError:
                pass
    return out


def assert_opaque(dump, secrets):
    """dump: [(key, [values])] (bytes, RedisServer.dump()); no secret in
    any key or value, raw or after a base64(url) decoding."""
    assert dump, 'the store is empty: the check proves nothing'
    blobs = [d for k, vs in dump for b in [k] + vs for d in _decodings(b)]
    for sec in secrets:
        hits = [b[:60] for b in blobs if sec.encode() in b]
        assert not hits, 'store holds %r in clear: %s' % (sec[:12], hits[:3])


def check_two_nodes(nodes, op, s, spec, extra=(), dump=None):
    """Login on A, served on B, both restart (full stop/start), served on
    both. dump: a callable returning the store's [(key, [values])]; then
    nothing in it may be readable (the location passes the access token
    to the backend so that it can be looked for)."""
    a, b = nodes
    if dump:
        extra = list(extra) + ['AuthOIDCPassAccessToken on']
    install_both(nodes, op, spec, extra)
    r = login(a, s, op, '/sess/')
    assert r.status_code == 200 and INDEX_MARK in r.text
    # node B never saw the login: the session comes from the shared store
    ok, r = served(b, s)
    assert ok, (r.status_code, r.headers)
    assert Echo(get(s, b.url('/sess/echo/'))).value('OIDC_CLAIM_sub') == 'alice'
    # both restart: the store outlives them
    install_both(nodes, op, spec, extra)
    for n in nodes:
        ok, r = served(n, s)
        assert ok, (n.name, r.status_code)
    if dump:
        assert_opaque(dump(), store_secrets(b, s))


def test_aoidc_820_01_memcache_two_nodes(nodes, op, s, memcached):
    check_two_nodes(nodes, op, s, 'memcache://127.0.0.1:%d' % memcached.port)


@pytest.mark.expect_log(r'AOIDC\d+: oidc /sess/(redirect_uri)?: reason=store_unavailable')
def test_aoidc_820_02_memcache_down_503_keeps_cookie(nodes, op, s, memcached):
    a, b = nodes
    spec = 'memcache://127.0.0.1:%d' % memcached.port
    install_both(nodes, op, spec, ['AuthOIDCStoreTimeout %d' % STORE_TIMEOUT_MS])
    login(a, s, op, '/sess/')
    cookie = s.cookies.get('aoidc_session')
    # a login that reaches its callback while the store is down
    s2 = new_session()
    cb = authenticate(op, s2, start_login(a, s2, '/sess/'))
    memcached.stop()
    try:
        r = get(s2, cb)
        assert r.status_code == 503, 'callback without its single-use marker: %s' % r.status_code
        assert not any(not is_clearing(c) for c in cookies_named(r, 'aoidc_session'))
        wait_out_l1()  # a session read within the L1's TTL is still served
        for n in nodes:
            t0 = time.time()
            r = raw_get(n.url('/sess/'), headers={'Cookie': 'aoidc_session=' + cookie})
            elapsed = time.time() - t0
            assert r.status_code == 503, (n.name, r.status_code, r.headers)
            assert r.headers.get('Retry-After'), r.headers
            # apr_memcache connects with a fixed 1 s timeout; refused is fast
            assert elapsed < STORE_TIMEOUT_MS / 1000 + 1.5, elapsed
            sc = cookies_named(r, 'aoidc_session')
            assert not any(is_clearing(c) for c in sc), sc
            assert 'Location' not in r.headers
            # no cookie, public path: the store is never touched
            r = raw_get(n.url('/index.html'))
            assert r.status_code == 200 and INDEX_MARK in r.text
        n.assert_reason('store_unavailable')
    finally:
        memcached.start()
    # apr_memcache retries a dead server every 5 s
    for n in nodes:
        deadline = time.time() + 12
        while True:
            r = raw_get(n.url('/sess/'), headers={'Cookie': 'aoidc_session=' + cookie})
            if r.status_code == 200 or time.time() > deadline:
                break
            assert r.status_code == 503, r.status_code
            time.sleep(0.5)
        assert r.status_code == 200 and INDEX_MARK in r.text, (n.name, r.status_code)


def test_aoidc_820_03_shm_size(env, op, s):
    store_conf(env, op, 'shm:64M').install(force=True)
    r = login(env, s, op, '/sess/')
    assert r.status_code == 200 and INDEX_MARK in r.text
    assert env.find_log(r'AOIDC00303: shm store sessions\.\d+: 67108864 bytes')
    for bad in ('shm:64X', 'shm:12', 'shm:'):
        rc, out = store_conf(env, op, bad).configtest()
        assert rc != 0, bad
        assert 'AuthOIDCSessionStore' in out and 'expects a size' in out, out


def test_aoidc_820_04_store_directives_checked(env, op):
    for line, want in (
            ('AuthOIDCStoreTimeout 0', 'expects milliseconds'),
            ('AuthOIDCStoreTimeout 5s', 'expects milliseconds'),
            ('AuthOIDCStoreTLS ca=/nonexistent/ca.pem', 'not a readable file'),
            ('AuthOIDCStoreTLS foo=bar', 'expects ca=FILE'),
            ('AuthOIDCStorePassword env:AOIDC_NOT_SET_ANYWHERE', 'is not set'),
            ('AuthOIDCSessionStore memcache://u:hunter2@h:1', 'memcache://HOST:PORT')):
        rc, out = store_conf(env, op, 'shm', [line]).configtest()
        assert rc != 0, line
        assert line.split()[0] in out and want in out, (line, out)
        assert 'hunter2' not in out, out
    # memcached has no password: refused at startup, naming the directive
    rc, out = store_conf(env, op, 'memcache://127.0.0.1:1',
                         ['AuthOIDCStorePassword s3cret-pw']).configtest()
    assert 's3cret-pw' not in out, out


def test_aoidc_820_05_no_segment_without_authtype(env):
    AoidcConf(env).add('# no AuthType oidc/bearer anywhere').install(force=True)
    assert not env.find_log(r'AOIDC00303', timeout=0.5)


def small_shm_conf(env, op, extra_locations=(), extra=()):
    c = store_conf(env, op, 'shm:64K', extra)
    for path, lines in extra_locations:
        c.add_location(path, lines + ['AuthOIDCSessionStore shm:64K'])
    return c


def wait_log(env, pattern, timeout=25):
    """The eviction check runs after a logged request, once per 15 s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        hits = env.find_log(pattern, timeout=0)
        if hits:
            return hits
        raw_get(env.url('/index.html'))
        time.sleep(1)
    return []


@pytest.mark.expect_log(r'AOIDC00305: shm store sessions\.\d+ is full')
def test_aoidc_820_06_shm_evictions_logged(env, op):
    """A full shm segment drops its oldest sessions: the module says so.
    The L1 is off here: the oldest session is read after every login, and
    the L1 would serve it for up to a second after the store dropped it
    (test_830 and test_l1.c test the L1)."""
    small_shm_conf(env, op, extra=['AuthOIDCSessionCacheTTL 0']).install(force=True)
    assert env.find_log(r'AOIDC00303: shm store sessions\.\d+: 65536 bytes')
    first = None
    for i in range(150):
        s = new_session()
        login(env, s, op, '/sess/')
        first = first or s.cookies.get('aoidc_session')
        r = raw_get(env.url('/sess/'), headers={'Cookie': 'aoidc_session=' + first})
        if r.status_code != 200:
            break
    assert r.status_code == 302, 'the oldest session survived %d logins in 64K' % (i + 1)
    # 88 index slots for a few entries a session (record, ID Token, the
    # sid/sub indexes), spread over subcaches by hash: the first session's
    # subcache fills after some 10 to 70 logins (62 seen in CI), never at once
    assert 5 <= i <= 120, i
    hits = wait_log(env, r'AOIDC00305: shm store sessions\.\d+ is full: [1-9]\d* entries')
    assert hits, 'no eviction warning'


@pytest.mark.expect_log(r'AOIDC00305: shm store cache\.\d+ is full')
def test_aoidc_820_07_unauthenticated_floods_never_evict_sessions(env, op):
    """Security finding: cache entries any client can cause (here: negative
    introspection results for made-up tokens) live in their own segment and
    never push a session out."""
    import secrets
    from pyaoidc.env import bearer_lines
    # the L1 off: the session must come from the store after the flood
    small_shm_conf(env, op, [('/api', bearer_lines(op))],
                   extra=['AuthOIDCSessionCacheTTL 0']).install(force=True)
    s = new_session()
    login(env, s, op, '/sess/')
    for i in range(400):
        r = raw_get(env.url('/api/echo/'),
                    headers={'Authorization': 'Bearer ' + secrets.token_urlsafe(32)})
        assert r.status_code == 401
    assert wait_log(env, r'AOIDC00305: shm store cache\.\d+ is full: [1-9]\d* entries'), \
        'the flood did not fill the cache segment: the test proves nothing'
    ok, r = served(env, s)
    assert ok, r.status_code
    assert not env.find_log(r'AOIDC00305: shm store sessions', timeout=0)


def tool(name):
    """A built test/tools program, found beside the module's build tree
    ($AOIDC_MODULE = BUILD/src/.libs/mod_auth_oidc.so)."""
    import os
    d = os.path.dirname(os.path.abspath(os.environ.get('AOIDC_MODULE', '.')))
    for _ in range(4):
        cand = os.path.join(d, 'test', 'tools', name)
        if os.access(cand, os.X_OK):
            return cand
        d = os.path.dirname(d)
    raise AssertionError('%s not built (make in the build dir; set AOIDC_MODULE)' % name)


def test_aoidc_820_08_memcache_store_contract(memcached):
    """core/store_memcache.c against the real memcached: values, expiry
    (incl. beyond 30 days), add, sets with their slot bound, an add race,
    and "down" never read as "absent"."""
    r = subprocess.run([tool('memcache_check'), 'memcache://127.0.0.1:%d' % memcached.upstream,
                        str(free_port())], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and 'not ok' not in r.stdout, r.stdout + r.stderr
    assert '1..25' in r.stdout, r.stdout


def test_aoidc_820_20_passphrase_rotation(env, op, s, memcached):
    """AuthOIDCPassphrase NEW OLD: sessions sealed under OLD keep working,
    and once OLD is dropped they no longer open (the user logs in again)."""
    spec = 'memcache://127.0.0.1:%d' % memcached.port
    new = 'rotated-passphrase-0123456789abcdef'
    store_conf(env, op, spec).install(force=True)
    assert login(env, s, op, '/sess/').status_code == 200
    store_conf(env, op, spec, ['AuthOIDCPassphrase %s %s' % (new, PASSPHRASE)]).install(force=True)
    ok, r = served(env, s)
    assert ok, r.status_code
    store_conf(env, op, spec, ['AuthOIDCPassphrase %s' % new]).install(force=True)
    r = get(s, env.url('/sess/'))
    assert r.status_code == 302 and location(r).startswith(op.metadata['authorization_endpoint']), \
        (r.status_code, r.headers.get('Location'))
