"""540: RFC 8705 mutual TLS, end to end. The RP side: AuthOIDCClientAuth
tls_client_auth with AuthOIDCClientCert (the token call authenticated by
the certificate, no secret) and certificate-bound tokens at userinfo and for
AuthOIDCUpstreamToken client_credentials. The RS side: AuthOIDCTokenBinding
mtls|any on an https port of the httpd under test (mod_ssl, SSLVerifyClient
optional_no_ca), with a certificate-bound token the test gets itself from
the OP by client_credentials over mTLS.

The OP is the real oidc-provider with features.mTLS (MTLS_CA: the test CA
vouches for client certificates, the subject DN names the client), behind a
TLS front (pyaoidc/tlsfront.py) that asks for a client certificate and
forwards it in a header. Every certificate is made here with openssl."""

import base64
import hashlib
import json
import os
import subprocess

import pytest
import requests

from pyaoidc.client import authenticate, get, new_session, start_login
from pyaoidc.env import PASSPHRASE, AoidcConf, Echo, free_port
from pyaoidc import tlsfront
from pyaoidc.op import RealOP

RP = 'mtls-rp'    # tls_client_auth, code flow, bound tokens
API = 'mtls-api'  # tls_client_auth, client_credentials, bound tokens
RP_DN, API_DN = 'CN=aoidc-540-rp', 'CN=aoidc-540-api'

# mod_ssl in the httpd under test: Debian's build warns at every start when
# the OpenSSL it runs with is older than the one it was built against
pytestmark = pytest.mark.expect_log(r'\[ssl:warn\].*AH01882')


# ------------------------------------------------------------------ the PKI

def openssl(*args, cwd):
    subprocess.run(['openssl'] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _key_and_csr(root, name, subj):
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
            '-subj', subj, '-keyout', name + '.key', '-out', name + '.csr', cwd=root)


def _sign(root, name, ext=None):
    args = ['x509', '-req', '-in', name + '.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
            '-CAcreateserial', '-days', '2', '-out', name + '.crt']
    if ext:
        with open(os.path.join(root, name + '.ext'), 'w') as f:
            f.write(ext)
        args += ['-extfile', name + '.ext']
    openssl(*args, cwd=root)


class PKI:
    """A CA; the server certificate for 127.0.0.1 (the OP's front and the
    RS port); client certificates for RP and API signed by the CA; `other`
    (CA-signed, another subject); `rogue` (self-signed, RP's subject)."""

    def __init__(self, root):
        self.root = root
        os.makedirs(root, exist_ok=True)
        openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                '-nodes', '-days', '2', '-subj', '/CN=aoidc test 540 CA',
                '-keyout', 'ca.key', '-out', 'ca.crt', cwd=root)
        _key_and_csr(root, 'server', '/CN=127.0.0.1')
        _sign(root, 'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
        for name, subj in (('rp', '/' + RP_DN), ('api', '/' + API_DN),
                           ('other', '/CN=aoidc-540-other')):
            _key_and_csr(root, name, subj)
            _sign(root, name)
        openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                '-nodes', '-days', '2', '-subj', '/' + RP_DN,
                '-keyout', 'rogue.key', '-out', 'rogue.crt', cwd=root)
        # the RP's certificate and key in one file (AuthOIDCClientCert FILE)
        with open(self.path('rp.pem'), 'w') as f:
            f.write(open(self.path('rp.crt')).read() + open(self.path('rp.key')).read())
        for n in os.listdir(root):
            os.chmod(self.path(n), 0o644)  # the front's www-data child reads its key

    def path(self, name):
        return os.path.join(self.root, name)

    def pair(self, name):
        return (self.path(name + '.crt'), self.path(name + '.key'))

    def x5t(self, name):
        """RFC 8705 §3.1: base64url SHA-256 of the certificate's DER."""
        der = subprocess.run(['openssl', 'x509', '-in', self.path(name + '.crt'),
                              '-outform', 'DER'], check=True, stdout=subprocess.PIPE).stdout
        return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b'=').decode()


class MTLSFront(tlsfront.TLSFront):
    """The OP's TLS front: asks for a client certificate without judging it
    (the OP does, against the CA) and forwards it; a client cannot send the
    header itself (set replaces it)."""

    name = 'mTLS front'
    extra_conf = '''SSLVerifyClient optional_no_ca
SSLVerifyDepth 3
RequestHeader set X-SSL-Client-Cert "%{SSL_CLIENT_CERT}s"
'''

    def __init__(self, env, port, backend, pki):
        super().__init__(env, 'tls540', port, backend)
        self.pki = pki

    def make_cert(self):
        return self.pki.pair('server')


# ----------------------------------------------------------------- fixtures

