from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    before_task_publish,
    task_postrun,
    task_prerun,
    task_success,
)
from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from common.health import health_check_register
from common.metrics import scrape_metrics_register
from common.replica import task_context_begin, task_context_end
from common.replica_health import replica_health
from common.replica_writes import writes_watch
from common.request_context import (
    celery_logging_setup,
    task_context_clear,
    task_context_restore,
    task_publish_tag,
)


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = _("System and audit")

    def ready(self) -> None:
        # Imported here: they load models (django-celery-beat's, JobRun), which need the
        # app registry.
        from common.beat import periodic_tasks_sync_after_migrate
        from common.job_runs import jobs_metrics, jobs_status, task_success_record

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

        # Jobs that must not fail silently: beat's heartbeat and the watched jobs' last
        # success, in /health/ and /metrics (common/job_runs.py).
        health_check_register("jobs", jobs_status)
        scrape_metrics_register("jobs", jobs_metrics)
        task_success.connect(task_success_record, dispatch_uid="common.job_runs")
        # The request id carried into Celery tasks (common/request_context.py).
        before_task_publish.connect(
            task_publish_tag, dispatch_uid="common.request_context.publish"
        )
        task_prerun.connect(
            task_context_restore, dispatch_uid="common.request_context.prerun"
        )
        task_postrun.connect(
            task_context_clear, dispatch_uid="common.request_context.postrun"
        )
        # A worker's own log handlers (Celery's, e.g. --logfile) format as ours do.
        after_setup_logger.connect(
            celery_logging_setup, dispatch_uid="common.request_context.logger"
        )
        after_setup_task_logger.connect(
            celery_logging_setup, dispatch_uid="common.request_context.task_logger"
        )
