"""530: sender-constrained tokens at the resource server: DPoP (RFC 9449)
and certificate-bound tokens (RFC 8705) without a certificate.

The EvilOP mints the access tokens (with cnf.jkt / cnf.x5t#S256); the test
is the DPoP client: it makes its key with jwcrypto and signs a fresh proof
per request, as clients do, or a defective one.
"""

import base64
import hashlib
import json
import secrets
import time

import pytest
from jwcrypto import jwk, jwt

from pyaoidc.client import raw_get
from pyaoidc.env import AoidcConf, bearer_lines


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


class DPoPClient:
    def __init__(self, kty='EC'):
        self.key = (jwk.JWK.generate(kty='EC', crv='P-256') if kty == 'EC'
                    else jwk.JWK.generate(kty='RSA', size=2048))
        self.alg = 'ES256' if kty == 'EC' else 'PS256'

    @property
    def jkt(self):
        return self.key.thumbprint()       # RFC 7638, SHA-256, base64url

    def proof(self, method, url, token, iat=None, jti=None, header=None, drop=(),
              **claims):
        hdr = {'typ': 'dpop+jwt', 'alg': self.alg,
               'jwk': json.loads(self.key.export_public())}
        hdr.update(header or {})
        body = {'htm': method, 'htu': url, 'iat': int(time.time()) if iat is None else iat,
                'jti': jti or secrets.token_urlsafe(16),
                'ath': b64u(hashlib.sha256(token.encode()).digest())}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None and k not in drop}
        t = jwt.JWT(header=hdr, claims=body)
        t.make_signed_token(self.key)
        return t.serialize()


@pytest.fixture
def dpop_api(env, evil):
    (AoidcConf(env)
     .add_location('/dp', bearer_lines(evil, authname='dp', require='valid-user'))
     .add_location('/dponly', bearer_lines(evil, authname='dponly', require='valid-user',
                                           extra=['AuthOIDCTokenBinding dpop']))
     .install())
    return env


def call(env, path, token, proof=None, scheme='DPoP', proofs=None):
    headers = [('Authorization', '%s %s' % (scheme, token))]
    for p in ([proof] if proof else []) + list(proofs or []):
        headers.append(('DPoP', p))
    # requests folds a dict; a list of pairs keeps two DPoP headers apart
    import http.client
    import urllib.parse
    u = urllib.parse.urlsplit(env.url(path))
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.putrequest('GET', u.path)
    for k, v in headers:
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.headers.get_all('WWW-Authenticate') or [], body


def challenges(hdrs):
    return {h.split(' ', 1)[0].lower(): h for h in hdrs}


def test_aoidc_530_01_valid_proof(dpop_api, evil):
    cl = DPoPClient()
    tok = evil.access_token(cnf={'jkt': cl.jkt})
    url = dpop_api.url('/dp/env.cgi')
    status, _, body = call(dpop_api, '/dp/env.cgi', tok, cl.proof('GET', url, tok))
    assert status == 200, body
    e = json.loads(body)['env']
    assert e['REMOTE_USER'] == 'alice'
    # a fresh proof per request, the token cached: still 200
    status, _, _ = call(dpop_api, '/dp/env.cgi', tok, cl.proof('GET', url, tok))
    assert status == 200
    # an RSA key works too
    cl2 = DPoPClient('RSA')
    tok2 = evil.access_token(cnf={'jkt': cl2.jkt})
    assert call(dpop_api, '/dp/env.cgi', tok2, cl2.proof('GET', url, tok2))[0] == 200


def test_aoidc_530_02_bound_token_as_bearer_refused(dpop_api, evil):
    cl = DPoPClient()
    tok = evil.access_token(cnf={'jkt': cl.jkt})
    status, www, _ = call(dpop_api, '/dp/echo/', tok, scheme='Bearer')
    assert status == 401
    assert 'invalid_token' in challenges(www)['bearer']
    dpop_api.assert_reason('binding')
    # and a certificate-bound token without a certificate (no TLS here)
    tok = evil.access_token(cnf={'x5t#S256': b64u(hashlib.sha256(b'cert').digest())})
    status, www, _ = call(dpop_api, '/dp/echo/', tok, scheme='Bearer')
    assert status == 401


