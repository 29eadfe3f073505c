#!/usr/bin/python3
"""Self-test for evil_op.EvilOP: run with /usr/bin/python3, exits 0 on success.

Walks a good authorization-code flow (PKCE S256, client_secret_basic),
verifies the ID token with jwcrypto against /jwks, then checks that every
mode produces exactly its defect.
"""

import hashlib
import json
import os
import secrets
import sys
import time
from urllib.parse import parse_qs, urlsplit

import requests
from jwcrypto import jwk, jws, jwt
from jwcrypto.jwa import JWA

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from pyaoidc.evil_op import (EvilOP, ID_TOKEN_MODES, b64u, b64u_decode,  # noqa: E402
                             at_hash, pkce_s256, EVIL_ISSUER)

REDIRECT = 'http://127.0.0.1:9/app/callback'   # never contacted: we stop at the 302
FAILS = []


def check(cond, what):
    print('  %-4s %s' % ('ok' if cond else 'FAIL', what))
    if not cond:
        FAILS.append(what)


def split_jwt(tok):
    h, p, s = tok.split('.')
    return json.loads(b64u_decode(h)), json.loads(b64u_decode(p)), b64u_decode(s)


def sig_ok(tok, jwks_dict, algs=('RS256', 'PS256', 'ES256')):
    """Strict signature check: key chosen by kid from the JWKS, alg allowed
    and consistent with the key type. Ignores claims and crit."""
    hdr, _, sig = split_jwt(tok)
    if hdr.get('alg') not in algs:
        return False
    keys = [k for k in jwks_dict['keys'] if k.get('kid') == hdr.get('kid')]
    if len(keys) != 1 or keys[0]['kty'] != {'R': 'RSA', 'P': 'RSA', 'E': 'EC'}[hdr['alg'][0]]:
        return False
    try:
        JWA.signing_alg(hdr['alg']).verify(jwk.JWK(**keys[0]),
                                           tok.rsplit('.', 1)[0].encode(), sig)
        return True
    except Exception:
        return False


def sig_ok_with(tok, kid, jwks_dict):
    """Does the key published under `kid` verify tok (whatever its header kid)?"""
    alg = split_jwt(tok)[0]['alg']
    key = [k for k in jwks_dict['keys'] if k['kid'] == kid][0]
    try:
        JWA.signing_alg(alg).verify(jwk.JWK(**key), tok.rsplit('.', 1)[0].encode(), split_jwt(tok)[2])
        return True
    except Exception:
        return False


def authorize(op, nonce='n-' + 'x' * 20, challenge=None, state=None):
    """GET /authorize; returns the redirect's query parameters."""
    q = {'response_type': 'code', 'client_id': op.CLIENT_ID, 'redirect_uri': REDIRECT,
         'scope': 'openid email', 'state': state or secrets.token_urlsafe(12), 'nonce': nonce}
    if challenge:
        q.update(code_challenge=challenge, code_challenge_method='S256')
    r = requests.get(op.issuer + '/authorize', params=q, allow_redirects=False, timeout=5)
    assert r.status_code == 302, r.status_code
    loc = r.headers['Location']
    assert loc.startswith(REDIRECT + '?'), loc
    return {k: v[0] for k, v in parse_qs(urlsplit(loc).query).items()}


def token(op, code, verifier=None, redirect_uri=REDIRECT, auth='basic',
          secret=EvilOP.CLIENT_SECRET, timeout=5):
    form = {'grant_type': 'authorization_code', 'code': code, 'redirect_uri': redirect_uri}
    if verifier:
        form['code_verifier'] = verifier
    kw = {}
    if auth in ('basic', 'both'):
        kw['auth'] = (op.CLIENT_ID, secret)
    if auth in ('post', 'both'):
        form.update(client_id=op.CLIENT_ID, client_secret=secret)
    return requests.post(op.issuer + '/token', data=form, timeout=timeout, **kw)


