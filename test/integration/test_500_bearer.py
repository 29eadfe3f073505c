"""500: AuthType bearer (RFC 6750 resource server): JWT access tokens from the
RealOP and the EvilOP, introspection of opaque tokens, token placement, scope,
key rotation, JWKS refetch rate limiting, OP outage."""

import secrets
import time

import pytest

from pyaoidc.client import (bearer, jwt_parts, new_session, raw_get, realop_code_flow,
                            tamper_sig, www_authenticate)
from pyaoidc.env import AoidcConf, Echo, bearer_lines, cgi_env
from pyaoidc.evil_selfcheck import full_flow

# mod_authz_core logs every authorization failure (a 403 from Require) at error
# level: tests that expect a 403 from a Require line declare it.
AUTHZ_DENIED = pytest.mark.expect_log(r'AH01631: user [^:]+: authorization failure')


def api_conf(env, op, evil):
    return (AoidcConf(env)
            .add_location('/api', bearer_lines(op))
            .add_location('/api/write', ['Require scope orders:write'])
            .add_location('/api/any', ['Require valid-user'])
            .add_location('/apiq', bearer_lines(op, authname='apiq', extra=[
                'AuthOIDCAcceptTokenIn header query']))
            .add_location('/api2', bearer_lines(evil, authname='api2'))
            .add_location('/apityp', bearer_lines(evil, authname='apityp', extra=[
                'AuthOIDCAccessTokenTyp at+jwt'])))


@pytest.fixture
def api(env, op, evil):
    api_conf(env, op, evil).install()
    return env


def challenge(r, status, error=None, realm='api'):
    assert r.status_code == status, '%s (expected %s): %s %s' % (
        r.status_code, status, r.headers, r.text[:300])
    assert 'Location' not in r.headers, 'bearer must never redirect: %s' % r.headers['Location']
    scheme, params = www_authenticate(r)
    assert scheme == 'bearer', r.headers.get('WWW-Authenticate')
    assert params.get('realm') == realm, r.headers.get('WWW-Authenticate')
    if error is None:
        assert 'error' not in params, r.headers.get('WWW-Authenticate')
    else:
        assert params.get('error') == error, r.headers.get('WWW-Authenticate')
    return params


def ok(r):
    assert r.status_code == 200, '%s: %s %s' % (r.status_code, r.headers, r.text[:300])
    assert 'Location' not in r.headers
    return r


def call(env, path, token=None, scheme='Bearer', **kw):
    headers = kw.pop('headers', {})
    if token is not None:
        headers.update(bearer(token, scheme))
    return raw_get(env.url(path), headers=headers, **kw)


# --------------------------------------------------------------------- RealOP JWT

def test_aoidc_500_01_jwt_access_token(api, op, env):
    tok = op.mint_jwt_at('orders:read')
    assert jwt_parts(tok)[0]['typ'] == 'at+jwt'
    echo = Echo(ok(call(env, '/api/echo/', tok)))
    assert echo.value('OIDC_CLAIM_sub') == 'api-client'
    assert echo.value('OIDC_CLAIM_client_id') == 'api-client'
    e = cgi_env(ok(call(env, '/api/env.cgi', tok)))
    assert e['REMOTE_USER'] == 'api-client'
    assert e['OIDC_CLAIM_sub'] == 'api-client'


def test_aoidc_500_17_cgi_auth_type(api, op, env):
    e = cgi_env(ok(call(env, '/api/env.cgi', op.mint_jwt_at())))
    assert e.get('AUTH_TYPE', '').lower() == 'bearer', {k: v for k, v in e.items() if 'AUTH' in k}


def test_aoidc_500_02_no_credentials(api, env):
    r = call(env, '/api/echo/')
    challenge(r, 401)
    env.assert_reason('no_credentials')
    # a browser-like request gets the same: never a redirect to an OP
    r = raw_get(env.url('/api/'), headers={'Accept': 'text/html,application/xhtml+xml'})
    challenge(r, 401)


@pytest.mark.parametrize('auth', ['Bearer a b', 'Bearer', 'Bearer ',
                                  'Bearer x\tx', 'Bearer "quoted"', 'Bearer a,b'])
