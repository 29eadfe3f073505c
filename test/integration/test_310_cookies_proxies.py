"""310: cookies, reverse proxies and the knobs legacy apps rely on (issue 10):
AuthOIDCCookieName/Domain/Path/SameSite, AuthOIDCStateTimeout,
AuthOIDCStateMaxCookies, AuthOIDCUnAuthAction, AuthOIDCPassClaimsAs,
AuthOIDCClaimDelimiter, AuthOIDCAuthRequestParams, AuthOIDCRefreshBeforeExpiry,
AuthOIDCInfo, AuthOIDCTrustedProxy (behind a real TLS-terminating apache2),
openid always requested, and our own cookies kept from the backend.

This file runs its own RealOP (`op310`): it registers the prefixes below on
the httpd under test and, for the proxy tests, on the TLS proxy's origin."""

import http.client
import json
import os
import re
import subprocess
import time
import urllib.parse

import pytest
import requests

from pyaoidc.client import (authenticate, cookie_header, cookies_named, get, is_clearing,
                            jar_names, jar_value, location, login, new_session,
                            query1, raw_get, set_cookies, start_login)
from pyaoidc.env import AoidcConf, Echo, cgi_env, free_port, oidc_lines
from pyaoidc import tlsfront
from pyaoidc.op import RealOP

PREFIXES = ('/ck', '/cd', '/st', '/ua', '/pc', '/px', '/rb', '/rn', '/in')


@pytest.fixture(scope='module')
def proxy_port():
    return free_port()


@pytest.fixture(scope='module')
def op310(env, proxy_port):
    uris = [env.url(p + '/redirect_uri') for p in PREFIXES]
    uris += ['https://127.0.0.1:%d%s/redirect_uri' % (proxy_port, p) for p in PREFIXES]
    o = RealOP(redirect_uris=uris, post_logout_uris=[env.url('/loggedout.html')],
               log_path=os.path.join(env.logs_dir, 'op-310.log'))
    o.start()
    yield o
    o.stop()


def lines(op, prefix, *extra, **kw):
    return oidc_lines(op, prefix=prefix, extra=list(extra), **kw)


def install(env, op, *locations):
    """locations: (prefix, [extra lines]) pairs; a prefix below an earlier
    one gets only its extra lines (it inherits the rest, redirect URI too)."""
    c = AoidcConf(env)
    for i, (prefix, extra) in enumerate(locations):
        nested = any(prefix.startswith(p + '/') for p, _ in locations[:i])
        c.add_location(prefix, list(extra) if nested else lines(op, prefix, *extra))
    return c.install()


def set_cookie_of(r, name):
    """(value, attrs) of the one non-clearing Set-Cookie called name."""
    got = [c for c in cookies_named(r, name) if not is_clearing(c)]
    assert len(got) == 1, 'expected one Set-Cookie %s: %s' % (name, set_cookies(r))
    return got[0][1], got[0][2]


def login_to_callback(env, s, op, path, user='alice'):
    """Start a login at path and log in at the OP; returns the callback
    response (not followed)."""
    cb = authenticate(op, s, start_login(env, s, path), user=user)
    return get(s, cb)


def sent_cookies(echo):
    """The backend's Cookie header as a list of raw 'name=value' pieces,
    without the OP's own (_session*: cookies ignore ports, and the OP runs
    on 127.0.0.1 too)."""
    vals = echo.values('Cookie')
    assert len(vals) <= 1, vals
    return [p.strip() for p in vals[0].split(';')
            if not p.strip().startswith('_session')] if vals else []


# --------------------------------------------------------------------- cookies

