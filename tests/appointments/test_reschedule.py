"""Rescheduling (改约) through the API: POST appointments/<id>/reschedule/ {"slot_id"}.

The booking keeps its row and id; the target slot follows booking's rules with the moved
booking never counted against itself; every refusal leaves seats, the appointment and the
orders as they were.
"""

import datetime
import itertools

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import MemberLevel
from appointments.models import Appointment, Notification, Reminder, WaitlistEntry
from appointments.services import appointment_book, appointment_cancel, waitlist_join
from billing.models import PaymentOrder, Refund
from billing.services.notifications import payment_order_dev_pay
from billing.services.orders import payment_order_open
from billing.services.settlement import holds_expire
from common.errors import Conflict
from common.models import OperationLog
from common.services import Actor
from scheduling.models import ClinicSession, Slot
from tests.appointments.factories import PatientProfileFactory
from tests.hospitals.factories import DoctorFactory
from tests.scheduling.conftest import MONDAY, at
from tests.scheduling.factories import BookingRuleFactory, SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
S = Appointment.Status


def url(appointment) -> str:
    return reverse(
        "api:appointments:reschedule", kwargs={"appointment_id": appointment.pk}
    )


def detail(appointment) -> str:
    return reverse("api:appointments:detail", kwargs={"appointment_id": appointment.pk})


def book(profile, slot, **kwargs) -> Appointment:
    return appointment_book(
        actor=ACTOR, user=profile.user, profile=profile, slot=slot, **kwargs
    )


def pay(appointment) -> PaymentOrder:
    order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    payment_order_dev_pay(order=order, actor=ACTOR)
    order.refresh_from_db()
    return order


def member(profile, code: str):
    profile.user.member_level = MemberLevel.objects.get(code=code)
    profile.user.save(update_fields=["member_level"])
    return profile


@pytest.fixture(autouse=True)
def _dev_gateway(settings):
    """The development payment channel pays and refunds at once (no network)."""
    settings.PAYMENTS_DEV_GATEWAY = True


@pytest.fixture
def profile():
    return PatientProfileFactory()


@pytest.fixture
def client(api_client, profile):
    api_client.force_authenticate(profile.user)
    return api_client


@pytest.fixture
def doctor():
    return DoctorFactory(fee=2000)


@pytest.fixture
def slot(doctor):
    return SlotFactory(session__doctor=doctor)


_days = itertools.count(3)


def elsewhere(doctor, **kwargs) -> Slot:
    """A slot of `doctor` in a session of its own, on a later day than any before."""
    date = timezone.localdate() + datetime.timedelta(days=next(_days))
    return SlotFactory(session__doctor=doctor, session__date=date, **kwargs)


def state(appointment) -> dict:
    """What a refusal must leave as it was."""
    appointment.refresh_from_db()
    return {
        "appointment": {
            f: getattr(appointment, f)
            for f in (
                "status",
                "slot_id",
                "session_id",
                "doctor_id",
                "queue_no",
                "fee",
                "visit_starts_at",
                "hold_expires_at",
            )
        },
        "seats": dict(Slot.objects.values_list("pk", "booked")),
        "orders": list(
            PaymentOrder.objects.values_list(
                "pk", "status", "amount", "refunded_amount"
            )
        ),
        "refunds": Refund.objects.count(),
        "notifications": Notification.objects.filter(event="rescheduled").count(),
    }


# -- moves -----------------------------------------------------------------------------------