def full_flow(op, nonce=None):
    """authorize + token with PKCE; returns (nonce, token response JSON)."""
    nonce = nonce or secrets.token_urlsafe(16)
    verifier = secrets.token_urlsafe(48)
    params = authorize(op, nonce=nonce, challenge=pkce_s256(verifier))
    r = token(op, params['code'], verifier)
    assert r.status_code == 200, (r.status_code, r.text)
    return nonce, r.json()


def get_jwks(op):
    return requests.get(op.issuer + '/jwks', timeout=5).json()


def test_discovery(op):
    print('discovery')
    md = requests.get(op.issuer + '/.well-known/openid-configuration', timeout=5).json()
    check(md['issuer'] == op.issuer, 'issuer equals the URL, no trailing slash')
    for k, p in (('authorization_endpoint', '/authorize'), ('token_endpoint', '/token'),
                 ('userinfo_endpoint', '/userinfo'), ('jwks_uri', '/jwks'),
                 ('introspection_endpoint', '/introspect'), ('end_session_endpoint', '/logout')):
        check(md[k] == op.issuer + p, k)
    check(md['authorization_response_iss_parameter_supported'] is True, 'iss param advertised')
    check(md['code_challenge_methods_supported'] == ['S256'], 'S256 only')
    check(md['id_token_signing_alg_values_supported'] == ['RS256'], 'RS256 only')
    check(set(md['token_endpoint_auth_methods_supported']) ==
          {'client_secret_basic', 'client_secret_post'}, 'client auth methods')


def test_good_flow(op):
    print('good flow')
    nonce, verifier, state = secrets.token_urlsafe(16), secrets.token_urlsafe(48), 'st-123'
    p = authorize(op, nonce=nonce, challenge=pkce_s256(verifier), state=state)
    check(p['state'] == state and p['iss'] == op.issuer and 'code' in p, 'redirect has code, state, iss')
    check(op.last_authorize_request['nonce'] == nonce, 'last_authorize_request recorded')
    r = token(op, p['code'], verifier)
    check(r.status_code == 200, '/token 200')
    t = r.json()
    check(t['token_type'] == 'Bearer' and t['expires_in'] > 0 and t['refresh_token'], 'token fields')
    ltr = op.last_token_request
    check(ltr['client_auth'] == 'basic' and ltr['form']['code_verifier'] == verifier
          and ltr['form']['redirect_uri'] == REDIRECT, 'last_token_request (basic, verifier, redirect_uri)')
    # Independent verification with jwcrypto's JWT + JWKSet (selects key by kid).
    keyset = jwk.JWKSet.from_json(requests.get(op.issuer + '/jwks', timeout=5).text)
    try:
        v = jwt.JWT(jwt=t['id_token'], key=keyset, algs=['RS256'],
                    check_claims={'iss': op.issuer, 'aud': op.CLIENT_ID, 'exp': None})
        c = json.loads(v.claims)
        check(True, 'jwcrypto verifies the ID token against /jwks')
    except Exception as e:
        check(False, 'jwcrypto verifies the ID token: %r' % e)
        return
    hdr = split_jwt(t['id_token'])[0]
    check(hdr['alg'] == 'RS256' and hdr['kid'] == op.kid, 'header RS256 with current kid')
    check(c['nonce'] == nonce and c['sub'] == 'alice' and c['iat'] <= time.time() < c['exp'],
          'nonce, sub, iat, exp')
    check(c['at_hash'] == b64u(hashlib.sha256(t['access_token'].encode()).digest()[:16]), 'at_hash')
    check(c['email'] == 'alice@example.com' and c['name'], 'email, name')

    # Code is single use; PKCE, redirect_uri and client auth are enforced.
    r2 = token(op, p['code'], verifier)
    check(r2.status_code == 400 and r2.json()['error'] == 'invalid_grant', 'code reuse -> invalid_grant')
    p = authorize(op, challenge=pkce_s256(verifier))
    check(token(op, p['code'], secrets.token_urlsafe(48)).status_code == 400, 'wrong verifier -> 400')
    p = authorize(op, challenge=pkce_s256(verifier))
    check(token(op, p['code']).status_code == 400, 'missing verifier -> 400')
    p = authorize(op, challenge=pkce_s256(verifier))
    check(token(op, p['code'], verifier, redirect_uri=REDIRECT + 'x').status_code == 400,
          'redirect_uri mismatch -> 400')
    p = authorize(op, challenge=pkce_s256(verifier))
    check(token(op, p['code'], verifier, secret='wrong').status_code == 401, 'bad secret -> 401')
    p = authorize(op, challenge=pkce_s256(verifier))
    check(token(op, p['code'], verifier, auth='both').status_code == 400, 'two auth methods -> 400')
    p = authorize(op, challenge=pkce_s256(verifier))
    r = token(op, p['code'], verifier, auth='post')
    check(r.status_code == 200 and op.last_token_request['client_auth'] == 'post',
          'client_secret_post accepted')
    p = authorize(op)
    check(token(op, p['code']).status_code == 200, 'flow without PKCE works')

    # userinfo, refresh, introspection, logout
    at = t['access_token']
    u = requests.get(op.issuer + '/userinfo', headers={'Authorization': 'Bearer ' + at}, timeout=5)
    check(u.status_code == 200 and u.json()['sub'] == 'alice', 'userinfo')
    u = requests.get(op.issuer + '/userinfo', headers={'Authorization': 'Bearer nope'}, timeout=5)
    check(u.status_code == 401 and 'invalid_token' in u.headers['WWW-Authenticate'], 'userinfo bad token')
    r = requests.post(op.issuer + '/token', auth=(op.CLIENT_ID, op.CLIENT_SECRET), timeout=5,
                      data={'grant_type': 'refresh_token', 'refresh_token': t['refresh_token']})
    check(r.status_code == 200 and r.json()['access_token'] != at, 'refresh_token grant')
    intro = lambda tok, auth=(op.CLIENT_ID, op.CLIENT_SECRET): requests.post(  # noqa: E731
        op.issuer + '/introspect', data={'token': tok}, auth=auth, timeout=5)
    check(intro(at).json()['active'] is True, 'introspect issued token -> active')
    check(intro('unknown').json() == {'active': False}, 'introspect unknown -> inactive')
    op.add_opaque_token('opaque-1', {'active': True, 'scope': 'api:read', 'sub': 'bob'})
    check(intro('opaque-1').json()['sub'] == 'bob', 'add_opaque_token')
    check(intro('opaque-1', auth=(op.CLIENT_ID, 'x')).status_code == 401, 'introspect bad creds -> 401')
    r = requests.get(op.issuer + '/logout', allow_redirects=False, timeout=5,
                     params={'post_logout_redirect_uri': 'http://127.0.0.1:9/bye', 'state': 's1'})
    check(r.status_code == 302 and r.headers['Location'] == 'http://127.0.0.1:9/bye?state=s1', 'logout')


