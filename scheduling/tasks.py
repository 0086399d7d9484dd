"""Periodic scheduling jobs. Thin: each calls one service, and both are idempotent."""

from celery import shared_task


@shared_task
def sessions_generate() -> int:
    # scheduling.services is imported here, not at the top, as every task module does:
    # services may start tasks, and Celery imports this module at worker start.
    from scheduling import services

    return services.sessions_generate()


@shared_task
def sessions_release() -> int:
    from scheduling import services

    return services.sessions_release()
