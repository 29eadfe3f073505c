"""920: regression tests for the security review's findings (issue 8), one
test per finding, named after its number. Each one failed against the module
before the fixes (commit e553438) and passes since."""

import concurrent.futures
import json
import os
import re
import secrets
import threading
import time

import pytest

from pyaoidc.client import (authenticate, cookie_header, cookies_named, get, jar_value,
                            location, login, new_session as s_new, parse_set_cookie, query1,
                            raw_get, set_cookies, start_login, www_authenticate)
from pyaoidc.env import AoidcConf, INDEX_MARK, bearer_lines, cgi_env, oidc_lines

TIMEOUT = 2              # AuthOIDCHTTPTimeout at server level
REQ_TIMEOUT = 15         # every client request of this file is bounded
COOKIE = 'aoidc_session'


def review_conf(env, evil):
    """One config for the tests that only need the shared EvilOP."""
    return (AoidcConf(env)
            .add('AuthOIDCHTTPTimeout %d' % TIMEOUT)
            .add_location('/evil', oidc_lines(evil, prefix='/evil', scope='openid email'))
            .add_location('/sess', oidc_lines(evil, prefix='/sess', scope='openid email', extra=[
                # touch_due after 1 s: every request may write the record back
                'AuthOIDCSessionInactivityTimeout 10']))
            .add_location('/api2', bearer_lines(evil, authname='api2'))
            .add_location('/apityp', bearer_lines(evil, authname='apityp', extra=[
                'AuthOIDCAccessTokenTyp at+jwt']))
            .add_location('/apif', bearer_lines(evil, authname='apif', extra=[
                'AuthOIDCHTTPTimeout 6']))
            .add_location('/sec', [ln for ln in oidc_lines(evil, prefix='/sec')
                                   if not ln.startswith('AuthOIDCRedirectURI ')]
                          + ['AuthOIDCRedirectURI https://127.0.0.1:%d/sec/redirect_uri'
                             % env.port]))


@pytest.fixture
def review(env, evil):
    review_conf(env, evil).install()
    return env


def session_get(env, ticket, path='/evil/'):
    return raw_get(env.url(path), headers={'Cookie': cookie_header([(COOKIE, ticket)])},
                   timeout=REQ_TIMEOUT)


def parallel(n, fn):
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return [f.result() for f in [pool.submit(fn) for _ in range(n)]]


def put_htdoc(env, rel, text):
    p = os.path.join(env.htdocs, rel.lstrip('/'))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, 'w') as f:
        f.write(text)


# --------------------------------------------------------------------- 2

def burst(env, jobs):
    """For each (ticket, path, n) in jobs: n requests with that session's
    cookie, each on its own connection, all released at once. Returns the
    responses per job."""
    total = sum(n for _, _, n in jobs)
    gate = threading.Barrier(total)

    def one(ticket, path):
        gate.wait(REQ_TIMEOUT)
        return session_get(env, ticket, path)
    with concurrent.futures.ThreadPoolExecutor(total) as pool:
        futs = [[pool.submit(one, t, p) for _ in range(n)] for t, p, n in jobs]
        return [[f.result() for f in fs] for fs in futs]


@pytest.mark.parametrize('prefix', ['/evil', '/sess'])
def test_aoidc_920_02_refresh_race_keeps_session(review, evil, env, prefix):
    """Finding 2: requests racing on an expired access token each refreshed
    with the same refresh token; an OP that rotates refresh tokens refused
    all but the first, and the session ended. One refresh per expiry now,
    nobody is logged out. The main session gets 48 parallel requests per
    round; a few more sessions race alongside it, for more chances to hit
    the window. /sess writes the record back on every request (touch due
    after 1 s), where a request that lost the race could save its stale
    copy over the refreshed one."""
    expires_in, rounds, nsess = 2, 3, 6
    evil.set_mode('refresh_rotate', expires_in=expires_in)
    tickets = []
    for _ in range(nsess):
        with s_new() as s:
            assert login(env, s, evil, prefix + '/').status_code == 200
            tickets.append(jar_value(s, COOKIE))
    assert all(tickets) and evil.grants['refresh_token'] == 0, evil.grants
    for rnd in range(1, rounds + 1):
        time.sleep(expires_in + 0.3)         # the access tokens have expired
        out = burst(env, [(tickets[0], prefix + '/', 48)]
                    + [(t, prefix + '/', 8) for t in tickets[1:]])
        for i, rs in enumerate(out):
            bad = [(r.status_code, r.headers.get('Location', '')[:60]) for r in rs
                   if r.status_code != 200 or INDEX_MARK not in r.text]
            assert not bad, 'round %d, session %d: %d of %d not served: %s' % (
                rnd, i, len(bad), len(rs), bad[:3])
            cleared = [sc for r in rs for sc in set_cookies(r) if sc.startswith(COOKIE + '=')]
            assert not cleared, 'round %d: session cookie touched: %s' % (rnd, cleared[:3])
        assert evil.grants['refresh_token'] == rnd * nsess, (
            'round %d: %d refresh grants at the OP, expected one per session (%d)'
            % (rnd, evil.grants['refresh_token'], rnd * nsess))
    for t in tickets:
        r = session_get(env, t, prefix + '/')
        assert r.status_code == 200 and INDEX_MARK in r.text, r.status_code
    assert not env.find_log(r'reason=refresh\b', timeout=0)


