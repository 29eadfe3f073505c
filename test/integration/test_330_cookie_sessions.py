"""330: AuthOIDCSessionStore cookie (the sealed session in chunked
cookies), nested and URL-named claims, the Cookie header a backend sees
with a 12 KB groups claim."""

import json
import os
import re
import time
import urllib.parse

import pytest

from pyaoidc.client import (authenticate, cookie_header, cookies_named, get, is_clearing,
                            location, login, raw_get, set_cookies, start_login)
from pyaoidc.env import AoidcConf, Echo, oidc_lines
from pyaoidc.op import RealOP

CHUNK = re.compile(r'^aoidc_session_(\d+)$')
# a login id this long makes a session of two chunks, the ID Token left out
LONG_USER = 'u' * 900


def cookie_conf(env, op, *extra, store='cookie', scope='openid email profile'):
    return AoidcConf(env).add_location('/cs', oidc_lines(
        op, prefix='/cs', scope=scope,
        extra=['AuthOIDCSessionStore %s' % store] + list(extra)))


@pytest.fixture
def cs(env, op):
    cookie_conf(env, op).install()
    return env


def chunks_in_jar(s):
    return sorted((int(CHUNK.match(c.name).group(1)), c.value) for c in s.cookies
                  if CHUNK.match(c.name))


def cookie_login(env, s, op, path='/cs/', user='alice'):
    """Login with the cookie store: the callback sets aoidc_session_0.. and
    no ticket cookie; returns the callback response."""
    r1 = start_login(env, s, path, authorization_endpoint=op.metadata['authorization_endpoint'])
    r2 = get(s, authenticate(op, s, r1, user=user))
    assert r2.status_code == 302, '%s %s' % (r2.status_code, r2.text[:300])
    assert location(r2).endswith(path)
    sets = [c for c in cookies_named(r2, 'aoidc_session_', prefix=True) if not is_clearing(c)]
    assert sets and sets[0][0] == 'aoidc_session_0', set_cookies(r2)
    assert not cookies_named(r2, 'aoidc_session'), 'a ticket cookie with the cookie store'
    for n, v, a in sets:
        assert len(v) <= 3800 and a.get('httponly'), (n, len(v), a)
    return r2


def cookie_of(e):
    return ''.join(e.values('Cookie'))


def send(env, path, pairs):
    return raw_get(env.url(path), headers={'Cookie': cookie_header(pairs)})


def assert_new_login(op, r):
    assert r.status_code == 302, '%s %s' % (r.status_code, r.text[:300])
    assert location(r).split('?')[0] == op.metadata['authorization_endpoint'], location(r)


def cleared(r):
    return sorted(n for n, v, a in cookies_named(r, 'aoidc_session_', prefix=True)
                  if is_clearing((n, v, a)))


def test_aoidc_330_01_login_without_server_state(cs, op, s, env):
    cookie_login(env, s, op)
    r = get(s, env.url('/cs/echo/'))
    assert r.status_code == 200
    e = Echo(r)
    assert e.value('OIDC_CLAIM_sub') == 'alice'
    assert e.value('OIDC_CLAIM_email') == 'alice@example.com'
    # our chunks never reach the backend; nothing of the session is readable
    assert 'aoidc_session' not in cookie_of(e)
    for _, v in chunks_in_jar(s):
        assert 'alice' not in v and 'example.com' not in v
    assert get(s, env.url('/cs/env.cgi')).status_code == 200


def test_aoidc_330_02_survives_restart(cs, op, s, env):
    cookie_login(env, s, op)
    cookie_conf(env, op).install(force=True)
    r = get(s, env.url('/cs/echo/'))
    assert r.status_code == 200, r.status_code
    assert Echo(r).value('OIDC_CLAIM_sub') == 'alice'


@pytest.mark.expect_log(r'AOIDC00550')
def test_aoidc_330_03_two_chunks_and_what_was_left_out(cs, op, s, env):
    mark = env.log_mark()
    cookie_login(env, s, op, user=LONG_USER)
    assert [i for i, _ in chunks_in_jar(s)] == [0, 1]
    assert env.find_log(r'AOIDC00550: .*left out the ID Token', mark=mark)
    assert Echo(get(s, env.url('/cs/echo/'))).value('OIDC_CLAIM_sub') == LONG_USER


