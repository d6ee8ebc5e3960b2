"""Forms of the composer. They only parse and check input; services.py does the work."""

from django import forms

from atelier.core.form_fields import CommaListField
from atelier.media.crops import CropBox
from atelier.posts.models import Category, Licence, Medium
from atelier.posts.services import MAX_SOFTWARE, MAX_TAGS


class PostDetailsForm(forms.Form):
    title = forms.CharField(max_length=140, required=False)
    description = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Links become clickable. *Italic*, **bold**, lists and quotes work.",
    )
    medium = forms.ChoiceField(choices=[("", "Choose a medium"), *Medium.choices], required=False)
    category = forms.ChoiceField(choices=[("", "Choose a category"), *Category.choices], required=False)
    tags = CommaListField(max_items=MAX_TAGS, help_text=f"Up to {MAX_TAGS}, separated by commas.")
    software = CommaListField(max_items=MAX_SOFTWARE, help_text="Separate with commas, e.g. Krita, Blender.")
    is_mature = forms.BooleanField(required=False, label="Mature content", help_text="Nudity, gore or other themes.")
    made_with_ai = forms.BooleanField(
        required=False,
        label="I used generative AI tools in this work",
        help_text="Honest disclosure. Works made with generative AI are not shown in feeds.",
    )

    licence = forms.ChoiceField(
        choices=Licence.choices,
        required=False,  # left out (older clients, autosave of other fields): the post keeps its licence
        initial=Licence.ALL_RIGHTS_RESERVED,
        help_text="Shown on the post and written into every image file. Whatever you choose, Atelier "
        "marks your work as not for AI training.",
    )

    @classmethod
    def initial_from(cls, post) -> dict:
        return {
            "title": post.title,
            "description": post.description,
            "medium": post.medium,
            "category": post.category,
            "tags": [tag.name for tag in post.tags.all()],
            "software": post.software,
            "is_mature": post.is_mature,
            "made_with_ai": post.made_with_ai,
            "licence": post.licence,
        }


class MediaFileForm(forms.Form):
    """A file posted straight from the form (no JavaScript) or an upload id from the resumable client."""

    file = forms.FileField(required=False)
    upload_id = forms.UUIDField(required=False)
    embed_url = forms.CharField(max_length=2000, required=False, label="Sketchfab, YouTube or Vimeo link")

    def clean(self):
        data = super().clean()
        given = [name for name in ("file", "upload_id", "embed_url") if data.get(name)]
        if len(given) != 1:
            raise forms.ValidationError("Choose a file, or paste a Sketchfab, YouTube or Vimeo link.", code="nothing")
        return data


class CropForm(forms.Form):
    kind = forms.ChoiceField(choices=[("thumbnail", "Thumbnail"), ("cover", "Cover")])
    item = forms.IntegerField(min_value=1)
    x = forms.FloatField()
    y = forms.FloatField()
    width = forms.FloatField()
    height = forms.FloatField()

    def clean(self):
        data = super().clean()
        if not self.errors:
            data["crop"] = CropBox.from_values(data["x"], data["y"], data["width"], data["height"])
        return data


class ReorderForm(forms.Form):
    order = forms.CharField(max_length=400)

    def clean_order(self):
        try:
            return [int(part) for part in self.cleaned_data["order"].split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError("The order must be a list of item numbers.", code="bad_order") from None


class AltTextForm(forms.Form):
    alt_text = forms.CharField(max_length=500, required=False, label="Description for screen readers")