# --------------------------------------------------------------------- 4

SSI_CONF = '''LoadModule include_module %(moddir)s/mod_include.so
<Directory %(htdocs)s/ssi>
    Options +Includes
    AddOutputFilter INCLUDES .shtml
</Directory>
'''
SPOOFED = {'OIDC_CLAIM_groups': 'admins', 'OIDC-CLAIM-groups': 'admins',
           'oidc_claim_sub': 'admin', 'Remote-User': 'admin', 'X-Remote-User': 'admin',
           'REMOTE_USER': 'admin'}


def between(text, a='BEGIN-INCLUDE', b='END-INCLUDE'):
    m = re.search(re.escape(a) + r'(.*)' + re.escape(b), text, re.S)
    assert m, 'no include markers in:\n' + text[:2000]
    return m.group(1).strip()


def test_aoidc_920_04_subrequest_scrubbed(env, evil, s):
    """Finding 4: the scrub ran in header_parser, which subrequests skip: an
    SSI page outside our location including one inside it handed the
    client's own OIDC_CLAIM_* / Remote-User headers to the backend next to
    the real claims."""
    put_htdoc(env, '/ssi/echo.shtml',
              'BEGIN-INCLUDE\n<!--#include virtual="/evil/echo/ssi" -->\nEND-INCLUDE\n')
    put_htdoc(env, '/ssi/cgi.shtml',
              'BEGIN-INCLUDE\n<!--#include virtual="/evil/env.cgi" -->\nEND-INCLUDE\n')
    (AoidcConf(env).add(SSI_CONF % {'moddir': env.mod_dir, 'htdocs': env.htdocs})
     .add_location('/evil', oidc_lines(evil, prefix='/evil', scope='openid email'))
     .install())
    assert login(env, s, evil, '/evil/').status_code == 200

    r = get(s, env.url('/ssi/echo.shtml'), headers=SPOOFED)
    assert r.status_code == 200, r.status_code
    seen = json.loads(between(r.text))['headers']
    assert ['OIDC_CLAIM_sub', 'alice'] in seen, 'the included request was not ours: %s' % seen
    leaked = [(k, v) for k, v in seen if v in ('admin', 'admins')]
    assert not leaked, 'client-sent headers reached the backend: %s' % leaked

    r = get(s, env.url('/ssi/cgi.shtml'), headers=SPOOFED)
    assert r.status_code == 200, r.status_code
    e = json.loads(between(r.text))['env']
    assert e.get('REMOTE_USER') == 'alice', e.get('REMOTE_USER')
    assert e.get('OIDC_CLAIM_sub') == 'alice', sorted(e)
    leaked = {k: v for k, v in e.items() if v in ('admin', 'admins')}
    assert not leaked, 'client-sent headers reached the CGI: %s' % leaked


# --------------------------------------------------------------------- 5

def test_aoidc_920_05_token_cache_keeps_typ_rule(review, evil, env):
    """Finding 5: a token validated at a location without a typ rule was
    cached under a key both locations share, and then accepted where
    AuthOIDCAccessTokenTyp at+jwt should refuse it."""
    tok = evil.access_token(_typ='JWT')
    hdr = {'Authorization': 'Bearer ' + tok}
    r = raw_get(env.url('/api2/echo/'), headers=hdr, timeout=REQ_TIMEOUT)
    assert r.status_code == 200, r.status_code
    for _ in range(2):
        r = raw_get(env.url('/apityp/echo/'), headers=hdr, timeout=REQ_TIMEOUT)
        assert r.status_code == 401, 'typ JWT accepted at the at+jwt location: %s' % r.status_code
        scheme, params = www_authenticate(r)
        assert scheme == 'bearer' and params.get('error') == 'invalid_token', params
    assert raw_get(env.url('/api2/echo/'), headers=hdr,
                   timeout=REQ_TIMEOUT).status_code == 200


