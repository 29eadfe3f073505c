"""710: logout that reaches every node: OIDC Back-Channel Logout 1.0
(POST AuthOIDCRedirectURI?logout=backchannel), Front-Channel Logout 1.0
(GET ?logout=frontchannel&iss=..&sid=..) and RFC 7009 revocation at logout
(AuthOIDCRevokeTokensOnLogout).

PENDING: written against the behaviour fixed in interface.md before the glue
endpoint exists; rename to test_710_backchannel.py when it lands. What the
tests expect from the endpoint:

  back-channel  200 when the token is valid (also when no session matched),
                and the matching sessions are gone at the next request;
                400 with a JSON body {"error": ...} for every bad token,
                malformed or oversized body, and a replayed jti;
                Cache-Control: no-store (BCL 1.0 §2.8 SHOULD).
  front-channel iss must be the configured issuer, sid well formed; ends the
                sessions of that sid only (no cookie needed: an OP's iframe
                may carry none), answers with Cache-Control: no-cache,
                no-store (FCL 1.0 §2); bad iss / sid -> 400.

Every failure line names its reason (reason=<aoidc_reason_name>): the names
below are what core/logout_token.c and core/session_index.c return.
"""

import urllib.parse

import pytest

from pyaoidc.client import (get, jar_value, jwt_parts, location, login, new_session, raw_get,
                            session_alive, session_sid)
from pyaoidc.env import Echo, app_conf, oidc_lines
from pyaoidc.evil_op import LOGOUT_DEFECTS

# defect -> the reason(s) the module logs when it refuses that logout token
DEFECT_REASONS = {
    'alg_none': ('jws_malformed', 'alg'),
    'hs256_pubkey': ('alg', 'signature', 'key_unknown'),
    'bad_sig': ('signature',),
    'kid_unknown': ('key_unknown',),
    'wrong_aud': ('audience',),
    'wrong_iss': ('issuer',),
    'no_events': ('logout_token',),
    'wrong_event': ('logout_token',),
    'events_not_object': ('logout_token',),
    'nonce': ('logout_token',),
    'no_jti': ('logout_token',),
    'no_iat': ('iat',),
    'stale_iat': ('iat',),
    'future_iat': ('not_yet_valid',),
    'expired': ('expired',),
    'no_sid_no_sub': ('logout_token',),
    'bad_sid': ('logout_token',),
    'bad_typ': ('typ',),
    'id_token': ('logout_token',),
}
# not refusals: tested on their own below
OWN_TESTS = {'other_sub', 'hs256_secret'}


@pytest.fixture
def bc(env, op, evil):
    """/app, /app2 against the RealOP and /evil against the EvilOP."""
    (app_conf(env, op)
     .add_location('/evil', oidc_lines(evil, prefix='/evil', scope='openid email'))
     .install())
    return env


def bc_url(env, prefix='/evil'):
    return env.url(prefix + '/redirect_uri?logout=backchannel')


def fc_url(env, iss, sid, prefix='/evil', **extra):
    q = {'logout': 'frontchannel'}
    if iss is not None:
        q['iss'] = iss
    if sid is not None:
        q['sid'] = sid
    q.update(extra)
    return env.url(prefix + '/redirect_uri?') + urllib.parse.urlencode(q)


def evil_login(env, evil, s=None):
    """A session at /evil; returns (browser, sid)."""
    s = s or new_session()
    login(env, s, evil, '/evil/')
    sid = session_sid(env, s, '/evil')
    assert sid == evil.last_sid, (sid, evil.last_sid)
    return s, sid


def assert_refused(r, token=None):
    assert r.status_code == 400, '%s %s' % (r.status_code, r.text[:300])
    assert r.headers.get('Content-Type', '').startswith('application/json'), r.headers
    body = r.json()
    assert isinstance(body.get('error'), str) and body['error'], body
    if token:
        assert token not in r.text, 'the token is echoed back'
    assert 'Set-Cookie' not in r.headers


def assert_no_store(r):
    cc = [v.strip().lower() for v in r.headers.get('Cache-Control', '').split(',')]
    assert 'no-store' in cc, r.headers.get('Cache-Control')


