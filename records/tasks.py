"""Records tasks: thin wrappers that call a service."""

from celery import shared_task

from records.services.records import records_auto_lock as auto_lock


@shared_task
def records_auto_lock() -> int:
    return auto_lock()
