from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set and its `manage.py seed_demo` command; no models of its own."""

    name = "demo"
