"""Paying for a consult through billing: the pay API, the dev gateway, refunds when it
ends before the doctor's first reply, its place of the day, and the unpaid expiry."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from billing.models import PaymentLedgerEntry, PaymentOrder, Refund
from billing.services import refunds as billing_refunds
from common.models import OperationLog
from common.services import Actor
from consult import tasks
from consult.models import Consult, ConsultDay, ConsultMessage
from consult.services.consults import consult_close, overdue_consults_cancel
from consult.services.messages import message_send
from consult.services.payment import unpaid_consults_expire
from tests.consult.factories import BASE, consult_for, offering_doctor
from tests.records.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def dev_gateway(settings):
    settings.PAYMENTS_DEV_GATEWAY = True


def _code(response) -> str:
    return response.json()["error"]["code"]


def _taken(consult: Consult) -> int:
    return ConsultDay.objects.get(doctor_id=consult.doctor_id).taken


def paid_consult(*, fee: int = 3000, reply_hours: int = 24) -> Consult:
    """A consult paid through the pay API and the dev gateway."""
    consult = consult_for(doctor=offering_doctor(fee=fee, reply_hours=reply_hours))
    patient = client_for(consult.user)
    order_id = patient.post(
        f"{BASE}{consult.pk}/pay/", {"channel": "dev"}, format="json"
    ).json()["id"]
    assert (
        patient.post(f"/api/v1/billing/orders/{order_id}/dev-pay/").status_code == 200
    )
    consult.refresh_from_db()
    assert consult.status == Consult.Status.WAITING
    return consult


def test_a_paid_consult_is_paid_with_the_dev_gateway_and_then_waits_for_the_doctor(
    dev_gateway,
):
    # given
    consult = consult_for(doctor=offering_doctor(fee=3000, reply_hours=6))
    patient = client_for(consult.user)

    # when
    opened = patient.post(f"{BASE}{consult.pk}/pay/", {"channel": "dev"}, format="json")

    # then: billing's order output
    assert opened.status_code == 201, opened.json()
    body = opened.json()
    order = PaymentOrder.objects.get()
    assert (body["id"], body["kind"], body["ref_id"]) == (
        order.pk,
        "consult",
        consult.pk,
    )
    assert body["appointment_id"] is None
    assert (body["amount"], body["original_amount"], body["status"]) == (
        3000,
        3000,
        "created",
    )
    assert body["pay_params"] == {
        "dev_pay_url": f"/api/v1/billing/orders/{order.pk}/dev-pay/"
    }
    assert patient.get(f"{BASE}{consult.pk}/").json()["payment_order"] == order.pk

    # when: the dev gateway pays it
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        paid = patient.post(body["pay_params"]["dev_pay_url"])

    # then
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    consult.refresh_from_db()
    assert consult.status == Consult.Status.WAITING
    assert consult.reply_deadline == start + datetime.timedelta(hours=6)
    assert order.__class__.objects.get().hospital_id == consult.hospital_id
    assert PaymentLedgerEntry.objects.get().amount == 3000
    shown = patient.get(f"{BASE}{consult.pk}/").json()
    assert (shown["payment_order"], shown["refunded_amount"]) == (order.pk, 0)
    assert OperationLog.objects.filter(
        action="consult.paid", object_id=str(consult.pk)
    ).exists()
    # The patient can now write to the doctor.
    sent = patient.post(
        f"{BASE}{consult.pk}/messages/send/", {"text": "在吗"}, format="json"
    )
    assert sent.status_code == 201


def test_asking_to_pay_again_reuses_the_open_order(dev_gateway):
    consult = consult_for(doctor=offering_doctor(fee=3000))
    patient = client_for(consult.user)
    url = f"{BASE}{consult.pk}/pay/"

    first = patient.post(url, {"channel": "dev"}, format="json").json()["id"]
    second = patient.post(url, {"channel": "dev"}, format="json").json()["id"]

    assert first == second
    assert PaymentOrder.objects.count() == 1


def test_someone_elses_consult_cannot_be_paid(dev_gateway):
    # given
    doctor = offering_doctor(fee=3000)
    consult = consult_for(doctor=doctor)
    stranger = consult_for(doctor=offering_doctor(fee=100)).user

    for user in (stranger, doctor.user):
        # when
        response = client_for(user).post(
            f"{BASE}{consult.pk}/pay/", {"channel": "dev"}, format="json"
        )

        # then
        assert response.status_code == 404
        assert _code(response) == "consult_not_found"
    assert PaymentOrder.objects.exists() is False


def test_paying_a_consult_not_awaiting_payment_is_refused_with_409(dev_gateway):
    # given: a paid one, and a free one (waiting at once)
    paid = paid_consult()
    free = consult_for(doctor=offering_doctor(fee=0))

    for consult in (paid, free):
        # when
        response = client_for(consult.user).post(
            f"{BASE}{consult.pk}/pay/", {"channel": "dev"}, format="json"
        )

        # then
        assert response.status_code == 409
        assert _code(response) == "consult_not_awaiting_payment"
    assert PaymentOrder.objects.count() == 1


def test_paying_after_the_payment_time_is_refused(dev_gateway, settings):
    settings.CONSULT_PAYMENT_MINUTES = 30
    consult = consult_for(doctor=offering_doctor(fee=3000))

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=31)):
        response = client_for(consult.user).post(
            f"{BASE}{consult.pk}/pay/", {"channel": "dev"}, format="json"
        )

    assert response.status_code == 409
    assert _code(response) == "consult_payment_time_expired"
    assert PaymentOrder.objects.exists() is False


def test_a_disabled_channel_is_refused_as_for_appointments(settings):
    settings.PAYMENTS_DEV_GATEWAY = False
    settings.DEBUG = False
    consult = consult_for(doctor=offering_doctor(fee=3000))

    response = client_for(consult.user).post(
        f"{BASE}{consult.pk}/pay/", {"channel": "dev"}, format="json"
    )

    assert response.status_code == 422
    assert _code(response) == "channel_not_available"
    assert PaymentOrder.objects.exists() is False


def test_the_patient_withdrawing_a_paid_consult_is_refunded_in_full_and_frees_the_place(
    dev_gateway,
):
    # given
    consult = paid_consult(fee=3000)
    assert _taken(consult) == 1

    # when
    closed = client_for(consult.user).post(f"{BASE}{consult.pk}/close/")

    # then
    assert closed.status_code == 200
    assert closed.json()["refunded_amount"] == 3000
    refund = Refund.objects.get()
    assert (refund.kind, refund.amount, refund.reason) == (
        "consult_cancel",
        3000,
        "consult_cancel:withdrawn",
    )
    assert _taken(consult) == 0
    # Closing again changes nothing: no second refund, the place not given back twice.
    again = client_for(consult.user).post(f"{BASE}{consult.pk}/close/")
    assert again.status_code == 409
    assert Refund.objects.count() == 1
    assert _taken(consult) == 0


def test_the_refund_of_a_consult_tells_the_patient_when_it_is_done(dev_gateway):
    # given
    consult = paid_consult(fee=3000)
    consult_close(actor=Actor.system(), consult=consult, by="patient")
    refund = Refund.objects.get()

    # when: sent to the channel (after commit, by billing's task)
    billing_refunds.refund_submit(refund=refund)

    # then
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert PaymentOrder.objects.get().status == PaymentOrder.Status.REFUNDED
    # in consult's words, opening the consult (not an appointment's page)
    notification = consult.user.notifications.get(event="consult_refunded")
    assert "30.00" in notification.body
    assert notification.context["consult_id"] == str(consult.pk)
    assert notification.profile_id == consult.profile_id
    assert notification.appointment_id is None


def test_withdrawing_an_unpaid_consult_closes_its_open_order_and_frees_the_place(
    dev_gateway, django_capture_on_commit_callbacks
):
    # given
    consult = consult_for(doctor=offering_doctor(fee=3000))
    patient = client_for(consult.user)
    patient.post(f"{BASE}{consult.pk}/pay/", {"channel": "dev"}, format="json")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        closed = patient.post(f"{BASE}{consult.pk}/close/")

    # then
    assert closed.status_code == 200
    assert PaymentOrder.objects.get().status == PaymentOrder.Status.CLOSED
    assert Refund.objects.exists() is False
    assert _taken(consult) == 0


def test_a_payment_arriving_after_the_withdrawal_is_refunded_in_full(dev_gateway):
    # given: an order opened, then the consult withdrawn before the order was settled
    consult = consult_for(doctor=offering_doctor(fee=3000))
    patient = client_for(consult.user)
    order_id = patient.post(
        f"{BASE}{consult.pk}/pay/", {"channel": "dev"}, format="json"
    ).json()["id"]
    consult_close(actor=Actor.system(), consult=consult, by="patient")

    # when: the payment arrives anyway
    paid = patient.post(f"/api/v1/billing/orders/{order_id}/dev-pay/")

    # then: recorded, and refunded as not payable; the consult stays closed
    assert paid.status_code == 200
    refund = Refund.objects.get()
    assert (refund.kind, refund.amount) == ("not_payable", 3000)
    assert refund.reason.startswith("consult_not_awaiting_payment")
    consult.refresh_from_db()
    assert consult.status == Consult.Status.CLOSED
    assert _taken(consult) == 0


def test_the_overdue_sweep_refunds_a_paid_consult_once_and_frees_its_place(
    dev_gateway,
):
    # given
    consult = paid_consult(fee=2500, reply_hours=2)
    later = timezone.now() + datetime.timedelta(hours=2, minutes=1)

    # when
    with time_machine.travel(later):
        assert overdue_consults_cancel() == 1
        assert overdue_consults_cancel() == 0

    # then
    consult.refresh_from_db()
    assert consult.status == Consult.Status.CANCELLED
    refund = Refund.objects.get()
    assert (refund.kind, refund.amount, refund.reason) == (
        "consult_cancel",
        2500,
        "consult_cancel:overdue",
    )
    assert _taken(consult) == 0
    shown = client_for(consult.user).get(f"{BASE}{consult.pk}/").json()
    assert shown["refunded_amount"] == 2500


def test_an_answered_paid_consult_is_not_refunded_when_closed(dev_gateway):
    consult = paid_consult(fee=2500)
    doctor = consult.doctor
    message_send(
        actor=Actor.system(),
        consult=consult,
        sender=ConsultMessage.Sender.DOCTOR,
        user=doctor.user,
        text="您好",
    )

    closed = client_for(consult.user).post(f"{BASE}{consult.pk}/close/")

    assert closed.json()["status"] == "closed"
    assert Refund.objects.exists() is False
    assert _taken(consult) == 1


def test_the_place_is_never_given_back_below_zero(dev_gateway):
    consult = consult_for(doctor=offering_doctor(fee=0))
    ConsultDay.objects.filter(doctor_id=consult.doctor_id).update(taken=0)

    consult_close(actor=Actor.system(), consult=consult, by="patient")

    assert _taken(consult) == 0


def test_an_unpaid_consult_is_cancelled_after_the_payment_time(settings, dev_gateway):
    # given
    settings.CONSULT_PAYMENT_MINUTES = 30
    consult = consult_for(doctor=offering_doctor(fee=3000))
    client_for(consult.user).post(
        f"{BASE}{consult.pk}/pay/", {"channel": "dev"}, format="json"
    )
    paid = paid_consult()
    start = timezone.now()

    # when: not yet, then after the time
    with time_machine.travel(start + datetime.timedelta(minutes=29)):
        assert unpaid_consults_expire() == 0
    with time_machine.travel(start + datetime.timedelta(minutes=31)):
        assert tasks.unpaid_consults_expire() == 1
        assert tasks.unpaid_consults_expire() == 0

    # then
    consult.refresh_from_db()
    assert (consult.status, consult.closed_by) == ("cancelled", "system")
    assert _taken(consult) == 0
    order = PaymentOrder.objects.get(ref_id=consult.pk)
    assert order.status == PaymentOrder.Status.CLOSED  # asked the channel, then closed
    paid.refresh_from_db()
    assert paid.status == Consult.Status.WAITING
    assert Refund.objects.exists() is False
    assert OperationLog.objects.filter(action="consult.expire").count() == 1
    # the patient is told why, once
    notice = consult.user.notifications.get(event="consult_cancelled")
    assert "was not paid in time" in notice.body
