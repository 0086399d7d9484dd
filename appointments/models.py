from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class RiskBand(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")


class Appointment(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Pending payment")
        BOOKED = "booked", _("Booked")
        CHECKED_IN = "checked_in", _("Checked in")
        CALLED = "called", _("Called")
        SKIPPED = "skipped", _("Skipped (missed the call)")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No show")

    class CancelledBy(models.TextChoices):
        PATIENT = "patient", _("Patient")
        STAFF = "staff", _("Staff")
        TIMEOUT = "timeout", _("Payment timeout")
        STOP_CLINIC = "stop_clinic", _("Stop-clinic")
        UNCONFIRMED = "unconfirmed", _("Not confirmed in time")

    # Statuses in which the appointment is still ahead of the patient.
    UPCOMING = (
        Status.PENDING_PAYMENT,
        Status.BOOKED,
        Status.CHECKED_IN,
        Status.CALLED,
        Status.SKIPPED,
    )
    # At the hospital: checked in and not yet seen (the clinic floor's queue).
    ON_THE_FLOOR = (Status.CHECKED_IN, Status.CALLED, Status.SKIPPED)

    order_no = models.CharField(_("order number"), max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("user"),
    )
    profile = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("patient"),
    )
    slot = models.ForeignKey(
        "scheduling.Slot",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("time slot"),
    )
    session = models.ForeignKey(
        "scheduling.ClinicSession",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("clinic session"),
    )
    doctor = models.ForeignKey(
        "hospitals.Doctor",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("doctor"),
    )
    hospital = models.ForeignKey(
        "hospitals.Hospital",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("hospital"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, db_index=True
    )
    queue_no = models.PositiveIntegerField(_("queue number"))
    fee = models.PositiveIntegerField(_("fee (fen)"))
    visit_starts_at = models.DateTimeField(_("visit from"), db_index=True)
    visit_ends_at = models.DateTimeField(_("visit until"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    hold_expires_at = models.DateTimeField(
        _("pay before"), null=True, blank=True, db_index=True
    )
    cancelled_by = models.CharField(
        _("cancelled by"), max_length=20, choices=CancelledBy.choices, blank=True
    )
    cancel_reason = models.CharField(_("cancel reason"), max_length=255, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    # The clinic floor (appointments.services.queue): calls, and the visit's real times.
    call_count = models.PositiveSmallIntegerField(
        _("times called"), default=0, editable=False
    )
    last_called_at = models.DateTimeField(
        _("last called at"), null=True, blank=True, editable=False
    )
    visit_started_at = models.DateTimeField(
        _("visit started at"), null=True, blank=True, editable=False
    )
    visit_ended_at = models.DateTimeField(
        _("visit ended at"), null=True, blank=True, editable=False
    )
    # 加号 for a walk-in at the desk (services/walk_in.py): paid at the desk or free.
    walk_in = models.BooleanField(_("walk-in (加号)"), default=False, editable=False)
    reminders_enabled = models.BooleanField(_("reminders on"), default=True)
    # Booked through the members' priority channel before the public release.
    booked_early = models.BooleanField(
        _("booked before public release"), default=False, editable=False
    )
    # The no-show model's view of this booking (analytics scores each new booking and
    # records it through appointments.services): the calibrated probability in permille,
    # and its band under the active model's thresholds. Empty until scored.
    noshow_risk = models.PositiveSmallIntegerField(
        _("no-show risk (‰)"), null=True, blank=True, editable=False
    )
    noshow_risk_band = models.CharField(
        _("no-show risk band"),
        max_length=8,
        choices=RiskBand.choices,
        blank=True,
        editable=False,
    )
    # The same from the model trained without sex and age: the only risk a release of the
    # seat may be judged by (sex and age may inform reminders, never a refusal).
    noshow_risk_fair = models.PositiveSmallIntegerField(
        _("no-show risk without sex and age (‰)"),
        null=True,
        blank=True,
        editable=False,
    )
    noshow_fair_band = models.CharField(
        _("no-show risk band without sex and age"),
        max_length=8,
        choices=RiskBand.choices,
        blank=True,
        editable=False,
    )
    noshow_model_id = models.PositiveIntegerField(
        _("scored by no-show model"), null=True, blank=True, editable=False
    )
    # A high-risk booking is asked to confirm (one tap); where the hospital releases
    # unconfirmed bookings, the deadline says until when (empty: never released).
    confirm_requested_at = models.DateTimeField(
        _("confirmation requested at"), null=True, blank=True, editable=False
    )
    confirm_deadline = models.DateTimeField(
        _("confirm before"), null=True, blank=True, editable=False
    )
    confirmed_at = models.DateTimeField(
        _("confirmed at"), null=True, blank=True, editable=False
    )
    # True while the appointment holds its seat and queue number, NULL once cancelled.
    # Unique keys skip NULLs on every engine, so these unconditional keys work on MySQL too.
    holds_seat = models.BooleanField(
        _("holds a seat"), null=True, default=True, editable=False
    )

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "session", "holds_seat"],
                name="appointment_one_per_profile_session",
            ),
            models.UniqueConstraint(
                fields=["session", "queue_no", "holds_seat"],
                name="appointment_unique_queue_no",
            ),
            models.CheckConstraint(
                condition=(Q(status="cancelled") & Q(holds_seat__isnull=True))
                | (~Q(status="cancelled") & Q(holds_seat=True)),
                name="appointment_holds_seat_unless_cancelled",
            ),
        ]
        indexes = [
            # The index behind the user foreign key on MySQL. It must hold no column that
            # status changes touch: InnoDB re-checks a foreign key (a shared lock on the
            # user row) whenever its index entry is rewritten, and services lock that row
            # for update after a status change (points, late cancels).
            models.Index(
                fields=["user", "visit_starts_at"], name="appointment_user_visit"
            ),
            models.Index(
                fields=["status", "hold_expires_at"], name="appointment_status_hold"
            ),
            # The release sweep: unconfirmed bookings whose confirm deadline has passed.
            models.Index(
                fields=["confirm_deadline", "status"],
                name="appointment_confirm_due",
            ),
        ]

    def __str__(self) -> str:
        return self.order_no


class WaitlistEntry(TimeStampedModel):
    """A patient waiting (候补) for a seat in a full session."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        PROMOTED = "promoted", _("Promoted to a booking")
        LEFT = "left", _("Left")
        CLOSED = "closed", _("Closed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
        verbose_name=_("user"),
    )
    profile = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
        verbose_name=_("patient"),
    )
    session = models.ForeignKey(
        "scheduling.ClinicSession",
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
        verbose_name=_("clinic session"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    # Higher first: the member level's waitlist priority at the time of joining.
    priority = models.SmallIntegerField(_("priority"), default=0)
    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waitlist_entry",
        verbose_name=_("appointment"),
    )
    # True while waiting, NULL afterwards: one waiting entry per profile and session.
    is_waiting = models.BooleanField(
        _("waiting"), null=True, default=True, editable=False
    )

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["-priority", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "session", "is_waiting"],
                name="waitlist_one_per_profile_session",
            ),
        ]
        indexes = [
            models.Index(
                fields=["session", "status", "priority"], name="waitlist_session_queue"
            )
        ]


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


class SessionStopRequest(TimeStampedModel):
    """A doctor asks to stop a clinic session (停诊) or to be away for it (请假).

    Staff approve or reject it in the admin; approving runs the stop-clinic flow
    (services/stopping.py), which cancels, refunds and notifies as for any 停诊.
    """

    class Kind(models.TextChoices):
        STOP = "stop", _("Stop the clinic (停诊)")
        LEAVE = "leave", _("Leave (请假)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    session = models.ForeignKey(
        "scheduling.ClinicSession",
        on_delete=models.PROTECT,
        related_name="stop_requests",
        verbose_name=_("clinic session"),
    )
    # Copied from the session, for the admin's hospital scoping without a join.
    hospital = models.ForeignKey(
        "hospitals.Hospital",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("hospital"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=255, blank=True)
    # True while pending, NULL afterwards: one open request per session (MySQL ignores
    # conditional unique keys, hence the nullable column).
    is_open = models.BooleanField(_("open"), null=True, default=True, editable=False)

    class Meta:
        verbose_name = _("stop or leave request")
        verbose_name_plural = _("stop and leave requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "is_open"], name="stop_request_one_open_per_session"
            ),
            models.CheckConstraint(
                condition=(Q(status="pending") & Q(is_open=True))
                | (~Q(status="pending") & Q(is_open__isnull=True)),
                name="stop_request_open_while_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.session_id}"
