"""520: AuthType oidc-basic: legacy clients that only speak HTTP Basic.

The module runs the resource owner password grant (RFC 6749 4.3) at the
EvilOP's token endpoint (oidc-provider has no password grant; the EvilOP
plays it: PASSWORDS there), validates the ID Token as at a login, caches a
success under an HMAC of the credentials, and throttles failures per user
(5) and per client address (20) for 5 minutes.
"""

import base64
import time

import pytest

from pyaoidc.client import raw_get
from pyaoidc.env import PASSPHRASE, AoidcConf, Echo, cgi_env

USER, PW = 'alice', 'wonderland-42'


def basic_lines(evil, authname='legacy app', require='valid-user', extra=()):
    lines = ['AuthType oidc-basic',
             'AuthName "%s"' % authname,
             'AuthOIDCIssuer %s' % evil.issuer,
             'AuthOIDCClientID %s' % evil.CLIENT_ID,
             'AuthOIDCClientSecret %s' % evil.CLIENT_SECRET,
             'AuthOIDCPassphrase %s' % PASSPHRASE]
    if require:
        lines.append('Require %s' % require)
    return lines + list(extra)


@pytest.fixture
def basic(env, evil):
    (AoidcConf(env)
     .add_location('/basic', basic_lines(evil))
     .add_location('/basic-claim', basic_lines(evil, require='claim sub:carol'))
     .install())
    return env


def auth(user, pw):
    return {'Authorization': 'Basic ' + base64.b64encode(
        ('%s:%s' % (user, pw)).encode()).decode()}


def grants(evil):
    return evil.grants['password']


def test_aoidc_520_01_no_credentials_basic_challenge(basic, evil):
    r = raw_get(basic.url('/basic/echo/'))
    assert r.status_code == 401
    assert r.headers['WWW-Authenticate'] == 'Basic realm="legacy app", charset="UTF-8"'
    assert grants(evil) == 0
    # a bearer token is not Basic: the same challenge, no OP call
    r = raw_get(basic.url('/basic/echo/'), headers={'Authorization': 'Bearer abc.def.ghi'})
    assert r.status_code == 401 and r.headers['WWW-Authenticate'].startswith('Basic ')
    assert grants(evil) == 0


def test_aoidc_520_02_right_password_then_cached(basic, evil):
    r = raw_get(basic.url('/basic/echo/'), headers=auth(USER, PW))
    assert r.status_code == 200, r.text
    echo = Echo(r)
    assert echo.value('OIDC_CLAIM_email') == USER + '@example.org'
    # the backend never sees the password
    assert echo.values('Authorization') == []
    assert PW not in r.text
    e = cgi_env(raw_get(basic.url('/basic/env.cgi'), headers=auth(USER, PW)))
    assert e['REMOTE_USER'] == USER and e['AUTH_TYPE'] == 'oidc-basic'
    assert 'HTTP_AUTHORIZATION' not in e
    assert grants(evil) == 1
    form = evil.last_token_request['form']
    assert form['grant_type'] == 'password' and form['username'] == USER
    assert 'openid' in form['scope'].split()
    assert evil.last_token_request['client_auth'] == 'basic'
    # second and third requests: the cache, no OP call
    for _ in range(2):
        r = raw_get(basic.url('/basic/echo/'), headers=auth(USER, PW))
        assert r.status_code == 200
    assert grants(evil) == 1
    # the password never reaches the log
    assert not basic.find_log(PW, timeout=0)


def test_aoidc_520_03_wrong_password_never_cached(basic, evil):
    for i in range(2):
        r = raw_get(basic.url('/basic/echo/'), headers=auth(USER, 'guess'))
        assert r.status_code == 401, r.text
        assert r.headers['WWW-Authenticate'].startswith('Basic realm=')
        assert 'Wrong user name or password' in r.text
        assert grants(evil) == i + 1      # asked again: nothing was cached
    basic.assert_reason('basic_refused')
    assert not basic.find_log('guess', timeout=0)
    # the right password still works (2 failures < 5)
    assert raw_get(basic.url('/basic/echo/'), headers=auth(USER, PW)).status_code == 200


def test_aoidc_520_04_throttled_after_failures(basic, evil):
    user = 'bob'            # a user of its own: the counters live 5 minutes
    for _ in range(5):
        r = raw_get(basic.url('/basic/echo/'), headers=auth(user, 'nope'))
        assert r.status_code == 401
    asked = grants(evil)
    r = raw_get(basic.url('/basic/echo/'), headers=auth(user, evil.PASSWORDS[user]))
    assert r.status_code == 429, r.text
    assert 0 < int(r.headers['Retry-After']) <= 301
    assert grants(evil) == asked      # refused without asking the OP
    basic.assert_reason('throttled')


def test_aoidc_520_05_bad_headers_4xx(basic, evil):
    for value in ('Basic', 'Basic !!!!', 'Basic YWxpY2U=',          # no colon
                  'Basic ' + base64.b64encode(b'al\nice:x').decode(),
                  'Basic ' + 'A' * 9000):
        r = raw_get(basic.url('/basic/echo/'), headers={'Authorization': value})
        assert 400 <= r.status_code < 500, (value[:20], r.status_code)
    assert grants(evil) == 0


def test_aoidc_520_06_id_token_checked(basic, evil):
    cred = auth('carol', evil.PASSWORDS['carol'])   # not cached by another test
    evil.set_mode('password_nonce')
    r = raw_get(basic.url('/basic/echo/'), headers=cred)
    assert r.status_code == 401
    basic.assert_reason('nonce')
    evil.set_mode('password_wrong_aud')
    r = raw_get(basic.url('/basic/echo/'), headers=cred)
    assert r.status_code == 401
    basic.assert_reason('audience')
    assert grants(evil) == 2            # neither refusal was cached
    evil.set_mode('good')
    assert raw_get(basic.url('/basic/echo/'), headers=cred).status_code == 200


@pytest.mark.expect_log(r"AH01631: user [^:]+: authorization failure")
def test_aoidc_520_07_require_claim_403(basic, evil):
    r = raw_get(basic.url('/basic-claim/echo/'), headers=auth(USER, PW))
    assert r.status_code == 403, r.text
    assert 'WWW-Authenticate' not in r.headers
    r = raw_get(basic.url('/basic-claim/echo/'), headers=auth('dave', evil.PASSWORDS['dave']))
    assert r.status_code == 403


@pytest.mark.expect_log(r'reason=op_unreachable')
def test_aoidc_520_08_op_down_503(env, fresh_evil):
    AoidcConf(env).add_location('/basic', basic_lines(fresh_evil, extra=[
        'AuthOIDCHTTPTimeout 2'])).install(force=True)
    fresh_evil.stop()
    t = time.time()
    r = raw_get(env.url('/basic/echo/'), headers=auth(USER, PW), timeout=10)
    assert r.status_code in (502, 503), r.status_code
    assert time.time() - t < 6


def test_aoidc_520_09_configtest_names_missing(env, evil):
    lines = [ln for ln in basic_lines(evil) if not ln.startswith('AuthOIDCPassphrase')]
    rc, out = AoidcConf(env).add_location('/basic', lines).configtest()
    assert rc != 0 and 'AuthOIDCPassphrase' in out, out
