"""320: a login that never strands a user (expired, unknown and used login
attempts restart a fresh login, bounded), error pages (built in, from
AuthOIDCErrorTemplate, an operator's ErrorDocument), log lines an operator
can use, and the configtest checks of issue 10."""

import concurrent.futures
import html
import os
import re
import secrets
import time
import urllib.parse

import pytest

from pyaoidc.client import (authenticate, callback, cookie_header, get, jar_names, location,
                            login, new_session, raw_get, session_cookie_set, set_cookies,
                            start_login)
from pyaoidc.env import AoidcConf, INDEX_MARK, bearer_lines, free_port, oidc_lines

XHR = {'Sec-Fetch-Mode': 'cors', 'Accept': 'application/json'}
TEMPLATE = ('<!doctype html><html><head><meta charset="utf-8"><title>ACME: %TITLE%</title>'
            '<style>body{margin:0;font-family:Georgia,serif;background:#fffaf0}'
            'header{background:#7a1f1f;color:#fff;padding:1rem 2rem;font-size:1.4rem}'
            'main{padding:2rem}a{color:#7a1f1f;font-weight:bold}</style>'
            '</head><body class="acme"><header>ACME Intranet</header><main>'
            '<h1>%TITLE% (%STATUS%)</h1><p>%MESSAGE%</p>'
            '<p><a id="retry" href="%RETRY_URL%">Try again</a></p>'
            '<p>Quote <code>%REQUEST_ID%</code> to the help desk. '
            '100% kept %UNKNOWN% \u00e4\u00f6\u00fc</p></main></body></html>\n')
STATE_TIMEOUT = 10


def template_path(env):
    return os.path.join(env.conf_dir, 'aoidc-error-template.html')


def robust_conf(env, op):
    with open(template_path(env), 'w', encoding='utf-8') as f:
        f.write(TEMPLATE)
    return (AoidcConf(env)
            .add_location('/app', oidc_lines(op, extra=['AuthOIDCStateTimeout %d' % STATE_TIMEOUT]))
            .add_location('/app2', oidc_lines(op, prefix='/app2', extra=[
                'AuthOIDCErrorTemplate %s' % template_path(env)]))
            .add_location('/sess', oidc_lines(op, prefix='/sess', extra=[
                'ErrorDocument 400 "operator says no"']))
            .add_location('/api', bearer_lines(op)))


@pytest.fixture
def robust(env, op):
    robust_conf(env, op).install()
    return env


def no_session(r):
    assert not session_cookie_set(r), 'a session cookie was set: %s' % set_cookies(r)


def assert_restart(env, op, r):
    """r started a fresh login (302 to the OP's authorization endpoint)."""
    assert r.status_code == 302, '%s %s' % (r.status_code, r.text[:300])
    assert location(r).startswith(op.metadata['authorization_endpoint']), location(r)
    no_session(r)
    assert [n for n in jar_names_of(r) if n.startswith('aoidc_state_')], set_cookies(r)


def jar_names_of(r):
    return [sc.split('=', 1)[0].strip() for sc in set_cookies(r)
            if not re.search(r'max-age=0\b', sc, re.I)]


def finish_restart(env, op, s, r, expect_return):
    """Complete the fresh login r started; it must land at expect_return."""
    cb = authenticate(op, s, r)
    r2 = callback(env, s, cb, expect_return=expect_return)
    r3 = get(s, location(r2))
    assert r3.status_code == 200 and INDEX_MARK in r3.text, (r3.status_code, r3.text[:300])
    return r3


def unknown_state(cb):
    u = urllib.parse.urlsplit(cb)
    q = [(k, v) for k, v in urllib.parse.parse_qsl(u.query) if k != 'state']
    q.append(('state', secrets.token_urlsafe(32)))
    return urllib.parse.urlunsplit(u._replace(query=urllib.parse.urlencode(q)))


def page_link(r):
    m = re.search(r'href="([^"]*)"[^>]*>\s*(Sign in again|Try again)', r.text)
    assert m, r.text[:1000]
    return html.unescape(m.group(1))


# --------------------------------------------------------------------- restarts