def test_moves_the_booking_to_another_slot_of_the_doctor_and_answers_its_detail(
    client, profile, slot, django_capture_on_commit_callbacks
):
    appointment = book(profile, slot)
    target = elsewhere(slot.session.doctor)
    old_time = timezone.localtime(appointment.visit_starts_at)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == client.get(detail(appointment)).json()
    body = response.json()
    assert body["id"] == appointment.pk
    assert datetime.datetime.fromisoformat(body["visit_starts_at"]) == target.starts_at
    appointment.refresh_from_db()
    assert (appointment.slot_id, appointment.session_id) == (
        target.pk,
        target.session_id,
    )
    assert appointment.visit_starts_at == target.starts_at
    assert appointment.status == S.PENDING_PAYMENT
    assert appointment.order_no == body["order_no"]
    assert Slot.objects.get(pk=slot.pk).booked == 0
    assert Slot.objects.get(pk=target.pk).booked == 1
    [message] = Notification.objects.filter(
        event="rescheduled", appointment=appointment
    )
    assert message.title == "Appointment rescheduled"
    assert old_time.strftime("%Y-%m-%d %H:%M") in message.body
    assert (
        timezone.localtime(target.starts_at).strftime("%Y-%m-%d %H:%M") in message.body
    )
    log = OperationLog.objects.filter(action="appointment.rescheduled").get()
    assert log.object_id == str(appointment.pk)
    assert f"slot {slot.pk} -> {target.pk}" in log.summary


def test_another_doctor_of_the_same_department_is_allowed(client, profile, slot):
    appointment = book(profile, slot)
    colleague = DoctorFactory(department=slot.session.doctor.department, fee=2000)
    target = SlotFactory(session__doctor=colleague)

    response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["doctor"]["id"] == colleague.pk
    appointment.refresh_from_db()
    assert appointment.doctor_id == colleague.pk


def test_a_move_within_the_session_and_day_is_not_counted_against_itself(
    client, profile, doctor
):
    # the doctor sees one patient a day, the patient may have one booking a day: the
    # booking being moved is that one
    doctor.max_patients_per_day = 1
    doctor.save(update_fields=["max_patients_per_day"])
    slot = SlotFactory(session__doctor=doctor)
    BookingRuleFactory(
        hospital=doctor.hospital, max_active_per_day=1, max_active_per_week=1
    )
    target = SlotFactory(session=slot.session)
    appointment = book(profile, slot)

    response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 200, response.json()
    appointment.refresh_from_db()
    assert appointment.slot_id == target.pk
    assert appointment.queue_no >= target.queue_start


