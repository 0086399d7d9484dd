"""Accounts tasks: thin wrappers that call a service."""

from celery import shared_task

from accounts.services.tokens import revoked_login_sessions_prune as prune


@shared_task
def revoked_login_sessions_prune() -> int:
    return prune()
