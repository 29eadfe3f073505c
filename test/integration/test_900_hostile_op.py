"""900: a hostile OP (EvilOP): every ID token defect, broken authorization
responses, and an OP that is down, slow or answers garbage."""

import time

import pytest

from pyaoidc.client import (authenticate, get, location, login, set_cookies, session_cookie_set,
                            start_login)
from pyaoidc.env import AoidcConf, Echo, INDEX_MARK, free_port, oidc_lines
from pyaoidc.evil_op import ID_TOKEN_MODES

TIMEOUT = 2            # AuthOIDCHTTPTimeout of /evil and /down
DEAD_PORT = free_port()  # nothing listens here


def hostile_conf(env, evil, *extra):
    down = [('AuthOIDCIssuer http://127.0.0.1:%d' % DEAD_PORT) if ln.startswith('AuthOIDCIssuer ')
            else ln for ln in oidc_lines(evil, prefix='/down')]
    # AuthOIDCHTTPTimeout at server level: valid whether or not the module
    # also takes it per directory (test_100_15 checks the <Location> form)
    return (AoidcConf(env)
            .add('AuthOIDCHTTPTimeout %d' % TIMEOUT)
            .add_location('/evil', oidc_lines(evil, prefix='/evil', scope='openid email',
                                              extra=list(extra)))
            .add_location('/down', down))


@pytest.fixture
def hostile(env, evil):
    hostile_conf(env, evil).install()
    return env


def fresh_server(env, evil, *extra):
    """Restart so no metadata/JWKS is cached, and make sure the next test
    does not inherit whatever this one leaves in the caches."""
    hostile_conf(env, evil, *extra).install(force=True)
    env.mark_dirty()


def run_callback(env, evil, s, path='/evil/', **kw):
    """Start a login at httpd, let the EvilOP answer, GET the callback."""
    r1 = start_login(env, s, path, authorization_endpoint=evil.issuer + '/authorize')
    cb = authenticate(evil, s, r1)
    assert cb.startswith(env.url('/evil/redirect_uri')), cb
    return get(s, cb, **kw)


def test_aoidc_900_01_good_mode(hostile, evil, s, env):
    r = login(env, s, evil, '/evil/')
    assert r.status_code == 200 and INDEX_MARK in r.text
    tr = evil.last_token_request
    assert tr['client_auth'] in ('basic', 'post'), tr
    assert tr['form'].get('code_verifier'), 'no PKCE code_verifier sent'
    assert tr['form'].get('redirect_uri') == env.url('/evil/redirect_uri')
    echo = Echo(get(s, env.url('/evil/echo/')))
    assert echo.value('OIDC_CLAIM_sub') == 'alice'
    assert evil.counters['/userinfo'] == 1, evil.counters


ID_MODE_REASONS = {
    'wrong_iss': ('issuer',),
    'wrong_aud': ('audience',),
    'aud_array_without_us': ('audience',),
    'azp_wrong': ('azp', 'audience'),
    'wrong_nonce': ('nonce',),
    'no_nonce': ('nonce',),
    'bad_sig': ('signature',),
    'alg_none': ('alg', 'jws_malformed'),
    'hs256_pubkey': ('alg', 'signature', 'key_unknown'),
    'kid_unknown': ('key_unknown',),
    'kid_unknown:current': ('key_unknown',),
    'kid_swap': ('signature',),
    'jku_attack': ('key_unknown', 'signature', 'crit', 'alg'),
    'jwk_embedded': ('key_unknown', 'signature', 'crit', 'alg'),
    'jwk_embedded:x5c': ('key_unknown', 'signature', 'crit', 'alg'),
    'jwk_embedded:x5u': ('key_unknown', 'signature', 'crit', 'alg'),
    'expired': ('expired',),
    'iat_missing': ('iat',),
    'nbf_future': ('not_yet_valid',),
    'sub_missing': ('sub',),
    'crit_unknown': ('crit',),
    'at_hash_wrong': ('at_hash',),
}
MODE_OPTS = {'kid_unknown:current': {'sign_with': 'current'},
             'jwk_embedded:x5c': {'via': 'x5c'}, 'jwk_embedded:x5u': {'via': 'x5u'}}


def test_aoidc_900_00_every_id_token_mode_covered():
    covered = {c.split(':')[0] for c in ID_MODE_REASONS} | {'ps256', 'es256', 'hs256_secret'}
    assert covered == ID_TOKEN_MODES, ID_TOKEN_MODES ^ covered


