"""610: step-up authentication (`Require acr`, AuthOIDCMaxAge; RFC 9470) for
browsers and bearer callers, and RFC 9728 protected resource metadata
(AuthOIDCResourceMetadata). Against the EvilOP, which mints the acr and
auth_time each test sets (and, with honor_acr/honor_max_age, answers
acr_values/max_age as a conforming OP would), and against the real
oidc-provider (acr_op: ACR_VALUES pwd,mfa, a login is pwd unless acr_values
asks for mfa; its access tokens carry acr and auth_time)."""

import base64
import hashlib
import json
import os
import secrets
import time
import urllib.parse

import pytest
import requests

from pyaoidc.client import (authenticate, bearer, callback, get, location, login, query1,
                            raw_get, www_authenticate)
from pyaoidc.env import AoidcConf, Echo, bearer_lines, oidc_lines
from pyaoidc.op import RealOP

# mod_authz_core logs each authorization failure (Require acr) at error level.
pytestmark = pytest.mark.expect_log(r'AH01631: user [^:]+: authorization failure')

LOOP_WINDOW = 10.5  # AOIDC_UNAUTZ_LOOP_WINDOW (10 s) and a margin
WK = '/.well-known/oauth-protected-resource'


def stepup_conf(env, evil):
    return (AoidcConf(env)
            .add_location('/su', oidc_lines(evil, prefix='/su', require='acr mfa hwk',
                                            extra=['AuthOIDCUnAutzAction auth']))
            .add_location('/sa', oidc_lines(evil, prefix='/sa',
                                            extra=['AuthOIDCUnAutzAction auth',
                                                   'AuthOIDCMaxAge 300']))
            .add_location('/sb', oidc_lines(evil, prefix='/sb', require='acr mfa',
                                            extra=['AuthOIDCUnAutzAction auth',
                                                   'AuthOIDCMaxAge 300',
                                                   'AuthOIDCAuthRequestParams acr_values=pwd']))
            .add_location('/sn', oidc_lines(evil, prefix='/sn', require='acr mfa',
                                            extra=['AuthOIDCMaxAge 300']))
            .add_location('/api', bearer_lines(evil, require=None, extra=[
                '<RequireAll>', '  Require scope orders:read', '  Require acr mfa',
                '</RequireAll>', 'AuthOIDCResourceMetadata on']))
            .add_location('/api/age', ['AuthOIDCMaxAge 300'])
            .add_location('/apid', bearer_lines(evil, authname='apid', require=None, extra=[
                'Require scope orders:write', 'Require scope admin',
                'AuthOIDCTokenBinding dpop', 'AuthOIDCAcceptTokenIn header query',
                'AuthOIDCResourceMetadata on']))
            .add_location('/apin', bearer_lines(evil, authname='apin', require='acr mfa',
                                                extra=['AuthOIDCMaxAge 60']))
            # the document stays public whatever protects its path
            .add('<LocationMatch "^/\\.well-known/oauth-protected-resource/api$">\n'
                 '    Require all denied\n</LocationMatch>'))


@pytest.fixture
def stepup(env, evil):
    stepup_conf(env, evil).install()
    return env


def evil_login(env, s, evil, path, **claims):
    """A full login at the EvilOP whose ID Token carries claims; the final
    GET of path."""
    evil.set_mode('good', id_token_claims=claims)
    return login(env, s, evil, path)


def relogin(env, s, evil, r, path):
    """r is the 302 of a step-up login: let the EvilOP answer (as its mode
    says), deliver the callback, GET path again."""
    callback(env, s, authenticate(evil, s, r), expect_return=path)
    return get(s, env.url(path))


def to_op(r, op):
    """r is a 302 to op's authorization endpoint: its query."""
    assert r.status_code == 302, (r.status_code, r.headers, r.text[:300])
    loc = location(r)
    ep = op.metadata['authorization_endpoint'] if isinstance(op.metadata, dict) \
        else op.issuer + '/authorize'
    assert loc.split('?')[0] == ep, loc
    return query1(loc)


