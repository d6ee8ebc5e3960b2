from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo content for a fresh site (bin/serve): artists, studio, posts, follows, jobs, a review
    queue. It sits above every other app and nothing imports it."""

    name = "atelier.demo"
    label = "demo"