@pytest.mark.parametrize('case', sorted(ID_MODE_REASONS))
def test_aoidc_900_02_id_token_defect(hostile, evil, s, env, case):
    evil.set_mode(case.split(':')[0], **MODE_OPTS.get(case, {}))
    r = run_callback(env, evil, s)
    assert r.status_code == 401, '%s: %s %s' % (case, r.status_code, r.text[:300])
    assert not session_cookie_set(r), set_cookies(r)
    evil.reset()
    r2 = get(s, env.url('/evil/'))
    assert r2.status_code == 302, 'no session expected after %s' % case
    env.assert_reason(*ID_MODE_REASONS[case])


@pytest.mark.parametrize('mode', ['ps256', 'es256', 'hs256_secret'])
def test_aoidc_900_03_other_algs_accept_or_401(hostile, evil, s, env, mode):
    evil.set_mode(mode)
    r = run_callback(env, evil, s)
    assert r.status_code in (302, 401), r.status_code
    if r.status_code == 302:
        assert session_cookie_set(r)
        assert get(s, location(r)).status_code == 200
    else:
        assert not session_cookie_set(r)


@pytest.mark.parametrize('mode,reason', [('no_iss_param', 'iss_param'),
                                         ('wrong_iss_param', 'iss_param'),
                                         ('state_swap', 'state_missing')])
def test_aoidc_900_04_bad_authorization_response(hostile, evil, s, env, mode, reason):
    evil.set_mode(mode)
    # not a navigation: a swapped state in a browser navigation starts a
    # fresh login instead (test_320)
    r = run_callback(env, evil, s, headers={'Sec-Fetch-Mode': 'cors'})
    assert r.status_code == 400, r.status_code
    assert not session_cookie_set(r)
    assert evil.counters['/token'] == 0, 'code redeemed despite a bad authorization response'
    env.assert_reason(reason)


def test_aoidc_900_05_error_response(hostile, evil, s, env):
    evil.set_mode('error_response')
    r = run_callback(env, evil, s)
    assert r.status_code in (401, 403), r.status_code
    loc = location(r)
    assert not loc or not loc.startswith(evil.issuer), 'redirect loop to the OP: %s' % loc
    assert not session_cookie_set(r)
    assert len(r.content) < 16384
    env.assert_reason('op_error')


# --------------------------------------------------------------------- upstream at login start

def assert_unavailable(r, took, status=503):
    assert r.status_code == status, '%s %s' % (r.status_code, r.text[:300])
    assert 'Location' not in r.headers
    if status == 503:
        assert r.headers.get('Retry-After', '').strip().isdigit(), r.headers
    assert took < TIMEOUT + 3, 'took %.1fs with AuthOIDCHTTPTimeout %d' % (took, TIMEOUT)


@pytest.mark.expect_log(r'reason=op_unreachable\b')
def test_aoidc_900_10_op_unreachable(hostile, s, env):
    t0 = time.time()
    r = get(s, env.url('/down/'))
    assert_unavailable(r, time.time() - t0)
    env.assert_reason('op_unreachable')


@pytest.mark.expect_log(r'reason=op_unreachable\b')
def test_aoidc_900_11_discovery_slow(env, evil, s):
    evil.set_mode('discovery_slow', secs=10)
    fresh_server(env, evil)
    t0 = time.time()
    r = get(s, env.url('/evil/'))
    assert_unavailable(r, time.time() - t0)
    env.assert_reason('op_unreachable')


@pytest.mark.expect_log(r'reason=op_bad_response\b')
@pytest.mark.parametrize('mode', ['discovery_garbage', 'discovery_500'])
def test_aoidc_900_12_discovery_bad(env, evil, s, mode):
    evil.set_mode(mode)
    fresh_server(env, evil)
    t0 = time.time()
    r = get(s, env.url('/evil/'))
    assert_unavailable(r, time.time() - t0, status=502)
    env.assert_reason('op_bad_response')


@pytest.mark.expect_log(r'reason=op_issuer\b')
def test_aoidc_900_13_metadata_wrong_issuer(env, evil, s):
    evil.set_mode('metadata_wrong_issuer')
    fresh_server(env, evil)
    r = get(s, env.url('/evil/'))
    assert r.status_code == 502, r.status_code
    assert 'Location' not in r.headers
    env.assert_reason('op_issuer')


@pytest.mark.expect_log(r'reason=op_insecure\b')
def test_aoidc_900_14_metadata_http_endpoints(env, evil, s):
    evil.set_mode('http_endpoints', only='token_endpoint')
    fresh_server(env, evil)
    r = get(s, env.url('/evil/'))
    assert r.status_code == 502, r.status_code
    assert 'Location' not in r.headers
    env.assert_reason('op_insecure')


