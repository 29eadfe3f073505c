"""510: AuthOIDCUpstreamToken (tokens for the backend's own calls): the module
puts its own access token on the request mod_proxy passes to the backend,
obtained with the client credentials grant at the RealOP, cached, one fetch
at a time; the client's Authorization never reaches the backend, the
backend's token never reaches the client or the error log."""

import base64
import concurrent.futures
import json
import os
import socket
import threading
import time

import pytest

from pyaoidc import stores
from pyaoidc.client import bearer, get, jwt_parts, login, raw_get
from pyaoidc.env import INTEGRATION_DIR, PASSPHRASE, AoidcConf, Echo, bearer_lines, free_port, oidc_lines
from pyaoidc.op import RealOP

UPSTREAM_FAILED = pytest.mark.expect_log(r'reason=upstream_token\b')
CLIENT_TOKEN = 'client-own-token-0123456789abcdef'


def up_lines(issuer, scope='orders:read', audience='api://default', extra=()):
    return ['AuthOIDCIssuer %s' % issuer,
            'AuthOIDCClientID %s' % RealOP.API_CLIENT_ID,
            'AuthOIDCClientSecret %s' % RealOP.API_CLIENT_SECRET,
            'AuthOIDCPassphrase %s' % PASSPHRASE,
            'AuthOIDCUpstreamToken client_credentials',
            'AuthOIDCUpstreamScope "%s"' % scope,
            'AuthOIDCUpstreamAudience %s' % audience] + list(extra)


def token_requests(op):
    return op.log().count('POST /token -> 200')


def backend_token(r):
    assert r.status_code == 200, '%s: %s %s' % (r.status_code, r.headers, r.text[:300])
    auth = Echo(r).value('Authorization')
    assert auth.startswith('Bearer '), auth
    return auth[len('Bearer '):]


def assert_hidden(env, r, token):
    """Nothing of token in the response headers or the error log."""
    for k, v in r.headers.items():
        assert token not in v and token[-24:] not in v, (k, v)
    log = open(env.error_log, errors='replace').read()
    assert token not in log and token[-24:] not in log, 'backend token in the error log'


def up_conf(env, op):
    return (AoidcConf(env)
     .add_location('/up', up_lines(op.issuer))
     .add_location('/upw', up_lines(op.issuer, scope='orders:read orders:write'))
     .add_location('/api', bearer_lines(op, client_id=RealOP.API_CLIENT_ID,
                                        secret=RealOP.API_CLIENT_SECRET, extra=[
                                            'AuthOIDCUpstreamToken client_credentials',
                                            'AuthOIDCPassphrase %s' % PASSPHRASE,
                                            'AuthOIDCUpstreamScope "orders:write"',
                                            'AuthOIDCUpstreamAudience api://default'])))


@pytest.fixture
def up(env, op):
    up_conf(env, op).install()
    return env


@pytest.fixture
def cold(env, op):
    """The same, restarted: an empty token cache."""
    up_conf(env, op).install(force=True)
    return env


def test_aoidc_510_01_backend_gets_token_not_clients(up, op, env):
    for sent in ({}, bearer(CLIENT_TOKEN), {'Authorization': 'Basic YWxpY2U6c2VjcmV0'}):
        r = raw_get(env.url('/up/echo/'), headers=sent)
        tok = backend_token(r)
        assert CLIENT_TOKEN not in r.text and 'YWxpY2U6c2VjcmV0' not in r.text
        assert len(Echo(r).values('Authorization')) == 1
        # a token of the RealOP for this client, scope and resource
        claims = jwt_parts(tok)[1]
        assert claims['client_id'] == RealOP.API_CLIENT_ID
        assert claims['aud'] == 'api://default'
        assert claims['scope'] == 'orders:read'
        assert claims['iss'] == op.issuer
        assert_hidden(env, r, tok)


def test_aoidc_510_02_bearer_callers_token_never_forwarded(up, op, env):
    caller = op.mint_jwt_at('orders:read')
    r = raw_get(env.url('/api/echo/'), headers=bearer(caller))
    tok = backend_token(r)
    assert tok != caller and caller not in r.text
    assert jwt_parts(tok)[1]['scope'] == 'orders:write'
    assert Echo(r).value('OIDC_CLAIM_sub') == RealOP.API_CLIENT_ID  # the caller's claims
    # an unauthenticated caller still gets the bearer challenge, no token fetched
    assert raw_get(env.url('/api/echo/')).status_code == 401