def test_reminders_are_planned_again_for_the_new_time(
    client, profile, doctor, django_capture_on_commit_callbacks
):
    # a free booking tomorrow whose reminders were planned for the old time
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    slot = SlotFactory(session__doctor=doctor, session__fee=0, session__date=tomorrow)
    target = SlotFactory(session=slot.session)
    appointment = book(profile, slot)
    assert appointment.status == S.BOOKED
    Reminder.objects.create(
        appointment=appointment,
        kind=Reminder.Kind.HOURS_BEFORE,
        due_at=appointment.visit_starts_at - datetime.timedelta(hours=2),
        status=Reminder.Status.SENT,
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 200
    hours = Reminder.objects.get(appointment=appointment, kind="hours_before")
    assert hours.due_at == target.starts_at - datetime.timedelta(hours=2)
    assert hours.status == Reminder.Status.PENDING
    assert Reminder.objects.filter(appointment=appointment).count() == 2


# -- who and what may be moved ---------------------------------------------------------------


def test_another_patients_booking_answers_404_and_stays(api_client, profile, slot):
    appointment = book(profile, slot)
    target = elsewhere(slot.session.doctor)
    before = state(appointment)
    api_client.force_authenticate(PatientProfileFactory().user)

    response = api_client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "appointment_not_found"
    assert state(appointment) == before


@pytest.mark.parametrize(
    ("payload", "status_code", "code"),
    [
        ({}, 400, "invalid"),
        ({"slot_id": "x"}, 400, "invalid"),
        ({"slot_id": 0}, 400, "invalid"),
        ({"slot_id": 999999}, 404, "slot_not_found"),
    ],
)
def test_bad_input_is_refused_in_the_error_shape(
    client, profile, slot, payload, status_code, code
):
    appointment = book(profile, slot)
    before = state(appointment)

    response = client.post(url(appointment), payload, format="json")

    assert response.status_code == status_code
    assert response.json()["error"]["code"] == code
    assert state(appointment) == before


def _same_slot(slot, appointment, profile):
    return slot


def _other_department(slot, appointment, profile):
    return SlotFactory(session__doctor=DoctorFactory(hospital=slot.session.hospital))


def _other_hospital(slot, appointment, profile):
    return SlotFactory()


def _full(slot, appointment, profile):
    return elsewhere(slot.session.doctor, capacity=2, booked=2)


def _stopped(slot, appointment, profile):
    return elsewhere(slot.session.doctor, session__status=ClinicSession.Status.STOPPED)


def _past_booking_cutoff(slot, appointment, profile):
    soon = timezone.now() + datetime.timedelta(minutes=5)
    return SlotFactory(
        session__doctor=slot.session.doctor,
        session__date=timezone.localdate(soon),
        starts_at=soon,
        ends_at=soon + datetime.timedelta(minutes=30),
    )


def _already_booked_there(slot, appointment, profile):
    other = elsewhere(slot.session.doctor)
    target = SlotFactory(session=other.session)
    book(profile, other)
    return target


def _doctor_day_full(slot, appointment, profile):
    colleague = DoctorFactory(
        department=slot.session.doctor.department, max_patients_per_day=1
    )
    target = SlotFactory(session__doctor=colleague)
    book(PatientProfileFactory(), SlotFactory(session=target.session))
    assert target.session.date == slot.session.date
    return target


def _cancelled(slot, appointment, profile):
    appointment_cancel(actor=ACTOR, appointment=appointment)
    return elsewhere(slot.session.doctor)


def _not_released(slot, appointment, profile):
    return elsewhere(
        slot.session.doctor,
        session__release_at=timezone.now() + datetime.timedelta(days=1),
    )


@pytest.mark.parametrize(
    ("make_target", "status_code", "code"),
    [
        (_same_slot, 409, "reschedule_same_slot"),
        (_other_department, 409, "reschedule_other_department"),
        (_other_hospital, 409, "reschedule_other_department"),
        (_full, 409, "slot_full"),
        (_stopped, 409, "session_stopped"),
        (_past_booking_cutoff, 409, "booking_closed"),
        (_already_booked_there, 409, "already_booked"),
        (_doctor_day_full, 409, "doctor_daily_limit_reached"),
        (_cancelled, 409, "reschedule_not_allowed"),
        (_not_released, 409, "not_released_yet"),
    ],
)
def test_refusals_answer_their_code_and_change_nothing(
    client, profile, slot, make_target, status_code, code
):
    appointment = book(profile, slot)
    target = make_target(slot, appointment, profile)
    before = state(appointment)

    response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == status_code, response.json()
    assert response.json()["error"]["code"] == code
    assert state(appointment) == before


def test_past_the_patients_cancel_deadline_it_cannot_be_moved(client, profile):
    # cancelling closes 120 minutes before the visit; the visit is in 90
    soon = timezone.now() + datetime.timedelta(minutes=90)
    slot = SlotFactory(
        session__date=timezone.localdate(soon),
        starts_at=soon,
        ends_at=soon + datetime.timedelta(minutes=30),
        session__fee=0,
    )
    BookingRuleFactory(
        hospital=slot.session.hospital,
        cancel_deadline_minutes=120,
        cutoff_minutes=0,
    )
    appointment = book(profile, slot)
    target = elsewhere(slot.session.doctor)
    before = state(appointment)

    response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "reschedule_deadline_passed"
    assert state(appointment) == before


def test_the_daily_cap_counts_the_patients_other_bookings(client, profile, doctor):
    BookingRuleFactory(hospital=doctor.hospital, max_active_per_day=1)
    slot = SlotFactory(session__doctor=doctor)
    appointment = book(profile, slot)
    next_day = slot.session.date + datetime.timedelta(days=1)
    book(profile, SlotFactory(session__doctor=doctor, session__date=next_day))
    colleague = DoctorFactory(department=doctor.department)
    target = SlotFactory(session__doctor=colleague, session__date=next_day)
    before = state(appointment)

    response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "daily_limit_reached"
    assert state(appointment) == before


def test_the_weekly_cap_counts_without_the_booking_being_moved(client, profile, doctor):
    # three bookings in seven days is the cap: the patient holds three, and moves one
    BookingRuleFactory(hospital=doctor.hospital, max_active_per_week=3)
    day = datetime.timedelta(days=1)
    slot = SlotFactory(session__doctor=doctor)
    appointment = book(profile, slot)
    for n in (1, 2):
        book(
            profile,
            SlotFactory(
                session__doctor=doctor, session__date=slot.session.date + n * day
            ),
        )
    target = SlotFactory(
        session__doctor=doctor, session__date=slot.session.date + 3 * day
    )

    response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert (
        Appointment.objects.filter(
            profile=profile, status__in=Appointment.UPCOMING
        ).count()
        == 3
    )


# -- members' early seats -------------------------------------------------------------------


@pytest.fixture
def unreleased(doctor):
    """A slot of the doctor released Tuesday 08:00; a VIP may book from Monday 08:00."""
    day = datetime.timedelta(days=1)
    with time_machine.travel(at(MONDAY, 7), tick=False):
        target = SlotFactory(
            session__doctor=doctor,
            session__date=MONDAY + 8 * day,
            session__release_at=at(MONDAY + day, 8),
            capacity=5,
        )
        SlotFactory(session=target.session, capacity=5)
        current = SlotFactory(session__doctor=doctor, session__date=MONDAY + 7 * day)
    return current, target


def test_an_unreleased_slot_is_refused_to_a_normal_patient(client, profile, unreleased):
    current, target = unreleased
    with time_machine.travel(at(MONDAY, 9), tick=False):
        appointment = book(profile, current)
        before = state(appointment)
        response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_released_yet"
    assert state(appointment) == before


def test_a_vip_may_move_into_an_unreleased_slot_inside_the_window(
    client, profile, unreleased
):
    current, target = unreleased
    member(profile, "vip")
    with time_machine.travel(at(MONDAY, 9), tick=False):
        appointment = book(profile, current)
        response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 200, response.json()
    appointment.refresh_from_db()
    assert appointment.slot_id == target.pk
    assert appointment.booked_early is True


def test_a_vip_is_refused_when_the_members_share_is_taken(client, profile, unreleased):
    # 10 seats, VIPs may take 20 percent before release: 2, both taken by other VIPs
    current, target = unreleased
    member(profile, "vip")
    with time_machine.travel(at(MONDAY, 9), tick=False):
        for _ in range(2):
            book(member(PatientProfileFactory(), "vip"), target)
        appointment = book(profile, current)
        before = state(appointment)
        response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "priority_seats_taken"
    assert state(appointment) == before


# -- money ------------------------------------------------------------------------------------


def priced(doctor, fee: int) -> Slot:
    return elsewhere(doctor, session__fee=fee)


def test_an_unpaid_hold_takes_the_new_fee_and_its_old_order_is_closed(
    client, profile, doctor, django_capture_on_commit_callbacks
):
    slot = priced(doctor, 2000)
    appointment = book(profile, slot)
    hold = appointment.hold_expires_at
    old_order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    target = priced(doctor, 3000)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["fee"]) == ("pending_payment", 3000)
    appointment.refresh_from_db()
    assert appointment.hold_expires_at == hold  # moving never lengthens a hold
    old_order.refresh_from_db()
    assert old_order.status == PaymentOrder.Status.CLOSED
    new_order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    assert (new_order.original_amount, new_order.amount) == (3000, 3000)


