from django import forms

from atelier.social.services import MAX_COMMENT_LENGTH


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment", max_length=MAX_COMMENT_LENGTH, widget=forms.Textarea(attrs={"rows": 3, "required": True})
    )
    # The comment answered; a reply to a reply is attached to the top-level comment by the service.
    parent = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
