from celery.signals import task_postrun, task_prerun
from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from common.health import health_check_register
from common.replica import task_context_begin, task_context_end
from common.replica_health import replica_health
from common.replica_writes import writes_watch


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

        # The read replica (common.replica): its part of /health/, the primary's writes
        # noticed for read-your-writes, a fresh read context per Celery task.
        health_check_register("replica", replica_health)
        connection_created.connect(writes_watch, dispatch_uid="common.replica_writes")
        task_prerun.connect(task_context_begin, dispatch_uid="common.replica.begin")
        task_postrun.connect(task_context_end, dispatch_uid="common.replica.end")