def test_aoidc_500_03_malformed_authorization(api, env, auth):
    r = raw_get(env.url('/api/echo/'), headers={'Authorization': auth})
    challenge(r, 400, 'invalid_request')
    env.assert_reason('bearer_syntax')


@pytest.mark.parametrize('scheme', ['bearer', 'BEARER', 'BeArEr'])
def test_aoidc_500_04_scheme_case_insensitive(api, op, env, scheme):
    ok(call(env, '/api/echo/', op.mint_jwt_at(), scheme=scheme))


def test_aoidc_500_05_other_scheme_is_no_credentials(api, env):
    r = raw_get(env.url('/api/echo/'), headers={'Authorization': 'Basic YWxpY2U6c2VjcmV0'})
    assert r.status_code in (400, 401), r.status_code
    assert 'Location' not in r.headers
    assert www_authenticate(r)[0] == 'bearer'


def test_aoidc_500_06_bad_signature(api, op, env):
    challenge(call(env, '/api/echo/', tamper_sig(op.mint_jwt_at())), 401, 'invalid_token')
    env.assert_reason('signature')


def test_aoidc_500_43_tampered_signature_after_accepted(env, op):
    """Issue 14: the verdict cache keys a JWS by the digest of its signing
    input, and a cached verdict answers only for the very signature it was
    reached for. The L1 (keyed by the whole token) is off, so the shared
    cache is what answers for the accepted token."""
    (AoidcConf(env).add_location('/apis', bearer_lines(op, authname='apis', extra=[
        'AuthOIDCSessionCacheTTL 0'])).install())
    tok = op.mint_jwt_at('orders:read')
    h, p, sig = tok.split('.')
    ok(call(env, '/apis/echo/', tok))
    ok(call(env, '/apis/echo/', tok))
    for bad in (tamper_sig(tok),                  # one bit, same length
                '%s.%s.%s' % (h, p, sig[4:]),      # 3 bytes shorter
                '%s.%s.%sAAAA' % (h, p, sig)):     # 3 bytes longer
        mark = env.log_mark()
        challenge(call(env, '/apis/echo/', bad), 401, 'invalid_token', realm='apis')
        env.assert_reason('signature', mark=mark)
    # the refusals did not touch the verdict on the real one
    assert Echo(ok(call(env, '/apis/echo/', tok))).value('OIDC_CLAIM_sub') == 'api-client'


@AUTHZ_DENIED
def test_aoidc_500_07_insufficient_scope(api, op, env):
    r = call(env, '/api/write/echo/', op.mint_jwt_at('orders:read'))
    p = challenge(r, 403, 'insufficient_scope')
    assert p.get('scope') == 'orders:write', r.headers['WWW-Authenticate']
    ok(call(env, '/api/write/echo/', op.mint_jwt_at('orders:read orders:write')))
    # valid-user needs no scope, but still a valid token
    ok(call(env, '/api/any/echo/', op.mint_jwt_at('api:read')))


@AUTHZ_DENIED
def test_aoidc_500_08_token_without_scope_claim(api, evil, env):
    """A valid token with no scope/scp claim at all lacks orders:read."""
    tok = evil.access_token(scope=None)
    challenge(call(env, '/api2/echo/', tok), 403, 'insufficient_scope', realm='api2')


@AUTHZ_DENIED
def test_aoidc_500_09_opaque_token_introspection(api, op, env):
    tok = op.mint_opaque_at('orders:read', with_audience=True)
    assert tok.count('.') != 2
    echo = Echo(ok(call(env, '/api/echo/', tok)))
    assert echo.value('OIDC_CLAIM_sub') == 'api-client'
    r = call(env, '/api/write/echo/', tok)
    challenge(r, 403, 'insufficient_scope')


def test_aoidc_500_10_unknown_opaque_token(api, env):
    challenge(call(env, '/api/echo/', secrets.token_urlsafe(32)), 401, 'invalid_token')
    env.assert_reason('inactive')


def test_aoidc_500_11_query_refused_by_default(api, op, env):
    tok = op.mint_jwt_at()
    r = raw_get(env.url('/api/echo/?access_token=' + tok))
    challenge(r, 401)
    env.assert_reason('no_credentials')