def test_aoidc_510_03_fifty_requests_one_token_request(cold, op, env):
    n0 = token_requests(op)
    first = backend_token(raw_get(env.url('/up/echo/')))
    assert token_requests(op) == n0 + 1
    for _ in range(50):
        assert backend_token(raw_get(env.url('/up/echo/'))) == first
    assert token_requests(op) == n0 + 1


def test_aoidc_510_04_concurrent_cold_cache_one_fetch(cold, op, env):
    n0 = token_requests(op)
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        toks = list(ex.map(lambda _: backend_token(raw_get(env.url('/upw/echo/'))),
                           range(32)))
    assert len(set(toks)) == 1
    assert token_requests(op) == n0 + 1, 'single flight: one fetch for a burst'


def test_aoidc_510_05_expiry_one_refetch(env):
    short = RealOP(at_ttl=4, log_path=os.path.join(env.logs_dir, 'op-short-510.log'))
    short.start()
    try:
        AoidcConf(env).add_location('/up', up_lines(short.issuer)).install()
        t1 = backend_token(raw_get(env.url('/up/echo/')))
        assert backend_token(raw_get(env.url('/up/echo/'))) == t1
        assert token_requests(short) == 1
        time.sleep(2.5)  # refetched half-way through a 4 s life
        t2 = backend_token(raw_get(env.url('/up/echo/')))
        for _ in range(5):
            assert backend_token(raw_get(env.url('/up/echo/'))) == t2
        assert t2 != t1
        assert token_requests(short) == 2
    finally:
        short.stop()
        env.mark_dirty()


class Blackhole:
    """Accepts connections and never answers (an OP that hangs)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stop_ = False
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self.stop_:
            try:
                self.conns.append(self.sock.accept()[0])
            except OSError:
                pass

    def close(self):
        self.stop_ = True
        for c in self.conns:
            c.close()
        self.sock.close()


@UPSTREAM_FAILED
def test_aoidc_510_06_op_down_502_within_timeout(env):
    hole = Blackhole()
    try:
        (AoidcConf(env)
         .add_location('/up', up_lines('http://127.0.0.1:%d' % hole.port,
                                       extra=['AuthOIDCHTTPTimeout 2']))
         .add_location('/upd', up_lines('http://127.0.0.1:%d' % free_port()))
         .install())
        t0 = time.time()
        r = raw_get(env.url('/up/echo/'), headers=bearer(CLIENT_TOKEN))
        took = time.time() - t0
        assert r.status_code == 502, (r.status_code, r.text[:300])
        assert took < 4, 'answered after %.1fs (timeout 2s)' % took
        assert CLIENT_TOKEN not in r.text and 'Bearer' not in r.text
        assert 'AoidcEcho' not in r.headers.get('Server', '')
        assert len(r.text) < 300, r.text      # a short message, no sign-in page
        env.assert_reason('upstream_token')
        # refused connection: at once
        t0 = time.time()
        assert raw_get(env.url('/upd/echo/')).status_code == 502
        assert time.time() - t0 < 2
    finally:
        hole.close()
        env.mark_dirty()


def test_aoidc_510_07_configtest(env):
    rc, out = (AoidcConf(env).add_location('/up', [
        ln for ln in up_lines('http://127.0.0.1:9') if 'ClientSecret' not in ln])
        .configtest())
    assert rc != 0 and 'AuthOIDCClientSecret' in out, out
    rc, out = (AoidcConf(env).add_location('/up', [
        ln for ln in up_lines('http://127.0.0.1:9') if 'Passphrase' not in ln])
        .configtest())
    assert rc != 0 and 'AuthOIDCPassphrase' in out, out
    rc, out = AoidcConf(env).add_location('/up', ['AuthOIDCUpstreamToken sometimes']).configtest()
    assert rc != 0 and 'client_credentials|exchange|off' in out, out
    rc, out = AoidcConf(env).add_location('/up', up_lines('http://127.0.0.1:9')).configtest()
    assert rc == 0, out
    rc, out = AoidcConf(env).add_location('/up', ['AuthOIDCUpstreamToken off']).configtest()
    assert rc == 0, out


# ---------------------------------------------------------------- exchange

def exchanged(r):
    """The claims of the RealOP's readable exchange token the backend got."""
    tok = backend_token(r)
    assert tok.startswith('tx.'), tok[:20]
    return json.loads(base64.urlsafe_b64decode(tok[3:] + '=' * (-len(tok[3:]) % 4)))


def exchanges(op, who):
    return op.log().count('token-exchange %s ' % who)


