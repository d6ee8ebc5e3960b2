from django import forms


class ImageSearchForm(forms.Form):
    image = forms.FileField(label="An image of your work")


class MatchAnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("mine", "That's mine, not theirs"), ("not_mine", "Not my work: dismiss")])