# --------------------------------------------------------------------- upstream at the callback

@pytest.mark.expect_log(r'reason=(op_bad_response|op_unreachable|token_endpoint)\b')
@pytest.mark.parametrize('mode,status', [('token_garbage', 502), ('token_500', 502),
                                         ('token_slow', 503)])
def test_aoidc_900_20_token_endpoint_failures(hostile, evil, s, env, mode, status):
    r1 = start_login(env, s, '/evil/')
    cb = authenticate(evil, s, r1)
    evil.set_mode(mode, secs=10)
    t0 = time.time()
    r = get(s, cb)
    took = time.time() - t0
    assert r.status_code == status, '%s: %s %s' % (mode, r.status_code, r.text[:300])
    assert took < TIMEOUT + 3, 'took %.1fs' % took
    assert not session_cookie_set(r)
    if status == 503:
        assert r.headers.get('Retry-After'), r.headers


@pytest.mark.expect_log(r'reason=token_endpoint\b')
def test_aoidc_900_21_token_endpoint_refuses(hostile, evil, s, env):
    r1 = start_login(env, s, '/evil/')
    cb = authenticate(evil, s, r1)
    evil.set_mode('token_error')
    r = get(s, cb)
    assert r.status_code in (400, 401, 403, 502), r.status_code
    assert not session_cookie_set(r)
    env.assert_reason('token_endpoint')


def login_or_upstream_error(env, evil, s):
    """The JWKS may be fetched when the login starts (with the metadata) or at
    the callback: returns the first response that is not part of a normal
    login (the 502), or the callback response."""
    r1 = get(s, env.url('/evil/'))
    if r1.status_code != 302:
        return r1
    return get(s, authenticate(evil, s, r1))


@pytest.mark.expect_log(r'reason=op_bad_response\b')
def test_aoidc_900_22_jwks_garbage(env, evil, s):
    evil.set_mode('jwks_garbage')
    fresh_server(env, evil)
    r = login_or_upstream_error(env, evil, s)
    assert r.status_code == 502, r.status_code
    assert 'Location' not in r.headers
    assert not session_cookie_set(r)
    env.assert_reason('op_bad_response')


@pytest.mark.expect_log(r'reason=(op_bad_response|too_large)\b')
def test_aoidc_900_23_jwks_huge(env, evil, s):
    evil.set_mode('jwks_huge')
    fresh_server(env, evil)
    r = login_or_upstream_error(env, evil, s)
    assert r.status_code in (302, 502), r.status_code
    if r.status_code == 502:
        assert not session_cookie_set(r)
    else:
        assert get(s, location(r)).status_code == 200


@pytest.mark.expect_log(r'AOIDC00151: JWKS of .* key \S+ skipped')
def test_aoidc_900_25_jwks_with_malformed_keys(env, evil, s):
    """Regression (found by libFuzzer): a JWK member that is not canonical
    base64url made cjose abort the child. Broken keys are skipped; the good
    ones still verify the login."""
    evil.set_mode('jwks_bad_key')
    fresh_server(env, evil)
    r = login_or_upstream_error(env, evil, s)
    assert r.status_code == 302, r.status_code
    assert get(s, location(r)).status_code == 200


@pytest.mark.expect_log(r'reason=userinfo_sub\b')
def test_aoidc_900_24_userinfo_wrong_sub(hostile, evil, s, env):
    """OIDC Core 5.3.2: userinfo whose sub differs MUST NOT be used. The login
    may fail (401) or go on with the ID Token's claims only."""
    evil.set_mode('userinfo_wrong_sub')
    r = run_callback(env, evil, s)
    assert r.status_code in (302, 401), r.status_code
    if r.status_code == 302:
        echo = Echo(get(s, env.url('/evil/echo/')))
        assert echo.value('OIDC_CLAIM_sub') == 'alice'
        assert not [v for _, v in echo.prefixed() if 'mallory' in v], echo.headers
    else:
        assert not session_cookie_set(r)
    env.assert_reason('userinfo_sub')


@pytest.mark.expect_log(r'reason=op_bad_response\b')
def test_aoidc_900_27_userinfo_500(hostile, evil, s, env):
    evil.set_mode('userinfo_500')
    r = run_callback(env, evil, s)
    assert r.status_code in (302, 502), r.status_code


def test_aoidc_900_26_userinfo_off(env, evil, s):
    hostile_conf(env, evil, 'AuthOIDCUserInfo off').install()
    evil.set_mode('userinfo_wrong_sub')
    r = login(env, s, evil, '/evil/')
    assert r.status_code == 200
    assert evil.counters['/userinfo'] == 0, evil.counters
