"""350: several providers in one location (AuthOIDCProvider, issue 11).

/multi: AuthOIDCIssuer = the real oidc-provider (client rp) + AuthOIDCProvider
the EvilOP (client evil-rp with its own secret). An unauthenticated browser
gets a chooser page; each link is a third-party-initiated login at that
issuer; the callback accepts only the issuer its state was made for, and the
code goes to that provider's token endpoint with that provider's secret.
/app is a single provider, as before (no chooser)."""

import html
import os
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from pyaoidc.client import (authenticate, callback, cookies_named, get, location,
                            new_session, query1, session_claims, submit)
from pyaoidc.env import AoidcConf, oidc_lines
from pyaoidc.evil_op import EvilOP
from pyaoidc.op import RealOP

PREFIX = '/multi'


def multi_lines(op, evil, extra=()):
    return oidc_lines(op, prefix=PREFIX, extra=[
        'AuthOIDCProvider %s %s %s' % (evil.issuer, evil.CLIENT_ID, evil.CLIENT_SECRET)]
        + list(extra))


@pytest.fixture
def multi(env, op, evil):
    (AoidcConf(env)
     .add_location('/app', oidc_lines(op))
     .add_location(PREFIX, multi_lines(op, evil))
     .install())
    return env


def chooser_links(r):
    """The chooser page's links: [(issuer shown, href)]."""
    assert r.status_code == 200, (r.status_code, r.headers.get('Location'), r.text[:300])
    assert r.headers.get('Content-Type', '').startswith('text/html'), r.headers
    assert 'no-store' in r.headers.get('Cache-Control', ''), r.headers
    return [(html.unescape(t), html.unescape(h))
            for h, t in re.findall(r'<a class="btn" href="([^"]*)">([^<]*)</a>', r.text)]


def choose(env, s, issuer, path=PREFIX + '/'):
    """GET path (the chooser), follow issuer's link: the 302 to its OP."""
    links = dict(chooser_links(get(s, env.url(path))))
    assert issuer in links, links
    r = get(s, links[issuer])
    assert r.status_code == 302, (r.status_code, r.text[:300])
    assert cookies_named(r, 'aoidc_state_', prefix=True)
    return r


def login_via(env, s, op, issuer_op, path=PREFIX + '/', cookie_store=False):
    r = choose(env, s, issuer_op.issuer, path)
    cb = authenticate(issuer_op, s, r)
    if cookie_store:        # chunk cookies aoidc_session_N: no session_cookie_set
        r = submit(s, cb)
        assert r.status_code == 302 and location(r).endswith(path), (r.status_code, r.text[:300])
        return r
    return callback(env, s, cb, expect_return=path)


def no_realop_secret(evil):
    leaked = [c for c in evil.credentials_seen
              if c.get('client_secret') == RealOP.RP_CLIENT_SECRET or c.get('client_id') == 'rp']
    assert not leaked, leaked


def test_aoidc_350_01_chooser_lists_both(multi, op, evil, env, s):
    r = get(s, env.url(PREFIX + '/deep/?a=1&b=<x>'))
    links = chooser_links(r)
    assert [t for t, _ in links] == [op.issuer, evil.issuer], links
    for issuer, href in links:
        u = urlsplit(href)
        assert u.path == PREFIX + '/redirect_uri', href
        q = parse_qs(u.query)
        assert q['iss'] == [issuer], q
        assert q['target_link_uri'] == [PREFIX + '/deep/?a=1&b=%3Cx%3E'], q
    # escaped: the query's '&' is &amp; in the attribute, no raw markup
    assert '&amp;target_link_uri=' in r.text
    assert '<x>' not in r.text
    assert not cookies_named(r, 'aoidc_state_', prefix=True)     # nothing started yet
    assert evil.counters['/authorize'] == 0