def test_aoidc_320_01_expired_attempt_restarts_to_original_url(robust, op, s, env):
    """A login finished after AuthOIDCStateTimeout starts over to the same
    deep link and ends logged in there."""
    r1 = start_login(env, s, '/app/a/?x=1')
    cb = authenticate(op, s, r1)
    time.sleep(STATE_TIMEOUT + 1.5)
    mark = env.log_mark()
    r = get(s, cb)
    assert_restart(env, op, r)
    env.assert_reason('state_expired', mark=mark)
    assert env.find_log(r'reason=state_expired login restarted \(1/3', mark=mark)
    finish_restart(env, op, s, r, '/app/a/?x=1')


def test_aoidc_320_02_expired_attempt_not_a_navigation(robust, op, s, env):
    """A script (XHR) gets the 400 page, never a 5xx, never a redirect."""
    r1 = start_login(env, s, '/app/b/')
    cb = authenticate(op, s, r1)
    time.sleep(STATE_TIMEOUT + 1.5)
    r = get(s, cb, headers=XHR)
    assert r.status_code == 400, r.status_code
    assert 'expired' in r.text and page_link(r) == '/app/b/'
    no_session(r)
    env.assert_reason('state_expired')


def test_aoidc_320_03_back_button_with_live_session(robust, op, s, env):
    """The used callback again (back button) with a live session: 302 to
    the original URL, no new session, no error."""
    r = login(env, s, op, '/app/c/?y=2')
    session = [c.value for c in s.cookies if c.name == 'aoidc_session']
    mark = env.log_mark()
    r2 = get(s, r.callback_url)
    assert r2.status_code == 302, (r2.status_code, r2.text[:300])
    assert location(r2) == env.url('/app/c/?y=2'), location(r2)
    assert not [sc for sc in set_cookies(r2) if sc.startswith('aoidc_session=')], set_cookies(r2)
    assert [c.value for c in s.cookies if c.name == 'aoidc_session'] == session
    assert env.find_log(r'AOIDC00520: login: used callback replayed with a live session', mark=mark)
    assert get(s, location(r2)).status_code == 200


def test_aoidc_320_04_back_button_without_session(robust, op, s, env):
    """The used callback again after the session is gone: a fresh login to
    the original URL (the single-use marker remembers it)."""
    r = login(env, s, op, '/app/d/')
    s.cookies.clear()
    mark = env.log_mark()
    r2 = get(s, r.callback_url)
    assert_restart(env, op, r2)
    env.assert_reason('state_replay', mark=mark)
    finish_restart(env, op, s, r2, '/app/d/')


def test_aoidc_320_05_missing_state_cookie(robust, op, s, env):
    """The state cookie is gone (another browser, cookies cleared, the OP's
    login page bookmarked): a fresh login to the location root."""
    r1 = start_login(env, s, '/app/deep/')
    cb = authenticate(op, s, r1)
    for n in jar_names(s, 'aoidc_state_'):
        s.cookies.clear(domain='127.0.0.1', path='/', name=n)
    assert not jar_names(s, 'aoidc_state_')
    r = get(s, cb)
    assert_restart(env, op, r)
    env.assert_reason('state_missing')
    finish_restart(env, op, s, r, '/app/')


def test_aoidc_320_06_restart_bound(robust, op, s, env):
    """At most 3 automatic restarts per browser per minute; the 4th gets a
    clear 400 page with a sign-in link, never a 5xx."""
    cb = authenticate(op, s, start_login(env, s, '/app/'))
    for i in range(3):
        r = get(s, unknown_state(cb))
        assert_restart(env, op, r)
        assert 'aoidc_restart' in jar_names(s), set_cookies(r)
    r = get(s, unknown_state(cb))
    assert r.status_code == 400, (r.status_code, r.headers.get('Location'))
    assert r.headers['Content-Type'].startswith('text/html'), r.headers
    assert page_link(r) == '/app/'
    assert 'Unknown login attempt' in r.text
    assert env.find_log(r'reason=state_missing .*request_id=')
    # the link works: a normal login
    r2 = get(s, env.url(page_link(r)))
    assert r2.status_code == 302 and location(r2).startswith(op.metadata['authorization_endpoint'])
    # another browser is not affected by this one's count
    other = new_session()
    cb2 = authenticate(op, other, start_login(env, other, '/app/'))
    assert_restart(env, op, get(other, unknown_state(cb2)))


