"""300: AuthType oidc login against the RealOP: authorization request, callback,
what the backend sees, header spoofing, callback failures, garbage input."""

import json
import re
import secrets
import urllib.parse

import pytest

from pyaoidc.client import (authenticate, callback, cookie_header, cookies_named, get,
                            is_clearing, jar_names, jar_value, location, login, new_session,
                            query, query1, raw_get, session_cookie_set, set_cookies,
                            start_login)
from pyaoidc.env import AoidcConf, Echo, INDEX_MARK, app_conf, cgi_env, oidc_lines

B64URL_22 = re.compile(r'^[A-Za-z0-9_-]{22,}$')


@pytest.fixture
def app(env, op):
    """/app: the typical config; /app2: REMOTE_USER=email, access token passed."""
    app_conf(env, op).install()
    return env


def no_session(r):
    assert not session_cookie_set(r), 'a session cookie was set: %s' % set_cookies(r)


def assert_4xx(r, *allowed):
    assert 400 <= r.status_code < 500, '%s %s' % (r.status_code, r.text[:300])
    if allowed:
        assert r.status_code in allowed, '%s not in %s: %s' % (r.status_code, allowed, r.text[:300])


def replace_param(url, **kw):
    """url with query params replaced (value None: removed)."""
    u = urllib.parse.urlsplit(url)
    q = [(k, v) for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True) if k not in kw]
    q += [(k, v) for k, v in kw.items() if v is not None]
    return urllib.parse.urlunsplit(u._replace(query=urllib.parse.urlencode(q)))


def begin(env, op, s, path='/app/'):
    """Start a login and log in at the OP: returns the callback URL (unfetched)."""
    return authenticate(op, s, start_login(env, s, path))


# --------------------------------------------------------------------- start

def test_aoidc_300_01_unauthenticated_redirects_to_op(app, op, s, env):
    r = start_login(env, s, '/app/x?y=1', authorization_endpoint=op.metadata['authorization_endpoint'])
    q = query(location(r))
    for k, v in q.items():
        assert len(v) == 1, 'parameter %s repeated: %s' % (k, v)
    q = {k: v[0] for k, v in q.items()}
    assert q['response_type'] == 'code'
    assert q['client_id'] == op.RP_CLIENT_ID
    assert q['redirect_uri'] == env.url('/app/redirect_uri')
    assert set(q['scope'].split()) == {'openid', 'email', 'profile'}
    assert B64URL_22.match(q['state']), q['state']
    assert B64URL_22.match(q['nonce']), q['nonce']
    assert q['state'] != q['nonce']
    assert q['code_challenge_method'] == 'S256'
    assert re.match(r'^[A-Za-z0-9_-]{43}$', q['code_challenge']), q['code_challenge']
    states = cookies_named(r, 'aoidc_state_', prefix=True)
    assert len(states) == 1, set_cookies(r)
    name, value, attrs = states[0]
    assert value
    assert attrs.get('path') == '/', attrs
    assert attrs.get('httponly') is True, attrs
    assert str(attrs.get('samesite', '')).lower() == 'lax', attrs
    assert 'secure' not in attrs, 'Secure on plain http: %s' % attrs


def test_aoidc_300_02_fresh_state_each_time(app, op, env):
    seen = set()
    for _ in range(3):
        q = query1(location(start_login(env, new_session(), '/app/')))
        assert q['state'] not in seen and q['nonce'] not in seen
        seen |= {q['state'], q['nonce'], q['code_challenge']}