def test_aoidc_350_02_login_through_each(multi, op, evil, env, s):
    login_via(env, s, op, op)
    claims = session_claims(env, s, PREFIX)
    assert claims.get('iss') == op.issuer and claims.get('sub') == 'alice', claims
    s2 = new_session()
    r = choose(env, s2, evil.issuer)
    q = query1(location(r))
    assert location(r).startswith(evil.issuer + '/authorize'), location(r)
    assert q['client_id'] == evil.CLIENT_ID, q
    callback(env, s2, authenticate(evil, s2, r), expect_return=PREFIX + '/')
    claims = session_claims(env, s2, PREFIX)
    assert claims.get('iss') == evil.issuer, claims
    # the code went to the EvilOP with the EvilOP's own client and secret
    assert evil.grants['authorization_code'] == 1, evil.grants
    assert evil.credentials_seen and all(
        c['client_id'] == evil.CLIENT_ID and c['client_secret'] == evil.CLIENT_SECRET
        for c in evil.credentials_seen), evil.credentials_seen
    no_realop_secret(evil)
    # each session keeps to its own OP: the RealOP one still works
    assert session_claims(env, s, PREFIX).get('iss') == op.issuer


def test_aoidc_350_03_back_to_the_original_url(multi, op, evil, env, s):
    r = choose(env, s, evil.issuer, PREFIX + '/deep/?x=1')
    callback(env, s, authenticate(evil, s, r), expect_return=PREFIX + '/deep/?x=1')


@pytest.mark.parametrize('state_at', ['real', 'evil'])
def test_aoidc_350_04_mixup_refused(multi, op, evil, env, s, state_at):
    """The state made for one OP with the code and iss of the other: refused
    before any code exchange (RFC 9207), no session, and the EvilOP never
    sees the RealOP's client or secret."""
    mark = env.log_mark()
    real_cb = authenticate(op, s, choose(env, s, op.issuer))
    evil_cb = authenticate(evil, s, choose(env, s, evil.issuer))
    real_q, evil_q = query1(real_cb), query1(evil_cb)
    if state_at == 'real':
        forged = dict(evil_q, state=real_q['state'])
    else:
        forged = dict(real_q, state=evil_q['state'])
    r = get(s, env.url(PREFIX + '/redirect_uri'), params=forged,
            headers={'X-Requested-With': 'XMLHttpRequest'})
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert not [c for c in cookies_named(r, 'aoidc_session') if c[1]], r.headers
    env.assert_reason('iss_param', mark=mark)
    assert evil.grants['authorization_code'] == 0, evil.grants
    no_realop_secret(evil)
    # the state the forgery named is used up (its cookie deleted); the other
    # login attempt, untouched, still completes at its own OP
    callback(env, s, evil_cb if state_at == 'real' else real_cb, expect_return=PREFIX + '/')
    want = evil.issuer if state_at == 'real' else op.issuer
    assert session_claims(env, s, PREFIX).get('iss') == want


def test_aoidc_350_05_mixup_without_iss_refused(multi, op, evil, env, s):
    """An EvilOP that leaves out iss (it advertises RFC 9207 support): its
    code with the RealOP's state is still refused, and never exchanged."""
    mark = env.log_mark()
    real_cb = authenticate(op, s, choose(env, s, op.issuer))
    evil.set_mode('no_iss_param')
    evil_cb = authenticate(evil, s, choose(env, s, evil.issuer))
    forged = dict(query1(evil_cb), state=query1(real_cb)['state'])
    assert 'iss' not in forged
    r = get(s, env.url(PREFIX + '/redirect_uri'), params=forged,
            headers={'X-Requested-With': 'XMLHttpRequest'})
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    env.assert_reason('iss_param', mark=mark)
    assert evil.counters['/token'] == 0, evil.counters
    no_realop_secret(evil)


def test_aoidc_350_06_refresh_at_the_sessions_op(multi, op, evil, env, s):
    evil.set_mode('refresh_rotate', expires_in=2)
    login_via(env, s, op, evil)
    assert evil.grants['refresh_token'] == 0, evil.grants
    time.sleep(2.5)                      # the access token has expired
    assert session_claims(env, s, PREFIX).get('iss') == evil.issuer
    assert evil.grants['refresh_token'] == 1, evil.grants
    assert all(c['client_secret'] == evil.CLIENT_SECRET for c in evil.credentials_seen)
    no_realop_secret(evil)


