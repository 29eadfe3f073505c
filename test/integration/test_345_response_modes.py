"""345: AuthOIDCResponseMode form_post and AuthOIDCResponseType "code id_token"
(hybrid) / id_token (implicit), against the real oidc-provider (which supports
form_post and both response types natively) and, for the negative cases the
real OP never produces (a bad c_hash), the hostile EvilOP."""

import secrets

import pytest

from pyaoidc.client import (authenticate, callback, cookies_named, get, location,
                            new_session, query1, session_cookie_set, set_cookies, start_login,
                            submit)
from pyaoidc.env import AoidcConf, Echo, oidc_lines
from pyaoidc.op import FormPost

FORM_POST = 'AuthOIDCResponseMode form_post'


def legacy_lines(op, prefix, rtype=None, extra=()):
    """A location with the rp-legacy client (response types code, code id_token,
    id_token) in form_post mode, with rtype when given."""
    lines = [FORM_POST] + (['AuthOIDCResponseType %s' % rtype] if rtype else [])
    return oidc_lines(op, prefix=prefix, client_id=op.RP_LEGACY_CLIENT_ID,
                      secret=op.RP_LEGACY_CLIENT_SECRET, extra=lines + list(extra))


@pytest.fixture
def modes(env, op):
    """/fp: code + form_post (client rp); /hy: hybrid; /im: implicit;
    /app: plain code + query, for the POST-in-query-mode case."""
    (AoidcConf(env)
     .add_location('/app', oidc_lines(op))
     .add_location('/fp', oidc_lines(op, prefix='/fp', extra=[FORM_POST]))
     .add_location('/hy', legacy_lines(op, '/hy', '"code id_token"'))
     .add_location('/im', legacy_lines(op, '/im', 'id_token',
                                       extra=['AuthOIDCPassAccessToken on']))
     .install())
    return env


def claims_at(env, s, prefix):
    r = get(s, env.url(prefix + '/echo/'))
    assert r.status_code == 200, (r.status_code, r.headers.get('Location'), r.text[:300])
    return dict(Echo(r).headers)


def form_login(env, op, s, prefix):
    """Start a login at prefix and log in at the OP: the FormPost it returns."""
    r = start_login(env, s, prefix + '/')
    fp = authenticate(op, s, r)
    assert isinstance(fp, FormPost), 'the OP did not answer with form_post: %r' % fp
    assert fp == env.url(prefix + '/redirect_uri'), fp
    return r, fp


def no_session(r):
    assert not session_cookie_set(r), 'a session cookie was set: %s' % set_cookies(r)


# ------------------------------------------------------------------ form_post

def test_aoidc_345_01_form_post_login(modes, op, env, s):
    r, fp = form_login(env, op, s, '/fp')
    q = query1(location(r))
    assert q['response_mode'] == 'form_post'
    assert q['response_type'] == 'code'
    # plain http: the state cookie stays Lax (None would need Secure)
    (_, _, attrs), = cookies_named(r, 'aoidc_state_', prefix=True)
    assert str(attrs.get('samesite')).lower() == 'lax' and 'secure' not in attrs, attrs
    assert set(fp.data) >= {'code', 'state', 'iss'}, fp.data
    r2 = callback(env, s, fp, expect_return='/fp/')
    assert get(s, location(r2)).status_code == 200
    h = claims_at(env, s, '/fp')
    assert h.get('OIDC_CLAIM_sub') == 'alice', h
    assert h.get('OIDC_CLAIM_email') == 'alice@example.com', h


def test_aoidc_345_02_form_post_forged_state_refused(modes, op, env, s):
    mark = env.log_mark()
    _, fp = form_login(env, op, s, '/fp')
    forged = FormPost(fp, dict(fp.data, state=secrets.token_urlsafe(32)))
    # not a navigation: no automatic restart, the refusal itself
    r = submit(s, forged, headers={'X-Requested-With': 'XMLHttpRequest'})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    no_session(r)
    env.assert_reason('state_missing', mark=mark)
    # another browser's state (its own cookie is not sent): refused too
    other = new_session()
    _, fp2 = form_login(env, op, other, '/fp')
    r = submit(s, fp2, headers={'X-Requested-With': 'XMLHttpRequest'})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    no_session(r)
    # and the genuine one still works for its own browser
    callback(env, other, fp2, expect_return='/fp/')


def test_aoidc_345_03_get_in_form_post_mode_refused(modes, op, env, s):
    mark = env.log_mark()
    _, fp = form_login(env, op, s, '/fp')
    r = get(s, env.url('/fp/redirect_uri'), params=fp.data)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    no_session(r)
    assert env.find_log(r'form_post expects the response POSTed', mark=mark), \
        env.log_since(mark)[-10:]
    env.assert_reason('malformed', mark=mark)


def test_aoidc_345_04_post_in_query_mode_refused(modes, op, env, s):
    mark = env.log_mark()
    r = start_login(env, s, '/app/')
    cb = authenticate(op, s, r)
    assert not isinstance(cb, FormPost)
    r = s.post(env.url('/app/redirect_uri'), data=query1(cb), allow_redirects=False,
               timeout=30)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    no_session(r)
    assert env.find_log(r'POSTed response, but AuthOIDCResponseMode is query', mark=mark)


