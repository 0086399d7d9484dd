"""The ticket writer's batched way: every rule of booking checked for a batch of tickets
at once (appointments.services.ticket_writer runs it in its transaction).

The checks that only read come first (profiles, the slots' bookability, bookings already
held); then the locks in booking's order: one conditional UPDATE per slot for all its
tickets (the final guard), the sessions' state, the doctors' caps (doctor rows), the
accounts' and persons' caps (user rows, then the persons' anchor rows), counted once for
the batch; then one bulk insert of the appointments with their operation log and events.
"""

import datetime
from collections import defaultdict

from django.db import transaction
from django.db.models import F, Min

from accounts.models import PatientProfile, User
from appointments.events import AppointmentsBooked
from appointments.ledger.rules import person_restriction, restriction_refusal
from appointments.models import Appointment, BookingTicket
from appointments.services import refusals
from appointments.services.booking import order_no_new
from appointments.services.notify import appointment_notify
from appointments.services.seat_rules import slot_check_bookable
from appointments.services.stock_booking import stock_refusal
from common.errors import DomainError
from common.events import publish
from common.models import OperationLog
from hospitals.models import Doctor
from scheduling.models import BookingRule, ClinicSession, Slot
from scheduling.services import availability_changed

S = Appointment.Status


class Batch:
    """One batch's tickets and what is decided about them, inside the transaction."""

    def __init__(self, tickets: list[BookingTicket], now: datetime.datetime) -> None:
        self.tickets = tickets
        self.now = now
        self.refused: dict[int, DomainError] = {}
        self.seated: set[int] = set()  # tickets whose seat this batch took in the DB

    def live(self) -> list[BookingTicket]:
        return [t for t in self.tickets if t.pk not in self.refused]

    def refuse(self, ticket: BookingTicket, error: DomainError) -> None:
        self.refused.setdefault(ticket.pk, error)


def decide_batched(batch: Batch) -> dict[int, Appointment]:
    tickets = batch.tickets
    profiles = PatientProfile.objects.in_bulk({t.profile_id for t in tickets})
    active_users = set(
        User.objects.filter(
            pk__in={t.user_id for t in tickets}, is_active=True
        ).values_list("pk", flat=True)
    )
    slots = Slot.objects.select_related("session__doctor", "session__hospital").in_bulk(
        {t.slot_id for t in tickets}
    )
    rules = {
        rule.hospital_id: rule
        for rule in BookingRule.objects.filter(
            hospital_id__in={s.session.hospital_id for s in slots.values()}
        )
    }

    def rule_of(slot: Slot) -> BookingRule:
        hospital_id = slot.session.hospital_id
        return rules.get(hospital_id) or BookingRule(hospital_id=hospital_id)

    # The checks that only read.
    for ticket in tickets:
        profile = profiles.get(ticket.profile_id)
        if (
            profile is None
            or profile.user_id != ticket.user_id
            or profile.is_active is not True
            or ticket.user_id not in active_users
        ):
            batch.refuse(ticket, stock_refusal("no_profile"))
            continue
        slot = slots[ticket.slot_id]
        try:
            slot_check_bookable(
                slot=slot, session=slot.session, rule=rule_of(slot), now=batch.now
            )
        except DomainError as error:
            batch.refuse(ticket, error)
    live = batch.live()
    holding = set(
        Appointment.objects.filter(
            holds_seat=True,
            profile_id__in={t.profile_id for t in live},
            session_id__in={t.session_id for t in live},
        ).values_list("profile_id", "session_id")
    )
    for ticket in live:
        pair = (ticket.profile_id, ticket.session_id)
        if pair in holding:
            batch.refuse(ticket, stock_refusal("booked"))
        holding.add(pair)  # a second ticket of the pair in this batch is refused too

    _seats_take(batch, slots)
    _sessions_open_check(batch)
    _doctor_caps_check(batch, slots)
    _person_caps_check(batch, profiles, slots, rule_of)
    _seats_give_back_refused(batch)
    return appointments_insert(batch, profiles, slots, rule_of)