def test_aoidc_350_07_logout_at_the_sessions_op(multi, op, evil, env, s):
    login_via(env, s, op, evil)
    r = get(s, env.url(PREFIX + '/redirect_uri'), params={'logout': '/loggedout.html'})
    assert r.status_code == 302, (r.status_code, r.text[:300])
    loc = location(r)
    assert loc.startswith(evil.issuer + '/logout?'), loc
    assert query1(loc)['client_id'] == evil.CLIENT_ID
    assert get(s, env.url(PREFIX + '/')).status_code == 200     # the chooser again
    s2 = new_session()
    login_via(env, s2, op, op)
    r = get(s2, env.url(PREFIX + '/redirect_uri'), params={'logout': '/loggedout.html'})
    loc = location(r)
    assert loc.startswith(op.metadata['end_session_endpoint']), loc
    assert query1(loc)['client_id'] == op.RP_CLIENT_ID
    assert evil.counters['/logout'] == 0


def test_aoidc_350_08_single_provider_unchanged(multi, op, evil, env, s):
    r = get(s, env.url('/app/'))
    assert r.status_code == 302, (r.status_code, r.text[:300])
    assert location(r).split('?')[0] == op.metadata['authorization_endpoint']


def test_aoidc_350_09_unlisted_issuer_refused(multi, op, evil, env, s):
    mark = env.log_mark()
    r = get(s, env.url(PREFIX + '/redirect_uri'),
            params={'iss': 'https://op.example.org', 'target_link_uri': PREFIX + '/'})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert not cookies_named(r, 'aoidc_state_', prefix=True)
    env.assert_reason('iss_param', mark=mark)


@pytest.mark.expect_log(r'reason=token_endpoint\b|reason=op_error\b|invalid_client')
def test_aoidc_350_10_no_secret_for_a_provider_without_one(env, op, evil, s):
    """AuthOIDCProvider ISSUER (no client): the location's client id, never
    its secret: a second EvilOP sees the client id and no secret at all."""
    other = EvilOP().start()
    try:
        (AoidcConf(env)
         .add_location('/app', oidc_lines(evil, extra=['AuthOIDCProvider %s' % other.issuer]))
         .install())
        r = choose(env, s, other.issuer, '/app/')
        assert query1(location(r))['client_id'] == evil.CLIENT_ID
        r = submit(s, authenticate(other, s, r), headers={'X-Requested-With': 'XMLHttpRequest'})
        assert r.status_code >= 400, (r.status_code, r.text[:300])
        assert other.counters['/token'] == 1, other.counters
        assert not [c for c in other.credentials_seen if c.get('client_secret')], \
            other.credentials_seen
    finally:
        other.stop()
        env.mark_dirty()


def test_aoidc_350_11_issuer_listed_twice_refused(env, op, evil):
    conf = AoidcConf(env).add_location(PREFIX, multi_lines(
        op, evil, ['AuthOIDCProvider %s' % evil.issuer]))
    rc, out = conf.configtest()
    assert rc != 0 and 'listed twice' in out, out


def test_aoidc_350_12_backchannel_logout_of_the_extra_provider(multi, op, evil, env, s):
    """The EvilOP's logout_token, validated with the EvilOP's keys and client,
    ends the EvilOP session; a RealOP session in another browser stays."""
    login_via(env, s, op, evil)
    sid = session_claims(env, s, PREFIX).get('sid')
    assert sid, 'no sid'
    s2 = new_session()
    login_via(env, s2, op, op)
    url = env.url(PREFIX + '/redirect_uri?logout=backchannel')
    r = evil.post_logout_token(url, evil.logout_token(sid=sid))
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert chooser_links(get(s, env.url(PREFIX + '/echo/')))     # logged out
    assert session_claims(env, s2, PREFIX).get('iss') == op.issuer


@pytest.mark.expect_log(r'reason=logout_token\b|reason=iss_param\b|reason=signature\b'
                        r'|reason=key_unknown\b')
