from django import forms

from atelier.notifications.models import NotificationSettings


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["digest", "email_follow", "email_like", "email_comment", "email_mention"]
