"""400: sessions: cookie integrity, garbage cookies, inactivity and maximum
duration, refresh, restart, the cookie store."""

import base64
import os
import secrets
import time

import pytest

from pyaoidc.client import (cookie_header, get, jar_value, location, login, raw_get,
                            session_cookie_set)
from pyaoidc.env import AoidcConf, Echo, INDEX_MARK, oidc_lines
from pyaoidc.op import RealOP


def sess_conf(env, op, *extra):
    return AoidcConf(env).add_location('/sess', oidc_lines(op, prefix='/sess', extra=list(extra)))


@pytest.fixture
def sess(env, op):
    sess_conf(env, op).install()
    return env


@pytest.fixture(scope='module')
def op_short(env):
    """A RealOP whose access tokens live 3 s."""
    o = RealOP(at_ttl=3, redirect_uris=env.redirect_uris(),
               post_logout_uris=env.post_logout_uris(),
               log_path=os.path.join(env.logs_dir, 'op-short.log'))
    o.start()
    yield o
    o.stop()


def assert_login_again(env, op, r):
    assert r.status_code == 302, '%s %s' % (r.status_code, r.text[:300])
    assert location(r).split('?')[0] == op.metadata['authorization_endpoint'], location(r)


def with_cookie(env, path, value):
    return raw_get(env.url(path), headers={'Cookie': cookie_header([('aoidc_session', value)])})


def test_aoidc_400_01_session_works_repeatedly(sess, op, s, env):
    login(env, s, op, '/sess/')
    for p in ('/sess/', '/sess/echo/x', '/sess/env.cgi', '/sess/a/'):
        r = get(s, env.url(p))
        assert r.status_code == 200, (p, r.status_code)
    assert Echo(get(s, env.url('/sess/echo/'))).value('OIDC_CLAIM_sub') == 'alice'


def test_aoidc_400_02_cookie_carries_no_plaintext(sess, op, s, env):
    login(env, s, op, '/sess/')
    v = jar_value(s, 'aoidc_session')
    assert v
    blob = v.encode()
    try:
        blob += base64.urlsafe_b64decode(v + '=' * (-len(v) % 4))
    except Exception:
        pass
    for word in (b'alice', b'example.com', b'staff'):
        assert word not in blob, 'session cookie shows %r' % word


def test_aoidc_400_03_tampered_cookie_logs_in_again(sess, op, s, env):
    login(env, s, op, '/sess/')
    v = jar_value(s, 'aoidc_session')
    i = len(v) // 2
    bad = v[:i] + ('A' if v[i] != 'A' else 'B') + v[i + 1:]
    assert_login_again(env, op, with_cookie(env, '/sess/', bad))
    # an id-only cookie cannot tell tampering from an unknown id: session_expired is fine too
    env.assert_reason('session_invalid', 'cookie', 'malformed', 'session_expired')
    # truncated and extended
    assert_login_again(env, op, with_cookie(env, '/sess/', v[:-4]))
    assert_login_again(env, op, with_cookie(env, '/sess/', v + 'AAAA'))
    # the genuine one still works
    assert with_cookie(env, '/sess/', v).status_code == 200


@pytest.mark.parametrize('value', [
    'random', 'big8k', '', '.', '...', 'a.b.c', '%00', '"quoted"', 'eyJhbGciOiJub25lIn0.e30.',
    'bin'])
def test_aoidc_400_04_garbage_cookie(sess, op, env, value):
    v = {'random': secrets.token_urlsafe(60), 'big8k': secrets.token_urlsafe(6000)[:8000],
         'bin': base64.b64encode(os.urandom(200)).decode()}.get(value, value)
    r = with_cookie(env, '/sess/', v)
    assert r.status_code == 302 or 400 <= r.status_code < 500, r.status_code
    if r.status_code == 302:
        assert_login_again(env, op, r)


def test_aoidc_400_05_garbage_cookie_with_post_401(sess, env):
    r = raw_get(env.url('/sess/'), headers={'Cookie': 'aoidc_session=' + secrets.token_urlsafe(60),
                                            'X-Requested-With': 'XMLHttpRequest'})
    assert r.status_code == 401


def test_aoidc_400_06_many_session_cookies(sess, op, s, env):
    login(env, s, op, '/sess/')
    v = jar_value(s, 'aoidc_session')
    junk = [('aoidc_session', secrets.token_urlsafe(30)) for _ in range(20)]
    r = raw_get(env.url('/sess/'), headers={'Cookie': cookie_header(junk + [('aoidc_session', v)])})
    assert r.status_code in (200, 302) or 400 <= r.status_code < 500, r.status_code


