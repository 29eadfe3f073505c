"""370: AuthOIDCProfile fapi2 and the RP's own DPoP (issue 12, RFC 9449
§5, §7.1, §8, §9) against the real oidc-provider started here with DPoP
on (DPOP=1), an ES256 signing key (EC_SIGNING=1) and a FAPI-shaped client
of its own: private_key_jwt, PAR required, ES256 ID Tokens and
dpop_bound_access_tokens (the token endpoint refuses a request without a
proof). With DPOP_NONCE=1 the OP demands server nonces at the token and
userinfo endpoints.

The DPoP key is derived from AuthOIDCPassphrase; the test derives it the
same way (HKDF-SHA256, salt "mod_auth_oidc seal v1", info "dpop-key") and
checks the tokens' cnf.jkt against its thumbprint."""

import os
import re
import subprocess
import tempfile
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwcrypto import jwk

from pyaoidc.client import authenticate, callback, get, location, query1, start_login
from pyaoidc.env import INDEX_MARK, PASSPHRASE, AoidcConf, Echo
from pyaoidc.op import RealOP, free_port

FAPI = 'rp-fapi'      # private_key_jwt, PAR required, ES256, DPoP-bound tokens
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def expected_jkt(passphrase):
    """The RFC 7638 thumbprint of the module's DPoP key (core/dpop_rp.h)."""
    for i in range(8):
        info = b'dpop-key' if i == 0 else b'dpop-key/%d' % i
        d = int.from_bytes(HKDF(hashes.SHA256(), 32, b'mod_auth_oidc seal v1', info)
                           .derive(passphrase.encode()), 'big')
        if 0 < d < P256_N:
            break
    key = ec.derive_private_key(d, ec.SECP256R1())
    return jwk.JWK.from_pyca(key.public_key()).thumbprint()


