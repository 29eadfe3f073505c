"""530: sender-constrained tokens at the resource server: DPoP (RFC 9449)
and certificate-bound tokens (RFC 8705) without a certificate.

The EvilOP mints the access tokens (with cnf.jkt / cnf.x5t#S256); the test
is the DPoP client: it makes its key with jwcrypto and signs a fresh proof
per request, as clients do, or a defective one.
"""

import base64
import hashlib
import hmac
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


NONCE_PASS = 'dpop-nonce-passphrase-of-the-nodes-0123'
OTHER_PASS = 'dpop-nonce-passphrase-of-another-site-0123'
NONCE_WINDOW = 60    # AOIDC_DPOP_NONCE_WINDOW


def server_nonce(passphrase, window):
    """What the module issues for a time window (core/dpop.c): the window
    number and an HMAC of it under the passphrase's "dpop-nonce" key, as
    another node computes it; lets the test make an older window's nonce."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    key = HKDF(hashes.SHA256(), 32, b'mod_auth_oidc seal v1',
               b'dpop-nonce').derive(passphrase.encode())
    mac = hmac.new(hashlib.sha256(key + b'mac').digest(),
                   window.to_bytes(8, 'big'), hashlib.sha256).digest()
    return '%d.%s' % (window, b64u(mac))


@pytest.fixture
def nonce_api(env, evil):
    """/dpn and /dpn2 share a passphrase (two nodes of one site); /dpx has
    another one (another site)."""
    def loc(name, passphrase):
        return bearer_lines(evil, authname=name, require='valid-user', extra=[
            'AuthOIDCPassphrase %s' % passphrase, 'AuthOIDCDPoPNonce on'])
    (AoidcConf(env)
     .add_location('/dpn', loc('dpn', NONCE_PASS))
     .add_location('/dpn2', loc('dpn2', NONCE_PASS))
     .add_location('/dpx', loc('dpx', OTHER_PASS))
     .install())
    return env


def call_h(env, path, token, proof=None, scheme='DPoP'):
    """call(), with the DPoP-Nonce response header."""
    import http.client
    import urllib.parse
    u = urllib.parse.urlsplit(env.url(path))
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.putrequest('GET', u.path)
    c.putheader('Authorization', '%s %s' % (scheme, token))
    if proof:
        c.putheader('DPoP', proof)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    return (r.status, r.headers.get_all('WWW-Authenticate') or [], body,
            r.headers.get('DPoP-Nonce'))


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


def test_aoidc_530_08_nonce_required_then_retry(nonce_api, evil):
    cl = DPoPClient()
    tok = evil.access_token(cnf={'jkt': cl.jkt})
    url = nonce_api.url('/dpn/env.cgi')
    # RFC 9449 §8: the first proof has no nonce: 401 use_dpop_nonce, with one
    mark = nonce_api.log_mark()
    status, www, body, nonce = call_h(nonce_api, '/dpn/env.cgi', tok,
                                      cl.proof('GET', url, tok))
    assert status == 401, body
    ch = challenges(www)
    assert 'error="use_dpop_nonce"' in ch['dpop'], www
    assert 'error=' not in ch.get('bearer', ''), www
    assert nonce and nonce.split('.')[0].isdigit(), nonce
    nonce_api.assert_reason('dpop_nonce', mark=mark)
    # the retry carries it: 200; the window has not turned, nothing new sent
    # (unless it turned just now: then the new nonce is the next window's)
    status, _, body, fresh = call_h(nonce_api, '/dpn/env.cgi', tok,
                                    cl.proof('GET', url, tok, nonce=nonce))
    assert status == 200, body
    assert json.loads(body)['env']['REMOTE_USER'] == 'alice'
    assert fresh is None or int(fresh.split('.')[0]) == int(nonce.split('.')[0]) + 1
    # another node with the same passphrase takes it (stateless)
    url2 = nonce_api.url('/dpn2/env.cgi')
    assert call_h(nonce_api, '/dpn2/env.cgi', tok,
                  cl.proof('GET', url2, tok, nonce=nonce))[0] == 200
    # a bad proof is still invalid_dpop_proof, with a nonce to go on with
    status, www, _, n2 = call_h(nonce_api, '/dpn/env.cgi', tok,
                                cl.proof('POST', url, tok, nonce=nonce))
    assert status == 401 and 'error="invalid_dpop_proof"' in challenges(www)['dpop']
    assert n2


def test_aoidc_530_09_nonce_windows(nonce_api, evil):
    cl = DPoPClient()
    tok = evil.access_token(cnf={'jkt': cl.jkt})
    url = nonce_api.url('/dpn/echo/')
    now = int(time.time()) // NONCE_WINDOW
    # the test computes the nonces as a node does: this window's passes
    status, _, body, fresh = call_h(nonce_api, '/dpn/echo/', tok, cl.proof(
        'GET', url, tok, nonce=server_nonce(NONCE_PASS, now)))
    assert status == 200, body
    # the previous window's passes, and the answer carries a fresh one
    status, _, body, fresh = call_h(nonce_api, '/dpn/echo/', tok, cl.proof(
        'GET', url, tok, nonce=server_nonce(NONCE_PASS, now - 1)))
    assert status == 200, body
    assert fresh in (server_nonce(NONCE_PASS, now), server_nonce(NONCE_PASS, now + 1))
    # two windows back, and a next window's: refused
    for w in (now - 2, now + 2):
        status, www, _, n = call_h(nonce_api, '/dpn/echo/', tok, cl.proof(
            'GET', url, tok, nonce=server_nonce(NONCE_PASS, w)))
        assert status == 401 and 'use_dpop_nonce' in challenges(www)['dpop'], (w, www)
        assert n in (server_nonce(NONCE_PASS, now), server_nonce(NONCE_PASS, now + 1))


def test_aoidc_530_10_nonce_of_another_passphrase_refused(nonce_api, evil):
    cl = DPoPClient()
    tok = evil.access_token(cnf={'jkt': cl.jkt})
    # a nonce issued by the other site (its own challenge)
    status, _, _, other = call_h(nonce_api, '/dpx/echo/', tok,
                                 cl.proof('GET', nonce_api.url('/dpx/echo/'), tok))
    assert status == 401 and other
    url = nonce_api.url('/dpn/echo/')
    mark = nonce_api.log_mark()
    status, www, _, mine = call_h(nonce_api, '/dpn/echo/', tok,
                                  cl.proof('GET', url, tok, nonce=other))
    assert status == 401 and 'error="use_dpop_nonce"' in challenges(www)['dpop'], www
    assert mine and mine != other
    nonce_api.assert_reason('dpop_nonce', mark=mark)
    # a forged MAC likewise
    forged = other.split('.')[0] + '.' + b64u(secrets.token_bytes(32))
    assert call_h(nonce_api, '/dpn/echo/', tok,
                  cl.proof('GET', url, tok, nonce=forged))[0] == 401
    # and the one /dpx issued works there
    assert call_h(nonce_api, '/dpx/echo/', tok, cl.proof(
        'GET', nonce_api.url('/dpx/echo/'), tok, nonce=other))[0] == 200


def test_aoidc_530_11_nonce_off_by_default(dpop_api, evil):
    # without AuthOIDCDPoPNonce no nonce is asked for or sent
    cl = DPoPClient()
    tok = evil.access_token(cnf={'jkt': cl.jkt})
    url = dpop_api.url('/dp/echo/')
    status, _, _, n = call_h(dpop_api, '/dp/echo/', tok, cl.proof('GET', url, tok))
    assert status == 200 and n is None
    status, _, _, n = call_h(dpop_api, '/dp/echo/', tok, cl.proof('POST', url, tok))
    assert status == 401 and n is None


def test_aoidc_530_12_nonce_configtest(env, evil):
    rc, out = AoidcConf(env).add_location('/dp', bearer_lines(evil, extra=[
        'AuthOIDCDPoPNonce on'])).configtest()
    assert rc != 0 and 'AuthOIDCDPoPNonce on needs AuthOIDCPassphrase' in out, out
    rc, out = AoidcConf(env).add_location('/dp', bearer_lines(evil, extra=[
        'AuthOIDCDPoPNonce on', 'AuthOIDCPassphrase %s' % NONCE_PASS])).configtest()
    assert rc == 0, out
