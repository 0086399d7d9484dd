"""The no-show model in use, on the booking side: a booking's risk, and the patient's
one-tap confirmation.

analytics scores each new booking after the booking commits (the AppointmentBooked event,
analytics.tasks) and records the result here: appointments never imports analytics, and
no model work runs inside the booking transaction. A booking scored as high risk (by the
full model: sex and age may inform reminders) gets, where the hospital's rule has it on
(the default), a confirm request and one extra reminder through the outbox. Where the
hospital also releases unconfirmed bookings, the request carries a deadline; whether the
booking may then be released is judged by the fair risk (the model without sex and age)
only, and never for a paid booking (services/noshow_release.py).
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.errors import ErrorCode
from appointments.models import Appointment, Reminder, RiskBand
from appointments.services.notify import appointment_notify
from common.errors import Conflict
from common.services import Actor, operation_log_write
from scheduling.models import BookingRule
from scheduling.rules import rule_for_hospital_id

S = Appointment.Status

# Statuses a booking can be confirmed in: made, not yet visited.
CONFIRMABLE = (S.PENDING_PAYMENT, S.BOOKED)
# The extra reminder comes a day before the confirm deadline: time to confirm, or to
# cancel so that another patient gets the seat.
EXTRA_REMINDER_BEFORE_DEADLINE = datetime.timedelta(hours=24)


def permille(probability: float) -> int:
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"a probability is between 0 and 1, not {probability!r}")
    return round(probability * 1000)


def confirm_deadline_at(
    *, rule: BookingRule, visit_starts_at: datetime.datetime
) -> datetime.datetime:
    return visit_starts_at - datetime.timedelta(hours=rule.noshow_confirm_hours_before)


def release_may_apply(appointment: Appointment) -> bool:
    """Whether the model may ever release this booking: unpaid or free, never paid.

    A hold awaiting payment is unpaid; a booked one with a fee was paid (online or at the
    desk); a booked one without a fee is free. Judged by the fair band only.
    """
    if appointment.noshow_fair_band != RiskBand.HIGH or appointment.walk_in:
        return False
    if appointment.status == S.PENDING_PAYMENT:
        return True
    return appointment.status == S.BOOKED and appointment.fee == 0


def appointment_risk_record(
    *,
    appointment_id: int,
    risk: float,
    risk_fair: float,
    band: str,
    fair_band: str,
    model_id: int,
    now: datetime.datetime | None = None,
) -> Appointment | None:
    """Store a booking's no-show risk once; a high-risk one gets its confirm request and
    extra reminder.

    Idempotent (the broker may deliver the scoring task twice): the risk is written with a
    conditional UPDATE on a still empty risk, and only the call that wrote it contacts the
    patient; the outbox's dedupe key and the reminder's unique key hold as well. Returns
    None when the booking was scored already or no longer exists. Locks the appointment
    row (the UPDATE) before inserting the notification and reminder that point at it.
    """
    if band not in RiskBand.values or fair_band not in RiskBand.values:
        raise ValueError(f"unknown risk band {band!r} / {fair_band!r}")
    now = now or timezone.now()
    with transaction.atomic():
        scored = Appointment.objects.filter(
            pk=appointment_id, noshow_risk__isnull=True
        ).update(
            noshow_risk=permille(risk),
            noshow_risk_band=band,
            noshow_risk_fair=permille(risk_fair),
            noshow_fair_band=fair_band,
            noshow_model_id=model_id,
            updated_at=now,
        )
        if scored != 1:
            return None
        appointment = Appointment.objects.select_related(
            "profile", "doctor__department", "hospital"
        ).get(pk=appointment_id)
        if band == RiskBand.HIGH:
            high_risk_contact(appointment=appointment, now=now)
        return appointment


@dataclass(frozen=True)
class PastRisk:
    appointment_id: int
    risk: float
    risk_fair: float
    band: str
    fair_band: str


def past_appointments_risk_record(
    *, risks: list[PastRisk], model_id: int, now: datetime.datetime | None = None
) -> int:
    """Store the risk of bookings whose visit has passed (the dashboards' no-show rate by
    risk band, for history made before a model was active). Nobody is contacted: the visit
    is over. Only bookings still without a risk and with a visit before `now` are written
    (conditional UPDATEs, so a booking scored meanwhile keeps its risk). Returns how many.
    """
    for item in risks:
        if item.band not in RiskBand.values or item.fair_band not in RiskBand.values:
            raise ValueError(f"unknown risk band {item.band!r} / {item.fair_band!r}")
    now = now or timezone.now()
    written = 0
    with transaction.atomic():
        for item in risks:
            written += Appointment.objects.filter(
                pk=item.appointment_id,
                noshow_risk__isnull=True,
                visit_starts_at__lt=now,
            ).update(
                noshow_risk=permille(item.risk),
                noshow_risk_band=item.band,
                noshow_risk_fair=permille(item.risk_fair),
                noshow_fair_band=item.fair_band,
                noshow_model_id=model_id,
                updated_at=now,
            )
    return written


def high_risk_contact(*, appointment: Appointment, now: datetime.datetime) -> None:
    """The confirm request (with its deadline where the booking may be released) and the
    extra reminder of a high-risk booking, where the hospital's rule has them on.
    Runs inside the caller's transaction."""
    rule = rule_for_hospital_id(appointment.hospital_id)
    if not rule.noshow_high_risk_contact:
        return
    if appointment.status not in CONFIRMABLE or now >= appointment.visit_starts_at:
        return
    deadline = confirm_deadline_at(
        rule=rule, visit_starts_at=appointment.visit_starts_at
    )
    releasable = (
        rule.noshow_release_unconfirmed
        and release_may_apply(appointment)
        and deadline > now
        # a hold that expires before the deadline is released by its own expiry
        and (
            appointment.hold_expires_at is None
            or appointment.hold_expires_at > deadline
        )
    )
    appointment.confirm_requested_at = now
    appointment.confirm_deadline = deadline if releasable else None
    requested = Appointment.objects.filter(
        pk=appointment.pk, confirm_requested_at__isnull=True
    ).update(
        confirm_requested_at=appointment.confirm_requested_at,
        confirm_deadline=appointment.confirm_deadline,
    )
    if requested != 1:
        return
    appointment_notify(appointment=appointment, event="confirm_request")
    due_at = deadline - EXTRA_REMINDER_BEFORE_DEADLINE
    too_late = due_at <= now
    # A reminder that would be due already only repeats the confirm request: skipped.
    Reminder.objects.bulk_create(
        [
            Reminder(
                appointment=appointment,
                kind=Reminder.Kind.RISK_EXTRA,
                due_at=due_at,
                status=Reminder.Status.SKIPPED if too_late else Reminder.Status.PENDING,
                skip_reason="booked_after_due" if too_late else "",
            )
        ],
        ignore_conflicts=True,
    )


