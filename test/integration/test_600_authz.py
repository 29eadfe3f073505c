"""600: authorization: `Require claim NAME:VALUE` and `Require scope VALUE`,
alone and inside <RequireAll>/<RequireAny>."""

import time

import pytest

from pyaoidc.client import (bearer, cookies_named, get, is_clearing, location, login, query1,
                            raw_get)
from pyaoidc.env import AoidcConf, INDEX_MARK, bearer_lines, oidc_lines

# mod_authz_core logs each authorization failure (403 from Require) at error level.
pytestmark = pytest.mark.expect_log(r'AH01631: user [^:]+: authorization failure')


def authz_conf(env, op):
    return (AoidcConf(env)
            .add_location('/authz', oidc_lines(op, prefix='/authz'))
            .add_location('/authz/a', ['Require claim email:alice@example.com'])
            .add_location('/authz/b', ['Require claim email:bob@example.com'])
            .add_location('/authz/c', ['Require claim groups:ops'])
            .add_location('/authz/d', ['Require claim groups:admins'])
            .add_location('/uz', oidc_lines(op, prefix='/uz',
                                            extra=['AuthOIDCUnAutzAction auth']))
            .add_location('/uz/b', ['Require claim email:bob@example.com'])
            .add_location('/uz/any', ['<RequireAny>',
                                      '    Require claim email:bob@example.com',
                                      '    Require claim groups:admins',
                                      '</RequireAny>'])
            .add_location('/uzp', oidc_lines(op, prefix='/uzp', require='claim groups:admins',
                                             extra=['AuthOIDCUnAutzAction auth',
                                                    'AuthOIDCAuthRequestParams prompt=consent']))
            .add_location('/authz/deep', ['<RequireAny>',
                                          '    Require claim email:bob@example.com',
                                          '    Require claim groups:ops',
                                          '</RequireAny>'])
            .add_location('/authz/deep/er', ['<RequireAll>',
                                             '    Require claim groups:staff',
                                             '    Require claim email:bob@example.com',
                                             '</RequireAll>'])
            .add_location('/api', bearer_lines(op, require='claim client_id:api-client'))
            .add_location('/api/a', ['Require claim client_id:someone-else'])
            .add_location('/api/uz', ['Require claim client_id:someone-else',
                                      'AuthOIDCUnAutzAction auth'])
            .add_location('/api/b', ['<RequireAll>', '    Require scope orders:read',
                                     '    Require scope api:read', '</RequireAll>'])
            .add_location('/api/c', ['<RequireAny>', '    Require scope orders:write',
                                     '    Require scope api:read', '</RequireAny>']))


@pytest.fixture
def authz(env, op):
    authz_conf(env, op).install()
    return env


def status(s, env, path):
    r = get(s, env.url(path))
    if r.status_code == 403:
        assert 'Location' not in r.headers
    return r.status_code


def test_aoidc_600_01_claim_email(authz, op, s, env):
    login(env, s, op, '/authz/')
    assert status(s, env, '/authz/a/') == 200
    assert status(s, env, '/authz/b/') == 403


def test_aoidc_600_02_claim_array_membership(authz, op, s, env):
    login(env, s, op, '/authz/')
    assert status(s, env, '/authz/c/') == 200
    assert status(s, env, '/authz/d/') == 403


def test_aoidc_600_03_other_user(authz, op, s, env):
    login(env, s, op, '/authz/', user='bob')
    assert status(s, env, '/authz/a/') == 403
    assert status(s, env, '/authz/b/') == 200


def test_aoidc_600_04_require_any_all(authz, op, s, env):
    login(env, s, op, '/authz/')
    r = get(s, env.url('/authz/deep/'))
    assert r.status_code == 200 and INDEX_MARK in r.text
    assert status(s, env, '/authz/deep/er/') == 403


def test_aoidc_600_05_unauthenticated_is_login_not_403(authz, op, s, env):
    r = get(s, env.url('/authz/b/'))
    assert r.status_code == 302
    assert location(r).split('?')[0] == op.metadata['authorization_endpoint']


def test_aoidc_600_06_denied_user_is_not_sent_to_login(authz, op, s, env):
    login(env, s, op, '/authz/')
    for _ in range(3):
        r = get(s, env.url('/authz/b/'))
        assert r.status_code == 403 and 'Location' not in r.headers


def test_aoidc_600_07_claim_value_is_exact(env, op, s):
    (AoidcConf(env)
     .add_location('/authz', oidc_lines(op, prefix='/authz'))
     .add_location('/authz/a', ['Require claim email:alice@example'])
     .add_location('/authz/b', ['Require claim groups:op'])
     .add_location('/authz/c', ['Require claim sub:alice'])
     .add_location('/authz/d', ['Require claim preferred_username:alice'])
     .install())
    login(env, s, op, '/authz/')
    assert status(s, env, '/authz/a/') == 403
    assert status(s, env, '/authz/b/') == 403
    assert status(s, env, '/authz/c/') == 200
    assert status(s, env, '/authz/d/') == 200


