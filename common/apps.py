from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = _("System and audit")

    def ready(self) -> None:
        # Imported here: it loads django-celery-beat's models, which need the app registry.
        from common.beat import periodic_tasks_sync_after_migrate

        # Every migrate (and a fresh test database) ends with the beat schedule in sync
        # with the jobs the apps registered.
        post_migrate.connect(
            periodic_tasks_sync_after_migrate,
            dispatch_uid="common.beat.periodic_tasks_sync_after_migrate",
        )
