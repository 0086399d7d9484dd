from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class Appointment(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Pending payment")
        BOOKED = "booked", _("Booked")
        CHECKED_IN = "checked_in", _("Checked in")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No show")

    class CancelledBy(models.TextChoices):
        PATIENT = "patient", _("Patient")
        STAFF = "staff", _("Staff")
        TIMEOUT = "timeout", _("Payment timeout")
        STOP_CLINIC = "stop_clinic", _("Stop-clinic")

    # Statuses in which the appointment is still ahead of the patient.
    UPCOMING = (Status.PENDING_PAYMENT, Status.BOOKED, Status.CHECKED_IN)

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
        "scheduling.Slot", on_delete=models.PROTECT, related_name="appointments"
    )
    session = models.ForeignKey(
        "scheduling.ClinicSession",
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    doctor = models.ForeignKey(
        "hospitals.Doctor", on_delete=models.PROTECT, related_name="appointments"
    )
    hospital = models.ForeignKey(
        "hospitals.Hospital", on_delete=models.PROTECT, related_name="appointments"
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
    reminders_enabled = models.BooleanField(_("reminders on"), default=True)
    # Booked through the members' priority channel before the public release.
    booked_early = models.BooleanField(
        _("booked before public release"), default=False, editable=False
    )
    # True while the appointment holds its seat and queue number, NULL once cancelled.
    # Unique keys skip NULLs on every engine, so these unconditional keys work on MySQL too.
    holds_seat = models.BooleanField(null=True, default=True, editable=False)

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
            models.Index(fields=["user", "status"], name="appointment_user_status"),
            models.Index(
                fields=["status", "hold_expires_at"], name="appointment_status_hold"
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
    )
    profile = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
    )
    session = models.ForeignKey(
        "scheduling.ClinicSession",
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
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
    )
    # True while waiting, NULL afterwards: one waiting entry per profile and session.
    is_waiting = models.BooleanField(null=True, default=True, editable=False)

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
