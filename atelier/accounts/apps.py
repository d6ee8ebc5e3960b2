from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "atelier.accounts"
    label = "accounts"

    def ready(self):
        from atelier.accounts.backends import connect_user_cache, user_cache_key
        from atelier.core.cache_batch import read_on_signed_in_pages

        connect_user_cache()
        read_on_signed_in_pages(user_cache_key)
