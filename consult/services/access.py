"""The access log of consults' text: every reading of it by staff in the admin."""

from django.utils import timezone

from common.services import Actor
from consult.models import Consult, ConsultAccess


def consult_access_write(*, actor: Actor, consult: Consult, what: str) -> ConsultAccess:
    """Log that `actor` read the text of `consult` (the whole of it, or a reported
    message). The parties reading their own consult are not logged."""
    user = actor.user
    return ConsultAccess.objects.create(
        consult=consult,
        what=what,
        reader=user,
        role=user.role,
        ip=actor.ip,
        accessed_at=timezone.now(),
    )
