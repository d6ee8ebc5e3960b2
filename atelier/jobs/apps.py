from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "atelier.jobs"
    label = "jobs"
    verbose_name = "Jobs board"