def test_aoidc_610_01_acr_met_and_no_unautz(stepup, evil, s, env):
    # the login's acr is one of the Require acr values: served
    r = evil_login(env, s, evil, '/su/echo/', acr='hwk')
    assert r.status_code == 200
    # every login of the location asks for it, the first one included
    q = to_op(r.start_response, evil)
    assert q['acr_values'] == 'mfa hwk' and 'max_age' not in q, q
    assert evil.last_authorize_request['acr_values'] == 'mfa hwk'
    # without AuthOIDCUnAutzAction auth a login short of it is a plain 403
    s2 = requests.Session()
    r = evil_login(env, s2, evil, '/sn/echo/', acr='pwd')
    assert r.status_code == 403 and 'Location' not in r.headers
    # and so is one too old for AuthOIDCMaxAge
    s3 = requests.Session()
    r = evil_login(env, s3, evil, '/sn/echo/', acr='mfa', auth_time=int(time.time()) - 1000)
    assert r.status_code == 403 and 'Location' not in r.headers
    s4 = requests.Session()
    assert evil_login(env, s4, evil, '/sn/echo/', acr='mfa').status_code == 200
    # the operator's acr_values are replaced by the Require's, max_age added
    s5 = requests.Session()
    r = evil_login(env, s5, evil, '/sb/echo/', acr='mfa')
    assert r.status_code == 200
    q = to_op(r.start_response, evil)
    assert q['acr_values'] == 'mfa' and q['max_age'] == '300', q


def test_aoidc_610_02_browser_step_up(stepup, evil, env):
    old = int(time.time()) - 1000
    up, ignored, aged, no_time, both = (requests.Session() for _ in range(5))
    # right after a login short of the Require: 403, no new login (loop guard)
    for sess, path, claims in ((up, '/su/echo/', {'acr': 'pwd'}),
                               (ignored, '/su/echo/', {'acr': 'pwd'}),
                               (aged, '/sa/echo/', {'auth_time': old}),
                               (no_time, '/sa/echo/', {'auth_time': None}),
                               (both, '/sb/echo/', {'acr': 'pwd', 'auth_time': old})):
        r = evil_login(env, sess, evil, path, **claims)
        assert r.status_code == 403 and 'Location' not in r.headers, (path, r.headers)
    time.sleep(LOOP_WINDOW)

    # acr: a new login asking for the Require's values, then the page
    q = to_op(get(up, env.url('/su/echo/?x=1')), evil)
    assert q['acr_values'] == 'mfa hwk' and q['prompt'] == 'login', q
    assert 'max_age' not in q, q
    evil.set_mode('good', id_token_claims={'acr': 'pwd'}, honor_acr=True)
    r = relogin(env, up, evil, get(up, env.url('/su/echo/')), '/su/echo/')
    assert r.status_code == 200
    assert Echo(r).value('OIDC_CLAIM_acr') == 'mfa'

    # an OP that ignores acr_values: the new login still lacks it: 403, no loop
    evil.set_mode('good', id_token_claims={'acr': 'pwd'})
    r = relogin(env, ignored, evil, get(ignored, env.url('/su/echo/')), '/su/echo/')
    assert r.status_code == 403 and 'Location' not in r.headers

    # max_age: a login too old, or of unknown age, logs in again with max_age
    evil.set_mode('good', id_token_claims={'auth_time': old}, honor_max_age=True)
    for sess in (aged, no_time):
        r = get(sess, env.url('/sa/echo/'))
        q = to_op(r, evil)
        assert q['max_age'] == '300' and 'acr_values' not in q, q
        r = relogin(env, sess, evil, r, '/sa/echo/')
        assert r.status_code == 200

    # both short: one login asks for both, replacing the operator's acr_values
    r = get(both, env.url('/sb/echo/'))
    q = to_op(r, evil)
    assert q['acr_values'] == 'mfa' and q['max_age'] == '300', q
    evil.set_mode('good', id_token_claims={'acr': 'pwd', 'auth_time': old},
                  honor_acr=True, honor_max_age=True)
    r = relogin(env, both, evil, r, '/sb/echo/')
    assert r.status_code == 200


def test_aoidc_610_03_max_age_ignored_by_op(stepup, evil, env):
    old = int(time.time()) - 1000
    sess = requests.Session()
    assert evil_login(env, sess, evil, '/sa/echo/', auth_time=old).status_code == 403
    time.sleep(LOOP_WINDOW)
    r = get(sess, env.url('/sa/echo/'))
    assert to_op(r, evil)['max_age'] == '300'
    # the OP hands back the same old login: 403, not a loop
    r = relogin(env, sess, evil, r, '/sa/echo/')
    assert r.status_code == 403 and 'Location' not in r.headers


