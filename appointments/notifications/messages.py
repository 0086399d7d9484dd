"""What a notification says: the values of an event, the inbox text, the WeChat template data.

The values (`context`) are fixed when the event happens and kept on the row, so a message
sent later still tells what happened then. They never hold phone or ID numbers.
"""

import re
from collections import defaultdict

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import (
    Appointment,
    Notification,
    RebookingOffer,
    WaitlistEntry,
)

E = Notification.Event

TITLE_MAX = 64
BODY_MAX = 500

# Length limits of WeChat subscribe-message keyword types; longer values are refused
# with 47003, so they are cut here. Types not listed (time, date, amount) are short.
WECHAT_VALUE_LIMITS = {
    "thing": 20,
    "name": 10,
    "phrase": 5,
    "symbol": 5,
    "character_string": 32,
    "number": 32,
    "letter": 32,
    "car_number": 8,
}
_KEYWORD_TYPE = re.compile(r"^([a-z_]+?)_?\d*$")


def local_time_text(value) -> str:
    """A time as messages show it: local, to the minute ("" for none)."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


_local = local_time_text


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def appointment_context(appointment: Appointment) -> dict[str, str]:
    doctor = appointment.doctor
    return {
        "appointment_id": str(appointment.pk),
        "order_no": appointment.order_no,
        "patient": appointment.profile.name,
        "hospital": appointment.hospital.name,
        "department": doctor.department.name,
        "doctor": doctor.name,
        "visit_time": _local(appointment.visit_starts_at),
        "visit_date": timezone.localtime(appointment.visit_starts_at).strftime(
            "%Y-%m-%d"
        ),
        "place": appointment.place,
        "queue_no": str(appointment.queue_no),
        "fee": _yuan(appointment.fee),
        "pay_before": _local(appointment.hold_expires_at),
        "reason": appointment.cancel_reason,
        "confirm_before": _local(appointment.confirm_deadline),
    }


def waitlist_context(entry: WaitlistEntry) -> dict[str, str]:
    session = entry.session
    return {
        "entry_id": str(entry.pk),
        "patient": entry.profile.name,
        "hospital": session.hospital.name,
        "doctor": session.doctor.name,
        "visit_date": session.date.strftime("%Y-%m-%d"),
        "period": session.get_period_display(),
    }


def rebooking_offer_context(offer: RebookingOffer) -> dict[str, str]:
    """The stopped booking's values, with the offered seat's doctor and time in place of
    its own (the old ones kept as old_*), and until when the seat is held."""
    stopped = offer.appointment
    slot = offer.slot
    doctor = slot.session.doctor
    return appointment_context(stopped) | {
        "offer_id": str(offer.pk),
        "old_doctor": stopped.doctor.name,
        "old_visit_time": _local(stopped.visit_starts_at),
        "doctor": doctor.name,
        "department": doctor.department.name,
        "visit_time": _local(slot.starts_at),
        "visit_date": timezone.localtime(slot.starts_at).strftime("%Y-%m-%d"),
        "hold_until": _local(offer.expires_at),
        "fee": _yuan(0 if offer.fee_waived else slot.session.fee),
        "fee_waived": "1" if offer.fee_waived else "",
        "pay_before": "",
        "queue_no": "",
        "place": "",
    }


def refund_context(*, appointment: Appointment, amount: int) -> dict[str, str]:
    return appointment_context(appointment) | {"amount": _yuan(amount)}


def _texts(event: str, context: dict[str, str]) -> tuple[str, str]:
    """(title, body) of an event, in the active language."""
    if event == E.BOOKED:
        return _("Booking confirmed"), _(
            "%(patient)s: %(doctor)s, %(department)s, %(hospital)s, %(visit_time)s, "
            "queue number %(queue_no)s. Place: %(place)s."
        )
    if event == E.PAYMENT_DUE:
        return _("Payment due"), _(
            "%(patient)s: please pay %(fee)s yuan before %(pay_before)s to keep your "
            "booking with %(doctor)s at %(visit_time)s."
        )
    if event == E.CANCELLED:
        return _("Appointment cancelled"), _(
            "%(patient)s: your appointment with %(doctor)s at %(visit_time)s was "
            "cancelled. Anything paid will be refunded."
        )
    if event == E.EXPIRED:
        return _("Booking released"), _(
            "%(patient)s: your booking with %(doctor)s at %(visit_time)s was released "
            "because it was not paid in time."
        )
    if event == E.STOP_CLINIC:
        return _("Clinic stopped"), _(
            "%(patient)s: %(doctor)s will not see patients at %(visit_time)s "
            "(%(reason)s). Your appointment was cancelled and anything paid will be "
            "refunded."
        )
    if event == E.WAITLIST_PROMOTED:
        if context.get("pay_before"):
            return _("A seat for you"), _(
                "%(patient)s: you got a seat from the waitlist with %(doctor)s at "
                "%(visit_time)s, queue number %(queue_no)s. Please pay %(fee)s yuan "
                "before %(pay_before)s."
            )
        return _("A seat for you"), _(
            "%(patient)s: you got a seat from the waitlist with %(doctor)s at "
            "%(visit_time)s, queue number %(queue_no)s."
        )
    if event == E.WAITLIST_CLOSED:
        return _("Waitlist closed"), _(
            "%(patient)s: the waitlist for %(doctor)s on %(visit_date)s (%(period)s) "
            "has closed without a seat for you."
        )
    if event == E.CHECKED_IN:
        return _("Checked in"), _(
            "%(patient)s: you are checked in for %(doctor)s, queue number "
            "%(queue_no)s. Please wait at %(place)s."
        )
    if event == E.NO_SHOW:
        return _("Missed appointment"), _(
            "%(patient)s: you missed your appointment with %(doctor)s at "
            "%(visit_time)s."
        )
    if event == E.HOLD_EXPIRING:
        return _("Payment about to expire"), _(
            "%(patient)s: please pay %(fee)s yuan before %(pay_before)s, or your "
            "booking with %(doctor)s at %(visit_time)s will be released."
        )
    if event == E.REFUND_DONE:
        return _("Refund completed"), _(
            "%(patient)s: %(amount)s yuan of order %(order_no)s has been refunded."
        )
    if event == E.VISIT_REMINDER:
        return _("Visit reminder"), _(
            "%(patient)s: your visit with %(doctor)s, %(department)s, %(hospital)s "
            "is at %(visit_time)s, queue number %(queue_no)s. Place: %(place)s."
        )
    if event == E.RECORD_READY:
        return _("Medical record ready"), _(
            "%(patient)s: the medical record of your visit with %(doctor)s on "
            "%(visit_date)s is ready to read."
        )
    if event == E.REPORT_READY:
        return _("Report ready"), _(
            "%(patient)s: a new report from your visit with %(doctor)s on "
            "%(visit_date)s is ready to read."
        )
    if event == E.CONFIRM_REQUEST:
        if context.get("confirm_before"):
            return _("Please confirm your visit"), _(
                "%(patient)s: please confirm with one tap that you will come to "
                "%(doctor)s at %(visit_time)s, before %(confirm_before)s. A booking "
                "not confirmed by then gives its seat to patients on the waitlist. If "
                "you cannot come, please cancel."
            )
        return _("Please confirm your visit"), _(
            "%(patient)s: please confirm with one tap that you will come to "
            "%(doctor)s at %(visit_time)s. If you cannot come, please cancel so that "
            "another patient can have the seat."
        )
    if event == E.UNCONFIRMED_RELEASED:
        return _("Unconfirmed booking released"), _(
            "%(patient)s: your booking with %(doctor)s at %(visit_time)s was not "
            "confirmed before %(confirm_before)s, so its seat went back to patients "
            "on the waitlist."
        )
    if event == E.RESCHEDULED:
        if context.get("top_up") and context.get("pay_before"):
            return _("Appointment rescheduled"), _(
                "%(patient)s: your appointment with %(old_doctor)s at "
                "%(old_visit_time)s was moved to %(doctor)s at %(visit_time)s, queue "
                "number %(queue_no)s. The new slot costs %(fee)s yuan: please pay the "
                "difference before %(pay_before)s, or the booking will be released and "
                "what you paid refunded."
            )
        if context.get("pay_before"):
            return _("Appointment rescheduled"), _(
                "%(patient)s: your appointment with %(old_doctor)s at "
                "%(old_visit_time)s was moved to %(doctor)s at %(visit_time)s, queue "
                "number %(queue_no)s. Please pay %(fee)s yuan before %(pay_before)s."
            )
        return _("Appointment rescheduled"), _(
            "%(patient)s: your appointment with %(old_doctor)s at %(old_visit_time)s "
            "was moved to %(doctor)s at %(visit_time)s, queue number %(queue_no)s. "
            "Place: %(place)s."
        )
    if event == E.REBOOKING_OFFERED:
        if context.get("fee_waived"):
            return _("A new time held for you"), _(
                "%(patient)s: since %(old_doctor)s cannot see you at "
                "%(old_visit_time)s, we are holding a seat for you with %(doctor)s at "
                "%(visit_time)s until %(hold_until)s. Accepting it costs nothing: "
                "there is no new charge. If you do not answer by then, the seat is "
                "released; your refund stands either way."
            )
        return _("A new time held for you"), _(
            "%(patient)s: since %(old_doctor)s cannot see you at %(old_visit_time)s, "
            "we are holding a seat for you with %(doctor)s at %(visit_time)s until "
            "%(hold_until)s. Accepting it costs nothing extra: the booking is made at "
            "the usual fee of %(fee)s yuan, as your stopped one was. If you do not "
            "answer by then, the seat is released."
        )
    if event == E.RELEASE_QUEUE_ADMITTED:
        return _("Your turn to book"), _(
            "%(patient)s: it is your turn in the queue for %(doctor)s on "
            "%(visit_date)s (%(period)s). Pick a time and book before %(pass_until)s; "
            "after that your turn passes to the next patient."
        )
    raise ValueError(f"no text for event {event!r}")


def message_texts(event: str, context: dict[str, str]) -> tuple[str, str]:
    """The inbox title and body of an event, cut to the columns' lengths."""
    title, body = _texts(event, context)
    values = defaultdict(str, context)
    return title[:TITLE_MAX], (body % values)[:BODY_MAX]


def event_settings(event: str) -> dict:
    """The event's entry in settings.NOTIFICATIONS["EVENTS"] (template, page, sms)."""
    return settings.NOTIFICATIONS["EVENTS"].get(event, {})


def page_for(event: str, context: dict[str, str]) -> str:
    page = event_settings(event).get("page", "")
    return page.format_map(defaultdict(str, context))[:255]


def wechat_data(
    template_data: dict[str, str], context: dict[str, str]
) -> dict[str, str]:
    """Fill a template's keywords ({"thing2": "{doctor}"}) from the context, within limits."""
    values = defaultdict(str, context)
    data = {}
    for keyword, pattern in template_data.items():
        value = pattern.format_map(values)
        match = _KEYWORD_TYPE.match(keyword)
        limit = WECHAT_VALUE_LIMITS.get(match.group(1) if match else "")
        if limit is not None and len(value) > limit:
            value = value[: limit - 1] + "…"
        data[keyword] = value
    return data


def sms_text(notification: Notification) -> str:
    return f"{notification.title}: {notification.body}"