def test_aoidc_310_01_cookie_name_path_samesite(env, op310, s):
    install(env, op310, ('/ck', ['AuthOIDCCookieName app_sess', 'AuthOIDCCookiePath /ck',
                                 'AuthOIDCCookieSameSite Strict']))
    r1 = start_login(env, s, '/ck/echo/')
    (_, _, st), = cookies_named(r1, 'aoidc_state_', prefix=True)
    # state cookies keep their own attributes: host-only, /, Lax
    assert st.get('path') == '/' and str(st.get('samesite')).lower() == 'lax', st
    assert 'domain' not in st and 'secure' not in st, st
    r2 = get(s, authenticate(op310, s, r1))
    assert r2.status_code == 302, (r2.status_code, r2.text[:300])
    value, a = set_cookie_of(r2, 'app_sess')
    assert value
    assert a.get('path') == '/ck', a
    assert a.get('samesite') == 'Strict', a
    assert a.get('httponly') is True and 'secure' not in a and 'domain' not in a, a
    assert not cookies_named(r2, 'aoidc_session'), set_cookies(r2)
    # the session is read from app_sess, and only from it
    r = get(s, env.url('/ck/echo/'))
    assert r.status_code == 200, r.status_code
    assert Echo(r).value('OIDC_CLAIM_sub') == 'alice'
    r = raw_get(env.url('/ck/echo/'), headers={'Cookie': 'aoidc_session=' + value})
    assert r.status_code == 302, 'a session under the default name was accepted'
    # logout deletes it with the same Path (else the browser keeps it)
    r = get(s, env.url('/ck/redirect_uri?logout=') + urllib.parse.quote(env.url('/loggedout.html')))
    assert r.status_code == 302, r.status_code
    gone = [c for c in cookies_named(r, 'app_sess') if is_clearing(c)]
    assert gone and gone[0][2].get('path') == '/ck', set_cookies(r)


def test_aoidc_310_02_samesite_none_forces_secure_and_domain(env, op310, s):
    install(env, op310, ('/cd', ['AuthOIDCCookieSameSite None',
                                 'AuthOIDCCookieDomain example.test']))
    r1 = start_login(env, s, '/cd/')
    (_, _, st), = cookies_named(r1, 'aoidc_state_', prefix=True)
    assert 'secure' not in st and 'domain' not in st and str(st['samesite']).lower() == 'lax', st
    r2 = get(s, authenticate(op310, s, r1))
    assert r2.status_code == 302, r2.status_code
    _, a = set_cookie_of(r2, 'aoidc_session')
    assert a.get('samesite') == 'None' and a.get('secure') is True, a
    assert a.get('domain') == 'example.test', a


# --------------------------------------------------------------------- state

def test_aoidc_310_03_state_timeout(env, op310, s):
    install(env, op310, ('/st', ['AuthOIDCStateTimeout 10']))
    r1 = start_login(env, s, '/st/echo/')
    (name, value, a), = cookies_named(r1, 'aoidc_state_', prefix=True)
    # the cookie outlives the attempt (twice the timeout): a late callback
    # is then known as expired, with its URL, not as unknown
    assert a.get('max-age') == '20', a
    cb = authenticate(op310, s, r1)
    time.sleep(11)
    # not a navigation (a script): refused; a navigation would restart
    r = raw_get(cb, headers={'Cookie': cookie_header([(name, value)]),
                             'Sec-Fetch-Mode': 'cors'})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert not cookies_named(r, 'aoidc_session'), set_cookies(r)
    env.assert_reason('state_expired')
    # a fresh attempt within the timeout logs in
    r = login(env, new_session(), op310, '/st/echo/')
    assert r.status_code == 200


def test_aoidc_310_04_state_max_cookies(env, op310, s):
    install(env, op310, ('/st', ['AuthOIDCStateMaxCookies 2']))
    starts = [start_login(env, s, '/st/echo/%d' % i) for i in range(2)]
    first = jar_names(s, 'aoidc_state_')
    assert len(first) == 2 and not any(is_clearing(c) for r in starts
                                       for c in cookies_named(r, 'aoidc_state_', prefix=True))
    r3 = start_login(env, s, '/st/echo/2')
    evicted = [c[0] for c in cookies_named(r3, 'aoidc_state_', prefix=True) if is_clearing(c)]
    assert evicted == [first[0]], 'expected the oldest (%s) evicted: %s' % (first[0],
                                                                             set_cookies(r3))
    assert len(jar_names(s, 'aoidc_state_')) == 2
    # the evicted attempt cannot complete (a script is refused; a browser
    # navigation would start a fresh login instead); the newest can
    r = get(s, authenticate(op310, s, starts[0]), headers={'Sec-Fetch-Mode': 'cors'})
    assert r.status_code == 400, r.status_code
    env.assert_reason('state_missing')
    r = get(s, authenticate(op310, s, r3))
    assert r.status_code == 302 and location(r).endswith('/st/echo/2'), r.status_code


# --------------------------------------------------------------------- unauthenticated

