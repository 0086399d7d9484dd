"""A booking of one seat (the appointment) and its no-show risk band."""

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