# --------------------------------------------------------------------- 6

@pytest.mark.expect_log(r'refresh postponed: reason=op_unreachable\b')
def test_aoidc_920_06_hung_token_endpoint_backs_off(env, fresh_evil, s):
    """Finding 6: with a token endpoint that hangs, every request of a
    session with an expired access token waited the full HTTP timeout for
    its own refresh attempt. Now one waits; the others are served at once
    within the back-off."""
    (AoidcConf(env).add('AuthOIDCHTTPTimeout %d' % TIMEOUT)
     .add_location('/evil', oidc_lines(fresh_evil, prefix='/evil', scope='openid email'))
     .install())
    fresh_evil.set_mode('refresh_hang', expires_in=1, secs=20)
    assert login(env, s, fresh_evil, '/evil/').status_code == 200
    ticket = jar_value(s, COOKIE)
    time.sleep(1.3)
    t0 = time.time()
    r = session_get(env, ticket)
    first = time.time() - t0
    assert r.status_code == 200 and INDEX_MARK in r.text, r.status_code
    assert first < TIMEOUT + 2, 'first request took %.1fs' % first
    times = []
    for _ in range(6):
        t0 = time.time()
        r = session_get(env, ticket)
        times.append(time.time() - t0)
        assert r.status_code == 200 and INDEX_MARK in r.text, r.status_code
    assert max(times) < 0.5, 'requests within the back-off took %s' % [
        '%.2f' % t for t in times]
    assert fresh_evil.grants['refresh_token'] == 1, fresh_evil.grants
    assert env.find_log(r'refresh postponed')


# --------------------------------------------------------------------- 7

def cookie_bytes(s):
    """What the client would put in its Cookie header for this host."""
    return len(cookie_header([(c.name, c.value) for c in s.cookies]))


def test_aoidc_920_07_long_return_urls(review, evil, s, env):
    """Finding 7: the return URL went into the state cookie whole: a deep
    link of a few KB made a cookie the browser drops, or a few abandoned
    logins a Cookie header httpd refuses with 400."""
    deep = '/evil/a/?q=' + 'x' * 6000
    r1 = start_login(env, s, deep)
    assert all(len(sc) < 4096 for sc in set_cookies(r1)), [len(sc) for sc in set_cookies(r1)]
    r2 = get(s, authenticate(evil, s, r1))
    assert r2.status_code == 302, r2.status_code
    back = location(r2)
    assert back in ('/evil/a/', env.url('/evil/a/')), back
    r3 = get(s, back if back.startswith('http') else env.url(back))
    assert r3.status_code == 200 and INDEX_MARK in r3.text, r3.status_code

    s2 = s.__class__()
    try:
        for i in range(3):          # abandoned: never come back from the OP
            start_login(env, s2, '/evil/b/?n=%d&q=%s' % (i, 'y' * 6000))
            assert cookie_bytes(s2) < 8000, 'cookies now %d bytes' % cookie_bytes(s2)
        r = get(s2, env.url('/evil/'), timeout=REQ_TIMEOUT)
        assert r.status_code == 302, 'after 3 abandoned logins: %s' % r.status_code
        assert login(env, s2, evil, '/evil/c/').status_code == 200
        assert cookie_bytes(s2) < 8000, cookie_bytes(s2)
    finally:
        s2.close()


# --------------------------------------------------------------------- 14