UA = [('/ua', ['AuthOIDCUnAuthAction 401']),
      ('/ua/gone', ['AuthOIDCUnAuthAction 410']),
      ('/ua/pass', ['AuthOIDCUnAuthAction pass']),
      ('/ua/in', ['AuthOIDCUnAuthAction auth'])]


def test_aoidc_310_05_unauth_401_410(env, op310, s):
    install(env, op310, *UA)
    r = get(s, env.url('/ua/echo/'))
    assert r.status_code == 401 and 'Location' not in r.headers, r.status_code
    assert not cookies_named(r, 'aoidc_state_', prefix=True)
    r = get(s, env.url('/ua/gone/echo/'))
    assert r.status_code == 410 and 'Location' not in r.headers, r.status_code
    assert not cookies_named(r, 'aoidc_state_', prefix=True)
    env.assert_reason('no_credentials')


def test_aoidc_310_06_unauth_pass(env, op310, s):
    install(env, op310, *UA)
    spoof = {'OIDC_CLAIM_sub': 'mallory', 'Cookie': 'theme=dark; aoidc_state_x=y'}
    r = raw_get(env.url('/ua/pass/echo/'), headers=spoof)
    assert r.status_code == 200, r.status_code
    echo = Echo(r)
    assert not echo.prefixed(), echo.headers
    assert sent_cookies(echo) == ['theme=dark'], echo.headers
    e = cgi_env(raw_get(env.url('/ua/pass/env.cgi')))
    assert not e.get('REMOTE_USER') and not [k for k in e if k.startswith('OIDC_CLAIM_')], e
    # a session made elsewhere under the same cookie gives the claims here
    r = login_to_callback(env, s, op310, '/ua/in/echo/')
    assert r.status_code == 302
    echo = Echo(get(s, env.url('/ua/pass/echo/')))
    assert echo.value('OIDC_CLAIM_sub') == 'alice'
    assert cgi_env(get(s, env.url('/ua/pass/env.cgi')))['REMOTE_USER'] == 'alice'
    assert get(s, env.url('/ua/gone/echo/')).status_code == 200


# --------------------------------------------------------------------- claims

PC = [('/pc', []),
      ('/pc/dl', ['AuthOIDCClaimDelimiter ,']),
      ('/pc/none', ['AuthOIDCPassClaimsAs none']),
      ('/pc/hdr', ['AuthOIDCPassClaimsAs headers']),
      ('/pc/env', ['AuthOIDCPassClaimsAs environment'])]


def test_aoidc_310_07_pass_claims_as(env, op310, s):
    install(env, op310, *PC)
    login(env, s, op310, '/pc/echo/')
    spoof = {'OIDC_CLAIM_sub': 'mallory'}

    def both(prefix):
        echo = Echo(get(s, env.url(prefix + '/echo/'), headers=spoof))
        e = cgi_env(get(s, env.url(prefix + '/env.cgi'), headers=spoof))
        assert e['REMOTE_USER'] == 'alice', (prefix, e.get('REMOTE_USER'))
        assert 'mallory' not in json.dumps(e) and 'mallory' not in json.dumps(echo.headers)
        return dict(echo.prefixed()), {k: v for k, v in e.items() if k.startswith('OIDC_CLAIM_')}

    h, e = both('/pc/none')
    assert not h and not e, (h, e)
    h, e = both('/pc/hdr')
    assert h.get('OIDC_CLAIM_sub') == 'alice' and not e, (h, e)
    h, e = both('/pc/env')
    assert not h and e.get('OIDC_CLAIM_sub') == 'alice', (h, e)


def test_aoidc_310_08_claim_delimiter(env, op310, s):
    install(env, op310, *PC)
    login(env, s, op310, '/pc/echo/')
    echo = Echo(get(s, env.url('/pc/dl/echo/')))
    assert echo.value('OIDC_CLAIM_groups') == 'staff,ops'
    assert echo.value('OIDC_CLAIM_email') == 'alice@example.com'
    assert echo.value('OIDC_CLAIM_email_verified') == 'true'
    assert cgi_env(get(s, env.url('/pc/dl/env.cgi')))['OIDC_CLAIM_groups'] == 'staff,ops'
    # next door, without the directive: JSON
    assert json.loads(Echo(get(s, env.url('/pc/echo/'))).value('OIDC_CLAIM_groups')) == \
        ['staff', 'ops']