@pytest.mark.expect_log(r'AOIDC00550')
def test_aoidc_330_04_tampered_missing_too_many_oversize(cs, op, s, env):
    cookie_login(env, s, op, user=LONG_USER)
    c = dict(chunks_in_jar(s))
    assert send(env, '/cs/', [('aoidc_session_0', c[0]), ('aoidc_session_1', c[1])]
                ).status_code == 200
    bad = c[1][:100] + ('A' if c[1][100] != 'A' else 'B') + c[1][101:]
    cases = {
        'tampered': [('aoidc_session_0', c[0]), ('aoidc_session_1', bad)],
        'missing': [('aoidc_session_0', c[0])],
        'gap': [('aoidc_session_0', c[0]), ('aoidc_session_2', c[1])],
        'swapped': [('aoidc_session_0', c[1]), ('aoidc_session_1', c[0])],
        'too_many': [('aoidc_session_0', c[0]), ('aoidc_session_1', c[1])]
                    + [('aoidc_session_%d' % i, 'x') for i in range(2, 9)],
        'oversize': [('aoidc_session_0', c[0][:3700] + 'A' * 99),
                     ('aoidc_session_1', 'A' * 3800)],
    }
    for name, pairs in cases.items():
        mark = env.log_mark()
        r = send(env, '/cs/', pairs)
        assert_new_login(op, r)
        assert cleared(r) == sorted(n for n, _ in pairs), (name, set_cookies(r))
        env.assert_reason('session_invalid', mark=mark)
    # a lone later chunk is no session of ours at all: a login, nothing judged
    assert_new_login(op, send(env, '/cs/', [('aoidc_session_1', c[1])]))


def test_aoidc_330_05_the_flood_is_a_4xx_at_worst(cs, op, env):
    pairs = [('aoidc_session_%d' % i, 'A' * 3800) for i in range(12)]
    r = send(env, '/cs/', pairs)
    assert r.status_code < 500 and r.status_code in (302, 400), r.status_code


@pytest.mark.expect_log(r'AOIDC00550')
def test_aoidc_330_06_logout_clears_every_chunk(cs, op, s, env):
    cookie_login(env, s, op, user=LONG_USER)
    r = get(s, env.url('/cs/redirect_uri?logout=/loggedout.html'))
    assert r.status_code == 302
    assert location(r).startswith(op.metadata['end_session_endpoint']), location(r)
    assert cleared(r) == ['aoidc_session_0', 'aoidc_session_1']
    assert not chunks_in_jar(s)
    assert_new_login(op, get(s, env.url('/cs/')))


def test_aoidc_330_07_logout_sends_the_id_token_hint(cs, op, s, env):
    cookie_login(env, s, op)
    r = get(s, env.url('/cs/redirect_uri?logout=/loggedout.html'))
    assert 'id_token_hint=' in location(r)
    assert cleared(r) == ['aoidc_session_0']


@pytest.mark.expect_log(r'AOIDC00550: login: the session did not fit its cookies')
def test_aoidc_330_08_12k_groups_cookie_store(cs, op, s, env):
    """12 KB of groups at userinfo: too large for the cookies, so the claim
    is left out; the login works and the cookies stay small (a 12 KB groups
    claim in the ID Token itself: test_340)."""
    cookie_login(env, s, op, user='biggroups')
    r = get(s, env.url('/cs/echo/'))
    assert r.status_code == 200
    e = Echo(r)
    assert e.value('OIDC_CLAIM_sub') == 'biggroups'
    assert len(cookie_of(e)) < 4096
    total = sum(len(v) for _, v in chunks_in_jar(s))
    assert total <= 6144, total


def test_aoidc_330_09_12k_groups_server_side_store(env, op, s):
    cookie_conf(env, op, store='shm').install()
    login(env, s, op, '/cs/', user='biggroups')
    r = get(s, env.url('/cs/echo/'))
    assert r.status_code == 200
    e = Echo(r)
    assert e.value('OIDC_CLAIM_sub') == 'biggroups'
    assert len(cookie_of(e)) < 4096
    # the 12 KB of userinfo groups reach the backend (one header, as
    # mod_auth_openidc passes them; docs/directives.md "Large claims")
    assert len(json.loads(e.value('OIDC_CLAIM_groups'))) == 950


@pytest.mark.expect_log(r'AH01631')
def test_aoidc_330_10_require_claim_dotted_path(env, op, s):
    conf = AoidcConf(env)
    for p, req in (('/nest', 'claim realm_access.roles:admin'),
                   ('/nest2', 'claim resource_access.app.roles:reader'),
                   ('/nestno', 'claim realm_access.roles:root')):
        conf.add_location(p, oidc_lines(op, prefix=p, scope='openid email nested',
                                        require=req, extra=['AuthOIDCSessionStore cookie']))
    conf.install()
    cookie_login(env, s, op, path='/nest/')
    assert get(s, env.url('/nest/')).status_code == 200
    # one identity, one session: the other locations see it too
    assert get(s, env.url('/nest2/')).status_code == 200
    assert get(s, env.url('/nestno/')).status_code == 403
    env.assert_reason('claim')


def test_aoidc_330_11_url_named_claim_reaches_backend(env, op, s):
    cookie_conf(env, op, scope='openid email nested').install()
    cookie_login(env, s, op)
    e = Echo(get(s, env.url('/cs/echo/')))
    assert e.value('OIDC_CLAIM_https___example.com_roles') == '["editor"]'
    assert e.value('OIDC_CLAIM_realm_access') == '{"roles":["admin","user"]}'


# --------------------------------------------------------------------------
# POST preservation
# --------------------------------------------------------------------------

