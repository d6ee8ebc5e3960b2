"""Password hashes: argon2id at OWASP's profile for new passwords, and older hashes (Django's argon2
defaults, PBKDF2) re-hashed with it at the next successful sign-in — never at a failed one."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, PBKDF2PasswordHasher, check_password, identify_hasher
from django.urls import reverse

from atelier.accounts.hashers import OwaspArgon2idPasswordHasher
from config.settings import base
from tests.conftest import TEST_PASSWORD

LOGIN_URL = reverse("accounts:login")
OWASP_PREFIX = "argon2$argon2id$v=19$m=19456,t=2,p=1$"


@pytest.fixture
def production_hashers(settings):
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS


def test_production_hashes_with_the_owasp_profile_first_and_lists_no_other_argon2_hasher():
    assert base.PASSWORD_HASHERS[0] == "atelier.accounts.hashers.OwaspArgon2idPasswordHasher"
    # Django keeps one hasher per algorithm name (the last listed): a second "argon2" hasher would
    # verify the old hashes with its own parameters and never ask for an upgrade.
    argon2_listed = [path for path in base.PASSWORD_HASHERS if "Argon2" in path]
    assert argon2_listed == ["atelier.accounts.hashers.OwaspArgon2idPasswordHasher"]


def test_a_new_password_is_hashed_with_the_owasp_profile(production_hashers, make_user):
    person = make_user("newcomer")
    assert person.password.startswith(OWASP_PREFIX)
    assert isinstance(identify_hasher(person.password), OwaspArgon2idPasswordHasher)
    assert person.check_password(TEST_PASSWORD)


@pytest.mark.parametrize(
    "old_hash",
    [
        pytest.param(lambda pw: Argon2PasswordHasher().encode(pw, Argon2PasswordHasher().salt()), id="django-argon2"),
        pytest.param(
            lambda pw: PBKDF2PasswordHasher().encode(pw, PBKDF2PasswordHasher().salt(), iterations=1000),
            id="pbkdf2",
        ),
    ],
)
def test_an_older_hash_is_upgraded_at_the_next_sign_in(production_hashers, client, user, old_hash):
    user.password = old_hash(TEST_PASSWORD)
    user.save(update_fields=["password"])
    assert not user.password.startswith(OWASP_PREFIX)

    response = client.post(LOGIN_URL, {"identifier": "mira", "password": TEST_PASSWORD})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith(OWASP_PREFIX)
    assert check_password(TEST_PASSWORD, user.password)


def test_an_upgraded_hash_is_not_hashed_again_at_later_sign_ins(production_hashers, client, user):
    user.password = Argon2PasswordHasher().encode(TEST_PASSWORD, Argon2PasswordHasher().salt())
    user.save(update_fields=["password"])
    client.post(LOGIN_URL, {"identifier": "mira", "password": TEST_PASSWORD})
    user.refresh_from_db()
    upgraded = user.password

    client.post(reverse("accounts:logout"))
    assert client.post(LOGIN_URL, {"identifier": "mira", "password": TEST_PASSWORD}).status_code == 302

    user.refresh_from_db()
    assert user.password == upgraded  # a fresh salt would show a second hashing


@pytest.mark.parametrize("wrong", ["not-the-password-1", "ü" * 4096, TEST_PASSWORD + "\x00", " " + TEST_PASSWORD])
def test_a_failed_sign_in_leaves_the_old_hash_alone(production_hashers, client, user, wrong):
    old = Argon2PasswordHasher().encode(TEST_PASSWORD, Argon2PasswordHasher().salt())
    user.password = old
    user.save(update_fields=["password"])

    response = client.post(LOGIN_URL, {"identifier": "mira", "password": wrong})

    assert response.status_code == 400  # the form again, with its refusal
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.password == old
