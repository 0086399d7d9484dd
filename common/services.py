"""The operation-log service, called by every app's services inside their transaction."""

from dataclasses import dataclass

from django.db import models
from django.http import HttpRequest

from common.api import client_ip
from common.models import OperationLog


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where; services take it to write the operation log."""

    user: models.Model | None = None
    ip: str | None = None

    @classmethod
    def from_request(cls, request: HttpRequest) -> "Actor":
        user = (
            request.user if getattr(request.user, "is_authenticated", False) else None
        )
        return cls(user=user, ip=client_ip(request))

    @classmethod
    def system(cls) -> "Actor":
        return cls()


def operation_log_write(
    *, actor: Actor, action: str, obj: models.Model, summary: str = ""
) -> OperationLog:
    """Record one write. Call it inside the transaction that makes the change."""
    return OperationLog.objects.create(
        actor=actor.user,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:255],
        ip=actor.ip,
    )
