"""RFC 6238 codes, drift and replay, with the clock passed in (no waiting)."""

import threading

import pytest
from django.db import connection

from atelier.accounts.mfa import sealing, services, totp
from atelier.accounts.mfa.models import TotpDevice

RFC_SECRET = b"12345678901234567890"


@pytest.mark.parametrize(
    ("at", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_codes_match_rfc_6238_appendix_b(at, eight_digits):
    # The RFC's SHA-1 vectors are eight digits; six-digit codes are their last six (mod 10^6).
    assert totp.code_for_step(RFC_SECRET, totp.step_at(at)) == eight_digits[-6:]


def test_one_step_of_drift_either_way_and_no_more():
    at = 1_700_000_000.0
    step = totp.step_at(at)
    for offset in (-1, 0, 1):
        assert totp.matching_step(RFC_SECRET, totp.code_for_step(RFC_SECRET, step + offset), at=at) == step + offset
    for offset in (-2, 2, 10):
        assert totp.matching_step(RFC_SECRET, totp.code_for_step(RFC_SECRET, step + offset), at=at) is None


@pytest.mark.parametrize(
    "typed", ["", "12345", "1234567", "abcdef", "１２３４５６", "12 34 5x", "<script>", "0" * 5000]
)
def test_malformed_codes_are_refused_without_error(typed):
    assert totp.matching_step(RFC_SECRET, typed, at=1_700_000_000) is None


def test_spaces_and_a_dash_are_allowed():
    code = totp.code_for_step(RFC_SECRET, 100)
    assert totp.matching_step(RFC_SECRET, f"{code[:3]} {code[3:]}", at=100 * 30) == 100
    assert totp.matching_step(RFC_SECRET, f"{code[:3]}-{code[3:]}", at=100 * 30) == 100


def test_provisioning_uri_carries_the_secret_and_parameters():
    uri = totp.provisioning_uri(RFC_SECRET, account="mira", issuer="atelier.example")
    assert uri.startswith("otpauth://totp/atelier.example:mira?")
    assert "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" in uri
    assert "digits=6" in uri and "period=30" in uri and "algorithm=SHA1" in uri


def _enrolled(user, at: float) -> bytes:
    services.totp_begin(user=user)
    secret = services.totp_pending_secret(user=user)
    assert services.totp_confirm(user=user, code=totp.code_for_step(secret, totp.step_at(at)), at=at)
    return secret


def test_a_used_code_is_refused_and_so_is_an_older_one(user):
    at = 1_800_000_000.0
    secret = _enrolled(user, at)
    later = at + 30
    assert services.totp_verify(user=user, code=totp.code_for_step(secret, totp.step_at(later)), at=later)
    # The same code again within its window, and the previous step's code (still within drift): replays.
    assert not services.totp_verify(user=user, code=totp.code_for_step(secret, totp.step_at(later)), at=later)
    assert not services.totp_verify(user=user, code=totp.code_for_step(secret, totp.step_at(at)), at=later)
    assert services.totp_verify(user=user, code=totp.code_for_step(secret, totp.step_at(later) + 1), at=later + 5)


def test_the_secret_is_sealed_at_rest(user):
    _enrolled(user, 1_800_000_000.0)
    device = TotpDevice.objects.get(user=user)
    secret = sealing.unseal(device.sealed_secret)
    assert totp.secret_text(secret) not in device.sealed_secret
    assert secret not in device.sealed_secret.encode()


def test_a_seal_made_with_another_key_does_not_open(settings, user):
    sealed = sealing.seal(b"x" * 20)
    settings.SECRET_KEY = "another-secret-key-" * 4
    with pytest.raises(sealing.SealBroken):
        sealing.unseal(sealed)
    with pytest.raises(sealing.SealBroken):
        sealing.unseal("not a fernet token")


def test_the_old_key_in_fallbacks_still_opens(settings):
    old = settings.SECRET_KEY
    sealed = sealing.seal(b"y" * 20)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-rotated-secret-key-" * 3, [old]
    assert sealing.unseal(sealed) == b"y" * 20


def test_a_confirmed_authenticator_cannot_be_swapped_without_removal(user):
    _enrolled(user, 1_800_000_000.0)
    with pytest.raises(services.FactorError):
        services.totp_begin(user=user)


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_the_same_code_pass_once(make_user):
    user = make_user("racer")
    at = 1_800_000_000.0
    secret = _enrolled(user, at)
    code = totp.code_for_step(secret, totp.step_at(at) + 1)
    results, barrier = [], threading.Barrier(4)

    def attempt():
        barrier.wait()
        try:
            results.append(services.totp_verify(user=user, code=code, at=at + 30))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
