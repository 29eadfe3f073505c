"""600: authorization: `Require claim NAME:VALUE` and `Require scope VALUE`,
alone and inside <RequireAll>/<RequireAny>."""

import pytest

from pyaoidc.client import bearer, get, location, login, raw_get
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
