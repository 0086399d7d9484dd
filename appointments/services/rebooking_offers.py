"""Rebooking offers after a stop (停诊): the nearest equivalent seat, held for a while.

When a session is stopped (services/stopping.py) every upcoming booking is cancelled and a
paid one refunded at once, as before; then, after the stop commits, each affected patient
is offered the nearest equivalent seat: the same doctor first, then a doctor of the same
department and title, same hospital; the earliest bookable slot (open, released, not
started, before its cutoff) that the patient's rules allow (services/seat_rules.py).

Money: the refund of the stopped booking is not held back (the hospital stopped, the
patient is owed the money whatever they choose). Accepting the offer of a paid or free
booking creates a booking whose fee is waived (fee 0, booked at once): no new charge and
nothing to carry, so there is never a refund and a carried-over payment of the same money.
An unpaid hold's offer, accepted, is an ordinary pending-payment booking at the fee.

Seats: the offer takes its seat when it is made, by the same conditional UPDATE as a
booking (booking.seat_take: booked < capacity), so offers never exceed free seats and no
seat is offered twice; the seat stock hears of it as of a booking. Accepting turns the
held seat into the new booking (no second take); declining, or the lapse sweep after
REBOOKING_OFFER_HOURS, gives it back (transitions.seat_give_back). Every change of an
offer is one compare-and-set UPDATE from `open`, so an accept racing the lapse, or two
sweeps, change it once and the seat is returned at most once.

Lock order per offer, as a booking's: the slot row (the take or the give-back), then, for
an accept, the session, doctor, user and person rows (seat_rules.seat_checks_under_locks).
The offer row's UPDATE comes first in accept/decline/lapse: its row lock serialises them.
"""

import datetime
import logging

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.errors import ErrorCode
from appointments.models import Appointment, RebookingOffer
from appointments.services.booking import (
    appointment_create_on_taken_seat,
    seat_take,
)
from appointments.services.notify import (
    appointment_notify,
    rebooking_offer_notify,
)
from appointments.services.seat_rules import (
    seat_checks_under_locks,
    target_slot_check,
)
from appointments.services.transitions import seat_give_back
from common.errors import Conflict, DomainError
from common.services import Actor, operation_log_write
from scheduling.models import ClinicSession, Slot
from scheduling.rules import rule_for_hospital_id
from scheduling.services import availability_changed

logger = logging.getLogger(__name__)

OS = RebookingOffer.Status
S = Appointment.Status
# Slots looked at per patient and per kind (same doctor, then same department and title).
CANDIDATES = 30
_LOCK_FAILURES = {1205, 1213}


def offer_hours() -> int:
    return settings.REBOOKING_OFFER_HOURS


def _candidates(*, appointment: Appointment, now: datetime.datetime) -> list[Slot]:
    """Slots with a free seat after the stopped one, same doctor first, then the same
    department and title; earliest first within each."""
    doctor = appointment.doctor
    base = (
        Slot.objects.select_related("session__doctor", "session__hospital")
        .filter(
            session__hospital_id=appointment.hospital_id,
            session__status=ClinicSession.Status.OPEN,
            starts_at__gt=max(now, appointment.visit_starts_at),
            booked__lt=F("capacity"),
        )
        .exclude(session_id=appointment.session_id)
        .order_by("starts_at", "pk")
    )
    same_doctor = list(base.filter(session__doctor_id=doctor.pk)[:CANDIDATES])
    peers = list(
        base.filter(
            session__doctor__department_id=doctor.department_id,
            session__doctor__title=doctor.title,
            session__doctor__is_active=True,
        ).exclude(session__doctor_id=doctor.pk)[:CANDIDATES]
    )
    return same_doctor + peers


