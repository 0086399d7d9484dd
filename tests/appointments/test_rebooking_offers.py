"""Rebooking offers after a stop (停诊): which seat, the money, accept, decline, lapse."""

import datetime

import pytest
from django.db import OperationalError, transaction
from django.utils import timezone, translation

from appointments.models import Appointment, Notification, RebookingOffer
from appointments.notifications.messages import local_time_text, message_texts
from appointments.services import rebooking_offers, session_stop
from appointments.services.rebooking_offers import (
    rebooking_offer_accept,
    rebooking_offer_decline,
    rebooking_offers_lapse,
)
from billing.models import PaymentOrder, Refund
from common.errors import Conflict
from common.models import OperationLog
from hospitals.models import Doctor
from tests.appointments.booking_helpers import book
from tests.appointments.offer_helpers import (
    ACTOR,
    later_slot,
    offer_after_stop,
    paid_booking,
    stop,
)
from tests.hospitals.factories import DoctorFactory
from tests.scheduling.factories import SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

S = Appointment.Status
OS = RebookingOffer.Status


@pytest.fixture(autouse=True)
def dev_gateway(settings):
    settings.PAYMENTS_DEV_GATEWAY = True
    settings.REBOOKING_OFFER_HOURS = 4


def test_the_stop_offers_the_same_doctors_next_seat_after_it_commits(
    django_capture_on_commit_callbacks,
):
    stopped = paid_booking()
    doctor = stopped.doctor
    later = later_slot(doctor, capacity=1)
    later_slot(doctor, capacity=1)  # a later one still: not the nearest

    with django_capture_on_commit_callbacks(execute=True):
        session_stop(actor=ACTOR, session=stopped.session, reason="医生出差")

    offer = RebookingOffer.objects.get(appointment=stopped)
    assert offer.slot == later
    assert offer.status == OS.OPEN
    assert offer.fee_waived is True
    assert offer.expires_at - offer.created_at < datetime.timedelta(hours=4, seconds=5)
    assert offer.expires_at - offer.created_at > datetime.timedelta(hours=3, minutes=59)
    later.refresh_from_db()
    assert later.booked == 1  # held: nobody else can book it
    # the refund was made at the stop, as before
    assert Refund.objects.get(order__appointment=stopped).amount == 1500
    assert OperationLog.objects.filter(action="rebooking_offer.create").count() == 1


def test_a_peer_of_the_same_department_and_title_when_the_doctor_has_none():
    stopped = paid_booking()
    doctor = stopped.doctor
    later_slot(doctor, capacity=1, booked=1)  # the doctor's only later slot is full
    other_title = DoctorFactory(
        hospital=doctor.hospital,
        department=doctor.department,
        title=Doctor.Title.CHIEF,
    )
    later_slot(other_title, capacity=3)
    peer = DoctorFactory(
        hospital=doctor.hospital, department=doctor.department, title=doctor.title
    )
    peer_slot = later_slot(peer, capacity=3)
    elsewhere = DoctorFactory(hospital=doctor.hospital, title=doctor.title)
    later_slot(elsewhere, capacity=3)

    [offer] = offer_after_stop(stop(stopped.session))

    assert offer.slot == peer_slot


def test_no_equivalent_seat_no_offer():
    stopped = paid_booking()
    later_slot(stopped.doctor, capacity=2, booked=2)

    assert offer_after_stop(stop(stopped.session)) == []
    assert not RebookingOffer.objects.exists()


def test_n_patients_and_m_free_seats_make_m_offers_on_distinct_seats():
    slot = SlotFactory(capacity=5, session__fee=0)
    for _ in range(5):
        book(slot)
    seats = [later_slot(slot.session.doctor, capacity=1) for _ in range(3)]

    offers = offer_after_stop(stop(slot.session))

    assert len(offers) == 3
    assert sorted(o.slot_id for o in offers) == sorted(s.pk for s in seats)
    for seat in seats:
        seat.refresh_from_db()
        assert seat.booked == 1