def test_aoidc_320_07_restart_counter_not_trusted(robust, op, s, env):
    """A forged or foreign counter cookie counts as none, never as more."""
    cb = authenticate(op, s, start_login(env, s, '/app/'))
    for forged in ('0', 'AAAA', 'x' * 100):
        s.cookies.set('aoidc_restart', forged, domain='127.0.0.1', path='/')
        assert_restart(env, op, get(s, unknown_state(cb)))


def test_aoidc_320_08_three_tabs_in_parallel(robust, op, s, env):
    """Three tabs log in at once in one browser: every login succeeds."""
    paths = ['/app/a/', '/app/b/', '/app/c/']
    starts = [start_login(env, s, p) for p in paths]
    assert len(jar_names(s, 'aoidc_state_')) == 3
    cbs = [authenticate(op, s, r) for r in starts]
    jar = cookie_header([(c.name, c.value) for c in s.cookies if c.domain.startswith('127.0.0.1')
                         and c.name.startswith('aoidc_')])

    def run(cb):
        return raw_get(cb, headers={'Cookie': jar})
    with concurrent.futures.ThreadPoolExecutor(3) as ex:
        results = list(ex.map(run, cbs))
    for p, r in zip(paths, results):
        assert r.status_code == 302 and urllib.parse.urlsplit(location(r)).path == p, \
            (p, r.status_code, r.headers.get('Location'), r.text[:300])
        assert session_cookie_set(r)
        tab = new_session()
        ticket = [sc.split(';')[0].split('=', 1)[1] for sc in set_cookies(r)
                  if sc.startswith('aoidc_session=')][0]
        tab.cookies.set('aoidc_session', ticket, domain='127.0.0.1', path='/')
        assert INDEX_MARK in get(tab, env.url(p)).text


@pytest.mark.expect_log(r'reason=op_unreachable\b')
def test_aoidc_320_09_restart_with_op_down_is_4xx(env, op, s):
    """A restart that cannot start (the OP is down) answers the state
    failure's 400 page, never a 5xx."""
    dead = 'http://127.0.0.1:%d' % free_port()
    (AoidcConf(env).add_location('/down', [ln.replace(op.issuer, dead)
                                           for ln in oidc_lines(op, prefix='/down')])).install()
    r = get(s, env.url('/down/redirect_uri?code=c&state=%s&iss=%s'
                       % ('A' * 43, urllib.parse.quote(dead, safe=''))))
    assert r.status_code == 400, (r.status_code, r.headers.get('Location'))
    assert 'Retry-After' not in r.headers and 'Location' not in r.headers, r.headers
    assert page_link(r) == '/down/'
    env.assert_reason('state_missing')
    env.assert_reason('op_unreachable')     # the restart was tried


# --------------------------------------------------------------------- pages

def test_aoidc_320_10_builtin_page(robust, op, s, env):
    r = get(s, unknown_state(authenticate(op, s, start_login(env, s, '/app/'))), headers=XHR)
    assert r.status_code == 400
    ct = r.headers['Content-Type']
    assert ct.startswith('text/html') and 'iso-8859-1' not in ct, ct
    assert '<meta charset="utf-8">' in r.text and 'Sign in again' in r.text
    assert 'http://' not in r.text and 'https://' not in r.text, 'external resource'
    assert page_link(r) == '/app/'
    rid = re.search(r'request id ([A-Za-z0-9_@-]+)', r.text).group(1)
    assert env.find_log(r'reason=state_missing .*request_id=%s\b' % re.escape(rid))
    assert r.headers.get('Cache-Control') == 'no-store'


def test_aoidc_320_15_request_id_is_unique_id(env, op, s):
    """With mod_unique_id loaded, the page's request id is its UNIQUE_ID
    (and the log line's)."""
    so = os.path.join(env.mod_dir, 'mod_unique_id.so')
    (AoidcConf(env).add('LoadModule unique_id_module %s' % so)
     .add_location('/app', oidc_lines(op))).install()
    r = get(s, env.url('/app/redirect_uri?code=c&state=%s' % ('A' * 43)), headers=XHR)
    assert r.status_code == 400
    rid = re.search(r'request id ([^<\s]+)', r.text).group(1)
    assert len(rid) >= 20, rid     # UNIQUE_ID, not our 12-character id
    assert env.find_log(r'request_id=%s$' % re.escape(html.unescape(rid)))


