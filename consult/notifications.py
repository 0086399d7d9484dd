"""What the parties of an online consult are told, through appointments' outbox.

Each function is called inside the transaction of the change it tells about, so the
notification row (outbox entry and inbox copy) commits with it or not at all; delivery
(WeChat subscribe message, then a text for the events in NOTIFY_SMS_EVENTS) is the
outbox's, queued after the commit (appointments.notifications.delivery). Consult words
its own messages (gettext) and passes them with the event; the rows' dedupe keys start
with "consult:<id>:", which is how a notification names its consult (appointments, the
layer below, holds no reference to it).

A new message tells the other party at most once per consult and recipient every
CONSULT_NOTIFY_MESSAGE_MINUTES (the outbox's throttle: a conditional write on the key
"consult:<id>:user:<id>", so two messages at once write one notification). There is no
presence yet: the real-time layer, once it knows a recipient is connected to the
consult, can skip `consult_message_notify` for them (see the presence note there).
"""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import Notification
from appointments.notifications.delivery import (
    notification_create,
    notification_throttle_claim,
)
from appointments.notifications.messages import local_time_text
from common.money import fen_to_yuan
from consult.models import Consult, ConsultMessage
from consult.presence import is_present

E = Notification.Event


def _context(consult: Consult, title: str) -> dict[str, str]:
    return {
        "consult_id": str(consult.pk),
        "patient": consult.profile.name,
        "doctor": consult.doctor.name,
        "hospital": consult.hospital.name,
        "title": title,
        "time": local_time_text(timezone.now()),
    }


def _to_patient(
    consult: Consult, *, event: str, key: str, title: str, body: str, **extra: str
) -> Notification | None:
    context = _context(consult, title) | extra
    return notification_create(
        user_id=consult.user_id,
        profile_id=consult.profile_id,
        event=event,
        dedupe_key=f"consult:{consult.pk}:{key}",
        context=context,
        texts=(title, body % context),
    )


def _to_doctor(
    consult: Consult, *, event: str, key: str, title: str, body: str
) -> Notification | None:
    if consult.doctor.user_id is None:
        return None  # a doctor without an account has no inbox to tell
    context = _context(consult, title)
    return notification_create(
        user_id=consult.doctor.user_id,
        event=event,
        dedupe_key=f"consult:{consult.pk}:{key}",
        context=context,
        texts=(title, body % context),
    )


def message_throttle_key(*, consult: Consult, user_id: int) -> str:
    return f"consult:{consult.pk}:user:{user_id}"


def consult_message_notify(
    *, consult: Consult, message: ConsultMessage
) -> Notification | None:
    """Tell the other party of a new message, unless they were told of one in the last
    CONSULT_NOTIFY_MESSAGE_MINUTES. Returns None when throttled.

    A recipient who has the consult open on a socket (consult.presence) sees the message
    at once: not told, and the throttle's window not started."""
    to_patient = message.sender == ConsultMessage.Sender.DOCTOR
    recipient = consult.user_id if to_patient else consult.doctor.user_id
    if recipient is None or is_present(consult_id=consult.pk, user_id=recipient):
        return None
    window = datetime.timedelta(minutes=settings.CONSULT_NOTIFY_MESSAGE_MINUTES)
    if not notification_throttle_claim(
        key=message_throttle_key(consult=consult, user_id=recipient), window=window
    ):
        return None
    key = f"message:{message.pk}"
    if to_patient:
        return _to_patient(
            consult,
            event=E.CONSULT_MESSAGE,
            key=key,
            title=_("New reply from your doctor"),
            body=_(
                "%(patient)s: %(doctor)s has replied to your online consult. Open it "
                "to read the reply."
            ),
        )
    return _to_doctor(
        consult,
        event=E.CONSULT_MESSAGE,
        key=key,
        title=_("New consult message"),
        body=_("%(patient)s has sent a new message in an online consult."),
    )


