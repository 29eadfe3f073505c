"""822: two httpd nodes sharing a Redis store under faults (issue 15):
a Sentinel failover, a 3-master Cluster, Redis killed and restarted, a
back-channel logout posted to one node, a refresh race across both nodes,
both nodes restarted, and a store dump that shows nothing readable.

Servers from pyaoidc/stores.py, all on 127.0.0.1; the two-node login of
test_820 (check_two_nodes) and the logout helpers of test_710."""

import concurrent.futures
import os
import re
import threading
import time

import pytest

from pyaoidc import stores
from pyaoidc.client import (L1_TTL, cookie_header, cookies_named, get, is_clearing, jar_value,
                            location, login, new_session, raw_get, session_alive,
                            session_ends_within, wait_out_l1)
from pyaoidc.env import INTEGRATION_DIR, AoidcConf, INDEX_MARK, oidc_lines
from pyaoidc.op import free_port
from test_710_backchannel import assert_refused, bc_url, evil_login
from test_820_multinode import (assert_opaque, check_two_nodes, install_both, served,
                                store_secrets)

COOKIE = 'aoidc_session'
REQ_TIMEOUT = 15            # every client request of this file is bounded
UNAVAILABLE = r'AOIDC\d+: oidc /sess/: reason=store_unavailable'


@pytest.fixture(scope='module')
def redis_root():
    stores.require_binaries()
    root = os.path.join(INTEGRATION_DIR, 'gen', 'redis822')
    os.makedirs(root, exist_ok=True)
    os.chmod(root, 0o755)
    yield root
    stores.stop_all()


@pytest.fixture(scope='module')
def plain(redis_root):
    r = stores.RedisServer(redis_root, 'plain').start()
    yield r
    r.stop()


def with_cookie(node, cookie, path='/sess/'):
    return raw_get(node.url(path), headers={'Cookie': cookie_header([(COOKIE, cookie)])},
                   timeout=REQ_TIMEOUT)


def ok_page(r):
    return r.status_code == 200 and INDEX_MARK in r.text


def wait_served(nodes, cookie, timeout, path='/sess/', allowed=(503,)):
    """Poll until the cookie gets 200 on every node; any status other than
    200 or `allowed` on the way fails. Returns the seconds it took."""
    t0 = time.time()
    for n in nodes:
        while True:
            r = with_cookie(n, cookie, path)
            if ok_page(r):
                break
            assert r.status_code in allowed, (n.name, r.status_code, r.text[:200])
            assert time.time() - t0 < timeout, '%s: still %s after %.1f s' % (
                n.name, r.status_code, time.time() - t0)
            time.sleep(0.1)
    return time.time() - t0


def error_lines(node, pattern, mark):
    return [ln for ln in node.log_since(mark) if re.search(pattern, ln)
            and re.match(r'^\[[^\]]*\] \[[^:\]]*:(error|warn|crit)\]', ln)]


