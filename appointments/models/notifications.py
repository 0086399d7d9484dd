"""The patient's inbox (the outbox of texts and WeChat messages) and the reminders planned for a visit."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from appointments.models.appointment import Appointment
from common.models import TimeStampedModel


class Notification(TimeStampedModel):
    """One message to a patient: the outbox row delivery works from, and its inbox copy.

    The row is written in the transaction of the event that causes it, so an event never
    commits without its message. Delivery claims the row with a conditional UPDATE
    (pending -> sending), sends through WeChat or SMS, and marks it sent; see
    appointments.notifications.delivery.
    """

    class Event(models.TextChoices):
        BOOKED = "booked", _("Booking confirmed")
        PAYMENT_DUE = "payment_due", _("Payment due")
        CANCELLED = "cancelled", _("Appointment cancelled")
        EXPIRED = "expired", _("Unpaid booking released")
        STOP_CLINIC = "stop_clinic", _("Clinic stopped")
        WAITLIST_PROMOTED = "waitlist_promoted", _("Seat from the waitlist")
        WAITLIST_CLOSED = "waitlist_closed", _("Waitlist closed")
        CHECKED_IN = "checked_in", _("Checked in")
        NO_SHOW = "no_show", _("Missed appointment")
        HOLD_EXPIRING = "hold_expiring", _("Payment about to expire")
        REFUND_DONE = "refund_done", _("Refund completed")
        VISIT_REMINDER = "visit_reminder", _("Visit reminder")
        RECORD_READY = "record_ready", _("Medical record ready")
        REPORT_READY = "report_ready", _("Report ready")
        CONFIRM_REQUEST = "confirm_request", _("Please confirm your visit")
        UNCONFIRMED_RELEASED = "unconfirmed_released", _("Unconfirmed booking released")
        RESCHEDULED = "rescheduled", _("Appointment rescheduled")
        # After a stop: a later seat held for the patient (services/rebooking_offers.py).
        REBOOKING_OFFERED = "rebooking_offered", _("Rebooking offer made")
        # 排队放号: the patient's place in a release queue was admitted: book now.
        RELEASE_QUEUE_ADMITTED = "release_queue_admitted", _("Your turn to book")
        # Online consults (consult, the layer above, writes them through
        # appointments.notifications.delivery with its own texts; see consult.notifications).
        CONSULT_MESSAGE = "consult_message", _("Online consult: new message")
        CONSULT_ACCEPTED = "consult_accepted", _("Online consult accepted")
        CONSULT_CLOSED = "consult_closed", _("Online consult closed")
        CONSULT_CANCELLED = "consult_cancelled", _("Online consult cancelled")
        CONSULT_REFUNDED = "consult_refunded", _("Online consult refunded")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    class Channel(models.TextChoices):
        WECHAT = "wechat", _("WeChat subscribe message")
        SMS = "sms", _("Text message")
        INBOX = "inbox", _("In-app inbox only")

    # No database FK, like the operation log: an outbox row written inside an event's
    # transaction must not take a shared lock on the user row, which the same transaction
    # may lock for update afterwards (points, late-cancel quota); two such writers deadlock.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
        db_constraint=False,
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("appointment"),
    )
    # Whose phone a text goes to (the phone is read at sending time, never stored here).
    profile = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("patient"),
    )
    event = models.CharField(_("event"), max_length=24, choices=Event.choices)
    # One row per cause, e.g. "appointment:12:cancelled" or "reminder:12:evening_before":
    # a repeated event or two sweepers racing cannot create a second message.
    dedupe_key = models.CharField(_("deduplication key"), max_length=120, unique=True)
    title = models.CharField(_("title"), max_length=64)
    body = models.CharField(_("text"), max_length=500)
    # The mini-program page the WeChat message (and the inbox entry) opens.
    page = models.CharField(_("page"), max_length=255, blank=True)
    # The values the WeChat template is filled from, fixed when the event happened.
    context = models.JSONField(_("message values"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    channel = models.CharField(
        _("delivered through"), max_length=10, choices=Channel.choices, blank=True
    )
    # Short outcome codes per channel ("ok", "refused:43101", "no_phone", ...); no content.
    wechat_result = models.CharField(_("WeChat result"), max_length=40, blank=True)
    sms_result = models.CharField(_("SMS result"), max_length=40, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["user", "read_at"], name="notification_user_unread"),
            models.Index(fields=["user", "created_at"], name="notification_user_inbox"),
        ]

    def __str__(self) -> str:
        return self.dedupe_key

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationThrottle(models.Model):
    """When a throttled kind of message last went to one recipient about one subject.

    `key` names both, e.g. "consult:12:user:5" (a consult's new messages to one party):
    appointments knows nothing of what the subject is. The outbox writes a throttled
    notification only when it wins the conditional UPDATE of this row (`last_at` older
    than the window), so two events at once write one message; see
    appointments.notifications.delivery.notification_throttle_claim.
    """

    key = models.CharField(_("key"), max_length=120, unique=True)
    last_at = models.DateTimeField(_("last notified at"))

    class Meta:
        verbose_name = _("notification throttle")
        verbose_name_plural = _("notification throttles")

    def __str__(self) -> str:
        return self.key


class Reminder(TimeStampedModel):
    """A visit reminder planned for a booked appointment, fired by the periodic sweep.

    The sweep plans the rows from the hospital's booking rule shortly before they can be
    due, and turns each due row into a Notification once (conditional UPDATE on status).
    """

    class Kind(models.TextChoices):
        EVENING_BEFORE = "evening_before", _("The evening before")
        HOURS_BEFORE = "hours_before", _("Hours before the visit")
        # Written when the no-show model scores a booking as high risk.
        RISK_EXTRA = "risk_extra", _("Extra reminder (high no-show risk)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped (missed the call)")

    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("appointment"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # Why a reminder was not sent: "reminders_off", "not_booked", "visit_started", ...
    skip_reason = models.CharField(_("skipped because"), max_length=32, blank=True)
    notification = models.OneToOneField(
        Notification,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reminder",
        verbose_name=_("notification"),
    )

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind"], name="reminder_one_per_kind"
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="reminder_due")]

    def __str__(self) -> str:
        return f"{self.appointment_id}:{self.kind}"
