"""810: the native Redis store (core/store_redis.c) against real Debian
redis-server and redis-sentinel on loopback, through test/tools/store_check
(the core alone, no httpd): plain, requirepass, ACL user, SELECT, TLS with
client certificates, a stopped and a restarted server, atomic add across
processes, Sentinel with a forced failover, and a 3-master Cluster with
MOVED and ASK."""

import os
import re
import shutil
import tempfile
import time

import pytest

from pyaoidc import stores
from pyaoidc.op import free_port
from pyaoidc.stores import (Cluster, RedisServer, SentinelSet, StoreCheck, make_tls,
                            run_check)

PASSWORD = 'p:w@d/%x'       # needs percent-encoding in a URL
PASSWORD_URL = 'p%3Aw%40d%2F%25x'


@pytest.fixture(scope='module')
def root():
    stores.require_binaries()
    stores.store_check_exe()
    d = tempfile.mkdtemp(prefix='aoidc-810-')
    yield d
    stores.stop_all()
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope='module')
def plain(root):
    r = RedisServer(root, 'plain').start()
    yield r
    r.stop()


@pytest.fixture(scope='module')
def tls(root):
    t = make_tls(root)
    r = RedisServer(root, 'tls', tls=t).start()
    yield r
    r.stop()


@pytest.fixture(scope='module')
def cluster(root):
    c = Cluster(root).start()
    yield c
    c.stop()


def url(r, auth='', db=''):
    return 'redis://%s127.0.0.1:%d%s' % (auth, r.port, db)


def contract_ok(u, *opts):
    r = run_check(u, *(list(opts) + ['contract']))
    assert r.returncode == 0 and 'not ok' not in r.stdout, r.stdout + r.stderr
    assert '1..32' in r.stdout, r.stdout
    return r


def tls_opts(t, client=True, ca=None, servername=None):
    o = ['--tls-ca', ca or t['ca']]
    if client:
        o += ['--tls-cert', t['client_cert'], '--tls-key', t['client_key']]
    if servername:
        o += ['--servername', servername]
    return o


def test_aoidc_810_01_plain_contract(plain):
    contract_ok(url(plain))
    r = run_check(url(plain), 'describe')
    assert r.stdout.strip() == 'redis://127.0.0.1:%d' % plain.port


def test_aoidc_810_02_requirepass(root):
    r = RedisServer(root, 'pw', args=['--requirepass', PASSWORD]).start()
    try:
        contract_ok(url(r, ':%s@' % PASSWORD_URL))
        # AuthOIDCStorePassword overrides what the URL says
        contract_ok(url(r, ':wrong@'), '--password', PASSWORD)
        for bad in (url(r), url(r, ':wrong@'), url(r, 'default:wrong@')):
            out = run_check(bad, 'set', 'k', 'v')
            assert out.returncode == 1 and out.stdout.startswith('DOWN'), out.stdout
            assert 'wrong' not in out.stdout + out.stderr
        assert r.cli('DBSIZE') != '0'
    finally:
        r.stop()


def test_aoidc_810_03_acl_user(root):
    r = RedisServer(root, 'acl', acl=('alice', PASSWORD)).start()
    try:
        contract_ok(url(r, 'alice:%s@' % PASSWORD_URL))
        for bad in (url(r, 'alice:nope@'), url(r, 'bob:%s@' % PASSWORD_URL),
                    url(r, ':%s@' % PASSWORD_URL)):
            out = run_check(bad, 'get', 'k')
            assert out.returncode == 1 and out.stdout.startswith('DOWN'), (bad, out.stdout)
    finally:
        r.stop()


def test_aoidc_810_04_select_db(plain):
    out = run_check(url(plain, db='/5'), 'set', 'dbkey', 'v5')
    assert out.stdout.startswith('SUCCESS'), out.stdout
    rk = run_check(url(plain), 'key', 'dbkey').stdout.split()[2]
    assert plain.cli('-n', '5', 'EXISTS', rk) == '1'
    assert plain.cli('-n', '0', 'EXISTS', rk) == '0'
    assert run_check(url(plain, db='/5'), 'get', 'dbkey').stdout.split()[2] == 'v5'
    assert run_check(url(plain), 'get', 'dbkey').stdout.startswith('NOTFOUND')


