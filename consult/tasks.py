"""Consult tasks: thin wrappers that call a service."""

from celery import shared_task

from consult.services import consults, payment


@shared_task
def overdue_consults_cancel() -> int:
    return consults.overdue_consults_cancel()


@shared_task
def idle_consults_close() -> int:
    return consults.idle_consults_close()


@shared_task
def unpaid_consults_expire() -> int:
    return payment.unpaid_consults_expire()