# --------------------------------------------------------------------- authorization request

def test_aoidc_310_09_auth_request_params(env, op310, s):
    install(env, op310, ('/rb', ['AuthOIDCAuthRequestParams "prompt=login&kc_idp_hint=corp%20sso"']))
    r = start_login(env, s, '/rb/echo/')
    q = query1(location(r))
    assert q['prompt'] == 'login' and q['kc_idp_hint'] == 'corp sso', q
    assert q['response_type'] == 'code' and q['state'], q
    # the OP honours it: prompt=login asks again although alice has an OP session
    r = get(s, authenticate(op310, s, r))
    assert r.status_code == 302
    # same browser (same OP session), our session cookie gone
    for c in [c for c in s.cookies if c.name == 'aoidc_session']:
        s.cookies.clear(c.domain, c.path, c.name)
    r = start_login(env, s, '/rb/echo/x')
    hops = get(s, location(r))
    assert hops.status_code in (302, 303), hops.status_code
    page = get(s, location(hops))
    assert page.status_code == 200 and 'name="login"' in page.text, page.text[:300]


def test_aoidc_310_10_scope_without_openid(env, op310, s):
    rc, out = AoidcConf(env).add_location('/rb', lines(op310, '/rb', scope='email profile')) \
                            .configtest()
    assert rc == 0 and 'AOIDC00150' in out, out
    env.expect_log(r'AOIDC00150')
    AoidcConf(env).add_location('/rb', lines(op310, '/rb', scope='email profile')).install()
    q = query1(location(start_login(env, s, '/rb/')))
    assert q['scope'].split() == ['openid', 'email', 'profile'], q['scope']


@pytest.mark.parametrize('directive,words', [
    ('AuthOIDCAuthRequestParams "state=abc"', ['state']),
    ('AuthOIDCAuthRequestParams "redirect_uri=http://evil.example/"', ['redirect_uri']),
    ('AuthOIDCAuthRequestParams "nonce=x&prompt=login"', ['nonce']),
    ('AuthOIDCCookieSameSite Sometimes', ['AuthOIDCCookieSameSite']),
    ('AuthOIDCCookieName "a;b"', ['AuthOIDCCookieName']),
    ('AuthOIDCCookieName a=b', ['AuthOIDCCookieName']),
    ('AuthOIDCCookieName "a b"', ['AuthOIDCCookieName']),
    ('AuthOIDCCookiePath ck', ['AuthOIDCCookiePath']),
    ('AuthOIDCCookieDomain "a;b"', ['AuthOIDCCookieDomain']),
    ('AuthOIDCStateTimeout 9', ['AuthOIDCStateTimeout', '10']),
    ('AuthOIDCStateMaxCookies 0', ['AuthOIDCStateMaxCookies']),
    ('AuthOIDCStateMaxCookies 21', ['AuthOIDCStateMaxCookies']),
    ('AuthOIDCTrustedProxy 10.0.0.0/33', ['AuthOIDCTrustedProxy']),
    ('AuthOIDCTrustedProxy proxy.example', ['AuthOIDCTrustedProxy']),
    ('AuthOIDCTrustedProxy 127.0.0.1 300.1.1.1', ['AuthOIDCTrustedProxy']),
    ('AuthOIDCUnAuthAction redirect', ['AuthOIDCUnAuthAction']),
    ('AuthOIDCPassClaimsAs xml', ['AuthOIDCPassClaimsAs']),
    ('AuthOIDCClaimDelimiter ",,"', ['AuthOIDCClaimDelimiter']),
    ('AuthOIDCRefreshBeforeExpiry soon', ['AuthOIDCRefreshBeforeExpiry']),
    ('AuthOIDCInfo json', ['AuthOIDCInfo']),
], ids=lambda v: re.sub(r'\W+', '_', v) if isinstance(v, str) else None)
def test_aoidc_310_11_configtest_refuses(env, op310, directive, words):
    rc, out = AoidcConf(env).add_location('/rb', lines(op310, '/rb', directive)).configtest()
    assert rc != 0, 'configtest accepted %s:\n%s' % (directive, out)
    for w in words:
        assert w.lower() in out.lower(), (w, out)


