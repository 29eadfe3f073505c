"""Fixtures for the mod_auth_oidc integration tests (see README.md).

Session scope: `env` (httpd under gen/ + echo backend), `op` (RealOP,
node oidc-provider) and `evil_op` (EvilOP). Per test: `evil` (the shared
EvilOP reset to mode 'good'), `fresh_evil` (a private EvilOP, stopped after
the test), `s` (a fresh requests.Session), and the autouse error-log police.
"""

import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pyaoidc.client import new_session  # noqa: E402
from pyaoidc.env import Env  # noqa: E402
from pyaoidc.evil_op import EvilOP  # noqa: E402
from pyaoidc.op import RealOP  # noqa: E402

TEST_TIMEOUT = int(os.environ.get('AOIDC_TEST_TIMEOUT', '120'))


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'expect_log(*patterns): error_log lines (regex) at warn level or above '
                   'that this test expects; anything else at warn+ fails the test')


# Tests of the gcc pass only: they start an apache2 of their own that
# cannot preload libasan (demo/run). test/run counts a skip as a failure, so
# the ASan pass leaves them out of its collection instead (pytest
# "deselected"), and says so in its summary line.
NOT_UNDER_ASAN = ('test_960_demo.py',)


def pytest_collection_modifyitems(config, items):
    if os.environ.get('AOIDC_ASAN', '') not in ('1', 'yes', 'true'):
        return
    out = [i for i in items if i.nodeid.split('::')[0] in NOT_UNDER_ASAN]
    if out:
        config.hook.pytest_deselected(items=out)
        items[:] = [i for i in items if i not in out]


@pytest.fixture(scope='session')
def env():
    e = Env().setup()
    yield e
    e.stop()
    e.echo.stop()


@pytest.fixture(scope='session')
def node2(env):
    e = Env(name='node2').setup()
    yield e
    e.stop()
    e.echo.stop()


@pytest.fixture
def nodes(env, node2, request):
    """Two httpd nodes (env and node2) with the same module; node2's
    error_log is policed after the test like env's."""
    node2.begin_test(request.node.nodeid)
    for m in request.node.iter_markers('expect_log'):
        node2.expect_log(*m.args)
    yield env, node2
    problems = node2.end_test()
    if problems:
        pytest.fail('node2 error_log has unexpected lines:\n  ' + '\n  '.join(problems),
                    pytrace=False)


@pytest.fixture(scope='session')
def op(env):
    o = RealOP(redirect_uris=env.redirect_uris(), post_logout_uris=env.post_logout_uris(),
               backchannel_logout_uris=env.backchannel_logout_uris(),
               log_path=os.path.join(env.logs_dir, 'op.log'))
    o.start()
    env.op = o
    yield o
    env.op = None
    o.stop()


@pytest.fixture(scope='session')
def evil_op(env):
    o = EvilOP().start()
    yield o
    o.stop()


@pytest.fixture
def evil(evil_op):
    evil_op.reset()
    yield evil_op
    evil_op.reset()


@pytest.fixture
def fresh_evil(env):
    """A private EvilOP for tests that rotate its keys or stop it."""
    o = EvilOP().start()
    yield o
    o.stop()
    env.mark_dirty()        # its issuer is gone: do not keep caches about it


@pytest.fixture
def s():
    sess = new_session()
    yield sess
    sess.close()


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout('test exceeded %ss (AOIDC_TEST_TIMEOUT)' % TEST_TIMEOUT)


@pytest.fixture(autouse=True)
def _police(env, request):
    """Per test: a timeout, and the error_log scan afterwards. Any line at
    warn/error/crit/alert/emerg fails the test unless it matches a pattern the
    test declared (env.expect_log() or @pytest.mark.expect_log); crash lines
    ('exit signal') and ASan reports always fail it."""
    env.begin_test(request.node.nodeid)
    for m in request.node.iter_markers('expect_log'):
        env.expect_log(*m.args)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TEST_TIMEOUT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    problems = env.end_test()
    if problems:
        pytest.fail('error_log has unexpected lines:\n  ' + '\n  '.join(problems),
                    pytrace=False)
