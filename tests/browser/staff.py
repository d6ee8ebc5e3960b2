"""Signing staff and moderators in as they must: password, then the code their authenticator app shows."""

import re
import time

from playwright.sync_api import expect

from atelier.accounts.mfa import totp
from tests.browser.test_social_journey import _log_in
from tests.conftest import enrol_authenticator


def log_in_with_second_factor(browser_page, user) -> None:
    secret = enrol_authenticator(user)
    _log_in(browser_page, user.handle)
    page = browser_page.page
    expect(page).to_have_url(re.compile(r"/accounts/login/second-factor/$"))
    next_code = totp.code_for_step(secret, totp.step_at(time.time()) + 1)  # the enrolment's step is spent
    page.get_by_label("Code from your authenticator app").fill(next_code)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