@pytest.fixture(scope='module')
def key():
    d = tempfile.mkdtemp(prefix='aoidc-370-')
    path = os.path.join(d, 'ec.pem')
    subprocess.run(['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt',
                    'ec_paramgen_curve:P-256', '-out', path], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(path, 0o644)
    with open(path, 'rb') as f:
        pub = jwk.JWK.from_pem(f.read()).export_public(as_dict=True)
    pub['kid'] = 'fapi-1'
    return {'path': path, 'jwk': pub}


class OPs:
    """One RealOP at a fixed port (same issuer across restarts, and stable
    signing keys: the module refetches an unknown kid's JWKS at most every
    few minutes), restarted with the switches a test wants."""

    def __init__(self, env, key):
        self.env, self.key = env, key
        self.port = free_port()
        self.jwks_file = os.path.join(tempfile.mkdtemp(prefix='aoidc-370-op-'), 'jwks.json')
        self.op = None
        self.starts = 0

    def start(self, nonce=False, at_ttl=300):
        self.stop()
        clients = [{'client_id': FAPI, 'token_endpoint_auth_method': 'private_key_jwt',
                    'jwks': {'keys': [self.key['jwk']]},
                    'require_pushed_authorization_requests': True,
                    'id_token_signed_response_alg': 'ES256',
                    'dpop_bound_access_tokens': True}]
        self.op = RealOP(port=self.port, redirect_uris=self.env.redirect_uris(),
                         extra_clients=clients, par=True, at_ttl=at_ttl,
                         jwks_file=self.jwks_file,
                         extra_env={'DPOP': '1', 'EC_SIGNING': '1',
                                    'DPOP_NONCE': '1' if nonce else '0'},
                         log_path=os.path.join(self.env.logs_dir,
                                               'op-370-%d.log' % self.starts))
        self.starts += 1
        self.op.start()
        return self.op

    def stop(self):
        if self.op:
            self.op.stop()
            self.op = None


@pytest.fixture(scope='module')
def ops(env, key):
    o = OPs(env, key)
    yield o
    o.stop()


def lines(ops, key, *extra):
    return ['AuthType oidc', 'AuthName app',
            'AuthOIDCIssuer http://127.0.0.1:%d' % ops.port,
            'AuthOIDCClientID %s' % FAPI,
            'AuthOIDCRedirectURI /app/redirect_uri',
            'AuthOIDCPassphrase %s' % PASSPHRASE,
            'AuthOIDCScope "openid email"',
            'AuthOIDCClientKey %s fapi-1' % key['path'],
            'AuthOIDCPassAccessToken on',
            'Require valid-user'] + list(extra)


def install(env, ops, key, *extra):
    AoidcConf(env).add_location('/app', lines(ops, key, *extra)).install()


def login(env, op, s):
    r = start_login(env, s, '/app/')
    cb = authenticate(op, s, r)
    r2 = callback(env, s, cb, expect_return='/app/')
    r3 = get(s, location(r2))
    assert r3.status_code == 200 and INDEX_MARK in r3.text, (r3.status_code, r3.text[:300])
    return r


def access_token(env, s):
    r = get(s, env.url('/app/echo/'))
    assert r.status_code == 200, (r.status_code, r.text[:300])
    return Echo(r).value('OIDC_access_token')


def assert_bound(op, at):
    info = op.introspect(at)
    assert info.get('active') is True, info
    assert info.get('cnf', {}).get('jkt') == expected_jkt(PASSPHRASE), info
    assert info.get('token_type') == 'DPoP', info


def op_lines(op, since=0):
    return [ln for ln in op.log().splitlines()[since:] if ' -> ' in ln]


def test_aoidc_370_01_fapi2_login_dpop_bound(env, ops, key, s):
    """A full login with AuthOIDCProfile fapi2 alone (no AuthOIDCPAR,
    AuthOIDCDPoP or AuthOIDCClientAuth line): pushed, private_key_jwt,
    the code exchange with a proof (the OP would refuse one without), an
    ES256 ID Token, a DPoP-bound access token whose cnf.jkt is the
    passphrase's key, and userinfo called with it (Authorization: DPoP)."""
    op = ops.start()
    install(env, ops, key, 'AuthOIDCProfile fapi2')
    r = login(env, op, s)
    q = query1(location(r))
    assert set(q) == {'client_id', 'request_uri'}, q
    assert_bound(op, access_token(env, s))
    seen = op_lines(op)
    assert any('POST /token -> 200' in ln for ln in seen), seen
    # a Bearer call with a DPoP-bound token is refused by oidc-provider
    # (401): 200 means the module sent the DPoP scheme and a proof with ath
    assert any('GET /me -> 200' in ln for ln in seen), seen
    assert not any('GET /me -> 401' in ln for ln in seen), seen
    assert 'client_assertion' not in env.log_since()


def test_aoidc_370_02_refresh_with_dpop(env, ops, key, s):
    """The refresh sends a proof too: the new access token is bound to the
    same key (the OP takes no refresh of this client without a proof)."""
    op = ops.start(at_ttl=3)
    install(env, ops, key, 'AuthOIDCProfile fapi2')
    login(env, op, s)
    at1 = access_token(env, s)
    time.sleep(4)
    mark = len(op.log().splitlines())
    at2 = access_token(env, s)
    assert at2 and at2 != at1, 'no refresh happened'
    assert_bound(op, at2)
    assert any('POST /token -> 200' in ln for ln in op_lines(op, mark)), op_lines(op, mark)


def test_aoidc_370_03_op_demands_a_nonce(env, ops, key, s):
    """DPOP_NONCE=1: the token endpoint answers 400 use_dpop_nonce with a
    DPoP-Nonce, userinfo 401 with WWW-Authenticate error="use_dpop_nonce";
    the module retries each once with the nonce and the login (and a
    refresh) succeed."""
    op = ops.start(nonce=True, at_ttl=3)
    install(env, ops, key, 'AuthOIDCProfile fapi2')
    login(env, op, s)
    assert_bound(op, access_token(env, s))
    seen = op_lines(op)
    token = [ln for ln in seen if 'POST /token ->' in ln]
    assert token[:2] == ['POST /token -> 400', 'POST /token -> 200'], seen
    me = [ln for ln in seen if 'GET /me ->' in ln]
    assert me[:2] == ['GET /me -> 401', 'GET /me -> 200'], seen
    time.sleep(4)
    mark = len(op.log().splitlines())
    at2 = access_token(env, s)
    assert_bound(op, at2)
    token = [ln for ln in op_lines(op, mark) if 'POST /token ->' in ln]
    assert token and token[-1] == 'POST /token -> 200', token


@pytest.mark.expect_log(r'reason=token_endpoint\b', r'invalid_dpop_proof|DPoP')
def test_aoidc_370_04_without_a_proof_the_op_refuses(env, ops, key, s):
    """The same client without DPoP (AuthOIDCDPoP off, no profile): the OP
    refuses the code exchange, so the tests above cannot pass by accident.
    With AuthOIDCDPoP on alone (no profile) it works again."""
    op = ops.start()
    install(env, ops, key, 'AuthOIDCDPoP off', 'AuthOIDCPAR on')
    mark = env.log_mark()
    r = start_login(env, s, '/app/')
    cb = authenticate(op, s, r)
    r2 = get(s, cb)
    assert r2.status_code >= 400 and 'aoidc_session' not in r2.headers.get('Set-Cookie', ''), \
        (r2.status_code, r2.headers)
    env.assert_reason('token_endpoint', mark=mark)
    assert any('POST /token -> 400' in ln for ln in op_lines(op)), op_lines(op)

    install(env, ops, key, 'AuthOIDCDPoP on', 'AuthOIDCPAR on')
    s.cookies.clear()
    login(env, op, s)
    assert_bound(op, access_token(env, s))


def configtest(env, ops, key, *extra, server=(), drop=()):
    conf = AoidcConf(env)
    for ln in server:
        conf.add(ln)
    return conf.add_location('/app', [ln for ln in lines(ops, key, *extra)
                                      if not any(ln.startswith(d) for d in drop)]).configtest()


@pytest.mark.parametrize('extra,other', [
    (('AuthOIDCPAR off',), 'AuthOIDCPAR off'),
    (('AuthOIDCPKCE off',), 'AuthOIDCPKCE off'),
    (('AuthOIDCResponseType "code id_token"', 'AuthOIDCResponseMode form_post'),
     'AuthOIDCResponseType "code id_token"'),
    (('AuthOIDCDPoP off',), 'AuthOIDCDPoP off'),
    (('AuthOIDCClientAuth client_secret_basic', 'AuthOIDCClientSecret s3cret-s3cret'),
     'AuthOIDCClientAuth client_secret_basic'),
    (('AuthOIDCClientAuth client_secret_post', 'AuthOIDCClientSecret s3cret-s3cret'),
     'AuthOIDCClientAuth client_secret_post'),
])
def test_aoidc_370_05_configtest_conflicts(env, ops, key, extra, other):
    """Each directive that contradicts the profile fails apachectl -t, the
    message naming both."""
    rc, out = configtest(env, ops, key, 'AuthOIDCProfile fapi2', *extra)
    assert rc != 0, out
    assert 'AuthOIDCProfile fapi2 conflicts with %s' % other in out, out
    # the same without the profile is fine
    rc, out = configtest(env, ops, key, *extra)
    assert rc == 0, out


def test_aoidc_370_06_configtest_profile_rules(env, ops, key):
    """The profile with what it implies spelled out is fine; a client
    without a key (a secret only) is refused; a profile set server-wide
    meets a section's AuthOIDCPAR off (merged as httpd merges at request
    time)."""
    rc, out = configtest(env, ops, key, 'AuthOIDCProfile fapi2', 'AuthOIDCPAR on',
                         'AuthOIDCPKCE S256', 'AuthOIDCDPoP on', 'AuthOIDCResponseType code',
                         'AuthOIDCClientAuth private_key_jwt')
    assert rc == 0 and 'Syntax OK' in out, out
    rc, out = configtest(env, ops, key, 'AuthOIDCProfile fapi2',
                         'AuthOIDCClientSecret s3cret-s3cret', drop=('AuthOIDCClientKey',))
    assert rc != 0 and re.search(r'AuthOIDCProfile fapi2 conflicts with AuthOIDCClientKey', out), out
    rc, out = configtest(env, ops, key, 'AuthOIDCPAR off', server=('AuthOIDCProfile fapi2',))
    assert rc != 0 and 'AuthOIDCProfile fapi2 conflicts with AuthOIDCPAR off' in out, out
    rc, out = configtest(env, ops, key, 'AuthOIDCProfile fapi2',
                         'AuthOIDCProvider http://127.0.0.1:%d other-client s3cret' % ops.port)
    assert rc != 0 and 'AuthOIDCProfile fapi2 conflicts with AuthOIDCProvider' in out, out
    rc, out = configtest(env, ops, key, 'AuthOIDCProfile sometimes')
    assert rc != 0 and 'fapi2|none' in out, out
    rc, out = configtest(env, ops, key, 'AuthOIDCProfile none', 'AuthOIDCPAR off')
    assert rc == 0, out
