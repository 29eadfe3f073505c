"""100: configuration checks (apache2 -t) and directive placement.

`apache2 -t` runs the check_config hook but not post_config, so every
cross-directive check the contract promises for configtest must happen at
directive time or in check_config.
"""

import pytest

from pyaoidc.client import get, start_login
from pyaoidc.env import PASSPHRASE, AoidcConf, INDEX_MARK, oidc_lines, bearer_lines


def drop(lines, directive):
    out = [ln for ln in lines if not ln.split()[0] == directive]
    assert len(out) == len(lines) - 1, (directive, lines)
    return out


def replace(lines, directive, value):
    return [('%s %s' % (directive, value)) if ln.split()[0] == directive else ln for ln in lines]


def configtest_fails(env, lines, *must_mention, path='/app'):
    rc, out = AoidcConf(env).add_location(path, lines).configtest()
    assert rc != 0, 'configtest passed but should fail:\n%s' % out
    for word in must_mention:
        assert word.lower() in out.lower(), 'configtest output does not mention %r:\n%s' % (word, out)
    return out


def test_aoidc_100_01_good_oidc_config(env, op):
    rc, out = AoidcConf(env).add_location('/app', oidc_lines(op)).configtest()
    assert rc == 0 and 'Syntax OK' in out, out


def test_aoidc_100_02_good_bearer_config(env, op):
    rc, out = AoidcConf(env).add_location('/api', bearer_lines(op)).configtest()
    assert rc == 0 and 'Syntax OK' in out, out


def test_aoidc_100_03_module_without_oidc_locations_serves(env, s):
    AoidcConf(env).add('<Location /public>\n  Require all granted\n</Location>').install()
    r = get(s, env.url('/public/'))
    assert r.status_code == 200 and INDEX_MARK in r.text


def test_aoidc_100_04_oidc_without_passphrase(env, op):
    configtest_fails(env, drop(oidc_lines(op), 'AuthOIDCPassphrase'), 'AuthOIDCPassphrase')


def test_aoidc_100_05_oidc_without_issuer(env, op):
    configtest_fails(env, drop(oidc_lines(op), 'AuthOIDCIssuer'), 'AuthOIDCIssuer')


def test_aoidc_100_06_oidc_without_client_id(env, op):
    configtest_fails(env, drop(oidc_lines(op), 'AuthOIDCClientID'), 'AuthOIDCClientID')


@pytest.mark.parametrize('issuer', ['http://example.com', 'http://10.1.2.3:8080',
                                    'http://127.0.0.1.example.com'])
def test_aoidc_100_07_http_issuer_off_loopback(env, op, issuer):
    configtest_fails(env, replace(oidc_lines(op), 'AuthOIDCIssuer', issuer), 'AuthOIDCIssuer')


@pytest.mark.parametrize('issuer', ['http://localhost:9999', 'http://127.0.0.2:9999',
                                    'http://[::1]:9999'])
def test_aoidc_100_08_http_issuer_on_loopback_ok(env, op, issuer):
    rc, out = AoidcConf(env).add_location(
        '/app', replace(oidc_lines(op), 'AuthOIDCIssuer', issuer)).configtest()
    assert rc == 0, out


@pytest.mark.parametrize('issuer', ['ht!tp://:::', 'not a url', 'https://', 'ftp://example.com',
                                    '"https://exa mple.com"'])
def test_aoidc_100_09_malformed_issuer(env, op, issuer):
    configtest_fails(env, replace(oidc_lines(op), 'AuthOIDCIssuer', issuer), 'AuthOIDCIssuer')


def test_aoidc_100_10_bearer_without_audience(env, op):
    configtest_fails(env, drop(bearer_lines(op), 'AuthOIDCAudience'), 'AuthOIDCAudience',
                     path='/api')


def test_aoidc_100_11_redis_url_errors_keep_the_password(env, op):
    """Redis is built in (no socache provider); a bad URL is refused naming
    the directive, and the message never repeats the password."""
    for url in ('redis://u:pw-100-11@127.0.0.1', 'redis:/u:pw-100-11@h:1',
                'rediss://u:pw-100-11@h:1/x'):
        rc, out = AoidcConf(env).add_location(
            '/app', oidc_lines(op, extra=['AuthOIDCSessionStore ' + url])).configtest()
        assert rc != 0 and 'AuthOIDCSessionStore' in out, (url, out)
        assert 'pw-100-11' not in out, out


@pytest.mark.parametrize('value', ['abc', '-5', '10x', '', '99999999999999999999'])
def test_aoidc_100_12_bad_leeway(env, op, value):
    line = 'AuthOIDCLeeway %s' % value if value else 'AuthOIDCLeeway'
    configtest_fails(env, oidc_lines(op, extra=[line]), 'AuthOIDCLeeway')


@pytest.mark.parametrize('directive', ['AuthOIDCSessionInactivityTimeout',
                                       'AuthOIDCSessionMaxDuration', 'AuthOIDCHTTPTimeout',
                                       'AuthOIDCTokenCacheTTL'])
def test_aoidc_100_13_bad_seconds(env, op, directive):
    configtest_fails(env, oidc_lines(op, extra=['%s soon' % directive]), directive)


