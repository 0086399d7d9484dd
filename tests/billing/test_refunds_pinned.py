"""Refund behaviour pinned exactly: the words a refused request reads, the rows a refund
must leave alone, the timestamps and audit entries it writes, and the points it takes back.
"""

import datetime
import logging

import pytest
import time_machine
from django.db.models import F
from django.utils import timezone

from accounts.members import points_apply
from accounts.models import PointsEntry
from appointments.models import Notification
from billing.gateways.base import ChannelRefundState, ChannelRejected
from billing.gateways.dev import DevGateway
from billing.models import PaymentLedgerEntry, PaymentOrder, Refund
from billing.services.refunds import (
    appointment_refund_request,
    refund_apply_channel_state,
    refund_create,
    refund_create_by_staff,
    refund_retry,
    refund_submit,
    refund_sync,
)
from common.errors import Conflict, Unprocessable
from common.models import OperationLog
from common.services import Actor
from tests.accounts.factories import StaffFactory
from tests.billing.factories import open_order, paid_order

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
OS = PaymentOrder.Status
RS = Refund.Status
LONG_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _dev_gateway(settings):
    settings.PAYMENTS_DEV_GATEWAY = True


def succeeded(channel_refund_id: str | None = "R-1") -> ChannelRefundState:
    return ChannelRefundState(status=RS.SUCCEEDED, channel_refund_id=channel_refund_id)


def failed(failure: str = "ABNORMAL", channel_refund_id=None) -> ChannelRefundState:
    return ChannelRefundState(
        status=RS.FAILED, channel_refund_id=channel_refund_id, failure=failure
    )


def staff_refund(order: PaymentOrder, amount: int | None = None, kind="staff"):
    return refund_create(
        order=order, actor=ACTOR, kind=kind, reason="staff", amount=amount
    )


def aged(obj) -> None:
    """Set the row's updated_at far back, so a test sees whether a write touched it."""
    type(obj).objects.filter(pk=obj.pk).update(updated_at=LONG_AGO)


def log(action: str, obj) -> OperationLog:
    return OperationLog.objects.get(action=action, object_id=str(obj.pk))


# -- refund_create: refusals -------------------------------------------------------------


def test_an_unpaid_order_is_refused_in_words():
    order = open_order()

    with pytest.raises(Conflict) as excinfo:
        staff_refund(order)

    assert excinfo.value.code == "order_not_paid"
    assert excinfo.value.message == "This order has not been paid."


def test_a_second_refund_of_one_kind_is_refused_in_words_for_that_order_only():
    # given: a staff refund of one order
    first, other = paid_order("dev"), paid_order("dev")
    staff_refund(first, 500)

    # when: the same kind again on that order, and on another order
    with pytest.raises(Conflict) as excinfo:
        staff_refund(first, 500)
    refund = staff_refund(other, 500)

    # then
    assert excinfo.value.code == "refund_already_requested"
    assert (
        excinfo.value.message
        == "A refund of this kind was already requested for this order."
    )
    assert (refund.order_id, refund.amount) == (other.pk, 500)


def test_nothing_left_to_refund_is_refused_in_words():
    order = paid_order("dev")
    staff_refund(order)

    with pytest.raises(Conflict) as excinfo:
        staff_refund(order, kind="other")

    assert excinfo.value.code == "nothing_to_refund"
    assert excinfo.value.message == "Everything paid was already refunded."


def test_the_last_fen_can_be_refunded():
    # given: all but 1 fen refunded by staff
    order = paid_order("dev", fee=2000)
    staff_refund(order, 1999)

    # when: the booking side asks for the rest; then the smallest explicit refund
    refund = appointment_refund_request(
        appointment=order.appointment, actor=ACTOR, reason="cancel:patient"
    )

    # then
    assert (refund.kind, refund.amount) == ("cancel", 1)
    order.refresh_from_db()
    assert order.refundable_amount == 0


def test_a_one_fen_refund_is_allowed_and_zero_is_refused_in_words():
    order = paid_order("dev", fee=2000)

    with pytest.raises(Unprocessable) as excinfo:
        staff_refund(order, 0)
    refund = staff_refund(order, 1)

    assert excinfo.value.code == "invalid_refund_amount"
    assert excinfo.value.message == "Refund at least 0.01 yuan."
    assert refund.amount == 1


def test_more_than_is_left_is_refused_with_what_is_left():
    order = paid_order("dev", fee=2000)
    staff_refund(order, 800)

    with pytest.raises(Unprocessable) as excinfo:
        staff_refund(order, 1201, kind="other")

    assert excinfo.value.code == "refund_exceeds_payment"
    assert excinfo.value.message == "At most 12.00 yuan can be refunded."