def test_accept_books_the_held_seat_with_the_fee_waived_and_no_new_charge():
    stopped = paid_booking()
    later = later_slot(stopped.doctor, capacity=1)
    [offer] = offer_after_stop(stop(stopped.session))
    orders_before = PaymentOrder.objects.count()

    booking = rebooking_offer_accept(actor=ACTOR, offer=offer)

    assert booking.status == S.BOOKED
    assert booking.fee == 0
    assert booking.slot == later
    assert booking.profile_id == stopped.profile_id
    assert PaymentOrder.objects.count() == orders_before  # nothing to pay
    assert Refund.objects.filter(order__appointment=stopped).count() == 1  # once
    later.refresh_from_db()
    assert later.booked == 1  # the held seat, not a second one
    offer.refresh_from_db()
    assert offer.status == OS.ACCEPTED
    assert offer.new_appointment == booking
    with pytest.raises(Conflict) as again:
        rebooking_offer_accept(actor=ACTOR, offer=offer)
    assert again.value.code == "rebooking_offer_closed"


def test_an_unpaid_holds_offer_accepted_owes_the_fee():
    slot = SlotFactory(capacity=1, session__fee=1500, session__doctor__fee=1500)
    pending = book(slot)
    later_slot(slot.session.doctor, capacity=1)
    [offer] = offer_after_stop(stop(slot.session))

    booking = rebooking_offer_accept(actor=ACTOR, offer=offer)

    assert offer.fee_waived is False
    assert booking.status == S.PENDING_PAYMENT
    assert booking.fee == 1500
    assert pending.pk != booking.pk


def test_decline_returns_the_seat_once():
    stopped = paid_booking()
    later = later_slot(stopped.doctor, capacity=1)
    [offer] = offer_after_stop(stop(stopped.session))

    rebooking_offer_decline(actor=ACTOR, offer=offer)

    later.refresh_from_db()
    assert later.booked == 0
    offer.refresh_from_db()
    assert offer.status == OS.DECLINED
    with pytest.raises(Conflict):
        rebooking_offer_decline(actor=ACTOR, offer=offer)
    later.refresh_from_db()
    assert later.booked == 0
    assert Refund.objects.filter(order__appointment=stopped).count() == 1


def test_an_unanswered_offer_lapses_and_its_seat_returns_once():
    stopped = paid_booking()
    later = later_slot(stopped.doctor, capacity=1)
    [offer] = offer_after_stop(stop(stopped.session))
    after = timezone.now() + datetime.timedelta(hours=4, seconds=1)

    assert rebooking_offers_lapse(now=timezone.now()) == 0  # not yet
    with pytest.raises(Conflict):
        rebooking_offer_accept(actor=ACTOR, offer=offer, now=after)
    assert rebooking_offers_lapse(now=after) == 1
    assert rebooking_offers_lapse(now=after) == 0

    later.refresh_from_db()
    assert later.booked == 0
    offer.refresh_from_db()
    assert offer.status == OS.LAPSED
    assert OperationLog.objects.filter(action="rebooking_offer.lapse").count() == 1


def test_a_patient_who_booked_the_offered_session_meanwhile_cannot_accept():
    stopped = paid_booking()
    later = later_slot(stopped.doctor, capacity=2)
    [offer] = offer_after_stop(stop(stopped.session))
    book(later, profile=stopped.profile)

    with pytest.raises(Conflict) as refused:
        rebooking_offer_accept(actor=ACTOR, offer=offer)

    assert refused.value.code == "already_booked"
    offer.refresh_from_db()
    assert offer.status == OS.OPEN  # still declinable; its seat still held


def _offer_notices():
    return Notification.objects.filter(event=Notification.Event.REBOOKING_OFFERED)