@pytest.mark.parametrize('line', ['AuthOIDCPKCE plain', 'AuthOIDCUserInfo maybe',
                                  'AuthOIDCPassAccessToken yes-please',
                                  'AuthOIDCAcceptTokenIn cookie',
                                  'AuthOIDCAccessTokenTyp jwt',
                                  'AuthOIDCSessionStore sqlite://x'])
def test_aoidc_100_14_bad_enum(env, op, line):
    configtest_fails(env, oidc_lines(op, extra=[line]), line.split()[0])


def test_aoidc_100_15_all_directives_accepted(env, op):
    lines = oidc_lines(op, extra=[
        'AuthOIDCPKCE S256', 'AuthOIDCLeeway 30', 'AuthOIDCSessionStore shm',
        'AuthOIDCClaimPrefix X_OIDC_', 'AuthOIDCRemoteUserClaim email',
        'AuthOIDCSessionInactivityTimeout 600', 'AuthOIDCSessionMaxDuration 7200',
        'AuthOIDCUserInfo off', 'AuthOIDCPassAccessToken on',
        'AuthOIDCTokenCacheTTL 60', 'AuthOIDCAcceptTokenIn header query',
        'AuthOIDCAccessTokenTyp at+jwt', 'AuthOIDCAudience api://default'])
    rc, out = AoidcConf(env).add('AuthOIDCHTTPTimeout 3').add_location('/app', lines).configtest()
    assert rc == 0, out


def test_aoidc_100_16_passphrase_from_file_and_env(env, op, tmp_path):
    f = tmp_path / 'pp'
    f.write_text(PASSPHRASE + '\n')
    f.chmod(0o644)
    rc, out = AoidcConf(env).add_location(
        '/app', replace(oidc_lines(op), 'AuthOIDCPassphrase', 'file:%s' % f)).configtest()
    assert rc == 0, out
    # env:NAME — apache2 runs with AOIDC_TEST_PASSPHRASE set (env.py)
    rc, out = AoidcConf(env).add_location(
        '/app', replace(oidc_lines(op), 'AuthOIDCPassphrase', 'env:AOIDC_TEST_PASSPHRASE')).configtest()
    assert rc == 0, out
    configtest_fails(env, replace(oidc_lines(op), 'AuthOIDCPassphrase',
                                  'file:%s' % (tmp_path / 'missing')), 'AuthOIDCPassphrase')
    configtest_fails(env, replace(oidc_lines(op), 'AuthOIDCPassphrase',
                                  'env:AOIDC_NO_SUCH_VARIABLE_X'), 'AuthOIDCPassphrase')


def test_aoidc_100_17_server_level_provider_config(env, op, s):
    """Provider/client directives at server level merge into the location."""
    server = [ln for ln in oidc_lines(op, require=None)
              if ln.split()[0].startswith('AuthOIDC')]
    AoidcConf(env).add(server).add_location(
        '/app', ['AuthType oidc', 'AuthName app', 'Require valid-user']).install()
    r = start_login(env, s, '/app/', authorization_endpoint=op.metadata['authorization_endpoint'])
    assert r.status_code == 302


def test_aoidc_100_18_relative_and_absolute_redirect_uri(env, op):
    rc, out = AoidcConf(env).add_location(
        '/app', replace(oidc_lines(op), 'AuthOIDCRedirectURI',
                        env.url('/app/redirect_uri'))).configtest()
    assert rc == 0, out


@pytest.mark.parametrize('value', ['header', 'query', 'form', 'header form', 'header query form'])
def test_aoidc_100_19_accept_token_in_values(env, op, value):
    rc, out = AoidcConf(env).add_location(
        '/api', bearer_lines(op, extra=['AuthOIDCAcceptTokenIn %s' % value])).configtest()
    assert rc == 0, out


@pytest.mark.parametrize('directive', ['AuthOIDCHTTPTimeout 3', 'AuthOIDCTokenCacheTTL 60',
                                       'AuthOIDCSessionStore shm'])
def test_aoidc_100_20_directives_in_location(env, op, directive):
    """interface.md: the directives merge per directory, so each is allowed in <Location>."""
    rc, out = AoidcConf(env).add_location('/app', oidc_lines(op, extra=[directive])).configtest()
    assert rc == 0, out


def test_aoidc_100_21_cookie_store_accepted(env, op):
    """The cookie session store exists (test_330): configtest accepts it,
    and a misspelling of it is still refused."""
    rc, out = AoidcConf(env).add_location('/app', oidc_lines(op, extra=[
        'AuthOIDCSessionStore cookie'])).configtest()
    assert rc == 0, out
    configtest_fails(env, oidc_lines(op, extra=['AuthOIDCSessionStore cookies']),
                     'AuthOIDCSessionStore', 'cookie')


def test_aoidc_100_22_redis_db_accepted(env, op):
    """The native Redis store selects a database: /DB is a valid form now."""
    rc, out = AoidcConf(env).add_location('/app', oidc_lines(op, extra=[
        'AuthOIDCSessionStore redis://127.0.0.1:6379/3'])).configtest()
    assert rc == 0, out