@pytest.mark.expect_log(r'reason=op_busy\b')
def test_aoidc_920_14_slow_introspection_does_not_stall(review, evil, env):
    """Finding 14: every worker could sit in a slow introspection call, so
    a flood of random opaque tokens stalled pages that need no OP at all.
    Introspection calls are capped per issuer now; the rest get 503."""
    evil.set_mode('introspect_slow', secs=2)

    def one():
        tok = secrets.token_urlsafe(24)
        return raw_get(env.url('/apif/echo/'), headers={'Authorization': 'Bearer ' + tok},
                       timeout=REQ_TIMEOUT)

    with concurrent.futures.ThreadPoolExecutor(70) as pool:
        futs = [pool.submit(one) for _ in range(70)]
        deadline = time.time() + 5
        while evil.counters['/introspect'] < 8 and time.time() < deadline:
            time.sleep(0.02)
        assert evil.counters['/introspect'] >= 8, evil.counters
        t0 = time.time()
        r = raw_get(env.url('/index.html'), timeout=REQ_TIMEOUT)
        took = time.time() - t0
        rs = [f.result() for f in futs]
    assert r.status_code == 200 and INDEX_MARK in r.text, r.status_code
    assert took < 1.0, 'static page took %.2fs during the introspection flood' % took
    statuses = sorted({x.status_code for x in rs})
    assert set(statuses) <= {401, 503}, statuses
    for x in rs:
        if x.status_code == 503:
            assert x.headers.get('Retry-After', '').isdigit(), x.headers


# --------------------------------------------------------------------- 16

@pytest.mark.expect_log(r'claims left out of the session')
def test_aoidc_920_16_huge_claims_still_log_in(review, evil, s, env):
    """Finding 16: userinfo with large claims made a session record the
    store refuses, and the login ended in a 500. The largest claims are
    left out now (never sub), with a warning."""
    evil.set_mode('userinfo_huge', n=40, size=1024)
    r = login(env, s, evil, '/evil/')
    assert r.status_code == 200 and INDEX_MARK in r.text, r.status_code
    e = cgi_env(get(s, env.url('/evil/env.cgi'), timeout=REQ_TIMEOUT))
    assert e['REMOTE_USER'] == 'alice', e.get('REMOTE_USER')
    assert e.get('OIDC_CLAIM_email') == 'alice@example.com'
    big = [k for k in e if k.startswith('OIDC_CLAIM_big_')]
    assert len(big) < 40, 'no claim left out: %d' % len(big)
    assert env.find_log(r'claims left out of the session')


# --------------------------------------------------------------------- 18

def test_aoidc_920_18_secure_behind_tls_termination(review, evil, s, env):
    """Finding 18: cookies were Secure only when the request itself came
    over https; behind a TLS terminator (plain-http vhost, https redirect
    URI) the state and session cookies went out without it."""
    r1 = get(s, env.url('/sec/'), timeout=REQ_TIMEOUT)
    assert r1.status_code == 302, r1.status_code
    assert query1(location(r1))['redirect_uri'] == 'https://127.0.0.1:%d/sec/redirect_uri' % env.port
    scs = set_cookies(r1)
    assert scs, 'no state cookie'
    for sc in scs:
        assert 'secure' in parse_set_cookie(sc)[2], 'no Secure: %s' % sc[:120]
    # finish the login over plain http (what the terminator forwards)
    state = [parse_set_cookie(sc)[:2] for sc in scs if not parse_set_cookie(sc)[2].get('max-age') == '0']
    cb = authenticate(evil, s, r1)
    assert cb.startswith('https://127.0.0.1:%d/sec/redirect_uri?' % env.port), cb
    r2 = raw_get(env.url(cb[cb.index('/sec/'):]), headers={'Cookie': cookie_header(state)},
                 timeout=REQ_TIMEOUT)
    assert r2.status_code == 302, r2.status_code
    assert cookies_named(r2, COOKIE), set_cookies(r2)
    for sc in set_cookies(r2):
        assert 'secure' in parse_set_cookie(sc)[2], 'no Secure: %s' % sc[:120]


# --------------------------------------------------------------------- 19

A_SECRET = 'secret-of-issuer-A-0123456789abcdef'


