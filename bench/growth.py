"""Issue 14, "Also measure and publish" and "Login callback": cost growth
curves, memory and the login callback, as options of bench/bench.py
(--growth, --memory, --logins; see bench/README.md "Growth, memory and
logins"). Imported by bench.py; every function takes the Bench `b`."""

import itertools
import os
import re
import statistics
import subprocess
import threading
import time
import urllib.parse

import requests

B = None    # bench.py sets it to itself (run as __main__)
from pyaoidc.evil_op import EvilOP

GROWTH_SERVER = 'ours_growth'
SHM_SERVER = 'ours_shm32'       # shm bytes per session: a store it fills to a third
SHM_SIZE = 32 << 20


def add_args(ap):
    ap.add_argument('--growth', action='store_true',
                    help='cost curves: claims 5/20/50/200, token size at 10 claims, '
                         'sessions in shm (--growth-sessions)')
    ap.add_argument('--growth-parts', default='claims,sessions',
                    help='which curves of --growth (default claims,sessions)')
    ap.add_argument('--growth-sessions', default='1000,10000,100000',
                    help='session counts of the store curve (default 1000,10000,100000)')
    ap.add_argument('--growth-shm', default='512M', help='shm:SIZE of that store')
    ap.add_argument('--growth-budget', type=int, default=900,
                    help='seconds of logins the session curve may spend (default 900); '
                         'points it cannot reach are reported as not reached')
    ap.add_argument('--memory', action='store_true',
                    help='RSS of the httpd child after warm-up and after '
                         '--memory-requests session and bearer requests')
    ap.add_argument('--memory-requests', type=int, default=100000)
    ap.add_argument('--logins', action='store_true',
                    help='login callback: instructions per callback (callgrind) and '
                         'logins per second (wrk config) against the test OP')
    ap.add_argument('--login-n1', type=int, default=5)
    ap.add_argument('--login-n2', type=int, default=25)
    ap.add_argument('--login-rate-n', type=int, default=300,
                    help='logins of the rate run (default 300, 4 clients)')


def wanted(a):
    return a.growth or a.memory or a.logins


class GrowthOP(EvilOP):
    """The EvilOP in mode 'good', but every login is another user (sub
    user-NNNNNN in the ID token, the access token and so userinfo), as
    concurrent sessions in a real store are: one user's sessions would
    share one sub index entry that grows with each login."""

    def __init__(self):
        super().__init__()
        self._seq = itertools.count(1)
        self._tl = threading.local()

    def _issue_access_token(self, sub, scope):
        if sub == 'alice':
            sub = 'user-%06d' % next(self._seq)
        self._tl.sub = sub
        return super()._issue_access_token(sub, scope)

    def _id_token(self, entry, access_token, mode, opts):
        sub = getattr(self._tl, 'sub', None)
        if sub:
            opts = dict(opts, id_token_claims=dict(opts.get('id_token_claims') or {},
                                                   sub=sub))
        return super()._id_token(entry, access_token, mode, opts)


def setup(b):
    """The growth server (EvilOP-based /app in a large shm store, the same
    with AuthOIDCSessionCacheTTL 0, /apic for the claim curves,
    server-status for the store's counters)."""
    if not wanted(b.a):
        return
    b.gop = GrowthOP().start()
    nol1 = os.path.join(b.htdocs, 'app', 'nol1')
    os.makedirs(nol1, exist_ok=True)
    with open(os.path.join(nol1, B.FILE), 'w') as f:
        f.write(B.CONTENT)
    B.chown_tree(b.htdocs)
    for name, size in ((GROWTH_SERVER, b.a.growth_shm), (SHM_SERVER, '%dM' % (SHM_SIZE >> 20))):
        h = B.Httpd(name, [B.free_port()], growth_body(b, size),
                    [('status_module', os.path.join(B.MODDIR, 'mod_status.so')),
                     ('auth_oidc_module', B.OUR_MODULE)], b.htdocs)
        h.setup()
        b.servers[name] = h


def growth_body(b, size):
    return '''
<Location /app>
    AuthType oidc
    AuthName app
    Require valid-user
    AuthOIDCIssuer %(iss)s
    AuthOIDCClientID %(cid)s
    AuthOIDCClientSecret %(sec)s
    AuthOIDCRedirectURI /app/redirect_uri
    AuthOIDCPassphrase %(pp)s
    AuthOIDCScope "openid email profile"
    AuthOIDCSessionStore shm:%(size)s
</Location>
<Location /app/nol1>
    AuthOIDCSessionCacheTTL 0
</Location>
<Location /apic>
    AuthType bearer
    AuthName apic
    AuthOIDCIssuer %(iss)s
    AuthOIDCAudience api://default
    Require scope orders:read
</Location>
<Location /server-status>
    SetHandler server-status
    Require all granted
</Location>
''' % {'iss': b.gop.issuer, 'cid': EvilOP.CLIENT_ID, 'sec': EvilOP.CLIENT_SECRET,
       'pp': B.PASSPHRASE, 'size': size}


