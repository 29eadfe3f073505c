"""360: client authentication and pushed authorization requests (issue 12):
AuthOIDCClientAuth private_key_jwt with AuthOIDCClientKey (RFC 7523, OIDC
Core §9; rollover with two keys), the ?jwks document, and AuthOIDCPAR (RFC
9126), against the real oidc-provider started here with clients of its own
(EXTRA_CLIENTS: private_key_jwt with an inline jwks, PAR required)."""

import base64
import json
import os
import subprocess
import tempfile
import time
import urllib.parse

import pytest
from jwcrypto import jwk

from pyaoidc.client import authenticate, callback, get, location, query1, start_login
from pyaoidc.env import INDEX_MARK, PASSPHRASE, AoidcConf, Echo
from pyaoidc.op import RealOP, free_port

PK = 'pk-client'        # private_key_jwt, PAR optional
PKPAR = 'pk-par-client'  # private_key_jwt, PAR required by the client's metadata
SECPAR = 'sec-par-client'  # client_secret_basic, PAR required, one redirect URI
SECRET = 'sec-par-secret-0123456789abcdef0123456789'
PKAPI = 'pk-api-client'  # private_key_jwt, client_credentials only


@pytest.fixture(scope='module')
def keys():
    """Three keys made with openssl: EC P-256, RSA 2048 (both PEM, PKCS#8),
    and an RSA 1024 one (too small)."""
    d = tempfile.mkdtemp(prefix='aoidc-360-')
    out = {}
    for name, args in (('ec', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']),
                       ('rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']),
                       ('small', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'])):
        p = os.path.join(d, name + '.pem')
        subprocess.run(['openssl', 'genpkey'] + args + ['-out', p], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.chmod(p, 0o644)
        out[name] = p
    garbage = os.path.join(d, 'garbage.pem')
    with open(garbage, 'w') as f:
        f.write('-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n')
    out['garbage'] = garbage
    out['dir'] = d
    return out


def public_jwk(path, kid):
    with open(path, 'rb') as f:
        k = jwk.JWK.from_pem(f.read())
    j = json.loads(k.export_public())
    j['kid'] = kid
    return j


class OPs:
    """One RealOP at a fixed port (same issuer across restarts, stable
    signing key), restarted with the client keys a test wants it to know."""

    def __init__(self, env):
        self.env = env
        self.port = free_port()
        self.jwks_file = os.path.join(tempfile.mkdtemp(prefix='aoidc-360-op-'), 'jwks.json')
        self.op = None
        self.starts = 0

    def start(self, client_keys=(), par=True, at_ttl=300):
        self.stop()
        jwks = {'keys': list(client_keys)}
        cb = self.env.url('/app/redirect_uri')
        clients = [
            {'client_id': PK, 'token_endpoint_auth_method': 'private_key_jwt', 'jwks': jwks},
            {'client_id': PKPAR, 'token_endpoint_auth_method': 'private_key_jwt', 'jwks': jwks,
             'require_pushed_authorization_requests': True},
            {'client_id': PKAPI, 'token_endpoint_auth_method': 'private_key_jwt', 'jwks': jwks,
             'grant_types': ['client_credentials'], 'response_types': [], 'redirect_uris': [],
             'scope': 'orders:read'},
            {'client_id': SECPAR, 'client_secret': SECRET,
             'token_endpoint_auth_method': 'client_secret_basic',
             'require_pushed_authorization_requests': True, 'redirect_uris': [cb]},
        ]
        self.op = RealOP(port=self.port, redirect_uris=self.env.redirect_uris(),
                         jwks_file=self.jwks_file, extra_clients=clients, par=par,
                         at_ttl=at_ttl,
                         # a log per start: RealOP waits for READY in it
                         log_path=os.path.join(self.env.logs_dir,
                                               'op-360-%d.log' % self.starts))
        self.starts += 1
        self.op.start()
        return self.op

    def stop(self):
        if self.op:
            self.op.stop()
            self.op = None


@pytest.fixture(scope='module')
def ops(env):
    o = OPs(env)
    yield o
    o.stop()


def lines(ops, client_id, *extra, secret=None):
    issuer = 'http://127.0.0.1:%d' % ops.port
    out = ['AuthType oidc', 'AuthName app',
           'AuthOIDCIssuer %s' % issuer,
           'AuthOIDCClientID %s' % client_id,
           'AuthOIDCRedirectURI /app/redirect_uri',
           'AuthOIDCPassphrase %s' % PASSPHRASE,
           'AuthOIDCScope "openid email"',
           'Require valid-user']
    if secret:
        out.append('AuthOIDCClientSecret %s' % secret)
    return out + list(extra)


def install(env, ops, client_id, *extra, secret=None):
    AoidcConf(env).add_location('/app', lines(ops, client_id, *extra, secret=secret)).install()


def key_lines(*pairs):
    return ['AuthOIDCClientKey %s %s' % (p, kid) for p, kid in pairs]


def login(env, op, s):
    r = start_login(env, s, '/app/')
    cb = authenticate(op, s, r)
    r2 = callback(env, s, cb, expect_return='/app/')
    r3 = get(s, location(r2))
    assert r3.status_code == 200 and INDEX_MARK in r3.text, (r3.status_code, r3.text[:300])
    return r


def jwks_doc(env, s):
    return get(s, env.url('/app/redirect_uri?jwks'))


# ------------------------------------------------------------------ ?jwks

def test_aoidc_360_01_jwks_document(env, ops, keys, s):
    """Both keys published (public members only), unprotected, cacheable;
    the default kid is the RFC 7638 thumbprint."""
    install(env, ops, PK, 'AuthOIDCClientAuth private_key_jwt',
            'AuthOIDCClientKey %s' % keys['ec'], 'AuthOIDCClientKey %s rsa-2' % keys['rsa'])
    r = jwks_doc(env, s)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert 'public' in r.headers.get('Cache-Control', ''), r.headers
    assert r.headers['Content-Type'].startswith('application/jwk-set+json'), r.headers
    assert 'Set-Cookie' not in r.headers
    doc = r.json()
    assert [k['kty'] for k in doc['keys']] == ['EC', 'RSA'], doc
    with open(keys['ec'], 'rb') as f:
        thumb = jwk.JWK.from_pem(f.read()).thumbprint()
    assert doc['keys'][0]['kid'] == thumb, (doc['keys'][0]['kid'], thumb)
    assert doc['keys'][1]['kid'] == 'rsa-2'
    for k in doc['keys']:
        assert k['use'] == 'sig'
        assert not set(k) & {'d', 'p', 'q', 'dp', 'dq', 'qi'}, k
    with open(keys['rsa'], 'rb') as f:
        assert json.loads(jwk.JWK.from_pem(f.read()).export_public())['n'] == doc['keys'][1]['n']
    # without a key there is no document
    install(env, ops, SECPAR, secret=SECRET)
    assert jwks_doc(env, s).status_code == 404


# ------------------------------------------------------------------ private_key_jwt

def test_aoidc_360_02_private_key_jwt_login_and_refresh(env, ops, keys, s):
    """The OP takes only private_key_jwt from this client: the code exchange
    and the refresh authenticate with the assertion."""
    op = ops.start([public_jwk(keys['ec'], 'ec-1')], at_ttl=3)
    install(env, ops, PK, 'AuthOIDCClientAuth private_key_jwt', 'AuthOIDCPAR off',
            'AuthOIDCPassAccessToken on', *key_lines((keys['ec'], 'ec-1')))
    r = login(env, op, s)
    assert 'request_uri' not in query1(location(r))  # PAR off
    at1 = Echo(get(s, env.url('/app/echo/'))).value('OIDC_access_token')
    time.sleep(4)
    r = get(s, env.url('/app/echo/'))
    assert r.status_code == 200, '%s (expected a silent refresh)' % r.status_code
    at2 = Echo(r).value('OIDC_access_token')
    assert at2 and at2 != at1, 'no refresh happened'
    assert 'client_assertion' not in env.log_since()


@pytest.mark.expect_log(r'reason=token_endpoint\b', r'invalid_client')
def test_aoidc_360_03_key_rollover(env, ops, keys, s):
    """Two AuthOIDCClientKey lines: the first signs, both are published.
    Before the rollover (EC first) the OP knowing only the EC key works;
    after it (RSA first) the OP knowing only the RSA key works and one
    knowing only the EC key refuses the client."""
    ec, rsa = public_jwk(keys['ec'], 'ec-1'), public_jwk(keys['rsa'], 'rsa-2')
    before = key_lines((keys['ec'], 'ec-1'), (keys['rsa'], 'rsa-2'))
    after = key_lines((keys['rsa'], 'rsa-2'), (keys['ec'], 'ec-1'))
    op = ops.start([ec])
    install(env, ops, PK, 'AuthOIDCPAR off', *before)  # auto: a key means private_key_jwt
    login(env, op, s)
    assert [k['kid'] for k in jwks_doc(env, s).json()['keys']] == ['ec-1', 'rsa-2']

    op = ops.start([rsa])
    install(env, ops, PK, 'AuthOIDCPAR off', *after)
    s.cookies.clear()
    login(env, op, s)
    assert [k['kid'] for k in jwks_doc(env, s).json()['keys']] == ['rsa-2', 'ec-1']

    op = ops.start([ec])
    s.cookies.clear()
    mark = env.log_mark()
    r = start_login(env, s, '/app/')
    cb = authenticate(op, s, r)
    r2 = get(s, cb)
    assert r2.status_code in (401, 403) and 'aoidc_session' not in r2.headers.get('Set-Cookie', ''), \
        (r2.status_code, r2.headers)
    env.assert_reason('token_endpoint', mark=mark)


# ------------------------------------------------------------------ PAR

def test_aoidc_360_04_par_required_by_the_op(env, ops, keys, s):
    """A client the OP requires PAR from: with the default (auto) the
    browser carries only client_id and request_uri, the push is
    authenticated (private_key_jwt here, client_secret_basic below)."""
    op = ops.start([public_jwk(keys['ec'], 'ec-1')])
    assert op.metadata.get('pushed_authorization_request_endpoint')
    install(env, ops, PKPAR, *key_lines((keys['ec'], 'ec-1')))
    r = login(env, op, s)
    q = query1(location(r))
    assert set(q) == {'client_id', 'request_uri'}, q
    assert q['client_id'] == PKPAR
    assert q['request_uri'].startswith('urn:ietf:params:oauth:request_uri:'), q
    assert location(r).split('?')[0] == op.metadata['authorization_endpoint']

    install(env, ops, SECPAR, 'AuthOIDCPAR on', secret=SECRET)
    s.cookies.clear()
    r = login(env, op, s)
    assert set(query1(location(r))) == {'client_id', 'request_uri'}


def test_aoidc_360_05_expired_request_uri_is_a_fresh_login(env, ops, keys, s):
    """The OP no longer knows our request_uri (expired, or used already:
    oidc-provider answers both alike, and its 60 s lifetime is fixed, so the
    test reuses one, as a browser's back button does after the login at the
    OP consumed it): it sends the browser back with
    error=invalid_request_uri; that is a fresh login (a new push), never a
    5xx."""
    op = ops.start()
    install(env, ops, SECPAR, secret=SECRET)
    r = start_login(env, s, '/app/')
    used = location(r)
    authenticate(op, s, r)  # the OP consumes it; the callback never arrives
    r1 = get(s, used)
    assert r1.status_code in (302, 303), (r1.status_code, r1.text[:300])
    back = location(r1)
    assert back.startswith(env.url('/app/redirect_uri')), back
    assert query1(back).get('error') == 'invalid_request_uri', back
    mark = env.log_mark()
    r2 = get(s, back)
    assert r2.status_code == 302, (r2.status_code, r2.text[:300])
    q = query1(location(r2))
    assert set(q) == {'client_id', 'request_uri'}, q
    assert q['request_uri'] != query1(used)['request_uri']
    assert env.find_log(r'login restarted', mark=mark)
    cb = authenticate(op, s, r2)
    r3 = callback(env, s, cb, expect_return='/app/')
    assert get(s, location(r3)).status_code == 200


@pytest.mark.expect_log(r'pushed_authorization_request_endpoint', r'reason=op_bad_response')
def test_aoidc_360_06_par_on_without_endpoint_is_502(env, ops, keys, s):
    op = ops.start(par=False)
    assert 'pushed_authorization_request_endpoint' not in op.metadata
    install(env, ops, SECPAR, 'AuthOIDCPAR on', secret=SECRET)
    mark = env.log_mark()
    r = get(s, env.url('/app/'))
    assert r.status_code == 502, (r.status_code, r.text[:300])
    assert env.find_log(r'but the OP has no pushed_authorization_request_endpoint', mark=mark)


# ------------------------------------------------------------------ configtest

def test_aoidc_360_07_bad_key_refused_at_configtest(env, ops, keys):
    for path, why in ((keys['garbage'], 'not a PEM private key'),
                      (os.path.join(keys['dir'], 'missing.pem'), 'cannot be read'),
                      (keys['small'], '2048')):
        rc, out = AoidcConf(env).add_location(
            '/app', lines(ops, PK, 'AuthOIDCClientKey %s' % path)).configtest()
        assert rc != 0, out
        assert 'AuthOIDCClientKey' in out and why in out, out
        assert 'not a key' not in out  # the file's content is never shown
    rc, out = AoidcConf(env).add_location(
        '/app', lines(ops, PK, 'AuthOIDCClientAuth tls_client_auth')).configtest()
    # tls_client_auth needs a certificate (test_540 has the rest)
    assert rc != 0 and 'needs AuthOIDCClientCert' in out, out
    rc, out = AoidcConf(env).add_location(
        '/app', lines(ops, PK, 'AuthOIDCPAR sometimes')).configtest()
    assert rc != 0 and 'AuthOIDCPAR' in out, out
    rc, out = AoidcConf(env).add_location(
        '/app', lines(ops, PK, 'AuthOIDCClientKey %s k' % keys['ec'], 'AuthOIDCPAR on')).configtest()
    assert rc == 0, out


# ------------------------------------------------------------------ other grants

def test_aoidc_360_08_client_credentials_with_a_key(env, ops, keys, s):
    """AuthOIDCUpstreamToken client_credentials authenticates with the key
    (no AuthOIDCClientSecret needed): the OP takes only private_key_jwt
    from this client."""
    op = ops.start([public_jwk(keys['ec'], 'ec-1')])
    AoidcConf(env).add_location('/up', [
        'AuthOIDCIssuer %s' % op.issuer,
        'AuthOIDCClientID %s' % PKAPI,
        'AuthOIDCClientKey %s ec-1' % keys['ec'],
        'AuthOIDCPassphrase %s' % PASSPHRASE,
        'AuthOIDCUpstreamToken client_credentials',
        'AuthOIDCUpstreamScope orders:read',
        'AuthOIDCUpstreamAudience api://default']).install()
    r = get(s, env.url('/up/echo/'))
    assert r.status_code == 200, (r.status_code, r.text[:300])
    auth = Echo(r).value('Authorization')
    assert auth.startswith('Bearer '), auth
    claims = json.loads(base64.urlsafe_b64decode(auth.split('.')[1] + '=='))
    assert claims['client_id'] == PKAPI and claims['aud'] == 'api://default', claims
