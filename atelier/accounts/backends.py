from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from atelier.accounts.handles import normalise_handle
from atelier.core import cache_batch
from atelier.core.cache_batch import cached


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

    def get_user(self, user_id):
        """The signed-in person for each request, from the cache when it can: every page needs them,
        and the row changes rarely. Any save or delete of the row forgets it (`connect_user_cache`),
        so a deactivated account or a changed password takes effect on the very next request."""
        key = user_cache_key(user_id)
        user = cached(key)  # from the request's batch when the page's budget check fetched it
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(key, user, timeout=USER_CACHE_SECONDS)
        return user if user is not None and self.user_can_authenticate(user) else None


USER_CACHE_SECONDS = 300


def _awaiting_confirmation(user) -> bool:
    """A new account signs in first through the link mailed to its address. Until then its password
    is refused like a wrong one: otherwise whoever signed up with someone else's address could learn,
    by signing in, whether that address already had an account."""
    return user.email_verified_at is None and user.last_login is None


def user_cache_key(user_id) -> str:
    return f"accounts:user:{user_id}"


def _forget_user(sender, instance, **kwargs) -> None:
    key = user_cache_key(instance.pk)
    cache.delete(key)
    cache_batch.forget([key])
    transaction.on_commit(lambda: cache.delete(key))  # and once more, after a reader in between


def connect_user_cache() -> None:
    User = get_user_model()
    post_save.connect(_forget_user, sender=User, dispatch_uid="accounts.user_cache.saved")
    post_delete.connect(_forget_user, sender=User, dispatch_uid="accounts.user_cache.deleted")
