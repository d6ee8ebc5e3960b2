from django import forms
from django.utils.text import slugify

from atelier.core.form_fields import CommaListField
from atelier.feeds.models import FeedPreferences
from atelier.posts.models import Category, Medium


class FeedPreferencesForm(forms.ModelForm):
    include_categories = forms.MultipleChoiceField(
        choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Only these categories"
    )
    exclude_categories = forms.MultipleChoiceField(
        choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Never these categories"
    )
    include_mediums = forms.MultipleChoiceField(
        choices=Medium.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Only these mediums"
    )
    exclude_mediums = forms.MultipleChoiceField(
        choices=Medium.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Never these mediums"
    )
    muted_tags = CommaListField(max_items=50, label="Muted tags", help_text="Posts with these tags never show.")
    following_share = forms.IntegerField(
        min_value=0,
        max_value=100,
        label="People you follow, in percent of your home feed",
        help_text="0 is everyone (Discover), 100 only people you follow.",
        widget=forms.NumberInput(attrs={"type": "range", "step": 10, "data-unit": "%"}),
    )

    class Meta:
        model = FeedPreferences
        fields = [
            "default_feed",
            "following_share",
            "include_categories",
            "exclude_categories",
            "include_mediums",
            "exclude_mediums",
            "muted_tags",
            "mature",
        ]
        labels = {"default_feed": "Feed that opens first", "mature": "Mature work"}
        widgets = {"default_feed": forms.RadioSelect, "mature": forms.RadioSelect}

    def clean_muted_tags(self):
        """Spelled as tags are stored: lower-case slugs without '#'."""
        names = []
        for value in self.cleaned_data["muted_tags"]:
            name = slugify(value.lstrip("#"), allow_unicode=True)[:40]
            if name and name not in names:
                names.append(name)
        return names

    def clean(self):
        data = super().clean()
        for kind in ("categories", "mediums"):
            both = set(data.get(f"include_{kind}") or []) & set(data.get(f"exclude_{kind}") or [])
            if both:
                message = f"A choice can't be both shown only and never shown: {', '.join(sorted(both))}."
                self.add_error(f"exclude_{kind}", message)
        return data