def _seats_take(batch: Batch, slots: dict[int, Slot]) -> None:
    """One conditional UPDATE per slot, in slot order: the final guard. A slot with fewer
    seats than tickets seats the earliest tickets and refuses the rest."""
    by_slot: dict[int, list[BookingTicket]] = defaultdict(list)
    for ticket in batch.live():
        by_slot[ticket.slot_id].append(ticket)
    for slot_id in sorted(by_slot):
        wanted = by_slot[slot_id]
        taken = len(wanted)
        if not Slot.objects.filter(
            pk=slot_id, booked__lte=F("capacity") - taken
        ).update(booked=F("booked") + taken):
            capacity, booked = (
                Slot.objects.select_for_update()
                .filter(pk=slot_id)
                .values_list("capacity", "booked")
                .get()
            )
            taken = max(0, min(taken, capacity - booked))
            if taken:
                Slot.objects.filter(pk=slot_id).update(booked=F("booked") + taken)
        for index, ticket in enumerate(wanted):
            if index < taken:
                batch.seated.add(ticket.pk)
            else:
                batch.refuse(ticket, stock_refusal("full"))
        slots[slot_id].booked += taken


def _sessions_open_check(batch: Batch) -> None:
    """Stop-clinic locks the slots before it changes the status; holding them now, this
    read sees any stop that committed."""
    live = batch.live()
    open_ids = set(
        ClinicSession.objects.filter(
            pk__in={t.session_id for t in live}, status=ClinicSession.Status.OPEN
        ).values_list("pk", flat=True)
    )
    for ticket in live:
        if ticket.session_id not in open_ids:
            batch.refuse(ticket, stock_refusal("stopped"))


def _doctor_caps_check(batch: Batch, slots: dict[int, Slot]) -> None:
    """The doctors' daily caps (appointments/services/doctor_cap.py), each doctor's row
    locked in id order, counted once for the batch."""
    live = [
        t
        for t in batch.live()
        if slots[t.slot_id].session.doctor.max_patients_per_day is not None
    ]
    doctor_ids = sorted({slots[t.slot_id].session.doctor_id for t in live})
    if not doctor_ids:
        return
    caps = dict(
        Doctor.objects.select_for_update()
        .filter(pk__in=doctor_ids)
        .order_by("pk")
        .values_list("pk", "max_patients_per_day")
    )
    dates = {slots[t.slot_id].session.date for t in live}
    taken: dict[tuple[int, datetime.date], int] = defaultdict(int)
    for doctor_id, date in Appointment.objects.filter(
        doctor_id__in=doctor_ids, session__date__in=dates, holds_seat=True
    ).values_list("doctor_id", "session__date"):
        taken[(doctor_id, date)] += 1
    for ticket in live:
        session = slots[ticket.slot_id].session
        cap = caps.get(session.doctor_id)
        if cap is None:
            continue
        key = (session.doctor_id, session.date)
        if taken[key] >= cap:
            batch.refuse(ticket, refusals.doctor_day_full(cap))
        else:
            taken[key] += 1


def _person_caps_check(batch: Batch, profiles, slots, rule_of) -> None:
    """The caps per account-and-person (seat_rules.caps_check), for the batch at once: the
    accounts' rows, then the persons' anchor rows, locked in order; each person's upcoming
    bookings at the hospital read once and counted with this batch's own as it goes. The
    no-show ledger's restriction is decided here too, under the same locks."""
    live = batch.live()
    if not live:
        return
    User.objects.select_for_update().filter(
        pk__in=sorted({t.user_id for t in live})
    ).order_by("pk").values_list("pk").count()
    hashes = sorted({profiles[t.profile_id].id_card_hash for t in live})
    anchors = (
        PatientProfile.objects.filter(id_card_hash__in=hashes)
        .values("id_card_hash")
        .annotate(anchor=Min("pk"))
        .values_list("anchor", flat=True)
    )
    PatientProfile.objects.select_for_update().filter(pk__in=sorted(anchors)).order_by(
        "pk"
    ).values_list("pk").count()
    week = datetime.timedelta(days=6)
    days = [slots[t.slot_id].session.date for t in live]
    dates: dict[tuple[str, int], list[datetime.date]] = defaultdict(list)
    for card, hospital_id, day in Appointment.objects.filter(
        profile__id_card_hash__in=hashes,
        hospital_id__in={slots[t.slot_id].session.hospital_id for t in live},
        status__in=Appointment.UPCOMING,
        session__date__range=(min(days) - week, max(days) + week),
    ).values_list("profile__id_card_hash", "hospital_id", "session__date"):
        dates[(card, hospital_id)].append(day)
    restrictions = {
        (card, hospital_id): person_restriction(
            id_card_hash=card, hospital_id=hospital_id, now=batch.now
        )
        for card, hospital_id in {
            (profiles[t.profile_id].id_card_hash, slots[t.slot_id].session.hospital_id)
            for t in live
        }
    }
    for ticket in live:
        session = slots[ticket.slot_id].session
        # the no-show ledger's restriction (appointments.ledger.rules), members too
        restriction = restrictions[
            (profiles[ticket.profile_id].id_card_hash, session.hospital_id)
        ]
        if restriction is not None:
            batch.refuse(ticket, restriction_refusal(restriction))
            continue
        rule = rule_of(slots[ticket.slot_id])
        person = dates[(profiles[ticket.profile_id].id_card_hash, session.hospital_id)]
        error = refusals.caps_refusal(dates=person, day=session.date, rule=rule)
        if error is not None:
            batch.refuse(ticket, error)
        else:
            person.append(session.date)


