"""340: a 12 KB groups claim in the ID Token (a 17 KB ID Token): the login
works, the backend sees the groups and `Require claim` matches them, and
the Cookie header stays small with a server-side store; the cookie store
leaves the claim out and says so (docs/directives.md "Large claims")."""

import json
import re

import pytest

from pyaoidc.client import (authenticate, cookies_named, get, is_clearing, location, login,
                            query1, start_login)
from pyaoidc.env import AoidcConf, Echo, oidc_lines
from test_800_stores import redis  # noqa: F401 (the redis-server fixture)

HUGE = 'hugegroups'  # the test OP puts 950 groups into this user's ID Token
GROUPS = ['group-%04d' % i for i in range(950)]


def lc_conf(env, op, store):
    lines = oidc_lines(op, prefix='/lc', extra=['AuthOIDCSessionStore %s' % store])
    return (AoidcConf(env)
            .add_location('/lc', lines)
            .add_location('/lc/a', ['Require claim groups:group-0949'])
            .add_location('/lc/b', ['Require claim groups:group-0950']))


def id_token_len(env):
    """The ID Token's length from the info line of the login (AOIDC00762)."""
    hits = env.find_log(r'AOIDC00762: login: the ID Token \((\d+) bytes\) is over 16384')
    assert hits, env.log_since()[-20:]
    return int(re.search(r'\((\d+) bytes\)', hits[-1]).group(1))


@pytest.mark.expect_log(r'AH01631: user hugegroups: authorization failure')
@pytest.mark.parametrize('store', ['shm', 'redis'])
def test_aoidc_340_01_12k_groups_id_token_server_side(env, op, s, store, request):
    if store == 'redis':
        store = 'redis://127.0.0.1:%d' % request.getfixturevalue('redis')
    lc_conf(env, op, store).install()
    r = login(env, s, op, '/lc/', user=HUGE)
    assert r.status_code == 200
    assert id_token_len(env) > 16384
    r = get(s, env.url('/lc/echo/'))
    assert r.status_code == 200, r.text[:300]
    e = Echo(r)
    assert e.value('OIDC_CLAIM_sub') == HUGE
    groups = e.value('OIDC_CLAIM_groups')
    assert len(groups) > 12000 and json.loads(groups) == GROUPS
    # what the browser sends, and what the backend gets, stay small
    assert len(r.request.headers['Cookie']) < 4096, r.request.headers['Cookie']
    assert len(''.join(e.values('Cookie'))) < 4096
    # Require claim sees every group
    assert get(s, env.url('/lc/a/')).status_code == 200
    assert get(s, env.url('/lc/b/')).status_code == 403
    # the token was too long to keep: logout asks the OP without the hint
    r = get(s, env.url('/lc/redirect_uri?logout=/loggedout.html'))
    assert r.status_code == 302
    q = query1(location(r))
    assert location(r).startswith(op.metadata['end_session_endpoint'])
    assert 'id_token_hint' not in q and q['client_id'], q
    assert get(s, env.url('/lc/')).status_code == 302


@pytest.mark.expect_log(r'AOIDC00550: login: the session did not fit its cookies')
def test_aoidc_340_02_12k_groups_id_token_cookie_store(env, op, s):
    """The cookie store cannot carry 12 KB of groups: they are left out
    (logged at warn), the login works, the other claims reach the backend."""
    lc_conf(env, op, 'cookie').install()
    cb = get(s, authenticate(op, s, start_login(env, s, '/lc/'), user=HUGE))
    assert cb.status_code == 302 and location(cb) == env.url('/lc/'), cb.headers
    assert id_token_len(env) > 16384
    chunks = [c for c in cookies_named(cb, 'aoidc_session_', prefix=True) if not is_clearing(c)]
    assert chunks and sum(len(v) for _, v, _ in chunks) <= 6144, chunks
    assert env.find_log(r'AOIDC00550: .*left out.*[1-9][0-9]* claim')
    e = Echo(get(s, env.url('/lc/echo/')))
    assert e.value('OIDC_CLAIM_sub') == HUGE
    assert e.value('OIDC_CLAIM_email') == 'hugegroups@example.com'
    assert not e.like('OIDC_CLAIM_groups')
    assert len(''.join(e.values('Cookie'))) < 4096