def test_stopping_a_session_notifies_each_offer_once_and_nobody_left_without_one(
    django_capture_on_commit_callbacks,
):
    # given: five patients of a session, three later seats of the doctor
    slot = SlotFactory(capacity=5, session__fee=0)
    stopped = [book(slot) for _ in range(5)]
    for _ in range(3):
        later_slot(slot.session.doctor, capacity=1)

    # when: the stop commits, and its offers are made after it
    with django_capture_on_commit_callbacks(execute=True):
        session_stop(actor=ACTOR, session=slot.session, reason="医生出差")

    # then: one notice per offer, to the offer's patient, about the offered seat
    offers = list(RebookingOffer.objects.select_related("slot", "appointment"))
    assert len(offers) == 3
    notices = list(_offer_notices())
    assert sorted(n.appointment_id for n in notices) == sorted(
        o.appointment_id for o in offers
    )
    for offer in offers:
        notice = _offer_notices().get(appointment_id=offer.appointment_id)
        assert notice.user_id == offer.appointment.user_id
        assert notice.profile_id == offer.appointment.profile_id
        assert notice.dedupe_key == f"rebooking_offer:{offer.pk}:offered"
        assert notice.page == "pages/rebooking-offers/index"
        assert notice.context["visit_time"] == local_time_text(offer.slot.starts_at)
        assert notice.context["hold_until"] == local_time_text(offer.expires_at)
        assert local_time_text(offer.slot.starts_at) in notice.body
        assert local_time_text(offer.expires_at) in notice.body
    without = {a.pk for a in stopped} - {o.appointment_id for o in offers}
    assert len(without) == 2
    assert not _offer_notices().filter(appointment_id__in=without).exists()
    # the stop's own notice still goes to everyone
    assert Notification.objects.filter(event="stop_clinic").count() == 5


def test_the_offer_notice_says_who_when_until_when_and_that_accepting_costs_nothing(
    settings,
):
    # important enough to be texted when WeChat cannot deliver it, like the stop
    assert settings.NOTIFICATIONS["EVENTS"]["rebooking_offered"]["sms"] is True
    stopped = paid_booking()
    later = later_slot(stopped.doctor, capacity=1)

    with translation.override("en"):
        [offer] = offer_after_stop(stop(stopped.session))
    notice = _offer_notices().get()
    assert notice.title == "A new time held for you"
    assert stopped.doctor.name in notice.body
    assert f"at {local_time_text(later.starts_at)}" in notice.body
    assert f"until {local_time_text(offer.expires_at)}" in notice.body
    assert "Accepting it costs nothing" in notice.body

    # the same notice in Chinese
    with translation.override("zh-hans"):
        title, body = message_texts(notice.event, notice.context)
    assert title == "已为您保留新的就诊时间"
    assert "接受无需任何费用" in body
    assert local_time_text(offer.expires_at) in body


def test_an_unpaid_holds_offer_notice_names_the_usual_fee():
    slot = SlotFactory(capacity=1, session__fee=1500, session__doctor__fee=1500)
    book(slot)
    later_slot(slot.session.doctor, capacity=1, session__fee=1500)

    with translation.override("en"):
        [offer] = offer_after_stop(stop(slot.session))

    body = _offer_notices().get(appointment=offer.appointment).body
    assert "costs nothing extra" in body
    assert "usual fee of 15.00 yuan" in body


def _stop_then_fail(session):
    with transaction.atomic():
        session_stop(actor=ACTOR, session=session, reason="医生出差")
        raise RuntimeError("the stop fails after it was written")


def test_no_offer_no_notice_and_a_rolled_back_stop_sends_nothing(
    django_capture_on_commit_callbacks,
):
    full = paid_booking()
    later_slot(full.doctor, capacity=2, booked=2)
    assert offer_after_stop(stop(full.session)) == []
    assert not _offer_notices().exists()

    stopped = paid_booking()
    later_slot(stopped.doctor, capacity=1)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        _stop_then_fail(stopped.session)
    assert not RebookingOffer.objects.exists()
    assert not _offer_notices().exists()


def test_an_offer_that_rolls_back_takes_its_notice_with_it(monkeypatch):
    """The notice is written in the offer's transaction (the outbox): an offer that
    fails after its notice was written leaves neither, and its seat is not held."""
    stopped = paid_booking()
    later = later_slot(stopped.doctor, capacity=1)
    paid = stop(stopped.session)
    real_notify = rebooking_offers.rebooking_offer_notify
    written = []

    def notify_then_fail(**kwargs):
        written.append(real_notify(**kwargs))
        raise OperationalError(1205, "Lock wait timeout exceeded")

    monkeypatch.setattr(rebooking_offers, "rebooking_offer_notify", notify_then_fail)
    with pytest.raises(OperationalError):
        offer_after_stop(paid)

    assert len(written) == 3  # written at each attempt, rolled back with it
    assert all(written)
    assert not RebookingOffer.objects.exists()
    assert not _offer_notices().exists()
    later.refresh_from_db()
    assert later.booked == 0
