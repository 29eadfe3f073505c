"""A second Debian apache2 (mod_ssl + mod_proxy_http) on 127.0.0.1 that
terminates TLS and forwards plain http to a backend on loopback: in front of
the httpd under test (test_310) or of an OP (test_140)."""

import os
import shutil
import signal
import subprocess
import time

from pyaoidc.env import port_open

CONF = '''ServerName 127.0.0.1
Listen 127.0.0.1:%(port)d
LoadModule mpm_event_module %(md)s/mod_mpm_event.so
LoadModule authz_core_module %(md)s/mod_authz_core.so
LoadModule headers_module %(md)s/mod_headers.so
LoadModule proxy_module %(md)s/mod_proxy.so
LoadModule proxy_http_module %(md)s/mod_proxy_http.so
LoadModule socache_shmcb_module %(md)s/mod_socache_shmcb.so
LoadModule ssl_module %(md)s/mod_ssl.so
User www-data
Group www-data
PidFile %(r)s/run/httpd.pid
DefaultRuntimeDir %(r)s/run
Mutex file:%(r)s/run default
ErrorLog %(r)s/logs/error_log
LogLevel warn
StartServers 1
ServerLimit 1
ThreadsPerChild 16
ThreadLimit 16
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16
SSLEngine on
SSLCertificateFile %(cert)s
SSLCertificateKeyFile %(key)s
SSLSessionCache none
<Location />
    Require all granted
</Location>
# TLS ends here; the backend is plain http
RequestHeader set X-Forwarded-Proto https
ProxyPass / http://127.0.0.1:%(backend)d/
ProxyPassReverse / http://127.0.0.1:%(backend)d/
'''


class TLSFront:
    """Subclasses make the certificate (make_cert: returns (cert, key)
    paths) and may add directives (extra_conf)."""

    name = 'TLS front'
    extra_conf = ''

    def __init__(self, env, dirname, port, backend):
        self.env, self.port, self.backend = env, port, backend
        self.root = os.path.join(env.gen, dirname)
        self.url = 'https://127.0.0.1:%d' % port
        self.proc = self.log = None

    def make_cert(self):
        raise NotImplementedError

    def start(self):
        shutil.rmtree(self.root, ignore_errors=True)
        for d in ('run', 'logs'):
            os.makedirs(os.path.join(self.root, d))
        cert, key = self.make_cert()
        conf = os.path.join(self.root, 'httpd.conf')
        with open(conf, 'w') as f:
            f.write(CONF % {'port': self.port, 'md': self.env.mod_dir, 'r': self.root,
                            'backend': self.backend, 'cert': cert, 'key': key})
            f.write(self.extra_conf)
        self.log = open(os.path.join(self.root, 'logs', 'stderr.log'), 'ab')
        self.proc = subprocess.Popen([self.env.apache2, '-d', self.root, '-f', conf,
                                      '-DFOREGROUND'], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 15
        while not port_open(self.port):
            if self.proc.poll() is not None or time.time() > deadline:
                logs = [os.path.join(self.root, 'logs', n) for n in ('stderr.log', 'error_log')]
                raise RuntimeError('%s did not start: %s' % (self.name, ''.join(
                    open(p).read()[-2000:] for p in logs if os.path.exists(p))))
            time.sleep(0.05)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGWINCH)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
