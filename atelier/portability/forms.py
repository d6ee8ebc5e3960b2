from django import forms

from atelier.portability.models import Source


class ArchiveUploadForm(forms.Form):
    source = forms.ChoiceField(label="Where is it from?", choices=Source.choices, initial=Source.INSTAGRAM)
    archive = forms.FileField(
        label="Archive (ZIP)",
        help_text="Instagram: Settings › Your activity › Download your information, JSON format. "
        "X: Settings › Your account › Download an archive of your data. Atelier: the export from your old instance.",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )


class StartImportForm(forms.Form):
    include_location = forms.BooleanField(
        label="Keep the locations of my posts (added to each description)", required=False
    )
    include_stories = forms.BooleanField(label="Also import my stories", required=False)
    include_reels = forms.BooleanField(label="Also import my reels", required=False)


class MovedToForm(forms.Form):
    moved_to = forms.CharField(
        label="My new profile's address",
        required=False,
        max_length=300,
        help_text="An https:// link. Your profile here will say you moved and link to it. Leave empty to remove.",
        widget=forms.URLInput(attrs={"placeholder": "https://other-atelier.example/@you"}),
    )
