"""700: RP-initiated logout through the redirect URI (?logout=URL)."""

import urllib.parse

import pytest

from pyaoidc.client import (cookie_header, cookies_named, get, is_clearing, jar_value, jwt_parts,
                            location, login, query, raw_get, session_cookie_set)
from pyaoidc.env import INDEX_MARK, LOGGEDOUT_MARK, app_conf


@pytest.fixture
def app(env, op):
    app_conf(env, op).install()
    return env


def logout_url(env, target, prefix='/app'):
    return env.url(prefix + '/redirect_uri?') + urllib.parse.urlencode({'logout': target})


def assert_login_again(op, r):
    assert r.status_code == 302, r.status_code
    assert location(r).split('?')[0] == op.metadata['authorization_endpoint'], location(r)


def test_aoidc_700_01_logout(app, op, s, env):
    login(env, s, op, '/app/')
    old = jar_value(s, 'aoidc_session')
    r = get(s, logout_url(env, '/loggedout.html'))
    assert r.status_code == 302, '%s %s' % (r.status_code, r.text[:300])
    loc = location(r)
    assert loc.split('?')[0] == op.metadata['end_session_endpoint'], loc
    q = query(loc)
    for k, v in q.items():
        assert len(v) == 1, (k, v)
    q = {k: v[0] for k, v in q.items()}
    assert q['post_logout_redirect_uri'] == env.url('/loggedout.html')
    assert q['client_id'] == op.RP_CLIENT_ID
    hdr, claims = jwt_parts(q['id_token_hint'])
    assert claims['sub'] == 'alice' and claims['aud'] in (op.RP_CLIENT_ID, [op.RP_CLIENT_ID])
    cleared = [c for c in cookies_named(r, 'aoidc_session') if is_clearing(c)]
    assert cleared, 'aoidc_session not cleared: %s' % r.raw.headers.getlist('Set-Cookie')
    assert not session_cookie_set(r)
    # the old cookie is dead on the server side too
    assert_login_again(op, raw_get(env.url('/app/'),
                                   headers={'Cookie': cookie_header([('aoidc_session', old)])}))
    assert_login_again(op, get(s, env.url('/app/')))
    # the OP confirms and sends the browser to post_logout_redirect_uri
    back = op.logout_confirm(s, loc)
    assert back.startswith(env.url('/loggedout.html')), back
    r = get(s, back)
    assert r.status_code == 200 and LOGGEDOUT_MARK in r.text
    # a new login works (the OP session is gone too: the login form is shown again)
    assert INDEX_MARK in login(env, s, op, '/app/').text


@pytest.mark.parametrize('target', ['https://evil.example/', '//evil', '//evil.example/x',
                                    '/\\evil.example', '\\/evil.example', '\\\\evil.example',
                                    'http://evil.example/loggedout.html',
                                    'javascript:alert(1)', 'http://127.0.0.1.evil.example/',
                                    ' //evil.example', 'https:evil.example',
                                    'http://127.0.0.1:1/loggedout.html', '/x\r\nSet-Cookie: a=b'])
def test_aoidc_700_02_logout_open_redirect_refused(app, op, s, env, target):
    login(env, s, op, '/app/')
    r = get(s, logout_url(env, target))
    assert r.status_code == 400, '%s -> %s %s' % (target, r.status_code, r.headers.get('Location'))
    assert 'Location' not in r.headers
    env.assert_reason(*(('return_url', 'malformed') if '\r' in target else ('return_url',)))


def test_aoidc_700_03_logout_same_origin_absolute(app, op, s, env):
    login(env, s, op, '/app/')
    r = get(s, logout_url(env, env.url('/loggedout.html')))
    assert r.status_code == 302
    q = {k: v[0] for k, v in query(location(r)).items()}
    assert q['post_logout_redirect_uri'] == env.url('/loggedout.html')


def test_aoidc_700_04_logout_without_session(app, op, s, env):
    r = get(s, logout_url(env, '/loggedout.html'))
    assert r.status_code == 302, r.status_code
    loc = location(r)
    assert (loc.split('?')[0] in (env.url('/loggedout.html'), op.metadata['end_session_endpoint'])), loc
    assert not session_cookie_set(r)


def test_aoidc_700_05_logout_twice(app, op, s, env):
    login(env, s, op, '/app/')
    old = jar_value(s, 'aoidc_session')
    assert get(s, logout_url(env, '/loggedout.html')).status_code == 302
    r = raw_get(logout_url(env, '/loggedout.html'),
                headers={'Cookie': cookie_header([('aoidc_session', old)])})
    assert r.status_code == 302
    assert not session_cookie_set(r)
