"""950: a real browser (headless Chromium via selenium) logs in through the
RealOP's login form. A missing browser is a failure, not a skip."""

import json
import os
import shutil
import tempfile

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
