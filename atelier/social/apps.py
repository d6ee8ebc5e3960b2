from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "atelier.social"
    label = "social"

    def ready(self):
        from atelier.core.cache_batch import read_on_signed_in_pages
        from atelier.social import relation_sets

        relation_sets.connect()
        read_on_signed_in_pages(relation_sets.hidden_key)  # the visibility rule, on every page with posts
        read_on_signed_in_pages(relation_sets.followed_key)  # Following and Home, the pages people open most