def cleanup(b):
    if getattr(b, 'gop', None):
        b.gop.stop()


def run(b):
    out = b.extras.setdefault('issue14', {})
    steps = []
    if b.a.logins:
        steps += [('login_callback', login_cost), ('login_rate', login_rate)]
    if b.a.growth:
        parts = b.a.growth_parts.split(',')
        steps += [(k + '_curve', fn) for k, fn in (('claims', claims_curve),
                                                    ('sessions', sessions_curve))
                  if k in parts]
    if b.a.memory:
        steps += [('memory', memory), ('shm_bytes', shm_bytes)]
    for key, fn in steps:
        B.log('== issue 14: %s' % key)
        try:
            out[key] = fn(b)
        except Exception as e:      # noqa: BLE001 - reported, the rest still runs
            B.log('  %s FAILED: %s' % (key, e))
            out[key] = {'status': 'FAILED', 'reason': str(e)}


# ---- helpers ---------------------------------------------------------------

def vg_instr(cg, on):
    cg._vgdb('instrumentation %s' % ('on' if on else 'off'))


def measure(b, cg, h, url, headers):
    """The bench's (I(n2)-I(n1))/(n2-n1) for one credential."""
    counter = {'n': 0, 'bad': 0}
    do, s = b.requester(url, headers, counter)
    do(b.a.warmup)
    est, prof = b.phases(cg, do, b.a.n1, b.a.n2, b.a.pairs)
    s.close()
    return est, prof, counter


def point(b, key, est, prof, counter, **kw):
    med, spread, kept = b.record(key, est, prof)
    d = dict(kw, instructions_per_request=med, instructions_spread=spread,
             samples=[round(x, 1) for x in est], non200=counter['bad'],
             requests=counter['n'], profile=kept)
    B.log('  %-28s %9.0f instr/req  spread %.3f%%  non-200 %d' % (
        key, med, 100 * (spread or 0), counter['bad']))
    return d


def inclusive(profile, func):
    """Inclusive Ir of every function whose name is func (callgrind_annotate)."""
    r = subprocess.run(['callgrind_annotate', '--inclusive=yes', '--threshold=100', profile],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd='/')
    tot = 0
    for ln in r.stdout.splitlines():
        # each function is listed twice, with and without its object file
        m = re.match(r'\s*([\d,]+) \(\s*[\d.]+%\)\s+\S*:(\S+) \[\S+\]$', ln)
        if m and m.group(2) == func:
            tot += int(m.group(1).replace(',', ''))
    return tot


def calls_of(profile, func):
    """(calls, inclusive Ir) of func in a profile: its callers' call
    counts summed (callgrind_annotate --tree=caller)."""
    r = subprocess.run(['callgrind_annotate', '--tree=caller', '--inclusive=yes',
                        '--threshold=100', profile],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd='/')
    best = (0, 0)
    # a function may be listed twice (paths resolved two ways): the block
    # with its callers is the one
    for blk in r.stdout.split('\n\n'):
        m = re.search(r'^\s*([\d,]+) \([\s\d.]+%\)\s+\*\s+\S*:' + re.escape(func) + r' \[',
                      blk, re.M)
        if m:
            n = sum(int(c.replace(',', '')) for c in re.findall(r'^\s*[\d,]+ \([\s\d.]+%\)'
                                                                r'\s+<.*\(([\d,]+)x\)', blk, re.M))
            best = max(best, (n, int(m.group(1).replace(',', ''))))
    return best


def top_self(profile, n=25):
    r = subprocess.run(['callgrind_annotate', '--threshold=100', profile],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd='/')
    rows = []
    for ln in r.stdout.splitlines():
        m = re.match(r'\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S+)( \[(\S+)\])?$', ln)
        if m and 'PROGRAM TOTALS' not in ln:
            rows.append((int(m.group(1).replace(',', '')), m.group(2),
                         os.path.basename(m.group(4) or '')))
    top = max((r[0] for r in rows), default=0)
    # callgrind_annotate 3.19 also lists the call chain above main at 100 %
    return [r for r in rows if r[0] < top][:n]