def replay_form(page):
    """(action, [(name, value)...]) of the replay page's form."""
    import html
    action = re.search(r'<form method="post" action="([^"]*)"', page).group(1)
    fields = re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page)
    return html.unescape(action), [(html.unescape(n), html.unescape(v)) for n, v in fields]


FORM = {'title': 'Hello <world> & "you"', 'text': 'line 1\r\nline 2', 'euro': '\u20ac'}


def post_login_replay(env, s, op, path, data, store):
    r1 = s.post(env.url(path), data=data, allow_redirects=False, timeout=30)
    assert r1.status_code == 302, '%s %s' % (r1.status_code, r1.text[:300])
    assert location(r1).split('?')[0] == op.metadata['authorization_endpoint']
    r2 = get(s, authenticate(op, s, r1))
    assert r2.status_code == 200, '%s %s' % (r2.status_code, r2.headers)
    csp = r2.headers['Content-Security-Policy']
    nonce = re.search(r"script-src 'nonce-([^']+)'", csp).group(1)
    assert '<script nonce="%s">' % nonce in r2.text
    assert "form-action 'self'" in csp and r2.headers['Cache-Control'] == 'no-store'
    assert '<button type="submit">' in r2.text
    action, fields = replay_form(r2.text)
    assert action == path
    if store == 'cookie':
        assert cookies_named(r2, 'aoidc_session_0')
    else:
        assert cookies_named(r2, 'aoidc_session')
    return s.post(env.url(action), data=fields, allow_redirects=False, timeout=30)


@pytest.mark.parametrize('store', ['cookie', 'shm'])
def test_aoidc_330_20_post_preserved_through_login(env, op, s, store):
    cookie_conf(env, op, store=store).install()
    r = post_login_replay(env, s, op, '/cs/echo/save?id=7', FORM, store)
    assert r.status_code == 200, r.status_code
    e = Echo(r)
    assert e.data['method'] == 'POST' and e.path == '/cs/echo/save?id=7'
    assert dict(urllib.parse.parse_qsl(e.data['body'])) == FORM
    assert e.value('OIDC_CLAIM_sub') == 'alice'


def test_aoidc_330_21_post_after_idle_timeout(env, op, s):
    cookie_conf(env, op, 'AuthOIDCSessionInactivityTimeout 1').install()
    cookie_login(env, s, op)
    time.sleep(2.2)
    r = post_login_replay(env, s, op, '/cs/echo/form', {'a': '1', 'b': 'two words'}, 'cookie')
    assert r.status_code == 200
    assert Echo(r).data['body'] in ('a=1&b=two+words', 'a=1&b=two%20words')


def test_aoidc_330_22_post_not_kept_401(cs, op, env):
    url = env.url('/cs/echo/form')
    form = {'Content-Type': 'application/x-www-form-urlencoded'}
    cases = {
        'oversize': (dict(form), 'x=' + 'a' * 3000),
        'json': ({'Content-Type': 'application/json'}, '{"a":1}'),
        'xhr': (dict(form, **{'X-Requested-With': 'XMLHttpRequest'}), 'a=1'),
        'fetch': (dict(form, **{'Sec-Fetch-Mode': 'cors'}), 'a=1'),
        'bad_escape': (dict(form), 'a=%zz'),
    }
    for name, (h, body) in cases.items():
        import requests
        r = requests.post(url, headers=h, data=body, allow_redirects=False, timeout=30)
        assert r.status_code == 401, (name, r.status_code)
        assert 'Location' not in r.headers


# --------------------------------------------------------------------------
# refresh and ?info=json with the cookie store
# --------------------------------------------------------------------------

@pytest.fixture(scope='module')
def op_short(env):
    """A RealOP whose access tokens live 3 s."""
    o = RealOP(at_ttl=3, redirect_uris=env.redirect_uris(),
               post_logout_uris=env.post_logout_uris(),
               log_path=os.path.join(env.logs_dir, 'op-short-330.log'))
    o.start()
    yield o
    o.stop()


def test_aoidc_330_30_refresh_rewrites_the_cookies(env, op_short, s):
    cookie_conf(env, op_short, 'AuthOIDCPassAccessToken on', 'AuthOIDCInfo on',
                scope='openid email offline_access').install()
    cookie_login(env, s, op_short)
    at1 = Echo(get(s, env.url('/cs/echo/'))).value('OIDC_access_token')
    before = dict(chunks_in_jar(s))
    time.sleep(4.5)
    r = get(s, env.url('/cs/echo/'))
    assert r.status_code == 200, r.status_code
    at2 = Echo(r).value('OIDC_access_token')
    assert at2 != at1
    assert cookies_named(r, 'aoidc_session_0'), 'refreshed session not written back'
    assert dict(chunks_in_jar(s)) != before
    assert op_short.introspect(at2)['active'] is True
    assert Echo(get(s, env.url('/cs/echo/'))).value('OIDC_access_token') == at2
    info = get(s, env.url('/cs/redirect_uri?info=json')).json()
    assert info['sub'] == 'alice' and info['has_refresh_token'] is True