@pytest.fixture(scope='module')
def pki(env):
    return PKI(os.path.join(env.gen, 'pki540'))


@pytest.fixture(scope='module')
def mop(env, pki):
    """(RealOP at https://127.0.0.1:<front>, the front)."""
    front_port, backend = free_port(), free_port()
    bound = {'token_endpoint_auth_method': 'tls_client_auth',
             'tls_client_certificate_bound_access_tokens': True}
    clients = [
        dict(bound, client_id=RP, tls_client_auth_subject_dn=RP_DN),
        dict(bound, client_id=API, tls_client_auth_subject_dn=API_DN,
             grant_types=['client_credentials'], response_types=[], redirect_uris=[],
             scope='orders:read api:read orders:write'),
    ]
    o = RealOP(port=backend, issuer='https://127.0.0.1:%d' % front_port, trust_proxy=True,
               redirect_uris=[env.url(p + '/redirect_uri') for p in ('/mt', '/mw')],
               extra_clients=clients, mtls_ca=pki.path('ca.crt'),
               log_path=os.path.join(env.logs_dir, 'op-540.log'))
    front = MTLSFront(env, front_port, backend, pki).start()
    o.start()
    yield o, front
    o.stop()
    front.stop()


RS_PORT = free_port()


def rs_url(path):
    return 'https://127.0.0.1:%d%s' % (RS_PORT, path)


def rp_lines(op, pki, prefix, cert_line):
    return ['AuthType oidc', 'AuthName %s' % prefix.strip('/'),
            'AuthOIDCIssuer %s' % op.issuer,
            'AuthOIDCClientID %s' % RP,
            'AuthOIDCClientAuth tls_client_auth',
            cert_line,
            'AuthOIDCCABundle %s' % pki.path('ca.crt'),
            'AuthOIDCRedirectURI %s/redirect_uri' % prefix,
            'AuthOIDCPassphrase %s' % PASSPHRASE,
            'AuthOIDCScope "openid email"',
            'Require valid-user']


def rs_lines(op, pki, binding):
    return ['AuthType bearer', 'AuthName api540',
            'AuthOIDCIssuer %s' % op.issuer,
            'AuthOIDCAudience api://default',
            'AuthOIDCCABundle %s' % pki.path('ca.crt'),
            'AuthOIDCTokenBinding %s' % binding,
            'Require scope orders:read']


def full_conf(env, op, pki):
    """/mt: tls_client_auth login; /mw: the same with a certificate the
    CA never signed; /mu: upstream client_credentials over mTLS; /mplain:
    the RS on plain http; and the RS on https at RS_PORT (/mapi: mtls,
    /many: any)."""
    srv_crt, srv_key = pki.pair('server')
    c = AoidcConf(env)
    c.add_location('/mt', rp_lines(op, pki, '/mt', 'AuthOIDCClientCert %s' % pki.path('rp.pem')))
    c.add_location('/mw', rp_lines(op, pki, '/mw', 'AuthOIDCClientCert %s %s' % pki.pair('rogue')))
    c.add_location('/mu', [
        'AuthOIDCIssuer %s' % op.issuer,
        'AuthOIDCClientID %s' % API,
        'AuthOIDCClientCert %s %s' % pki.pair('api'),
        'AuthOIDCCABundle %s' % pki.path('ca.crt'),
        'AuthOIDCPassphrase %s' % PASSPHRASE,
        'AuthOIDCUpstreamToken client_credentials',
        'AuthOIDCUpstreamScope orders:read',
        'AuthOIDCUpstreamAudience api://default'])
    c.add_location('/mplain', rs_lines(op, pki, 'off'))
    c.add('''LoadModule ssl_module %(md)s/mod_ssl.so
SSLSessionCache shmcb:%(gen)s/ssl540(512000)
Listen 127.0.0.1:%(port)d
<VirtualHost 127.0.0.1:%(port)d>
    SSLEngine on
    SSLCertificateFile %(crt)s
    SSLCertificateKeyFile %(key)s
    # ask for a certificate, accept any: the token's cnf is the judge
    SSLVerifyClient optional_no_ca
    SSLVerifyDepth 3
</VirtualHost>''' % {'md': env.mod_dir, 'gen': env.gen, 'port': RS_PORT, 'crt': srv_crt, 'key': srv_key})
    c.add_location('/mapi', rs_lines(op, pki, 'mtls'))
    c.add_location('/many', rs_lines(op, pki, 'any'))
    return c


@pytest.fixture
def conf(env, mop, pki):
    op, _ = mop
    full_conf(env, op, pki).install()
    return op


def tls_session(pki, cert=None):
    s = new_session()
    s.trust_env = False  # else REQUESTS_CA_BUNDLE beats s.verify
    s.verify = pki.path('ca.crt')
    if cert:
        s.cert = pki.pair(cert)
    return s


