"""Drive the real OpenID Provider in test/integration/op (node-oidc-provider).

    op = RealOP(redirect_uris=['http://127.0.0.1:8080/app/cb'])
    op.start()
    ...
    cb = op.login(session, first_302_from_httpd)   # callback URL, not fetched
    op.stop()

Only needs `requests`. Node and the op's npm packages must be present
(RealOP.ensure_installed() runs `npm ci` when needed).
"""

import html.parser
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse

import requests

OP_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'op')


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class _Forms(html.parser.HTMLParser):
    """Collects <form>s: [{'id','action','method','inputs':{name:value}}]."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self._cur = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'form':
            self._cur = {'id': a.get('id'), 'action': a.get('action') or '',
                         'method': (a.get('method') or 'get').lower(), 'inputs': {}}
            self.forms.append(self._cur)
        elif tag == 'input' and self._cur is not None and a.get('name'):
            self._cur['inputs'][a['name']] = a.get('value') or ''

    def handle_endtag(self, tag):
        if tag == 'form':
            self._cur = None


def _forms(text):
    p = _Forms()
    p.feed(text)
    return p.forms


class OPError(RuntimeError):
    pass


class FormPost(str):
    """An authorization response the OP returned with response_mode=form_post:
    the page's auto-submitting form. The str is its action (the redirect
    URI); .data holds its fields. pyaoidc.client.callback POSTs it as a
    browser would."""

    def __new__(cls, action, data):
        obj = super().__new__(cls, action)
        obj.data = dict(data)
        return obj


def form_post_of(resp, is_foreign=lambda url: True):
    """The auto-submitting form_post form of an HTML page (method post, its
    action leaving the OP), as a FormPost; None when the page has none."""
    for f in _forms(resp.text):
        action = urllib.parse.urljoin(resp.url, f['action'])
        if f['method'] == 'post' and is_foreign(action):
            return FormPost(action, f['inputs'])
    return None


class RealOP:
    RP_CLIENT_ID = 'rp'
    RP_CLIENT_SECRET = 'rp-secret-0123456789abcdef0123456789abcdef'
    RP_POST_CLIENT_ID = 'rp-post'
    RP_POST_CLIENT_SECRET = 'rp-post-secret-0123456789abcdef0123456'
    # response types code, "code id_token" and id_token (op.js)
    RP_LEGACY_CLIENT_ID = 'rp-legacy'
    RP_LEGACY_CLIENT_SECRET = 'rp-legacy-secret-0123456789abcdef012345'
    API_CLIENT_ID = 'api-client'
    API_CLIENT_SECRET = 'api-secret-0123456789abcdef0123456789abcdef'
    RS_CLIENT_ID = 'rs'
    RS_CLIENT_SECRET = 'rs-secret-0123456789abcdef0123456789abcdef'
    # resource indicator giving an *opaque* access token whose aud is still `audience`
    OPAQUE_RESOURCE = 'urn:mod-auth-oidc:opaque'

    def __init__(self, port=None, at_ttl=300, redirect_uris=(), post_logout_uris=(),
                 audience='api://default', issuer=None, id_ttl=3600, rt_rotate=False,
                 jwks_file=None, log_path=None, backchannel_logout_uris=None,
                 trust_proxy=False, extra_clients=None, par=False, acr_values=None,
                 extra_env=None, mtls_ca=None):
        self.port = port or free_port()
        self.at_ttl = at_ttl
        self.id_ttl = id_ttl
        self.redirect_uris = list(redirect_uris)
        self.post_logout_uris = list(post_logout_uris)
        # {client_id: backchannel_logout_uri}: Back-Channel Logout 1.0 targets
        self.backchannel_logout_uris = dict(backchannel_logout_uris or {})
        self.audience = audience
        self.rt_rotate = rt_rotate
        self.jwks_file = jwks_file
        self._issuer = issuer or 'http://127.0.0.1:%d' % self.port
        self.log_path = log_path
        # behind a TLS-terminating proxy: trust its X-Forwarded-Proto
        self.trust_proxy = trust_proxy
        # more clients (a list of client metadata dicts), and PAR on: test_360
        self.extra_clients = list(extra_clients or [])
        self.par = par
        # acr values, lowest first: a login gets the first unless acr_values
        # asks for a higher one (op.js ACR_VALUES; test_610)
        self.acr_values = list(acr_values or [])
        # more op.js switches (test_370: DPOP, DPOP_NONCE, EC_SIGNING)
        self.extra_env = dict(extra_env or {})
        # RFC 8705 (test_540): the CA file whose certificates authenticate
        # tls_client_auth clients; None: mTLS off
        self.mtls_ca = mtls_ca
        self.proc = None
        self._log = None
        self._meta = None

    # ---- lifecycle -------------------------------------------------------

    @property
    def issuer(self):
        return self._issuer

    @staticmethod
    def ensure_installed():
        """`npm ci` in the op dir when node_modules is missing or older than the lock."""
        nm = os.path.join(OP_DIR, 'node_modules')
        stamp = os.path.join(nm, '.package-lock.json')  # written by npm on install
        lock = os.path.join(OP_DIR, 'package-lock.json')
        if os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(lock):
            return
        npm = shutil.which('npm')
        if not npm:
            raise OPError('npm not found; needed to install the test OP')
        r = subprocess.run([npm, 'ci', '--no-audit', '--no-fund'], cwd=OP_DIR,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise OPError('npm ci failed in %s:\n%s' % (OP_DIR, r.stdout))

    def start(self, timeout=20):
        self.ensure_installed()
        node = os.environ.get('NODE') or shutil.which('node')
        if not node:
            raise OPError('node not found')
        env = dict(os.environ,
                   PORT=str(self.port), ISSUER=self._issuer, AT_TTL=str(self.at_ttl),
                   ID_TTL=str(self.id_ttl), AUDIENCE=self.audience,
                   REDIRECT_URIS=','.join(self.redirect_uris),
                   POST_LOGOUT_URIS=','.join(self.post_logout_uris),
                   RT_ROTATE='1' if self.rt_rotate else '0',
                   TRUST_PROXY='1' if self.trust_proxy else '0',
                   BACKCHANNEL_LOGOUT_URIS=json.dumps(self.backchannel_logout_uris),
                   NO_COLOR='1')
        if self.jwks_file:
            env['JWKS_FILE'] = self.jwks_file
        if self.extra_clients:
            env['EXTRA_CLIENTS'] = json.dumps(self.extra_clients)
        if self.par:
            env['PAR'] = '1'
        if self.acr_values:
            env['ACR_VALUES'] = ','.join(self.acr_values)
        env.update(self.extra_env)
        if self.mtls_ca:
            env['MTLS_CA'] = self.mtls_ca
        if not self.log_path:
            fd, self.log_path = tempfile.mkstemp(prefix='op-%d-' % self.port, suffix='.log')
            os.close(fd)
        self._log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen([node, 'op.js'], cwd=OP_DIR, env=env,
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise OPError('OP exited (%s):\n%s' % (self.proc.returncode, self.log()))
            if ('READY %s' % self._issuer) in self.log():
                return self
            time.sleep(0.05)
        self.stop()
        raise OPError('OP not ready within %ss:\n%s' % (timeout, self.log()))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None

    def log(self):
        try:
            with open(self.log_path, 'r', errors='replace') as f:
                return f.read()
        except (OSError, TypeError):
            return ''

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- metadata ----------------------------------------------------------

    @property
    def metadata(self):
        if self._meta is None:
            r = requests.get(self._issuer + '/.well-known/openid-configuration', timeout=5)
            r.raise_for_status()
            self._meta = r.json()
        return self._meta

    def _is_op(self, url):
        a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(self._issuer)
        return (a.scheme, a.netloc) == (b.scheme, b.netloc)

    # ---- browser-ish flows ---------------------------------------------------

    def _walk(self, session, resp_or_url, on_page, what):
        """Follow redirects by hand while they stay on the OP; on a 200 page call
        on_page(url, resp) which returns the next response. Returns the first
        Location leaving the OP (not fetched)."""
        if isinstance(resp_or_url, requests.Response):
            loc = resp_or_url.headers.get('Location')
            if not loc:
                raise OPError('%s: response %s has no Location' % (what, resp_or_url.status_code))
            url = urllib.parse.urljoin(resp_or_url.url, loc)
        else:
            url = resp_or_url
        if not self._is_op(url):
            raise OPError('%s: %s is not on the OP %s' % (what, url, self._issuer))
        r = session.get(url, allow_redirects=False, timeout=10)
        for _ in range(12):
            if r.is_redirect:
                nxt = urllib.parse.urljoin(r.url, r.headers['Location'])
                if not self._is_op(nxt):
                    return nxt
                r = session.get(nxt, allow_redirects=False, timeout=10)
            elif r.status_code == 200 and 'html' in r.headers.get('Content-Type', ''):
                r = on_page(r)
            else:
                raise OPError('%s: unexpected %s at %s:\n%s' % (what, r.status_code, r.url, r.text[:2000]))
        raise OPError('%s: too many hops' % what)

    def login(self, session, start_response_or_url, username='alice', password='secret'):
        """Scripted devInteractions login. Returns the redirect_uri callback URL
        (with code, state, iss) without fetching it; with response_mode=form_post
        a FormPost (the page's form, not submitted)."""
        def on_page(r):
            fp = form_post_of(r, lambda url: not self._is_op(url))
            if fp is not None:
                raise _Done(fp)
            for f in _forms(r.text):
                prompt = f['inputs'].get('prompt')
                if prompt in ('login', 'consent'):
                    data = dict(f['inputs'])
                    if prompt == 'login':
                        data.update(login=username, password=password)
                    return session.post(urllib.parse.urljoin(r.url, f['action']), data=data,
                                        allow_redirects=False, timeout=10)
            raise OPError('login: no login/consent form at %s:\n%s' % (r.url, r.text[:2000]))
        try:
            return self._walk(session, start_response_or_url, on_page, 'login')
        except _Done as d:
            return d.args[0]     # response_mode=form_post: a FormPost

    def logout_confirm(self, session, end_session_url, confirm=True):
        """Drive the RP-initiated logout confirmation page (form id=op.logoutForm,
        hidden xsrf, logout=yes). Returns the post_logout_redirect_uri Location
        (not fetched); with no registered/valid redirect the OP's own success page
        is shown and its URL is returned instead."""
        state = {'done': None}

        def on_page(r):
            # the confirm page (form id=op.logoutForm), or, when the OP has no session,
            # an auto-submitting form that already carries logout=yes
            for f in _forms(r.text):
                if f['id'] == 'op.logoutForm' or f['action'].endswith('/session/end/confirm'):
                    data = dict(f['inputs'])
                    if confirm:
                        data['logout'] = 'yes'
                    else:
                        data.pop('logout', None)
                    return session.post(urllib.parse.urljoin(r.url, f['action']), data=data,
                                        allow_redirects=False, timeout=10)
            if 'Sign-out Success' in r.text or '/session/end/success' in r.url:
                state['done'] = r.url
                raise _Done()
            raise OPError('logout: no logout form at %s:\n%s' % (r.url, r.text[:2000]))
        try:
            return self._walk(session, end_session_url, on_page, 'logout')
        except _Done:
            return state['done']

    # ---- tokens ----------------------------------------------------------------

    def _token(self, data, client_id, secret):
        r = requests.post(self.metadata['token_endpoint'], data=data,
                          auth=(client_id, secret), timeout=10)
        if r.status_code != 200:
            raise OPError('token endpoint %s: %s' % (r.status_code, r.text))
        return r.json()

    def mint_jwt_at(self, scope='orders:read', resource=None):
        """client_credentials for api-client with resource=audience → RS256 at+jwt."""
        return self._token({'grant_type': 'client_credentials', 'scope': scope,
                            'resource': resource or self.audience},
                           self.API_CLIENT_ID, self.API_CLIENT_SECRET)['access_token']

    def mint_opaque_at(self, scope='orders:read', with_audience=False):
        """client_credentials for api-client without resource → opaque token (no aud).
        with_audience=True: opaque token whose introspection shows aud=audience."""
        data = {'grant_type': 'client_credentials', 'scope': scope}
        if with_audience:
            data['resource'] = self.OPAQUE_RESOURCE
        return self._token(data, self.API_CLIENT_ID, self.API_CLIENT_SECRET)['access_token']

    def introspect(self, token, client_id=None, secret=None):
        r = requests.post(self.metadata['introspection_endpoint'], data={'token': token},
                          auth=(client_id or self.RS_CLIENT_ID, secret or self.RS_CLIENT_SECRET),
                          timeout=10)
        r.raise_for_status()
        return r.json()


    def backchannel_events(self):
        """The OP's back-channel deliveries so far, from its log: a list of
        (outcome, client_id, account, sid, detail) with outcome 'success' (the RP
        answered 200/204) or 'error'."""
        out = []
        for line in self.log().splitlines():
            if line.startswith(('backchannel.success ', 'backchannel.error ')):
                head, _, detail = line.partition(': ')
                parts = head.split(' ')
                out.append((parts[0].split('.')[1],) + tuple(parts[1:4]) + (detail,))
        return out

    def wait_backchannel(self, count, timeout=10):
        """Wait until at least count deliveries were logged; returns them."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            ev = self.backchannel_events()
            if len(ev) >= count:
                return ev
            time.sleep(0.05)
        raise OPError('no back-channel delivery %d within %ss:\n%s' % (count, timeout, self.log()[-3000:]))


class _Done(Exception):
    pass