def consult_accepted_notify(*, consult: Consult) -> Notification | None:
    """The doctor's first reply: the patient is told the consult has started. It stands
    for that reply's message notification too (the throttle is taken for it)."""
    window = datetime.timedelta(minutes=settings.CONSULT_NOTIFY_MESSAGE_MINUTES)
    notification_throttle_claim(
        key=message_throttle_key(consult=consult, user_id=consult.user_id),
        window=window,
    )
    return _to_patient(
        consult,
        event=E.CONSULT_ACCEPTED,
        key="accepted",
        title=_("Your doctor has replied"),
        body=_(
            "%(patient)s: %(doctor)s (%(hospital)s) has taken your online consult and "
            "replied. Open it to read the reply."
        ),
    )


def consult_closed_notify(*, consult: Consult) -> Notification | None:
    """A closed consult: the other party when a party closed it, the patient when it
    closed itself (no message for CONSULT_IDLE_CLOSE_HOURS)."""
    if consult.closed_by == Consult.ClosedBy.PATIENT:
        return _to_doctor(
            consult,
            event=E.CONSULT_CLOSED,
            key="closed",
            title=_("Online consult closed"),
            body=_("%(patient)s has closed their online consult."),
        )
    if consult.closed_by == Consult.ClosedBy.DOCTOR:
        body = _(
            "%(patient)s: %(doctor)s has closed your online consult. You can rate it "
            "now."
        )
    else:
        body = _(
            "%(patient)s: your online consult with %(doctor)s was closed after a long "
            "time without messages. You can rate it now."
        )
    return _to_patient(
        consult,
        event=E.CONSULT_CLOSED,
        key="closed",
        title=_("Online consult closed"),
        body=body,
    )


def consult_cancelled_notify(*, consult: Consult) -> Notification | None:
    """A cancelled consult: the patient (the doctor did not reply in time, or the patient
    withdrew it; anything paid is refunded, which consult_refunded_notify tells)."""
    if consult.closed_by == Consult.ClosedBy.PATIENT:
        body = _(
            "%(patient)s: your online consult with %(doctor)s was cancelled. Anything "
            "paid will be refunded."
        )
    elif consult.reply_deadline is None:  # never paid: no deadline was ever set
        body = _(
            "%(patient)s: your online consult with %(doctor)s was not paid in time, so "
            "it was cancelled."
        )
    else:
        body = _(
            "%(patient)s: %(doctor)s could not reply to your online consult in time, "
            "so it was cancelled. Anything paid will be refunded."
        )
    return _to_patient(
        consult,
        event=E.CONSULT_CANCELLED,
        key="cancelled",
        title=_("Online consult cancelled"),
        body=body,
    )


def consult_refunded_notify(
    *, consult: Consult, amount_fen: int, refund_id: int | None = None
) -> Notification | None:
    """Tell the patient that `amount_fen` of the consult's fee was refunded.

    For billing's refund flow to call inside the transaction that records the refund as
    done (once per refund: `refund_id` makes the dedupe key; without it, once per
    consult)."""
    amount = fen_to_yuan(amount_fen)
    return _to_patient(
        consult,
        event=E.CONSULT_REFUNDED,
        key=f"refunded:{refund_id}" if refund_id is not None else "refunded",
        title=_("Online consult refunded"),
        body=_(
            "%(patient)s: %(amount)s yuan paid for your online consult with "
            "%(doctor)s has been refunded."
        ),
        amount=amount,
    )


def consult_status_notify(*, consult: Consult) -> Notification | None:
    """Tell the parties about the consult's new status (closed or cancelled): the entry
    point for every path that ends a consult, whichever status it ends in."""
    if consult.status == Consult.Status.CLOSED:
        return consult_closed_notify(consult=consult)
    if consult.status == Consult.Status.CANCELLED:
        return consult_cancelled_notify(consult=consult)
    return None