def test_access_token(op):
    print('access_token()')
    jw = get_jwks(op)
    tok = op.access_token()
    h, c, _ = split_jwt(tok)
    check(sig_ok(tok, jw) and h['typ'] == 'at+jwt' and h['kid'] == op.kid, 'valid, typ at+jwt')
    check(c['aud'] == 'api://default' and c['scope'] == 'orders:read' and c['iss'] == op.issuer
          and c['client_id'] == op.CLIENT_ID and c['jti'] and c['exp'] > time.time(), 'RFC 9068 claims')
    h, c, _ = split_jwt(op.access_token(aud='other', exp=None))
    check(c['aud'] == 'other' and 'exp' not in c, 'overrides replace / delete')
    check(split_jwt(op.access_token(_alg='none'))[0]['alg'] == 'none', '_alg passed to mint')
    tok = op.mint({'a': 1}, alg='HS256-pubkey')
    h, _, sig = split_jwt(tok)
    pem = op.signing_key.export_to_pem(private_key=False)
    import hmac
    check(h == {'alg': 'HS256', 'kid': op.kid} and hmac.new(
        pem, tok.rsplit('.', 1)[0].encode(), hashlib.sha256).digest() == sig, 'mint HS256-pubkey')
    check(tok.count('.') == 2 and op.mint({}, alg='none').endswith('.'), 'alg none: empty signature')


