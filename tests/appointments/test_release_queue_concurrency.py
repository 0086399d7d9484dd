"""The release queue under concurrency on the real engines (MariaDB and Redis, CI): one
place per account and per person when many join at once, passes given in place order by
concurrent polls and never beyond the free seats, and a rush of bookings where only
admitted patients win and no slot is overbooked."""

import datetime
from collections import Counter

import pytest

from appointments.models import Appointment, BookingTicket
from appointments.release_queue.place import State
from appointments.services.stock_booking import booking_try_stock
from appointments.services.ticket_writer import tickets_write
from common.errors import Conflict, NotFound
from scheduling.models import Slot
from tests.appointments.booking_helpers import same_person
from tests.appointments.factories import PatientProfileFactory
from tests.appointments.release_queue_helpers import at, hot_session, join, place
from tests.appointments.stock_helpers import needs_redis, stock
from tests.race import needs_row_locks, run_at_once

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
    needs_redis,
]
__all__ = ["stock"]


@pytest.fixture
def pace(settings):
    settings.RELEASE_QUEUE_BURST = 5
    settings.RELEASE_QUEUE_ADMIT_PER_SECOND = 5
    settings.RELEASE_QUEUE_WINDOW_SECONDS = 60


def _join_job(profile, session, now):
    def job():
        try:
            joined, created = join(profile, session, now)
        except (Conflict, NotFound) as exc:
            return exc.code
        return "joined" if created else "held"

    return job


def test_many_joining_at_once_get_one_place_per_account_and_per_person(stock, pace):
    # given: 20 people; each also has a second account (same ID number), and each
    # first account a second profile; all of them try to join at once
    session, _ = hot_session(seats=10)
    people = [PatientProfileFactory() for _ in range(20)]
    twins = [same_person(p) for p in people]
    siblings = [PatientProfileFactory(user=p.user) for p in people]
    now = at(session, -60)

    # when
    results = run_at_once(
        [_join_job(p, session, now) for p in people + twins + siblings + people]
    )

    # then: every place held is the only one of its account and of its person, and
    # every try was a place, the place already held, or one of the two refusals
    assert set(Counter(results)) <= {
        "joined",
        "held",
        "release_queue_person_has_place",
        "release_queue_account_has_place",
    }
    held = {}  # account -> the profile its place is for
    for profile in people + twins:
        mine = place(profile, session, now)
        if mine.state == State.DRAWING:
            held[profile.user_id] = mine.profile_id
    persons = Counter(
        profile.id_card_hash
        for profile in people + twins + siblings
        if held.get(profile.user_id) == profile.pk
    )
    assert persons
    assert max(persons.values()) == 1
    assert Counter(results)["joined"] == len(held)
    # each person got a place through one of their accounts, or their account's
    # place went to the sibling who was quicker
    for person, twin, sibling in zip(people, twins, siblings, strict=True):
        assert (
            held.get(person.user_id) == person.pk or held.get(twin.user_id) == twin.pk
        )
        assert held.get(person.user_id) in (person.pk, sibling.pk, None)


def test_concurrent_polls_admit_places_in_order_and_never_beyond_the_seats(stock, pace):
    # given: 40 waiting for 12 seats
    session, _ = hot_session(seats=6, slots=2)
    profiles = [PatientProfileFactory() for _ in range(40)]
    for profile in profiles:
        join(profile, session, at(session, -30))

    # when: everyone polls at once, at several moments after the release
    for seconds in (0.1, 0.5, 1.0, 1.7, 3.0):
        run_at_once(
            [lambda p=p, s=seconds: place(p, session, at(session, s)) for p in profiles]
        )

    # then: the admitted places are exactly 1..12, the seats
    places = [place(p, session, at(session, 3.0)) for p in profiles]
    assert sorted(p.position for p in places) == list(range(1, 41))
    admitted = sorted(p.position for p in places if p.state == State.ADMITTED)
    assert admitted == list(range(1, 13))
    assert all(p.state == State.WAITING for p in places if p.position > 12)


def _book_job(profile, slot_id, now):
    def job():
        try:
            answer = booking_try_stock(
                user_id=profile.user_id, profile_id=profile.pk, slot_id=slot_id, now=now
            )
        except Conflict as exc:
            return exc.code
        return "queued" if answer is not None else "database"

    return job


def test_a_rush_of_bookings_only_admitted_patients_win_and_nothing_is_overbooked(
    stock, pace, settings
):
    # given: 8 seats; 30 in the queue, 8 admitted; 20 strangers who never joined
    settings.RELEASE_QUEUE_BURST = 30
    # released a moment ago: the writer decides the tickets on the real clock
    session, (slot,) = hot_session(seats=8, release_in=-datetime.timedelta(seconds=20))
    queued = [PatientProfileFactory() for _ in range(30)]
    strangers = [PatientProfileFactory() for _ in range(20)]
    for profile in queued:
        join(profile, session, at(session, -10))
    places = {p.pk: place(p, session, at(session, 1)) for p in queued}
    admitted = [p for p in queued if places[p.pk].state == State.ADMITTED]
    assert len(admitted) == 8

    # when: everyone books at once, twice over
    now = at(session, 2)
    jobs = [_book_job(p, slot.pk, now) for p in queued + strangers + admitted]
    results = run_at_once(jobs)
    while tickets_write(batch_size=16).claimed:
        pass

    # then
    by_profile = Counter()
    for profile, result in zip(queued + strangers + admitted, results, strict=True):
        by_profile[profile.pk, result] += 1
    for profile in admitted:
        # each admitted patient won once; the second try is refused (a full slot is
        # refused before anything about the caller is read)
        assert by_profile[profile.pk, "queued"] == 1
        assert (
            by_profile[profile.pk, "already_booked"]
            + by_profile[profile.pk, "slot_full"]
            == 1
        ), by_profile
    for profile in strangers:  # refused: no place (or, by then, the slot full)
        assert (
            by_profile[profile.pk, "release_queue_required"]
            + by_profile[profile.pk, "slot_full"]
            == 1
        )
    for profile in queued:
        if profile not in admitted:
            assert (
                by_profile[profile.pk, "release_queue_waiting"]
                + by_profile[profile.pk, "slot_full"]
                == 1
            )
    refused = Counter(code for (_, code), n in by_profile.items() for _ in range(n))
    assert refused["release_queue_required"]
    assert refused["release_queue_waiting"]
    slot = Slot.objects.get(pk=slot.pk)
    assert slot.booked == 8 == Appointment.objects.filter(slot=slot).count()
    assert BookingTicket.objects.filter(status="booked").count() == 8
    assert {a.profile_id for a in Appointment.objects.filter(slot=slot)} == {
        p.pk for p in admitted
    }