def test_aoidc_300_03_post_without_session_401(app, s, env):
    # a form submit is kept through a login (test_330_20); anything else is 401
    r = s.post(env.url('/app/echo/'), data={'a': 'b'}, allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.status_code
    r = s.post(env.url('/app/echo/'), json={'a': 'b'}, allow_redirects=False, timeout=10)
    assert r.status_code == 401, r.status_code
    assert 'Location' not in r.headers


@pytest.mark.parametrize('hdr', [{'X-Requested-With': 'XMLHttpRequest'},
                                 {'Accept': 'application/json'}])
def test_aoidc_300_04_xhr_or_json_without_session_401(app, s, env, hdr):
    r = get(s, env.url('/app/echo/'), headers=hdr)
    assert r.status_code == 401, r.status_code
    assert 'Location' not in r.headers
    assert not cookies_named(r, 'aoidc_state_', prefix=True)


def test_aoidc_300_06_login_redirect_not_cacheable(app, s, env):
    """A 302 that sets a state cookie must not be stored by caches."""
    r = start_login(env, s, '/app/')
    cc = r.headers.get('Cache-Control', '')
    assert 'no-store' in cc or 'private' in cc or 'no-cache' in cc, r.headers


# --------------------------------------------------------------------- callback

def test_aoidc_300_10_login_roundtrip(app, op, s, env):
    path = '/app/echo/some/where?x=1&y=two'
    r1 = start_login(env, s, path)
    state_cookies = jar_names(s, 'aoidc_state_')
    assert len(state_cookies) == 1
    cb = authenticate(op, s, r1)
    assert cb.startswith(env.url('/app/redirect_uri?')), cb
    cq = query1(cb)
    assert {'code', 'state', 'iss'} <= set(cq), cq
    r2 = callback(env, s, cb, expect_return=path)
    (name, value, attrs), = [c for c in cookies_named(r2, 'aoidc_session') if not is_clearing(c)]
    assert attrs.get('path') == '/', attrs
    assert attrs.get('httponly') is True, attrs
    assert str(attrs.get('samesite', '')).lower() == 'lax', attrs
    assert 'secure' not in attrs, attrs
    cleared = [c for c in cookies_named(r2, state_cookies[0]) if is_clearing(c)]
    assert cleared, 'state cookie %s not cleared: %s' % (state_cookies[0], set_cookies(r2))
    r3 = get(s, location(r2))
    assert r3.status_code == 200, r3.text[:300]
    echo = Echo(r3)
    assert echo.path == '/app/echo/some/where?x=1&y=two'
    r4 = get(s, env.url('/app/'))
    assert r4.status_code == 200 and INDEX_MARK in r4.text


def test_aoidc_300_11_claims_reach_backend(app, op, s, env):
    login(env, s, op, '/app/')
    echo = Echo(get(s, env.url('/app/echo/')))
    assert echo.value('OIDC_CLAIM_sub') == 'alice'
    assert echo.value('OIDC_CLAIM_email') == 'alice@example.com'
    groups = echo.value('OIDC_CLAIM_groups')
    assert json.loads(groups) == ['staff', 'ops'], groups
    assert groups.replace(' ', '') == '["staff","ops"]', groups
    assert echo.value('OIDC_CLAIM_preferred_username') == 'alice'
    assert echo.value('OIDC_CLAIM_name') == 'User alice'
    for k, v in echo.prefixed():
        assert '\r' not in v and '\n' not in v, (k, v)
    assert not echo.like('OIDC_access_token'), 'access token passed though off by default'
    r = get(s, env.url('/app/env.cgi'))
    assert r.status_code == 200, r.text[:300]
    e = cgi_env(r)
    assert e.get('REMOTE_USER') == 'alice', e
    assert e.get('OIDC_CLAIM_sub') == 'alice', e
    assert e.get('OIDC_CLAIM_email') == 'alice@example.com', e
    assert json.loads(e.get('OIDC_CLAIM_groups')) == ['staff', 'ops'], e
    assert 'OIDC_access_token' not in e


def test_aoidc_300_12_other_user(app, op, s, env):
    login(env, s, op, '/app/', user='bob')
    e = cgi_env(get(s, env.url('/app/env.cgi')))
    assert e['REMOTE_USER'] == 'bob' and e['OIDC_CLAIM_email'] == 'bob@example.com'


def test_aoidc_300_13_remote_user_claim_and_access_token(app, op, s, env):
    login(env, s, op, '/app2/')
    r = get(s, env.url('/app2/env.cgi'))
    e = cgi_env(r)
    assert e.get('REMOTE_USER') == 'alice@example.com', e
    assert e.get('OIDC_CLAIM_sub') == 'alice'
    assert e.get('OIDC_access_token'), 'AuthOIDCPassAccessToken on: no OIDC_access_token env'
    echo = Echo(get(s, env.url('/app2/echo/')))
    at = echo.value('OIDC_access_token')
    assert at == e['OIDC_access_token']
    info = op.introspect(at)
    assert info['active'] is True and info['sub'] == 'alice', info


SPOOF = {'OIDC_CLAIM_email': 'evil', 'oidc-claim-email': 'evil', 'Oidc_Claim_Sub': 'mallory',
         'OIDC-CLAIM-groups': 'evil', 'OIDC_CLAIM_admin': 'evil', 'REMOTE_USER': 'evil',
         'Remote-User': 'evil'}


def test_aoidc_300_14_spoofed_headers_removed(app, op, s, env):
    login(env, s, op, '/app/')
    r = get(s, env.url('/app/echo/'), headers=SPOOF)
    assert r.status_code == 200
    echo = Echo(r)
    bad = [(k, v) for k, v in echo.headers if v in ('evil', 'mallory')]
    assert not bad, 'spoofed headers reached the backend: %s' % bad
    assert [v for _, v in echo.like('OIDC_CLAIM_sub')] == ['alice'], echo.headers
    assert [v for _, v in echo.like('OIDC_CLAIM_email')] == ['alice@example.com']
    assert not echo.like('OIDC_CLAIM_admin')
    assert not echo.like('REMOTE_USER')
    r = get(s, env.url('/app/env.cgi'), headers=SPOOF)
    e = cgi_env(r)
    bad = {k: v for k, v in e.items() if v in ('evil', 'mallory')}
    assert not bad, 'spoofed values in the CGI environment: %s' % bad
    assert e['REMOTE_USER'] == 'alice' and e['OIDC_CLAIM_sub'] == 'alice'


def test_aoidc_300_15_spoofed_access_token_header(app, op, s, env):
    """With AuthOIDCPassAccessToken on, a client-sent OIDC_access_token (any
    spelling) never reaches the backend next to or instead of the real one."""
    login(env, s, op, '/app2/')
    r = get(s, env.url('/app2/echo/'), headers={'OIDC_access_token': 'evil',
                                                 'oidc-access-token': 'evil'})
    echo = Echo(r)
    vals = [v for _, v in echo.like('OIDC_access_token')]
    assert len(vals) == 1 and vals[0] != 'evil', echo.headers


def test_aoidc_300_16_two_logins_in_parallel(app, op, s, env):
    """Two tabs start a login each; both callbacks complete (one state cookie per login)."""
    r_a = start_login(env, s, '/app/a/')
    r_b = start_login(env, s, '/app/b/')
    assert len(jar_names(s, 'aoidc_state_')) == 2
    cb_a = authenticate(op, s, r_a)
    cb_b = authenticate(op, s, r_b)
    callback(env, s, cb_b, expect_return='/app/b/')
    callback(env, s, cb_a, expect_return='/app/a/')
    assert INDEX_MARK in get(s, env.url('/app/a/')).text


def test_aoidc_300_17_cgi_auth_type(app, op, s, env):
    """Like mod_auth_basic, the module sets r->ap_auth_type (CGI AUTH_TYPE)."""
    login(env, s, op, '/app/')
    e = cgi_env(get(s, env.url('/app/env.cgi')))
    assert e.get('AUTH_TYPE', '').lower() == 'oidc', {k: v for k, v in e.items() if 'AUTH' in k}


# --------------------------------------------------------------------- callback failures

def test_aoidc_300_20_missing_state(app, op, s, env):
    cb = begin(env, op, s)
    r = get(s, replace_param(cb, state=None))
    assert_4xx(r, 400)
    no_session(r)
    env.assert_reason('state_missing', 'malformed')


XHR = {'Sec-Fetch-Mode': 'cors', 'Accept': 'application/json'}


def assert_restart(env, op, r):
    """A callback that could not finish started a fresh login (test_320)."""
    assert r.status_code == 302, '%s %s' % (r.status_code, r.text[:300])
    assert location(r).startswith(op.metadata['authorization_endpoint']), location(r)
    no_session(r)


def test_aoidc_300_21_unknown_state(app, op, s, env):
    """Not a navigation: 400. A navigation: a fresh login (test_320)."""
    cb = begin(env, op, s)
    r = get(s, replace_param(cb, state=secrets.token_urlsafe(32)), headers=XHR)
    assert_4xx(r, 400)
    no_session(r)
    env.assert_reason('state_missing')
    assert_restart(env, op, get(s, replace_param(cb, state=secrets.token_urlsafe(32))))


@pytest.mark.parametrize('state', ['', '%00', '\x00abc', '!!!***', 'a' * 3000, '..', '%ff%fe',
                                   'eyJhbGciOiJub25lIn0.e30.'],
                         ids=['empty', 'pct00', 'nul', 'punct', 'long', 'dots', 'pctff', 'jwt'])
def test_aoidc_300_22_garbled_state(app, op, s, env, state):
    cb = begin(env, op, s)
    r = get(s, replace_param(cb, state=state))
    assert_4xx(r, 400)
    no_session(r)


def test_aoidc_300_23_state_replay(app, op, s, env):
    r1 = start_login(env, s, '/app/')
    (state_name,) = jar_names(s, 'aoidc_state_')
    state_value = jar_value(s, state_name)
    cb = authenticate(op, s, r1)
    callback(env, s, cb, expect_return='/app/')
    mark = env.log_mark()
    # same callback again, state cookie re-sent by hand, no session cookie
    hdr = cookie_header([(state_name, state_value)])
    r = raw_get(cb, headers=dict(XHR, Cookie=hdr))
    assert_4xx(r, 400)
    no_session(r)
    env.assert_reason('state_replay', mark=mark)
    # a navigation gets a fresh login instead (test_320)
    assert_restart(env, op, raw_get(cb, headers={'Cookie': hdr}))
    # and with the whole jar (session present) it is not a fresh login
    # either: back to the original URL, no new session
    s.cookies.set(state_name, state_value)
    r = get(s, cb)
    assert r.status_code == 302 and location(r) == env.url('/app/'), (r.status_code, location(r))
    no_session(r)


def test_aoidc_300_24_state_from_other_browser(app, op, s, env):
    """A callback in a browser that did not start the login (login CSRF)."""
    cb = begin(env, op, s)
    other = new_session()
    r = get(other, cb, headers=XHR)
    assert_4xx(r, 400)
    no_session(r)
    env.assert_reason('state_missing', 'cookie')
    # a navigation: a fresh login of that browser's own (test_320)
    assert_restart(env, op, get(other, cb))


def test_aoidc_300_25_missing_iss(app, op, s, env):
    assert op.metadata['authorization_response_iss_parameter_supported'] is True
    cb = begin(env, op, s)
    r = get(s, replace_param(cb, iss=None))
    assert_4xx(r, 400)
    no_session(r)
    env.assert_reason('iss_param')


@pytest.mark.parametrize('iss', ['https://evil.example.com', 'OP/', '', '\x00'],
                         ids=['evil', 'slash', 'empty', 'nul'])
def test_aoidc_300_26_wrong_iss(app, op, s, env, iss):
    cb = begin(env, op, s)
    r = get(s, replace_param(cb, iss=op.issuer + '/' if iss == 'OP/' else iss))
    assert_4xx(r, 400)
    no_session(r)
    env.assert_reason(*(('iss_param', 'malformed') if iss == '\x00' else ('iss_param',)))


def test_aoidc_300_27_op_error_response(app, op, s, env):
    r1 = start_login(env, s, '/app/')
    state = query1(location(r1))['state']
    url = env.url('/app/redirect_uri?') + urllib.parse.urlencode({
        'error': 'access_denied', 'error_description': 'The user said <b>no</b>',
        'state': state, 'iss': op.issuer})
    r = get(s, url)
    assert r.status_code in (401, 403), r.status_code
    loc = location(r)
    assert not loc or not loc.startswith(op.issuer), 'redirect loop back to the OP: %s' % loc
    assert '<b>no</b>' not in r.text, 'error_description reflected unescaped'
    assert len(r.content) < 16384
    no_session(r)
    env.assert_reason('op_error')


# --------------------------------------------------------------------- garbage

@pytest.mark.parametrize('variant', ['huge_code', 'nul_code', 'huge_iss', 'dup_state',
                                     'dup_code', 'nul_name', 'only_junk', 'empty'])
def test_aoidc_300_30_garbage_callback(app, op, s, env, variant):
    cb = begin(env, op, s)
    base = cb.split('?')[0]
    q = query1(cb)
    raw = {
        'huge_code': 'code=%s&state=%s&iss=%s' % ('A' * 6000, q['state'], urllib.parse.quote(q['iss'])),
        'nul_code': 'code=ab%%00cd&state=%s&iss=%s' % (q['state'], urllib.parse.quote(q['iss'])),
        'huge_iss': 'code=%s&state=%s&iss=%s' % (q['code'], q['state'], 'h' * 6000),
        'dup_state': 'code=%s&state=%s&state=%s&iss=%s' % (q['code'], q['state'], 'x' * 43,
                                                           urllib.parse.quote(q['iss'])),
        'dup_code': 'code=%s&code=zzz&state=%s&iss=%s' % (q['code'], q['state'],
                                                          urllib.parse.quote(q['iss'])),
        'nul_name': 'co%%00de=%s&state=%s&iss=%s' % (q['code'], q['state'], urllib.parse.quote(q['iss'])),
        'only_junk': '%%%%%%=&&&==%zz',
        'empty': '',
    }[variant]
    r = get(s, base + ('?' + raw if raw else ''))
    assert_4xx(r)
    no_session(r)


def test_aoidc_300_31_many_state_cookies(app, op, s, env):
    junk = [('aoidc_state_%02d%s' % (i, secrets.token_hex(4)), secrets.token_urlsafe(40))
            for i in range(50)]
    r = raw_get(env.url('/app/'), headers={'Cookie': cookie_header(junk)})
    assert r.status_code == 302 or 400 <= r.status_code < 500, r.status_code
    # a real login in a browser that carries the 50 junk cookies: never a 5xx
    for n, v in junk:
        s.cookies.set(n, v)
    r1 = get(s, env.url('/app/'))
    assert r1.status_code < 500
    if r1.status_code == 302:
        r2 = get(s, authenticate(op, s, r1))
        assert r2.status_code < 500, r2.status_code


@pytest.mark.parametrize('path', ['/app/redirect_uri/../x', '/app/%2e%2e/etc/passwd',
                                  '/app/x%00y', '/app/' + '/'.join(['p' * 100] * 35)],
                         ids=['dotdot', 'encoded-dotdot', 'nul', 'long'])
def test_aoidc_300_32_odd_paths_start_login_or_4xx(app, s, env, path):
    r = get(s, env.url('/') + path.lstrip('/'))
    assert r.status_code < 500 and r.status_code != 200, r.status_code


def test_aoidc_300_40_pkce_off(env, op, s):
    AoidcConf(env).add_location('/app', oidc_lines(op, extra=['AuthOIDCPKCE off'])).install()
    q = query1(location(start_login(env, s, '/app/')))
    assert 'code_challenge' not in q and 'code_challenge_method' not in q