def shm_status(s, h):
    """entries (sessions segment), fullest segment usage %, evicted, the
    session cache hit/miss counters, from server-status?auto."""
    r = s.get(h.base + '/server-status?auto', timeout=60)
    t = r.text
    out = {}
    m = re.search(r'AuthOIDCStoreshm: .*entries=(-?\d+)/(-?\d+) usage=(-?\d+) evicted=(-?\d+)', t)
    if m:
        out.update(entries=int(m.group(1)), cache_entries=int(m.group(2)),
                   usage_pct=int(m.group(3)), evicted=int(m.group(4)))
    for k in ('SessionCacheHits', 'SessionCacheMisses', 'LoginsCompleted'):
        m = re.search(r'AuthOIDC%s: (\d+)' % k, t)
        if m:
            out[k] = int(m.group(1))
    return out


def evil_login(hs, h, path=None, close=False):
    """One login at the GrowthOP: /app -> 302 -> /authorize -> 302 ->
    callback -> session cookie. hs: the keep-alive session to httpd (no
    cookie jar; the state cookie goes by hand). close: one connection per
    request, so that apache2 -X serves several clients in turn."""
    cl = {'Connection': 'close'} if close else {}
    r = hs.get(h.base + (path or '/app/' + B.FILE), headers=cl, allow_redirects=False,
               timeout=120)
    if r.status_code != 302:
        raise RuntimeError('login: %d, not 302' % r.status_code)
    ck = '; '.join('%s=%s' % (c.name, c.value) for c in r.cookies)
    a = requests.get(r.headers['Location'], allow_redirects=False, timeout=60)
    if a.status_code != 302:
        raise RuntimeError('authorize: %d' % a.status_code)
    cb = urllib.parse.urljoin(r.url, a.headers['Location'])
    r = hs.get(cb, headers=dict(cl, Cookie=ck), allow_redirects=False, timeout=120)
    v = r.cookies.get('aoidc_session')
    if r.status_code not in (302, 303) or not v:
        raise RuntimeError('callback: %d, cookies %s: %s' % (
            r.status_code, list(r.cookies.keys()), r.text[:200]))
    return v


# ---- 1. cost growth ----------------------------------------------------------