def test_aoidc_345_05_form_post_not_a_form_refused(modes, op, env, s):
    _, fp = form_login(env, op, s, '/fp')
    r = s.post(env.url('/fp/redirect_uri'), json=fp.data, allow_redirects=False, timeout=30)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    no_session(r)


def test_aoidc_345_06_form_post_iss_checked(modes, op, env, s):
    mark = env.log_mark()
    _, fp = form_login(env, op, s, '/fp')
    bad = FormPost(fp, dict(fp.data, iss='https://evil.example.com'))
    r = submit(s, bad, headers={'X-Requested-With': 'XMLHttpRequest'})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    no_session(r)
    env.assert_reason('iss_param', mark=mark)


def test_aoidc_345_07_form_post_body_bounded(modes, op, env, s):
    _, fp = form_login(env, op, s, '/fp')
    big = FormPost(fp, dict(fp.data, padding='x' * 64 * 1024))
    r = submit(s, big, headers={'X-Requested-With': 'XMLHttpRequest'})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    no_session(r)


def test_aoidc_345_08_form_post_state_cookie_on_https(env, op, s):
    """Behind TLS (an https redirect URI): in form_post mode the state cookie
    is SameSite=None; Secure, in query mode Lax; Secure. The session cookie's
    attributes are not touched by the mode."""
    https_ru = 'https://127.0.0.1:%d' % env.port
    (AoidcConf(env)
     .add_location('/fp', [ln.replace('AuthOIDCRedirectURI /fp', 'AuthOIDCRedirectURI %s/fp'
                                      % https_ru) for ln in oidc_lines(op, prefix='/fp')]
                   + [FORM_POST])
     .add_location('/app', [ln.replace('AuthOIDCRedirectURI /app', 'AuthOIDCRedirectURI %s/app'
                                       % https_ru) for ln in oidc_lines(op)])
     .install())
    for prefix, samesite in (('/fp', 'none'), ('/app', 'lax')):
        r = start_login(env, new_session(), prefix + '/')
        (_, _, attrs), = cookies_named(r, 'aoidc_state_', prefix=True)
        assert str(attrs.get('samesite')).lower() == samesite, (prefix, attrs)
        assert attrs.get('secure') is True, (prefix, attrs)
        assert query1(location(r))['redirect_uri'].startswith(https_ru), location(r)


# ------------------------------------------------------------------ hybrid

def test_aoidc_345_10_hybrid_login(modes, op, env, s):
    r, fp = form_login(env, op, s, '/hy')
    q = query1(location(r))
    assert q['response_type'] == 'code id_token' and q['response_mode'] == 'form_post'
    assert 'code_challenge' in q      # PKCE still protects the code
    assert set(fp.data) >= {'code', 'id_token', 'state'}, fp.data
    callback(env, s, fp, expect_return='/hy/')
    h = claims_at(env, s, '/hy')
    assert h.get('OIDC_CLAIM_sub') == 'alice', h


def evil_hybrid(env, evil):
    AoidcConf(env).add_location('/evil', oidc_lines(evil, prefix='/evil', extra=[
        FORM_POST, 'AuthOIDCResponseType "code id_token"'])).install()


def test_aoidc_345_11_hybrid_evil_good(env, evil, s):
    evil_hybrid(env, evil)
    r = start_login(env, s, '/evil/')
    fp = authenticate(evil, s, r)
    assert isinstance(fp, FormPost), fp
    callback(env, s, fp, expect_return='/evil/')
    assert evil.grants['authorization_code'] == 1


@pytest.mark.parametrize('mode', ['c_hash_wrong', 'c_hash_missing'])
def test_aoidc_345_12_hybrid_bad_c_hash_refused(env, evil, s, mode):
    evil_hybrid(env, evil)
    mark = env.log_mark()
    evil.set_mode(mode)
    r = start_login(env, s, '/evil/')
    fp = authenticate(evil, s, r)
    r = submit(s, fp)
    assert r.status_code == 401, (r.status_code, r.text[:300])
    no_session(r)
    env.assert_reason('c_hash', mark=mark)
    # refused before the code was exchanged
    assert evil.grants['authorization_code'] == 0, evil.grants


# ------------------------------------------------------------------ implicit

def test_aoidc_345_20_implicit_login(modes, op, env, s):
    r, fp = form_login(env, op, s, '/im')
    q = query1(location(r))
    assert q['response_type'] == 'id_token' and q['response_mode'] == 'form_post'
    assert q['nonce'] and 'code_challenge' not in q
    assert 'code' not in fp.data and 'id_token' in fp.data, fp.data
    callback(env, s, fp, expect_return='/im/')
    h = claims_at(env, s, '/im')
    assert h.get('OIDC_CLAIM_sub') == 'alice', h
    assert h.get('OIDC_CLAIM_email') == 'alice@example.com', h
    # no access token at all: nothing to pass even with AuthOIDCPassAccessToken on
    assert not any(k.lower() == 'oidc_access_token' for k in h), h