def test_aoidc_500_12_query_when_enabled(api, op, env):
    tok = op.mint_jwt_at()
    ok(raw_get(env.url('/apiq/echo/?access_token=' + tok)))
    ok(call(env, '/apiq/echo/', tok))       # header still works
    r = raw_get(env.url('/apiq/echo/?access_token=' + tok), headers=bearer(tok))
    challenge(r, 400, 'invalid_request', realm='apiq')     # RFC 6750 §2: only one method


def test_aoidc_500_14_id_token_as_access_token(api, op, env):
    """A real RealOP ID token (aud=rp, typ JWT) is no access token."""
    toks = realop_code_flow(op, env.url('/app/redirect_uri'))
    challenge(call(env, '/api/echo/', toks['id_token']), 401, 'invalid_token')


def test_aoidc_500_15_opaque_token_without_audience(api, op, env):
    """Introspection says active, right scope, and carries no aud: RFC 7662
    makes aud optional and the issue checks iss/aud "when present", so the
    token passes; an aud without AuthOIDCAudience is refused (below)."""
    tok = op.mint_opaque_at('orders:read', with_audience=False)
    assert 'aud' not in op.introspect(tok)
    echo = Echo(ok(call(env, '/api/echo/', tok)))
    assert echo.value('OIDC_CLAIM_sub') == 'api-client'


def test_aoidc_500_16_huge_and_garbage_tokens(api, env):
    for tok in ('a' * 6000, 'a.b.c', '..', 'e30.e30.e30', '%00', 'eyJ' + 'A' * 3000 + '.x.y'):
        r = call(env, '/api/echo/', tok)
        assert r.status_code in (400, 401), (tok[:20], r.status_code)
        assert 'Location' not in r.headers


def test_aoidc_500_18_signature_cjose_would_abort_on(api, op, env):
    """Regression (found by libFuzzer): a signature part of 4k+1 characters
    plus '=' made cjose's decoder assert and abort the httpd child. Header
    and kid are real, so the token reaches verification."""
    good = op.mint_jwt_at()
    head, body, _ = good.split('.')
    for sig in ('AAAAA=', 'AAAAA', 'A=AA', '!!!!'):
        r = call(env, '/api/echo/', '%s.%s.%s' % (head, body, sig))
        assert r.status_code in (400, 401), (sig, r.status_code)
    # the child survived: the real token still works
    ok(call(env, '/api/echo/', good))


# --------------------------------------------------------------------- EvilOP JWT

def test_aoidc_500_20_evil_good_token(api, evil, env):
    ok(call(env, '/api2/echo/', evil.access_token()))


def _claims_bad(evil):
    now = int(time.time())
    return {
        'expired': (dict(exp=now - 3600, iat=now - 3900), 'expired'),
        'nbf_future': (dict(nbf=now + 3600), 'not_yet_valid'),
        'wrong_aud': (dict(aud='api://other'), 'audience'),
        'aud_array_without_us': (dict(aud=['api://a', 'api://b']), 'audience'),
        'wrong_iss': (dict(iss='https://evil.example.com'), 'issuer'),
        'iss_slash': (dict(iss=evil.issuer + '/'), 'issuer'),
        'no_exp': (dict(exp=None), 'expired'),
        'no_iss': (dict(iss=None), 'issuer'),
        'no_aud': (dict(aud=None), 'audience'),
        'alg_none': (dict(_alg='none'), 'alg'),
        'hs256_pubkey': (dict(_alg='HS256-pubkey'), 'alg'),
        'hs256_secret': (dict(_alg='HS256', _kid=''), 'alg'),
        'kid_unknown': (dict(_kid='no-such-kid-%s' % secrets.token_hex(3)), 'key_unknown'),
        'kid_swap': (dict(_key=evil._spare_key, _kid=evil.kid), 'signature'),
        'crit': (dict(_header={'crit': ['x-unknown'], 'x-unknown': True}), 'crit'),
        'jku': (dict(_key=evil._attacker_key, _header={'jku': evil.issuer + '/attacker-jwks'}),
                'key_unknown'),
        'jwk_embedded': (dict(_key=evil._attacker_key, _header={
            'jwk': evil._attacker_key.export_public(as_dict=True)}), 'key_unknown'),
    }


