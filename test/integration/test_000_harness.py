"""The harness itself: httpd starts, the backends answer, the log police works.
Runs without our module too (AOIDC_NO_MODULE=1)."""

import os

from pyaoidc.client import get
from pyaoidc.env import AoidcConf, Echo, INDEX_MARK, LOGGEDOUT_MARK, cgi_env


PLAIN = '<Location /public>\n    Require all granted\n</Location>\n'


def test_aoidc_000_01_static_cgi_echo(env, s):
    AoidcConf(env).add(PLAIN).install()
    r = get(s, env.url('/public/'))
    assert r.status_code == 200 and INDEX_MARK in r.text
    r = get(s, env.url('/loggedout.html'))
    assert r.status_code == 200 and LOGGEDOUT_MARK in r.text
    r = get(s, env.url('/public/env.cgi?x=1'), headers={'X-Probe': 'p1'})
    assert r.status_code == 200, r.text
    e = cgi_env(r)
    assert e['QUERY_STRING'] == 'x=1' and e['HTTP_X_PROBE'] == 'p1'
    assert 'REMOTE_USER' not in e
    r = get(s, env.url('/public/echo/some/path?q=2'), headers={'OIDC_CLAIM_x': 'y'})
    assert r.status_code == 200, r.text
    echo = Echo(r)
    assert echo.path == '/public/echo/some/path?q=2'
    assert echo.value('OIDC_CLAIM_x') == 'y'      # the backend would see spoofing
    r = s.post(env.url('/public/echo/'), data={'a': 'b'}, timeout=10)
    assert r.status_code == 200 and Echo(r).data['body'] == 'a=b'


def test_aoidc_000_02_log_police_and_configtest(env):
    rc, out = env.configtest(PLAIN)
    assert rc == 0 and 'Syntax OK' in out, out
    rc, out = env.configtest('NoSuchDirective 1\n')
    assert rc != 0 and 'NoSuchDirective' in out, out
    env.expect_log(r'AOIDC-HARNESS-SELFTEST')
    with open(env.error_log, 'a') as f:
        f.write('[Wed Jan 01 00:00:00.000000 2025] [core:error] [pid 1] AOIDC-HARNESS-SELFTEST\n')
    problems = env.check_log()
    assert problems == [], problems
    env._expected = []
    assert env.check_log(), 'an unexpected error line must be reported'
    env.expect_log(r'AOIDC-HARNESS-SELFTEST')


def test_aoidc_000_03_crash_detectors(env):
    """Core files and ASan reports are reported, whatever the test expects."""
    env.expect_log(r'.*')
    core = env.core_dir + '/core.selftest'
    open(core, 'w').close()
    try:
        assert any('core dump' in p for p in env.check_log())
    finally:
        os.remove(core)
        env._cores_seen.discard('core.selftest')
    if env.asan:
        rep = env.asan_dir + '/asan.selftest'
        with open(rep, 'w') as f:
            f.write('==1==ERROR: AddressSanitizer: selftest\n')
        try:
            assert any('ASAN report' in p for p in env.check_log())
        finally:
            os.remove(rep)
    with open(env.error_log, 'a') as f:
        f.write('[Wed Jan 01 00:00:00.000000 2025] [core:notice] [pid 1] AH00052: child pid 2 '
                'exit signal Segmentation fault (11) SELFTEST\n')
    problems = env.check_log()
    assert any('FATAL' in p and 'SELFTEST' in p for p in problems), problems
    # do not fail this test for the line written on purpose
    env._mark = env.log_mark()
