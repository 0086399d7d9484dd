"""Periodic scheduling jobs. Thin: each calls one service, and both are idempotent."""

from celery import shared_task

from scheduling import services


@shared_task
def sessions_generate() -> int:
    return services.sessions_generate()


@shared_task
def sessions_release() -> int:
    return services.sessions_release()
