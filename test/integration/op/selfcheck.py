#!/usr/bin/python3
"""Self-check of the test OP (no pytest): /usr/bin/python3 test/integration/op/selfcheck.py

Starts RealOP, runs discovery, a scripted code+PKCE login, the code exchange,
a refresh, userinfo, RP-initiated logout, mints a JWT and an opaque access
token and introspects them. Exits 0 only if every check passed.
"""

import base64
import hashlib
import json
import os
import secrets
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import requests  # noqa: E402
from jwcrypto import jwk, jws, jwt  # noqa: E402

from pyaoidc.op import RealOP  # noqa: E402

CB = 'http://127.0.0.1:9/cb'
LOGOUT_CB = 'http://127.0.0.1:9/loggedout'
failures = []


def check(cond, msg):
    print(('ok   ' if cond else 'FAIL ') + msg)
    if not cond:
        failures.append(msg)
    return cond


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


def unverified(token):
    h, p, _ = token.split('.')
    pad = lambda s: s + '=' * (-len(s) % 4)  # noqa: E731
    return (json.loads(base64.urlsafe_b64decode(pad(h))),
            json.loads(base64.urlsafe_b64decode(pad(p))))


def verify(token, keyset, **expect):
    t = jwt.JWT(jwt=token, key=keyset, algs=['RS256'], check_claims=expect or None)
    return json.loads(t.claims)


def main():
    op = RealOP(at_ttl=300, redirect_uris=[CB], post_logout_uris=[LOGOUT_CB])
    op.start()
    try:
        run(op)
    except Exception as e:  # report, then fail
        import traceback
        traceback.print_exc()
        failures.append('exception: %r' % e)
    finally:
        op.stop()
        if failures:
            print('--- OP log ---')
            print(op.log()[-6000:])
    print('%d failed' % len(failures) if failures else 'ALL OK')
    return 1 if failures else 0