def test_the_conditional_update_refuses_a_refund_that_a_concurrent_one_outran(
    monkeypatch,
):
    """The second guard: the UPDATE only reserves the amount if the row still has room.

    Under the row lock this cannot happen; the test lets another refund of 1500 fen
    commit between the read of what is left and the UPDATE, as a lock-free database would.
    """
    order = paid_order("dev", fee=2000)
    stale = PaymentOrder.refundable_amount

    def read_then_outrun(self):
        remaining = stale.fget(self)
        PaymentOrder.objects.filter(pk=self.pk).update(
            refunded_amount=F("refunded_amount") + 1500
        )
        return remaining

    monkeypatch.setattr(PaymentOrder, "refundable_amount", property(read_then_outrun))

    with pytest.raises(Unprocessable) as excinfo:
        staff_refund(order, 1000)

    assert excinfo.value.code == "refund_exceeds_payment"
    assert excinfo.value.message == "The refund exceeds the payment."
    assert Refund.objects.exists() is False


# -- refund_create: what it writes -------------------------------------------------------


def test_a_refund_records_its_reason_cut_to_the_column_and_both_log_entries():
    order = paid_order("dev", fee=2000)
    aged(order)
    reason = "cancel:" + "x" * 300

    refund = refund_create(order=order, actor=ACTOR, kind="cancel", reason=reason)

    refund.refresh_from_db()
    assert refund.reason == reason[:255]
    assert (refund.status, refund.amount) == (RS.REFUNDING, 2000)
    order.refresh_from_db()
    assert order.status == OS.REFUNDING
    assert order.updated_at > LONG_AGO
    assert (
        log("billing.refund_request", refund).summary
        == (f"cancel 2000 fen order={order.out_trade_no}: {reason}")[:255]
    )
    assert (
        log("billing.order_refunding", order).summary
        == f"refund {refund.out_refund_no} 2000 fen"
    )


def test_staff_refunds_name_the_staff_member_or_no_one():
    staff = StaffFactory(username="alice")
    by_alice = refund_create_by_staff(order=paid_order("dev"), actor=Actor(user=staff))
    by_system = refund_create_by_staff(order=paid_order("dev"), actor=ACTOR)

    assert by_alice.reason == "refunded by staff alice"
    assert by_system.reason == "refunded by staff"


# -- sending ------------------------------------------------------------------------------


def test_submitting_counts_an_attempt_of_that_refund_only_and_stamps_it():
    # given: two refunds waiting to be sent
    refund = staff_refund(paid_order("dev"))
    other = staff_refund(paid_order("dev"))
    aged(refund)
    at = timezone.now() + datetime.timedelta(minutes=1)

    # when
    with time_machine.travel(at, tick=False):
        refund_submit(refund=refund)

    # then
    refund.refresh_from_db()
    other.refresh_from_db()
    assert (refund.status, refund.attempts, refund.submitted_at) == (
        RS.SUCCEEDED,
        1,
        at,
    )
    assert (other.status, other.attempts, other.submitted_at) == (
        RS.REFUNDING,
        0,
        None,
    )


def test_submitting_a_finished_refund_changes_nothing():
    refund = staff_refund(paid_order("dev"))
    refund_submit(refund=refund)

    refund_submit(refund=refund)

    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (RS.SUCCEEDED, 1)


def test_a_refund_the_channel_rejects_fails_with_the_channels_words(monkeypatch):
    def reject(self, refund):
        raise ChannelRejected("card closed")

    monkeypatch.setattr(DevGateway, "refund", reject)
    refund = staff_refund(paid_order("dev"))

    result = refund_submit(refund=refund)

    assert (result.status, result.failure_reason) == (RS.FAILED, "card closed")
    assert log("billing.refund_failed", refund).summary == "card closed"


def test_syncing_records_what_the_channel_reports_without_sending_again(monkeypatch):
    monkeypatch.setattr(
        DevGateway, "refund_query", lambda self, refund: succeeded("Q-1")
    )
    refund = staff_refund(paid_order("dev"))

    result = refund_sync(refund=refund)

    assert (result.status, result.channel_refund_id, result.attempts) == (
        RS.SUCCEEDED,
        "Q-1",
        0,
    )


# -- the channel's answer ------------------------------------------------------------------