def test_aoidc_600_10_bearer_claim_and_scopes(authz, op, env):
    tok = op.mint_jwt_at('orders:read api:read')
    assert raw_get(env.url('/api/'), headers=bearer(tok)).status_code == 200
    assert raw_get(env.url('/api/a/'), headers=bearer(tok)).status_code == 403
    assert raw_get(env.url('/api/b/'), headers=bearer(tok)).status_code == 200
    assert raw_get(env.url('/api/c/'), headers=bearer(tok)).status_code == 200
    tok2 = op.mint_jwt_at('orders:read')
    assert raw_get(env.url('/api/b/'), headers=bearer(tok2)).status_code == 403
    assert raw_get(env.url('/api/c/'), headers=bearer(tok2)).status_code == 403


@pytest.mark.parametrize('line', ['Require claim email', 'Require claim :x', 'Require claim',
                                  'Require scope'])
def test_aoidc_600_20_bad_require_lines(env, op, line):
    rc, out = (AoidcConf(env).add_location('/authz', oidc_lines(op, prefix='/authz', require=None)
                                           + [line]).configtest())
    assert rc != 0, out


# --------------------------------------------------- AuthOIDCUnAutzAction auth

def relogin_start(r, op):
    """r is the 302 of a new login after a failed Require: to the OP, with a
    fresh state cookie; returns its query."""
    assert r.status_code == 302, (r.status_code, r.headers, r.text[:300])
    loc = location(r)
    assert loc.split('?')[0] == op.metadata['authorization_endpoint'], loc
    assert [c for c in cookies_named(r, 'aoidc_state_', prefix=True) if not is_clearing(c)]
    return query1(loc)


def test_aoidc_600_30_unautz_auth_relogin_then_loop_guard(authz, op, s, env):
    login(env, s, op, '/uz/')
    # within the loop window of that login a failed Require is a 403 ...
    assert status(s, env, '/uz/b/') == 403
    time.sleep(10.5)  # ... AOIDC_UNAUTZ_LOOP_WINDOW: an older session gets a new login
    # a script or a non-GET request gets the 403, as AuthOIDCUnAuthAction's rule says
    r = get(s, env.url('/uz/b/'), headers={'X-Requested-With': 'XMLHttpRequest'})
    assert r.status_code == 403 and 'Location' not in r.headers
    r = s.post(env.url('/uz/b/'), data={'a': '1'}, allow_redirects=False, timeout=30)
    assert r.status_code == 403 and 'Location' not in r.headers
    # the 403 mode is unchanged for the same old session
    assert status(s, env, '/authz/b/') == 403
    # the operator's own prompt wins
    assert relogin_start(get(s, env.url('/uzp/')), op)['prompt'] == 'consent'
    # two providers say no: one new login (one state cookie), not two
    r = get(s, env.url('/uz/any/'))
    relogin_start(r, op)
    assert len([c for c in cookies_named(r, 'aoidc_state_', prefix=True)
                if not is_clearing(c)]) == 1, r.headers
    # a browser navigation: a new login, prompt=login, back to the original URL
    r = get(s, env.url('/uz/b/?x=1'))
    q = relogin_start(r, op)
    assert q['prompt'] == 'login', q
    assert q['redirect_uri'] == env.url('/uz/redirect_uri'), q
    cb = op.login(s, r, username='alice')  # the OP shows its login form again
    r2 = get(s, cb)
    assert r2.status_code == 302 and location(r2) == env.url('/uz/b/?x=1'), \
        (r2.status_code, r2.headers)
    # the same user still lacks the claim: 403, not an endless redirect
    mark = env.log_mark()
    for _ in range(2):
        assert status(s, env, '/uz/b/?x=1') == 403
    assert env.find_log(r'AOIDC00760.*loop protection', mark), env.log_since(mark)[-10:]
    # the session is the new one: the rest of the location works
    assert status(s, env, '/uz/') == 200


def test_aoidc_600_31_unautz_auth_without_session(authz, op, s, env):
    """No session: the plain login of AuthOIDCUnAuthAction, without prompt=login."""
    q = relogin_start(get(s, env.url('/uz/any/')), op)
    assert 'prompt' not in q, q


def test_aoidc_600_33_unautz_auth_bearer_is_403(authz, op, env):
    """A bearer location has no browser to send anywhere: 403 as before."""
    tok = op.mint_jwt_at('orders:read')
    r = raw_get(env.url('/api/uz/'), headers=bearer(tok))
    assert r.status_code == 403 and 'Location' not in r.headers
    assert raw_get(env.url('/api/'), headers=bearer(tok)).status_code == 200
