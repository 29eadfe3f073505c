"""800: session stores other than shm: redis (mod_socache_redis) and
memcached (mod_socache_memcache), real servers on loopback. Sessions there
survive an httpd restart, and what the store holds is sealed."""

import os
import shutil
import socket
import subprocess
import time

import pytest

from pyaoidc.client import get, login
from pyaoidc.env import AoidcConf, Echo, INDEX_MARK, oidc_lines
from pyaoidc.op import free_port


def wait_port(port, proc, what):
    deadline = time.time() + 10
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError('%s exited (rc=%s)' % (what, proc.returncode))
        try:
            socket.create_connection(('127.0.0.1', port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError('%s did not listen on %d' % (what, port))


@pytest.fixture(scope='module')
def redis():
    exe = shutil.which('redis-server')
    assert exe, 'redis-server is not installed (test/tools/install-deps installs it)'
    port = free_port()
    p = subprocess.Popen([exe, '--port', str(port), '--bind', '127.0.0.1', '--save', '',
                          '--appendonly', 'no', '--protected-mode', 'yes'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, p, 'redis-server')
    yield port
    p.terminate()
    p.wait(10)


@pytest.fixture(scope='module')
def memcached():
    exe = shutil.which('memcached')
    assert exe, 'memcached is not installed (test/tools/install-deps installs it)'
    port = free_port()
    p = subprocess.Popen([exe, '-l', '127.0.0.1', '-p', str(port), '-U', '0', '-u', 'nobody'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, p, 'memcached')
    yield port
    p.terminate()
    p.wait(10)


def resp(port, *args):
    """One RESP command to redis; returns the parsed reply (bytes, int or
    list). Keys are binary (SHA-256), so lengths are honoured, not lines."""
    msg = b'*%d\r\n' % len(args) + b''.join(
        b'$%d\r\n%s\r\n' % (len(a), a)
        for a in (x if isinstance(x, bytes) else x.encode() for x in args))
    with socket.create_connection(('127.0.0.1', port), 2) as c:
        c.sendall(msg)
        f = c.makefile('rb')

        def parse():
            line = f.readline().rstrip(b'\r\n')
            kind, rest = line[:1], line[1:]
            if kind in (b'+', b'-'):
                return rest
            if kind == b':':
                return int(rest)
            if kind == b'$':
                n = int(rest)
                if n < 0:
                    return None
                data = f.read(n + 2)
                return data[:n]
            if kind == b'*':
                return [parse() for _ in range(int(rest))]
            raise AssertionError('bad RESP reply %r' % line)
        return parse()


def store_conf(env, op, spec, module):
    mods = '/usr/lib/apache2/modules'
    return (AoidcConf(env)
            .add('LoadModule %s %s/mod_socache_%s.so' % (module, mods, module.split('_')[1]))
            .add_location('/sess', oidc_lines(op, prefix='/sess', extra=[
                'AuthOIDCSessionStore %s' % spec])))


def check_store(env, op, s, conf):
    conf.install(force=True)
    r = login(env, s, op, '/sess/')
    assert r.status_code == 200 and INDEX_MARK in r.text
    assert Echo(get(s, env.url('/sess/echo/'))).value('OIDC_CLAIM_sub') == 'alice'
    # unlike shm, the store outlives httpd: the session survives a restart
    conf.install(force=True)
    r = get(s, env.url('/sess/'))
    assert r.status_code == 200 and INDEX_MARK in r.text, r.status_code
    # logout removes it from the store: the old cookie no longer works
    cookie = s.cookies.get('aoidc_session')
    r = get(s, env.url('/sess/redirect_uri?logout=/loggedout.html'))
    assert r.status_code == 302
    r = get(s.__class__(), env.url('/sess/'), headers={'Cookie': 'aoidc_session=' + cookie})
    assert r.status_code == 302, r.status_code


def test_aoidc_800_01_redis_store(env, op, s, redis):
    check_store(env, op, s, store_conf(env, op, 'redis://127.0.0.1:%d' % redis,
                                       'socache_redis_module'))


def test_aoidc_800_02_redis_holds_only_sealed_values(env, op, s, redis):
    store_conf(env, op, 'redis://127.0.0.1:%d' % redis, 'socache_redis_module').install(force=True)
    resp(redis, 'FLUSHALL')
    login(env, s, op, '/sess/')
    keys = resp(redis, 'KEYS', '*')
    assert keys, 'nothing stored in redis'
    values = [resp(redis, 'GET', k) for k in keys]
    dump = b''.join(v for v in values if v)
    assert dump, keys
    cookie = s.cookies.get('aoidc_session').encode()
    for secret in (b'alice', b'example.com', b'eyJ', cookie):
        assert secret not in dump and not any(secret in k for k in keys), secret


def test_aoidc_800_03_memcache_store(env, op, s, memcached):
    check_store(env, op, s, store_conf(env, op, 'memcache://127.0.0.1:%d' % memcached,
                                       'socache_memcache_module'))