def run(op):
    md = op.metadata
    print('issuer', op.issuer)
    check(md['issuer'] == op.issuer, 'discovery issuer matches')
    check(md.get('authorization_response_iss_parameter_supported') is True, 'RFC 9207 advertised')
    check(md.get('code_challenge_methods_supported') == ['S256'], 'PKCE S256 only')
    for k in ('end_session_endpoint', 'introspection_endpoint', 'userinfo_endpoint', 'jwks_uri'):
        check(k in md, 'discovery has %s' % k)
    keys = jwk.JWKSet.from_json(requests.get(md['jwks_uri'], timeout=5).text)

    # --- code + PKCE login, like the module will do it
    s = requests.Session()
    verifier = b64url(secrets.token_bytes(32))
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    q = {
        'response_type': 'code', 'client_id': op.RP_CLIENT_ID, 'redirect_uri': CB,
        'scope': 'openid email profile groups', 'state': state, 'nonce': nonce,
        'code_challenge': b64url(hashlib.sha256(verifier.encode()).digest()),
        'code_challenge_method': 'S256',
    }
    auth_url = md['authorization_endpoint'] + '?' + urllib.parse.urlencode(q)
    # no PKCE must be refused
    r = s.get(md['authorization_endpoint'] + '?' + urllib.parse.urlencode(
        {k: v for k, v in q.items() if not k.startswith('code_challenge')}), allow_redirects=False)
    check(r.is_redirect and 'error=invalid_request' in r.headers['Location'], 'authorize without PKCE refused')

    cb = op.login(s, auth_url, username='alice')
    print('callback', cb)
    cbq = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(cb).query))
    check(cb.startswith(CB + '?'), 'login ends at redirect_uri')
    check(cbq.get('state') == state, 'state echoed')
    check(cbq.get('iss') == op.issuer, 'iss authorization response parameter (RFC 9207)')
    check('code' in cbq, 'code returned')
    print('OP cookies:', sorted({c.name for c in s.cookies}))

    r = requests.post(md['token_endpoint'], auth=(op.RP_CLIENT_ID, op.RP_CLIENT_SECRET), data={
        'grant_type': 'authorization_code', 'code': cbq['code'], 'redirect_uri': CB,
        'code_verifier': verifier})
    check(r.status_code == 200, 'code exchange (client_secret_basic): %s %s' % (r.status_code, r.text[:200]))
    tok = r.json()
    print('token response keys', sorted(tok))
    check({'id_token', 'access_token', 'refresh_token'} <= set(tok), 'id_token, access_token, refresh_token')
    h, _ = unverified(tok['id_token'])
    print('id_token header', h)
    idc = verify(tok['id_token'], keys, iss=op.issuer, aud=op.RP_CLIENT_ID, nonce=nonce)
    print('id_token claims', json.dumps(idc, sort_keys=True))
    check(h['alg'] == 'RS256', 'id_token RS256')
    check(idc['sub'] == 'alice' and idc.get('email') == 'alice@example.com', 'id_token sub/email')
    check(idc.get('groups') == ['staff', 'ops'], 'id_token groups')

    r = requests.get(md['userinfo_endpoint'], headers={'Authorization': 'Bearer ' + tok['access_token']})
    check(r.status_code == 200, 'userinfo %s' % r.status_code)
    print('userinfo', r.text)
    check(r.json().get('name') == 'User alice', 'userinfo name')

    r = requests.post(md['token_endpoint'], auth=(op.RP_CLIENT_ID, op.RP_CLIENT_SECRET), data={
        'grant_type': 'refresh_token', 'refresh_token': tok['refresh_token']})
    check(r.status_code == 200, 'refresh grant %s %s' % (r.status_code, r.text[:200]))
    rt = r.json()
    print('refresh response keys', sorted(rt))
    check(rt.get('access_token') and rt['access_token'] != tok['access_token'], 'refresh gives a new access token')
    check(rt.get('refresh_token') == tok['refresh_token'], 'refresh token not rotated (RT_ROTATE=0)')
    if 'id_token' in rt:
        verify(rt['id_token'], keys, iss=op.issuer, aud=op.RP_CLIENT_ID)

    # rp-post with client_secret_post: a second login in the same browser session (SSO)
    verifier2 = b64url(secrets.token_bytes(32))
    q2 = dict(q, client_id=op.RP_POST_CLIENT_ID, state='s2',
              code_challenge=b64url(hashlib.sha256(verifier2.encode()).digest()))
    cb2 = op.login(s, md['authorization_endpoint'] + '?' + urllib.parse.urlencode(q2))
    code2 = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(cb2).query)).get('code')
    r = requests.post(md['token_endpoint'], data={
        'grant_type': 'authorization_code', 'code': code2, 'redirect_uri': CB,
        'code_verifier': verifier2, 'client_id': op.RP_POST_CLIENT_ID,
        'client_secret': op.RP_POST_CLIENT_SECRET})
    check(r.status_code == 200 and 'refresh_token' in r.json(), 'rp-post code exchange (client_secret_post, SSO)')
    tok2 = r.json()
    # code replay is refused, and (RFC 6749 4.1.2) revokes what the code gave
    r = requests.post(md['token_endpoint'], data={
        'grant_type': 'authorization_code', 'code': code2, 'redirect_uri': CB,
        'code_verifier': verifier2, 'client_id': op.RP_POST_CLIENT_ID,
        'client_secret': op.RP_POST_CLIENT_SECRET})
    check(r.status_code == 400 and r.json().get('error') == 'invalid_grant', 'code replay refused')
    r = requests.get(md['userinfo_endpoint'], headers={'Authorization': 'Bearer ' + tok2['access_token']})
    check(r.status_code == 401, 'code replay revoked the access token')

    # RP-initiated logout
    end = md['end_session_endpoint'] + '?' + urllib.parse.urlencode({
        'id_token_hint': tok['id_token'], 'post_logout_redirect_uri': LOGOUT_CB, 'state': 'bye'})
    out = op.logout_confirm(s, end)
    print('logout ->', out)
    check(out == LOGOUT_CB + '?state=bye', 'logout returns to post_logout_redirect_uri with state')
    r = requests.post(md['token_endpoint'], auth=(op.RP_CLIENT_ID, op.RP_CLIENT_SECRET), data={
        'grant_type': 'refresh_token', 'refresh_token': tok['refresh_token']})
    check(r.status_code == 400, 'refresh token dead after logout (%s)' % r.status_code)
    cb3 = op.login(s, auth_url.replace('state=' + state, 'state=again'), username='bob')
    check('code=' in cb3, 'login again after logout shows the login form (new user bob)')

    # JWT access token (client credentials + resource indicator)
    at = op.mint_jwt_at(scope='orders:read api:read')
    h, c = unverified(at)
    print('JWT AT header', json.dumps(h, sort_keys=True))
    print('JWT AT claims', json.dumps(c, sort_keys=True))
    verify(at, keys, iss=op.issuer, aud=op.audience)
    check(h.get('typ') == 'at+jwt' and h.get('alg') == 'RS256', 'JWT AT typ at+jwt, RS256')
    check(c.get('aud') == op.audience, 'JWT AT aud')
    check(c.get('scope') == 'orders:read api:read', 'JWT AT scope')
    check(c.get('client_id') == op.API_CLIENT_ID and c.get('sub') == op.API_CLIENT_ID, 'JWT AT client_id/sub')
    check(c['exp'] - c['iat'] == op.at_ttl, 'JWT AT lifetime = AT_TTL')
    _, c = unverified(op.mint_jwt_at(scope='admin orders:write'))
    check(c.get('scope') == 'orders:write', 'scope outside the resource server\'s list is dropped')

    # opaque access token + introspection by rs
    oat = op.mint_opaque_at(scope='orders:read')
    print('opaque AT', oat)
    check(oat.count('.') == 0, 'opaque AT is not a JWT')
    i = op.introspect(oat)
    print('introspection', json.dumps(i, sort_keys=True))
    check(i.get('active') is True and i.get('client_id') == op.API_CLIENT_ID and i.get('scope') == 'orders:read',
          'introspection active, client_id, scope')
    oat2 = op.mint_opaque_at(scope='api:read', with_audience=True)
    i2 = op.introspect(oat2)
    print('introspection (opaque with aud)', json.dumps(i2, sort_keys=True))
    check(i2.get('active') and i2.get('aud') == op.audience, 'opaque AT with aud')
    check(op.introspect('nope')['active'] is False, 'unknown token inactive')
    check(op.introspect(oat, op.RP_CLIENT_ID, op.RP_CLIENT_SECRET)['active'] is False,
          'rp may not introspect api-client tokens')
    r = requests.post(md['introspection_endpoint'], data={'token': oat}, auth=('rs', 'wrong'))
    check(r.status_code == 401, 'introspection with a bad secret -> 401')


if __name__ == '__main__':
    t0 = time.time()
    rc = main()
    print('selfcheck took %.1fs' % (time.time() - t0))
    sys.exit(rc)
