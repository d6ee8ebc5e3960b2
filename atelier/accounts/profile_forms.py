"""The profile editor: text fields, links and lists, and avatar/banner uploads with their crops."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings

from atelier.accounts.models import Profile, ProfileImageKind
from atelier.core.form_fields import CommaListField
from atelier.media.crops import CropBox
from atelier.media.validation import inspect_image

MAX_SOCIAL_LINKS = 8
_CROP_PARTS = ("x", "y", "width", "height")


def _validate_public_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or "." not in parts.hostname:
        raise forms.ValidationError(
            "“%(url)s” is not a web address (https://…).", code="bad_url", params={"url": url[:80]}
        )
    return url


class ProfileForm(forms.ModelForm):
    social_links = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One address per line: ArtStation, Instagram, Bluesky, YouTube…",
    )
    # https is assumed for addresses typed without a scheme ("mira.art" → https://mira.art).
    website = forms.URLField(required=False, max_length=200, assume_scheme="https")
    skills = CommaListField(help_text="Separate with commas, e.g. character design, matte painting.")
    software = CommaListField(help_text="Separate with commas, e.g. Procreate, Blender, Photoshop.")
    avatar = forms.FileField(required=False, help_text="Square crop. JPEG, PNG, WebP, GIF, AVIF or HEIC.")
    banner = forms.FileField(required=False, help_text="Wide 3:1 crop shown at the top of your profile.")
    remove_avatar = forms.BooleanField(required=False, label="Remove avatar")
    remove_banner = forms.BooleanField(required=False, label="Remove banner")

    class Meta:
        model = Profile
        fields = ["display_name", "headline", "bio", "location", "website", "open_to_work", "hiring"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 5})}
        help_texts = {"bio": "Plain text; links become clickable. *Italic* and **bold** work."}
        labels = {"open_to_work": "Open to work", "hiring": "Hiring"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Hidden crop fields, filled by the crop widget; blank means "keep" (or "centre" for a new file).
        for kind in ProfileImageKind.values:
            for part in _CROP_PARTS:
                self.fields[f"{kind}_crop_{part}"] = forms.FloatField(required=False, widget=forms.HiddenInput)
        if self.instance and self.instance.pk and not self.is_bound:
            self.initial["social_links"] = "\n".join(self.instance.social_links)
            self.initial["skills"] = self.instance.skills
            self.initial["software"] = self.instance.software
        self.image_facts = {}

    def clean_social_links(self):
        lines = [line.strip() for line in self.cleaned_data["social_links"].splitlines() if line.strip()]
        if len(lines) > MAX_SOCIAL_LINKS:
            raise forms.ValidationError(
                "At most %(max)s links.", code="too_many_links", params={"max": MAX_SOCIAL_LINKS}
            )
        for line in lines:
            if len(line) > 200:
                raise forms.ValidationError("Each link must be under 200 characters.", code="link_too_long")
            _validate_public_url(line)
        return list(dict.fromkeys(lines))

    def _clean_image(self, kind: str):
        upload = self.cleaned_data.get(kind)
        if upload:
            self.image_facts[kind] = inspect_image(
                upload, max_bytes=settings.PROFILE_IMAGE_MAX_BYTES, max_pixels=settings.PROFILE_IMAGE_MAX_PIXELS
            )
        return upload

    def clean_avatar(self):
        return self._clean_image(ProfileImageKind.AVATAR)

    def clean_banner(self):
        return self._clean_image(ProfileImageKind.BANNER)

    def clean(self):
        cleaned = super().clean()
        self.crops = {}
        for kind in ProfileImageKind.values:
            names = [f"{kind}_crop_{part}" for part in _CROP_PARTS]
            values = [cleaned.get(name) for name in names]
            # Blank means "no crop"; values the hidden fields refused ("abc", NaN) must still be reported.
            if all(value is None for value in values) and not any(self.has_error(name) for name in names):
                self.crops[kind] = None
                continue
            try:
                self.crops[kind] = CropBox.from_values(*values)
            except forms.ValidationError as error:
                self.add_error(kind, error)
        return cleaned
