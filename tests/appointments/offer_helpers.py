"""Sessions stopped with their patients, and the later seats offered to them."""

import datetime
import itertools

from django.utils import timezone

from appointments.models import Appointment
from appointments.services import session_stop
from appointments.services.rebooking_offers import offers_make_after_stop
from billing.services import payment_order_dev_pay
from common.services import Actor
from scheduling.models import Slot
from tests.billing.factories import open_order
from tests.scheduling.factories import SlotFactory

ACTOR = Actor.system()
_days = itertools.count(4)


def later_slot(doctor, **kwargs) -> Slot:
    """A slot of `doctor` in a session after the stopped ones (two days ahead)."""
    date = timezone.localdate() + datetime.timedelta(days=next(_days))
    return SlotFactory(session__doctor=doctor, session__date=date, **kwargs)


def paid_booking(slot: Slot | None = None, fee: int = 1500) -> Appointment:
    order = open_order(fee=fee, slot=slot)
    payment_order_dev_pay(order=order, actor=ACTOR)
    appointment = order.appointment
    appointment.refresh_from_db()
    return appointment


def stop(session, now=None) -> dict[int, bool]:
    """Stop the session without its after-commit offers; what they would be given."""
    paid = {
        a.pk: a.status == Appointment.Status.BOOKED
        for a in session.appointments.filter(status__in=Appointment.UPCOMING)
    }
    session_stop(actor=ACTOR, session=session, reason="医生出差", now=now)
    return paid


def offer_after_stop(paid: dict[int, bool], now=None):
    return offers_make_after_stop(actor=ACTOR, paid_by_appointment=paid, now=now)


def one_offer_after_a_paid_booking_stopped():
    """A paid booking whose session was stopped, offered the doctor's one later seat
    (needs settings.PAYMENTS_DEV_GATEWAY)."""
    stopped = paid_booking()
    later_slot(stopped.doctor, capacity=1)
    [made] = offer_after_stop(stop(stopped.session))
    return made
