"""Membership and money: the discount in the amount paid, points for paid bookings and
visits, and points taken back by refunds. Payments go through billing's real services
(the dev gateway pays and refunds at once)."""

import pytest

from accounts.members import points_apply
from accounts.models import MemberLevel, PointsEntry, User
from appointments.models import Appointment
from appointments.services import appointment_cancel
from billing import services
from billing.models import PaymentOrder, Refund
from common.models import OperationLog
from common.services import Actor
from tests.accounts.factories import default_levels
from tests.appointments.factories import PatientProfileFactory
from tests.billing.factories import open_order, pending_appointment

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()


@pytest.fixture
def levels() -> dict[str, MemberLevel]:
    return default_levels()


@pytest.fixture(autouse=True)
def dev_gateway(settings):
    settings.PAYMENTS_DEV_GATEWAY = True
    settings.POINTS_PER_PAID_BOOKING = 10
    settings.POINTS_PER_COMPLETED_VISIT = 20


def profile_of(level: MemberLevel | None = None, points: int = 0):
    return PatientProfileFactory(
        user__member_level=level, user__member_level_floor=level, user__points=points
    )


def pay(order: PaymentOrder, transaction_id: str | None = None) -> PaymentOrder:
    return services.payment_order_mark_paid(
        order=order,
        transaction_id=transaction_id or f"T-{order.out_trade_no}",
        amount=order.amount,
        paid_at=None,
        actor=ACTOR,
    )


def points_of(user: User) -> int:
    user.refresh_from_db()
    return user.points


# -- the discount --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "fee", "amount"),
    [
        ("normal", 2000, 2000),
        ("silver", 1999, 1959),  # 1959.02
        ("gold", 2000, 1900),
        ("gold", 1990, 1891),  # 1890.5 rounds half up
        ("vip", 1990, 1791),
    ],
)
def test_the_member_pays_the_fee_after_their_levels_discount(levels, code, fee, amount):
    # given
    appointment = pending_appointment(fee=fee, profile=profile_of(levels[code]))

    # when
    order = services.payment_order_open(
        appointment=appointment, channel="dev", actor=ACTOR
    )

    # then
    assert (order.original_amount, order.amount) == (fee, amount)


def test_a_member_without_a_level_pays_the_entry_levels_price(levels):
    MemberLevel.objects.filter(pk=levels["normal"].pk).update(discount_rate_bp=9900)
    appointment = pending_appointment(fee=3000, profile=profile_of(None))

    order = open_order(appointment=appointment)

    assert order.amount == 2970


# -- points for a paid booking -------------------------------------------------------------


def test_a_paid_booking_earns_points_once_per_order(levels):
    # given
    order = open_order(fee=2000)
    user = order.user

    # when: the notification arrives twice
    pay(order)
    pay(order)

    # then
    assert points_of(user) == 10
    [entry] = PointsEntry.objects.all()
    assert (entry.source_type, entry.source_id, entry.delta) == (
        "order_paid",
        str(order.pk),
        10,
    )
    assert entry.reason == f"Booking paid (order {order.out_trade_no})"


def test_no_points_when_the_setting_is_zero(levels, settings):
    settings.POINTS_PER_PAID_BOOKING = 0
    order = open_order()

    pay(order)

    assert points_of(order.user) == 0
    assert PointsEntry.objects.exists() is False


def test_a_duplicate_payment_earns_nothing_and_its_refund_takes_nothing(levels):
    # given: two orders for one appointment, both paid; the second is refunded
    appointment = pending_appointment(fee=2000)
    first = services.payment_order_open(
        appointment=appointment, channel="dev", actor=ACTOR
    )
    second = PaymentOrder.objects.create(
        appointment=appointment,
        hospital_id=appointment.hospital_id,
        user=appointment.user,
        channel="alipay",
        out_trade_no="P-duplicate-1",
        original_amount=2000,
        amount=2000,
    )
    pay(first)

    # when
    pay(second)

    # then
    refund = Refund.objects.get(order=second)
    assert refund.kind == Refund.Kind.DUPLICATE_PAYMENT
    services.refund_apply_channel_state(
        refund=refund,
        state=services.ChannelRefundState(
            status=Refund.Status.SUCCEEDED, channel_refund_id="R1"
        ),
        actor=ACTOR,
    )
    assert points_of(appointment.user) == 10
    assert list(PointsEntry.objects.values_list("source_type", "source_id")) == [
        ("order_paid", str(first.pk))
    ]


def test_points_crossing_a_threshold_on_payment_raise_the_level(levels):
    profile = profile_of(None, points=195)
    order = open_order(appointment=pending_appointment(profile=profile))

    pay(order)

    profile.user.refresh_from_db()
    assert profile.user.points == 205
    assert profile.user.member_level == levels["silver"]