def _hmac_ok(tok, secret):
    import hmac
    return hmac.new(secret, tok.rsplit('.', 1)[0].encode(), hashlib.sha256).digest() == split_jwt(tok)[2]


def test_id_token_modes(op):
    print('ID token modes')
    jw = get_jwks(op)
    kids = {k['kid'] for k in jw['keys']}
    pem = op.signing_key.export_to_pem(private_key=False)
    now = time.time()
    # mode -> (signature should verify against /jwks?, defect predicate(hdr, claims, tok, resp, nonce))
    table = {
        'wrong_iss': (True, lambda h, c, *_: c['iss'] == EVIL_ISSUER),
        'wrong_aud': (True, lambda h, c, *_: c['aud'] == 'someone-else'),
        'aud_array_without_us': (True, lambda h, c, *_: isinstance(c['aud'], list)
                                 and op.CLIENT_ID not in c['aud']),
        'azp_wrong': (True, lambda h, c, *_: op.CLIENT_ID in c['aud'] and c['azp'] != op.CLIENT_ID),
        'wrong_nonce': (True, lambda h, c, t, r, n: c['nonce'] != n),
        'no_nonce': (True, lambda h, c, *_: 'nonce' not in c),
        'bad_sig': (False, lambda h, c, *_: h['alg'] == 'RS256' and h['kid'] == op.kid),
        'alg_none': (False, lambda h, c, t, *_: h['alg'] == 'none' and t.endswith('.')),
        'hs256_pubkey': (False, lambda h, c, t, *_: h['alg'] == 'HS256' and h['kid'] == op.kid
                         and _hmac_ok(t, pem)),
        'hs256_secret': (False, lambda h, c, t, *_: h['alg'] == 'HS256' and 'kid' not in h
                         and _hmac_ok(t, op.CLIENT_SECRET.encode())),
        'kid_unknown': (False, lambda h, c, *_: h['kid'] not in kids),
        'kid_swap': (False, lambda h, c, t, *_: h['kid'] == op.kid
                     and sig_ok_with(t, 'rsa-spare', jw)),
        'jku_attack': (False, lambda h, c, *_: h['jku'] == op.issuer + '/attacker-jwks'
                       and h['kid'] not in kids and h['kid'] in {k['kid'] for k in requests.get(
                           h['jku'], timeout=5).json()['keys']}),
        'jwk_embedded': (False, lambda h, c, *_: h['jwk']['kid'] == h['kid'] and h['kid'] not in kids),
        'expired': (True, lambda h, c, *_: c['exp'] < now - 3000 and c['iat'] < c['exp']),
        'iat_missing': (True, lambda h, c, *_: 'iat' not in c),
        'nbf_future': (True, lambda h, c, *_: c['nbf'] > now + 3000),
        'sub_missing': (True, lambda h, c, *_: 'sub' not in c),
        'crit_unknown': (True, lambda h, c, *_: h['crit'] == ['x-unknown'] and h['x-unknown'] is True),
        'at_hash_wrong': (True, lambda h, c, t, r, n: c['at_hash'] != at_hash(r['access_token'])),
        'ps256': (True, lambda h, c, *_: h['alg'] == 'PS256' and h['kid'] == op.kid),
        'es256': (True, lambda h, c, *_: h['alg'] == 'ES256' and h['kid'] == 'ec-1'),
    }
    check(set(table) == ID_TOKEN_MODES, 'every ID token mode is covered')
    for mode, (want_sig, defect) in sorted(table.items()):
        op.set_mode(mode)
        nonce, resp = full_flow(op)
        tok = resp['id_token']
        h, c, _ = split_jwt(tok)
        try:
            present = bool(defect(h, c, tok, resp, nonce))
        except Exception as e:
            present = False
            print('       (%s predicate raised %r)' % (mode, e))
        # "Exactly one thing": everything the mode does not target stays valid.
        others = True
        if mode not in ('wrong_iss',):
            others &= c['iss'] == op.issuer
        if mode not in ('wrong_aud', 'aud_array_without_us', 'azp_wrong'):
            others &= c['aud'] == op.CLIENT_ID
        if mode not in ('wrong_nonce', 'no_nonce'):
            others &= c.get('nonce') == nonce
        if mode not in ('sub_missing',):
            others &= c.get('sub') == 'alice'
        if mode not in ('expired',):
            others &= c['exp'] > now and ('iat' in c or mode == 'iat_missing')
        if mode not in ('at_hash_wrong',):
            others &= c['at_hash'] == at_hash(resp['access_token'])
        check(present and others and sig_ok(tok, jw) == want_sig,
              '%-20s defect present, rest valid, signature %s' % (mode, 'ok' if want_sig else 'bad'))
    # variants / extra
    op.set_mode('crit_unknown')
    try:
        jws.JWS().deserialize(full_flow(op)[1]['id_token'], jwk.JWK(**jw['keys'][0]))
        check(False, 'jwcrypto should refuse unknown crit')
    except Exception:
        check(True, 'crit_unknown refused by jwcrypto')
    op.set_mode('kid_unknown', sign_with='current')
    tok = full_flow(op)[1]['id_token']
    check(split_jwt(tok)[0]['kid'] not in kids and sig_ok_with(tok, op.kid, jw),
        'kid_unknown sign_with=current: real key, unknown kid')
    op.set_mode('jwk_embedded', via='x5c')
    check('x5c' in split_jwt(full_flow(op)[1]['id_token'])[0], 'jwk_embedded via=x5c')
    op.set_mode('jwk_embedded', via='x5u')
    h = split_jwt(full_flow(op)[1]['id_token'])[0]
    check(requests.get(h['x5u'], timeout=5).text.startswith('-----BEGIN CERTIFICATE'), 'jwk_embedded via=x5u')
    op.set_mode('expired', by=120)
    c = split_jwt(full_flow(op)[1]['id_token'])[1]
    check(abs(c['exp'] - (time.time() - 120)) < 5, 'expired by=120')
    op.reset()