def test_aoidc_310_12_configtest_accepts(env, op310):
    good = ['AuthOIDCCookieName my_app-sess.1', 'AuthOIDCCookieDomain .example.test',
            'AuthOIDCCookiePath /rb', 'AuthOIDCCookieSameSite strict',
            'AuthOIDCStateTimeout 10', 'AuthOIDCStateMaxCookies 20',
            'AuthOIDCUnAuthAction 410', 'AuthOIDCPassClaimsAs both',
            'AuthOIDCClaimDelimiter |', 'AuthOIDCAuthRequestParams "prompt=consent&x=1"',
            'AuthOIDCRefreshBeforeExpiry 30', 'AuthOIDCInfo on',
            'AuthOIDCTrustedProxy 10.0.0.0/8 192.0.2.1 ::1 fd00::/8']
    rc, out = AoidcConf(env).add_location('/rb', lines(op310, '/rb', *good)).configtest()
    assert rc == 0 and 'Syntax OK' in out, out


# --------------------------------------------------------------------- refresh

def test_aoidc_310_13_refresh_before_expiry(env, op310):
    """The OP's access tokens live 300 s: with AuthOIDCRefreshBeforeExpiry 294
    the session refreshes 6 s after the login; without it, it does not."""
    install(env, op310, ('/rb', ['AuthOIDCRefreshBeforeExpiry 294', 'AuthOIDCPassAccessToken on']),
            ('/rn', ['AuthOIDCPassAccessToken on']))
    s1, s2 = new_session(), new_session()
    t0 = time.time()                    # the tokens are issued after this ...
    login(env, s1, op310, '/rb/echo/')
    login(env, s2, op310, '/rn/echo/')
    t1 = time.time()                    # ... and before this
    at1 = Echo(get(s1, env.url('/rb/echo/'))).value('OIDC_access_token')
    at2 = Echo(get(s2, env.url('/rn/echo/'))).value('OIDC_access_token')
    again = Echo(get(s1, env.url('/rb/echo/'))).value('OIDC_access_token')
    if time.time() < t0 + 5.5:          # surely not due yet (a slow machine skips this)
        assert again == at1, 'refreshed though not yet due'
    time.sleep(max(0, t1 + 6.5 - time.time()))
    new1 = Echo(get(s1, env.url('/rb/echo/'))).value('OIDC_access_token')
    assert new1 != at1, 'no refresh 6.5 s into a 300 s token with RefreshBeforeExpiry 294'
    assert op310.introspect(new1)['active'] is True
    assert Echo(get(s2, env.url('/rn/echo/'))).value('OIDC_access_token') == at2
    assert Echo(get(s1, env.url('/rb/echo/'))).value('OIDC_access_token') == new1


# --------------------------------------------------------------------- info

def test_aoidc_310_14_info(env, op310):
    install(env, op310, ('/in', ['AuthOIDCInfo on', 'AuthOIDCPassAccessToken on']),
            ('/rn', []))
    info_url = env.url('/in/redirect_uri?info=json')
    sa, sb = new_session(), new_session()
    login(env, sa, op310, '/in/echo/')
    login(env, sb, op310, '/in/echo/', user='bob')
    at = Echo(get(sa, env.url('/in/echo/'))).value('OIDC_access_token')
    r = get(sa, info_url)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers['Content-Type'].startswith('application/json')
    assert 'no-store' in r.headers.get('Cache-Control', '')
    j = r.json()
    assert j['sub'] == 'alice' and j['iss'] == op310.issuer, j
    assert j['claims']['email'] == 'alice@example.com' and j['claims']['groups'] == ['staff', 'ops']
    assert isinstance(j['expires'], int) and j['expires'] > time.time(), j
    assert j['has_refresh_token'] is True
    assert at not in r.text and not re.search(r'eyJ[\w-]+\.', r.text), r.text
    assert not [k for k in j if 'token' in k and k not in ('has_refresh_token',
                                                            'access_token_expires')], j
    # own session only, whatever the query asks for
    assert get(sb, info_url + '&sub=alice').json()['sub'] == 'bob'
    # 401 without a session, or with a garbage one
    for jar in (new_session(), None):
        r = get(jar, info_url) if jar else raw_get(info_url, headers={'Cookie': 'aoidc_session=xx'})
        assert r.status_code == 401 and 'sub' not in r.text, (r.status_code, r.text[:300])


