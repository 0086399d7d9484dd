from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        # Registers the OpenAPI extension for our JWT authentication class.
        from accounts import schema  # noqa: F401