def test_a_success_is_stamped_booked_and_logged_for_that_refund_only():
    # given: two refunding refunds, the first failed once before
    order = paid_order("dev", fee=2000)
    refund = staff_refund(order)
    other = staff_refund(paid_order("dev"))
    refund_apply_channel_state(refund=refund, state=failed(), actor=ACTOR)
    refund_retry(refund=refund, actor=ACTOR)
    aged(refund)
    at = timezone.now() + datetime.timedelta(minutes=1)

    # when
    with time_machine.travel(at, tick=False):
        result = refund_apply_channel_state(
            refund=refund, state=succeeded("CH-1"), actor=ACTOR
        )

    # then
    refund.refresh_from_db()
    assert (refund.status, refund.failure_reason, refund.channel_refund_id) == (
        RS.SUCCEEDED,
        "",
        "CH-1",
    )
    assert refund.succeeded_at == at
    assert refund.updated_at == at
    ledger = PaymentLedgerEntry.objects.get(refund=refund)
    assert (ledger.kind, ledger.channel, ledger.amount, ledger.channel_reference) == (
        "refund",
        "dev",
        2000,
        "CH-1",
    )
    assert (
        log("billing.refund_succeeded", refund).summary
        == "2000 fen channel_refund_id=CH-1"
    )
    assert result.order.status == OS.REFUNDED
    assert log(f"billing.order_{OS.REFUNDED}", order).summary == (
        "refunded 2000 of 2000 fen"
    )
    other.refresh_from_db()
    assert other.status == RS.REFUNDING


def test_a_success_without_a_channel_id_books_our_refund_number():
    refund = staff_refund(paid_order("dev"))

    refund_apply_channel_state(refund=refund, state=succeeded(None), actor=ACTOR)

    ledger = PaymentLedgerEntry.objects.get(refund=refund)
    assert ledger.channel_reference == refund.out_refund_no


def test_the_payer_is_told_about_the_refund_of_their_appointment():
    order = paid_order("dev", fee=2000)
    refund = staff_refund(order)

    refund_apply_channel_state(refund=refund, state=succeeded(), actor=ACTOR)

    message = Notification.objects.get(event="refund_done")
    assert (message.user_id, message.appointment_id, message.profile_id) == (
        order.user_id,
        order.appointment_id,
        order.appointment.profile_id,
    )


def test_the_order_stays_refunding_while_another_of_its_refunds_is_pending():
    # given: two refunds of one order, and another order refunding too
    order = paid_order("dev", fee=2000)
    first = staff_refund(order, 500)
    staff_refund(order, kind="other")
    other_order = paid_order("dev")
    staff_refund(other_order)
    aged(order)

    # when: the first succeeds
    refund_apply_channel_state(refund=first, state=succeeded(), actor=ACTOR)

    # then
    order.refresh_from_db()
    other_order.refresh_from_db()
    assert order.status == OS.REFUNDING
    assert other_order.status == OS.REFUNDING


def test_a_partial_success_moves_the_order_and_only_that_order():
    order = paid_order("dev", fee=2000)
    refund = staff_refund(order, 500)
    other_order = paid_order("dev")
    staff_refund(other_order)
    aged(order)

    refund_apply_channel_state(refund=refund, state=succeeded(), actor=ACTOR)

    order.refresh_from_db()
    other_order.refresh_from_db()
    assert order.status == OS.PARTIALLY_REFUNDED
    assert order.updated_at > LONG_AGO
    assert other_order.status == OS.REFUNDING


def test_a_failure_is_recorded_for_that_refund_only_and_logged(caplog):
    # given
    refund = staff_refund(paid_order("dev"))
    other = staff_refund(paid_order("dev"))
    aged(refund)
    failure = "ABNORMAL " + "y" * 300

    # when
    with caplog.at_level(logging.ERROR, logger="billing.services.refunds"):
        result = refund_apply_channel_state(
            refund=refund, state=failed(failure, "CH-9"), actor=ACTOR
        )

    # then
    refund.refresh_from_db()
    assert refund.status == RS.FAILED
    assert refund.failure_reason == failure[:255]
    assert refund.channel_refund_id == "CH-9"
    assert refund.updated_at > LONG_AGO
    assert result.failure_reason == failure[:255]
    other.refresh_from_db()
    assert other.status == RS.REFUNDING
    assert log("billing.refund_failed", refund).summary == failure[:255]
    assert [r.getMessage() for r in caplog.records] == [
        f"refund {result} failed: {failure}"
    ]