BAD_CASES = ['expired', 'nbf_future', 'wrong_aud', 'aud_array_without_us', 'wrong_iss',
             'iss_slash', 'no_exp', 'no_iss', 'no_aud', 'alg_none', 'hs256_pubkey',
             'hs256_secret', 'kid_unknown', 'kid_swap', 'crit', 'jku', 'jwk_embedded']
# reasons that also describe the defect (the first is the most precise)
ALT_REASONS = {'no_exp': ('expired', 'jws_malformed', 'malformed'),
               'no_iss': ('issuer', 'jws_malformed', 'malformed'),
               'no_aud': ('audience',),
               'hs256_pubkey': ('alg', 'signature', 'key_unknown'),
               'hs256_secret': ('alg', 'key_unknown', 'signature'),
               'jku': ('key_unknown', 'signature', 'crit', 'alg'),
               'jwk_embedded': ('key_unknown', 'signature', 'crit', 'alg'),
               'alg_none': ('alg', 'signature', 'jws_malformed')}


@pytest.mark.parametrize('case', BAD_CASES)
def test_aoidc_500_21_invalid_jwt(api, evil, env, case):
    overrides, reason = _claims_bad(evil)[case]
    tok = evil.access_token(**overrides)
    challenge(call(env, '/api2/echo/', tok), 401, 'invalid_token', realm='api2')
    env.assert_reason(*ALT_REASONS.get(case, (reason,)))


def test_aoidc_500_22_leeway(api, evil, env):
    now = int(time.time())
    ok(call(env, '/api2/echo/', evil.access_token(exp=now - 20, iat=now - 400)))
    ok(call(env, '/api2/echo/', evil.access_token(nbf=now + 20)))


@AUTHZ_DENIED
def test_aoidc_500_23_scp_array(api, evil, env):
    ok(call(env, '/api2/echo/', evil.access_token(scope=None, scp=['x', 'orders:read'])))
    challenge(call(env, '/api2/echo/', evil.access_token(scope=None, scp=['x'])), 403,
              'insufficient_scope', realm='api2')
    # a substring is not a scope
    challenge(call(env, '/api2/echo/', evil.access_token(scope='orders:reader')), 403,
              'insufficient_scope', realm='api2')


def test_aoidc_500_24_id_token_shaped_jwt(api, evil, env):
    """An ID token of the EvilOP (aud = the RP's client id, nonce, at_hash)."""
    _, resp = full_flow(evil)
    challenge(call(env, '/api2/echo/', resp['id_token']), 401, 'invalid_token', realm='api2')
    # the same shape with our audience: still not an access token
    now = int(time.time())
    claims = {'iss': evil.issuer, 'aud': 'api://default', 'sub': 'alice', 'exp': now + 300,
              'iat': now, 'auth_time': now, 'nonce': 'n-0123456789', 'at_hash': 'x' * 22,
              'scope': 'orders:read'}
    tok = evil.mint(claims, typ='JWT')
    challenge(call(env, '/api2/echo/', tok), 401, 'invalid_token', realm='api2')
    env.assert_reason('id_token_as_access_token', 'typ')


def test_aoidc_500_25_typ_at_jwt_required(api, evil, env):
    ok(call(env, '/apityp/echo/', evil.access_token()))
    ok(call(env, '/apityp/echo/', evil.access_token(_typ='application/at+jwt')))
    for typ in ('JWT', None):
        challenge(call(env, '/apityp/echo/', evil.access_token(_typ=typ)), 401, 'invalid_token',
                  realm='apityp')
    env.assert_reason('typ')


def test_aoidc_500_26_issuers_do_not_mix(api, op, evil, env):
    challenge(call(env, '/api2/echo/', op.mint_jwt_at()), 401, 'invalid_token', realm='api2')
    challenge(call(env, '/api/echo/', evil.access_token()), 401, 'invalid_token')
    # EvilOP token claiming the RealOP issuer, signed by EvilOP's key
    challenge(call(env, '/api/echo/', evil.access_token(iss=op.issuer)), 401, 'invalid_token')