def test_aoidc_610_04_max_age_real_op(env, op, s):
    """The real oidc-provider: the first login asks for max_age (so the ID
    Token has auth_time); once the login is older, a new login with max_age
    and prompt=login, and a fresh auth_time."""
    (AoidcConf(env).add_location('/uz', oidc_lines(op, prefix='/uz', extra=[
        'AuthOIDCUnAutzAction auth', 'AuthOIDCMaxAge 2', 'AuthOIDCLeeway 1'])).install())
    r = login(env, s, op, '/uz/echo/')
    assert r.status_code == 200, (r.status_code, r.headers)
    assert to_op(r.start_response, op)['max_age'] == '2'
    t1 = int(Echo(r).value('OIDC_CLAIM_auth_time'))
    time.sleep(LOOP_WINDOW)
    r = get(s, env.url('/uz/echo/'))
    q = to_op(r, op)
    assert q['max_age'] == '2' and q['prompt'] == 'login', q
    callback(env, s, op.login(s, r), expect_return='/uz/echo/')
    r = get(s, env.url('/uz/echo/'))
    assert r.status_code == 200, (r.status_code, r.headers)
    assert int(Echo(r).value('OIDC_CLAIM_auth_time')) > t1


@pytest.fixture(scope='module')
def acr_op(env):
    """A real oidc-provider of its own with acr values pwd (a login's
    default) and mfa (when acr_values asks for it)."""
    o = RealOP(redirect_uris=env.redirect_uris(), acr_values=['pwd', 'mfa'],
               log_path=os.path.join(env.logs_dir, 'op-acr.log'))
    o.start()
    yield o
    o.stop()
    env.mark_dirty()        # its issuer is gone: do not keep caches about it


def test_aoidc_610_05_browser_step_up_real_op(env, acr_op, s):
    """Log in with the low acr, reach a `Require acr mfa` location: sent
    back to the real OP with acr_values=mfa, then the page with acr mfa; the
    same user, the page asked for (query included), the other pages still
    served by the session."""
    (AoidcConf(env)
     .add_location('/uz', oidc_lines(acr_op, prefix='/uz', extra=['AuthOIDCUnAutzAction auth']))
     .add_location('/uz/high', ['Require acr mfa'])
     .install())
    assert acr_op.metadata['acr_values_supported'] == ['pwd', 'mfa']
    r = login(env, s, acr_op, '/uz/echo/')
    assert r.status_code == 200, (r.status_code, r.headers)
    assert 'acr_values' not in to_op(r.start_response, acr_op)
    low = Echo(r)
    assert low.value('OIDC_CLAIM_acr') == 'pwd'
    sub, t1 = low.value('OIDC_CLAIM_sub'), int(low.value('OIDC_CLAIM_auth_time'))
    # right after the login: 403 (loop protection), then a new login
    r = get(s, env.url('/uz/high/echo/?x=1'))
    assert r.status_code == 403 and 'Location' not in r.headers
    time.sleep(LOOP_WINDOW)
    r = get(s, env.url('/uz/high/echo/?x=1'))
    q = to_op(r, acr_op)
    assert q['acr_values'] == 'mfa' and q['prompt'] == 'login', q
    callback(env, s, acr_op.login(s, r), expect_return='/uz/high/echo/?x=1')
    r = get(s, env.url('/uz/high/echo/?x=1'))
    assert r.status_code == 200, (r.status_code, r.headers)
    high = Echo(r)
    assert high.value('OIDC_CLAIM_acr') == 'mfa'
    assert high.path.endswith('/uz/high/echo/?x=1'), high.path
    assert high.value('OIDC_CLAIM_sub') == sub
    assert high.value('OIDC_CLAIM_email') == low.value('OIDC_CLAIM_email')
    assert int(high.value('OIDC_CLAIM_auth_time')) > t1
    # the rest of the location goes on with the stepped-up session
    r = get(s, env.url('/uz/echo/'))
    assert r.status_code == 200 and Echo(r).value('OIDC_CLAIM_acr') == 'mfa'
    assert 'login acr=pwd' in acr_op.log() and 'login acr=mfa' in acr_op.log()