def xo_conf(env, op, audience='orders-backend'):
    ex = ['AuthOIDCUpstreamToken exchange', 'AuthOIDCUpstreamScope "orders:read"',
          'AuthOIDCUpstreamAudience %s' % audience]
    return (AoidcConf(env)
            .add_location('/srv', oidc_lines(op, prefix='/srv', extra=ex))
            .add_location('/api', bearer_lines(op, extra=ex + [
                'AuthOIDCPassphrase %s' % PASSPHRASE])))


def test_aoidc_510_08_exchange_session_token(env, op, s):
    xo_conf(env, op).install(force=True)
    n0 = exchanges(op, RealOP.RP_CLIENT_ID)
    login(env, s, path='/srv/')  # its last GET (of /srv/) is the first exchange
    seen = set()
    for _ in range(5):
        r = get(s, env.url('/srv/echo/'))
        c = exchanged(r)
        seen.add(backend_token(r))
        assert c['sub'] == 'alice' and c['aud'] == 'orders-backend'
        assert c['scope'] == 'orders:read' and c['act'] == {'sub': RealOP.RP_CLIENT_ID}
        assert_hidden(env, r, backend_token(r))
    assert len(seen) == 1
    assert exchanges(op, RealOP.RP_CLIENT_ID) == n0 + 1, 'cached per subject token'


def test_aoidc_510_09_exchange_bearer_token(env, op):
    xo_conf(env, op).install()
    n0 = exchanges(op, RealOP.RS_CLIENT_ID)
    a = op.mint_opaque_at('orders:read', with_audience=True)
    b = op.mint_opaque_at('orders:read', with_audience=True)
    for caller in (a, b, a, b):
        r = raw_get(env.url('/api/echo/'), headers=bearer(caller))
        c = exchanged(r)
        assert caller not in r.text, 'the caller token reached the backend'
        assert c['sub'] == RealOP.API_CLIENT_ID and c['aud'] == 'orders-backend'
    assert exchanges(op, RealOP.RS_CLIENT_ID) == n0 + 2, 'one exchange per caller token'


@UPSTREAM_FAILED
def test_aoidc_510_10_exchange_refused_502(env, op):
    xo_conf(env, op, audience='refuse').install()
    caller = op.mint_opaque_at('orders:read', with_audience=True)
    r = raw_get(env.url('/api/echo/'), headers=bearer(caller))
    assert r.status_code == 502, (r.status_code, r.text[:300])
    assert caller not in r.text
    hit = env.assert_reason('upstream_token')
    assert any('op_error=invalid_target' in h for h in hit), hit
    assert not any(caller in ln for ln in env.log_since())


def test_aoidc_510_11_exchange_anonymous_pass_no_header(env, op):
    (AoidcConf(env)
     .add_location('/srv', oidc_lines(op, prefix='/srv', require=None, extra=[
         'Require valid-user', 'AuthOIDCUnAuthAction pass',
         'AuthOIDCUpstreamToken exchange', 'AuthOIDCUpstreamAudience orders-backend']))
     .install())
    r = raw_get(env.url('/srv/echo/'), headers=bearer(CLIENT_TOKEN))
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert Echo(r).values('Authorization') == []


# ---------------------------------------------------------------- two nodes

@pytest.fixture(scope='module')
def redis510():
    stores.require_binaries()
    root = os.path.join(INTEGRATION_DIR, 'gen', 'redis510')
    os.makedirs(root, exist_ok=True)
    os.chmod(root, 0o755)
    r = stores.RedisServer(root, 'plain').start()
    yield r
    stores.stop_all()


def test_aoidc_510_12_two_nodes_share_one_fetch(nodes, op, redis510):
    spec = 'redis://127.0.0.1:%d' % redis510.port
    for n in nodes:
        (AoidcConf(n).add_location('/up', up_lines(op.issuer, extra=[
            'AuthOIDCSessionStore %s' % spec])).install(force=True))
    redis510.cli('FLUSHALL')
    n0 = token_requests(op)
    a, b = nodes
    # a cold burst at both nodes at once: the store's lock lets one fetch
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        toks = list(ex.map(lambda i: backend_token(raw_get((a, b)[i % 2].url('/up/echo/'))),
                           range(32)))
    assert len(set(toks)) == 1
    assert token_requests(op) == n0 + 1, 'one token request for both nodes'
    # node B restarted: the token still comes from the shared store
    AoidcConf(b).add_location('/up', up_lines(op.issuer, extra=[
        'AuthOIDCSessionStore %s' % spec])).install(force=True)
    assert backend_token(raw_get(b.url('/up/echo/'))) == toks[0]
    assert token_requests(op) == n0 + 1
