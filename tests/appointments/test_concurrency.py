"""Real threads against the real engine: these run on MariaDB/MySQL (CI), skipped on SQLite.

Each thread has its own database connection and transaction, so the row locks, the
conditional UPDATEs and the unique keys are what stop overbooking, not the test.
"""

from collections import Counter
from collections.abc import Callable

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from appointments.models import Appointment
from appointments.services import (
    appointment_book,
    appointment_cancel,
    appointment_expire,
)
from common.errors import Conflict
from common.services import Actor
from scheduling.models import Slot
from tests.accounts.factories import make_id_card_no
from tests.appointments.booking_helpers import booking_job, outcome
from tests.appointments.factories import PatientProfileFactory
from tests.race import needs_row_locks, run_at_once
from tests.scheduling.factories import (
    BookingRuleFactory,
    ClinicSessionFactory,
    SlotFactory,
)

pytestmark = [
    pytest.mark.clock,
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]

ACTOR = Actor.system()


def test_fifty_bookings_of_the_last_seat_give_one_success_and_49_clean_conflicts():
    # given
    slot = SlotFactory(capacity=3, booked=2)
    profiles = [PatientProfileFactory() for _ in range(50)]

    # when
    results = run_at_once([booking_job(p, slot.pk) for p in profiles])

    # then
    assert Counter(outcome(r) for r in results) == {"booked": 1, "slot_full": 49}
    slot.refresh_from_db()
    assert slot.booked == 3
    assert Appointment.objects.filter(slot=slot).count() == 1


def test_two_hundred_patients_racing_for_thirty_seats_book_exactly_thirty():
    # given: 30 seats over 6 slots of one session, 200 patients each trying the first slot
    # that still shows seats, as the mini-program would
    first = SlotFactory(capacity=5)
    slots = [first] + [SlotFactory(session=first.session, capacity=5) for _ in range(5)]
    profiles = [PatientProfileFactory() for _ in range(200)]

    def patient(profile) -> Callable[[], object]:
        def job() -> object:
            for slot in slots:
                try:
                    return booking_job(profile, slot.pk)()
                except Conflict as exc:
                    if exc.code != "slot_full":
                        raise
            return Conflict("slot_full", "sold out")

        return job

    # when
    results = run_at_once([patient(p) for p in profiles])

    # then
    assert Counter(outcome(r) for r in results) == {"booked": 30, "slot_full": 170}
    booked = Appointment.objects.filter(session=first.session)
    assert booked.count() == 30
    assert booked.values("profile").distinct().count() == 30
    assert sorted(booked.values_list("queue_no", flat=True)) == list(range(1, 31))
    for slot in slots:
        slot.refresh_from_db()
        assert (
            slot.booked
            == slot.capacity
            == Appointment.objects.filter(slot=slot).count()
        )


def test_a_cancel_racing_an_expiry_returns_the_seat_once():
    # given: a pending booking whose hold has ended, repeated to give the race many chances
    for _ in range(10):
        slot = SlotFactory(capacity=1)
        profile = PatientProfileFactory()
        appointment = appointment_book(
            actor=ACTOR, user=profile.user, profile=profile, slot=slot
        )
        hold_end = appointment.hold_expires_at

        # when
        results = run_at_once(
            [
                lambda a=appointment, t=hold_end: appointment_cancel(
                    actor=ACTOR,
                    appointment=Appointment.objects.get(pk=a.pk),
                    now=t,
                ),
                lambda a=appointment, t=hold_end: appointment_expire(
                    actor=ACTOR, appointment_id=a.pk, now=t
                ),
            ]
        )

        # then: exactly one of them cancelled it, and the counter went down by one
        cancel_won = isinstance(results[0], Appointment)
        expire_won = results[1] is True
        assert cancel_won != expire_won, results
        slot.refresh_from_db()
        assert slot.booked == 0
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.CANCELLED


def test_the_same_idempotency_key_sent_twice_at_once_books_once():
    # given
    slot = SlotFactory(capacity=5)
    profile = PatientProfileFactory()
    body = {"slot_id": slot.pk, "profile_id": profile.pk}

    def send() -> object:
        client = APIClient()
        client.force_authenticate(profile.user)
        return client.post(
            reverse("api:appointments:book"),
            body,
            format="json",
            HTTP_IDEMPOTENCY_KEY="k-123",
        )

    # when
    responses = run_at_once([send for _ in range(8)])

    # then
    assert [r.status_code for r in responses] == [201] * 8
    assert len({r.json()["id"] for r in responses}) == 1
    slot.refresh_from_db()
    assert slot.booked == 1
    assert Appointment.objects.filter(profile=profile).count() == 1


def test_vips_racing_before_release_take_exactly_the_reserved_share():
    # given: 10 one-seat slots, VIP share 20 % = 2 seats through the priority channel
    import datetime

    from django.utils import timezone

    from tests.accounts.factories import default_levels

    release = timezone.now() + datetime.timedelta(hours=1)
    first = SlotFactory(capacity=1, session__release_at=release)
    slots = [first] + [SlotFactory(session=first.session, capacity=1) for _ in range(9)]
    vip = default_levels()["vip"]  # transaction=True tests start with empty tables
    profiles = [PatientProfileFactory(user__member_level=vip) for _ in range(30)]

    # when: the VIPs spread over the ten one-seat slots, so they do not queue on one row
    results = run_at_once(
        [booking_job(p, slots[i % 10].pk) for i, p in enumerate(profiles)]
    )

    # then
    outcomes = Counter(outcome(r) for r in results)
    assert outcomes["booked"] == 2
    # the rest are refused: the share is taken, or their one-seat slot went to a winner
    assert outcomes["priority_seats_taken"] + outcomes["slot_full"] == 28
    assert (
        Appointment.objects.filter(session=first.session, booked_early=True).count()
        == 2
    )
    assert (
        sum(Slot.objects.filter(session=first.session).values_list("booked", flat=True))
        == 2
    )


def test_one_person_on_many_accounts_racing_cannot_pass_the_daily_cap():
    # given: one booking a day; one ID number on ten accounts, each account trying another
    # doctor's slot on the same day at once
    first = SlotFactory()
    session = first.session
    BookingRuleFactory(
        hospital=session.hospital, max_active_per_day=1, max_active_per_week=4
    )
    slots = [first] + [
        SlotFactory(
            session=ClinicSessionFactory(
                doctor__hospital=session.hospital, date=session.date
            )
        )
        for _ in range(9)
    ]
    id_card_no = make_id_card_no()
    profiles = [PatientProfileFactory(id_card_no=id_card_no) for _ in slots]

    # when
    results = run_at_once(
        [
            booking_job(profile, slot.pk)
            for profile, slot in zip(profiles, slots, strict=True)
        ]
    )

    # then: the person's lock makes the accounts count one after the other
    assert Counter(outcome(r) for r in results) == {
        "booked": 1,
        "daily_limit_reached": 9,
    }
    assert Appointment.objects.count() == 1
    assert sum(Slot.objects.values_list("booked", flat=True)) == 1