def test_aoidc_810_05_tls_mutual(tls):
    t = tls.tls
    u = 'rediss://127.0.0.1:%d' % tls.port
    contract_ok(u, *tls_opts(t))
    contract_ok(u.replace('127.0.0.1', 'localhost'), *tls_opts(t))
    contract_ok(u, *tls_opts(t, servername='localhost'))
    assert '(tls)' in run_check(u, *(tls_opts(t) + ['describe'])).stdout


def test_aoidc_810_06_tls_refusals(tls):
    t = tls.tls
    u = 'rediss://127.0.0.1:%d' % tls.port
    cases = {
        'wrong CA': tls_opts(t, ca=t['other_ca']),
        'no client certificate': tls_opts(t, client=False),
        'name not in the certificate': tls_opts(t, servername='redis.example'),
    }
    for what, opts in cases.items():
        t0 = time.time()
        out = run_check(u, *(opts + ['--timeout-ms', '2000', 'set', 'k', 'v']))
        assert out.returncode == 1 and out.stdout.startswith('DOWN'), (what, out.stdout)
        assert time.time() - t0 < 2.5, what
    # plain text to a TLS port is no answer either
    out = run_check('redis://127.0.0.1:%d' % tls.port, '--timeout-ms', '300', 'get', 'k')
    assert out.stdout.startswith('DOWN'), out.stdout
    # an unreadable CA is a configuration error, said at once
    out = run_check(u, '--tls-ca', '/nonexistent/ca.pem', 'get', 'k')
    assert out.returncode == 2 and '/nonexistent/ca.pem' in out.stderr


@pytest.mark.parametrize('kind', ['plain', 'tls'])
def test_aoidc_810_07_stopped_server_times_out(root, kind):
    t = make_tls(root) if kind == 'tls' else None
    r = RedisServer(root, 'stop-' + kind, tls=t).start()
    u = ('rediss' if t else 'redis') + '://127.0.0.1:%d' % r.port
    opts = (tls_opts(t) if t else []) + ['--timeout-ms', '300']
    sc = StoreCheck(u, *opts)
    try:
        assert sc.cmd('set a 1')[0] == 'SUCCESS'
        r.pause()
        for line in ('get a', 'set b 2', 'add c 3', 'sadd d m'):
            status, ms, _ = sc.cmd(line, timeout=5)
            assert status.startswith('DOWN'), (line, status)
            assert ms <= 300 + 200, (line, ms)
        # a fresh process (new connection: connect and TLS handshake) too
        t0 = time.time()
        out = run_check(u, *(opts + ['get', 'a']), timeout=10)
        assert out.stdout.startswith('DOWN') and time.time() - t0 < 1.5, out.stdout
        r.resume()
        # after the backoff (at most 1 s) the same store answers again
        deadline = time.time() + 5
        while sc.cmd('get a')[0] != 'SUCCESS':
            assert time.time() < deadline, 'no recovery after SIGCONT'
            time.sleep(0.1)
        assert sc.cmd('get a')[2] == '1'
    finally:
        sc.close()
        r.stop()


def test_aoidc_810_08_killed_and_restarted(root):
    r = RedisServer(root, 'restart').start()
    sc = StoreCheck(url(r), '--timeout-ms', '300')
    try:
        assert sc.cmd('set k before')[0] == 'SUCCESS'
        r.kill()
        status, ms, _ = sc.cmd('get k')
        assert status.startswith('DOWN') and ms <= 500, (status, ms)
        r.start()
        deadline, seen = time.time() + 5, []
        while True:
            status, _, _ = sc.cmd('set k after')
            seen.append(status)
            if status == 'SUCCESS':
                break
            assert time.time() < deadline, 'never reconnected: %s' % seen
            time.sleep(0.1)
        assert sc.cmd('get k')[2] == 'after'
    finally:
        sc.close()
        r.stop()


