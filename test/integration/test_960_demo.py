"""960: the demo (demo/run) as a user meets it: it starts, the bearer curl
command it prints works when pasted into a shell, a browser login reaches
the app, the session API and (for a user without the claim) the module's
403, the access log is Debian's combined format with REMOTE_USER, and a
second start is quick (idempotent)."""

import os
import re
import signal
import subprocess
import tempfile
import time

import pytest
import requests

from pyaoidc.env import REPO_DIR, free_port
from pyaoidc.op import RealOP

COMBINED = re.compile(r'^127\.0\.0\.1 \S+ (\S+) \[[^\]]+\] "GET (\S+) HTTP/1\.1" (\d{3}) \d+ '
                      r'"[^"]*" "[^"]*"$')


class Demo:
    def __init__(self, env, root):
        self.root = root
        self.port, self.op_port = free_port(), free_port()
        self.env = dict(os.environ, DEMO_PORT=str(self.port), DEMO_OP_PORT=str(self.op_port),
                        DEMO_ROOT=root, DEMO_MODULE=env.module)
        self.proc = None
        self.out = ''

    @property
    def base(self):
        return 'http://127.0.0.1:%d' % self.port

    def start(self, timeout=60):
        t0 = time.monotonic()
        self.proc = subprocess.Popen([os.path.join(REPO_DIR, 'demo', 'run')], env=self.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        lines = []
        while time.monotonic() - t0 < timeout:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if 'Stop   press Ctrl-C' in line:
                break
        self.out = ''.join(lines)
        assert 'Stop   press Ctrl-C' in self.out, 'demo did not start:\n' + self.out
        return time.monotonic() - t0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self.proc:
            self.proc.stdout.close()

    def printed_call(self):
        """The bearer commands exactly as printed (between the two headings)."""
        m = re.search(r'call\s+the API \(also in [^)]*\):\n\n(.*?)\n\n    It answered:',
                      self.out, re.S)
        assert m, 'no curl command in the demo output:\n' + self.out
        return '\n'.join(l[4:] for l in m.group(1).splitlines())


@pytest.fixture
def demo(env):
    # demo/run starts a plain apache2 (no libasan preloaded): the ASan pass
    # deselects this file (conftest.py NOT_UNDER_ASAN); the gcc pass runs it
    assert not env.asan, 'test_960 runs in the gcc pass only'
    with tempfile.TemporaryDirectory(prefix='aoidc-demo-') as root:
        os.chmod(root, 0o755)
        d = Demo(env, root)
        try:
            yield d
        finally:
            d.stop()


def login(demo, user):
    op = RealOP(port=demo.op_port)
    s = requests.Session()
    r = s.get(demo.base + '/app/', allow_redirects=False, timeout=10)
    assert r.status_code == 302, (r.status_code, r.text[:300])
    cb = op.login(s, r, username=user)
    r = s.get(cb, allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers['Location'].endswith('/app/'), r.headers
    return s


def test_aoidc_960_01_demo(demo):
    demo.start()
    assert 'Open   http://127.0.0.1:%d/app/' % demo.port in demo.out
    # the printed command, pasted into a shell, gets a token and calls /api/
    cmd = demo.printed_call()
    assert 'grant_type=client_credentials' in cmd and '/api/' in cmd, cmd
    r = subprocess.run(['bash', '-c', cmd], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert '"remote_user": "api-client"' in r.stdout and '"auth_type": "bearer"' in r.stdout, \
        r.stdout
    assert r.stdout.rstrip().endswith('HTTP 200'), r.stdout
    # ... and the demo showed the same answer
    assert 'It answered:' in demo.out and '"remote_user": "api-client"' in demo.out, demo.out
    # without a token: the RFC 6750 challenge, no redirect
    r = requests.get(demo.base + '/api/', allow_redirects=False, timeout=10)
    assert r.status_code == 401 and r.headers['WWW-Authenticate'].lower().startswith('bearer')

    # the browser user: one login reaches the app and the session API
    s = login(demo, 'alice')
    r = s.get(demo.base + '/app/', allow_redirects=False, timeout=10)
    assert r.status_code == 200, (r.status_code, r.headers)
    assert 'Hello, alice' in r.text and 'href="/app/api/"' in r.text
    assert 'href="/style.css"' in r.text
    r = s.get(demo.base + '/app/api/', allow_redirects=False, timeout=10)
    assert r.status_code == 200, (r.status_code, r.headers)
    assert r.json()['remote_user'] == 'alice' and r.json()['auth_type'].lower() == 'oidc'
    assert r.json()['claims']['preferred_username'] == 'alice'
    # Require claim preferred_username:admin: the module's 403 for alice ...
    r = s.get(demo.base + '/app/admin/', allow_redirects=False, timeout=10)
    assert r.status_code == 403, (r.status_code, r.headers)
    # ... and the page for admin
    r = login(demo, 'admin').get(demo.base + '/app/admin/', allow_redirects=False, timeout=10)
    assert r.status_code == 200 and "Admins' page" in r.text, (r.status_code, r.text[:300])
    r = requests.get(demo.base + '/style.css', timeout=10)
    assert r.status_code == 200 and r.headers['Content-Type'].startswith('text/css')

    # the access log: Debian's combined, with the user the module authenticated
    with open(os.path.join(demo.root, 'logs', 'access_log')) as f:
        lines = f.read().splitlines()
    parsed = [COMBINED.match(l) for l in lines]
    assert all(parsed), [l for l, m in zip(lines, parsed) if not m]
    seen = {(m.group(1), m.group(2), m.group(3)) for m in parsed}
    assert ('api-client', '/api/', '200') in seen, seen
    assert ('alice', '/app/api/', '200') in seen and ('alice', '/app/admin/', '403') in seen, seen
    # an authenticated GET of /app/ (DirectoryIndex: an internal redirect) did
    # not start another login
    assert ('alice', '/app/', '302') not in seen, seen
    with open(os.path.join(demo.root, 'logs', 'error_log')) as f:
        errors = f.read()
    assert 'spoofed_header' not in errors, errors[-3000:]
    assert not re.search(r'\[auth_oidc:(warn|error|crit|alert|emerg)\]', errors), errors[-3000:]

    # idempotent: a second start reuses everything and is quick
    demo.stop()
    took = demo.start()
    assert took < 20, 'second start took %.1f s' % took
    r = subprocess.run(['bash', '-c', demo.printed_call()], capture_output=True, text=True,
                       timeout=30)
    assert r.stdout.rstrip().endswith('HTTP 200'), r.stdout