def test_aoidc_310_15_info_off_by_default(env, op310, s):
    install(env, op310, ('/in', ['AuthOIDCInfo on']), ('/rn', []))
    login(env, s, op310, '/rn/echo/')
    r = get(s, env.url('/rn/redirect_uri?info=json'))
    assert r.status_code == 400 and 'alice' not in r.text, (r.status_code, r.text[:300])
    env.assert_reason('state_missing', 'malformed')


# --------------------------------------------------------------------- backend cookies

def test_aoidc_310_16_backend_cookie_header(env, op310, s):
    install(env, op310, ('/ck', []))
    start_login(env, s, '/ck/other')            # a pending login: a state cookie too
    login(env, s, op310, '/ck/echo/')
    assert jar_names(s, 'aoidc_state_') and jar_value(s, 'aoidc_session')
    s.cookies.set('theme', 'dark')
    echo = Echo(get(s, env.url('/ck/echo/')))
    got = sent_cookies(echo)
    assert 'theme=dark' in got, got
    assert not [c for c in got if c.startswith(('aoidc_session=', 'aoidc_state_'))], got
    # only ours: no Cookie header at all
    for c in [c for c in s.cookies if c.name == 'theme']:
        s.cookies.clear(c.domain, c.path, c.name)
    assert sent_cookies(Echo(get(s, env.url('/ck/echo/')))) == []
    # the app's cookies arrive as sent: quotes, spacing, nameless ones
    sess = jar_value(s, 'aoidc_session')
    hdr = 'a="x y"; aoidc_session=%s; flag; b=1=2; c=' % sess
    echo = Echo(raw_get(env.url('/ck/echo/'), headers={'Cookie': hdr}))
    assert echo.value('OIDC_CLAIM_sub') == 'alice'
    assert sent_cookies(echo) == ['a="x y"', 'flag', 'b=1=2', 'c='], echo.values('Cookie')


# --------------------------------------------------------------------- reverse proxy

class TLSProxy(tlsfront.TLSFront):
    """A second Debian apache2 (mod_ssl + mod_proxy_http) on 127.0.0.1:port
    terminating TLS in front of the httpd under test (self-signed)."""

    name = 'TLS proxy'

    def __init__(self, env, port):
        super().__init__(env, 'tlsproxy', port, env.port)
        self.cert = os.path.join(self.root, 'cert.pem')

    def make_cert(self):
        key = os.path.join(self.root, 'key.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
                        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
                        '-keyout', key, '-out', self.cert],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self.cert, key

    def session(self):
        s = new_session()
        s.trust_env = False         # else REQUESTS_CA_BUNDLE beats s.verify
        s.verify = self.cert
        return s


@pytest.fixture(scope='module')
def tls_proxy(env, proxy_port):
    p = TLSProxy(env, proxy_port).start()
    yield p
    p.stop()


PX = [('/px', ['AuthOIDCTrustedProxy 127.0.0.1/32 ::1']),
      ('/px/nt', ['AuthOIDCTrustedProxy 192.0.2.0/24'])]


def redirect_uri_of(r):
    """redirect_uri of a login redirect (requests or http.client response)."""
    status = getattr(r, 'status_code', None) or r.status
    assert status == 302, status
    loc = r.headers['Location'] if hasattr(r, 'status_code') else r.getheader('Location')
    return query1(loc)['redirect_uri']


def direct(env, path, headers, source='127.0.0.1'):
    """GET path on the httpd under test from source (a loopback address)."""
    c = http.client.HTTPConnection('127.0.0.1', env.port, timeout=30, source_address=(source, 0))
    try:
        c.request('GET', path, headers=headers)
        r = c.getresponse()
        r.read()
        return r
    finally:
        c.close()


