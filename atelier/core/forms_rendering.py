"""The project's form renderer: Django's template-based form rendering pointed at our own field and
form templates (atelier/templates/forms/), so every form on the site is drawn the same way without
each page spelling out its fields' markup."""

from django.forms.renderers import TemplatesSetting


class AtelierFormRenderer(TemplatesSetting):
    """Looks templates up through the project's TEMPLATES setting (our directory first, then
    django.forms' own widget templates), with our field and form layouts as the defaults."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