def test_aoidc_710_00_every_defect_covered():
    assert set(DEFECT_REASONS) | OWN_TESTS == LOGOUT_DEFECTS, \
        LOGOUT_DEFECTS ^ (set(DEFECT_REASONS) | OWN_TESTS)


# ------------------------------------------------------------ the real OP

def test_aoidc_710_01_real_op_logout_reaches_rp(bc, op, env):
    """Ending the OP session (end_session, confirmed) makes oidc-provider
    POST a logout token to /app's backchannel_logout_uri; the RP session of
    that OP session is gone, another user's stays."""
    s, other = new_session(), new_session()
    login(env, s, op, '/app/')
    login(env, other, op, '/app/', user='bob')
    sid = session_sid(env, s, '/app')
    assert sid != session_sid(env, other, '/app')
    before = len(op.backchannel_events())
    # at the OP only: the RP never sees this browser's logout
    done = op.logout_confirm(s, op.metadata['end_session_endpoint'])
    assert done, done
    ev = op.wait_backchannel(before + 1)[before:]
    assert ev[0][:4] == ('success', op.RP_CLIENT_ID, 'alice', sid), ev
    assert not session_alive(env, s, '/app/')
    assert session_alive(env, other, '/app/')


def test_aoidc_710_02_other_op_cannot_end_real_op_sessions(bc, op, evil, env):
    """A token from another issuer (here the EvilOP's, naming the RealOP
    session's sid and client) is refused at the RealOP's endpoint."""
    s = new_session()
    login(env, s, op, '/app/')
    sid = session_sid(env, s, '/app')
    tok = evil.logout_token(sid=sid, client_id=op.RP_CLIENT_ID)
    assert_refused(evil.post_logout_token(bc_url(env, '/app'), tok), tok)
    env.assert_reason('key_unknown', 'signature', 'issuer')
    # and the same claims with the RealOP's issuer but the EvilOP's key
    tok = evil.logout_token(sid=sid, client_id=op.RP_CLIENT_ID, iss=op.issuer)
    assert_refused(evil.post_logout_token(bc_url(env, '/app'), tok), tok)
    assert session_alive(env, s, '/app/')


# ------------------------------------------------------------ back-channel, EvilOP

def test_aoidc_710_03_valid_sid_ends_that_session(bc, evil, env):
    s, sid = evil_login(env, evil)
    s2, sid2 = evil_login(env, evil)          # alice again, another OP session
    r = evil.post_logout_token(bc_url(env), evil.logout_token(sid=sid))
    assert r.status_code == 200, '%s %s' % (r.status_code, r.text[:300])
    assert_no_store(r)
    assert 'Set-Cookie' not in r.headers
    assert not session_alive(env, s, '/evil/')
    # the session is gone, not just the cookie: replaying the old cookie fails
    assert session_alive(env, s2, '/evil/')


def test_aoidc_710_04_sub_only_ends_all_sessions_of_user(bc, evil, env):
    s, _ = evil_login(env, evil)
    s2, _ = evil_login(env, evil)
    r = evil.post_logout_token(bc_url(env), evil.logout_token(sid=None, sub='alice'))
    assert r.status_code == 200, '%s %s' % (r.status_code, r.text[:300])
    assert not session_alive(env, s, '/evil/')
    assert not session_alive(env, s2, '/evil/')


def test_aoidc_710_05_sid_and_other_sub_ends_nothing(bc, evil, env):
    """sid and sub both present: only sessions where both match end."""
    s, sid = evil_login(env, evil)
    r = evil.post_logout_token(bc_url(env), evil.logout_token(sid=sid, sub='bob'))
    assert r.status_code == 200, '%s %s' % (r.status_code, r.text[:300])
    assert session_alive(env, s, '/evil/')


def test_aoidc_710_06_another_users_sub(bc, evil, env):
    s, _ = evil_login(env, evil)
    r = evil.post_logout_token(bc_url(env), evil.logout_token(defect='other_sub'))
    assert r.status_code == 200, '%s %s' % (r.status_code, r.text[:300])
    assert session_alive(env, s, '/evil/')