def test_aoidc_810_09_add_is_atomic_across_processes(plain):
    """4 processes x 16 threads add one key at the same instant."""
    import subprocess
    name = 'race-%d' % os.getpid()
    at = int((time.time() + 1.0) * 1000)
    procs = [subprocess.Popen([stores.store_check_exe(), url(plain), 'race', '16', name,
                               str(at)], stdout=subprocess.PIPE, text=True,
                              env=stores.check_env())
             for _ in range(4)]
    wins = 0
    for p in procs:
        out, _ = p.communicate(timeout=30)
        m = re.search(r'wins (\d+) of 16', out)
        assert m and 'not ok' not in out, out
        wins += int(m.group(1))
    assert wins == 1


def test_aoidc_810_10_sentinel(root):
    ss = SentinelSet(root, n_sentinels=2).start()
    sc = None
    try:
        contract_ok(ss.url())
        # the first sentinel listed is dead: the next one answers
        contract_ok(ss.url(first_dead_port=free_port()))
        sc = StoreCheck(ss.url(), '--timeout-ms', '500')
        assert sc.cmd('set before-failover 1')[0] == 'SUCCESS'
        old, new = ss.failover()
        # a forced failover: until the sentinels demote the old master it
        # still takes writes (and loses them at resync); from then on every
        # write must reach the new master
        oldsrv = ss.master if old == ss.master.port else ss.replica
        stores.wait_for(lambda: oldsrv.cli('ROLE').startswith('slave'), 20,
                        'old master demoted')
        t0, seen = time.time(), []
        while True:
            status, _, _ = sc.cmd('set after-failover 2')
            seen.append(status)
            if status == 'SUCCESS':
                break
            assert time.time() - t0 < 10, 'no writes after the failover: %s' % seen
            time.sleep(0.1)
        # the write went to the new master
        rk = run_check(ss.url(), 'key', 'after-failover').stdout.split()[2]
        newsrv = ss.replica if new == ss.replica.port else ss.master
        assert newsrv.cli('EXISTS', rk) == '1'
        assert newsrv.cli('ROLE').startswith('master')
        assert sc.cmd('get before-failover')[2] == '1'
    finally:
        if sc:
            sc.close()
        ss.stop()


def test_aoidc_810_11_cluster_contract(cluster):
    contract_ok(cluster.url())
    # a dead seed first: the next seed gives the slot map
    contract_ok('redis-cluster://127.0.0.1:%d,127.0.0.1:%d' % (free_port(),
                                                                cluster.nodes[1].port))
    sc = StoreCheck(cluster.url())
    try:
        for i in range(40):
            assert sc.cmd('set spread-%d v' % i)[0] == 'SUCCESS'
        counts = [int(r.cli('DBSIZE')) for r in cluster.nodes]
        assert all(c > 0 for c in counts), counts   # keys on every master
        for i in range(40):
            assert sc.cmd('get spread-%d' % i)[2] == 'v'
        # our slot is the server's
        rk, slot = sc.cmd('key spread-0')[2].split()
        assert cluster.nodes[0].cli('CLUSTER', 'KEYSLOT', rk) == slot
    finally:
        sc.close()


def _slot_of(sc, name):
    rk, slot = sc.cmd('key ' + name)[2].split()
    return rk, int(slot)


def _other(cluster, r):
    return next(n for n in cluster.nodes if n is not r)


