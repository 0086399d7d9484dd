"""The release queue (排队放号) on a real Redis: the waiting room, the fair draw, admission
at a pace and never beyond the free seats, passes and their window, one place per account
and per person, leaving, and the booking gate on both booking paths."""

import datetime
import random

import pytest
from django.utils import timezone

from appointments.models import Notification
from appointments.release_queue.place import State
from appointments.release_queue.schedule import fair_order
from appointments.release_queue.services import release_queue_leave
from appointments.release_queue.store import queue_draw, queue_join
from appointments.services.stock_booking import booking_try_stock
from common.errors import Conflict, NotFound
from common.models import OperationLog
from tests.appointments.booking_helpers import book, same_person
from tests.appointments.factories import PatientProfileFactory
from tests.appointments.release_queue_helpers import (
    at,
    hot_session,
    join,
    pace_set,
    place,
)
from tests.appointments.stock_helpers import needs_redis, stock
from tests.appointments.test_ledger import no_show
from tests.hospitals.factories import DoctorFactory

pytestmark = [pytest.mark.django_db, needs_redis]
__all__ = ["stock"]


@pytest.fixture
def pace(settings):
    pace_set(settings, burst=2, rate=1)


def _refusal(fn, *args, **kwargs) -> str:
    with pytest.raises((Conflict, NotFound)) as caught:
        fn(*args, **kwargs)
    return caught.value.code


def test_the_waiting_room_opens_before_the_release_and_places_are_drawn_at_it(
    stock, pace
):
    # given: 6 patients waiting before the release
    session, _ = hot_session(seats=10)
    profiles = [PatientProfileFactory() for _ in range(6)]
    assert (
        _refusal(join, profiles[0], session, at(session, -31 * 60))
        == "release_queue_not_open"
    )
    for profile in profiles:
        joined, created = join(profile, session, at(session, -60))
        assert created
        assert joined.state == State.DRAWING
    assert place(profiles[0], session, at(session, -30)).waiting_room == 6

    # when: the first poll after the release
    first = place(profiles[0], session, at(session, 0.5))

    # then: six places, in some order; two admitted at once (the burst)
    places = [place(p, session, at(session, 0.5)) for p in profiles]
    assert sorted(p.position for p in places) == [1, 2, 3, 4, 5, 6]
    admitted = [p.position for p in places if p.state == State.ADMITTED]
    assert sorted(admitted) == [1, 2]
    assert first.places == 6
    assert OperationLog.objects.filter(action="release_queue_draw").count() == 1

    # and one more each second after
    later = [place(p, session, at(session, 2.6)) for p in profiles]
    assert sorted(p.position for p in later if p.state == State.ADMITTED) == [
        1,
        2,
        3,
        4,
    ]
    waiting = [p for p in later if p.state == State.WAITING]
    assert {p.ahead for p in waiting} == {0, 1}
    assert all(p.estimated_wait_seconds >= 1 for p in waiting)


def test_the_draw_is_the_fair_order_and_latecomers_follow_in_arrival_order(stock, pace):
    # given: 8 waiting before the release, 3 arriving after it
    session, _ = hot_session(seats=20)
    early = [PatientProfileFactory() for _ in range(8)]
    late = [PatientProfileFactory() for _ in range(3)]
    for profile in early:
        join(profile, session, at(session, -5))
    # after the release, before anyone's poll drew the places (the store alone: the
    # service's answer would draw)
    queue_join(
        session_id=session.pk,
        member=late[0].user_id,
        person=late[0].id_card_hash,
        profile_id=late[0].pk,
        now=at(session, 0.1).timestamp(),
    )

    # when: drawn with a known generator
    assert queue_draw(session_id=session.pk, now=at(session, 0.2).timestamp(),
                      rng=random.Random(7)) == 9  # fmt: skip
    join(late[1], session, at(session, 0.3))
    join(late[2], session, at(session, 0.4))

    # then
    expected = fair_order([str(p.user_id) for p in early], random.Random(7))
    positions = {
        str(p.user_id): place(p, session, at(session, 0.5)).position
        for p in early + late
    }
    assert sorted(positions, key=positions.get) == expected + [
        str(p.user_id) for p in late
    ]


