"""830: the per-process session L1 across httpd children (core/l1.h).

The rest of the suite runs one child per httpd; here the server runs two
(env.TWO_CHILDREN_MPM), and every request says which child served it: an
X-L1 tag of our own, logged with the child's PID (%P) to an access log of
this file's. Each request goes on a new connection (the kernel picks the
child: SO_REUSEPORT, one listener bucket per child), and a test repeats
until both children have answered, so "every child" is checked, not assumed.

Store reads are counted with the metrics handler (the counters are summed
over the children): a request served by a child's L1 reads nothing.
"""

import itertools
import os
import re
import time

import pytest

from pyaoidc.client import cookie_header, login, new_session, raw_get, session_sid
from pyaoidc.env import TWO_CHILDREN_MPM, AoidcConf, Echo, oidc_lines
from pyaoidc.op import RealOP

LONG_TTL = 'AuthOIDCSessionCacheTTL 60'   # nothing ages out during a test
TRIES = 120                               # bound of every "until both children" loop
METRICS = ['<Location /metrics>', '    SetHandler auth-oidc-metrics',
           '    Require ip 127.0.0.1', '</Location>']
SAMPLE = re.compile(r'^aoidc_store_calls_total\{([^}]*)\} (\d+)$', re.M)
_tags = itertools.count(1)


@pytest.fixture(scope='module')
def two(env):
    """The session httpd with two children for this module, one again after."""
    env.set_mpm(TWO_CHILDREN_MPM)
    yield env
    env.set_mpm(None)


def pid_log(env):
    return os.path.join(env.logs_dir, 'l1_pids')


def conf(env, *parts):
    c = (AoidcConf(env).add(METRICS)
         .add('LogFormat "%%P %%{X-L1}i %%>s" l1pids\nCustomLog %s l1pids' % pid_log(env)))
    for prefix, op, extra, *scope in parts:
        kw = {'scope': scope[0]} if scope else {}
        c.add_location(prefix, oidc_lines(op, prefix=prefix, extra=extra, **kw))
    return c


def store_gets(env):
    """Session-store gets so far, summed over the children (and stores)."""
    r = raw_get(env.url('/metrics'))
    assert r.status_code == 200, r.status_code
    return sum(int(v) for labels, v in SAMPLE.findall(r.text)
               if 'purpose="sessions"' in labels and 'op="get"' in labels)


def refreshes(env):
    """Refreshes that succeeded so far, summed over the children."""
    r = raw_get(env.url('/metrics'))
    return sum(int(v) for v in re.findall(r'^aoidc_refreshes_total\{result="ok"\} (\d+)$',
                                          r.text, re.M))


def child_of(env, tag):
    """PID of the child that logged the request tagged `tag`."""
    rx = re.compile(r'^(\d+) %s ' % re.escape(tag), re.M)
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            m = rx.search(open(pid_log(env)).read())
        except OSError:
            m = None
        if m:
            return int(m.group(1))
        time.sleep(0.02)
    raise AssertionError('request %s not in %s' % (tag, pid_log(env)))


def hit(env, path, s):
    """One request on a new connection with s's cookies:
    (response, child PID, session-store gets it made)."""
    tag = 'l1-%d-%d' % (os.getpid(), next(_tags))
    before = store_gets(env)
    r = raw_get(env.url(path), headers={'Cookie': cookie_header(list(s.cookies.items())),
                                        'X-L1': tag})
    gets = store_gets(env) - before
    return r, child_of(env, tag), gets


def warm(env, path, s):
    """Requests until each of the two children has served the session from
    its L1 (a 200 that read nothing from the store); returns their PIDs."""
    served = {}
    for _ in range(TRIES):
        r, pid, gets = hit(env, path, s)
        assert r.status_code == 200, r.status_code
        served[pid] = served.get(pid, False) or gets == 0
        if len(served) == 2 and all(served.values()):
            return set(served)
    assert len(served) == 2, 'all %d requests went to child(ren) %s' % (TRIES, sorted(served))
    raise AssertionError('a child never served the session from its L1: %s' % served)


def refused_everywhere(env, path, s, pids, op):
    """New connections until every child in pids has answered: each answer
    is a redirect to the OP's authorization endpoint, at once."""
    seen = set()
    for _ in range(TRIES):
        r, pid, _ = hit(env, path, s)
        assert r.status_code == 302, 'child %d still serves the session (%s)' % (
            pid, r.status_code)
        md = op.metadata() if callable(op.metadata) else op.metadata   # EvilOP / RealOP
        assert r.headers['Location'].split('?')[0] == md['authorization_endpoint']
        seen.add(pid)
        if pids <= seen:
            return
    raise AssertionError('children %s never answered' % sorted(pids - seen))


def test_aoidc_830_01_local_logout_reaches_every_child(two, env, op):
    conf(env, ('/app', op, [LONG_TTL])).install()
    s = new_session()
    login(env, s, op, '/app/')
    pids = warm(env, '/app/', s)
    r, pid, _ = hit(env, '/app/redirect_uri?logout=%2Floggedout.html', s)
    assert r.status_code == 302, r.status_code
    assert pid in pids
    refused_everywhere(env, '/app/', s, pids, op)