def test_aoidc_345_21_implicit_needs_form_post(env, op):
    rc, out = AoidcConf(env).add_location('/im', oidc_lines(
        op, prefix='/im', extra=['AuthOIDCResponseType id_token'])).configtest()
    assert rc != 0 and 'AuthOIDCResponseMode form_post' in out, out
    rc, out = AoidcConf(env).add_location('/im', oidc_lines(
        op, prefix='/im', extra=['AuthOIDCResponseType id_token',
                                 'AuthOIDCResponseMode query'])).configtest()
    assert rc != 0 and 'AuthOIDCResponseType' in out, out
    rc, out = AoidcConf(env).add_location('/im', oidc_lines(
        op, prefix='/im', extra=['AuthOIDCResponseType token'])).configtest()
    assert rc != 0 and 'AuthOIDCResponseType' in out, out
    rc, out = AoidcConf(env).add_location('/im', legacy_lines(op, '/im', 'id_token')).configtest()
    assert rc == 0, out


def test_aoidc_345_22_implicit_wrong_nonce_refused(modes, op, env, s):
    """The state cookie's nonce binds the ID Token: one from another login
    attempt (with its own valid state elsewhere) does not log in here."""
    mark = env.log_mark()
    _, fp1 = form_login(env, op, s, '/im')
    other = new_session()
    _, fp2 = form_login(env, op, other, '/im')
    swapped = FormPost(fp1, dict(fp1.data, id_token=fp2.data['id_token']))
    r = submit(s, swapped, headers={'X-Requested-With': 'XMLHttpRequest'})
    assert r.status_code == 401, (r.status_code, r.text[:300])
    no_session(r)
    env.assert_reason('nonce', mark=mark)


# ------------------------------------------------------------------ third-party initiated login

def initiate(env, s, prefix='/app', **params):
    return get(s, env.url(prefix + '/redirect_uri'), params=params)


def test_aoidc_345_30_third_party_login(modes, op, env, s):
    r = initiate(env, s, iss=op.issuer, login_hint='bob',
                 target_link_uri=env.url('/app/deep/?x=1'))
    assert r.status_code == 302, (r.status_code, r.text[:300])
    loc = location(r)
    assert loc.split('?')[0] == op.metadata['authorization_endpoint'], loc
    assert query1(loc)['login_hint'] == 'bob'
    assert cookies_named(r, 'aoidc_state_', prefix=True)
    cb = authenticate(op, s, r, user='bob')
    callback(env, s, cb, expect_return='/app/deep/?x=1')
    assert claims_at(env, s, '/app').get('OIDC_CLAIM_sub') == 'bob'


def test_aoidc_345_31_third_party_login_defaults(modes, op, env, s):
    """No target: the location's root; a local path is taken as it is; in
    form_post mode the initiation is a GET all the same."""
    r = initiate(env, s, iss=op.issuer)
    assert r.status_code == 302 and 'login_hint' not in query1(location(r))
    callback(env, s, authenticate(op, s, r), expect_return='/app/')
    s2 = new_session()
    r = initiate(env, s2, '/fp', iss=op.issuer, target_link_uri='/fp/a/')
    assert r.status_code == 302, (r.status_code, r.text[:300])
    assert query1(location(r))['response_mode'] == 'form_post'
    callback(env, s2, authenticate(op, s2, r), expect_return='/fp/a/')


@pytest.mark.parametrize('target', [
    'https://evil.example.com/app/',
    '//evil.example.com/',
    '/\\evil.example.com',
    'http://127.0.0.1:1/app/',              # same host, another port
    '{base}.evil.example.com/',             # prefix of our origin
    '{base}@evil.example.com/',
    '{base}//evil.example.com',
    'javascript:alert(1)',
])
def test_aoidc_345_32_third_party_offsite_target_refused(modes, op, env, s, target):
    mark = env.log_mark()
    r = initiate(env, s, iss=op.issuer, target_link_uri=target.format(base=env.base_url))
    assert r.status_code == 400, (r.status_code, r.headers.get('Location'), r.text[:300])
    assert 'Location' not in r.headers
    assert not cookies_named(r, 'aoidc_state_', prefix=True)
    env.assert_reason('return_url', mark=mark)


@pytest.mark.parametrize('which', ['other', 'slash', 'evil'])
def test_aoidc_345_33_third_party_unconfigured_iss_refused(modes, op, env, s, evil_op, which):
    mark = env.log_mark()
    iss = {'other': 'https://op.example.org', 'slash': op.issuer + '/',
           'evil': evil_op.issuer}[which]
    r = initiate(env, s, iss=iss, target_link_uri=env.url('/app/'))
    assert r.status_code == 400, (r.status_code, r.headers.get('Location'), r.text[:300])
    assert 'Location' not in r.headers
    assert not cookies_named(r, 'aoidc_state_', prefix=True)
    env.assert_reason('iss_param', mark=mark)
    assert evil_op.counters['/authorize'] == 0
