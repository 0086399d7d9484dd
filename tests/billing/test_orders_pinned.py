"""Payment-order behaviour pinned exactly: refusals in words, the boundary instants, the
rows an order write must leave alone, its audit entries, and what a payment does to
other appointments' orders."""

import datetime
import logging
import re

import pytest
import time_machine
from django.utils import timezone

from accounts.models import MemberLevel, PointsEntry
from appointments.models import Appointment
from appointments.services import appointment_cancel, appointment_expire
from billing.gateways.dev import DevGateway
from billing.models import PaymentOrder, Refund
from billing.services.orders import (
    appointment_orders_settle_later,
    payment_order_close,
    payment_order_open,
    payment_order_pay_params,
)
from billing.services.payments import payment_order_mark_paid
from common.errors import Conflict, Unprocessable
from common.models import OperationLog
from common.services import Actor
from tests.accounts.factories import default_levels
from tests.appointments.factories import PatientProfileFactory
from tests.billing.factories import open_order, paid_order, pending_appointment

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
OS = PaymentOrder.Status
LONG_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _dev_gateway(settings):
    settings.PAYMENTS_DEV_GATEWAY = True


def aged(order: PaymentOrder) -> None:
    PaymentOrder.objects.filter(pk=order.pk).update(updated_at=LONG_AGO)


def pay(order: PaymentOrder, transaction_id: str | None = None, amount=None):
    return payment_order_mark_paid(
        order=order,
        transaction_id=f"T-{order.out_trade_no}"
        if transaction_id is None
        else transaction_id,
        amount=order.amount if amount is None else amount,
        paid_at=None,
        actor=ACTOR,
    )


# -- opening -------------------------------------------------------------------------------


def test_an_order_number_is_p_local_time_and_ten_upper_hex_digits():
    order = open_order()

    assert re.fullmatch(r"P\d{14}[0-9A-F]{10}", order.out_trade_no)


def test_an_unknown_channel_is_refused_in_words():
    with pytest.raises(Unprocessable) as excinfo:
        payment_order_open(
            appointment=pending_appointment(), channel="paypal", actor=ACTOR
        )

    assert excinfo.value.code == "unknown_channel"
    assert excinfo.value.message == "Unknown payment channel."


def test_a_channel_without_credentials_is_refused_in_words():
    with pytest.raises(Unprocessable) as excinfo:
        payment_order_open(
            appointment=pending_appointment(), channel="alipay", actor=ACTOR
        )

    assert excinfo.value.message == "This payment method is not available."


def test_wechat_pay_without_a_wechat_login_is_refused_in_words(wechatpay):
    with pytest.raises(Unprocessable) as excinfo:
        payment_order_open(
            appointment=pending_appointment(openid=False), channel="wechat", actor=ACTOR
        )

    assert excinfo.value.message == "Log in with WeChat to pay with WeChat Pay."


def test_the_hold_ends_at_its_expiry_instant():
    appointment = pending_appointment()

    with (
        time_machine.travel(appointment.hold_expires_at, tick=False),
        pytest.raises(Conflict) as excinfo,
    ):
        payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)

    assert excinfo.value.code == "payment_time_expired"
    assert excinfo.value.message == "The time to pay for this appointment has passed."
    assert PaymentOrder.objects.exists() is False


def test_a_closed_order_is_not_reused_a_new_one_is_opened():
    appointment = pending_appointment()
    first = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    payment_order_close(order=first, actor=ACTOR, reason="test")

    again = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)

    assert again.pk != first.pk
    assert again.status == OS.CREATED


def test_one_fen_is_payable_and_a_discount_to_nothing_is_refused_in_words():
    # given: a level paying 40 percent, and a fee of 1 fen
    levels = default_levels()
    MemberLevel.objects.filter(pk=levels["vip"].pk).update(discount_rate_bp=4000)
    member = PatientProfileFactory(
        user__member_level=levels["vip"], user__member_level_floor=levels["vip"]
    )

    # when
    order = open_order(fee=1)
    with pytest.raises(Conflict) as excinfo:
        open_order(fee=1, profile=member)

    # then
    assert order.amount == 1
    assert excinfo.value.code == "nothing_to_pay"
    assert excinfo.value.message == "There is nothing to pay for this appointment."


def test_opening_an_order_logs_channel_amount_fee_and_rate():
    order = open_order(fee=2000)

    entry = OperationLog.objects.get(action="billing.order_create")
    assert entry.summary == (
        f"dev 2000 fen (fee 2000, rate 1) appointment={order.appointment_id}"
    )


# -- pay params ----------------------------------------------------------------------------


def test_the_prepay_describes_hospital_and_doctor_and_is_kept_for_that_order(
    monkeypatch,
):
    # given
    descriptions = []

    def prepay(self, order, *, description):
        descriptions.append(description)
        return f"PRE-{order.pk}"

    monkeypatch.setattr(DevGateway, "prepay", prepay)
    order, other = open_order(), open_order()
    aged(order)

    # when
    payment_order_pay_params(order=order)

    # then
    appointment = order.appointment
    assert descriptions == [
        f"{appointment.hospital.name} {appointment.doctor.name} registration fee"
    ]
    order.refresh_from_db()
    other.refresh_from_db()
    assert order.prepay_id == f"PRE-{order.pk}"
    assert order.updated_at > LONG_AGO
    assert other.prepay_id == ""