def _seats_give_back_refused(batch: Batch) -> None:
    """Seats this batch took for tickets refused afterwards go back, in slot order."""
    back: dict[int, int] = defaultdict(int)
    for ticket in batch.tickets:
        if ticket.pk in batch.refused and ticket.pk in batch.seated:
            back[ticket.slot_id] += 1
            batch.seated.discard(ticket.pk)
    for slot_id in sorted(back):
        Slot.objects.filter(pk=slot_id).update(booked=F("booked") - back[slot_id])


def appointments_insert(
    batch: Batch, profiles, slots, rule_of
) -> dict[int, Appointment]:
    """The accepted tickets' appointments, queue numbers the lowest free from each slot's
    first, inserted at once; their operation log, events and notices."""
    live = batch.live()
    if not live:
        return {}
    used: dict[int, set[int]] = defaultdict(set)
    for session_id, number in Appointment.objects.filter(
        session_id__in={t.session_id for t in live}, holds_seat=True
    ).values_list("session_id", "queue_no"):
        used[session_id].add(number)
    appointments: dict[int, Appointment] = {}
    for ticket in live:
        slot = slots[ticket.slot_id]
        session = slot.session
        number = slot.queue_start
        while number in used[session.pk]:
            number += 1
        used[session.pk].add(number)
        fee = session.fee
        appointments[ticket.pk] = Appointment(
            order_no=order_no_new(batch.now),
            user_id=ticket.user_id,
            profile_id=ticket.profile_id,
            slot_id=slot.pk,
            session_id=session.pk,
            doctor_id=session.doctor_id,
            hospital_id=session.hospital_id,
            status=S.PENDING_PAYMENT if fee > 0 else S.BOOKED,
            fee=fee,
            queue_no=number,
            visit_starts_at=slot.starts_at,
            visit_ends_at=slot.ends_at,
            place=session.place,
            hold_expires_at=(
                batch.now + datetime.timedelta(minutes=rule_of(slot).hold_minutes)
                if fee > 0
                else None
            ),
        )
    created = Appointment.objects.bulk_create(list(appointments.values()))
    if any(a.pk is None for a in created):  # an engine without RETURNING
        by_order = dict(
            Appointment.objects.filter(
                order_no__in=[a.order_no for a in created]
            ).values_list("order_no", "pk")
        )
        for appointment in created:
            appointment.pk = appointment.id = by_order[appointment.order_no]
    OperationLog.objects.bulk_create(
        OperationLog(
            actor_id=a.user_id,
            action="appointment.create",
            object_type=Appointment._meta.label_lower,
            object_id=str(a.pk),
            summary=f"{a.status} slot={a.slot_id} profile={a.profile_id} "
            f"queue={a.queue_no} ticket",
        )
        for a in created
    )
    publish(AppointmentsBooked(appointment_ids=tuple(a.pk for a in created)))
    for appointment in created:
        if appointment.status == S.BOOKED:  # a free slot: confirmed at once
            appointment_notify(appointment=appointment, event="booked")
    for doctor_id in {a.doctor_id for a in created}:
        transaction.on_commit(
            lambda doctor_id=doctor_id: availability_changed(doctor_id=doctor_id)
        )
    return appointments