def test_a_late_failure_report_does_not_undo_a_success():
    refund = staff_refund(paid_order("dev"))
    refund_apply_channel_state(refund=refund, state=succeeded(), actor=ACTOR)

    refund_apply_channel_state(refund=refund, state=failed(), actor=ACTOR)

    refund.refresh_from_db()
    assert refund.status == RS.SUCCEEDED
    assert OperationLog.objects.filter(action="billing.refund_failed").exists() is False


def test_a_processing_report_records_the_first_channel_id_only():
    refund = staff_refund(paid_order("dev"))
    aged(refund)
    processing = ChannelRefundState(status="processing", channel_refund_id="CH-1")

    refund_apply_channel_state(refund=refund, state=processing, actor=ACTOR)
    refund.refresh_from_db()
    first_update = refund.updated_at
    refund_apply_channel_state(
        refund=refund,
        state=ChannelRefundState(status="processing", channel_refund_id="CH-2"),
        actor=ACTOR,
    )

    refund.refresh_from_db()
    assert (refund.status, refund.channel_refund_id) == (RS.REFUNDING, "CH-1")
    assert first_update > LONG_AGO


# -- staff retry ---------------------------------------------------------------------------


def test_a_retry_resends_that_failed_refund_only_and_logs_the_failure():
    refund = staff_refund(paid_order("dev"))
    other = staff_refund(paid_order("dev"))
    for each in (refund, other):
        refund_apply_channel_state(refund=each, state=failed("card"), actor=ACTOR)
    aged(refund)

    refund_retry(refund=refund, actor=ACTOR)

    refund.refresh_from_db()
    other.refresh_from_db()
    assert refund.status == RS.REFUNDING
    assert refund.updated_at > LONG_AGO
    assert other.status == RS.FAILED
    assert log("billing.refund_retry", refund).summary == "card"


def test_retrying_a_refund_that_did_not_fail_is_refused_in_words():
    refund = staff_refund(paid_order("dev"))

    with pytest.raises(Conflict) as excinfo:
        refund_retry(refund=refund, actor=ACTOR)

    assert excinfo.value.message == "Only a failed refund can be retried."


# -- points taken back ---------------------------------------------------------------------


def points_of(order: PaymentOrder) -> int:
    order.user.refresh_from_db()
    return order.user.points


def test_partial_refunds_take_back_their_share_of_a_balance_with_other_points(
    settings,
):
    # given: 10 points for the payment and 100 from elsewhere
    settings.POINTS_PER_PAID_BOOKING = 10
    order = paid_order("dev", fee=2000)
    points_apply(
        user=order.user,
        delta=100,
        reason="gift",
        source_type="appointment_completed",
        source_id="elsewhere",
        actor=ACTOR,
    )

    # when: two halves are refunded
    for kind in ("staff", "other"):
        refund = staff_refund(order, 1000, kind=kind)
        refund_apply_channel_state(refund=refund, state=succeeded(None), actor=ACTOR)

    # then: 5 and 5, the other 100 untouched
    deltas = list(
        PointsEntry.objects.filter(source_type="refund")
        .order_by("pk")
        .values_list("delta", flat=True)
    )
    assert deltas == [-5, -5]
    assert points_of(order) == 100


def test_a_single_point_is_taken_back_and_so_is_a_share_worth_one(settings):
    # given: payments worth 1 point and 10 points
    settings.POINTS_PER_PAID_BOOKING = 1
    one = paid_order("dev", fee=2000)
    settings.POINTS_PER_PAID_BOOKING = 10
    ten = paid_order("dev", fee=2000)

    # when: all of the first is refunded, a tenth of the second
    refund_apply_channel_state(
        refund=staff_refund(one), state=succeeded(None), actor=ACTOR
    )
    refund_apply_channel_state(
        refund=staff_refund(ten, 200), state=succeeded(None), actor=ACTOR
    )

    # then
    assert points_of(one) == 0
    assert points_of(ten) == 9


def test_a_cancel_refunds_its_own_appointments_order_only():
    # given: another appointment's order paid earlier, partly refunded by staff, and
    # already refunded on its own cancel
    other = paid_order("dev", fee=2000)
    staff_refund(other, 500)
    appointment_refund_request(
        appointment=other.appointment, actor=ACTOR, reason="stop_clinic"
    )
    mine = paid_order("dev", fee=2000)

    # when
    refund = appointment_refund_request(
        appointment=mine.appointment, actor=ACTOR, reason="stop_clinic"
    )

    # then
    assert (refund.order_id, refund.kind, refund.amount) == (
        mine.pk,
        "stop_clinic",
        2000,
    )