def test_a_prepay_id_stored_meanwhile_is_not_overwritten(monkeypatch):
    """Two requests prepaying at once: the first stored id stays (the channel knows it)."""

    def prepay(self, order, *, description):
        PaymentOrder.objects.filter(pk=order.pk).update(prepay_id="PRE-FIRST")
        return "PRE-SECOND"

    monkeypatch.setattr(DevGateway, "prepay", prepay)
    order = open_order()

    payment_order_pay_params(order=order)

    order.refresh_from_db()
    assert order.prepay_id == "PRE-FIRST"


# -- closing -------------------------------------------------------------------------------


def test_closing_stamps_logs_and_answers_true():
    order = open_order()
    aged(order)
    at = timezone.now() + datetime.timedelta(minutes=1)

    with time_machine.travel(at, tick=False):
        closed = payment_order_close(order=order, actor=ACTOR, reason="abandoned")

    assert closed is True
    order.refresh_from_db()
    assert (order.status, order.closed_at, order.updated_at) == (OS.CLOSED, at, at)
    entry = OperationLog.objects.get(action="billing.order_close")
    assert entry.summary == "abandoned"


def test_closing_a_paid_order_answers_false_and_leaves_it_paid():
    order = paid_order("dev")

    closed = payment_order_close(order=order, actor=ACTOR, reason="abandoned")

    assert closed is False
    order.refresh_from_db()
    assert (order.status, order.closed_at) == (OS.PAID, None)


# -- marking paid --------------------------------------------------------------------------


def test_a_payment_without_a_transaction_id_is_refused_in_words():
    order = open_order()

    with pytest.raises(Unprocessable) as excinfo:
        pay(order, transaction_id="")

    assert excinfo.value.code == "transaction_id_missing"
    assert excinfo.value.message == "The channel sent no transaction id."


def test_a_wrong_amount_is_refused_with_both_amounts():
    order = open_order(fee=2000)

    with pytest.raises(Conflict) as excinfo:
        pay(order, amount=1999)

    assert excinfo.value.message == "Paid 1999 fen, but the order is 2000 fen."


def test_a_payment_is_stamped_and_logged():
    order = open_order(fee=2000)
    aged(order)

    pay(order, transaction_id="TX-1")

    order.refresh_from_db()
    assert order.updated_at > LONG_AGO
    entry = OperationLog.objects.get(action="billing.order_paid")
    assert entry.summary == "dev 2000 fen transaction=TX-1"


def test_a_second_transaction_id_is_logged_and_reported(caplog):
    order = open_order(fee=2000)
    pay(order, transaction_id="TX-1")
    again = "TX-" + "9" * 100

    with caplog.at_level(logging.ERROR, logger="billing.services.payments"):
        pay(order, transaction_id=again)

    locked = PaymentOrder.objects.get(pk=order.pk)
    assert [r.getMessage() for r in caplog.records] == [
        f"order {locked} already paid by TX-1, now reported paid by {again}"
    ]
    entry = OperationLog.objects.get(action="billing.order_paid_again")
    assert entry.summary == (
        f"already paid by TX-1, reported paid again by {again[:64]} (2000 fen)"
    )


def test_payments_of_two_appointments_each_book_their_own():
    first, second = paid_order("dev"), paid_order("dev")

    for order in (first, second):
        order.appointment.refresh_from_db()
        assert order.appointment.status == Appointment.Status.BOOKED
    assert Refund.objects.exists() is False


def test_a_second_payment_of_one_appointment_is_refunded_with_its_reason(alipay):
    appointment = pending_appointment()
    first = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    second = payment_order_open(appointment=appointment, channel="alipay", actor=ACTOR)
    pay(first)

    pay(second)

    [refund] = Refund.objects.all()
    assert (refund.order_id, refund.kind, refund.reason) == (
        second.pk,
        Refund.Kind.DUPLICATE_PAYMENT,
        "the appointment was already paid by another order",
    )


def test_a_payment_that_cannot_book_is_refunded_logged_and_earns_no_points(
    settings, caplog
):
    # given: the patient cancelled before the payment arrived
    settings.POINTS_PER_PAID_BOOKING = 10
    order = open_order()
    appointment_cancel(actor=ACTOR, appointment=order.appointment, reason="x")

    # when
    with caplog.at_level(logging.INFO, logger="billing.services.payments"):
        pay(order)

    # then
    [refund] = Refund.objects.all()
    assert refund.kind == Refund.Kind.LATE_PAYMENT
    locked = PaymentOrder.objects.get(pk=order.pk)
    assert (
        f"order {locked} paid but not bookable (seat_no_longer_available): refunding"
        in [r.getMessage() for r in caplog.records]
    )
    assert PointsEntry.objects.exists() is False


def test_a_payment_settles_the_open_orders_of_its_appointment_only(
    django_capture_on_commit_callbacks,
):
    # given: two appointments with open orders
    mine, theirs = open_order(), open_order()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        appointment_orders_settle_later(appointment_id=mine.appointment_id)

    # then
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == OS.CLOSED
    assert theirs.status == OS.CREATED


def test_an_expired_appointment_can_no_longer_open_an_order():
    appointment = pending_appointment()
    Appointment.objects.filter(pk=appointment.pk).update(
        hold_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    appointment_expire(actor=ACTOR, appointment_id=appointment.pk, now=timezone.now())

    with pytest.raises(Conflict) as excinfo:
        payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)

    assert excinfo.value.code == "appointment_not_payable"
