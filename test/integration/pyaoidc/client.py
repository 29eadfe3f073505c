"""Browser-like helpers over requests.Session for the integration tests.

    s = new_session()
    r = login(env, s, op, '/app/')            # 200 of GET /app/ after the callback
    r = start_login(env, s, '/app/x')         # the 302 to the OP, checked
    cb = authenticate(op, s, r)               # callback URL on httpd (not fetched)
"""

import base64
import hashlib
import json
import re
import secrets
import time
import urllib.parse

import requests

from .evil_op import EvilOP
from .op import FormPost, form_post_of

TIMEOUT = 30


def new_session():
    s = requests.Session()
    s.headers['User-Agent'] = 'aoidc-integration-test'
    return s


def get(s, url, **kw):
    kw.setdefault('allow_redirects', False)
    kw.setdefault('timeout', TIMEOUT)
    return s.get(url, **kw)


def raw_get(url, headers=None, **kw):
    """A request with exactly these headers (no cookie jar)."""
    kw.setdefault('allow_redirects', False)
    kw.setdefault('timeout', TIMEOUT)
    return requests.get(url, headers=headers or {}, **kw)


# ------------------------------------------------------------------ cookies

def set_cookies(r):
    """Raw Set-Cookie header values of a response."""
    return list(r.raw.headers.getlist('Set-Cookie'))


def parse_set_cookie(value):
    """'n=v; Path=/; HttpOnly' -> (name, value, {attr_lower: value_or_True})."""
    parts = [p.strip() for p in value.split(';')]
    name, _, val = parts[0].partition('=')
    attrs = {}
    for p in parts[1:]:
        if not p:
            continue
        k, eq, v = p.partition('=')
        attrs[k.strip().lower()] = v.strip() if eq else True
    return name.strip(), val.strip(), attrs


def cookies_named(r, name_or_prefix, prefix=False):
    out = []
    for sc in set_cookies(r):
        n, v, a = parse_set_cookie(sc)
        if (prefix and n.startswith(name_or_prefix)) or n == name_or_prefix:
            out.append((n, v, a))
    return out


def is_clearing(cookie):
    """A Set-Cookie (name, value, attrs) that deletes the cookie."""
    _, v, a = cookie
    if str(a.get('max-age', '')).strip() in ('0', '-1'):
        return True
    exp = a.get('expires')
    if isinstance(exp, str) and re.search(r'19[79]\d|Thu, 01 Jan 1970', exp):
        return True
    return v in ('', '""', 'deleted') and ('max-age' in a or 'expires' in a)


def session_cookie_set(r, name='aoidc_session'):
    """True when r sets a (non-clearing) session cookie."""
    return any(not is_clearing(c) and c[1] for c in cookies_named(r, name))


def jar_value(s, name):
    for c in s.cookies:
        if c.name == name:
            return c.value
    return None


def jar_names(s, prefix=''):
    return [c.name for c in s.cookies if c.name.startswith(prefix)]


def cookie_header(pairs):
    return '; '.join('%s=%s' % (n, v) for n, v in pairs)


# ------------------------------------------------------------------ URLs

def location(r):
    loc = r.headers.get('Location')
    return urllib.parse.urljoin(r.url, loc) if loc else None


def query(url):
    """Query parameters of url as {name: [values]}."""
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query, keep_blank_values=True)


def query1(url):
    return {k: v[0] for k, v in query(url).items()}


def same_path(url, path):
    u = urllib.parse.urlsplit(url)
    return u.path + ('?' + u.query if u.query else '') == path


# ------------------------------------------------------------------ login

def _is_evil(op):
    return isinstance(op, EvilOP)


def start_login(env, s, path='/app/', authorization_endpoint=None, **kw):
    """GET path without a session; assert a 302 to the OP's authorization
    endpoint and return that response."""
    r = get(s, env.url(path), **kw)
    assert r.status_code == 302, 'GET %s: expected 302 to the OP, got %s %r\n%s' % (
        path, r.status_code, r.headers, r.text[:500])
    loc = location(r)
    if authorization_endpoint:
        assert loc.split('?')[0] == authorization_endpoint, loc
    return r


def authenticate(op, s, start_resp, user='alice'):
    """Log in at the OP; returns the callback URL on httpd (not fetched)."""
    if _is_evil(op):
        r = get(s, location(start_resp))
        if r.status_code == 200 and form_post_of(r) is not None:
            return form_post_of(r)          # response_mode=form_post
        assert r.status_code == 302, 'EvilOP /authorize: %s %s' % (r.status_code, r.text[:300])
        return location(r)
    return op.login(s, start_resp, username=user)


def submit(s, cb, **kw):
    """Deliver an authorization response to httpd as a browser does: GET the
    callback URL, or POST a FormPost (response_mode=form_post; the browser
    runs the OP page's auto-submit, Content-Type form-urlencoded)."""
    if isinstance(cb, FormPost):
        kw.setdefault('allow_redirects', False)
        kw.setdefault('timeout', TIMEOUT)
        return s.post(str(cb), data=cb.data, **kw)
    return get(s, cb, **kw)


def callback(env, s, cb_url, expect_return=None):
    """GET the callback on httpd (POST it for a FormPost); when expect_return is
    given assert a 302 back to that path(+query) with a session cookie."""
    r = submit(s, cb_url)
    if expect_return is not None:
        assert r.status_code == 302, 'callback: expected 302 to %s, got %s\n%s\n%s' % (
            expect_return, r.status_code, r.headers, r.text[:500])
        loc = location(r)
        assert loc.startswith(env.base_url + '/') or loc.startswith('/'), loc
        assert same_path(loc, expect_return), 'callback returned to %s, not %s' % (loc, expect_return)
        assert session_cookie_set(r), 'callback did not set aoidc_session: %s' % set_cookies(r)
    return r