def test_admission_never_exceeds_the_free_seats(stock, pace, settings):
    # given: 3 seats, 10 waiting, a burst that alone would admit 10
    settings.RELEASE_QUEUE_BURST = 10
    session, _ = hot_session(seats=3)
    profiles = [PatientProfileFactory() for _ in range(10)]
    for profile in profiles:
        join(profile, session, at(session, -5))

    # when
    places = [place(p, session, at(session, 1)) for p in profiles]

    # then: three passes; the others wait, told a seat is unlikely
    assert sum(p.state == State.ADMITTED for p in places) == 3
    waiting = [p for p in places if p.state == State.WAITING]
    assert len(waiting) == 7
    assert not any(p.likely_seat for p in waiting)


def test_an_admitted_patient_books_and_the_next_is_admitted_when_a_pass_lapses(
    stock, pace, settings
):
    # given: 1 seat, 2 waiting
    settings.RELEASE_QUEUE_BURST = 5
    session, (slot,) = hot_session(seats=2)
    first, second, third = (PatientProfileFactory() for _ in range(3))
    for profile in (first, second, third):
        join(profile, session, at(session, -5))
    places = {p.pk: place(p, session, at(session, 1)) for p in (first, second, third)}
    order = sorted((first, second, third), key=lambda p: places[p.pk].position)
    assert [places[p.pk].state for p in order] == ["admitted", "admitted", "waiting"]

    # when: the first books through the stock; the second lets the window pass
    answer = booking_try_stock(
        user_id=order[0].user_id,
        profile_id=order[0].pk,
        slot_id=slot.pk,
        now=at(session, 5),
    )
    assert answer is not None
    assert answer.status == "queued"
    assert place(order[0], session, at(session, 6)).state == State.BOOKED

    # then: once the second's pass lapses, its seat goes to the third
    assert place(order[2], session, at(session, 30)).state == State.WAITING
    assert place(order[1], session, at(session, 62)).state == State.LAPSED
    assert place(order[2], session, at(session, 62)).state == State.ADMITTED
    assert (
        _refusal(
            booking_try_stock,
            user_id=order[1].user_id,
            profile_id=order[1].pk,
            slot_id=slot.pk,
            now=at(session, 63),
        )
        == "release_queue_pass_lapsed"
    )


def test_the_stock_refuses_a_booking_without_a_live_pass_of_ones_own(
    stock, pace, settings
):
    # given: one waiting before the release (place 1, admitted at once), three after
    settings.RELEASE_QUEUE_BURST = 1
    session, (slot,) = hot_session(seats=5)
    stranger = PatientProfileFactory()
    holder = PatientProfileFactory()
    relative = PatientProfileFactory(user=holder.user)
    join(holder, session, at(session, -5))
    behind = [PatientProfileFactory() for _ in range(3)]
    for profile in behind:
        join(profile, session, at(session, 0.1))

    def try_book(profile):
        return _refusal(
            booking_try_stock,
            user_id=profile.user_id,
            profile_id=profile.pk,
            slot_id=slot.pk,
            now=at(session, 0.5),
        )

    # when: the first poll after the release draws and admits place 1
    assert place(holder, session, at(session, 0.5)).state == State.ADMITTED
    assert [place(p, session, at(session, 0.5)).position for p in behind] == [2, 3, 4]

    # then
    assert try_book(stranger) == "release_queue_required"
    assert try_book(behind[-1]) == "release_queue_waiting"
    assert try_book(relative) == "release_queue_place_not_transferable"


def test_one_place_per_account_and_per_person(stock, pace):
    # given
    session, _ = hot_session()
    profile = PatientProfileFactory()
    sibling = PatientProfileFactory(user=profile.user)
    twin_account = same_person(profile)  # the same ID number, another account

    # when
    _, created = join(profile, session, at(session, -60))
    again, created_again = join(profile, session, at(session, -59))

    # then
    assert created
    assert not created_again
    assert again.profile_id == profile.pk
    assert (
        _refusal(join, sibling, session, at(session, -58))
        == "release_queue_account_has_place"
    )
    assert (
        _refusal(join, twin_account, session, at(session, -57))
        == "release_queue_person_has_place"
    )

    # and leaving frees both: the person joins again through the other account
    release_queue_leave(user_id=profile.user_id, session_id=session.pk)
    _, created = join(twin_account, session, at(session, -56))
    assert created
    assert (
        _refusal(release_queue_leave, user_id=profile.user_id, session_id=session.pk)
        == "release_queue_not_joined"
    )