def test_aoidc_920_19_identity_not_merged_across_issuers(env, evil, fresh_evil, s):
    """Finding 19: the provider identity merged field by field, so a nested
    section naming only another issuer sent the outer section's client
    secret to that issuer. B is a second EvilOP that records every client
    credential it receives."""
    a, b = evil, fresh_evil
    (AoidcConf(env)
     .add('AuthOIDCHTTPTimeout %d' % TIMEOUT)
     .add_location('/x', oidc_lines(a, prefix='/x', secret=A_SECRET))
     .add_location('/x/y', ['AuthOIDCIssuer %s' % b.issuer,
                            'AuthOIDCRedirectURI /x/y/redirect_uri'])
     .add_location('/xb', bearer_lines(a, authname='xb', secret=A_SECRET))
     .add_location('/xb/y', ['AuthOIDCIssuer %s' % b.issuer])
     .install())
    env.expect_log(r'reason=config\b.*needs AuthOIDCClientID')

    # RP: the nested location is not configured (no client of its own)
    r = get(s, env.url('/x/y/'), timeout=REQ_TIMEOUT)
    if r.status_code == 302 and location(r).startswith(b.issuer):
        # the pre-fix module: follow the login to B, which sees the code exchange
        env.expect_log(r'reason=token_endpoint\b')
        get(s, authenticate(b, s, r), timeout=REQ_TIMEOUT)

    # RS: an opaque token at the nested location: no introspection with A's client
    env.expect_log(r'reason=(no_introspection|op_bad_response|token_endpoint|introspect\w*)\b')
    rb = raw_get(env.url('/xb/y/echo/'),
                 headers={'Authorization': 'Bearer ' + secrets.token_urlsafe(20)},
                 timeout=REQ_TIMEOUT)

    leaked = [c for c in b.credentials_seen if c['client_secret'] == A_SECRET]
    assert not leaked, 'issuer B received issuer A\'s client secret: %s' % [
        (c['endpoint'], c['method']) for c in leaked]
    assert b.credentials_seen == [], b.credentials_seen
    assert a.credentials_seen == [], a.credentials_seen
    assert r.status_code == 500, r.status_code
    assert rb.status_code in (401, 500), rb.status_code


# --------------------------------------------------------------------- 20

def split_conf(env, evil, authtype_in):
    """AuthType oidc in one kind of section, the AuthOIDC* directives in the
    other, both matching /public/ (a directory under DocumentRoot)."""
    lines = oidc_lines(evil, prefix='/public', scope='openid email', require=None)
    auth = [ln for ln in lines if ln.split()[0] in ('AuthType', 'AuthName')] + ['Require valid-user']
    rest = [ln for ln in lines if ln.split()[0] not in ('AuthType', 'AuthName')]
    dir_lines, loc_lines = (auth, rest) if authtype_in == 'Directory' else (rest, auth)
    body = ''.join('    %s\n' % ln for ln in dir_lines)
    return (AoidcConf(env)
            .add('<Directory %s/public>\n%s</Directory>' % (env.htdocs, body))
            .add_location('/public', loc_lines))


@pytest.mark.parametrize('authtype_in', ['Directory', 'Location'])
def test_aoidc_920_20_split_config_passes_configtest(env, evil, s, authtype_in):
    """Finding 20: configtest looked for the AuthOIDC* directives inside the
    section that says AuthType oidc and refused a valid split between a
    <Directory> and a <Location>, which httpd merges at request time."""
    conf = split_conf(env, evil, authtype_in)
    rc, out = conf.configtest()
    assert rc == 0 and 'Syntax OK' in out, out
    conf.install()
    r = login(env, s, evil, '/public/a/')
    assert r.status_code == 200 and INDEX_MARK in r.text, r.status_code

    # still refused: no AuthOIDCIssuer anywhere
    broken = AoidcConf(env).add(conf.text().replace('AuthOIDCIssuer ', '#AuthOIDCIssuer '))
    rc, out = broken.configtest()
    assert rc != 0 and 'AuthOIDCIssuer' in out, out


# --------------------------------------------------------------------- 17

def test_aoidc_920_17_two_issuers_keep_both_sessions(env, evil, fresh_evil, s):
    """Finding 17: two apps on one host with different OPs deleted each
    other's session cookie. Now each identity keeps its own ticket in the
    one cookie, and neither location ends the other's."""
    (AoidcConf(env)
     .add_location('/evil', oidc_lines(evil, prefix='/evil', scope='openid email'))
     .add_location('/down', oidc_lines(fresh_evil, prefix='/down', scope='openid email'))
     .install())
    assert login(env, s, evil, '/evil/').status_code == 200
    assert login(env, s, fresh_evil, '/down/').status_code == 200
    tickets = jar_value(s, COOKIE).split('~')
    assert len(tickets) == 2 and tickets[0][:6] != tickets[1][:6], tickets
    # both sessions still served, no new login for either
    for path in ('/evil/', '/down/', '/evil/'):
        r = get(s, env.url(path))
        assert r.status_code == 200 and INDEX_MARK in r.text, (path, r.status_code)
    # logging out of one leaves the other
    r = get(s, env.url('/down/redirect_uri?logout=/loggedout.html'))
    assert r.status_code == 302
    assert len(jar_value(s, COOKIE).split('~')) == 1
    r = get(s, env.url('/evil/'))
    assert r.status_code == 200 and INDEX_MARK in r.text, r.status_code