def op_user_token(env, op, acr_values=None, user='alice'):
    """A user's JWT access token (aud api://default) straight from the real
    OP: the code flow as client rp, the login scripted, no httpd."""
    s = requests.Session()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b'=').decode()
    redirect = env.url('/app/redirect_uri')
    q = {'client_id': RealOP.RP_CLIENT_ID, 'response_type': 'code', 'redirect_uri': redirect,
         'scope': 'openid orders:read', 'resource': op.audience, 'state': secrets.token_urlsafe(8),
         'nonce': secrets.token_urlsafe(8), 'code_challenge': challenge,
         'code_challenge_method': 'S256'}
    if acr_values:
        q['acr_values'] = acr_values
    cb = op.login(s, op.metadata['authorization_endpoint'] + '?' + urllib.parse.urlencode(q),
                  username=user)
    code = query1(cb)['code']
    r = requests.post(op.metadata['token_endpoint'], timeout=10,
                      auth=(RealOP.RP_CLIENT_ID, RealOP.RP_CLIENT_SECRET),
                      data={'grant_type': 'authorization_code', 'code': code,
                            'redirect_uri': redirect, 'code_verifier': verifier,
                            'resource': op.audience})
    assert r.status_code == 200, r.text
    tok = r.json()['access_token']
    assert tok.count('.') == 2, 'not a JWT access token'
    return tok


def claims_of(jwt):
    p = jwt.split('.')[1]
    return json.loads(base64.urlsafe_b64decode(p + '=' * (-len(p) % 4)))


def test_aoidc_610_12_bearer_real_op_acr(env, acr_op):
    (AoidcConf(env)
     .add_location('/api', bearer_lines(acr_op, require='acr mfa'))
     .install())
    low = op_user_token(env, acr_op)
    assert claims_of(low)['acr'] == 'pwd', claims_of(low)
    r = call(env, '/api/echo/', low)
    assert r.status_code == 401, (r.status_code, r.headers)
    scheme, p = www_authenticate(r)
    assert scheme == 'bearer' and p['error'] == 'insufficient_user_authentication', p
    assert p['acr_values'] == 'mfa' and 'max_age' not in p, p
    env.assert_reason('step_up')
    # the client gets a new token with the challenge's acr_values: served
    high = op_user_token(env, acr_op, acr_values=p['acr_values'])
    assert claims_of(high)['acr'] == 'mfa'
    r = call(env, '/api/echo/', high)
    assert r.status_code == 200, (r.status_code, r.headers)


def test_aoidc_610_13_bearer_real_op_max_age(env, acr_op):
    """AuthOIDCMaxAge on the real OP's auth_time in its access token."""
    (AoidcConf(env)
     .add_location('/api', bearer_lines(acr_op, require='valid-user',
                                        extra=['AuthOIDCMaxAge 2', 'AuthOIDCLeeway 1']))
     .install())
    tok = op_user_token(env, acr_op)
    t = claims_of(tok)['auth_time']
    assert abs(t - time.time()) < 30, t
    r = call(env, '/api/echo/', tok)
    assert r.status_code == 200, (r.status_code, r.headers)
    time.sleep(4.5)
    r = call(env, '/api/echo/', tok)
    assert r.status_code == 401, (r.status_code, r.headers)
    _, p = www_authenticate(r)
    assert p['error'] == 'insufficient_user_authentication', p
    assert p['max_age'] == '2' and 'acr_values' not in p, p


def call(env, path, token, **kw):
    return raw_get(env.url(path), headers=bearer(token), **kw)