def _offer_one(
    *,
    actor: Actor,
    appointment: Appointment,
    fee_waived: bool,
    now: datetime.datetime,
) -> RebookingOffer | None:
    """Hold the first candidate seat the patient may have; None when there is none."""
    for slot in _candidates(appointment=appointment, now=now):
        try:
            rule, early = target_slot_check(
                user=appointment.user, profile=appointment.profile, slot=slot, now=now
            )
        except DomainError:
            continue
        try:
            with transaction.atomic():
                if not seat_take(
                    slot_id=slot.pk,
                    session_id=slot.session_id,
                    profile_id=appointment.profile_id,
                ):
                    continue  # taken meanwhile: the next one
                seat_checks_under_locks(
                    user=appointment.user,
                    profile=appointment.profile,
                    session=slot.session,
                    rule=rule,
                    early=early,
                )
                offer = RebookingOffer.objects.create(
                    appointment=appointment,
                    slot=slot,
                    fee_waived=fee_waived,
                    expires_at=now + datetime.timedelta(hours=offer_hours()),
                )
                operation_log_write(
                    actor=actor,
                    action="rebooking_offer.create",
                    obj=offer,
                    summary=f"appointment={appointment.pk} slot={slot.pk} "
                    f"waived={offer.fee_waived} expires={offer.expires_at:%Y-%m-%d %H:%M}",
                )
                # The outbox row in the offer's own transaction: no offer, no message.
                rebooking_offer_notify(offer=offer)
        except DomainError:
            continue  # a cap or the session stopped under the lock: the next one
        doctor_id = slot.session.doctor_id
        transaction.on_commit(lambda pk=doctor_id: availability_changed(doctor_id=pk))
        return offer
    return None


def offers_make_after_stop(
    *,
    actor: Actor,
    paid_by_appointment: dict[int, bool],
    now: datetime.datetime | None = None,
) -> list[RebookingOffer]:
    """Offer each stopped appointment (id -> whether it was paid or free, so its new
    booking is waived) the nearest equivalent seat; one short transaction per patient,
    in appointment order, tried again when InnoDB picks it as a deadlock victim. Patients
    left without a free seat get no offer (their refund stands). Returns the offers."""
    now = now or timezone.now()
    offers = []
    for appointment_id in sorted(paid_by_appointment):
        appointment = Appointment.objects.select_related(
            "user", "profile", "doctor"
        ).get(pk=appointment_id)
        if RebookingOffer.objects.filter(appointment_id=appointment_id).exists():
            continue
        for attempt in range(3):
            try:
                with transaction.atomic():
                    offer = _offer_one(
                        actor=actor,
                        appointment=appointment,
                        fee_waived=paid_by_appointment[appointment_id],
                        now=now,
                    )
                break
            except OperationalError as exc:
                if not exc.args or exc.args[0] not in _LOCK_FAILURES or attempt == 2:
                    raise
                logger.warning("rebooking offer for %s: %s", appointment_id, exc)
        if offer is not None:
            offers.append(offer)
    return offers


def _offer_close(
    *, offer_id: int, from_status: str, to_status: str, now: datetime.datetime, **extra
) -> bool:
    """The one compare-and-set every decision on an offer goes through."""
    return (
        RebookingOffer.objects.filter(pk=offer_id, status=from_status, **extra).update(
            status=to_status, decided_at=now, updated_at=now
        )
        == 1
    )


def _seat_return(*, actor: Actor, offer: RebookingOffer, action: str) -> None:
    slot = Slot.objects.only("pk", "session_id").get(pk=offer.slot_id)
    seat_give_back(
        slot_id=slot.pk,
        session_id=slot.session_id,
        profile_id=offer.appointment.profile_id,
    )
    operation_log_write(
        actor=actor,
        action=action,
        obj=offer,
        summary=f"appointment={offer.appointment_id} slot={slot.pk} seat returned",
    )
    doctor_id = ClinicSession.objects.values_list("doctor_id", flat=True).get(
        pk=slot.session_id
    )
    transaction.on_commit(lambda: availability_changed(doctor_id=doctor_id))