def test_aoidc_400_10_inactivity_timeout(env, op, s):
    sess_conf(env, op, 'AuthOIDCSessionInactivityTimeout 2').install()
    login(env, s, op, '/sess/')
    assert get(s, env.url('/sess/')).status_code == 200
    time.sleep(3.2)
    assert_login_again(env, op, get(s, env.url('/sess/')))
    env.assert_reason('session_expired')


def test_aoidc_400_11_activity_keeps_session(env, op, s):
    sess_conf(env, op, 'AuthOIDCSessionInactivityTimeout 3').install()
    login(env, s, op, '/sess/')
    t0 = time.time()
    while time.time() - t0 < 5:
        time.sleep(1.0)
        r = get(s, env.url('/sess/'))
        assert r.status_code == 200, 'session ended after %.1fs of activity' % (time.time() - t0)


def test_aoidc_400_12_max_duration(env, op, s):
    sess_conf(env, op, 'AuthOIDCSessionMaxDuration 4').install()
    t0 = time.time()
    login(env, s, op, '/sess/')
    while time.time() - t0 < 3:
        assert get(s, env.url('/sess/')).status_code == 200
        time.sleep(0.7)
    time.sleep(max(0, t0 + 5.2 - time.time()))
    assert_login_again(env, op, get(s, env.url('/sess/')))
    env.assert_reason('session_expired')


def test_aoidc_400_20_refresh(env, op_short, s):
    sess_conf(env, op_short, 'AuthOIDCPassAccessToken on').install()
    login(env, s, op_short, '/sess/')
    at1 = Echo(get(s, env.url('/sess/echo/'))).value('OIDC_access_token')
    time.sleep(5)
    r = get(s, env.url('/sess/echo/'))
    assert r.status_code == 200, '%s (expected a silent refresh)' % r.status_code
    at2 = Echo(r).value('OIDC_access_token')
    assert at2 != at1, 'the backend got the expired access token again'
    assert op_short.introspect(at2)['active'] is True
    # and the refreshed session keeps working
    assert Echo(get(s, env.url('/sess/echo/'))).value('OIDC_access_token') == at2


@pytest.mark.expect_log(r'reason=(refresh|token_endpoint)\b')
def test_aoidc_400_21_refresh_refused_ends_session(env, op_short, s):
    sess_conf(env, op_short, 'AuthOIDCPassAccessToken on').install()
    login(env, s, op_short, '/sess/')
    # end the OP session (its grants and refresh tokens go with it)
    op_short.logout_confirm(s, op_short.metadata['end_session_endpoint'])
    time.sleep(4.5)
    r = get(s, env.url('/sess/echo/'))
    assert_login_again(env, op_short, r)
    env.assert_reason('refresh', 'token_endpoint')


def test_aoidc_400_30_session_after_restart(sess, op, s, env):
    """shm sessions do not survive a restart: a stale cookie means a new login, not an error."""
    login(env, s, op, '/sess/')
    sess_conf(env, op).install(force=True)
    assert_login_again(env, op, get(s, env.url('/sess/')))


def test_aoidc_400_40_internal_redirect_keeps_the_session(env, op, s):
    """GET /sess/dirindex/: mod_dir makes it an internal redirect to
    .../env.cgi under another configuration (the CGI directory), so httpd
    authenticates it again. It is the same client request: it must find the
    session (not start another login), the backend gets the claims once,
    without our cookie, and no spoofed_header line is logged for the claims
    we set ourselves."""
    os.makedirs(os.path.join(env.htdocs, 'sess', 'dirindex'), exist_ok=True)
    sess_conf(env, op).add_location('/sess/dirindex', ['DirectoryIndex env.cgi']).install()
    login(env, s, op, '/sess/')
    s.cookies.set('app_cookie', 'kept', domain=urllib_host(env))
    r = get(s, env.url('/sess/dirindex/'))
    assert r.status_code == 200, (r.status_code, r.headers.get('Location'))
    e = r.json()['env']
    assert e['REMOTE_USER'] == 'alice', e.get('REMOTE_USER')
    assert e.get('OIDC_CLAIM_sub') == 'alice', sorted(k for k in e if 'OIDC' in k)
    assert 'aoidc_session' not in e.get('HTTP_COOKIE', ''), e.get('HTTP_COOKIE')
    assert 'app_cookie=kept' in e.get('HTTP_COOKIE', ''), e.get('HTTP_COOKIE')
    assert ',' not in e.get('HTTP_OIDC_CLAIM_SUB', 'alice'), e['HTTP_OIDC_CLAIM_SUB']
    assert not env.find_log(r'AOIDC00010: removed client header', timeout=0)
    # a request of another client without a session still logs in
    r = raw_get(env.url('/sess/dirindex/'))
    assert r.status_code == 302, r.status_code


def urllib_host(env):
    return env.base_url.split('//', 1)[1].split(':')[0]