def test_aoidc_530_03_replayed_proof_refused(dpop_api, evil):
    cl = DPoPClient()
    tok = evil.access_token(cnf={'jkt': cl.jkt})
    url = dpop_api.url('/dp/echo/')
    p = cl.proof('GET', url, tok)
    assert call(dpop_api, '/dp/echo/', tok, p)[0] == 200
    status, www, _ = call(dpop_api, '/dp/echo/', tok, p)   # a new connection
    assert status == 401
    ch = challenges(www)['dpop']
    assert 'error="invalid_dpop_proof"' in ch and 'algs="' in ch and 'ES256' in ch
    dpop_api.assert_reason('dpop_proof')


@pytest.mark.parametrize('defect', ['htm', 'htu', 'ath', 'old_iat', 'future_iat', 'no_jti',
                                    'other_key', 'typ', 'private_jwk', 'no_proof',
                                    'two_proofs'])
def test_aoidc_530_04_bad_proofs_refused(dpop_api, evil, defect):
    cl = DPoPClient()
    tok = evil.access_token(cnf={'jkt': cl.jkt})
    url = dpop_api.url('/dp/echo/')
    proofs = None
    proof = {
        'htm': lambda: cl.proof('POST', url, tok),
        'htu': lambda: cl.proof('GET', dpop_api.url('/dp/other/'), tok),
        'ath': lambda: cl.proof('GET', url, 'another-token'),
        'old_iat': lambda: cl.proof('GET', url, tok, iat=int(time.time()) - 600),
        'future_iat': lambda: cl.proof('GET', url, tok, iat=int(time.time()) + 600),
        'no_jti': lambda: cl.proof('GET', url, tok, drop=('jti',)),
        'other_key': lambda: DPoPClient().proof('GET', url, tok),
        'typ': lambda: cl.proof('GET', url, tok, header={'typ': 'JWT'}),
        'private_jwk': lambda: cl.proof('GET', url, tok,
                                        header={'jwk': json.loads(cl.key.export_private())}),
        'no_proof': lambda: None,
        'two_proofs': lambda: None,
    }[defect]()
    if defect == 'two_proofs':
        proofs = [cl.proof('GET', url, tok), cl.proof('GET', url, tok)]
    status, www, body = call(dpop_api, '/dp/echo/', tok, proof, proofs=proofs)
    assert status == 401, (defect, status, body)
    assert 'error="invalid_dpop_proof"' in challenges(www).get('dpop', ''), www
    dpop_api.assert_reason('dpop_proof')


def test_aoidc_530_05_unbound_token_as_dpop_refused(dpop_api, evil):
    cl = DPoPClient()
    tok = evil.access_token()
    url = dpop_api.url('/dp/echo/')
    status, _, _ = call(dpop_api, '/dp/echo/', tok, cl.proof('GET', url, tok))
    assert status == 401
    dpop_api.assert_reason('binding')
    # the same token as plain Bearer is fine where binding is off
    assert call(dpop_api, '/dp/echo/', tok, scheme='Bearer')[0] == 200


def test_aoidc_530_06_binding_dpop_location(dpop_api, evil):
    # an unbound token is refused; the challenge is DPoP only
    tok = evil.access_token()
    status, www, _ = call(dpop_api, '/dponly/echo/', tok, scheme='Bearer')
    assert status == 401
    ch = challenges(www)
    assert set(ch) == {'dpop'}, www
    assert 'realm="dponly"' in ch['dpop'] and 'invalid_token' in ch['dpop']
    # no credentials: a DPoP challenge without an error
    r = raw_get(dpop_api.url('/dponly/echo/'))
    assert r.status_code == 401
    assert r.headers['WWW-Authenticate'].startswith('DPoP realm="dponly", algs="')
    assert 'error=' not in r.headers['WWW-Authenticate']
    # a bound token with its proof passes
    cl = DPoPClient()
    tok = evil.access_token(cnf={'jkt': cl.jkt})
    url = dpop_api.url('/dponly/echo/')
    assert call(dpop_api, '/dponly/echo/', tok, cl.proof('GET', url, tok))[0] == 200


def test_aoidc_530_07_configtest(env, evil):
    rc, out = AoidcConf(env).add_location('/dp', bearer_lines(evil, extra=[
        'AuthOIDCTokenBinding maybe'])).configtest()
    assert rc != 0 and 'AuthOIDCTokenBinding' in out and 'off|dpop|mtls|any' in out, out