# -- refunds take the points back ----------------------------------------------------------


def test_cancelling_a_paid_booking_takes_its_points_back_when_the_refund_succeeds(
    levels, django_capture_on_commit_callbacks
):
    # given: the payment lifted the member to silver
    profile = profile_of(None, points=195)
    order = open_order(appointment=pending_appointment(profile=profile))
    pay(order)
    appointment = Appointment.objects.get(pk=order.appointment_id)

    # when: cancelled; the dev channel refunds at once after commit
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=ACTOR, appointment=appointment, reason="有事")

    # then
    refund = Refund.objects.get(order=order)
    assert refund.status == Refund.Status.SUCCEEDED
    user = profile.user
    user.refresh_from_db()
    assert user.points == 195
    assert user.member_level == levels["normal"]
    back = PointsEntry.objects.get(source_type="refund")
    assert (back.source_id, back.delta, back.balance_after) == (
        str(refund.pk),
        -10,
        195,
    )
    assert back.reason == f"Refund {refund.out_refund_no}"
    assert OperationLog.objects.filter(
        action="member.level_change", summary="silver -> normal (195 points)"
    ).exists()


def test_a_refund_still_in_flight_or_failed_takes_nothing_back(levels):
    order = open_order()
    pay(order)
    refund = services.refund_create(
        order=order, actor=ACTOR, kind=Refund.Kind.STAFF, reason="staff"
    )

    services.refund_apply_channel_state(
        refund=refund,
        state=services.ChannelRefundState(
            status=Refund.Status.FAILED, channel_refund_id=None, failure="no money"
        ),
        actor=ACTOR,
    )

    assert points_of(order.user) == 10
    assert PointsEntry.objects.filter(source_type="refund").exists() is False


def test_a_refund_reported_twice_takes_the_points_back_once(levels):
    # given
    order = open_order()
    pay(order)
    refund = services.refund_create(
        order=order, actor=ACTOR, kind=Refund.Kind.STAFF, reason="staff"
    )
    succeeded = services.ChannelRefundState(
        status=Refund.Status.SUCCEEDED, channel_refund_id="R-1"
    )

    # when
    services.refund_apply_channel_state(refund=refund, state=succeeded, actor=ACTOR)
    services.refund_apply_channel_state(refund=refund, state=succeeded, actor=ACTOR)

    # then
    assert points_of(order.user) == 0
    assert PointsEntry.objects.filter(source_type="refund").count() == 1


def test_partial_refunds_take_back_their_share_and_never_more_than_was_earned(
    levels, settings
):
    # given: 10 points for a 2000 fen payment, refunded in parts of 500 and 1500
    order = open_order(fee=2000)
    pay(order)
    parts = []
    for kind, amount in [(Refund.Kind.STAFF, 500), (Refund.Kind.OTHER, 1500)]:
        refund = services.refund_create(
            order=order, actor=ACTOR, kind=kind, reason="part", amount=amount
        )
        services.refund_apply_channel_state(
            refund=refund,
            state=services.ChannelRefundState(
                status=Refund.Status.SUCCEEDED, channel_refund_id=f"R-{amount}"
            ),
            actor=ACTOR,
        )
        parts.append(refund)

    # then: 500/2000 x 10 = 2.5 -> 3, then the remaining 7
    deltas = list(
        PointsEntry.objects.filter(source_type="refund")
        .order_by("pk")
        .values_list("source_id", "delta")
    )
    assert deltas == [(str(parts[0].pk), -3), (str(parts[1].pk), -7)]
    assert points_of(order.user) == 0


def test_a_refund_takes_back_only_what_the_balance_still_holds(levels):
    # given: the 10 points of the payment, of which an earlier take-back left 4
    order = open_order()
    pay(order)
    user = order.user
    points_apply(
        user=user,
        delta=-6,
        reason="test",
        source_type="refund",
        source_id="elsewhere",
        actor=ACTOR,
    )
    refund = services.refund_create(
        order=order, actor=ACTOR, kind=Refund.Kind.STAFF, reason="staff"
    )

    # when
    services.refund_apply_channel_state(
        refund=refund,
        state=services.ChannelRefundState(
            status=Refund.Status.SUCCEEDED, channel_refund_id="R-1"
        ),
        actor=ACTOR,
    )

    # then
    entry = PointsEntry.objects.get(source_type="refund", source_id=str(refund.pk))
    assert (entry.delta, entry.balance_after) == (-4, 0)
    assert points_of(user) == 0