def test_aoidc_320_11_template_page(robust, op, s, env):
    """AuthOIDCErrorTemplate: named placeholders replaced, every value
    HTML-escaped, unknown ones and a lone % left alone, UTF-8 kept."""
    r1 = start_login(env, s, '/app2/?a=1&b=2')
    cb = authenticate(op, s, r1)
    r = get(s, unknown_state(cb), headers=XHR)
    assert r.status_code == 400, r.status_code
    body = r.content.decode('utf-8')
    assert '<body class="acme">' in body and 'ACME: Sign-in could not be completed' in body
    assert '<h1>Sign-in could not be completed (400)</h1>' in body
    assert 'Unknown login attempt; please sign in again.' in body
    assert '%UNKNOWN%' in body and '100% kept' in body
    assert '\u00e4\u00f6\u00fc' in body
    assert 'href="/app2/"' in body
    assert re.search(r'<code>[A-Za-z0-9_@-]+</code>', body)
    # a retry URL with & comes out escaped (a script without a session
    # gets the 401 page, its own URL as the link)
    r = get(new_session(), env.url('/app2/?a=1&b=2'), headers=XHR)
    assert r.status_code == 401, r.status_code
    assert 'href="/app2/?a=1&amp;b=2"' in r.content.decode('utf-8'), r.text[:2000]


def test_aoidc_320_12_template_escapes_values(robust, op, s, env):
    """The retry link is the request's own URL: a quote or < in it is escaped."""
    r = get(s, env.url('/app2/x"y<z>/'), headers=XHR)   # no session, not a navigation
    assert r.status_code == 401, r.status_code
    body = r.content.decode('utf-8')
    assert '<z>' not in body and '"y' not in body, body
    assert 'x%22y%3Cz%3E' in body or 'x&quot;y&lt;z&gt;' in body, body


def test_aoidc_320_13_error_document_respected(robust, op, s, env):
    r = get(s, unknown_state(authenticate(op, s, start_login(env, s, '/sess/'))), headers=XHR)
    assert r.status_code == 400
    assert r.text.strip() == 'operator says no', r.text[:300]


def test_aoidc_320_14_bearer_stays_short_text(robust, op, s, env):
    r = get(s, env.url('/api/'), headers={'Authorization': 'Bearer not.a.jwt'})
    assert r.status_code == 401
    assert '<html' not in r.text.lower() or 'Sign in again' not in r.text, r.text[:300]
    assert 'Sign in again' not in r.text


# --------------------------------------------------------------------- logs

@pytest.mark.expect_log(r'reason=token_endpoint\b')
def test_aoidc_320_20_wrong_client_secret_logged_at_error(env, op, s):
    """invalid_client at the token endpoint is the operator's to fix: error
    level, the OP's error named, no '(20014)' APR prefix."""
    (AoidcConf(env).add_location('/app', oidc_lines(op, secret='wrong-secret'))).install()
    r1 = start_login(env, s, '/app/')
    cb = authenticate(op, s, r1)
    mark = env.log_mark()
    r = get(s, cb)
    assert r.status_code == 401, r.status_code
    lines = env.find_log(r'reason=token_endpoint', mark=mark)
    assert lines and '[auth_oidc:error]' in lines[0], lines
    assert 'op_error=invalid_client' in lines[0], lines
    assert '(20014)' not in ''.join(env.log_since(mark))


@pytest.mark.expect_log(r'reason=op_unreachable\b')
def test_aoidc_320_21_op_unreachable_logged_at_error(env, op, s):
    port = free_port()  # bound and closed again: nothing listens there
    (AoidcConf(env).add_location('/app', oidc_lines(op, extra=[]))
     .add_location('/down', [ln.replace(op.issuer, 'http://127.0.0.1:%d' % port)
                             for ln in oidc_lines(op, prefix='/down')])).install()
    mark = env.log_mark()
    r = get(s, env.url('/down/'))
    assert r.status_code == 503, r.status_code
    assert r.headers.get('Retry-After')
    lines = env.find_log(r'reason=op_unreachable', mark=mark)
    assert lines and '[auth_oidc:error]' in lines[0], lines
    assert '(20014)' not in ''.join(env.log_since(mark))