def test_authz_response_modes(op):
    print('authorization response modes')
    op.set_mode('no_iss_param')
    p = authorize(op, state='s')
    check('iss' not in p and 'code' in p and p['state'] == 's', 'no_iss_param')
    op.set_mode('wrong_iss_param')
    p = authorize(op, state='s')
    check(p['iss'] == EVIL_ISSUER and 'code' in p and p['state'] == 's', 'wrong_iss_param')
    op.set_mode('error_response')
    p = authorize(op, state='s')
    check(p['error'] == 'access_denied' and p['error_description'] and p['state'] == 's'
          and p['iss'] == op.issuer and 'code' not in p, 'error_response')
    op.set_mode('state_swap')
    p = authorize(op, state='s')
    check(p['state'] != 's' and 'code' in p and p['iss'] == op.issuer, 'state_swap')
    op.reset()


def test_http_modes(op):
    print('discovery / JWKS / HTTP modes')
    disc = op.issuer + '/.well-known/openid-configuration'
    op.set_mode('metadata_wrong_issuer')
    check(requests.get(disc, timeout=5).json()['issuer'] == op.issuer + '/', 'metadata_wrong_issuer')
    op.set_mode('discovery_garbage')
    r = requests.get(disc, timeout=5)
    check(r.status_code == 200 and not _is_json(r.content), 'discovery_garbage')
    op.set_mode('discovery_500')
    check(requests.get(disc, timeout=5).status_code == 500, 'discovery_500')
    for mode, url in (('discovery_slow', disc), ('introspect_slow', op.issuer + '/introspect'),
                      ('token_slow', op.issuer + '/token')):
        op.set_mode(mode, secs=2)
        t0 = time.time()
        try:
            requests.post(url, timeout=0.5) if 'discovery' not in mode else requests.get(url, timeout=0.5)
            check(False, mode)
        except requests.exceptions.Timeout:
            check(time.time() - t0 < 1.5, '%s (client timed out)' % mode)
    op.set_mode('jwks_garbage')
    check(not _is_json(requests.get(op.issuer + '/jwks', timeout=5).content), 'jwks_garbage')
    op.set_mode('jwks_huge')
    r = requests.get(op.issuer + '/jwks', timeout=30)
    check(len(r.content) > 4_500_000 and r.json()['keys'][0]['kid'] == op.kid,
          'jwks_huge (%.1f MB)' % (len(r.content) / 1e6))
    op.set_mode('good')
    p = authorize(op)
    op.set_mode('token_garbage')
    r = token(op, p['code'])
    check(r.status_code == 200 and not _is_json(r.content), 'token_garbage')
    op.set_mode('token_500')
    check(token(op, p['code']).status_code == 500, 'token_500')
    op.set_mode('token_error')
    r = token(op, p['code'])
    check(r.status_code == 400 and r.json()['error'] == 'invalid_grant', 'token_error')
    op.set_mode('good')
    at = token(op, p['code']).json()['access_token']
    ui = lambda: requests.get(op.issuer + '/userinfo',  # noqa: E731
                              headers={'Authorization': 'Bearer ' + at}, timeout=5)
    op.set_mode('userinfo_wrong_sub')
    check(ui().json()['sub'] != 'alice', 'userinfo_wrong_sub')
    op.set_mode('userinfo_500')
    check(ui().status_code == 500, 'userinfo_500')
    op.set_mode('introspect_garbage')
    r = requests.post(op.issuer + '/introspect', data={'token': at}, timeout=5,
                      auth=(op.CLIENT_ID, op.CLIENT_SECRET))
    check(r.status_code == 200 and not _is_json(r.content), 'introspect_garbage')
    op.set_mode('http_endpoints')
    md = requests.get(disc, timeout=5).json()
    check(md['issuer'] == op.issuer and md['token_endpoint'] == 'http://example.com/token'
          and md['jwks_uri'] == 'http://example.com/jwks', 'http_endpoints')
    op.set_mode('http_endpoints', only='userinfo_endpoint')
    md = requests.get(disc, timeout=5).json()
    check(md['userinfo_endpoint'] == 'http://example.com/userinfo'
          and md['token_endpoint'] == op.issuer + '/token', 'http_endpoints only=userinfo_endpoint')
    try:
        op.set_mode('no_such_mode')
        check(False, 'unknown mode rejected')
    except ValueError:
        check(True, 'unknown mode rejected')
    op.reset()


