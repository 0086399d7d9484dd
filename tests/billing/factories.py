"""Billing test data: pending appointments booked through the real booking service, and
payment orders opened through the real billing service."""

import itertools

from appointments.models import Appointment
from appointments.services import appointment_book
from billing.models import PaymentOrder
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