def login(env, s, op=None, path='/app/', user='alice'):
    """Full login: GET path (302 to the OP), log in at the OP, GET the callback
    (302 back to path), GET path again; returns that final response. The
    callback response is kept as `.callback_response`.

    op: RealOP or EvilOP (default: the session RealOP, env.op); login(env, s,
    '/app/') also works."""
    if isinstance(op, str):
        op, path = None, op
    if op is None:
        op = env.op
    r1 = start_login(env, s, path)
    cb = authenticate(op, s, r1, user=user)
    assert cb.startswith(env.base_url + '/'), 'OP sent the browser to %s' % cb
    r2 = callback(env, s, cb, expect_return=path)
    r3 = get(s, location(r2))
    r3.callback_response = r2
    r3.callback_url = cb
    r3.start_response = r1
    return r3


# ------------------------------------------------------------------ logout

def session_claims(env, s, prefix='/app'):
    """The claims the backend sees for the logged-in session s below prefix
    ({name: value} of the OIDC_CLAIM_ headers at prefix/echo/). Fails when
    the session does not reach the backend."""
    from .env import Echo
    r = get(s, env.url(prefix + '/echo/'))
    assert r.status_code == 200, 'session at %s not usable: %s %s' % (
        prefix, r.status_code, r.headers.get('Location'))
    return {k[len('OIDC_CLAIM_'):]: v for k, v in Echo(r).headers
            if k.lower().startswith('oidc_claim_')}


def session_sid(env, s, prefix='/app'):
    """The OP's sid of the logged-in session s (the ID Token's sid claim, as
    the backend sees it in OIDC_CLAIM_sid)."""
    sid = session_claims(env, s, prefix).get('sid')
    assert sid, 'the ID token of this session carried no sid'
    return sid


# AuthOIDCSessionCacheTTL's default (docs/performance.md, "The L1"): a
# process may serve a session it read from the store this long without
# asking the store again. A logout received by another node, and a store
# outage, are seen within it; on the node that took the logout, at once.
L1_TTL = 1.0


def wait_out_l1():
    """Sleep past the L1's bound: every process asks the store again."""
    time.sleep(L1_TTL + 0.2)


def session_ends_within(env, s, path='/app/', bound=L1_TTL + 1.0):
    """Poll until s has no session at path; assert that took at most bound
    seconds (the L1's TTL plus a margin for a loaded or ASan host)."""
    t0 = time.time()
    while session_alive(env, s, path):
        assert time.time() - t0 < bound, 'session alive after %.1f s' % (time.time() - t0)
        time.sleep(0.1)
    return time.time() - t0


def session_alive(env, s, path='/app/'):
    """True when s still has a session at path (200), False when the module
    starts a new login (302 to the OP) or answers 401."""
    r = get(s, env.url(path))
    assert r.status_code in (200, 302, 401), (r.status_code, r.text[:300])
    return r.status_code == 200


# ------------------------------------------------------------------ bearer

def bearer(token, scheme='Bearer'):
    return {'Authorization': '%s %s' % (scheme, token)}


def www_authenticate(r):
    """Parse 'Bearer realm="api", error="invalid_token"' ->
    ('bearer', {'realm': 'api', 'error': 'invalid_token'})."""
    h = r.headers.get('WWW-Authenticate')
    if h is None:
        return None, {}
    scheme, _, rest = h.strip().partition(' ')
    params = {}
    for m in re.finditer(r'([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)', rest):
        params[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return scheme.lower(), params


def tamper_sig(token):
    h, p, sig = token.split('.')
    raw = bytearray(base64.urlsafe_b64decode(sig + '=' * (-len(sig) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return '%s.%s.%s' % (h, p, base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode())


def jwt_parts(token):
    def d(x):
        return json.loads(base64.urlsafe_b64decode(x + '=' * (-len(x) % 4)))
    h, p, _ = token.split('.')
    return d(h), d(p)


# ------------------------------------------------------------------ RP-side code flow

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


def realop_code_flow(op, redirect_uri, user='alice', scope='openid email profile'):
    """Run a code flow against the RealOP as a client ourselves (not through
    httpd) and return the token response (id_token, access_token, ...)."""
    s = new_session()
    verifier = secrets.token_urlsafe(48)
    q = {'response_type': 'code', 'client_id': op.RP_CLIENT_ID, 'redirect_uri': redirect_uri,
         'scope': scope, 'state': secrets.token_urlsafe(16), 'nonce': secrets.token_urlsafe(16),
         'code_challenge': b64u(hashlib.sha256(verifier.encode()).digest()),
         'code_challenge_method': 'S256'}
    url = op.metadata['authorization_endpoint'] + '?' + urllib.parse.urlencode(q)
    cb = op.login(s, url, username=user)
    code = query1(cb)['code']
    r = requests.post(op.metadata['token_endpoint'],
                      data={'grant_type': 'authorization_code', 'code': code,
                            'redirect_uri': redirect_uri, 'code_verifier': verifier},
                      auth=(op.RP_CLIENT_ID, op.RP_CLIENT_SECRET), timeout=10)
    r.raise_for_status()
    return r.json()