def _is_json(b):
    try:
        json.loads(b)
        return True
    except ValueError:
        return False


def test_rotation(op):
    print('key rotation and counters')
    old = op.kid
    op.counters.clear()
    new = op.rotate_keys()
    jw = get_jwks(op)
    kids = [k['kid'] for k in jw['keys']]
    check(new != old and old in kids and new in kids, 'JWKS serves old and new kid')
    tok = full_flow(op)[1]['id_token']
    check(split_jwt(tok)[0]['kid'] == new and sig_ok(tok, jw), 'new tokens signed with the new key')
    check(op.counters['/jwks'] == 1 and op.counters['/token'] == 1 and op.counters['/authorize'] == 1,
          'counters %s' % dict(op.counters))
    newer = op.rotate_keys(keep_old=False)
    kids = [k['kid'] for k in get_jwks(op)['keys']]
    check(newer in kids and old not in kids and new not in kids, 'rotate_keys(keep_old=False)')
    op.reset()
    check(sum(op.counters.values()) == 0 and op.mode == 'good' and op.last_token_request is None, 'reset')


def main():
    t0 = time.time()
    op = EvilOP()
    op.start()
    try:
        check(op.issuer == 'http://127.0.0.1:%d' % op.port, 'issuer %s' % op.issuer)
        for test in (test_discovery, test_good_flow, test_access_token, test_id_token_modes,
                     test_authz_response_modes, test_http_modes, test_rotation):
            try:
                test(op)
            except Exception as e:
                import traceback
                traceback.print_exc()
                check(False, '%s raised %r' % (test.__name__, e))
                op.reset()
    finally:
        op.stop()
    print('%s: %d failure(s) in %.1fs' % ('FAILED' if FAILS else 'PASSED', len(FAILS), time.time() - t0))
    return 1 if FAILS else 0


if __name__ == '__main__':
    sys.exit(main())
