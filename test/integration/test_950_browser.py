"""950: a real browser (headless Chromium via selenium) logs in through the
RealOP's login form. A missing browser is a failure, not a skip."""

import json
import os
import shutil
import tempfile
import time

from pyaoidc.env import app_conf

CHROMIUM = os.environ.get('AOIDC_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('AOIDC_CHROMEDRIVER', '/usr/bin/chromedriver')


def make_driver(profile):
    assert os.access(CHROMIUM, os.X_OK), 'chromium not found at %s (required)' % CHROMIUM
    assert os.access(CHROMEDRIVER, os.X_OK), 'chromedriver not found at %s (required)' % CHROMEDRIVER
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
              '--disable-background-networking', '--disable-component-update', '--disable-sync',
              '--disable-dev-shm-usage', '--user-data-dir=%s' % profile):
        opts.add_argument(a)
    service = Service(executable_path=CHROMEDRIVER,
                      log_path=os.path.join(os.path.dirname(profile), 'chromedriver.log'))
    d = webdriver.Chrome(service=service, options=opts)
    d.set_page_load_timeout(30)
    return d


def test_aoidc_950_01_browser_login(env, op):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    app_conf(env, op).install()
    tmp = tempfile.mkdtemp(prefix='aoidc-chrome-')
    profile = os.path.join(tmp, 'profile')
    d = make_driver(profile)
    try:
        d.get(env.url('/app/echo/'))
        wait = WebDriverWait(d, 20)
        wait.until(EC.presence_of_element_located((By.NAME, 'login')))
        assert d.current_url.startswith(op.issuer), d.current_url
        d.find_element(By.NAME, 'login').send_keys('alice')
        d.find_element(By.NAME, 'password').send_keys('secret')
        d.find_element(By.CSS_SELECTOR, 'button[type=submit], input[type=submit]').click()
        wait.until(lambda drv: drv.current_url.startswith(env.url('/app/echo/')))
        pres = d.find_elements(By.TAG_NAME, 'pre')
        body = pres[0].text if pres else d.find_element(By.TAG_NAME, 'body').text
        data = json.loads(body)
        headers = {k.lower(): v for k, v in data['headers']}
        assert headers.get('oidc_claim_sub') == 'alice', body
        assert 'OIDC_CLAIM_sub' in body and 'alice' in body
        names = {c['name']: c for c in d.get_cookies()}
        assert 'aoidc_session' in names, names
        assert names['aoidc_session'].get('httpOnly') is True
        assert not [n for n in names if n.startswith('aoidc_state_')], names
    finally:
        d.quit()
        shutil.rmtree(tmp, ignore_errors=True)


def _login_form(d, wait, user='alice'):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    wait.until(EC.presence_of_element_located((By.NAME, 'login')))
    d.find_element(By.NAME, 'login').send_keys(user)
    d.find_element(By.NAME, 'password').send_keys('secret')
    return d.find_element(By.CSS_SELECTOR, 'button[type=submit], input[type=submit]')


def test_aoidc_950_02_expired_login_attempt_ends_logged_in(env, op):
    """The user leaves the OP's login form open past AuthOIDCStateTimeout,
    then signs in: the module starts a fresh login to the same deep link and
    the browser ends there, logged in, without seeing an error."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from test_320_robustness import STATE_TIMEOUT, robust_conf

    robust_conf(env, op).install()
    tmp = tempfile.mkdtemp(prefix='aoidc-chrome-')
    d = make_driver(os.path.join(tmp, 'profile'))
    try:
        target = env.url('/app/echo/deep?x=1')
        d.get(target)
        wait = WebDriverWait(d, 30)
        submit = _login_form(d, wait)
        time.sleep(STATE_TIMEOUT + 1.5)
        mark = env.log_mark()
        submit.click()
        wait.until(lambda drv: drv.current_url == target)
        pres = d.find_elements(By.TAG_NAME, 'pre')
        data = json.loads(pres[0].text if pres else d.find_element(By.TAG_NAME, 'body').text)
        headers = {k.lower(): v for k, v in data['headers']}
        assert headers.get('oidc_claim_sub') == 'alice', data
        assert env.find_log(r'reason=state_expired login restarted', mark=mark)
    finally:
        d.quit()
        shutil.rmtree(tmp, ignore_errors=True)


def test_aoidc_950_03_error_pages_render(env, op):
    """The built-in and the templated page render in a real browser (the
    screenshots in docs/ come from here: AOIDC_SCREENSHOTS=DIR)."""
    from selenium.webdriver.common.by import By
    from test_320_robustness import robust_conf

    robust_conf(env, op).install()
    tmp = tempfile.mkdtemp(prefix='aoidc-chrome-')
    d = make_driver(os.path.join(tmp, 'profile'))
    shots = os.environ.get('AOIDC_SCREENSHOTS')
    try:
        d.set_window_size(900, 560)
        for prefix, name, link_text in (('/app', 'error-page-builtin.png', 'Sign in again'),
                                        ('/app2', 'error-page-template.png', 'Try again')):
            # a callback for a login attempt this browser never started,
            # after the restart bound is spent: the page
            for _ in range(4):
                d.get(env.url(prefix + '/redirect_uri?code=c&state=%s&iss=%s'
                              % ('A' * 43, op.issuer)))
                if d.current_url.startswith(env.url(prefix)):
                    break
                d.get(env.url('/'))
            assert d.current_url.startswith(env.url(prefix + '/redirect_uri')), d.current_url
            link = d.find_element(By.LINK_TEXT, link_text)
            assert link.get_attribute('href') == env.url(prefix + '/'), link.get_attribute('href')
            if shots:
                d.save_screenshot(os.path.join(shots, name))
    finally:
        d.quit()
        shutil.rmtree(tmp, ignore_errors=True)