def test_aoidc_310_20_login_through_tls_proxy(env, op310, tls_proxy):
    install(env, op310, *PX)
    s = tls_proxy.session()
    r1 = s.get(tls_proxy.url + '/px/echo/deep?x=1', allow_redirects=False, timeout=30)
    assert r1.status_code == 302, (r1.status_code, r1.text[:300])
    assert redirect_uri_of(r1) == tls_proxy.url + '/px/redirect_uri'
    (_, _, st), = cookies_named(r1, 'aoidc_state_', prefix=True)
    assert st.get('secure') is True, st
    cb = op310.login(s, r1)
    assert cb.startswith(tls_proxy.url + '/px/redirect_uri?'), cb
    r2 = s.get(cb, allow_redirects=False, timeout=30)
    assert r2.status_code == 302, (r2.status_code, r2.text[:300])
    _, a = set_cookie_of(r2, 'aoidc_session')
    assert a.get('secure') is True, a
    back = urllib.parse.urljoin(cb, r2.headers['Location'])
    assert back == tls_proxy.url + '/px/echo/deep?x=1', back
    s.cookies.set('theme', 'dark')
    r3 = s.get(back, allow_redirects=False, timeout=30)
    assert r3.status_code == 200, r3.status_code
    echo = Echo(r3)
    assert echo.value('OIDC_CLAIM_sub') == 'alice'
    assert echo.value('X-Forwarded-Proto') == 'https'
    got = sent_cookies(echo)
    assert got == ['theme=dark'], got
    # a client-sent X-Forwarded-Host comes first; the proxy's own value last wins
    r = requests.get(tls_proxy.url + '/px/x', headers={'X-Forwarded-Host': 'evil.example'},
                     verify=tls_proxy.cert, allow_redirects=False, timeout=30)
    assert redirect_uri_of(r) == tls_proxy.url + '/px/redirect_uri'


def test_aoidc_310_21_untrusted_client_headers_ignored(env, op310):
    install(env, op310, *PX)
    fwd = {'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example',
           'X-Forwarded-Port': '8443'}
    own = env.url('/px/redirect_uri')
    # not from 127.0.0.1: not believed
    r = direct(env, '/px/', fwd, source='127.0.0.2')
    assert redirect_uri_of(r) == own
    assert 'Secure' not in ' '.join(r.msg.get_all('Set-Cookie'))
    # from an address outside the location's list: not believed either
    r = direct(env, '/px/nt/', fwd)
    assert redirect_uri_of(r) == own
    # from the trusted address: believed
    r = direct(env, '/px/', fwd)
    assert redirect_uri_of(r) == 'https://evil.example:8443/px/redirect_uri'
    assert 'Secure' in ' '.join(r.msg.get_all('Set-Cookie'))


@pytest.mark.parametrize('hdrs,want', [
    ({'Forwarded': 'for=192.0.2.9;proto=https;host="www.example.test:8443"'},
     'https://www.example.test:8443'),
    ({'Forwarded': 'proto=http;host=evil.example, for=10.0.0.1;proto=https;host=www.example.test'},
     'https://www.example.test'),
    ({'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'www.example.test',
      'X-Forwarded-Port': '443'}, 'https://www.example.test'),
    ({'X-Forwarded-Proto': 'ftp'}, None),
    ({'X-Forwarded-Host': 'evil.example/x?'}, None),
    ({'X-Forwarded-Host': 'evil"example'}, None),
    ({'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'a b'}, 'https://127.0.0.1'),
    ({'X-Forwarded-Proto': 'https', 'X-Forwarded-Port': '8443x'}, 'https://127.0.0.1'),
], ids=['rfc7239', 'rfc7239-last', 'xf-default-port', 'bad-proto', 'bad-host', 'quote-host',
        'space-host', 'bad-port'])
def test_aoidc_310_22_forwarded_headers_checked(env, op310, hdrs, want):
    """From a trusted address: RFC 7239 Forwarded (last element) and
    X-Forwarded-*; bad values are ignored as if absent (want None: our own
    origin, port included)."""
    install(env, op310, *PX)
    r = direct(env, '/px/', hdrs)
    assert redirect_uri_of(r) == (want + '/px/redirect_uri' if want
                                  else env.url('/px/redirect_uri'))


def test_aoidc_310_23_canonical_name_instead_of_headers(env, op310):
    """The alternative to AuthOIDCTrustedProxy (docs/proxies.md): ServerName
    with the public https origin and UseCanonicalName On; no header believed."""
    c = AoidcConf(env).add('ServerName https://www.example.test:443\nUseCanonicalName On')
    c.add_location('/px', lines(op310, '/px')).install()
    r = direct(env, '/px/', {'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': 'evil.example'})
    assert redirect_uri_of(r) == 'https://www.example.test/px/redirect_uri'
    assert 'Secure' in ' '.join(r.msg.get_all('Set-Cookie'))
