"""The doctor's advice on an online consult, written into the patient's records.

Consult sits above records: this service writes through records.services.online, and
records never imports consult. Lock order: the consult's row (`select_for_update`, as a
message takes it), then the record's row and its new version (records), then the
consult's link to the record and the operation log.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import Conflict, DomainError, NotFound
from common.services import Actor, operation_log_write
from consult.errors import ErrorCode
from consult.models import Consult
from records.models import RecordVersion
from records.services.online import consult_record_advice_write

ADVICE_MAX_LENGTH = 2000
S = Consult.Status
# The doctor has answered: the consult is going on, or over but not cancelled.
ADVICE_STATUSES = (S.IN_PROGRESS, S.CLOSED, S.RATED)


def advice_text_check(advice: str) -> str:
    advice = advice.strip()
    if not advice:
        message = _("The advice cannot be empty.")
        raise DomainError(
            ErrorCode.CONSULT_ADVICE_EMPTY, message, fields={"advice": [message]}
        )
    if len(advice) > ADVICE_MAX_LENGTH:
        message = _("The advice has at most %(limit)d characters.") % {
            "limit": ADVICE_MAX_LENGTH
        }
        raise DomainError(
            ErrorCode.CONSULT_ADVICE_TOO_LONG, message, fields={"advice": [message]}
        )
    return advice


def consult_advice_write(
    *, actor: Actor, consult: Consult, advice: str
) -> RecordVersion:
    """The consult's doctor writes (or rewrites) their advice; it shows in the patient's
    records at once, as a record of kind online_consult (each write a new version)."""
    advice = advice_text_check(advice)
    user = actor.user
    if user is None or consult.doctor.user_id != user.pk:
        raise NotFound(ErrorCode.CONSULT_NOT_FOUND, _("Consult not found."))
    with transaction.atomic():
        consult = (
            Consult.objects.select_for_update()
            .select_related("doctor", "profile")
            .get(pk=consult.pk)
        )
        if consult.status not in ADVICE_STATUSES:
            raise Conflict(
                ErrorCode.CONSULT_ADVICE_NOT_ALLOWED,
                _(
                    "Advice can be written once the doctor has replied, until the "
                    "consult is cancelled."
                ),
            )
        version = consult_record_advice_write(
            actor=actor,
            consult_id=consult.pk,
            doctor=consult.doctor,
            profile=consult.profile,
            consulted_at=consult.started_at or consult.created_at,
            problem=consult.problem,
            advice=advice,
        )
        if consult.record_id is None:
            Consult.objects.filter(pk=consult.pk, record__isnull=True).update(
                record=version.record
            )
        operation_log_write(
            actor=actor,
            action="consult.advice",
            obj=consult,
            summary=f"record {version.record_id}, version {version.number}",
        )
    return version