def test_aoidc_830_02_backchannel_logout_reaches_every_child(two, env, evil):
    conf(env, ('/evil', evil, [LONG_TTL], 'openid email')).install()
    s = new_session()
    login(env, s, evil, '/evil/')
    sid = session_sid(env, s, '/evil')
    pids = warm(env, '/evil/', s)
    r = evil.post_logout_token(env.url('/evil/redirect_uri?logout=backchannel'),
                               evil.logout_token(sid=sid))
    assert r.status_code == 200, '%s %s' % (r.status_code, r.text[:300])
    refused_everywhere(env, '/evil/', s, pids, evil)


def test_aoidc_830_03_ttl_0_reads_the_store_every_time(two, env, op):
    """AuthOIDCSessionCacheTTL 0 at /app2: every request of the session
    reads the store, in either child; /app (TTL 60) on the same server is
    served from the L1."""
    conf(env, ('/app', op, [LONG_TTL]),
         ('/app2', op, ['AuthOIDCSessionCacheTTL 0'])).install()
    s = new_session()
    login(env, s, op, '/app2/')
    seen = set()
    for _ in range(TRIES):
        r, pid, gets = hit(env, '/app2/', s)
        assert r.status_code == 200, r.status_code
        assert gets == 1, 'child %d: %d store gets' % (pid, gets)
        seen.add(pid)
        if len(seen) == 2:
            break
    assert len(seen) == 2, seen
    s2 = new_session()
    login(env, s2, op, '/app/')
    warm(env, '/app/', s2)


def test_aoidc_830_04_idle_session_not_served_from_l1(two, env, op):
    """Past AuthOIDCSessionInactivityTimeout a session ends, even in a child
    whose L1 holds it (and would for 60 s more). Two guards stand in the way
    (a touch is due long before the timeout, and the hit checks the
    session's limits): the test fails only with both gone."""
    conf(env, ('/app', op, [LONG_TTL, 'AuthOIDCSessionInactivityTimeout 5'])).install()
    s = new_session()
    login(env, s, op, '/app/')
    pids = warm(env, '/app/', s)
    time.sleep(5.5)
    refused_everywhere(env, '/app/', s, pids, op)
    env.assert_reason('session_expired')


@pytest.fixture(scope='module')
def op_short(env):
    o = RealOP(at_ttl=3, redirect_uris=env.redirect_uris(),
               post_logout_uris=env.post_logout_uris(),
               log_path=os.path.join(env.logs_dir, 'op-short-830.log'))
    o.start()
    yield o
    o.stop()


def test_aoidc_830_05_refresh_by_one_child_seen_by_the_other(two, env, op_short):
    """The access token expires (3 s at this OP); the first child to serve the
    session then refreshes it, and the other child passes the new token on
    without a refresh of its own (one refresh in all). The other child's
    entry is due for refresh itself, so what keeps it from serving the old
    token is that check on the L1 hit path, not the shared counters (those
    are what 830_01 and 830_02 prove)."""
    conf(env, ('/sess', op_short, [LONG_TTL, 'AuthOIDCPassAccessToken on'])).install()
    s = new_session()
    login(env, s, op_short, '/sess/')
    pids = warm(env, '/sess/echo/', s)
    r, _, _ = hit(env, '/sess/echo/', s)
    at1 = Echo(r).value('OIDC_access_token')
    time.sleep(3.5)
    n0 = refreshes(env)
    r, first, _ = hit(env, '/sess/echo/', s)
    assert r.status_code == 200, r.status_code
    at2 = Echo(r).value('OIDC_access_token')
    assert at2 != at1
    assert refreshes(env) == n0 + 1
    (other,) = pids - {first}
    for _ in range(TRIES):
        r, pid, _ = hit(env, '/sess/echo/', s)
        assert r.status_code == 200, r.status_code
        assert Echo(r).value('OIDC_access_token') == at2, 'child %d' % pid
        if pid == other:
            break
    else:
        raise AssertionError('child %d never answered' % other)
    assert refreshes(env) == n0 + 1, 'the other child refreshed again'


def test_aoidc_830_06_session_past_max_duration_not_served_from_l1(two, env, op):
    """Past AuthOIDCSessionMaxDuration a session ends in a child whose L1
    holds it. Unlike 830_04 no touch is due here (the default inactivity
    gives a 60 s touch interval), so only the L1 hit's own check of the
    session's limits stands between the stale entry and the answer."""
    conf(env, ('/app', op, [LONG_TTL, 'AuthOIDCSessionMaxDuration 4'])).install()
    s = new_session()
    t0 = time.time()
    login(env, s, op, '/app/')
    pids = warm(env, '/app/', s)
    time.sleep(max(0, t0 + 5 - time.time()))
    refused_everywhere(env, '/app/', s, pids, op)
    env.assert_reason('session_expired')