def test_an_old_order_not_yet_closed_is_not_handed_out_again(client, profile, doctor):
    slot = priced(doctor, 2000)
    appointment = book(profile, slot)
    payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    target = priced(doctor, 1500)

    # the close at the channel runs after commit; here it has not run yet
    response = client.post(url(appointment), {"slot_id": target.pk}, format="json")
    assert response.status_code == 200

    appointment.refresh_from_db()
    with pytest.raises(Conflict) as refused:
        payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    assert refused.value.code == "order_outdated"


def test_a_payment_of_the_old_order_after_the_move_is_refunded_not_taken(
    client, profile, doctor
):
    slot = priced(doctor, 2000)
    appointment = book(profile, slot)
    old_order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    target = priced(doctor, 1500)
    assert (
        client.post(url(appointment), {"slot_id": target.pk}, format="json").status_code
        == 200
    )

    payment_order_dev_pay(order=old_order, actor=ACTOR)

    appointment.refresh_from_db()
    assert appointment.status == S.PENDING_PAYMENT
    refund = Refund.objects.get(order=old_order)
    assert (refund.kind, refund.amount) == (Refund.Kind.NOT_PAYABLE, 2000)


def test_a_hold_moved_to_a_free_slot_is_confirmed(client, profile, doctor):
    appointment = book(profile, priced(doctor, 2000))

    response = client.post(
        url(appointment), {"slot_id": priced(doctor, 0).pk}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["fee"]) == ("booked", 0)
    assert response.json()["hold_expires_at"] is None