@pytest.mark.parametrize('defect', sorted(DEFECT_REASONS))
def test_aoidc_710_07_bad_token_refused(bc, evil, env, defect):
    s, sid = evil_login(env, evil)
    tok = evil.logout_token(sid=sid, defect=defect)
    r = evil.post_logout_token(bc_url(env), tok)
    assert_refused(r, tok)
    env.assert_reason(*DEFECT_REASONS[defect])
    assert session_alive(env, s, '/evil/'), 'a refused token ended the session'


def test_aoidc_710_08_hs256_secret_follows_id_token_policy(bc, evil, env, s):
    """HS256 keyed with the client secret: a logout token is accepted exactly
    when an ID Token signed so would be (the same alg policy)."""
    evil.set_mode('hs256_secret')
    r = get(s, env.url('/evil/'))
    r = get(s, location(get(s, location(r))))       # authorize -> callback
    id_token_ok = r.status_code == 302
    evil.reset()
    s2, sid = evil_login(env, evil)
    tok = evil.logout_token(sid=sid, defect='hs256_secret')
    r = evil.post_logout_token(bc_url(env), tok)
    if id_token_ok:
        assert r.status_code == 200, '%s %s' % (r.status_code, r.text[:300])
        assert not session_alive(env, s2, '/evil/')
    else:
        assert_refused(r, tok)
        env.assert_reason('alg')
        assert session_alive(env, s2, '/evil/')


def test_aoidc_710_09_replayed_jti_refused(bc, evil, env):
    s, sid = evil_login(env, evil)
    tok = evil.logout_token(sid=sid)
    assert evil.post_logout_token(bc_url(env), tok).status_code == 200
    assert_refused(evil.post_logout_token(bc_url(env), tok), tok)
    env.assert_reason('logout_replay')
    # the same jti in a new token is a replay too
    s2, sid2 = evil_login(env, evil)
    jti = jwt_parts(tok)[1]['jti']
    assert_refused(evil.post_logout_token(bc_url(env), evil.logout_token(sid=sid2, jti=jti)))
    assert session_alive(env, s2, '/evil/')


@pytest.mark.parametrize('case', ['empty', 'no_param', 'twice', 'empty_value', 'bad_escape',
                                  'nul', 'oversized', 'token_too_long', 'not_a_jws'])
def test_aoidc_710_10_malformed_body_refused(bc, evil, env, case):
    s, sid = evil_login(env, evil)
    good = evil.logout_token(sid=sid)
    body = {
        'empty': '',
        'no_param': 'token=' + good,
        'twice': 'logout_token=%s&logout_token=%s' % (good, good),
        'empty_value': 'logout_token=',
        'bad_escape': 'logout_token=%zz',
        'nul': 'logout_token=a%00b',
        'oversized': 'logout_token=' + good + '&pad=' + 'x' * (64 * 1024),
        'token_too_long': 'logout_token=' + 'a' * (17 * 1024),
        'not_a_jws': 'logout_token=not.a-token',
    }[case]
    assert_refused(evil.post_logout_token(bc_url(env), body=body))
    env.assert_reason('malformed', 'too_large', 'jws_malformed')
    assert session_alive(env, s, '/evil/')


def test_aoidc_710_11_get_is_not_backchannel(bc, evil, env):
    s, sid = evil_login(env, evil)
    tok = evil.logout_token(sid=sid)
    r = raw_get(bc_url(env) + '&' + urllib.parse.urlencode({'logout_token': tok}))
    assert r.status_code in (400, 405), r.status_code
    assert session_alive(env, s, '/evil/')


def test_aoidc_710_12_backchannel_needs_no_cookie_and_sets_none(bc, evil, env):
    """The OP calls server to server: the browser's cookie plays no part, and
    a cookie sent along (another session's) is neither used nor cleared."""
    s, sid = evil_login(env, evil)
    s2, _ = evil_login(env, evil)
    r = evil.post_logout_token(bc_url(env), evil.logout_token(sid=sid),
                               cookies={'aoidc_session': jar_value(s2, 'aoidc_session')})
    assert r.status_code == 200
    assert 'Set-Cookie' not in r.headers
    assert not session_alive(env, s, '/evil/')
    assert session_alive(env, s2, '/evil/')


# ------------------------------------------------------------ front-channel