def test_aoidc_350_13_backchannel_token_of_an_unlisted_issuer_refused(multi, op, evil, env, s):
    """A logout_token naming an issuer the location does not list is judged
    by AuthOIDCIssuer's rules and refused; nothing ends."""
    login_via(env, s, op, evil)
    url = env.url(PREFIX + '/redirect_uri?logout=backchannel')
    sid = session_claims(env, s, PREFIX).get('sid')
    r = evil.post_logout_token(url, evil.logout_token(sid=sid, defect='wrong_iss'))
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert session_claims(env, s, PREFIX).get('iss') == evil.issuer


def test_aoidc_350_14_frontchannel_logout_of_the_extra_provider(multi, op, evil, env, s):
    login_via(env, s, op, evil)
    sid = session_claims(env, s, PREFIX).get('sid')
    r = get(new_session(), env.url(PREFIX + '/redirect_uri'),
            params={'logout': 'frontchannel', 'iss': evil.issuer, 'sid': sid})
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert chooser_links(get(s, env.url(PREFIX + '/echo/')))


CHOOSER_TEMPLATE = ('<!DOCTYPE html><html><body class="acme"><h1>ACME: %TITLE%</h1>'
                    '<p>%MESSAGE%</p>%PROVIDERS%<i>%REQUEST_ID%</i></body></html>\n')


def test_aoidc_350_15_chooser_in_the_error_template(env, op, evil, s):
    """AuthOIDCErrorTemplate with %PROVIDERS% is the chooser's page too (the
    list inserted as HTML, the other placeholders escaped); on an error page
    %PROVIDERS% is empty."""
    path = os.path.join(env.conf_dir, 'aoidc-chooser-template.html')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(CHOOSER_TEMPLATE)
    (AoidcConf(env)
     .add_location(PREFIX, multi_lines(op, evil, ['AuthOIDCErrorTemplate %s' % path]))
     .install())
    r = get(s, env.url(PREFIX + '/'))
    assert '<body class="acme">' in r.text and 'ACME: Sign in' in r.text, r.text[:300]
    assert [t for t, _ in chooser_links(r)] == [op.issuer, evil.issuer]
    mark = env.log_mark()
    r = get(s, env.url(PREFIX + '/redirect_uri'), params={'state': 'x' * 43, 'code': 'c'},
            headers={'X-Requested-With': 'XMLHttpRequest'})
    assert r.status_code == 400 and '<body class="acme">' in r.text, (r.status_code, r.text[:300])
    assert 'class="btn"' not in r.text and '%PROVIDERS%' not in r.text
    env.assert_reason('state_missing', mark=mark)


def test_aoidc_350_16_session_of_an_unlisted_provider_not_accepted(multi, op, evil, env, s):
    """A session made with the EvilOP at /multi is no session at /app, which
    lists only the RealOP (same cookie, passphrase and store): /app starts
    its own login."""
    login_via(env, s, op, evil)
    r = get(s, env.url('/app/'))
    assert r.status_code == 302, (r.status_code, r.text[:300])
    assert location(r).split('?')[0] == op.metadata['authorization_endpoint']
    assert session_claims(env, s, PREFIX).get('iss') == evil.issuer


def test_aoidc_350_17_cookie_store_and_info(env, op, evil, s):
    """AuthOIDCSessionStore cookie: the chunks open for their own provider
    only, so each browser's session keeps to its OP; ?info=json shows it;
    logout goes to that OP."""
    (AoidcConf(env)
     .add_location(PREFIX, multi_lines(op, evil, ['AuthOIDCSessionStore cookie',
                                                  'AuthOIDCInfo on']))
     .install())
    login_via(env, s, op, evil, cookie_store=True)
    assert session_claims(env, s, PREFIX).get('iss') == evil.issuer
    info = get(s, env.url(PREFIX + '/redirect_uri'), params={'info': 'json'}).json()
    assert info['iss'] == evil.issuer, info
    s2 = new_session()
    login_via(env, s2, op, op, cookie_store=True)
    assert session_claims(env, s2, PREFIX).get('iss') == op.issuer
    r = get(s, env.url(PREFIX + '/redirect_uri'), params={'logout': '/loggedout.html'})
    assert location(r).startswith(evil.issuer + '/logout?'), location(r)
    no_realop_secret(evil)
