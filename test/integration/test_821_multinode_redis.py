"""821: the two-node login of test_820 over Redis: plain redis://, an ACL
user with its password from AuthOIDCStorePassword (overriding a wrong one
in the URL) and a /DB, and rediss:// verified against a CA made by the
test (AuthOIDCStoreTLS ca=...). Servers from pyaoidc/stores.py."""

import os
import time

import pytest

from pyaoidc import stores
from pyaoidc.env import INTEGRATION_DIR
from pyaoidc.client import raw_get, wait_out_l1
from test_820_multinode import INDEX_MARK, check_two_nodes


@pytest.fixture(scope='module')
def redis_root():
    stores.require_binaries()
    # under gen/ (0755), so the www-data children can read the CA
    root = os.path.join(INTEGRATION_DIR, 'gen', 'redis821')
    os.makedirs(root, exist_ok=True)
    os.chmod(root, 0o755)
    yield root
    stores.stop_all()


def test_aoidc_821_01_redis_two_nodes(nodes, op, s, redis_root):
    r = stores.RedisServer(redis_root, 'plain').start()
    # and nothing in a dump of it is readable
    check_two_nodes(nodes, op, s, 'redis://127.0.0.1:%d' % r.port, dump=r.dump)


def test_aoidc_821_02_redis_acl_password_db(nodes, op, s, redis_root):
    r = stores.RedisServer(redis_root, 'acl', acl=('aoidc', 'acl-pw-821')).start()
    pw = os.path.join(redis_root, 'store-pw')
    with open(pw, 'w') as f:
        f.write('acl-pw-821\n')
    os.chmod(pw, 0o644)
    check_two_nodes(nodes, op, s, 'redis://aoidc:wrong@127.0.0.1:%d/2' % r.port,
                    ['AuthOIDCStorePassword file:%s' % pw])
    # the sessions are in DB 2, not DB 0
    assert r.cli('-n', '2', 'DBSIZE') not in ('', '0')
    assert r.cli('-n', '0', 'DBSIZE') == '0'
    for n in nodes:
        # this test's lines only: earlier tests log "wrong" for other reasons
        text = '\n'.join(n.log_since())
        assert 'acl-pw-821' not in text and ':wrong@' not in text


def test_aoidc_821_03_rediss_two_nodes(nodes, op, s, redis_root):
    tls = stores.make_tls(redis_root)
    r = stores.RedisServer(redis_root, 'tls', tls=tls, tls_auth_clients='no').start()
    check_two_nodes(nodes, op, s, 'rediss://127.0.0.1:%d' % r.port,
                    ['AuthOIDCStoreTLS ca=%s' % tls['ca']])


@pytest.mark.expect_log(r'AOIDC\d+: oidc /sess/: reason=store_unavailable')
def test_aoidc_821_04_redis_paused_503_within_timeout(nodes, op, s, redis_root):
    """A store that accepts and never answers (SIGSTOP): 503 within
    AuthOIDCStoreTimeout, cookie kept; resumed, the session is back."""
    r = stores.RedisServer(redis_root, 'paused').start()
    check_two_nodes(nodes, op, s, 'redis://127.0.0.1:%d' % r.port,
                    ['AuthOIDCStoreTimeout 300'])
    cookie = s.cookies.get('aoidc_session')
    r.pause()
    wait_out_l1()  # a session read within the L1's TTL is still served
    try:
        for n in nodes:
            t0 = time.time()
            resp = raw_get(n.url('/sess/'), headers={'Cookie': 'aoidc_session=' + cookie})
            elapsed = time.time() - t0
            assert resp.status_code == 503 and resp.headers.get('Retry-After'), resp.status_code
            assert elapsed < 0.3 + 1.0, elapsed
            assert 'aoidc_session' not in resp.headers.get('Set-Cookie', '')
    finally:
        r.resume()
    t0 = time.time()
    for n in nodes:
        while True:
            resp = raw_get(n.url('/sess/'), headers={'Cookie': 'aoidc_session=' + cookie})
            if resp.status_code != 503 or time.time() - t0 > 10:
                break
            time.sleep(0.2)
        assert resp.status_code == 200 and INDEX_MARK in resp.text, resp.status_code
    print('back after %.1f s' % (time.time() - t0))