def _not_open() -> Conflict:
    return Conflict(
        ErrorCode.REBOOKING_OFFER_CLOSED,
        _("This offer has already been accepted, declined or has lapsed."),
    )


@transaction.atomic
def rebooking_offer_decline(
    *, actor: Actor, offer: RebookingOffer, now: datetime.datetime | None = None
) -> RebookingOffer:
    """The patient declines: the seat returns at once (the refund was made at the stop)."""
    now = now or timezone.now()
    if not _offer_close(
        offer_id=offer.pk, from_status=OS.OPEN, to_status=OS.DECLINED, now=now
    ):
        raise _not_open()
    offer.refresh_from_db()
    _seat_return(actor=actor, offer=offer, action="rebooking_offer.decline")
    return offer


@transaction.atomic
def rebooking_offer_accept(
    *, actor: Actor, offer: RebookingOffer, now: datetime.datetime | None = None
) -> Appointment:
    """One tap: the held seat becomes the patient's booking (fee waived for a paid or free
    stopped booking). Refused once the offer is closed or past its time."""
    now = now or timezone.now()
    if not _offer_close(
        offer_id=offer.pk,
        from_status=OS.OPEN,
        to_status=OS.ACCEPTED,
        now=now,
        expires_at__gt=now,
    ):
        raise _not_open()
    offer = RebookingOffer.objects.select_related(
        "appointment__user", "appointment__profile", "slot__session"
    ).get(pk=offer.pk)
    stopped = offer.appointment
    slot = (
        Slot.objects.select_for_update().select_related("session").get(pk=offer.slot_id)
    )  # the slot row first, as a booking takes it with its seat
    session = slot.session
    if now >= slot.starts_at or session.status != ClinicSession.Status.OPEN:
        raise Conflict(
            ErrorCode.REBOOKING_OFFER_CLOSED,
            _("The offered time is no longer available."),
        )
    rule = rule_for_hospital_id(session.hospital_id)
    seat_checks_under_locks(
        user=stopped.user,
        profile=stopped.profile,
        session=session,
        rule=rule,
        early=False,
    )
    appointment = appointment_create_on_taken_seat(
        actor=actor,
        user=stopped.user,
        profile=stopped.profile,
        slot=slot,
        session=session,
        rule=rule,
        now=now,
        fee=0 if offer.fee_waived else None,
    )
    RebookingOffer.objects.filter(pk=offer.pk).update(new_appointment=appointment)
    operation_log_write(
        actor=actor,
        action="rebooking_offer.accept",
        obj=offer,
        summary=f"appointment={stopped.pk} -> {appointment.pk} slot={slot.pk} "
        f"fee={appointment.fee} waived={offer.fee_waived}",
    )
    if appointment.status == S.BOOKED:
        appointment_notify(appointment=appointment, event="booked")
    return appointment


def rebooking_offers_lapse(
    *, actor: Actor | None = None, now: datetime.datetime | None = None
) -> int:
    """The periodic sweep: close open offers past their time and return their seats.
    Each offer in its own transaction, closed by compare-and-set before its seat is given
    back, so two sweeps (or a sweep and an accept) return a seat at most once."""
    actor = actor or Actor.system()
    now = now or timezone.now()
    lapsed = 0
    due = RebookingOffer.objects.filter(
        Q(status=OS.OPEN), expires_at__lte=now
    ).values_list("pk", flat=True)
    for offer_id in list(due[:500]):
        with transaction.atomic():
            if not _offer_close(
                offer_id=offer_id,
                from_status=OS.OPEN,
                to_status=OS.LAPSED,
                now=now,
                expires_at__lte=now,
            ):
                continue
            offer = RebookingOffer.objects.select_related("appointment").get(
                pk=offer_id
            )
            _seat_return(actor=actor, offer=offer, action="rebooking_offer.lapse")
            lapsed += 1
    return lapsed