def test_aoidc_710_20_frontchannel_ends_matching_session(bc, evil, env):
    s, sid = evil_login(env, evil)
    s2, _ = evil_login(env, evil)
    # no cookie: an OP's iframe on another site may carry none (SameSite)
    r = raw_get(fc_url(env, evil.issuer, sid))
    assert r.status_code == 200, '%s %s' % (r.status_code, r.text[:300])
    cc = [v.strip().lower() for v in r.headers.get('Cache-Control', '').split(',')]
    assert 'no-cache' in cc and 'no-store' in cc, r.headers.get('Cache-Control')
    assert not session_alive(env, s, '/evil/')
    assert session_alive(env, s2, '/evil/')


@pytest.mark.parametrize('case', ['wrong_iss', 'no_iss', 'no_sid', 'bad_sid', 'long_sid',
                                  'other_op_iss', 'twice'])
def test_aoidc_710_21_frontchannel_bad_request(bc, op, evil, env, case):
    s, sid = evil_login(env, evil)
    url = {
        'wrong_iss': fc_url(env, evil.issuer + '/', sid),
        'no_iss': fc_url(env, None, sid),
        'no_sid': fc_url(env, evil.issuer, None),
        'bad_sid': fc_url(env, evil.issuer, '<%s>' % sid),
        'long_sid': fc_url(env, evil.issuer, 'a' * 300),
        'other_op_iss': fc_url(env, op.issuer, sid),
        'twice': fc_url(env, evil.issuer, sid) + '&sid=' + sid,
    }[case]
    r = raw_get(url)
    assert r.status_code == 400, '%s: %s %s' % (case, r.status_code, r.text[:300])
    env.assert_reason('malformed', 'issuer')
    assert session_alive(env, s, '/evil/')


def test_aoidc_710_22_frontchannel_unknown_sid(bc, evil, env):
    s, _ = evil_login(env, evil)
    r = raw_get(fc_url(env, evil.issuer, 'no-such-sid'))
    assert r.status_code == 200, r.status_code
    assert session_alive(env, s, '/evil/')


def test_aoidc_710_23_frontchannel_does_not_reach_other_op(bc, op, evil, env):
    """The RealOP's session sid sent to /evil (the EvilOP's endpoint) with the
    EvilOP's issuer ends nothing: indexes are per issuer."""
    s = new_session()
    login(env, s, op, '/app/')
    sid = session_sid(env, s, '/app')
    assert raw_get(fc_url(env, evil.issuer, sid)).status_code == 200
    assert session_alive(env, s, '/app/')


# ------------------------------------------------------------ RFC 7009 at logout

def _app2_access_token(env, s):
    """/app2 passes the access token to the backend (AuthOIDCPassAccessToken)."""
    return Echo(get(s, env.url('/app2/echo/'))).value('OIDC_access_token')


def test_aoidc_710_30_logout_revokes_tokens(bc, op, env):
    """AuthOIDCRevokeTokensOnLogout defaults to on: RP-initiated logout
    revokes at the OP's revocation_endpoint before sending the browser to
    end_session (so the tokens die even if the user never confirms)."""
    assert op.metadata.get('revocation_endpoint')
    s = new_session()
    login(env, s, op, '/app2/')
    at = _app2_access_token(env, s)
    assert op.introspect(at)['active'] is True
    r = get(s, env.url('/app2/redirect_uri?logout=/loggedout.html'))
    assert r.status_code == 302
    assert location(r).startswith(op.metadata['end_session_endpoint'])
    # not confirmed at the OP: only the revocation can have killed it
    assert op.introspect(at)['active'] is False
    assert 'POST /token/revocation -> 200' in op.log()


def test_aoidc_710_31_revocation_off(env, op):
    (app_conf(env, op)
     .add_location('/lo', oidc_lines(op, prefix='/lo', extra=[
         'AuthOIDCPassAccessToken on', 'AuthOIDCRevokeTokensOnLogout off']))
     .install())
    s = new_session()
    login(env, s, op, '/lo/')
    at = Echo(get(s, env.url('/lo/echo/'))).value('OIDC_access_token')
    r = get(s, env.url('/lo/redirect_uri?logout=/loggedout.html'))
    assert r.status_code == 302
    assert op.introspect(at)['active'] is True
