from django import forms

from atelier.protection.cloak.models import Strength


class PostCloakForm(forms.Form):
    enabled = forms.BooleanField(
        label="Cloak this work",
        required=False,
        help_text="Adds a nearly invisible change to the public images that makes style-copying AI models "
        "learn the wrong style. A deterrent, not a guarantee.",
    )
    strength = forms.ChoiceField(choices=Strength.choices, initial=Strength.DEFAULT, label="Strength")


class CloakPreferenceForm(forms.Form):
    cloak_new_work = forms.BooleanField(label="Cloak my new posts by default", required=False)
    strength = forms.ChoiceField(choices=Strength.choices, initial=Strength.DEFAULT, label="Default strength")