def test_aoidc_500_27_evil_opaque_introspection(api, evil, env):
    tok = 'opaque-' + secrets.token_urlsafe(24)
    now = int(time.time())
    evil.add_opaque_token(tok, {'active': True, 'iss': evil.issuer, 'sub': 'carol',
                                'scope': 'orders:read', 'aud': 'api://default',
                                'client_id': evil.CLIENT_ID, 'exp': now + 300, 'iat': now,
                                'token_type': 'Bearer'})
    e = cgi_env(ok(call(env, '/api2/env.cgi', tok)))
    assert e['REMOTE_USER'] == 'carol'
    req = evil.last_introspect_request
    assert req and req['form'].get('token') == tok
    assert req['headers'].get('authorization', '').lower().startswith('basic ')
    # active but expired, wrong aud, inactive
    for resp in ({'active': True, 'iss': evil.issuer, 'sub': 'x', 'scope': 'orders:read',
                  'aud': 'api://default', 'exp': now - 3600},
                 {'active': True, 'iss': evil.issuer, 'sub': 'x', 'scope': 'orders:read',
                  'aud': 'api://other', 'exp': now + 300},
                 {'active': False}):
        t = 'opaque-' + secrets.token_urlsafe(24)
        evil.add_opaque_token(t, resp)
        challenge(call(env, '/api2/echo/', t), 401, 'invalid_token', realm='api2')


def test_aoidc_500_28_token_cache(api, evil, env):
    """A validated opaque token is not introspected again within the cache TTL."""
    tok = 'opaque-' + secrets.token_urlsafe(24)
    now = int(time.time())
    evil.add_opaque_token(tok, {'active': True, 'iss': evil.issuer, 'sub': 'dave',
                                'scope': 'orders:read', 'aud': 'api://default',
                                'exp': now + 300, 'iat': now})
    for _ in range(5):
        ok(call(env, '/api2/echo/', tok))
    assert evil.counters['/introspect'] == 1, evil.counters


def test_aoidc_500_29_concurrent_introspections_collapse(api, evil, env):
    """Issue 4: identical introspections running at the same time collapse
    into one call to the OP (the harness runs one httpd child, so all ten
    requests meet in one process)."""
    import concurrent.futures
    tok = 'opaque-' + secrets.token_urlsafe(24)
    now = int(time.time())
    evil.add_opaque_token(tok, {'active': True, 'iss': evil.issuer, 'sub': 'erin',
                                'scope': 'orders:read', 'aud': 'api://default',
                                'exp': now + 300, 'iat': now})
    evil.set_mode('introspect_slow', secs=1)
    before = evil.counters['/introspect']
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda _: call(env, '/api2/echo/', tok), range(10)))
    assert [r.status_code for r in results] == [200] * 10
    assert evil.counters['/introspect'] - before == 1, evil.counters


# --------------------------------------------------------------------- keys and outages

def keys_conf(env, o, *extra, server=()):
    return (AoidcConf(env).add(list(server))
            .add_location('/apikeys', bearer_lines(o, authname='apikeys', extra=list(extra))))


def test_aoidc_500_30_key_rotation(env, fresh_evil):
    keys_conf(env, fresh_evil).install(force=True)
    ok(call(env, '/apikeys/echo/', fresh_evil.access_token()))
    before = fresh_evil.counters['/jwks']
    assert before >= 1
    new_kid = fresh_evil.rotate_keys(keep_old=True)
    tok = fresh_evil.access_token()
    assert jwt_parts(tok)[0]['kid'] == new_kid
    ok(call(env, '/apikeys/echo/', tok))
    assert fresh_evil.counters['/jwks'] == before + 1, fresh_evil.counters
    ok(call(env, '/apikeys/echo/', fresh_evil.access_token()))
    assert fresh_evil.counters['/jwks'] == before + 1, 'JWKS fetched again for a known kid'


def test_aoidc_500_31_unknown_kid_flood(env, fresh_evil):
    keys_conf(env, fresh_evil).install(force=True)
    ok(call(env, '/apikeys/echo/', fresh_evil.access_token()))
    before = fresh_evil.counters['/jwks']
    for i in range(50):
        tok = fresh_evil.access_token(_kid='flood-%d-%s' % (i, secrets.token_hex(4)))
        challenge(call(env, '/apikeys/echo/', tok), 401, 'invalid_token', realm='apikeys')
    extra = fresh_evil.counters['/jwks'] - before
    assert extra <= 2, '%d JWKS fetches for 50 unknown kids' % extra
    ok(call(env, '/apikeys/echo/', fresh_evil.access_token()))


