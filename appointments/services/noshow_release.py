"""Unconfirmed high-risk bookings return their seat to the waitlist at their deadline.

Only where the hospital switched it on (BookingRule.noshow_release_unconfirmed, off by
default), only for a booking that was asked to confirm with a deadline (so the patient was
told), only when its fair risk band (the model without sex and age) is high, and never for
a paid booking. The release is an ordinary cancel (appointments.services.lifecycle): the
seat goes back, the waitlist takes it, unpaid orders are closed, the patient is told why.

Lock order: the appointment row first (a locking read that also re-checks "not
confirmed"), then what a cancel takes (the slot, the user row; billing's orders). The
patient's confirmation is a compare-and-set on the same row, so whichever commits first
wins and neither can be lost.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import Appointment, RiskBand
from appointments.services.lifecycle import appointment_cancel
from appointments.services.noshow_risk import release_may_apply
from common.errors import DomainError
from common.services import Actor, operation_log_write
from scheduling.models import BookingRule
from scheduling.rules import rule_for_hospital_id

logger = logging.getLogger(__name__)

S = Appointment.Status


def _unconfirmed_past_deadline(now: datetime.datetime) -> QuerySet[Appointment]:
    """The candidates by the appointment's own columns (no join: the locking read below
    must lock the appointment row only)."""
    return Appointment.objects.filter(
        confirm_deadline__lte=now,
        visit_starts_at__gt=now,
        confirmed_at__isnull=True,
        noshow_fair_band=RiskBand.HIGH,
        walk_in=False,
    ).filter(Q(status=S.PENDING_PAYMENT) | Q(status=S.BOOKED, fee=0))


def appointment_release_unconfirmed(
    *, appointment_id: int, now: datetime.datetime | None = None
) -> Appointment | None:
    """Release one booking if it still qualifies; None (nothing written) otherwise."""
    now = now or timezone.now()
    actor = Actor.system()
    with transaction.atomic():
        appointment = (
            _unconfirmed_past_deadline(now)
            .select_for_update()
            .filter(pk=appointment_id)
            .first()
        )
        if appointment is None or not release_may_apply(appointment):
            return None  # confirmed, paid, cancelled or visited meanwhile
        rule = rule_for_hospital_id(appointment.hospital_id)
        if not rule.noshow_release_unconfirmed:
            return None  # the hospital switched it off after the request went out
        deadline = timezone.localtime(appointment.confirm_deadline)
        appointment_cancel(
            actor=actor,
            appointment=appointment,
            by=Appointment.CancelledBy.UNCONFIRMED,
            reason=_("Not confirmed before %(deadline)s")
            % {"deadline": deadline.strftime("%m-%d %H:%M")},
            now=now,
        )
        operation_log_write(
            actor=actor,
            action="appointment.noshow_release",
            obj=appointment,
            summary=(
                f"unconfirmed at deadline {deadline:%Y-%m-%d %H:%M}; fair risk "
                f"{appointment.noshow_risk_fair}‰ ({appointment.noshow_fair_band}), "
                f"model {appointment.noshow_model_id}"
            ),
        )
        return appointment


def unconfirmed_release_sweep(
    *, now: datetime.datetime | None = None, limit: int = 200
) -> int:
    """The periodic job: release each qualifying booking of the hospitals that release
    unconfirmed bookings, earliest deadline first. Returns how many were released."""
    now = now or timezone.now()
    hospitals = BookingRule.objects.filter(noshow_release_unconfirmed=True).values(
        "hospital_id"
    )
    due = list(
        _unconfirmed_past_deadline(now)
        .filter(hospital_id__in=hospitals)
        .order_by("confirm_deadline", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    released = 0
    for appointment_id in due:
        try:
            released += (
                appointment_release_unconfirmed(appointment_id=appointment_id, now=now)
                is not None
            )
        except DomainError as exc:  # e.g. a concurrent change: the next run sees it
            logger.warning(
                "unconfirmed release of appointment %s refused: %s",
                appointment_id,
                exc.code,
            )
    if released:
        logger.info("released %s unconfirmed high-risk bookings", released)
    return released
