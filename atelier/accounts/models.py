from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from atelier.accounts.handles import normalise_handle, validate_handle
from atelier.media.storages import public_storage


class AccountType(models.TextChoices):
    ARTIST = "artist", "Artist"
    STUDIO = "studio", "Studio"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, handle, password=None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), handle=normalise_handle(handle), **extra)
        user.set_password(password)
        user.save(using=self._db)
        Profile.objects.create(user=user)
        return user

    def create_superuser(self, email, handle, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, email_verified_at=timezone.now())
        return self.create_user(email, handle, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person or a studio. Signs in with email or handle; the handle is the public @name."""

    email = models.EmailField("email address", max_length=254, unique=True)
    handle = models.CharField(max_length=30, unique=True, validators=[validate_handle])
    account_type = models.CharField(max_length=10, choices=AccountType.choices, default=AccountType.ARTIST)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # A new address waits here until its owner clicks the link sent to it.
    pending_email = models.EmailField(max_length=254, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["handle"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.UniqueConstraint(Lower("handle"), name="accounts_user_handle_ci_unique"),
        ]

    def __str__(self):
        return f"@{self.handle}"

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_studio(self) -> bool:
        return self.account_type == AccountType.STUDIO

    def get_absolute_url(self):
        return reverse("accounts:profile", kwargs={"handle": self.handle})


class ProfileImageKind(models.TextChoices):
    AVATAR = "avatar", "Avatar"
    BANNER = "banner", "Banner"


class ProfileImageState(models.TextChoices):
    PENDING = "pending", "Being prepared"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Profile(models.Model):
    """The public portfolio header: who the artist is and how to reach them."""

    user = models.OneToOneField(User, primary_key=True, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=60, blank=True)
    headline = models.CharField(max_length=80, blank=True, help_text="For example “Concept artist”.")
    bio = models.TextField(max_length=2000, blank=True)
    bio_html = models.TextField(blank=True, editable=False)
    location = models.CharField(max_length=80, blank=True)
    website = models.URLField(max_length=200, blank=True)
    social_links = models.JSONField(default=list, blank=True)
    skills = models.JSONField(default=list, blank=True)
    software = models.JSONField(default=list, blank=True)
    open_to_work = models.BooleanField(default=False)
    hiring = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.display_name or str(self.user)

    @property
    def name(self) -> str:
        return self.display_name or self.user.handle

    @property
    def avatar(self):
        return self._image(ProfileImageKind.AVATAR)

    @property
    def banner(self):
        return self._image(ProfileImageKind.BANNER)

    def _image(self, kind):
        # Reads the prefetched images when a selector prefetched them.
        return next((image for image in self.images.all() if image.kind == kind and image.is_ready), None)


class ProfileImage(models.Model):
    """An avatar or banner: a private original, the crop its owner chose, and public renditions.

    Renditions are rebuilt in the worker whenever the original or the crop changes; `version`
    goes up each time so a stale render never overwrites a newer one.
    """

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="images")
    kind = models.CharField(max_length=10, choices=ProfileImageKind.choices)
    # Name in the originals storage (private). Not a FileField: storages are looked up at use time,
    # so the configured backend (local folder or S3) is always the one read.
    original_name = models.CharField(max_length=255)
    original_format = models.CharField(max_length=10)
    original_width = models.PositiveIntegerField()
    original_height = models.PositiveIntegerField()
    crop = models.JSONField()
    state = models.CharField(max_length=10, choices=ProfileImageState.choices, default=ProfileImageState.PENDING)
    version = models.PositiveIntegerField(default=1)
    # {"editor": private name, "sizes": {"<width>": public name}, "width": w, "height": h, "color": "#rrggbb"}
    renditions = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "kind"], name="accounts_profileimage_one_per_kind")]

    def __str__(self):
        return f"{self.kind} of {self.profile_id}"

    @property
    def is_ready(self) -> bool:
        return bool(self.renditions.get("sizes"))

    def _public_url(self, name: str) -> str:
        return public_storage().url(name)

    @property
    def src(self) -> str:
        """The largest rendition: the fallback `src` beside `srcset`."""
        sizes = self.renditions.get("sizes", {})
        return self._public_url(sizes[max(sizes, key=int)]) if sizes else ""

    @property
    def srcset(self) -> str:
        sizes = self.renditions.get("sizes", {})
        return ", ".join(
            f"{self._public_url(name)} {width}w" for width, name in sorted(sizes.items(), key=lambda i: int(i[0]))
        )

    @property
    def placeholder_colour(self) -> str:
        return self.renditions.get("color", "#888888")
