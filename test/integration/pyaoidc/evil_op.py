"""EvilOP: a small, deliberately misbehaving OpenID Provider for negative tests.

In mode 'good' it is a correct (if minimal) OP: discovery, JWKS, an
/authorize endpoint that logs "alice" in at once, /token with client
authentication + PKCE S256 + single-use codes, /userinfo, RFC 7662
/introspect and /logout.  set_mode() makes it break exactly ONE thing,
everything else stays valid, so a test that sees the RP reject the response
knows which check did it.  Only binds to 127.0.0.1.  Debian packages only
(python3-jwcrypto, python3-cryptography, stdlib).

    op = EvilOP(); op.start()
    op.set_mode('wrong_nonce')      # the next ID token carries a foreign nonce
    ...
    op.stop()

Tokens are assembled by hand (base64url(header).base64url(payload).sig) so
that headers jwcrypto would refuse to produce (alg none, crit, jku, a kid that
does not belong to the signing key, HS256 keyed with the RSA public key PEM)
are possible.  jwcrypto's JWA classes do the actual RSA/EC signing.
"""

import base64
import collections
import datetime
import hashlib
import html
import hmac
import json
import os
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit

from jwcrypto import jwk
from jwcrypto.jwa import JWA

# Modes that alter the ID token returned by /token.
ID_TOKEN_MODES = {
    'wrong_iss', 'wrong_aud', 'aud_array_without_us', 'azp_wrong',
    'wrong_nonce', 'no_nonce', 'bad_sig', 'alg_none', 'hs256_pubkey',
    'hs256_secret', 'kid_unknown', 'kid_swap', 'jku_attack', 'jwk_embedded',
    'expired', 'iat_missing', 'nbf_future', 'sub_missing', 'crit_unknown',
    'at_hash_wrong', 'ps256', 'es256',
}
# Modes that alter the redirect from /authorize back to the RP.
AUTHZ_RESPONSE_MODES = {'no_iss_param', 'wrong_iss_param', 'error_response', 'state_swap'}
# Modes that alter discovery, JWKS and the back-channel endpoints.
HTTP_MODES = {
    'metadata_wrong_issuer', 'discovery_garbage', 'discovery_500',
    'discovery_slow', 'jwks_garbage', 'jwks_huge', 'jwks_bad_key', 'token_garbage',
    'token_500', 'token_slow', 'token_error', 'token_error_nasty', 'userinfo_wrong_sub',
    'userinfo_500', 'introspect_slow', 'introspect_garbage', 'http_endpoints',
    # opts expires_in (default 2): every token response says so; a refresh
    # returns a new refresh token and any older one gets invalid_grant;
    # opts delay: seconds a refresh grant takes (default 0)
    'refresh_rotate',
    # opts expires_in (default 1), secs (default 30): short-lived tokens at
    # login, then every refresh grant hangs for secs
    'refresh_hang',
    # opts n (default 40), size (default 1024): userinfo adds n claims
    # big_0 .. big_<n-1> of size characters each
    'userinfo_huge',
}
# Modes for the security review's findings (issue 8; test_910_review.py).
# Kept apart from ID_TOKEN_MODES, whose coverage test_900_00 checks.
REVIEW_MODES = {
    'access_token_crlf',      # /token: access_token "tok\r\nRemote-User: admin"
    'expires_in_huge',        # /token: expires_in 9223372036854775807
    'many_claims',            # ID token: 100 claims first, sub last
    'claims_case_collision',  # ID token: groups and Groups
    'weak_rsa',               # JWKS adds a 1024-bit RSA key; ID token signed with it
    'refresh_id_token',       # /token: expires_in opts['expires_in'] (default 1) at
                              # login; refresh responses carry an ID token with
                              # opts sub/iss (default alice/ours)
}
# The password grant (AuthType oidc-basic; test_520_basic.py).
PASSWORD_MODES = {
    'password_nonce',         # its ID token carries a nonce nobody sent
    'password_wrong_aud',     # its ID token is for another client
}
# Hybrid "code id_token" (issue 11; test_345_response_modes.py): the
# front-channel ID Token of /authorize with c_hash of another code, or none.
LEGACY_MODES = {'c_hash_wrong', 'c_hash_missing'}
ALL_MODES = ({'good'} | ID_TOKEN_MODES | AUTHZ_RESPONSE_MODES | HTTP_MODES | REVIEW_MODES
             | PASSWORD_MODES | LEGACY_MODES)
INT64_MAX = 9223372036854775807
CRLF_TOKEN = 'tok\r\nRemote-User: admin'

# Back-Channel Logout 1.0 §2.4: the events member of a logout token.
LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'
# The one defect logout_token() can put in an otherwise valid logout token.
LOGOUT_DEFECTS = {
    'alg_none', 'hs256_secret', 'hs256_pubkey', 'bad_sig', 'kid_unknown',
    'wrong_aud', 'wrong_iss', 'no_events', 'wrong_event', 'events_not_object',
    'nonce', 'no_jti', 'stale_iat', 'future_iat', 'no_iat', 'expired',
    'no_sid_no_sub', 'bad_typ', 'bad_sid', 'other_sub', 'id_token',
}

EVIL_ISSUER = 'https://evil.example.com'
GARBAGE = b'<html><body>this is <b>not</b> JSON {{{</body></html>'
ENDPOINT_KEYS = ('authorization_endpoint', 'token_endpoint', 'userinfo_endpoint',
                 'jwks_uri', 'introspection_endpoint', 'end_session_endpoint')