class Hammer:
    """Requests with one cookie, alternating over the nodes, until stop()
    (bounded to 60 s): every (node, status, Retry-After) is kept."""

    def __init__(self, nodes, cookie):
        self.nodes, self.cookie = nodes, cookie
        self.seen = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        deadline, i = time.time() + 60, 0
        while not self.done.is_set() and time.time() < deadline:
            n = self.nodes[i % len(self.nodes)]
            i += 1
            try:
                r = with_cookie(n, self.cookie)
                self.seen.append((n.name, r.status_code, r.headers.get('Retry-After'),
                                  INDEX_MARK in r.text))
            except Exception as e:      # noqa: BLE001 (a reset is a finding too)
                self.seen.append((n.name, repr(e), None, False))
            time.sleep(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(REQ_TIMEOUT + 5)

    def bad(self):
        return [x for x in self.seen
                if not ((x[1] == 200 and x[3]) or (x[1] == 503 and x[2]))]


# ------------------------------------------------------------------ 1 Sentinel

@pytest.mark.expect_log(UNAVAILABLE)
def test_aoidc_822_01_sentinel_failover(nodes, op, s, redis_root):
    """Login on A served on B through Sentinel; then the master is killed
    (SIGKILL) and the sentinels promote the replica: while that happens
    every answer is 200 or 503 with Retry-After (never 500/502, never a
    reset), both nodes serve the same cookie again within 10 s of the
    sentinels naming the new master, and a new login is written there."""
    # one sentinel: no vote between sentinels, so the promotion takes a
    # steady few seconds; the URL names a dead sentinel first
    ss = stores.SentinelSet(redis_root, n_sentinels=1, name='sentinel822').start()
    try:
        check_two_nodes(nodes, op, s, ss.url(first_dead_port=free_port()), dump=ss.master.dump)
        cookie = jar_value(s, COOKIE)
        # the replica has every write before the switch (replication is async)
        assert int(ss.master.cli('WAIT', '1', '5000')) == 1
        old = ss.master_port()
        assert old == ss.master.port
        with Hammer(nodes, cookie) as h:
            stores.wait_for(lambda: len(h.seen) >= 4, 10, 'requests before the kill')
            ss.master.kill()
            t0 = time.time()
            stores.wait_for(lambda: ss.master_port() == ss.replica.port, 30, 'the new master')
            t_new = time.time() - t0
            stores.wait_for(lambda: ss.replica.cli('ROLE').startswith('master'), 10,
                            'the replica in the master role')
            took = wait_served(nodes, cookie, 10)
            n_down = sum(1 for x in h.seen if x[1] == 503)
            seen_at_recovery = len(h.seen)
            stores.wait_for(lambda: len(h.seen) >= seen_at_recovery + 4, 10,
                            'requests after the recovery')
        print('master killed; sentinels named the replica after %.1f s; served on both '
              '%.1f s later; %d requests, %d x 503' % (t_new, took, len(h.seen), n_down))
        assert not h.bad(), h.bad()[:5]
        # the outage is logged once per 10 s and node, not per 503
        for n in nodes:
            lines = error_lines(n, r'reason=store_unavailable', None)
            assert len(lines) <= 2 + (t_new + took) / 10, (n.name, len(lines), n_down)
        assert n_down, 'no 503 while the master was gone: the failover was not observed'
        # after the switch nothing but 200
        assert all(x[1] == 200 for x in h.seen[seen_at_recovery:]), h.seen[seen_at_recovery:]
        # writes reach the new master: a login on A (the RealOP knows only
        # A's redirect URIs), served on B
        before = int(ss.replica.cli('DBSIZE'))
        s2 = new_session()
        assert ok_page(login(nodes[0], s2, op, '/sess/'))
        ok, r = served(nodes[1], s2)
        assert ok, r.status_code
        assert int(ss.replica.cli('DBSIZE')) > before
    finally:
        ss.stop()


# ------------------------------------------------------------------ 2 Cluster

def test_aoidc_822_02_cluster_login_and_logout(nodes, op, s, redis_root):
    """A 3-master Cluster: login on A served on B, both restarted; the
    logout on B ends the session on A too (same cookie: 302 to the OP)."""
    c = stores.Cluster(redis_root, name='cluster822').start()
    try:
        a, b = nodes
        check_two_nodes(nodes, op, s, c.url(),
                        dump=lambda: [kv for n in c.nodes for kv in n.dump()])
        cookie = jar_value(s, COOKIE)
        per_node = [int(n.cli('DBSIZE')) for n in c.nodes]
        assert sum(per_node) > 0, per_node
        r = get(s, b.url('/sess/redirect_uri?logout=/loggedout.html'))
        assert r.status_code == 302, r.status_code
        assert any(is_clearing(x) for x in cookies_named(r, COOKIE)), r.headers
        # B took the logout: every process of B at once; A within the L1's TTL
        t0 = time.time()
        for n in (b, a):
            while True:
                r = with_cookie(n, cookie)
                if n is b or r.status_code != 200 or time.time() - t0 > L1_TTL + 1.0:
                    break
                time.sleep(0.1)
            assert r.status_code == 302, (n.name, r.status_code)
            assert location(r).startswith(op.metadata['authorization_endpoint']), location(r)
    finally:
        c.stop()


# ------------------------------------------------------------------ 3 killed

@pytest.mark.expect_log(UNAVAILABLE)
def test_aoidc_822_03_redis_killed_and_restarted(nodes, op, s, redis_root):
    """Redis SIGKILLed and started again on the same port with the same data
    dir (appendonly yes, appendfsync always: the session survives). While it
    is down: 503 + Retry-After within AuthOIDCStoreTimeout + margin, the
    cookie is kept, public pages and the login start are served, and each
    node logs the outage once, not once per request. Back: the same cookie
    works on both nodes, httpd not restarted."""
    timeout_ms = 300
    r = stores.RedisServer(redis_root, 'aof', args=[
        '--appendonly', 'yes', '--appendfsync', 'always']).start()
    spec = 'redis://127.0.0.1:%d' % r.port
    # force: each node starts afresh (no earlier outage in its memory)
    install_both(nodes, op, spec, ['AuthOIDCStoreTimeout %d' % timeout_ms])
    assert ok_page(login(nodes[0], s, op, '/sess/'))
    ok, resp = served(nodes[1], s)
    assert ok, resp.status_code
    cookie = jar_value(s, COOKIE)
    pids = [n.proc.pid for n in nodes]
    marks = [n.log_mark() for n in nodes]
    r.kill()
    wait_out_l1()  # a session read within the L1's TTL is still served
    per_node = 8
    try:
        for n in nodes:
            for _ in range(per_node):
                t0 = time.time()
                resp = with_cookie(n, cookie)
                elapsed = time.time() - t0
                assert resp.status_code == 503 and resp.headers.get('Retry-After'), \
                    (n.name, resp.status_code, resp.headers)
                # generous margin: the ASan build and a loaded CI host
                assert elapsed < timeout_ms / 1000 + 1.5, elapsed
                assert not cookies_named(resp, COOKIE), resp.headers.get('Set-Cookie')
                assert 'Location' not in resp.headers
            pub = raw_get(n.url('/index.html'), timeout=REQ_TIMEOUT)
            assert ok_page(pub), pub.status_code
            # no cookie: the store is never touched, the login starts
            start = raw_get(n.url('/sess/'), timeout=REQ_TIMEOUT)
            assert start.status_code == 302, start.status_code
            assert location(start).startswith(op.metadata['authorization_endpoint'])
        for n, m in zip(nodes, marks):
            lines = error_lines(n, r'reason=store_unavailable', m)
            assert len(lines) == 1, '%s: %d error lines for %d failed requests:\n%s' % (
                n.name, len(lines), per_node, '\n'.join(lines[:4]))
    finally:
        r.start()
    assert int(r.cli('DBSIZE')) > 0, 'nothing persisted: the test proves nothing'
    took = wait_served(nodes, cookie, 10)
    print('served again %.1f s after the restart' % took)
    assert [n.proc.pid for n in nodes] == pids, 'httpd was restarted'
    for n in nodes:
        assert n.running


# ------------------------------------------------------------------ EvilOP on /evil

def evil_conf(node, evil, plain):
    return AoidcConf(node).add_location('/evil', oidc_lines(
        evil, prefix='/evil', scope='openid email', extra=[
            'AuthOIDCSessionStore redis://127.0.0.1:%d' % plain.port,
            'AuthOIDCPassAccessToken on']))


@pytest.fixture
def evil_nodes(nodes, evil, plain):
    for n in nodes:
        evil_conf(n, evil, plain).install()
    return nodes


def test_aoidc_822_04_backchannel_reaches_other_node(evil_nodes, evil):
    """A logout token posted to A ends the session on B; the same token
    posted to B is a replay (400): the jti is single use across nodes.
    Another session of the same user (other sid) stays."""
    a, b = evil_nodes
    s, sid = evil_login(a, evil)
    s2, _ = evil_login(a, evil)
    assert session_alive(b, s, '/evil/') and session_alive(b, s2, '/evil/')
    tok = evil.logout_token(sid=sid)
    r = evil.post_logout_token(bc_url(a), tok)
    assert r.status_code == 200, '%s %s' % (r.status_code, r.text[:300])
    # A took the logout: every process of A at once; B within the L1's TTL
    assert not session_alive(a, s, '/evil/')
    session_ends_within(b, s, '/evil/')
    mark = b.log_mark()
    assert_refused(evil.post_logout_token(bc_url(b), tok), tok)
    b.assert_reason('logout_replay', mark=mark)
    # B takes a fresh token with the same claims: the refusal was the jti
    r = evil.post_logout_token(bc_url(b), evil.logout_token(sid=sid))
    assert r.status_code == 200, '%s %s' % (r.status_code, r.text[:300])
    assert session_alive(b, s2, '/evil/') and session_alive(a, s2, '/evil/')


def burst(nodes, cookie, n):
    """n requests with the cookie, i-th on node i % 2, each on its own
    connection, released at once."""
    gate = threading.Barrier(n)

    def one(i):
        gate.wait(REQ_TIMEOUT)
        return with_cookie(nodes[i % len(nodes)], cookie, '/evil/')
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_aoidc_822_05_one_refresh_across_nodes(evil_nodes, evil, s, plain):
    """10 parallel requests over both nodes at access-token expiry: exactly
    one refresh grant at the OP, all 10 served. The OP rotates refresh
    tokens and refuses a used one, so a second node refreshing with the old
    token would end the session; a second round proves the rotated token
    was stored for both nodes. The store dump holds none of the tokens."""
    a, b = evil_nodes
    expires_in = 2
    # a refresh takes 0.5 s at the OP: the other requests arrive meanwhile
    evil.set_mode('refresh_rotate', expires_in=expires_in, delay=0.5)
    assert ok_page(login(a, s, evil, '/evil/'))
    t_login = time.time()
    cookie = jar_value(s, COOKIE)
    ok, r = served(b, s, '/evil/')
    assert ok, r.status_code
    assert evil.grants['refresh_token'] == 0, evil.grants
    for rnd in (1, 2):
        # the access token has expired (it lives expires_in seconds)
        time.sleep(max(0, t_login + expires_in + 0.3 - time.time()))
        out = burst(evil_nodes, cookie, 10)
        t_login = time.time()
        bad = [(i % 2, x.status_code, x.headers.get('Location', '')[:60])
               for i, x in enumerate(out) if not ok_page(x)]
        assert not bad, 'round %d: %d of 10 not served: %s' % (rnd, len(bad), bad[:4])
        cleared = [c for x in out for c in cookies_named(x, COOKIE) if is_clearing(c)]
        assert not cleared, cleared
        assert evil.grants['refresh_token'] == rnd, (
            'round %d: %d refresh grants at the OP' % (rnd, evil.grants['refresh_token']))
    secrets = store_secrets(b, s, '/evil')
    with evil._lock:
        secrets += list(evil._refresh) + list(evil._tokens)
    assert_opaque(plain.dump(), secrets)


# ------------------------------------------------------------------ 6 restart both

def test_aoidc_822_06_both_nodes_down_and_back(nodes, op, s, plain):
    """Both nodes stopped at once (no node keeps anything), then both
    started: the same cookie is served on both; no sub, email, sid, access
    token or cookie part is readable in a dump of the store."""
    plain.command('FLUSHALL')
    a, b = nodes
    install_both(nodes, op, 'redis://127.0.0.1:%d' % plain.port, ['AuthOIDCPassAccessToken on'])
    assert ok_page(login(a, s, op, '/sess/'))
    ok, r = served(b, s)
    assert ok, r.status_code
    cookie = jar_value(s, COOKIE)
    for n in nodes:
        n.stop()
    assert not any(n.running or stores.port_open(n.port) for n in nodes)
    for n in nodes:
        n.start()
    for n in nodes:
        r = with_cookie(n, cookie)
        assert ok_page(r), (n.name, r.status_code)
    assert_opaque(plain.dump(), store_secrets(b, s))
