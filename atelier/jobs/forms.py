"""The job form (studios), the filter form (everyone), the application, report and take-down forms."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from atelier.core.form_fields import CommaListField
from atelier.jobs.choices import ApplyMethod, Discipline, EmploymentType, ReportReason, Seniority
from atelier.jobs.models import Application, Job

MAX_EXPIRY = timedelta(days=90)


class JobForm(forms.ModelForm):
    disciplines = forms.MultipleChoiceField(choices=Discipline.choices, widget=forms.CheckboxSelectMultiple)
    software = CommaListField(label="Software", help_text="For example “Photoshop, Blender, ZBrush”.")
    apply_url = forms.URLField(label="Application link", max_length=300, required=False, assume_scheme="https")
    expires_at = forms.DateField(
        label="Closes on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Up to 90 days ahead; you can renew it later.",
    )

    class Meta:
        model = Job
        fields = [
            "title",
            "location_mode",
            "country",
            "city",
            "employment_type",
            "seniority",
            "disciplines",
            "software",
            "salary_min",
            "salary_max",
            "salary_currency",
            "salary_period",
            "description",
            "apply_method",
            "apply_url",
            "apply_email",
            "ai_statement",
        ]
        labels = {
            "salary_min": "Pay from",
            "salary_max": "Pay up to",
            "salary_currency": "Currency",
            "salary_period": "Pay period",
            "description": "Description (Markdown)",
            "apply_email": "Application email",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 10}),
            "ai_statement": forms.Textarea(attrs={"rows": 3}),
            "location_mode": forms.RadioSelect,
            "apply_method": forms.RadioSelect,
        }

    # What an empty choice says instead of Django's "---------"; None drops it (a radio group
    # where one answer is required has nothing to show for "none yet").
    BLANK_LABELS = {
        "location_mode": None,
        "apply_method": None,
        "country": "Choose a country",
        "employment_type": "Choose a type",
        "seniority": "Choose a level",
        "salary_currency": "Not stated",
        "salary_period": "Not stated",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in self.BLANK_LABELS.items():
            field = self.fields[name]
            choices = [choice for choice in field.choices if choice[0] != ""]
            field.choices = choices if label is None else [("", label), *choices]
        if not self.instance.pk:
            self.initial.setdefault("expires_at", (timezone.now() + timedelta(days=30)).date())
        else:
            self.initial["expires_at"] = timezone.localtime(self.instance.expires_at).date()

    def clean_expires_at(self):
        day = self.cleaned_data["expires_at"]
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError("The closing date must be after today.")
        if day > today + MAX_EXPIRY:
            raise forms.ValidationError("A job can stay open at most 90 days at a time; renew it later if needed.")
        return day

    def clean(self):
        data = super().clean()
        low, high = data.get("salary_min"), data.get("salary_max")
        if low is not None and high is not None and low > high:
            self.add_error("salary_max", "The top of the pay range is below its bottom.")
        if (low is not None or high is not None) and not (data.get("salary_currency") and data.get("salary_period")):
            self.add_error("salary_currency", "Say which currency and period the pay is in.")
        method = data.get("apply_method")
        if method == ApplyMethod.URL and not data.get("apply_url"):
            self.add_error("apply_url", "Give the link where people apply.")
        if method == ApplyMethod.EMAIL and not data.get("apply_email"):
            self.add_error("apply_email", "Give the address people apply to.")
        return data


class JobFilterForm(forms.Form):
    """The jobs list's filters, from the query string; invalid values are dropped, never an error page."""

    SORTS = [("newest", "Newest"), ("closing", "Closing soon")]

    q = forms.CharField(label="Search", required=False, max_length=200)
    discipline = forms.ChoiceField(choices=[("", "Any discipline"), *Discipline.choices], required=False)
    type = forms.ChoiceField(label="Type", choices=[("", "Any type"), *EmploymentType.choices], required=False)
    seniority = forms.ChoiceField(choices=[("", "Any level"), *Seniority.choices], required=False)
    country = LazyTypedChoiceField(choices=[("", "Anywhere"), *countries], required=False)
    remote = forms.BooleanField(label="Remote only", required=False)
    pay = forms.BooleanField(label="Pay stated", required=False)
    sort = forms.ChoiceField(choices=SORTS, required=False)

    FIELDS = ("q", "discipline", "type", "seniority", "country", "remote", "pay", "sort")

    def filters(self) -> dict:
        """The valid filters only (each bad one dropped), as a plain dict that a saved search keeps."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned[name] for name in self.FIELDS if cleaned.get(name) and name not in self.errors}


class ApplicationForm(forms.ModelForm):
    pieces = forms.TypedMultipleChoiceField(
        coerce=int, label="Portfolio pieces", widget=forms.CheckboxSelectMultiple, help_text="Choose 1 to 10."
    )

    class Meta:
        model = Application
        fields = ["note", "pieces"]
        labels = {"note": "A note to the studio"}
        widgets = {"note": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, posts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pieces"].choices = [(post.pk, str(post)) for post in posts]
        self.posts = {post.pk: post for post in posts}

    def clean_pieces(self):
        pieces = self.cleaned_data["pieces"]
        if len(pieces) > Application.MAX_PIECES:
            raise forms.ValidationError(f"Choose at most {Application.MAX_PIECES} pieces.")
        return pieces


class ReportForm(forms.Form):
    reason = forms.ChoiceField(choices=ReportReason.choices, widget=forms.RadioSelect)
    details = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)


class SavedSearchForm(forms.Form):
    name = forms.CharField(max_length=80, label="Name this search")