def claims_curve(b):
    """Warm bearer JWT at /apic: 5, 20, 50, 200 claims (short names and
    values), then 10 claims with one padded to make tokens of about 0.6k to
    7.5k bytes (the header limit is 8190, the L1 keeps keys up to 8 KiB)."""
    h = b.servers[GROWTH_SERVER]
    url = h.base + '/apic/' + B.FILE
    base = {'iat': None, 'client_id': None, 'jti': None}     # iss aud exp sub scope
    res = {'status': 'ok', 'claims': [], 'size': []}
    cg = B.Callgrind(h)
    cg.start()
    try:
        def one(tok, key, **kw):
            sc = B.Scenario(key, 'mod_auth_oidc', GROWTH_SERVER, '/apic/' + B.FILE, 'bearer', key)
            sc.headers, sc.bad_headers = B.bearer(tok), B.bearer(B.corrupt(tok))
            if not B.verify(sc, h, b.gop.issuer):
                res['status'] = 'FAILED'
                res.setdefault('reason', []).append('%s: %s' % (key, sc.reason))
                B.log('  %s FAILED: %s' % (key, sc.reason))
                return None
            est, prof, counter = measure(b, cg, h, url, sc.headers)
            return point(b, key, est, prof, counter, token_bytes=len(tok), **kw)
        for n in (5, 20, 50, 200):
            extra = {'c%03d' % i: 'v%03d' % i for i in range(n - 5)}
            tok = b.gop.access_token(**dict(base, **extra))
            p = one(tok, 'aoidc-growth-claims%d' % n, claims=n)
            if p:
                res['claims'].append(p)
        extra = {'c%03d' % i: 'v%03d' % i for i in range(4)}
        t0 = len(b.gop.access_token(**dict(base, pad='', **extra)))
        for target in (600, 1000, 2000, 4000, 7500):
            pad = 'x' * max(0, (target - t0) * 3 // 4)
            tok = b.gop.access_token(**dict(base, pad=pad, **extra))
            p = one(tok, 'aoidc-growth-size%d' % target, claims=10)
            if p:
                res['size'].append(p)
    finally:
        cg.stop()
    for k in ('claims', 'size'):
        pts = res[k]
        if len(pts) >= 2:
            a, z = pts[0], pts[-1]
            x = 'claims' if k == 'claims' else 'token_bytes'
            res['slope_per_%s' % ('claim' if k == 'claims' else 'byte')] = (
                (z['instructions_per_request'] - a['instructions_per_request'])
                / (z[x] - a[x]))
    return res


def sessions_curve(b):
    """Session in shm against the number of live sessions in the store.
    apache2 -X under callgrind with instrumentation off while the sessions
    are made (real logins at the GrowthOP, one user each, through the
    module's own callback), on only for the measured phases. The measured
    session is the newest (shmcb scans a subcache's index oldest first)."""
    h = b.servers[GROWTH_SERVER]
    pts = sorted(int(x) for x in b.a.growth_sessions.split(','))
    res = {'status': 'ok', 'points': [], 'shm': b.a.growth_shm}
    cg = B.Callgrind(h)
    cg.extra_args = ['--instr-atstart=no']
    cg.start()
    made, spent = 0, 0.0
    try:
        for n in pts:
            t = time.time()
            made = ramp(h, made, n - 1, t + b.a.growth_budget - spent)
            dt = time.time() - t
            hs = B.no_cookies_session()
            spent += dt
            if made < n - 1:
                hs.close()
                res['points'].append({'sessions': n, 'status': 'not reached',
                                      'made': made, 'seconds': round(spent)})
                B.log('  %d sessions: not reached (%d made in %.0f s, budget %d s)'
                      % (n, made, spent, b.a.growth_budget))
                break
            cookie = evil_login(hs, h)
            made += 1
            st = shm_status(hs, h)
            hs.close()
            p = {'sessions': made, 'login_seconds': round(dt, 1), 'store': st}
            B.log('  %d sessions in the store (%.0f s of logins): %s' % (made, dt, st))
            for path, key in (('/app/', 'l1'), ('/app/nol1/', 'nol1')):
                sc = B.Scenario('growth-session', 'mod_auth_oidc', GROWTH_SERVER,
                                path + B.FILE, 'session', 'session')
                sc.headers = {'Cookie': 'aoidc_session=' + cookie}
                sc.bad_headers = {'Cookie': 'aoidc_session=' + B.corrupt(cookie)}
                if not B.verify(sc, h, b.gop.issuer):
                    raise RuntimeError('%d sessions, %s: %s' % (made, path, sc.reason))
                vg_instr(cg, True)
                t1 = time.time()
                est, prof, counter = measure(b, cg, h, sc.url(h), sc.headers)
                t1 = time.time() - t1
                vg_instr(cg, False)
                s = B.no_cookies_session()
                st1 = shm_status(s, h)
                s.close()
                p[key] = point(b, 'aoidc-growth-sessions%d-%s' % (n, key), est, prof, counter,
                               seconds=round(t1, 1))
                # the store reads (st_get: L1 misses) in the kept N2 phase
                reads, ir = calls_of(p[key]['profile'], 'st_get')
                p[key].update(store_reads=reads, n2=b.a.n2,
                              instructions_per_store_read=ir / reads if reads else None)
            p['store_after'] = st1
            res['points'].append(p)
    finally:
        cg.stop()
    return res


def ramp(h, made, goal, deadline, clients=3):
    """Logins until `goal` sessions (or the deadline): a few clients, one
    connection per request. -> the number of sessions made."""
    lock = threading.Lock()
    st = {'made': made, 'err': None}

    def worker():
        hs = B.no_cookies_session()
        while True:
            with lock:
                if st['made'] >= goal or st['err'] or time.time() > deadline:
                    break
                st['made'] += 1
                i = st['made']
            try:
                evil_login(hs, h, close=True)
            except Exception as e:      # noqa: BLE001
                with lock:
                    st['err'] = e
                    st['made'] -= 1
            if i % 5000 == 0:
                B.log('    %d sessions' % i)
        hs.close()
    ts = [threading.Thread(target=worker) for _ in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if st['err']:
        raise st['err']
    return st['made']


# ---- 2. memory ------------------------------------------------------------------

def children(pid):
    out = []
    for d in os.listdir('/proc'):
        if d.isdigit():
            try:
                with open('/proc/%s/stat' % d) as f:
                    st = f.read()
                if int(st[st.rindex(')') + 2:].split()[1]) == pid:
                    out.append(int(d))
            except (OSError, ValueError):
                pass
    return out


def rss(pid):
    d = {}
    with open('/proc/%d/status' % pid) as f:
        for ln in f:
            k, _, v = ln.partition(':')
            if k in ('VmRSS', 'VmHWM', 'RssAnon', 'RssFile', 'RssShmem', 'VmSize'):
                d[k + '_kB'] = int(v.split()[0])
    with open('/proc/%d/smaps_rollup' % pid) as f:
        for ln in f:
            k, _, v = ln.partition(':')
            if k in ('Pss', 'Private_Dirty'):
                d[k + '_kB'] = int(v.split()[0])
    return d


def memory(b):
    """wrk config (event MPM, one child, 16 threads): the child's memory
    after start, after a warm-up of both credentials, after N session
    requests and after N bearer requests more; the floor server's child
    for comparison (no module)."""
    res = {'status': 'ok', 'requests_each': b.a.memory_requests}
    fl = b.servers['floor']
    fl.start()
    try:
        B.run_wrk(fl.base + '/public/' + B.FILE, {}, 1, b.a.conns)
        res['floor_child'] = rss(children(fl.proc.pid)[0])
    finally:
        fl.stop()
    h = b.servers['ours']
    h.start()
    try:
        kids = children(h.proc.pid)
        if len(kids) != 1:
            raise RuntimeError('want one child, found %s' % kids)
        kid = kids[0]
        res['child_started'] = rss(kid)
        cookie, s = B.login(h, '/app/' + B.FILE, 'aoidc_session', b.op)
        s.close()
        creds = {'session': ('/app/' + B.FILE, {'Cookie': 'aoidc_session=' + cookie}),
                 'bearer': ('/api/' + B.FILE, B.bearer(b.jwt))}
        for k, (path, hd) in creds.items():
            _, n, bad, _, _ = B.run_wrk(h.base + path, hd, 2, b.a.conns)
            if bad:
                raise RuntimeError('%s warm-up: %d of %d not 200' % (k, bad, n))
        res['after_warmup'] = rss(kid)
        B.log('  child after warm-up: %s' % res['after_warmup'])
        for k, (path, hd) in creds.items():
            n_all, bad_all, t = 0, 0, time.time()
            while n_all < b.a.memory_requests and time.time() - t < 300:
                _, n, bad, _, _ = B.run_wrk(h.base + path, hd, 3, b.a.conns)
                n_all += n
                bad_all += bad
            res['after_%s' % k] = dict(rss(kid), requests=n_all, non200=bad_all)
            B.log('  child after %d %s requests (%d non-200): %s' % (
                n_all, k, bad_all, res['after_%s' % k]))
        if children(h.proc.pid) != [kid]:
            raise RuntimeError('the child was replaced during the run')
    finally:
        h.stop()
    return res


def shm_capacity(size, avg_obj=420, key=32):
    """shmcb's arithmetic as src/httpd/store_socache.c capacity() has it:
    (subcaches, index slots each, data bytes each)."""
    seg = size - 88
    num_idx = seg // (avg_obj + key)
    n = 256
    while num_idx // n < 2 * n:
        n //= 2
    slots = num_idx // n
    sub = (seg // n) & ~7
    return n, slots, sub - 16 - slots * 24


def shm_bytes(b, n=5000):
    """What the sessions take in shmcb: a 32M store (wrk config, native)
    filled with n logins at the GrowthOP, one user each; the data area's
    usage (server-status: the fullest segment, here the sessions' one)
    over n, and the entries per session."""
    h = b.servers[SHM_SERVER]
    h.start()
    try:
        s = B.no_cookies_session()
        st0 = shm_status(s, h)
        t = time.time()
        lock = threading.Lock()
        seq = itertools.count(1)
        errs = []

        def worker():
            hs = B.no_cookies_session()
            while next(seq) <= n:
                try:
                    evil_login(hs, h)
                except Exception as e:      # noqa: BLE001
                    with lock:
                        errs.append(str(e)[:200])
            hs.close()
        ts = [threading.Thread(target=worker) for _ in range(4)]
        for x in ts:
            x.start()
        for x in ts:
            x.join()
        dt = time.time() - t
        st = shm_status(s, h)
        s.close()
    finally:
        h.stop()
    subs, slots, data = shm_capacity(SHM_SIZE)
    area = subs * data
    res = {'status': 'ok' if not errs else 'FAILED', 'logins': n - len(errs),
           'errors': errs[:3], 'seconds': round(dt, 1), 'before': st0, 'after': st,
           'shm_size': SHM_SIZE, 'subcaches': subs, 'slots_per_subcache': slots,
           'data_bytes_per_subcache': data, 'data_area_bytes': area}
    ok = n - len(errs)
    if ok and 'entries' in st:
        res['entries_per_session'] = (st['entries'] - st0.get('entries', 0)) / ok
        res['data_bytes_per_session'] = st['usage_pct'] / 100 * area / ok
        res['data_bytes_per_session_range'] = [max(0, st['usage_pct'] - 0.5) / 100 * area / ok,
                                               (st['usage_pct'] + 0.5) / 100 * area / ok]
        res['index_bytes_per_session'] = 24 * res['entries_per_session']
        # whichever runs out first: the data area or the index slots
        res['sessions_that_fit'] = int(min(area / res['data_bytes_per_session'],
                                           subs * slots / res['entries_per_session']))
    B.log('  %d logins in %.1f s (native, 4 clients): %s; %s' % (
        ok, dt, st, {k: res.get(k) for k in ('entries_per_session', 'data_bytes_per_session')}))
    return res


# ---- 3. login callback -------------------------------------------------------------

def pending_login(hs, h, op, user):
    """Everything of a RealOP login but the callback: /app (302, state
    cookie), the OP's pages (a new OP session per login, user `user`).
    -> (callback URL, Cookie header)."""
    r = hs.get(h.base + '/app/' + B.FILE, allow_redirects=False, timeout=120)
    if r.status_code != 302:
        raise RuntimeError('login: %d, not 302' % r.status_code)
    ck = '; '.join('%s=%s' % (c.name, c.value) for c in r.cookies)
    ops = requests.Session()
    ops.trust_env = False
    try:
        cb = op.login(ops, r, username=user)
    finally:
        ops.close()
    return cb, ck


def send_callback(hs, cb, ck):
    r = hs.get(cb, headers={'Cookie': ck}, allow_redirects=False, timeout=120)
    if r.status_code not in (302, 303) or not r.cookies.get('aoidc_session'):
        raise RuntimeError('callback: %d, cookies %s: %s' % (
            r.status_code, list(r.cookies.keys()), r.text[:200]))
    return r.cookies.get('aoidc_session')


def login_cost(b):
    """Instructions of the callback request alone: n logins are taken to
    the callback (the /app redirect and the OP's pages), then zero, the n
    callbacks, dump; (I(n2)-I(n1))/(n2-n1) as for requests. The code
    exchange and the userinfo call (aoidc_http_send, inclusive: curl and
    the loopback I/O) are given apart and subtracted; building the
    requests and checking the answers stay in. Each login is another user
    (sub) and another OP session (sid)."""
    h = b.servers['ours']
    cg = B.Callgrind(h)
    cg.start()
    seq = itertools.count(1)
    hs = B.no_cookies_session()
    res = {'status': 'ok', 'n1': b.a.login_n1, 'n2': b.a.login_n2}

    def batch(n):
        pend = [pending_login(hs, h, b.op, 'cg-user-%d' % next(seq)) for _ in range(n)]
        cg.zero()
        for cb, ck in pend:
            send_callback(hs, cb, ck)
        return cg.dump()
    try:
        p, _ = batch(3)         # JWKS and metadata fetched, code paged in
        os.unlink(p)
        est, net, http, keep = [], [], [], None
        for _ in range(b.a.pairs):
            p1, i1 = batch(b.a.login_n1)
            p2, i2 = batch(b.a.login_n2)
            d = b.a.login_n2 - b.a.login_n1
            hx = (inclusive(p2, 'aoidc_http_send') - inclusive(p1, 'aoidc_http_send')) / d
            est.append((i2 - i1) / d)
            http.append(hx)
            net.append((i2 - i1) / d - hx)
            os.unlink(p1)
            if keep:
                os.unlink(keep)
            keep = p2
        med, spread, kept = b.record('aoidc-login-callback', est, keep)
        res.update(instructions_per_callback=med, spread=spread,
                   samples=[round(x) for x in est],
                   http_send_per_callback=statistics.median(http),
                   without_http_per_callback=statistics.median(net),
                   samples_without_http=[round(x) for x in net], profile=kept,
                   top_self=[{'ir_per_callback': round(ir / b.a.login_n2), 'function': f,
                              'object': o} for ir, f, o in top_self(kept)])
        B.log('  callback: %.0f instr (aoidc_http_send %.0f, without %.0f)  %s' % (
            med, res['http_send_per_callback'], res['without_http_per_callback'], est))
        res['same_user'] = same_user(b, cg, hs, h)
    finally:
        hs.close()
        cg.stop()
    return res


def same_user(b, cg, hs, h, n=70):
    """One user's logins one after the other (each a new OP session): the
    callback's instructions as the user's sessions grow (each login reads
    and opens every live member of the user's sub index, which keeps at
    most AOIDC_SESSION_INDEX_MAX = 64). One dump per callback, so each
    figure also holds the few hundred instructions of httpd's wait."""
    user = 'same-user-%d' % os.getpid()
    series = []
    for i in range(n):
        cb, ck = pending_login(hs, h, b.op, user)
        cg.zero()
        send_callback(hs, cb, ck)
        p, ir = cg.dump()
        os.unlink(p)
        series.append(ir)
    B.log('  same user, callbacks 1..%d: %s' % (n, ', '.join(
        '#%d %d' % (i + 1, series[i]) for i in (0, 1, 7, 15, 31, 63, n - 1) if i < n)))
    return {'instructions': series, 'index_max': 64}


def login_rate(b):
    """Whole logins per second against the RealOP, wrk config (event MPM),
    4 client threads, one new user and OP session per login; the callback
    request's latency and httpd's CPU time per login (both requests)."""
    h = b.servers['ours']
    h.start()
    n_all = b.a.login_rate_n
    seq = itertools.count(1)
    lock = threading.Lock()
    lat, errs = [], []
    try:
        def worker():
            hs = B.no_cookies_session()
            while True:
                with lock:
                    i = next(seq)
                if i > n_all:
                    break
                try:
                    cb, ck = pending_login(hs, h, b.op, 'rate-user-%d' % i)
                    t = time.time()
                    send_callback(hs, cb, ck)
                    with lock:
                        lat.append(time.time() - t)
                except Exception as e:      # noqa: BLE001
                    with lock:
                        errs.append(str(e)[:200])
            hs.close()
        cpu0, t0 = h.cpu_ns(), time.time()
        ts = [threading.Thread(target=worker) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        dt, cpu = time.time() - t0, h.cpu_ns() - cpu0
    finally:
        h.stop()
    ok = len(lat)
    lat.sort()
    res = {'status': 'ok' if not errs else 'FAILED', 'logins': ok, 'errors': len(errs),
           'first_errors': errs[:3], 'seconds': round(dt, 2),
           'logins_per_second': ok / dt if dt else None,
           'callback_ms_median': 1e3 * statistics.median(lat) if lat else None,
           'callback_ms_p99': 1e3 * lat[int(0.99 * (ok - 1))] if lat else None,
           'httpd_cpu_us_per_login': cpu / 1e3 / ok if ok else None}
    B.log('  %d logins in %.1f s: %.1f/s, callback median %.1f ms, httpd CPU %.0f us/login'
          % (ok, dt, res['logins_per_second'] or 0, res['callback_ms_median'] or 0,
             res['httpd_cpu_us_per_login'] or 0))
    return res


def b_n2(sc):
    return next((p['l1'].get('n2') for p in sc.get('points', []) if p.get('l1')), None) or 500


# ---- results.md -------------------------------------------------------------------

def render(res):
    x = res.get('issue14')
    if not x:
        return []
    f = B.fmt
    L = ['', '## Growth, memory and logins (issue 14)']
    cc = x.get('claims_curve')
    if cc:
        L += ['', 'Warm bearer JWT at /apic (EvilOP issuer), instructions/request:', '',
              '| what | claims | token bytes | instructions/request | spread |',
              '|---|---:|---:|---:|---:|']
        for k in ('claims', 'size'):
            for p in cc.get(k, []):
                L.append('| %s | %d | %d | %s | %s |' % (
                    'claim count' if k == 'claims' else 'token size', p['claims'],
                    p['token_bytes'], f(p['instructions_per_request']),
                    f(p['instructions_spread'] and 100 * p['instructions_spread'], '%.2f%%')))
        L += ['', 'Slope: %s instructions per claim, %s per token byte (first to last point).'
              % (f(cc.get('slope_per_claim')), f(cc.get('slope_per_byte'), '%.1f'))]
        if cc.get('reason'):
            L += ['', 'FAILED: ' + '; '.join(cc['reason'])]
    sc = x.get('sessions_curve')
    if sc:
        L += ['', 'Session in `shm:%s` against live sessions (one user each, real logins; '
                  'the newest measured):' % sc.get('shm', '?'), '',
              '| sessions | sessions segment entries | fullest segment used | evicted (both '
              'segments) | L1 on (default) | '
              'spread | store reads in %d requests | `AuthOIDCSessionCacheTTL 0` | spread | '
              'instructions per store read |' % b_n2(sc),
              '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
        for p in sc.get('points', []):
            if p.get('status') == 'not reached':
                L.append('| %d | not reached (%d made in %d s) | | | | | | | | |' % (
                    p['sessions'], p['made'], p['seconds']))
                continue
            st = p.get('store', {})
            a, z = p.get('l1', {}), p.get('nol1', {})
            L.append('| %d | %s | %s%% | %s | %s | %s | %s | %s | %s | %s |' % (
                p['sessions'], f(st.get('entries')), f(st.get('usage_pct')),
                f(st.get('evicted')), f(a.get('instructions_per_request')),
                f(a.get('instructions_spread') and 100 * a['instructions_spread'], '%.2f%%'),
                f(a.get('store_reads')), f(z.get('instructions_per_request')),
                f(z.get('instructions_spread') and 100 * z['instructions_spread'], '%.2f%%'),
                f(z.get('instructions_per_store_read'))))
        if sc.get('reason'):
            L += ['', 'FAILED: ' + sc['reason']]
    m = x.get('memory')
    if m:
        L += ['', 'Memory of the httpd child (event MPM, one child, 16 threads), kB:', '',
              '| when | VmRSS | RssAnon | RssFile | RssShmem | Pss | Private_Dirty | VmHWM |',
              '|---|---:|---:|---:|---:|---:|---:|---:|']
        for k in ('floor_child', 'child_started', 'after_warmup', 'after_session',
                  'after_bearer'):
            v = m.get(k)
            if v:
                L.append('| %s%s | %s |' % (k.replace('_', ' '),
                                            ' (%d requests)' % v['requests']
                                            if 'requests' in v else '',
                                            ' | '.join(f(v.get(c + '_kB')) for c in (
                                                'VmRSS', 'RssAnon', 'RssFile', 'RssShmem',
                                                'Pss', 'Private_Dirty', 'VmHWM'))))
        if m.get('reason'):
            L += ['', 'FAILED: ' + m['reason']]
    sb = x.get('shm_bytes')
    if sb and sb.get('data_bytes_per_session'):
        L += ['', 'shm bytes per session: %d logins (one user each) into `shm:%dM`: %.2f '
                  'entries per session, data area %d%% used = **%.0f bytes per session** '
                  '(%.0f–%.0f from the 1%% resolution) + %.0f bytes of index slots; '
                  '%d subcaches × %d slots, %d data bytes each: about %d such sessions fit.' % (
                      sb['logins'], sb['shm_size'] >> 20, sb['entries_per_session'],
                      sb['after']['usage_pct'], sb['data_bytes_per_session'],
                      sb['data_bytes_per_session_range'][0],
                      sb['data_bytes_per_session_range'][1], sb['index_bytes_per_session'],
                      sb['subcaches'], sb['slots_per_subcache'], sb['data_bytes_per_subcache'],
                      sb['sessions_that_fit'])]
    elif sb:
        L += ['', 'shm bytes per session FAILED: %s' % (sb.get('reason') or sb.get('errors'))]
    lc, lr = x.get('login_callback'), x.get('login_rate')
    if lc or lr:
        L += ['', 'Login callback (RealOP, a new user and OP session per login):', '']
    if lc and lc.get('status') == 'ok':
        L += ['- callgrind, the callback request alone: **%s instructions**; of which '
              'aoidc_http_send (code exchange + userinfo: curl, loopback I/O) %s; without '
              'it **%s** (per pair: %s).' % (
                  f(lc['instructions_per_callback']), f(lc['http_send_per_callback']),
                  f(lc['without_http_per_callback']),
                  ', '.join(str(s) for s in lc['samples_without_http']))]
    elif lc:
        L += ['- callgrind FAILED: %s' % lc.get('reason')]
    su = lc and lc.get('same_user')
    if su:
        v = su['instructions']
        L += ['- one user logging in %d times (each a new OP session; one dump per callback, '
              'so each figure includes httpd\'s wait loop): callback #1 %s, #2 %s, #8 %s, '
              '#16 %s, #32 %s, #64 %s, #%d %s instructions.' % (
                  len(v), f(v[0]), f(v[1]), f(v[7]), f(v[15]), f(v[31]), f(v[63]),
                  len(v), f(v[-1]))]
    if lr:
        L += ['- rate: %d logins in %s s with 4 clients: **%s logins/s** (OP included), '
              'callback median %s ms (p99 %s), httpd CPU %s µs per login (%d errors).' % (
                  lr.get('logins', 0), lr.get('seconds'), f(lr.get('logins_per_second'), '%.1f'),
                  f(lr.get('callback_ms_median'), '%.1f'), f(lr.get('callback_ms_p99'), '%.1f'),
                  f(lr.get('httpd_cpu_us_per_login')), lr.get('errors', 0))]
    return L