def op_log_count(op, method, path):
    return sum(1 for ln in op.log().splitlines() if ln.startswith('%s %s -> 200' % (method, path)))


def bound_token(op, pki, cert='api'):
    """client_credentials over mTLS at the OP: a JWT access token for
    api://default bound to cert (the OP takes no secret from API)."""
    s = tls_session(pki, cert)
    md = s.get(op.issuer + '/.well-known/openid-configuration', timeout=10).json()
    r = s.post(md['token_endpoint'], timeout=10,
               data={'grant_type': 'client_credentials', 'client_id': API,
                     'scope': 'orders:read', 'resource': 'api://default'})
    assert r.status_code == 200, (r.status_code, r.text[:300])
    at = r.json()['access_token']
    claims = json.loads(base64.urlsafe_b64decode(at.split('.')[1] + '=='))
    assert claims['cnf'] == {'x5t#S256': pki.x5t(cert)}, claims
    return at


def call_rs(pki, path, token, cert=None):
    s = tls_session(pki, cert)
    try:
        return s.get(rs_url(path), headers={'Authorization': 'Bearer ' + token}, timeout=10)
    finally:
        s.close()


# ------------------------------------------------------------------ the RP

def test_aoidc_540_01_login_with_tls_client_auth(env, conf, pki):
    """The code is exchanged with the certificate as the only credential;
    the OP binds the access token to it, so userinfo works only because the
    module presents the certificate there too."""
    op = conf
    tokens_before, me_before = op_log_count(op, 'POST', '/token'), op_log_count(op, 'GET', '/me')
    s = tls_session(pki)
    r1 = start_login(env, s, '/mt/echo/')
    cb = authenticate(op, s, r1)
    r2 = get(s, cb)
    assert r2.status_code == 302, (r2.status_code, r2.text[:300])
    r3 = get(s, env.url('/mt/echo/'))
    assert r3.status_code == 200, (r3.status_code, r3.text[:300])
    assert Echo(r3).value('OIDC_CLAIM_sub') == 'alice'
    assert op_log_count(op, 'POST', '/token') == tokens_before + 1
    assert op_log_count(op, 'GET', '/me') == me_before + 1  # userinfo with the bound token


@pytest.mark.expect_log(r'reason=token_endpoint\b')
def test_aoidc_540_02_wrong_cert_is_a_clear_login_failure(env, conf, pki):
    """A self-signed certificate with the right subject: the OP refuses the
    client (invalid_client), the browser gets a 401 page, not a 5xx."""
    op = conf
    s = tls_session(pki)
    r1 = start_login(env, s, '/mw/echo/')
    cb = authenticate(op, s, r1)
    mark = env.log_mark()
    r = get(s, cb)
    assert r.status_code == 401, (r.status_code, r.text[:300])
    assert 'The login could not be completed' in r.text, r.text[:300]
    lines = env.find_log(r'reason=token_endpoint', mark=mark)
    assert lines and 'op_error=invalid_client' in lines[0], lines
    assert 'PRIVATE KEY' not in ''.join(env.log_since(mark))


def test_aoidc_540_03_upstream_client_credentials_over_mtls(env, conf, pki):
    """AuthOIDCUpstreamToken client_credentials with only a certificate
    (AUTO picks tls_client_auth): the backend gets a token bound to it."""
    r = get(new_session(), env.url('/mu/echo/'))
    assert r.status_code == 200, (r.status_code, r.text[:300])
    auth = Echo(r).value('Authorization')
    assert auth.startswith('Bearer '), auth
    claims = json.loads(base64.urlsafe_b64decode(auth.split('.')[1] + '=='))
    assert claims['client_id'] == API and claims['aud'] == 'api://default', claims
    assert claims['cnf'] == {'x5t#S256': pki.x5t('api')}, claims


def test_aoidc_540_04_configtest(env, mop, pki):
    op, _ = mop
    rc, out = AoidcConf(env).add_location(
        '/mt', rp_lines(op, pki, '/mt', 'AuthOIDCScope openid')).configtest()
    assert rc != 0 and 'AuthOIDCClientAuth tls_client_auth needs AuthOIDCClientCert' in out, out
    for line, why in (('AuthOIDCClientCert %s %s' % (pki.path('rp.crt'), pki.path('api.key')),
                       "not the certificate's"),
                      ('AuthOIDCClientCert %s' % pki.path('rp.crt'), 'no unencrypted PEM private key'),
                      ('AuthOIDCClientCert %s' % pki.path('missing.pem'), 'cannot be read'),
                      ('AuthOIDCClientCert %s' % pki.path('rp.key'), 'no PEM certificate')):
        rc, out = AoidcConf(env).add_location('/mt', rp_lines(op, pki, '/mt', line)).configtest()
        assert rc != 0 and 'AuthOIDCClientCert' in out and why in out, (line, out)
        assert 'PRIVATE KEY' not in out  # no file's content is shown
    rc, out = AoidcConf(env).add_location(
        '/mt', rp_lines(op, pki, '/mt', 'AuthOIDCClientCert %s %s' % pki.pair('rp'))).configtest()
    assert rc == 0, out