def test_aoidc_610_10_bearer_insufficient_user_authentication(stepup, evil, env):
    md = env.url(WK + '/api')
    now = int(time.time())
    r = call(env, '/api/echo/', evil.access_token(acr='mfa'))
    assert r.status_code == 200, (r.status_code, r.headers)
    # RFC 9470 §3: 401 with the acr the token lacks
    for tok in (evil.access_token(acr='pwd'), evil.access_token()):
        r = call(env, '/api/echo/', tok)
        assert r.status_code == 401, (r.status_code, r.headers)
        scheme, p = www_authenticate(r)
        assert scheme == 'bearer', r.headers
        assert p['error'] == 'insufficient_user_authentication', p
        assert p['acr_values'] == 'mfa' and 'max_age' not in p, p
        assert p['error_description'] and p['resource_metadata'] == md, p
    # max_age: a token of an old login, or one without auth_time
    for tok in (evil.access_token(acr='mfa', auth_time=now - 1000),
                evil.access_token(acr='mfa')):
        r = call(env, '/api/age/echo/', tok)
        assert r.status_code == 401, (r.status_code, r.headers)
        _, p = www_authenticate(r)
        assert p['error'] == 'insufficient_user_authentication', p
        assert p['max_age'] == '300' and 'acr_values' not in p, p
    # both short: one challenge names both
    r = call(env, '/api/age/echo/', evil.access_token(acr='pwd', auth_time=now - 1000))
    _, p = www_authenticate(r)
    assert r.status_code == 401 and p['acr_values'] == 'mfa' and p['max_age'] == '300', p
    r = call(env, '/api/age/echo/', evil.access_token(acr='mfa', auth_time=now - 10))
    assert r.status_code == 200, (r.status_code, r.headers)
    # the scope refusal is still insufficient_scope (403), with resource_metadata
    r = call(env, '/api/echo/', evil.access_token(acr='mfa', scope='other'))
    _, p = www_authenticate(r)
    assert r.status_code == 403 and p['error'] == 'insufficient_scope', (r.status_code, p)
    assert p['resource_metadata'] == md, p
    # without AuthOIDCResourceMetadata: no resource_metadata
    r = call(env, '/apin/echo/', evil.access_token(acr='pwd'))
    _, p = www_authenticate(r)
    assert r.status_code == 401 and p['error'] == 'insufficient_user_authentication', p
    assert 'resource_metadata' not in p, p


def test_aoidc_610_11_challenge_resource_metadata(stepup, evil, env):
    # every challenge of the location carries it: no token, a bad token
    for headers in ({}, bearer('not-a-token')):
        r = raw_get(env.url('/api/echo/'), headers=headers)
        assert r.status_code in (400, 401), r.status_code
        _, p = www_authenticate(r)
        assert p['resource_metadata'] == env.url(WK + '/api'), r.headers
    # a DPoP-only location: in its DPoP challenge
    r = raw_get(env.url('/apid/'))
    assert r.status_code == 401
    assert 'resource_metadata="%s"' % env.url(WK + '/apid') in r.headers['WWW-Authenticate']


def test_aoidc_610_20_metadata_document(stepup, evil, env):
    r = raw_get(env.url(WK + '/api'))
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers['Content-Type'].startswith('application/json')
    cc = [v.strip() for v in r.headers['Cache-Control'].split(',')]
    assert 'public' in cc and 'max-age=3600' in cc, cc
    assert 'Set-Cookie' not in r.headers and 'WWW-Authenticate' not in r.headers
    assert r.json() == {'resource': env.url('/api'),
                        'authorization_servers': [evil.issuer],
                        'bearer_methods_supported': ['header'],
                        'scopes_supported': ['orders:read'],
                        'dpop_bound_access_tokens_required': False}
    d = raw_get(env.url(WK + '/apid')).json()
    assert d['resource'] == env.url('/apid')
    assert d['bearer_methods_supported'] == ['header', 'query'], d
    assert d['scopes_supported'] == ['orders:write', 'admin'], d
    assert d['dpop_bound_access_tokens_required'] is True, d
    # HEAD is served, other methods are not; nothing is served for a
    # location without the directive, or below a location's path
    h = requests.head(env.url(WK + '/api'), timeout=10)
    assert h.status_code == 200 and h.headers['Cache-Control']
    assert requests.post(env.url(WK + '/api'), timeout=10).status_code == 405
    for path in (WK + '/apin', WK + '/api/age', WK, WK + 'x/api', WK + '/su'):
        assert raw_get(env.url(path)).status_code == 404, path


def test_aoidc_610_30_configuration_errors(env, evil):
    for lines in (['Require acr'], ['Require acr "a\\"b"'], ['AuthOIDCMaxAge soon']):
        rc, out = (AoidcConf(env).add_location('/x', oidc_lines(evil, prefix='/x', require=None)
                                               + lines).configtest())
        assert rc != 0, (lines, out)
    rc, out = (AoidcConf(env).add('<LocationMatch "^/x">\nAuthOIDCResourceMetadata on\n'
                                  '</LocationMatch>').configtest())
    assert rc != 0 and 'AuthOIDCResourceMetadata' in out, out