@pytest.mark.expect_log(r'reason=op_unreachable\b')
def test_aoidc_500_32_op_down(env, fresh_evil):
    keys_conf(env, fresh_evil).install(force=True)
    now = int(time.time())
    info = {'active': True, 'iss': fresh_evil.issuer, 'sub': 'erin', 'scope': 'orders:read',
            'aud': 'api://default', 'exp': now + 300, 'iat': now}
    cached, fresh = 'opaque-' + secrets.token_urlsafe(24), 'opaque-' + secrets.token_urlsafe(24)
    fresh_evil.add_opaque_token(cached, info)
    fresh_evil.add_opaque_token(fresh, info)
    ok(call(env, '/apikeys/echo/', cached))
    fresh_evil.stop()
    ok(call(env, '/apikeys/echo/', cached))
    t0 = time.time()
    r = call(env, '/apikeys/echo/', fresh)
    assert r.status_code == 503, '%s %s' % (r.status_code, r.text[:200])
    assert 'Location' not in r.headers
    assert r.headers.get('Retry-After', '').strip().isdigit(), r.headers
    assert time.time() - t0 < 8
    env.assert_reason('op_unreachable')


@pytest.mark.expect_log(r'reason=(op_unreachable|op_bad_response)\b')
@pytest.mark.parametrize('mode', ['introspect_slow', 'introspect_garbage'])
def test_aoidc_500_33_introspection_failures(env, fresh_evil, mode):
    keys_conf(env, fresh_evil, server=['AuthOIDCHTTPTimeout 2']).install(force=True)
    ok(call(env, '/apikeys/echo/', fresh_evil.access_token()))      # metadata + JWKS cached
    tok = 'opaque-' + secrets.token_urlsafe(24)
    fresh_evil.add_opaque_token(tok, {'active': True, 'iss': fresh_evil.issuer, 'sub': 'x',
                                      'scope': 'orders:read', 'aud': 'api://default',
                                      'exp': int(time.time()) + 300})
    fresh_evil.set_mode(mode, secs=10)
    t0 = time.time()
    r = call(env, '/apikeys/echo/', tok)
    took = time.time() - t0
    if mode == 'introspect_slow':
        assert r.status_code == 503, r.status_code
        assert r.headers.get('Retry-After'), r.headers
        assert took < 2 + 3, 'took %.1fs with AuthOIDCHTTPTimeout 2' % took
    else:
        assert r.status_code == 502, r.status_code
    assert 'Location' not in r.headers


def test_aoidc_500_34_no_introspection_without_client(env, op):
    """Opaque tokens need a client for introspection; without one they are refused."""
    lines = [ln for ln in bearer_lines(op, authname='apikeys')
             if not ln.startswith(('AuthOIDCClientID', 'AuthOIDCClientSecret'))]
    AoidcConf(env).add_location('/apikeys', lines).install()
    challenge(call(env, '/apikeys/echo/', op.mint_opaque_at(with_audience=True)), 401,
              'invalid_token', realm='apikeys')
    env.assert_reason('no_introspection')
    ok(call(env, '/apikeys/echo/', op.mint_jwt_at()))


def test_aoidc_500_13_form_when_enabled(env, op):
    (AoidcConf(env).add_location('/api', bearer_lines(op))
     .add_location('/apif', bearer_lines(op, authname='apif', extra=[
         'AuthOIDCAcceptTokenIn header form'])).install())
    tok = op.mint_jwt_at()
    r = new_session().post(env.url('/apif/env.cgi'), data={'access_token': tok, 'item': 'x y'},
                           allow_redirects=False, timeout=10)
    assert ok(r) and cgi_env(r)['REMOTE_USER'] == 'api-client'
    # the body the module read reaches the backend unchanged
    assert r.json()['body'] == 'access_token=%s&item=x+y' % tok
    # form is off at /api
    r = new_session().post(env.url('/api/env.cgi'), data={'access_token': tok},
                           allow_redirects=False, timeout=10)
    challenge(r, 401)


def tuned_conf(env, evil):
    return keys_conf(env, evil, 'AuthOIDCLeeway 0', 'AuthOIDCTokenCacheTTL 1')


