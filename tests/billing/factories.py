"""Billing test data: pending appointments booked through the real booking service, and
payment orders opened through the real billing service."""

import itertools

from appointments.models import Appointment
from appointments.services import appointment_book
from billing.models import PaymentOrder
from billing.services.notifications import (
    alipay_notification_handle,
    payment_order_dev_pay,
    wechatpay_notification_handle,
)
from billing.services.orders import payment_order_open
from common.services import Actor
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import SlotFactory

ACTOR = Actor.system()
_openids = itertools.count(1)


def pending_appointment(
    *, fee: int = 2000, profile=None, slot=None, openid: bool = True
) -> Appointment:
    """An appointment awaiting payment, within its hold (booked as a patient would)."""
    if profile is None:
        profile = PatientProfileFactory(
            user__wechat_openid=f"o-payer-{next(_openids)}" if openid else None
        )
    slot = slot or SlotFactory(session__fee=fee, session__doctor__fee=fee)
    return appointment_book(actor=ACTOR, user=profile.user, profile=profile, slot=slot)


def open_order(*, channel: str = "dev", appointment=None, **kwargs) -> PaymentOrder:
    appointment = appointment or pending_appointment(**kwargs)
    return payment_order_open(appointment=appointment, channel=channel, actor=ACTOR)


def paid_order(channel: str, server=None, *, fee: int = 2000, **kwargs) -> PaymentOrder:
    """An order paid through the channel's real notification path (`kwargs`: see
    pending_appointment)."""
    order = open_order(channel=channel, fee=fee, **kwargs)
    if channel == "wechat":
        headers, body = server.notification(
            server.pay(order.out_trade_no, total=order.amount)
        )
        wechatpay_notification_handle(headers=headers, body=body, actor=ACTOR)
    elif channel == "alipay":
        params = server.notification(
            server.pay(order.out_trade_no, total_amount=f"{order.amount / 100:.2f}")
        )
        alipay_notification_handle(params=params, actor=ACTOR)
    else:
        payment_order_dev_pay(order=order, actor=ACTOR)
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAID
    return order