def test_a_paid_booking_moved_at_the_same_fee_leaves_billing_alone(
    client, profile, doctor
):
    appointment = book(profile, priced(doctor, 2000))
    order = pay(appointment)
    target = priced(doctor, 2000)

    response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "booked"
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (PaymentOrder.Status.PAID, 0)
    assert Refund.objects.exists() is False
    assert PaymentOrder.objects.count() == 1


def test_a_paid_booking_moved_to_a_cheaper_slot_is_refunded_the_difference(
    client, profile, doctor, django_capture_on_commit_callbacks
):
    # a VIP pays 90 percent: 1800 for 2000; the new fee 1000 costs them 900
    member(profile, "vip")
    appointment = book(profile, priced(doctor, 2000))
    order = pay(appointment)
    assert order.amount == 1800
    target = priced(doctor, 1000)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["fee"]) == ("booked", 1000)
    [refund] = Refund.objects.all()
    assert (refund.order_id, refund.kind, refund.amount) == (
        order.pk,
        Refund.Kind.RESCHEDULE,
        900,
    )
    assert refund.status == Refund.Status.SUCCEEDED  # the dev channel refunds at once
    order.refresh_from_db()
    assert order.refunded_amount == 900
    assert order.status == PaymentOrder.Status.PARTIALLY_REFUNDED

    # cancelling later refunds the rest, and no more
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(
            actor=ACTOR, appointment=Appointment.objects.get(pk=appointment.pk)
        )
    order.refresh_from_db()
    assert order.refunded_amount == 1800


def test_a_second_move_to_a_cheaper_slot_is_refused(client, profile, doctor):
    appointment = book(profile, priced(doctor, 3000))
    pay(appointment)
    assert (
        client.post(
            url(appointment), {"slot_id": priced(doctor, 2000).pk}, format="json"
        ).status_code
        == 200
    )
    target = priced(doctor, 1000)
    before = state(appointment)

    response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "reschedule_refund_taken"
    assert state(appointment) == before


