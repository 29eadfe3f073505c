"""130: metrics (SetHandler auth-oidc-metrics, Prometheus text format 0.0.4,
checked by promtool) and the mod_status section: counters move as requests
log in, fail and refresh, they sum over child processes, and a graceful
restart keeps them."""

import concurrent.futures
import os
import re
import secrets
import subprocess
import time

import pytest
import requests

from pyaoidc.client import authenticate, get, login, new_session, raw_get, start_login, wait_out_l1
from pyaoidc.env import AoidcConf, bearer_lines, free_port, oidc_lines
from pyaoidc.op import RealOP

PROMTOOL = '/usr/bin/promtool'
METRICS = ['<Location /metrics>', '    SetHandler auth-oidc-metrics',
           '    Require ip 127.0.0.1', '</Location>']
LINE = re.compile(r'^([a-z_]+)(\{([^}]*)\})? (\d+(\.\d+)?)$')


def conf(env, op, *extra):
    return (AoidcConf(env)
            .add(METRICS)
            .add(list(extra))
            .add_location('/srv', oidc_lines(op, prefix='/srv'))
            .add_location('/api', bearer_lines(op)))


@pytest.fixture
def metrics(env, op):
    conf(env, op).install()
    return env


def scrape(env):
    r = raw_get(env.url('/metrics'))
    assert r.status_code == 200, r.status_code
    return r


def parse(text):
    """{(name, frozenset(labels)): value}; every line is a comment or a sample."""
    out = {}
    for ln in text.splitlines():
        if ln.startswith('#'):
            continue
        m = LINE.match(ln)
        assert m, 'not a sample line: %r' % ln
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ''))
        v = m.group(4)
        out[(m.group(1), labels)] = float(v) if m.group(5) else int(v)
    return out


def val(samples, name, **labels):
    key = (name, frozenset(labels.items()))
    assert key in samples, 'no sample %s %s' % (name, labels)
    return samples[key]


def snap(env):
    return parse(scrape(env).text)


def moved(before, after, name, **labels):
    return val(after, name, **labels) - val(before, name, **labels)


def no_creds(env, n):
    for _ in range(n):
        assert raw_get(env.url('/api/')).status_code == 401


