from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "atelier.accounts"
    label = "accounts"

    def ready(self):
        from atelier.accounts.backends import connect_user_cache

        connect_user_cache()