def test_a_paid_booking_moved_to_a_dearer_slot_pays_the_difference(
    client, profile, doctor
):
    # a VIP paid 1800 for 2000; the new slot's 3000 costs them 2700: 900 more
    member(profile, "vip")
    appointment = book(profile, priced(doctor, 2000))
    first = pay(appointment)
    target = priced(doctor, 3000)

    response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["fee"]) == ("pending_payment", 3000)
    assert body["hold_expires_at"] is not None
    message = Notification.objects.get(event="rescheduled")
    assert "please pay the difference" in message.body
    appointment.refresh_from_db()
    top_up = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    assert (top_up.original_amount, top_up.amount) == (3000, 900)

    payment_order_dev_pay(order=top_up, actor=ACTOR)

    appointment.refresh_from_db()
    assert (appointment.status, appointment.hold_expires_at) == (S.BOOKED, None)
    first.refresh_from_db()
    top_up.refresh_from_db()
    assert first.status == top_up.status == PaymentOrder.Status.PAID
    assert Refund.objects.exists() is False


def test_an_unpaid_top_up_expires_and_what_was_paid_is_refunded(
    client, profile, doctor, django_capture_on_commit_callbacks
):
    appointment = book(profile, priced(doctor, 2000))
    first = pay(appointment)
    target = priced(doctor, 3000)
    assert (
        client.post(url(appointment), {"slot_id": target.pk}, format="json").status_code
        == 200
    )
    appointment.refresh_from_db()
    top_up = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)

    with django_capture_on_commit_callbacks(execute=True):
        expired = holds_expire(
            now=appointment.hold_expires_at + datetime.timedelta(seconds=1)
        )

    assert expired == 1
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancelled_by) == (S.CANCELLED, "timeout")
    [refund] = Refund.objects.all()
    assert (refund.order_id, refund.kind, refund.amount) == (first.pk, "cancel", 2000)
    top_up.refresh_from_db()
    assert top_up.status == PaymentOrder.Status.CLOSED
    assert Slot.objects.get(pk=target.pk).booked == 0


def test_cancelling_after_a_paid_top_up_refunds_both_orders(
    client, profile, doctor, django_capture_on_commit_callbacks
):
    appointment = book(profile, priced(doctor, 2000))
    first = pay(appointment)
    client.post(url(appointment), {"slot_id": priced(doctor, 3000).pk}, format="json")
    appointment.refresh_from_db()
    second = pay(appointment)
    assert second.amount == 1000

    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(
            actor=ACTOR, appointment=Appointment.objects.get(pk=appointment.pk)
        )

    refunds = dict(Refund.objects.values_list("order_id", "amount"))
    assert refunds == {first.pk: 2000, second.pk: 1000}


def test_a_cheaper_move_after_a_top_up_refunds_the_top_up_first(
    client, profile, doctor
):
    appointment = book(profile, priced(doctor, 2000))
    first = pay(appointment)
    client.post(url(appointment), {"slot_id": priced(doctor, 3000).pk}, format="json")
    appointment.refresh_from_db()
    second = pay(appointment)

    response = client.post(
        url(appointment), {"slot_id": priced(doctor, 2500).pk}, format="json"
    )

    assert response.status_code == 200, response.json()
    refunds = dict(Refund.objects.values_list("order_id", "amount"))
    assert refunds == {second.pk: 500}
    first.refresh_from_db()
    assert first.refunded_amount == 0


def test_a_free_booking_moved_to_a_paid_slot_awaits_payment_with_a_new_hold(
    client, profile, doctor
):
    appointment = book(profile, priced(doctor, 0))
    assert appointment.status == S.BOOKED
    target = priced(doctor, 2000)

    response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["fee"]) == ("pending_payment", 2000)
    assert body["hold_expires_at"] is not None
    order = payment_order_open(
        appointment=Appointment.objects.get(pk=appointment.pk),
        channel="dev",
        actor=ACTOR,
    )
    payment_order_dev_pay(order=order, actor=ACTOR)
    assert Appointment.objects.get(pk=appointment.pk).status == S.BOOKED