def test_aoidc_130_01_promtool_accepts_the_exposition(metrics, env):
    no_creds(env, 1)
    r = scrape(env)
    assert r.headers['Content-Type'].startswith('text/plain; version=0.0.4'), r.headers
    p = subprocess.run([PROMTOOL, 'check', 'metrics'], input=r.text, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    assert p.returncode == 0, p.stdout
    s = parse(r.text)
    outcomes = {dict(k[1]).get('outcome') for k in s if k[0] == 'aoidc_requests_total'}
    # the label values are the reason table's names plus "ok", never "none"
    assert {'ok', 'no_credentials', 'state_missing', 'signature'} <= outcomes
    assert 'none' not in outcomes
    for fam in ('aoidc_refusals_total', 'aoidc_logins_total', 'aoidc_login_failures_total',
                'aoidc_refreshes_total', 'aoidc_logouts_total',
                'aoidc_logout_sessions_ended_total', 'aoidc_metrics_start_time_seconds',
                'aoidc_cache_requests_total', 'aoidc_jwks_refetches_total',
                'aoidc_store_calls_total', 'aoidc_store_errors_total',
                'aoidc_store_call_duration_seconds', 'aoidc_store_evictions_total',
                'aoidc_store_entries'):
        assert '# TYPE %s ' % fam in r.text, fam
    assert requests.post(env.url('/metrics'), timeout=10).status_code == 405


def test_aoidc_130_02_bearer_requests_counted_exactly(metrics, env):
    a = snap(env)
    no_creds(env, 7)
    b = snap(env)
    assert moved(a, b, 'aoidc_requests_total', authtype='bearer', outcome='no_credentials') == 7
    assert moved(a, b, 'aoidc_refusals_total', reason='no_credentials',
                 family='client_errors') == 7
    assert moved(a, b, 'aoidc_requests_total', authtype='oidc', outcome='ok') == 0


def test_aoidc_130_03_login_completed_and_failed(metrics, env, op, s):
    a = snap(env)
    login(env, s, op, '/srv/')
    assert get(s, env.url('/srv/')).status_code == 200
    b = snap(env)
    assert moved(a, b, 'aoidc_logins_total', result='started') == 1
    assert moved(a, b, 'aoidc_logins_total', result='completed') == 1
    # the redirect to the OP (no_credentials), then the callback and the
    # page twice (ok)
    assert moved(a, b, 'aoidc_requests_total', authtype='oidc', outcome='no_credentials') == 1
    assert moved(a, b, 'aoidc_requests_total', authtype='oidc', outcome='ok') == 3
    # one code exchange at the token endpoint, timed in the histogram
    assert moved(a, b, 'aoidc_op_requests_total', endpoint='token', result='ok') == 1
    assert moved(a, b, 'aoidc_op_requests_total', endpoint='token', result='error') == 0
    assert moved(a, b, 'aoidc_op_request_duration_seconds_count', endpoint='token') == 1
    assert moved(a, b, 'aoidc_op_request_duration_seconds_bucket', endpoint='token',
                 le='+Inf') == 1
    # an authorization response nobody asked for
    r = raw_get(env.url('/srv/redirect_uri?code=x&state=y'))
    assert r.status_code == 400
    c = snap(env)
    assert moved(b, c, 'aoidc_login_failures_total', reason='state_missing',
                 family='client_errors') == 1
    assert moved(b, c, 'aoidc_requests_total', authtype='oidc', outcome='state_missing') == 1
    assert moved(b, c, 'aoidc_logins_total', result='completed') == 0


@pytest.fixture(scope='module')
def op_short(env):
    o = RealOP(at_ttl=3, redirect_uris=env.redirect_uris(),
               post_logout_uris=env.post_logout_uris(),
               log_path=os.path.join(env.logs_dir, 'op-short-130.log'))
    o.start()
    yield o
    o.stop()


def test_aoidc_130_04_refresh_counted(env, op_short, s):
    AoidcConf(env).add(METRICS).add_location('/sess', oidc_lines(op_short, prefix='/sess')) \
        .install()
    login(env, s, op_short, '/sess/')
    a = snap(env)
    time.sleep(4.5)
    assert get(s, env.url('/sess/')).status_code == 200
    b = snap(env)
    assert moved(a, b, 'aoidc_refreshes_total', result='ok') == 1
    assert moved(a, b, 'aoidc_refreshes_total', result='failed') == 0
    assert moved(a, b, 'aoidc_op_requests_total', endpoint='token', result='ok') == 1


def test_aoidc_130_05_graceful_restart_keeps_counters(metrics, env):
    no_creds(env, 3)
    a = snap(env)
    assert val(a, 'aoidc_requests_total', authtype='bearer', outcome='no_credentials') >= 3
    env.graceful()
    b = snap(env)
    assert b == a, 'a graceful restart changed the counters'
    no_creds(env, 2)
    assert moved(a, snap(env), 'aoidc_requests_total', authtype='bearer',
                 outcome='no_credentials') == 2
    # a full restart starts from zero
    conf(env, op_of(env)).install(force=True)
    c = snap(env)
    assert val(c, 'aoidc_requests_total', authtype='bearer', outcome='no_credentials') == 0
    assert val(c, 'aoidc_metrics_start_time_seconds') >= val(a, 'aoidc_metrics_start_time_seconds')
    # a fresh process fetches the OP's metadata and keys once, on first use
    assert val(c, 'aoidc_op_requests_total', endpoint='discovery', result='ok') == 0
    login(env, new_session(), env.op, '/srv/')
    d = snap(env)
    assert val(d, 'aoidc_op_requests_total', endpoint='discovery', result='ok') == 1
    assert val(d, 'aoidc_op_requests_total', endpoint='jwks', result='ok') == 1


def op_of(env):
    return env.op


def test_aoidc_130_06_counters_sum_over_processes(env, op):
    """prefork with two children: a keep-alive connection holds its child,
    so two connections are served by two processes; the counter moves by
    exactly the number sent over both."""
    orig = open(env.httpd_conf).read()
    two = orig.replace('mpm_event_module %s/mod_mpm_event.so' % env.mod_dir,
                       'mpm_prefork_module %s/mod_mpm_prefork.so' % env.mod_dir)
    assert two != orig
    two = re.sub(r'(?m)^(ThreadsPerChild|ThreadLimit|MinSpareThreads|MaxSpareThreads) \d+\n',
                 '', two)
    for k, v in (('StartServers', 2), ('ServerLimit', 2), ('MaxRequestWorkers', 2)):
        two, n = re.subn(r'(?m)^%s \d+$' % k, '%s %d' % (k, v), two)
        assert n == 1, k
    two += 'MinSpareServers 1\nMaxSpareServers 2\n'
    pidlog = os.path.join(env.logs_dir, 'pid_130')
    if os.path.exists(pidlog):
        os.unlink(pidlog)
    try:
        with open(env.httpd_conf, 'w') as f:
            f.write(two)
        conf(env, op, 'CustomLog %s "%%P %%U"' % pidlog).install(force=True)
        a = snap(env)
        n = 20
        conns = [requests.Session(), requests.Session()]
        for i in range(n):
            r = conns[i % 2].get(env.url('/api/'), timeout=10)
            assert r.status_code == 401
        for c in conns:
            c.close()  # frees both children for the scrape
        b = snap(env)
        assert moved(a, b, 'aoidc_requests_total', authtype='bearer',
                     outcome='no_credentials') == n
        pids = {ln.split()[0] for ln in open(pidlog) if ln.split()[1:] == ['/api/']}
        assert len(pids) == 2, 'requests served by %s' % pids
    finally:
        with open(env.httpd_conf, 'w') as f:
            f.write(orig)
        env.mark_dirty()
        env.stop()


def test_aoidc_130_07_server_status_section(env, op):
    conf(env, op, 'LoadModule status_module %s/mod_status.so' % env.mod_dir,
         '<Location /server-status>', '    SetHandler server-status',
         '    Require ip 127.0.0.1', '</Location>').install()
    no_creds(env, 2)
    login(env, new_session(), op, '/srv/')  # this child fetches the metadata
    r = raw_get(env.url('/server-status'))
    assert r.status_code == 200
    assert '<h2>auth_oidc</h2>' in r.text, r.text[-2000:]
    assert '<td>%s</td>' % op.issuer in r.text, r.text[-2000:]
    r = raw_get(env.url('/server-status?auto'))
    assert re.search(r'(?m)^AuthOIDCProvider\d+: %s metadata_age=\d+ '
                     r'jwks_refetch_age=- error=-$' % re.escape(op.issuer), r.text), r.text
    m = re.search(r'^AuthOIDCRequestsBearer: (\d+)$', r.text, re.M)
    assert m and int(m.group(1)) >= 2, r.text
    s = snap(env)
    assert int(m.group(1)) == sum(v for k, v in s.items()
                                  if k[0] == 'aoidc_requests_total'
                                  and ('authtype', 'bearer') in k[1])


def test_aoidc_130_08_backchannel_logout_counted(metrics, env):
    a = snap(env)
    r = requests.post(env.url('/srv/redirect_uri?logout=backchannel'),
                      data={'logout_token': 'not.a.token'}, timeout=10)
    assert r.status_code == 400, r.status_code
    b = snap(env)
    assert moved(a, b, 'aoidc_logouts_total', channel='backchannel', result='failed') == 1
    assert moved(a, b, 'aoidc_logouts_total', channel='backchannel', result='ok') == 0
    assert moved(a, b, 'aoidc_logout_sessions_ended_total') == 0


def store_sum(samples, name, **labels):
    """The sum of every sample of name whose labels include labels."""
    want = set(labels.items())
    return sum(v for k, v in samples.items() if k[0] == name and want <= k[1])


def test_aoidc_130_09_session_cache_and_store_calls(metrics, env, op, s):
    login(env, s, op, '/srv/')
    a = snap(env)
    for _ in range(3):
        assert get(s, env.url('/srv/')).status_code == 200
    b = snap(env)
    assert moved(a, b, 'aoidc_cache_requests_total', cache='sessions', result='hit') == 3
    assert moved(a, b, 'aoidc_cache_requests_total', cache='sessions', result='miss') == 0
    # the login's own request read the record just now: within the L1's
    # TTL the hits are served from the process's memory, no store call
    gets = moved(a, b, 'aoidc_store_calls_total', store='shm', purpose='sessions', op='get')
    assert gets <= 1, gets
    # past it, the next hit reads the store again (one get, timed)
    wait_out_l1()
    b0 = snap(env)
    assert get(s, env.url('/srv/')).status_code == 200
    b = snap(env)
    assert moved(b0, b, 'aoidc_store_calls_total', store='shm', purpose='sessions', op='get') == 1
    calls = store_sum(b, 'aoidc_store_calls_total', store='shm') - \
        store_sum(a, 'aoidc_store_calls_total', store='shm')
    assert moved(a, b, 'aoidc_store_call_duration_seconds_count', store='shm') == calls
    assert store_sum(b, 'aoidc_store_errors_total') == store_sum(a, 'aoidc_store_errors_total')
    # a ticket whose record is gone (logged out elsewhere, evicted): a miss
    ticket = s.cookies.get('aoidc_session')
    assert get(s, env.url('/srv/redirect_uri?logout=/')).status_code == 302
    r = raw_get(env.url('/srv/'), headers={'Cookie': 'aoidc_session=' + ticket})
    assert r.status_code == 302, r.status_code
    c = snap(env)
    assert moved(b, c, 'aoidc_cache_requests_total', cache='sessions', result='miss') == 1
    assert moved(b, c, 'aoidc_cache_requests_total', cache='sessions', result='hit') == 0
    assert moved(b, c, 'aoidc_store_calls_total', store='shm', purpose='sessions',
                 op='remove') >= 1
    assert val(c, 'aoidc_store_entries', store='shm', purpose='sessions') >= 0


def test_aoidc_130_10_token_and_introspection_caches(metrics, env, op):
    a = snap(env)
    jwt = op.mint_jwt_at('orders:read')
    opaque = op.mint_opaque_at('orders:read', with_audience=True)
    for tok in (jwt, jwt, jwt, opaque, opaque):
        r = raw_get(env.url('/api/'), headers={'Authorization': 'Bearer ' + tok})
        assert r.status_code in (200, 403, 404), r.status_code  # authenticated
        assert r.status_code != 401
    b = snap(env)
    assert moved(a, b, 'aoidc_cache_requests_total', cache='tokens', result='miss') == 1
    assert moved(a, b, 'aoidc_cache_requests_total', cache='tokens', result='hit') == 2
    assert moved(a, b, 'aoidc_cache_requests_total', cache='introspection', result='miss') == 1
    assert moved(a, b, 'aoidc_cache_requests_total', cache='introspection', result='hit') == 1
    assert moved(a, b, 'aoidc_op_requests_total', endpoint='introspection', result='ok') == 1
    # verdicts live in the cache store: one set each for the two misses
    assert moved(a, b, 'aoidc_store_calls_total', store='shm', purpose='cache', op='set') == 2


def test_aoidc_130_11_jwks_refetches(env, fresh_evil):
    AoidcConf(env).add(METRICS).add_location(
        '/apikeys', bearer_lines(fresh_evil, authname='apikeys')).install(force=True)
    conn = requests.Session()  # one connection: one process, one refetch gap
    url = env.url('/apikeys/')
    r = conn.get(url, headers={'Authorization': 'Bearer ' + fresh_evil.access_token()},
                 timeout=10)
    assert r.status_code != 401, r.status_code
    a = snap(env)
    for i in range(3):
        tok = fresh_evil.access_token(_kid='unknown-%d-%s' % (i, secrets.token_hex(4)))
        assert conn.get(url, headers={'Authorization': 'Bearer ' + tok},
                        timeout=10).status_code == 401
    conn.close()
    b = snap(env)
    assert moved(a, b, 'aoidc_jwks_refetches_total', result='ok') == 1
    assert moved(a, b, 'aoidc_jwks_refetches_total', result='limited') == 2
    assert moved(a, b, 'aoidc_jwks_refetches_total', result='failed') == 0
    assert moved(a, b, 'aoidc_op_requests_total', endpoint='jwks', result='ok') == 1


@pytest.mark.expect_log(r'AOIDC\d+: oidc /sess/redirect_uri: reason=store_unavailable')
def test_aoidc_130_12_store_errors(env, op):
    dead = free_port()  # nothing listens there
    conf(env, op).add_location('/sess', oidc_lines(op, prefix='/sess', extra=[
        'AuthOIDCSessionStore redis://127.0.0.1:%d' % dead,
        'AuthOIDCStoreTimeout 200'])).install()
    a = snap(env)
    s = new_session()
    cb = authenticate(op, s, start_login(env, s, '/sess/'))
    r = get(s, cb)
    assert r.status_code == 503, r.status_code
    b = snap(env)
    errors = store_sum(b, 'aoidc_store_errors_total', store='redis') - \
        store_sum(a, 'aoidc_store_errors_total', store='redis')
    calls = store_sum(b, 'aoidc_store_calls_total', store='redis') - \
        store_sum(a, 'aoidc_store_calls_total', store='redis')
    assert errors >= 1 and calls >= errors, (errors, calls)
    assert store_sum(b, 'aoidc_store_errors_total', store='shm') == \
        store_sum(a, 'aoidc_store_errors_total', store='shm')
    # server-status shows the store's health
    conf(env, op, 'LoadModule status_module %s/mod_status.so' % env.mod_dir,
         '<Location /server-status>', '    SetHandler server-status',
         '    Require ip 127.0.0.1', '</Location>').add_location(
        '/sess', oidc_lines(op, prefix='/sess', extra=[
            'AuthOIDCSessionStore redis://127.0.0.1:%d' % dead,
            'AuthOIDCStoreTimeout 200'])).install()
    s = new_session()
    cb = authenticate(op, s, start_login(env, s, '/sess/'))
    assert get(s, cb).status_code == 503
    r = raw_get(env.url('/server-status?auto'))
    m = re.search(r'(?m)^AuthOIDCStoreredis: calls=(\d+) errors=(\d+) last_error_age=(\d+)$',
                  r.text)
    assert m and int(m.group(2)) >= 1, r.text
    assert re.search(r'(?m)^AuthOIDCStoreshm: calls=\d+ errors=0 last_error_age=- '
                     r'entries=\d+/\d+ usage=\d+ evicted=\d+$', r.text), r.text
    assert '<th>store</th>' in raw_get(env.url('/server-status')).text


@pytest.mark.expect_log(r'AOIDC00305: shm store cache\.\d+ is full')
def test_aoidc_130_13_shm_evictions(env, op):
    AoidcConf(env).add(METRICS).add_location(
        '/api', bearer_lines(op) + ['AuthOIDCSessionStore shm:64K']).install(force=True)
    a = snap(env)
    assert val(a, 'aoidc_store_evictions_total', store='shm', purpose='cache') == 0
    for i in range(400):
        r = raw_get(env.url('/api/'),
                    headers={'Authorization': 'Bearer ' + secrets.token_urlsafe(32)})
        assert r.status_code == 401
        if i % 50 == 49 and val(snap(env), 'aoidc_store_evictions_total', store='shm',
                                purpose='cache') > 0:
            break
    b = snap(env)
    assert val(b, 'aoidc_store_evictions_total', store='shm', purpose='cache') > 0, \
        'the flood did not fill the cache segment'
    assert val(b, 'aoidc_store_evictions_total', store='shm', purpose='sessions') == 0
    assert moved(a, b, 'aoidc_cache_requests_total', cache='introspection', result='miss') \
        == i + 1


def test_aoidc_130_14_upstream_token_cache(env, op):
    """AuthOIDCUpstreamToken: the first proxied request fetches the
    backend's token (a miss), the next ones use the cached one (hits)."""
    from test_510_upstream import up_lines
    (conf(env, op).add_location('/up', up_lines(op.issuer, scope='orders:write'))
     .install())
    a = snap(env)
    for _ in range(3):
        r = raw_get(env.url('/up/echo/'))
        assert r.status_code == 200, r.status_code
    b = snap(env)
    assert moved(a, b, 'aoidc_cache_requests_total', cache='upstream', result='miss') == 1
    assert moved(a, b, 'aoidc_cache_requests_total', cache='upstream', result='hit') == 2
    assert moved(a, b, 'aoidc_op_requests_total', endpoint='token', result='ok') == 1
