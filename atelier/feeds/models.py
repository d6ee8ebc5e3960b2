"""Each person's home-feed settings: which feed opens, the following/everyone mix, filters."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models


class FeedChoice(models.TextChoices):
    HOME = "home", "Home (a mix of both)"
    FOLLOWING = "following", "Following"
    DISCOVER = "discover", "Discover"


class MatureChoice(models.TextChoices):
    BLUR = "blur", "Show blurred, reveal on click"
    HIDE = "hide", "Hide"


class FeedPreferences(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    default_feed = models.CharField(max_length=10, choices=FeedChoice.choices, default=FeedChoice.HOME)
    # Cara's "content percentage": how much of the home feed comes from people you follow.
    following_share = models.PositiveSmallIntegerField(default=50, validators=[MaxValueValidator(100)])
    include_categories = models.JSONField(default=list, blank=True)
    exclude_categories = models.JSONField(default=list, blank=True)
    include_mediums = models.JSONField(default=list, blank=True)
    exclude_mediums = models.JSONField(default=list, blank=True)
    muted_tags = models.JSONField(default=list, blank=True)
    mature = models.CharField(max_length=4, choices=MatureChoice.choices, default=MatureChoice.BLUR)

    def __str__(self):
        return f"feed settings of {self.user_id}"