def appointment_confirm(
    *, actor: Actor, appointment: Appointment, now: datetime.datetime | None = None
) -> Appointment:
    """The patient confirms they will come (one tap). Idempotent: confirming again answers
    the first confirmation.

    A compare-and-set on (status upcoming, not confirmed) against the release's row lock
    (services/noshow_release.py): whichever commits first wins, so a confirmation that
    succeeded is never followed by a release, and a release that won answers a clear
    error here.
    """
    now = now or timezone.now()
    with transaction.atomic():
        confirmed = Appointment.objects.filter(
            pk=appointment.pk,
            status__in=CONFIRMABLE,
            confirmed_at__isnull=True,
            visit_starts_at__gt=now,
        ).update(confirmed_at=now, updated_at=now)
        if confirmed != 1:
            # A locking read: it sees the latest commit (a release we waited for).
            current = (
                Appointment.objects.select_for_update()
                .filter(pk=appointment.pk)
                .values("status", "confirmed_at", "cancelled_by")
                .first()
            )
            if current is None:  # deleted meanwhile: as for any other id
                raise Conflict(
                    ErrorCode.APPOINTMENT_STATE_CHANGED,
                    _("The appointment was changed by someone else; please refresh."),
                )
            if current["confirmed_at"] is not None:
                appointment.confirmed_at = current["confirmed_at"]
                return appointment
            appointment.status = current["status"]
            appointment.cancelled_by = current["cancelled_by"]
            raise confirm_refusal(appointment)
        appointment.confirmed_at = now
        operation_log_write(
            actor=actor,
            action="appointment.confirm",
            obj=appointment,
            summary="confirmed the visit",
        )
        return appointment


def confirm_refusal(appointment: Appointment) -> Conflict:
    if (
        appointment.status == S.CANCELLED
        and appointment.cancelled_by == Appointment.CancelledBy.UNCONFIRMED
    ):
        return Conflict(
            ErrorCode.RELEASED_UNCONFIRMED,
            _(
                "This booking was not confirmed in time and its seat went to the waitlist."
            ),
        )
    if appointment.status in CONFIRMABLE:
        return Conflict(
            ErrorCode.VISIT_STARTED, _("The visit time has already started.")
        )
    return Conflict(
        ErrorCode.NOT_CONFIRMABLE,
        _("Only an upcoming booking can be confirmed; this one is %(status)s.")
        % {"status": S(appointment.status).label},
    )