def test_a_cancel_of_the_booking_read_before_its_move_frees_the_new_seat(
    client, profile, slot
):
    appointment = book(profile, slot)
    read_before = Appointment.objects.get(pk=appointment.pk)
    target = elsewhere(slot.session.doctor)
    assert (
        client.post(url(appointment), {"slot_id": target.pk}, format="json").status_code
        == 200
    )

    appointment_cancel(actor=ACTOR, appointment=read_before)

    assert dict(Slot.objects.values_list("pk", "booked")) == {slot.pk: 0, target.pk: 0}
    assert Appointment.objects.get(pk=appointment.pk).status == S.CANCELLED


def test_the_freed_seat_goes_to_the_old_sessions_waitlist(client, profile, doctor):
    # the old session is full, a patient waits for it
    slot = SlotFactory(session__doctor=doctor, capacity=1)
    appointment = book(profile, slot)
    waiting = PatientProfileFactory()
    entry = waitlist_join(
        actor=ACTOR, user=waiting.user, profile=waiting, session=slot.session
    )
    target = elsewhere(doctor)

    response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.PROMOTED
    assert entry.appointment.slot_id == slot.pk
    assert dict(Slot.objects.values_list("pk", "booked")) == {slot.pk: 1, target.pk: 1}


def test_the_no_show_risk_of_the_old_time_is_cleared(client, profile, slot):
    appointment = book(profile, slot)
    Appointment.objects.filter(pk=appointment.pk).update(
        noshow_risk=700,
        noshow_risk_band="high",
        noshow_risk_fair=650,
        noshow_fair_band="high",
        confirm_requested_at=timezone.now(),
    )

    response = client.post(
        url(appointment), {"slot_id": elsewhere(slot.session.doctor).pk}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["confirm_requested_at"] is None
    appointment.refresh_from_db()
    assert (appointment.noshow_risk, appointment.noshow_risk_band) == (None, "")
    assert (appointment.noshow_risk_fair, appointment.noshow_fair_band) == (None, "")


def test_a_hold_past_its_time_cannot_be_moved(client, profile, slot):
    appointment = book(profile, slot)
    Appointment.objects.filter(pk=appointment.pk).update(
        hold_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    target = elsewhere(slot.session.doctor)
    before = state(appointment)

    response = client.post(url(appointment), {"slot_id": target.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "reschedule_not_allowed"
    assert state(appointment) == before


def test_a_booking_awaiting_its_top_up_moved_to_a_cheaper_slot_is_confirmed_and_refunded(
    client, profile, doctor
):
    # given: paid 2000, moved to 3000 (awaiting a top-up of 1000, its order opened)
    appointment = book(profile, priced(doctor, 2000))
    first = pay(appointment)
    dearer = priced(doctor, 3000)
    assert (
        client.post(url(appointment), {"slot_id": dearer.pk}, format="json").status_code
        == 200
    )
    appointment.refresh_from_db()
    top_up = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)

    # when: moved again, to a slot cheaper than what was paid
    cheaper = priced(doctor, 1500)
    response = client.post(url(appointment), {"slot_id": cheaper.pk}, format="json")

    # then: confirmed at once, the 500 paid over the new fee refunded, no top-up owed
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["fee"]) == ("booked", 1500)
    [refund] = Refund.objects.all()
    assert (refund.order_id, refund.kind, refund.amount) == (
        first.pk,
        "reschedule",
        500,
    )
    top_up.refresh_from_db()
    assert top_up.status != PaymentOrder.Status.PAID
    assert Slot.objects.get(pk=dearer.pk).booked == 0
    assert Slot.objects.get(pk=cheaper.pk).booked == 1


def test_a_booking_awaiting_its_top_up_moved_back_to_its_paid_fee_is_confirmed(
    client, profile, doctor
):
    appointment = book(profile, priced(doctor, 2000))
    pay(appointment)
    client.post(url(appointment), {"slot_id": priced(doctor, 3000).pk}, format="json")

    response = client.post(
        url(appointment), {"slot_id": priced(doctor, 2000).pk}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "booked"
    assert response.json()["hold_expires_at"] is None
    assert Refund.objects.exists() is False
