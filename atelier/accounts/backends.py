"""Signing in by email or handle. The signed-in person is loaded from the database on each request
(Django's ModelBackend.get_user, one query by primary key): a copy of the row in the cache would
carry the password hash and email into it, and checking the session needs that hash anyway."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from atelier.accounts.handles import normalise_handle


class EmailOrHandleBackend(ModelBackend):
    """Sign in with either the email address or the @handle, case-insensitively."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = (username or kwargs.get("email") or "").strip()
        if not identifier or password is None:
            return None
        User = get_user_model()
        if "@" in identifier.lstrip("@"):
            lookup = {"email__iexact": identifier}
        else:
            lookup = {"handle": normalise_handle(identifier)}
        try:
            user = User.objects.get(**lookup)
        except User.DoesNotExist:
            # Hash anyway so response time does not reveal whether the account exists.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user) and not _awaiting_confirmation(user):
            return user
        return None


def _awaiting_confirmation(user) -> bool:
    """A new account signs in first through the link mailed to its address. Until then its password
    is refused like a wrong one: otherwise whoever signed up with someone else's address could learn,
    by signing in, whether that address already had an account."""
    return user.email_verified_at is None and user.last_login is None