def test_aoidc_500_40_leeway_zero(env, evil):
    tuned_conf(env, evil).install()
    now = int(time.time())
    challenge(call(env, '/apikeys/echo/', evil.access_token(exp=now - 5, iat=now - 300)), 401,
              'invalid_token', realm='apikeys')
    env.assert_reason('expired')
    challenge(call(env, '/apikeys/echo/', evil.access_token(nbf=now + 30)), 401,
              'invalid_token', realm='apikeys')
    ok(call(env, '/apikeys/echo/', evil.access_token()))


def test_aoidc_500_41_token_cache_ttl(env, evil):
    tuned_conf(env, evil).install()
    tok = 'opaque-' + secrets.token_urlsafe(24)
    now = int(time.time())
    evil.add_opaque_token(tok, {'active': True, 'iss': evil.issuer, 'sub': 'frank',
                                'scope': 'orders:read', 'aud': 'api://default',
                                'exp': now + 300, 'iat': now})
    ok(call(env, '/apikeys/echo/', tok))
    ok(call(env, '/apikeys/echo/', tok))
    assert evil.counters['/introspect'] == 1, evil.counters
    time.sleep(2.2)
    ok(call(env, '/apikeys/echo/', tok))
    assert evil.counters['/introspect'] == 2, 'cache entry outlived AuthOIDCTokenCacheTTL 1'
    # revoked at the OP: after the TTL the RS notices
    evil.add_opaque_token(tok, {'active': False})
    time.sleep(2.2)
    challenge(call(env, '/apikeys/echo/', tok), 401, 'invalid_token', realm='apikeys')


def test_aoidc_500_42_one_token_two_prefixes(env, op):
    """Two locations with the same issuer and audience but their own
    AuthOIDCClaimPrefix (and one a delimiter): the process keeps one verdict
    for the token (core/l1.h), and each location's backend gets the claims
    under its own prefix, as headers and variables, on every request: the
    first (validated) and the later ones (the kept verdict). The client's own
    header with the location's prefix never reaches its backend."""
    (AoidcConf(env)
     .add_location('/pa', bearer_lines(op, authname='pa'))
     .add_location('/pb', bearer_lines(op, authname='pb', extra=[
         'AuthOIDCClaimPrefix X_CLAIM_']))
     .add_location('/pc', bearer_lines(op, authname='pc', extra=[
         'AuthOIDCClaimDelimiter ,']))).install()
    tok = op.mint_jwt_at('orders:read')
    exp = str(jwt_parts(tok)[1]['exp'])
    spoof = {'OIDC_CLAIM_sub': 'mallory', 'X_CLAIM_sub': 'mallory', 'X-Keep': 'kept'}
    for path, prefix, other in (('/pa', 'OIDC_CLAIM_', 'X_CLAIM_'),
                                ('/pb', 'X_CLAIM_', 'OIDC_CLAIM_'),
                                ('/pa', 'OIDC_CLAIM_', 'X_CLAIM_'),
                                ('/pc', 'OIDC_CLAIM_', 'X_CLAIM_'),
                                ('/pb', 'X_CLAIM_', 'OIDC_CLAIM_')):
        for _ in range(2):
            echo = Echo(ok(call(env, path + '/echo/', tok, headers=dict(spoof))))
            assert echo.values(prefix + 'sub') == ['api-client'], (path, echo.headers)
            assert echo.values(prefix + 'client_id') == ['api-client'], (path, echo.headers)
            assert echo.values(prefix + 'scope') == ['orders:read'], (path, echo.headers)
            # the other prefix is nobody's here: the client's header stays,
            # and nothing of ours carries it
            assert echo.values(other + 'sub') == ['mallory'], (path, echo.headers)
            assert echo.values(other + 'client_id') == [], (path, echo.headers)
            assert echo.values('X-Keep') == ['kept'], (path, echo.headers)
            e = cgi_env(ok(call(env, path + '/env.cgi', tok)))
            assert e[prefix + 'sub'] == 'api-client', (path, e)
            assert e['REMOTE_USER'] == 'api-client', (path, e)
            assert not any(k.startswith(other) for k in e), (path, e)
            # a number is JSON: with a delimiter (/pc) each claim is looked
            # at on its own, elsewhere the whole list goes at once
            assert e[prefix + 'exp'] == exp, (path, e)
