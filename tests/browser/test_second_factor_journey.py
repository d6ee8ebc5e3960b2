"""Second factors in a real browser, on a phone and on a desktop: a moderator enrols a passkey with
Chromium's virtual authenticator (CDP WebAuthn domain), signs out and signs in with it alone; an
artist sets up an authenticator app and signs in with a code; a staff account without a second
factor is sent to enrol before the admin opens. The live server answers on `localhost`, a secure
context whose name is a valid WebAuthn relying-party id (an IP address is not)."""

import base64
import re
import time

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from atelier.accounts.mfa import sealing, totp
from atelier.accounts.mfa.models import Passkey, TotpDevice
from tests.browser.test_social_journey import _log_in

pytestmark = pytest.mark.browser


def _virtual_authenticator(page):
    """A platform authenticator with user verification, answering without a touch, as a phone's would."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def _log_out(browser_page) -> None:
    page = browser_page.page
    page.locator("summary.account-summary").click()
    with page.expect_navigation():
        page.get_by_role("menuitem", name="Log out").click()


def _code_from_page(page, *, offset_steps: int = 0) -> str:
    """What the person's authenticator app shows, from the key printed under the QR code."""
    text = page.locator("[data-totp-secret]").inner_text().strip()
    secret = base64.b32decode(text + "=" * (-len(text) % 8))
    return totp.code_for_step(secret, totp.step_at(time.time()) + offset_steps)


def test_moderator_enrols_a_passkey_and_signs_in_with_it(browser_page, make_user):
    page, name = browser_page.page, browser_page.viewport.name
    moderator = make_user(f"mod_{name}")
    moderator.user_permissions.add(Permission.objects.get(codename="review_case"))
    cdp, authenticator_id = _virtual_authenticator(page)

    _log_in(browser_page, moderator.handle)
    browser_page.goto("/moderation/")
    expect(page).to_have_url(re.compile(r"/settings/security/\?next="))
    expect(page.locator(".banner-notice")).to_contain_text("needs a second factor")
    browser_page.shot("01-sent-to-enrol")

    page.get_by_label("Name of this passkey").fill("Virtual phone")
    with page.expect_navigation():
        page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator(".mfa-code-list li")).to_have_count(10)
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert len(credentials) == 1 and credentials[0]["isResidentCredential"]
    browser_page.assert_no_horizontal_overflow()
    # (No assert_controls_named here: detaching its CDP session switches the virtual authenticator off.)
    browser_page.shot("02-passkey-added-codes")
    page.get_by_role("link", name="I saved them — continue").click()
    expect(page).to_have_url(re.compile(r"/moderation/$"))

    _log_out(browser_page)
    browser_page.goto("/accounts/login/")
    browser_page.shot("03-login-with-passkey")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(re.compile(rf"/@{moderator.handle}$"))
    browser_page.goto("/moderation/")
    expect(page).to_have_url(re.compile(r"/moderation/$"))
    browser_page.shot("04-review-queue-after-passkey")
    passkey = Passkey.objects.get(user=moderator)
    assert passkey.last_used_at is not None and passkey.name == "Virtual phone"
    browser_page.assert_clean_console()


def test_artist_enrols_an_authenticator_app_and_signs_in_with_a_code(browser_page, make_user):
    page, name = browser_page.page, browser_page.viewport.name
    artist = make_user(f"ines_{name}")
    _log_in(browser_page, artist.handle)
    browser_page.goto("/settings/security/")
    page.get_by_role("link", name="Set up an authenticator app").click()
    browser_page.assert_image_loaded(page.get_by_alt_text("QR code for your authenticator app"))
    browser_page.assert_no_horizontal_overflow()
    browser_page.shot("01-totp-qr")
    page.get_by_label("Code from your authenticator app").fill(_code_from_page(page))
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on").click()
    expect(page.locator(".mfa-code-list li")).to_have_count(10)
    assert TotpDevice.objects.get(user=artist).confirmed_at is not None
    browser_page.shot("02-totp-on-codes")
    secret = sealing.unseal(TotpDevice.objects.get(user=artist).sealed_secret)  # what the phone app keeps

    _log_out(browser_page)
    _log_in(browser_page, artist.handle)
    expect(page).to_have_url(re.compile(r"/accounts/login/second-factor/$"))
    browser_page.assert_controls_named()
    browser_page.shot("03-asked-for-code")
    page.get_by_label("Code from your authenticator app").fill("000000")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    expect(page.locator(".field.has-error")).to_contain_text("not right")
    # The refused code's page is a 400, which Chromium reports on the console: expected, and only that.
    assert browser_page.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    browser_page.console_errors.clear()
    next_step = totp.code_for_step(secret, totp.step_at(time.time()) + 1)  # the enrolment's step is spent
    page.get_by_label("Code from your authenticator app").fill(next_step)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/$"))  # signed in, on the feed
    browser_page.shot("04-signed-in-with-code")
    browser_page.assert_clean_console()


def test_staff_without_a_second_factor_is_sent_to_enrol_before_the_admin(browser_page, make_user):
    page, name = browser_page.page, browser_page.viewport.name
    staff = make_user(f"staff_{name}")
    staff.is_staff = staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])
    _log_in(browser_page, staff.handle)
    browser_page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/settings/security/\?next=%2Fadmin%2F$"))
    expect(page.get_by_role("heading", name="Site administration")).to_have_count(0)
    browser_page.assert_no_horizontal_overflow()
    browser_page.shot("01-admin-refused-enrol-first")
    page.get_by_role("link", name="Set up an authenticator app").click()
    page.get_by_label("Code from your authenticator app").fill(_code_from_page(page))
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on").click()
    browser_page.shot("02-codes-then-continue")
    browser_page.assert_clean_console()
    page.get_by_role("link", name="I saved them — continue").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    browser_page.shot("03-admin-open")
    # Django's admin pages link no icon, so Chromium asks for /favicon.ico: the one 404 allowed there.
    assert set(browser_page.console_errors) <= {
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    }
    assert browser_page.csp_violations == []