def test_a_session_outside_the_queue_and_the_gate_after_it_closes(stock, pace):
    # given
    session, (slot,) = hot_session()
    session.release_queue = False
    session.save()
    profile = PatientProfileFactory()

    # then: off
    assert place(profile, session, at(session, -60)).state == State.OFF
    assert _refusal(join, profile, session, at(session, -60)) == "release_queue_off"

    # and, in the queue, after the gate closes anyone books as usual
    session.release_queue = True
    session.save()
    assert place(profile, session, at(session, 30 * 60 + 1)).state == State.CLOSED
    assert _refusal(join, profile, session, at(session, 30 * 60 + 1)) == (
        "release_queue_closed"
    )
    appointment = book(slot, profile, now=at(session, 30 * 60 + 2))
    assert appointment.pk


def test_the_database_path_checks_the_pass_and_uses_it(
    stock, pace, django_capture_on_commit_callbacks
):
    # given: the session not loaded in the stock's TAKE sense (the queue not
    # prepared), a patient who never joined
    session, (slot,) = hot_session(seats=3)
    stranger = PatientProfileFactory()
    assert (
        _refusal(book, slot, stranger, now=at(session, 1)) == "release_queue_required"
    )

    # when: a patient joins, is admitted, books through the database path
    holder = PatientProfileFactory()
    join(holder, session, at(session, -5))
    assert place(holder, session, at(session, 1)).state == State.ADMITTED
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(slot, holder, now=at(session, 2))

    # then
    assert appointment.pk
    assert place(holder, session, at(session, 3)).state == State.BOOKED


def test_a_restricted_person_cannot_join(stock, pace):
    # given: three no-shows at the hospital (its default rule restricts)
    session, _ = hot_session()
    other = DoctorFactory(hospital=session.hospital)
    profile = PatientProfileFactory()
    for days in (3, 4, 5):
        no_show(profile, other, days)

    # then
    assert _refusal(join, profile, session, at(session, -60)) == "booking_restricted"


def test_each_place_admitted_gets_one_notice_of_its_turn(stock, pace, settings):
    # given: 3 waiting, a burst of 2
    session, _ = hot_session(seats=10)
    profiles = [PatientProfileFactory() for _ in range(3)]
    for profile in profiles:
        join(profile, session, at(session, -60))

    # when: polled at the release, and again (nobody new admitted), then a second later
    place(profiles[0], session, at(session, 0.5))
    place(profiles[1], session, at(session, 0.6))
    first_two = set(
        Notification.objects.filter(event="release_queue_admitted").values_list(
            "user_id", flat=True
        )
    )
    place(profiles[2], session, at(session, 1.7))

    # then: two notices at the release, one more when the third was admitted
    notices = Notification.objects.filter(event="release_queue_admitted")
    assert len(first_two) == 2
    assert notices.count() == 3
    assert {n.user_id for n in notices} == {p.user_id for p in profiles}
    notice = notices.get(user_id=profiles[2].user_id)
    assert notice.profile_id == profiles[2].pk
    assert notice.page == f"pages/release-queue/index?session={session.pk}"
    assert session.doctor.name in notice.body
    assert profiles[2].name in notice.body


def test_too_early_says_when_the_waiting_room_opens_in_the_hospitals_time(stock, pace):
    session, _ = hot_session()
    profile = PatientProfileFactory()
    opens = timezone.localtime(session.release_at - datetime.timedelta(minutes=30))

    with pytest.raises(Conflict) as refused:
        join(profile, session, at(session, -31 * 60))

    assert refused.value.code == "release_queue_not_open"
    assert f"{opens:%Y-%m-%d %H:%M}" in str(refused.value.message)
