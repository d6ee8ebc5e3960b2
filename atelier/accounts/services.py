"""Account lifecycle: registering, confirming email addresses, changing them, deleting accounts."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from atelier.accounts.events import account_files
from atelier.accounts.models import AccountType, Profile, ProfileImage, ProfileImageKind, User
from atelier.accounts.profile_images import (
    profile_image_files,
    profile_image_recrop,
    profile_image_remove,
    profile_image_replace,
)
from atelier.accounts.tokens import make_email_token, read_email_token
from atelier.core.email import queue_templated_email
from atelier.core.html import render_user_markdown
from atelier.core.ratelimit import RateLimit
from atelier.media.storages import delete_stored_files
from atelier.uploads.services import uploads_stored_files


@transaction.atomic
def account_register(*, email: str, handle: str, password: str, account_type: str = AccountType.ARTIST) -> User:
    """Create the user and an empty profile, and send the address a confirmation link."""
    user = User.objects.create_user(email=email, handle=handle, password=password, account_type=account_type)
    email_confirmation_send(user=user, email=user.email)
    return user


# At most this many "someone tried to sign up with your address" mails per account and hour, so the
# form cannot be used to flood someone's inbox (sign-ups are also limited per network).
_SIGNUP_NOTICES = RateLimit("signup-notice", 3, 3600)


def account_sign_up(*, email: str, handle: str, password: str, account_type: str = AccountType.ARTIST) -> None:
    """Sign-up that tells nobody whether `email` has an account: either way the same work is done
    (a password hashed, one mail queued) and the caller shows the same "check your email" answer.
    A new address gets its account and a confirmation link; an address with an account gets a mail
    saying someone tried to sign up with it, with links to sign in or reset the password."""
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        try:
            account_register(email=email, handle=handle, password=password, account_type=account_type)
            return
        except IntegrityError:  # the same address registered a moment ago, by a concurrent sign-up
            existing = User.objects.filter(email__iexact=email).first()
            if existing is None:
                raise
    User().set_password(password)  # the hashing a new account costs, so the timing is the same
    if _SIGNUP_NOTICES.hit(str(existing.pk)) <= _SIGNUP_NOTICES.limit:
        queue_templated_email(
            template="accounts/email/signup_existing",
            context={
                "user": existing,
                "login_link": settings.SITE_URL + reverse("accounts:login"),
                "reset_link": settings.SITE_URL + reverse("accounts:password_reset"),
            },
            to=existing.email,
        )


def email_mark_confirmed(*, user: User) -> None:
    """A password-reset link opened from the account's address proves the address too."""
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])


def email_confirmation_send(*, user: User, email: str) -> None:
    """Mail a signed link that confirms `email` for `user` (the current address or a pending one)."""
    token = make_email_token(user_id=user.pk, email=email)
    link = settings.SITE_URL + reverse("accounts:verify_email", kwargs={"token": token})
    queue_templated_email(
        template="accounts/email/confirm_email",
        context={"user": user, "link": link, "email": email, "is_change": email != user.email},
        to=email,
    )


@transaction.atomic
def email_confirm(*, token: str) -> User | None:
    """Apply a confirmation link. Returns the user, or None for a bad, expired or outdated link."""
    parsed = read_email_token(token)
    if parsed is None:
        return None
    user_id, email = parsed
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    if email == user.email:
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
        return user
    if email == user.pending_email:
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            return None  # someone registered that address in the meantime
        user.email, user.pending_email, user.email_verified_at = email, "", timezone.now()
        user.save(update_fields=["email", "pending_email", "email_verified_at"])
        return user
    return None


def email_change_request(*, user: User, new_email: str) -> None:
    """Keep the old address until the new one is confirmed, so a typo cannot lock anyone out."""
    user.pending_email = new_email.lower()
    user.save(update_fields=["pending_email"])
    email_confirmation_send(user=user, email=user.pending_email)
    queue_templated_email(
        template="accounts/email/email_change_notice", context={"user": user, "new_email": new_email}, to=user.email
    )


def account_delete(*, user: User) -> None:
    """Delete the account, everything it owns, and the stored files behind it (after the commit).

    Files go last: if the database delete fails, nothing is lost.
    """
    public_names, private_names = _stored_files_of(user)
    private_names += uploads_stored_files(owner=user)
    for _receiver, (public, private) in account_files.send(sender=User, user=user):
        public_names += public
        private_names += private
    with transaction.atomic():
        user.delete()
        transaction.on_commit(lambda: delete_stored_files(public_names, private_names))


def _stored_files_of(user: User) -> tuple[list[str], list[str]]:
    public_names: list[str] = []
    private_names: list[str] = []
    for image in ProfileImage.objects.filter(profile__user=user):
        public, private = profile_image_files(image)
        public_names += public
        private_names += private
    return public_names, private_names


PROFILE_TEXT_FIELDS = (
    "display_name",
    "headline",
    "bio",
    "location",
    "website",
    "social_links",
    "skills",
    "software",
    "open_to_work",
    "hiring",
)


@transaction.atomic
def profile_update(*, profile: Profile, **changes) -> Profile:
    """Save the profile's own fields; the bio's HTML is rendered (sanitised) once, here, not per view."""
    unknown = set(changes) - set(PROFILE_TEXT_FIELDS)
    if unknown:
        raise TypeError(f"Not profile fields: {sorted(unknown)}")
    for field, value in changes.items():
        setattr(profile, field, value)
    profile.bio_html = render_user_markdown(profile.bio)
    profile.save()
    return profile


@transaction.atomic
def profile_images_update(*, profile: Profile, uploads: dict, facts: dict, crops: dict, remove: set) -> None:
    """Apply the image part of the profile editor: new files, new crops of existing files, removals."""
    existing = {image.kind: image for image in profile.images.select_for_update()}
    for kind in ProfileImageKind.values:
        if kind in remove and kind in existing:
            profile_image_remove(image=existing[kind])
        elif uploads.get(kind):
            profile_image_replace(
                profile=profile, kind=kind, upload=uploads[kind], facts=facts[kind], crop=crops.get(kind)
            )
        elif crops.get(kind) and kind in existing and crops[kind].as_dict() != existing[kind].crop:
            profile_image_recrop(image=existing[kind], crop=crops[kind])