def evil_conf(env, evil):
    return AoidcConf(env).add_location('/evil', oidc_lines(evil, prefix='/evil',
                                                           scope='openid email'))


@pytest.mark.expect_log(r'reason=token_endpoint\b')
def test_aoidc_320_23_op_error_description_escaped(env, evil, s):
    """The OP's error and error_description reach the log line escaped
    once (httpd escapes every error-log message): a newline or an escape
    sequence in them cannot forge a log line."""
    evil_conf(env, evil).install()
    evil.set_mode('token_error_nasty')
    cb = authenticate(evil, s, start_login(env, s, '/evil/'))
    mark = env.log_mark()
    r = get(s, cb)
    assert r.status_code == 401, r.status_code
    lines = env.find_log(r'reason=token_endpoint', mark=mark)
    assert lines and '[auth_oidc:error]' in lines[0], lines
    assert 'op_error=invalid_client' in lines[0]
    assert r'(bad\n[client 6.6.6.6] AOIDC00100: "forged"\x1b[31m)' in lines[0], lines[0]
    new = env.log_since(mark)
    assert not [ln for ln in new if ln.startswith('[client 6.6.6.6]')], new
    assert '\x1b' not in ''.join(new)


@pytest.mark.expect_log(r'reason=op_issuer\b')
def test_aoidc_320_24_bad_metadata_logged_at_error(env, evil, s):
    evil_conf(env, evil).install(force=True)
    env.mark_dirty()
    evil.set_mode('metadata_wrong_issuer')
    mark = env.log_mark()
    r = get(s, env.url('/evil/'))
    assert r.status_code == 502, r.status_code
    lines = env.find_log(r'reason=op_issuer', mark=mark)
    assert lines and '[auth_oidc:error]' in lines[0], lines
    assert '(20014)' not in ''.join(env.log_since(mark))


def test_aoidc_320_22_client_faults_at_info(robust, op, s, env):
    mark = env.log_mark()
    get(s, unknown_state(authenticate(op, s, start_login(env, s, '/app/'))), headers=XHR)
    lines = env.find_log(r'reason=state_missing', mark=mark)
    assert lines and '[auth_oidc:info]' in lines[0], lines


# --------------------------------------------------------------------- configtest

def test_aoidc_320_30_configtest_redirect_uri_outside_location(env, op):
    lines = [ln if not ln.startswith('AuthOIDCRedirectURI') else 'AuthOIDCRedirectURI /elsewhere/cb'
             for ln in oidc_lines(op)]
    rc, out = AoidcConf(env).add_location('/app', lines).configtest()
    assert rc != 0, out
    assert 'AuthOIDCRedirectURI /elsewhere/cb' in out and 'outside' in out, out
    # inside: fine; /app itself covers /app/redirect_uri, not /application
    rc, out = AoidcConf(env).add_location('/app', oidc_lines(op)).configtest()
    assert rc == 0, out
    lines2 = [ln if not ln.startswith('AuthOIDCRedirectURI') else 'AuthOIDCRedirectURI /application/cb'
              for ln in oidc_lines(op)]
    rc, out = AoidcConf(env).add_location('/app', lines2).configtest()
    assert rc != 0, out
    # not provable from the tree (a regex location): left to request time
    rc, out = AoidcConf(env).add('<LocationMatch "^/app">\n%s\n</LocationMatch>' % '\n'.join(
        lines)).configtest()
    assert rc == 0, out


def test_aoidc_320_31_configtest_mod_auth_openidc_loaded(env, op):
    so = os.path.join(env.mod_dir, 'mod_auth_openidc.so')
    assert os.path.exists(so), 'libapache2-mod-auth-openidc is required (test/tools/install-deps)'
    rc, out = (AoidcConf(env).add('LoadModule auth_openidc_module %s' % so)
               .add_location('/app', oidc_lines(op)).configtest())
    assert rc != 0, out
    assert 'mod_auth_openidc' in out and 'load only one' in out, out