_VERIFIER_RE = re.compile(r'^[A-Za-z0-9._~-]{43,128}$')   # RFC 7636 4.1


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def b64u_decode(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def _json_b64u(obj):
    return b64u(json.dumps(obj, separators=(',', ':')))


def at_hash(access_token, alg='RS256'):
    """OIDC Core 3.1.3.6: left half of the hash of the ASCII access token."""
    h = {'256': hashlib.sha256, '384': hashlib.sha384, '512': hashlib.sha512}[alg[-3:]]
    d = h(access_token.encode('ascii')).digest()
    return b64u(d[:len(d) // 2])


def pkce_s256(verifier):
    return b64u(hashlib.sha256(verifier.encode('ascii')).digest())


class _Req:
    """What a route handler gets: the parsed request plus a mode snapshot."""

    def __init__(self, method, path, params, headers, mode, opts):
        self.method, self.path, self.params = method, path, params
        self.headers, self.mode, self.opts = headers, mode, opts


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'EvilOP/1.0'

    def log_message(self, *args):   # keep test output quiet
        pass

    def do_GET(self):
        self.server.op._dispatch(self, 'GET')

    def do_POST(self):
        self.server.op._dispatch(self, 'POST')


class EvilOP:
    CLIENT_ID = 'evil-rp'
    CLIENT_SECRET = 'evil-secret-0123456789abcdef0123456789ab'
    AT_AUDIENCE = 'api://default'

    def __init__(self, port=None):
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._mode, self._opts = 'good', {}
        self.counters = collections.Counter()     # path -> requests seen
        self.last_authorize_request = None        # dict of query params
        self.last_token_request = None            # {'form', 'headers', 'client_auth'}
        self.last_introspect_request = None
        self.last_logout_request = None
        self.sids = []          # the sid of each login, in order (ID token claim sid)
        self.grants = collections.Counter()       # grant_type -> /token requests
        self.credentials_seen = []                # {'endpoint', 'method', 'client_id', 'client_secret'}
        self._codes = {}        # code -> {nonce, code_challenge, redirect_uri, ...}
        self._tokens = {}       # access token -> {sub, scope, exp, ...}
        self._refresh = {}      # refresh token -> {sub, scope}
        self._opaque = {}       # token -> introspection response (add_opaque_token)
        self._huge_jwks = None
        # Keys. JWKS = published RSA keys (oldest first) + spare RSA + EC.
        self._kid_seq = 1
        self._rsa_keys = [self._new_rsa('rsa-1')]
        self._signing_key = self._rsa_keys[0]
        self._spare_key = self._new_rsa('rsa-spare')        # kid_swap's key B
        self._ec_key = jwk.JWK.generate(kty='EC', crv='P-256', kid='ec-1')
        self._attacker_key = self._new_rsa('attacker-1')    # never in /jwks
        self._stray_key = self._new_rsa('unknown-kid-0')    # never in /jwks
        self._weak_key = None                               # mode weak_rsa
        self._attacker_cert_der = None
        self._httpd = ThreadingHTTPServer(('127.0.0.1', port or 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.op = self
        self.port = self._httpd.server_address[1]
        self._thread = None

    # ------------------------------------------------------------ lifecycle
    @property
    def issuer(self):
        return 'http://127.0.0.1:%d' % self.port

    def start(self):
        self._stopping.clear()
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        name='evil-op-%d' % self.port, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()        # wakes up handlers sleeping in *_slow modes
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def set_mode(self, mode, **opts):
        if mode not in ALL_MODES:
            raise ValueError('unknown EvilOP mode %r' % mode)
        with self._lock:
            self._mode, self._opts = mode, dict(opts)

    @property
    def mode(self):
        return self._mode

    def reset(self):
        """Mode 'good', fresh counters and last_* records. Keys, issued
        tokens and pending codes are kept (existing RP sessions stay valid)."""
        with self._lock:
            self._mode, self._opts = 'good', {}
            self.counters.clear()
            self.grants.clear()
            self.credentials_seen = []
            self.last_authorize_request = self.last_token_request = None
            self.last_introspect_request = self.last_logout_request = None

    # ------------------------------------------------------------ keys
    @staticmethod
    def _new_rsa(kid):
        return jwk.JWK.generate(kty='RSA', size=2048, kid=kid)

    @property
    def signing_key(self):
        return self._signing_key

    @property
    def weak_key(self):
        """A 1024-bit RSA key (kid rsa-weak), in /jwks only in mode weak_rsa."""
        if self._weak_key is None:
            self._weak_key = jwk.JWK.generate(kty='RSA', size=1024, kid='rsa-weak')
        return self._weak_key

    @property
    def kid(self):
        return self._signing_key.get('kid')

    def rotate_keys(self, keep_old=True):
        """A new RSA key (new kid) becomes the signing key. With keep_old the
        JWKS serves old and new keys, otherwise only the new one."""
        with self._lock:
            self._kid_seq += 1
            new = self._new_rsa('rsa-%d' % self._kid_seq)
            self._rsa_keys = (self._rsa_keys if keep_old else []) + [new]
            self._signing_key = new
            self._huge_jwks = None
        return new.get('kid')

    def jwks(self):
        keys = self._rsa_keys + [self._spare_key, self._ec_key]
        return {'keys': [dict(k.export_public(as_dict=True), use='sig',
                              alg='ES256' if k.get('kty') == 'EC' else 'RS256')
                         for k in keys]}

    def _attacker_cert(self):
        """Self-signed X.509 certificate for the attacker key (x5c / x5u)."""
        if self._attacker_cert_der is None:
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.x509.oid import NameOID
            priv = self._attacker_key.get_op_key('sign')
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])
            now = datetime.datetime.utcnow()
            cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                    .public_key(priv.public_key()).serial_number(x509.random_serial_number())
                    .not_valid_before(now - datetime.timedelta(days=1))
                    .not_valid_after(now + datetime.timedelta(days=30))
                    .sign(priv, hashes.SHA256()))
            self._attacker_cert_der = cert.public_bytes(serialization.Encoding.DER)
        return self._attacker_cert_der

    # ------------------------------------------------------------ tokens
    def mint(self, claims, alg='RS256', kid=None, key=None, header_extra=None, typ=None):
        """Sign claims as a compact JWS.

        alg: RS256/384/512, PS256/384/512 (default key: current RSA key),
        ES256 (default key: the EC key), HS256/384/512 (key: bytes/str,
        default CLIENT_SECRET), 'none' (empty signature) or 'HS256-pubkey'
        (HS256 keyed with the PEM of the RSA public key of `key` or of the
        current signing key, kid of that RSA key: the key-confusion attack).
        kid: default the signing key's kid ('' = no kid header).
        header_extra: merged into the header; a None value deletes a field.
        """
        hdr_alg = 'HS256' if alg == 'HS256-pubkey' else alg
        secret = None
        if alg == 'HS256-pubkey':
            rsa = key if key is not None else self._signing_key
            secret = rsa.export_to_pem(private_key=False)
            key, kid = None, (rsa.get('kid') if kid is None else kid)
        elif alg.startswith('HS'):
            secret = key if key is not None else self.CLIENT_SECRET
            secret, key = (secret.encode() if isinstance(secret, str) else secret), None
        elif alg == 'none':
            kid = self.kid if kid is None else kid
            key = None
        elif key is None:
            key = self._ec_key if alg.startswith('ES') else self._signing_key
        if kid is None and key is not None:
            kid = key.get('kid')
        header = {'alg': hdr_alg}
        if typ:
            header['typ'] = typ
        if kid:
            header['kid'] = kid
        for k, v in (header_extra or {}).items():
            if v is None:
                header.pop(k, None)
            else:
                header[k] = v
        signing_input = (_json_b64u(header) + '.' + _json_b64u(claims)).encode('ascii')
        if alg == 'none':
            sig = b''
        elif secret is not None:
            digest = {'256': hashlib.sha256, '384': hashlib.sha384,
                      '512': hashlib.sha512}[hdr_alg[-3:]]
            sig = hmac.new(secret, signing_input, digest).digest()
        else:
            sig = JWA.signing_alg(alg).sign(key, signing_input)
        return signing_input.decode('ascii') + '.' + b64u(sig)

    def access_token(self, **overrides):
        """A valid RFC 9068 JWT access token; claim overrides replace claims,
        a None value deletes one. Keyword arguments _alg, _kid, _key, _header,
        _typ are passed to mint() (alg, kid, key, header_extra, typ)."""
        now = int(time.time())
        claims = {'iss': self.issuer, 'aud': self.AT_AUDIENCE, 'exp': now + 300,
                  'iat': now, 'sub': 'alice', 'scope': 'orders:read',
                  'client_id': self.CLIENT_ID, 'jti': secrets.token_urlsafe(12)}
        mint_args = {'typ': 'at+jwt'}
        for k, v in overrides.items():
            if k.startswith('_'):
                mint_args[{'_header': 'header_extra'}.get(k, k[1:])] = v
            elif v is None:
                claims.pop(k, None)
            else:
                claims[k] = v
        tok = self.mint(claims, **mint_args)
        with self._lock:
            self._tokens[tok] = {'sub': claims.get('sub'), 'scope': claims.get('scope'),
                                 'exp': claims.get('exp'), 'jwt': True}
        return tok

    @property
    def last_sid(self):
        """The sid of the latest login (None before any)."""
        return self.sids[-1] if self.sids else None

    def logout_token(self, sid=None, sub='alice', defect=None, client_id=None, jti=None,
                     **overrides):
        """A Back-Channel Logout token (OIDC BCL 1.0 §2.4) for this OP's client,
        valid unless defect (one of LOGOUT_DEFECTS) breaks exactly one rule:

          alg_none, hs256_secret (HS256 keyed with CLIENT_SECRET), hs256_pubkey,
          bad_sig, kid_unknown      signature / key defects
          wrong_aud, wrong_iss      aud / iss of someone else
          no_events, wrong_event, events_not_object   the events claim
          nonce                     carries a nonce (what an ID token has)
          no_jti, no_iat, stale_iat (10 min old), future_iat (10 min ahead),
          expired                   exp an hour ago
          no_sid_no_sub, bad_sid    sid/sub rules
          bad_typ                   typ JWT
          other_sub                 valid, but for user 'bob' (sub) and no sid
          id_token                  an ID token of this OP (nonce, no events)

        sid None and sub None leave the claim out; claim overrides replace
        claims, a None value deletes one; _alg/_kid/_key/_header/_typ go to
        mint(). Returns the compact token."""
        if defect is not None and defect not in LOGOUT_DEFECTS:
            raise ValueError('unknown logout token defect %r' % defect)
        now = int(time.time())
        claims = {'iss': self.issuer, 'aud': client_id or self.CLIENT_ID, 'iat': now,
                  'exp': now + 120, 'jti': jti or secrets.token_urlsafe(16),
                  'events': {LOGOUT_EVENT: {}}}
        if sub is not None:
            claims['sub'] = sub
        if sid is not None:
            claims['sid'] = sid
        kw = {'alg': 'RS256', 'typ': 'logout+jwt'}
        if defect in ('alg_none', 'hs256_pubkey'):
            kw['alg'] = {'alg_none': 'none', 'hs256_pubkey': 'HS256-pubkey'}[defect]
        elif defect == 'hs256_secret':
            kw['alg'] = 'HS256'
        elif defect == 'kid_unknown':
            kw['kid'], kw['key'] = 'unknown-kid-' + secrets.token_hex(4), self._stray_key
        elif defect == 'wrong_aud':
            claims['aud'] = 'someone-else'
        elif defect == 'wrong_iss':
            claims['iss'] = EVIL_ISSUER
        elif defect == 'no_events':
            del claims['events']
        elif defect == 'wrong_event':
            claims['events'] = {'http://schemas.openid.net/event/frontchannel-logout': {}}
        elif defect == 'events_not_object':
            claims['events'] = {LOGOUT_EVENT: 'yes'}
        elif defect == 'nonce':
            claims['nonce'] = secrets.token_urlsafe(8)
        elif defect == 'no_jti':
            del claims['jti']
        elif defect == 'no_iat':
            del claims['iat']
        elif defect == 'stale_iat':
            claims['iat'], claims['exp'] = now - 600, now + 120
        elif defect == 'future_iat':
            claims['iat'], claims['exp'] = now + 600, now + 720
        elif defect == 'expired':
            claims['iat'], claims['exp'] = now - 100, now - 3600
        elif defect == 'no_sid_no_sub':
            claims.pop('sid', None)
            claims.pop('sub', None)
        elif defect == 'bad_sid':
            claims['sid'] = 'not a <sid>'
        elif defect == 'bad_typ':
            kw['typ'] = 'JWT'
        elif defect == 'other_sub':
            claims.pop('sid', None)
            claims['sub'] = 'bob'
        elif defect == 'id_token':
            claims = {'iss': self.issuer, 'aud': client_id or self.CLIENT_ID, 'iat': now,
                      'exp': now + 300, 'sub': sub or 'alice', 'nonce': 'n',
                      'sid': sid or 'x', 'jti': claims['jti']}
            kw['typ'] = None        # ID tokens carry no typ (or JWT)
        for k, v in overrides.items():
            if k.startswith('_'):
                kw[{'_header': 'header_extra'}.get(k, k[1:])] = v
            elif v is None:
                claims.pop(k, None)
            else:
                claims[k] = v
        tok = self.mint(claims, **kw)
        if defect == 'bad_sig':
            h, p, sig = tok.split('.')
            raw = bytearray(b64u_decode(sig))
            raw[len(raw) // 2] ^= 0x01
            tok = '%s.%s.%s' % (h, p, b64u(bytes(raw)))
        return tok

    @staticmethod
    def post_logout_token(url, token=None, body=None, content_type='application/x-www-form-urlencoded',
                          timeout=10, **kw):
        """POST a logout token to url as the OP does (§2.5): form body
        logout_token=<token>; or any raw body (bytes/str) to test malformed ones.
        Returns the requests.Response (no redirects followed, no cookies)."""
        import requests
        if body is None:
            body = urlencode({'logout_token': token})
        return requests.post(url, data=body, headers={'Content-Type': content_type},
                             allow_redirects=False, timeout=timeout, **kw)

    def add_opaque_token(self, token, introspection_response):
        """/introspect answers introspection_response for this token."""
        with self._lock:
            self._opaque[token] = dict(introspection_response)

    def _id_token(self, entry, access_token, mode, opts):
        """The ID token for /token, with the mode's single defect applied."""
        now = int(time.time())
        claims = {'iss': self.issuer, 'aud': self.CLIENT_ID, 'exp': now + 300,
                  'iat': now, 'auth_time': now, 'sub': 'alice',
                  'email': 'alice@example.com', 'name': 'Alice Example',
                  'at_hash': at_hash(access_token)}
        if entry.get('nonce'):
            claims['nonce'] = entry['nonce']
        if entry.get('sid'):
            claims['sid'] = entry['sid']
        # step-up (test_610): opts id_token_claims={name: value, None deletes};
        # honor_acr: acr = the first of the request's acr_values; honor_max_age:
        # a fresh auth_time when the request had max_age (else the one set)
        for k, v in (opts.get('id_token_claims') or {}).items():
            if v is None:
                claims.pop(k, None)
            else:
                claims[k] = v
        if opts.get('honor_acr') and entry.get('acr_values'):
            claims['acr'] = entry['acr_values'].split()[0]
        if opts.get('honor_max_age') and entry.get('max_age') is not None:
            claims['auth_time'] = now
        kw = {'alg': 'RS256'}
        if mode == 'wrong_iss':
            claims['iss'] = EVIL_ISSUER
        elif mode == 'wrong_aud':
            claims['aud'] = 'someone-else'
        elif mode == 'aud_array_without_us':
            claims['aud'] = ['someone-else', 'another-client']
        elif mode == 'azp_wrong':
            claims['aud'], claims['azp'] = [self.CLIENT_ID, 'other-client'], 'other-client'
        elif mode == 'wrong_nonce':
            claims['nonce'] = 'not-your-nonce-' + secrets.token_urlsafe(8)
        elif mode == 'no_nonce':
            claims.pop('nonce', None)
        elif mode == 'alg_none':
            kw['alg'] = 'none'
        elif mode == 'hs256_pubkey':
            kw['alg'] = 'HS256-pubkey'
        elif mode == 'hs256_secret':
            kw['alg'] = 'HS256'            # keyed with CLIENT_SECRET, no kid
        elif mode == 'kid_unknown':
            # Signed by a key that is not published, under a kid not in the
            # JWKS (opts sign_with='current': signed by the real key instead).
            kw['kid'] = 'unknown-kid-' + secrets.token_hex(4)
            kw['key'] = self._signing_key if opts.get('sign_with') == 'current' else self._stray_key
        elif mode == 'kid_swap':
            kw['key'], kw['kid'] = self._spare_key, self.kid   # kid says A, B signed
        elif mode == 'jku_attack':
            kw['key'] = self._attacker_key
            kw['header_extra'] = {'jku': self.issuer + '/attacker-jwks'}
        elif mode == 'jwk_embedded':
            # opts via='jwk' (default) | 'x5c' | 'x5u': where the attacker key is offered.
            kw['key'] = self._attacker_key
            via = opts.get('via', 'jwk')
            if via == 'jwk':
                extra = {'jwk': self._attacker_key.export_public(as_dict=True)}
            elif via == 'x5c':
                extra = {'x5c': [base64.b64encode(self._attacker_cert()).decode()]}
            else:
                extra = {'x5u': self.issuer + '/attacker-cert.pem'}
            kw['header_extra'] = extra
        elif mode == 'expired':
            claims['exp'] = now - int(opts.get('by', 3600))
            claims['iat'] = claims['auth_time'] = claims['exp'] - 300
        elif mode == 'iat_missing':
            claims.pop('iat')
        elif mode == 'nbf_future':
            claims['nbf'] = now + int(opts.get('by', 3600))
        elif mode == 'sub_missing':
            claims.pop('sub')
        elif mode == 'crit_unknown':
            kw['header_extra'] = {'crit': ['x-unknown'], 'x-unknown': True}
        elif mode == 'at_hash_wrong':
            claims['at_hash'] = at_hash(access_token + 'x')
        elif mode in ('ps256', 'es256'):
            kw['alg'] = mode.upper()
        elif mode == 'many_claims':
            sub = claims.pop('sub')
            claims.update(('x%02d' % i, i) for i in range(100))
            claims['sub'] = sub             # JSON order: sub after 100 others
        elif mode == 'claims_case_collision':
            claims['groups'] = ['users']
            claims['Groups'] = ['admins']
        elif mode == 'weak_rsa':
            kw['key'] = self.weak_key
        tok = self.mint(claims, **kw)
        if mode == 'bad_sig':
            h, p, s = tok.split('.')
            sig = bytearray(b64u_decode(s))
            sig[len(sig) // 2] ^= 0x01
            tok = '%s.%s.%s' % (h, p, b64u(bytes(sig)))
        return tok

    # ------------------------------------------------------------ HTTP plumbing
    def _dispatch(self, h, method):
        url = urlsplit(h.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        if method == 'POST':
            n = int(h.headers.get('Content-Length') or 0)
            body = h.rfile.read(n).decode('utf-8', 'replace') if n else ''
            params.update(parse_qsl(body, keep_blank_values=True))
        with self._lock:
            self.counters[url.path] += 1
            mode, opts = self._mode, dict(self._opts)
        route = {
            '/.well-known/openid-configuration': self._discovery,
            '/jwks': self._jwks, '/attacker-jwks': self._attacker_jwks,
            '/attacker-cert.pem': self._attacker_cert_pem,
            '/authorize': self._authorize, '/token': self._token,
            '/userinfo': self._userinfo, '/introspect': self._introspect,
            '/logout': self._logout,
        }.get(url.path)
        if route is None:
            status, headers, body = self._text(404, 'not found')
        else:
            req = _Req(method, url.path, params, {k.lower(): v for k, v in h.headers.items()},
                       mode, opts)
            try:
                status, headers, body = route(req)
            except Exception as e:          # a bug here must not hang the RP
                status, headers, body = self._text(500, 'EvilOP internal error: %r' % e)
        if self._stopping.is_set():     # stop() during a *_slow sleep: just hang up
            h.close_connection = True
            return
        try:
            h.send_response(status)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header('Content-Length', str(len(body)))
            h.end_headers()
            if method != 'HEAD':
                h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass        # the RP gave up (timeouts in *_slow modes)

    @staticmethod
    def _json(status, obj, **headers):
        hdrs = {'Content-Type': 'application/json', 'Cache-Control': 'no-store'}
        hdrs.update({k.replace('_', '-'): v for k, v in headers.items()})
        return status, hdrs, json.dumps(obj).encode()

    @staticmethod
    def _text(status, text, ctype='text/plain; charset=utf-8'):
        return status, {'Content-Type': ctype}, text.encode() if isinstance(text, str) else text

    def _slow(self, opts):
        self._stopping.wait(float(opts.get('secs', 30)))

    def _client_auth(self, req, allow_post=True):
        """Returns (method, error response or None). method: basic|post|None."""
        auth = req.headers.get('authorization', '')
        basic = auth[:6].lower() == 'basic '
        post = 'client_secret' in req.params
        if basic and post:
            return 'both', self._json(400, {'error': 'invalid_request',
                                            'error_description': 'more than one client authentication method'})
        if basic:
            try:
                cid, _, sec = base64.b64decode(auth[6:].strip()).decode().partition(':')
                cid, sec = unquote_plus(cid), unquote_plus(sec)    # RFC 6749 2.3.1
            except Exception:
                cid = sec = None
            method = 'basic'
        elif post and allow_post:
            cid, sec, method = req.params.get('client_id'), req.params['client_secret'], 'post'
        else:
            cid = sec = method = None
        if method:
            with self._lock:
                self.credentials_seen.append({'endpoint': req.path, 'method': method,
                                              'client_id': cid, 'client_secret': sec})
        if cid != self.CLIENT_ID or not hmac.compare_digest((sec or '').encode(),
                                                            self.CLIENT_SECRET.encode()):
            return method, self._json(401, {'error': 'invalid_client'},
                                      WWW_Authenticate='Basic realm="evil-op"')
        return method, None

    # ------------------------------------------------------------ endpoints
    def metadata(self, mode='good', opts=None):
        iss = self.issuer
        md = {
            'issuer': iss + '/' if mode == 'metadata_wrong_issuer' else iss,
            'authorization_endpoint': iss + '/authorize',
            'token_endpoint': iss + '/token',
            'userinfo_endpoint': iss + '/userinfo',
            'jwks_uri': iss + '/jwks',
            'introspection_endpoint': iss + '/introspect',
            'end_session_endpoint': iss + '/logout',
            'response_types_supported': ['code', 'code id_token'],
            'response_modes_supported': ['query'],
            'grant_types_supported': ['authorization_code', 'refresh_token', 'password'],
            'subject_types_supported': ['public'],
            'scopes_supported': ['openid', 'email', 'profile', 'offline_access'],
            'claims_supported': ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'email', 'name'],
            'authorization_response_iss_parameter_supported': True,
            'token_endpoint_auth_methods_supported': ['client_secret_basic', 'client_secret_post'],
            'introspection_endpoint_auth_methods_supported': ['client_secret_basic'],
            'code_challenge_methods_supported': ['S256'],
            'id_token_signing_alg_values_supported': ['RS256'],
        }
        if mode == 'http_endpoints':
            # opts only='token_endpoint' (or a list) restricts the damage.
            only = (opts or {}).get('only', ENDPOINT_KEYS)
            only = [only] if isinstance(only, str) else only
            for k in only:
                md[k] = 'http://example.com' + urlsplit(md[k]).path
        return md

    def _discovery(self, req):
        if req.mode == 'discovery_500':
            return self._text(500, 'internal server error')
        if req.mode == 'discovery_slow':
            self._slow(req.opts)
        if req.mode == 'discovery_garbage':
            return self._text(200, GARBAGE, 'application/json')
        return self._json(200, self.metadata(req.mode, req.opts))

    def _jwks(self, req):
        if req.mode == 'jwks_garbage':
            return self._text(200, GARBAGE, 'application/json')
        if req.mode == 'jwks_huge':
            if self._huge_jwks is None:     # real keys first, then ~5 MB of junk keys
                keys = self.jwks()['keys'] + [
                    {'kty': 'RSA', 'kid': 'junk-%d' % i, 'use': 'sig', 'alg': 'RS256',
                     'n': b64u(os.urandom(256)), 'e': 'AQAB'} for i in range(12500)]
                self._huge_jwks = json.dumps({'keys': keys}).encode()
            return 200, {'Content-Type': 'application/json'}, self._huge_jwks
        if req.mode == 'weak_rsa':
            doc = self.jwks()
            doc['keys'].append(dict(self.weak_key.export_public(as_dict=True),
                                    use='sig', alg='RS256'))
            return self._json(200, doc)
        if req.mode == 'jwks_bad_key':
            # keys whose members would make cjose's decoder abort, first;
            # the real keys after them must keep working
            bad = [{'kty': 'RSA', 'kid': 'bad-n', 'use': 'sig', 'n': 'AAAAA=AA', 'e': 'AQAB'},
                   {'kty': 'RSA', 'kid': 'bad-e', 'use': 'sig', 'n': 'AAAA', 'e': 'A'},
                   {'kty': 'EC', 'kid': 'bad-x', 'crv': 'P-256', 'x': '!!', 'y': 7}]
            return self._json(200, {'keys': bad + self.jwks()['keys']})
        return self._json(200, self.jwks())

    def _attacker_jwks(self, req):
        return self._json(200, {'keys': [dict(self._attacker_key.export_public(as_dict=True),
                                              use='sig', alg='RS256')]})

    def _attacker_cert_pem(self, req):
        pem = ('-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n'
               % base64.encodebytes(self._attacker_cert()).decode().strip())
        return self._text(200, pem, 'application/x-pem-file')

    def _authorize(self, req):
        q = req.params
        with self._lock:
            self.last_authorize_request = dict(q)
        redirect_uri = q.get('redirect_uri')
        if q.get('client_id') != self.CLIENT_ID or not redirect_uri:
            return self._text(400, 'unknown client_id or missing redirect_uri')
        state = q.get('state')
        if req.mode == 'error_response':
            out = {'error': 'access_denied',
                   'error_description': 'The resource owner denied the request (EvilOP)'}
        elif q.get('response_type') not in ('code', 'code id_token'):
            out = {'error': 'unsupported_response_type'}
        elif q.get('code_challenge') and q.get('code_challenge_method', 'plain') != 'S256':
            out = {'error': 'invalid_request', 'error_description': 'only S256 PKCE'}
        else:
            code = secrets.token_urlsafe(24)
            with self._lock:
                self._codes[code] = {k: q.get(k) for k in (
                    'nonce', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'scope',
                    'acr_values', 'max_age')}
                # every login is a new OP session: its sid goes into the ID token
                self._codes[code]['sid'] = secrets.token_urlsafe(16)
                self.sids.append(self._codes[code]['sid'])
            out = {'code': code}
            if q.get('response_type') == 'code id_token':
                out['id_token'] = self._front_id_token(q.get('nonce'), code, req.mode)
        if req.mode == 'state_swap':
            state = 'swapped-' + secrets.token_urlsafe(16)
        if state is not None:
            out['state'] = state
        if req.mode == 'wrong_iss_param':
            out['iss'] = EVIL_ISSUER
        elif req.mode != 'no_iss_param':
            out['iss'] = self.issuer
        if q.get('response_mode') == 'form_post':
            return self._form_post(redirect_uri, out)
        sep = '&' if '?' in redirect_uri else '?'
        return 302, {'Location': redirect_uri + sep + urlencode(out),
                     'Cache-Control': 'no-store'}, b''

    def _front_id_token(self, nonce, code, mode):
        """A hybrid response's ID Token: c_hash binds the code (OIDC Core
        3.3.2.11); modes c_hash_wrong / c_hash_missing break that."""
        now = int(time.time())
        claims = {'iss': self.issuer, 'aud': self.CLIENT_ID, 'exp': now + 300,
                  'iat': now, 'sub': 'alice', 'c_hash': at_hash(code)}
        if nonce:
            claims['nonce'] = nonce
        if mode == 'c_hash_wrong':
            claims['c_hash'] = at_hash(code + 'x')
        elif mode == 'c_hash_missing':
            claims.pop('c_hash')
        return self.mint(claims)

    @staticmethod
    def _form_post(action, fields):
        """OAuth 2.0 Form Post Response Mode: a page that POSTs the response."""
        esc = html.escape
        inputs = ''.join('<input type="hidden" name="%s" value="%s"/>' % (esc(k), esc(v))
                         for k, v in fields.items())
        page = ('<!DOCTYPE html><html><body onload="document.forms[0].submit()">'
                '<form method="post" action="%s">%s</form></body></html>' % (esc(action), inputs))
        return 200, {'Content-Type': 'text/html; charset=utf-8',
                     'Cache-Control': 'no-store'}, page.encode()

    def _issue_access_token(self, sub, scope):
        at, exp = secrets.token_urlsafe(32), int(time.time()) + 300
        with self._lock:
            self._tokens[at] = {'sub': sub, 'scope': scope, 'exp': exp}
        return at

    def _token(self, req):
        mode, f = req.mode, req.params
        method, err = self._client_auth(req)
        with self._lock:
            self.last_token_request = {'form': dict(f), 'headers': dict(req.headers),
                                       'client_auth': method}
            self.grants[f.get('grant_type')] += 1
        if mode == 'refresh_hang' and f.get('grant_type') == 'refresh_token':
            self._slow(req.opts)
        if mode == 'token_500':
            return self._text(500, 'internal server error')
        if mode == 'token_slow':
            self._slow(req.opts)
        if mode == 'token_garbage':
            return self._text(200, GARBAGE, 'application/json')
        if mode == 'token_error':
            return self._json(400, {'error': 'invalid_grant', 'error_description': 'EvilOP says no'})
        if mode == 'token_error_nasty':     # a log line must not be forgeable
            return self._json(401, {'error': 'invalid_client',
                                    'error_description': 'bad\n[client 6.6.6.6] AOIDC00100: "forged"\x1b[31m'})
        if err:
            return err

        def bad(desc, error='invalid_grant'):
            return self._json(400, {'error': error, 'error_description': desc})

        grant = f.get('grant_type')
        if grant == 'refresh_token':
            with self._lock:
                rt = self._refresh.get(f.get('refresh_token', ''))
            if not rt:
                return bad('unknown refresh_token')
            new_rt = f['refresh_token']
            if mode == 'refresh_rotate':
                if req.opts.get('delay'):
                    self._stopping.wait(float(req.opts['delay']))
                with self._lock:
                    if self._refresh.pop(new_rt, None) is None:     # a racing twin used it
                        return bad('refresh_token already used')
                    new_rt = secrets.token_urlsafe(32)
                    self._refresh[new_rt] = rt
            at = self._issue_access_token(rt['sub'], rt['scope'])
            out = {'access_token': at, 'token_type': 'Bearer',
                   'expires_in': self._expires_in(mode, req.opts, refresh=True),
                   'refresh_token': new_rt}
            if mode == 'refresh_id_token':
                now = int(time.time())
                out['id_token'] = self.mint({
                    'iss': req.opts.get('iss', self.issuer), 'aud': self.CLIENT_ID,
                    'exp': now + 300, 'iat': now, 'sub': req.opts.get('sub', rt['sub']),
                    'at_hash': at_hash(at)})
            return self._json(200, out)
        if grant == 'password':
            return self._password_grant(f, mode, req.opts)
        if grant != 'authorization_code':
            return bad('unsupported grant_type', 'unsupported_grant_type')
        with self._lock:
            entry = self._codes.pop(f.get('code', ''), None)     # single use
        if entry is None:
            return bad('unknown or already used code')
        if f.get('redirect_uri') != entry['redirect_uri']:
            return bad('redirect_uri mismatch')
        verifier = f.get('code_verifier')
        if entry['code_challenge']:
            if not verifier or not _VERIFIER_RE.match(verifier):
                return bad('missing or malformed code_verifier')
            if pkce_s256(verifier) != entry['code_challenge']:
                return bad('PKCE verification failed')
        elif verifier:
            return bad('code_verifier without code_challenge')   # PKCE downgrade
        scope = entry.get('scope') or 'openid'
        at = self._issue_access_token('alice', scope)
        if mode == 'access_token_crlf':
            with self._lock:
                self._tokens[CRLF_TOKEN] = self._tokens.pop(at)
            at = CRLF_TOKEN
        rt = secrets.token_urlsafe(32)
        with self._lock:
            self._refresh[rt] = {'sub': 'alice', 'scope': scope}
        return self._json(200, {'access_token': at, 'token_type': 'Bearer',
                                'expires_in': self._expires_in(mode, req.opts),
                                'scope': scope, 'refresh_token': rt,
                                'id_token': self._id_token(entry, at, mode, req.opts)})

    # RFC 6749 4.3: the users the password grant knows
    PASSWORDS = {'alice': 'wonderland-42', 'bob': 'builder:with:colons',
                 'carol': 'carol-pw-7', 'dave': 'dave-pw-8'}

    def _password_grant(self, f, mode, opts):
        user, pw = f.get('username', ''), f.get('password', '')
        want = self.PASSWORDS.get(user)
        if want is None or not hmac.compare_digest(pw.encode(), want.encode()):
            return self._json(400, {'error': 'invalid_grant',
                                    'error_description': 'bad user name or password'})
        at = self._issue_access_token(user, f.get('scope', 'openid'))
        now = int(time.time())
        claims = {'iss': self.issuer, 'aud': self.CLIENT_ID, 'sub': user,
                  'email': user + '@example.org', 'exp': now + 300, 'iat': now,
                  'at_hash': at_hash(at)}
        if mode == 'password_nonce':       # a nonce nobody sent
            claims['nonce'] = 'n-0'
        if mode == 'password_wrong_aud':
            claims['aud'] = 'someone-else'
        return self._json(200, {'access_token': at, 'token_type': 'Bearer',
                                'expires_in': 300, 'id_token': self.mint(claims)})

    @staticmethod
    def _expires_in(mode, opts, refresh=False):
        if mode == 'expires_in_huge':
            return INT64_MAX
        if mode == 'refresh_rotate':
            return int(opts.get('expires_in', 2))
        if mode == 'refresh_hang':
            return int(opts.get('expires_in', 1))
        if mode == 'refresh_id_token' and not refresh:
            return int(opts.get('expires_in', 1))
        return 300

    def _userinfo(self, req):
        if req.mode == 'userinfo_500':
            return self._text(500, 'internal server error')
        auth = req.headers.get('authorization', '')
        tok = auth[7:].strip() if auth[:7].lower() == 'bearer ' else ''
        with self._lock:
            info = self._tokens.get(tok)
        if not info or info['exp'] < time.time():
            return self._json(401, {'error': 'invalid_token'},
                              WWW_Authenticate='Bearer error="invalid_token"')
        sub = 'mallory' if req.mode == 'userinfo_wrong_sub' else info['sub']
        out = {'sub': sub, 'email': 'alice@example.com', 'name': 'Alice Example'}
        if req.mode == 'userinfo_huge':
            size = int(req.opts.get('size', 1024))
            for i in range(int(req.opts.get('n', 40))):
                out['big_%d' % i] = ('%d-' % i + 'x' * size)[:size]
        return self._json(200, out)

    def _introspect(self, req):
        with self._lock:
            self.last_introspect_request = {'form': dict(req.params), 'headers': dict(req.headers)}
        if req.mode == 'introspect_slow':
            self._slow(req.opts)
        if req.mode == 'introspect_garbage':
            return self._text(200, GARBAGE, 'application/json')
        _, err = self._client_auth(req, allow_post=False)
        if err:
            return err
        tok = req.params.get('token', '')
        with self._lock:
            canned, info = self._opaque.get(tok), self._tokens.get(tok)
        if canned is not None:
            return self._json(200, canned)
        if info and info['exp'] > time.time():
            return self._json(200, {
                'active': True, 'iss': self.issuer, 'sub': info['sub'], 'scope': info['scope'],
                'client_id': self.CLIENT_ID, 'aud': self.AT_AUDIENCE, 'token_type': 'Bearer',
                'exp': info['exp'], 'iat': info['exp'] - 300})
        return self._json(200, {'active': False})

    def _logout(self, req):
        with self._lock:
            self.last_logout_request = dict(req.params)
        target = req.params.get('post_logout_redirect_uri')
        if not target:
            return self._text(200, 'logged out')
        if 'state' in req.params:
            target += ('&' if '?' in target else '?') + urlencode({'state': req.params['state']})
        return 302, {'Location': target, 'Cache-Control': 'no-store'}, b''