def test_aoidc_810_12_cluster_moved(cluster):
    """A slot moves while the store holds its slot map: MOVED is followed
    (and the map updated), with only one seed in the URL."""
    sc = StoreCheck(cluster.url(cluster.nodes[:1]))
    try:
        assert sc.cmd('set moving v1')[0] == 'SUCCESS'
        rk, slot = _slot_of(sc, 'moving')
        src = cluster.owner(slot)
        dst = _other(cluster, src)
        sid, did = cluster.node_id(src), cluster.node_id(dst)
        assert dst.cli('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sid) == 'OK'
        assert src.cli('CLUSTER', 'SETSLOT', slot, 'MIGRATING', did) == 'OK'
        assert src.cli('MIGRATE', '127.0.0.1', dst.port, '', 0, 5000, 'KEYS', rk) == 'OK'
        for n in cluster.nodes:
            assert n.cli('CLUSTER', 'SETSLOT', slot, 'NODE', did) == 'OK'
        assert src.cli('CLUSTER', 'COUNTKEYSINSLOT', slot) == '0'
        assert dst.cli('CLUSTER', 'COUNTKEYSINSLOT', slot) == '1'
        status, _, val = sc.cmd('get moving')
        assert (status, val) == ('SUCCESS', 'v1')
        assert sc.cmd('set moving v2')[0] == 'SUCCESS'
        assert dst.cli('GET', rk) == 'v2'
    finally:
        sc.close()


def test_aoidc_810_13_cluster_ask(cluster):
    """A slot half-way through migration: keys the source does not have are
    answered with ASK, and the store asks the target (ASKING) for that one
    query; a MULTI/EXEC batch (sadd) included."""
    sc = StoreCheck(cluster.url())
    try:
        rk, slot = _slot_of(sc, 'g/askgrp/kv')
        assert _slot_of(sc, 'g/askgrp/set')[1] == slot     # one group, one slot
        assert sc.cmd('del g/askgrp/kv')[0] == 'SUCCESS'
        src = cluster.owner(slot)
        dst = _other(cluster, src)
        sid, did = cluster.node_id(src), cluster.node_id(dst)
        assert dst.cli('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sid) == 'OK'
        assert src.cli('CLUSTER', 'SETSLOT', slot, 'MIGRATING', did) == 'OK'
        try:
            assert sc.cmd('set g/askgrp/kv a1')[0] == 'SUCCESS'
            assert sc.cmd('sadd g/askgrp/set m1')[0] == 'SUCCESS'
            assert src.cli('CLUSTER', 'COUNTKEYSINSLOT', slot) == '0'
            assert dst.cli('CLUSTER', 'COUNTKEYSINSLOT', slot) == '2'
            status, _, val = sc.cmd('get g/askgrp/kv')
            assert (status, val) == ('SUCCESS', 'a1')
            assert sc.cmd('smembers g/askgrp/set')[2] == 'm1'
        finally:
            for n in cluster.nodes:
                n.cli('CLUSTER', 'SETSLOT', slot, 'NODE', did)
        # the slot is the target's now, for good (MOVED from here on)
        assert sc.cmd('get g/askgrp/kv')[2] == 'a1'
    finally:
        sc.close()


@pytest.mark.parametrize('where', ['plain', 'cluster'])
def test_aoidc_810_14_threads_share_one_store(request, where):
    """16 threads on one store object for 3 s, each on its own keys: every
    answer right (the free list, backoff and slot map under contention)."""
    srv = request.getfixturevalue(where)
    u = url(srv) if where == 'plain' else srv.url()
    r = run_check(u, 'stress', 16, 3)
    assert r.returncode == 0 and 'errors 0' in r.stdout, r.stdout + r.stderr
    ops = int(re.search(r'ops (\d+)', r.stdout).group(1))
    assert ops > 1000, r.stdout


def test_aoidc_810_15_sentinel_with_passwords(root):
    """Sentinels and data nodes behind requirepass: the URL's password
    opens both; a wrong one opens neither."""
    ss = SentinelSet(root, n_sentinels=1, name='sentinel-pw', password='sentinel-pw').start()
    try:
        u = ss.url().replace('redis-sentinel://', 'redis-sentinel://:sentinel-pw@')
        contract_ok(u)
        out = run_check(u.replace(':sentinel-pw@', ':wrong@'), 'get', 'k')
        assert out.returncode == 1 and out.stdout.startswith('DOWN'), out.stdout
    finally:
        ss.stop()


def test_aoidc_810_16_cluster_over_tls(root):
    """rediss-cluster://: every node (found through CLUSTER SLOTS) is
    reached over TLS with the same CA and client certificate."""
    t = make_tls(root)
    c = Cluster(root, name='cluster-tls', tls=t).start()
    try:
        contract_ok(c.url(c.nodes[:1]), *tls_opts(t))
        sc = StoreCheck(c.url(c.nodes[:1]), *tls_opts(t))
        try:
            for i in range(30):
                assert sc.cmd('set tls-spread-%d v' % i)[0] == 'SUCCESS'
        finally:
            sc.close()
        counts = [int(r.cli('DBSIZE')) for r in c.nodes]
        assert all(n > 0 for n in counts), counts   # every node, over TLS
        out = run_check(c.url(), *(tls_opts(t, ca=t['other_ca']) + ['get', 'k']))
        assert out.returncode == 1 and out.stdout.startswith('DOWN'), out.stdout
    finally:
        c.stop()