# ------------------------------------------------------------------ the RS

def test_aoidc_540_10_bound_token_with_its_cert(env, conf, pki):
    op = conf
    at = bound_token(op, pki)
    r = call_rs(pki, '/mapi/echo/', at, cert='api')
    assert r.status_code == 200, (r.status_code, r.headers, r.text[:300])
    assert Echo(r).value('OIDC_CLAIM_client_id') == API
    r = call_rs(pki, '/many/echo/', at, cert='api')
    assert r.status_code == 200, (r.status_code, r.headers, r.text[:300])


def _refused(r):
    assert r.status_code == 401, (r.status_code, r.text[:300])
    www = r.headers.get('WWW-Authenticate', '')
    assert www.startswith('Bearer') and 'error="invalid_token"' in www, www


def test_aoidc_540_11_another_cert_or_none_is_refused(env, conf, pki):
    op = conf
    at = bound_token(op, pki)
    for path in ('/mapi/echo/', '/many/echo/'):
        _refused(call_rs(pki, path, at, cert='other'))
        _refused(call_rs(pki, path, at, cert='rogue'))
        _refused(call_rs(pki, path, at))
    # and the same token still passes with its own certificate, request
    # after request on one keep-alive connection (the thumbprint memo)
    ka = tls_session(pki, 'api')
    for _ in range(3):
        r = ka.get(rs_url('/mapi/echo/'), headers={'Authorization': 'Bearer ' + at}, timeout=10)
        assert r.status_code == 200, (r.status_code, r.text[:300])
    ka.close()


def test_aoidc_540_12_bound_token_as_plain_bearer(env, conf, pki, s):
    """Over plain http there is no certificate: a certificate-bound token
    is refused even where AuthOIDCTokenBinding is off."""
    op = conf
    at = bound_token(op, pki)
    _refused(get(s, env.url('/mplain/echo/'), headers={'Authorization': 'Bearer ' + at}))


def test_aoidc_540_13_unbound_token_where_mtls_is_required(env, conf, pki):
    """A token without cnf (api-client, secret authentication) is refused
    at /mapi (mtls) even with a certificate on the connection."""
    op = conf
    s = tls_session(pki)
    md = s.get(op.issuer + '/.well-known/openid-configuration', timeout=10).json()
    r = s.post(md['token_endpoint'], timeout=10, auth=(op.API_CLIENT_ID, op.API_CLIENT_SECRET),
               data={'grant_type': 'client_credentials', 'scope': 'orders:read',
                     'resource': 'api://default'})
    assert r.status_code == 200, (r.status_code, r.text[:300])
    at = r.json()['access_token']
    _refused(call_rs(pki, '/mapi/echo/', at, cert='api'))
    assert call_rs(pki, '/many/echo/', at, cert='api').status_code == 401


@pytest.mark.expect_log(r'reason=config\b.*AuthOIDCClientCert')
def test_aoidc_540_05_cert_stays_with_its_issuer(env, mop, pki, op, s):
    """config.h: the certificate is part of the client. A section under
    another issuer inherits none of it, so tls_client_auth there has no
    certificate (a 500 naming the directive; configtest passes, as the
    virtual host names one), and the session OP never sees the mTLS OP's
    certificate."""
    mop_op, _ = mop
    c = AoidcConf(env)
    c.add_location('/mt', rp_lines(mop_op, pki, '/mt',
                                   'AuthOIDCClientCert %s' % pki.path('rp.pem')))
    c.add_location('/mt/other', [
        'AuthOIDCIssuer %s' % op.issuer, 'AuthOIDCClientID %s' % op.RP_CLIENT_ID,
        'AuthOIDCClientAuth tls_client_auth',
        'AuthOIDCRedirectURI /mt/other/redirect_uri'])
    c.install()
    r = get(s, env.url('/mt/other/echo/'))
    assert r.status_code == 500, (r.status_code, r.text[:300])
    assert env.find_log(r'reason=config\b.*AuthOIDCClientCert \(for AuthOIDCClientAuth '
                        r'tls_client_auth\)')
    # the same issuer one level down keeps the client, certificate and all
    r = get(s, env.url('/mt/echo/'))
    assert r.status_code == 302, r.status_code
