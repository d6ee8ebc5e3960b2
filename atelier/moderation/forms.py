from django import forms
from django.conf import settings

from atelier.moderation.models import Action
from atelier.moderation.proofs import ACCEPTED_LABEL


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by content in the service, not here."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class AIReportForm(forms.Form):
    note = forms.CharField(
        label="What makes you think so? (optional)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AppealForm(forms.Form):
    message = forms.CharField(
        label="How did you make this work?",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Your tools and steps. A moderator reads this with the detector's evidence.",
    )
    files = MultipleFileField(
        label="Process proof (optional)",
        required=False,
        help_text=f"Up to {settings.MODERATION_PROOF_MAX_FILES} files: {ACCEPTED_LABEL}. Only moderators see them.",
    )


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=Action.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label="Why (the author reads this)", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    strike = forms.BooleanField(label="Add a strike to the account (confirmed AI only)", required=False)
