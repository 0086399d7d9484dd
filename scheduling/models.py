import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from scheduling.periods import (
    MAX_FEE,
    MAX_SLOT_MINUTES,
    WEEKDAYS,
    ClinicType,
    Period,
    room_hospital_error,
    validate_session_fields,
)

__all__ = [
    "BookingRule",
    "ClinicSession",
    "ClinicType",
    "Period",
    "ScheduleTemplate",
    "Slot",
    "validate_session_fields",
]


def _clinic_type_field() -> models.CharField:
    return models.CharField(
        _("clinic type"),
        max_length=12,
        choices=ClinicType.choices,
        default=ClinicType.GENERAL,
        db_index=True,
    )


def _room_field(related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        "hospitals.ConsultingRoom",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=_("consulting room"),
    )


class BookingRule(TimeStampedModel):
    """A hospital's booking rules. Every time is in the hospital's local time (Asia/Shanghai)."""

    class CutoffMode(models.TextChoices):
        MINUTES_BEFORE = "minutes_before", _("N minutes before the slot")
        PREVIOUS_EVENING = "previous_evening", _("At a time on the evening before")

    hospital = models.OneToOneField(
        "hospitals.Hospital",
        on_delete=models.CASCADE,
        related_name="booking_rule",
        verbose_name=_("hospital"),
    )
    window_days = models.PositiveSmallIntegerField(
        _("booking window (days ahead)"), default=7
    )
    release_time = models.TimeField(
        _("daily release time"), default=datetime.time(8, 0)
    )
    cutoff_mode = models.CharField(
        _("stop-booking cutoff"),
        max_length=20,
        choices=CutoffMode.choices,
        default=CutoffMode.MINUTES_BEFORE,
    )
    cutoff_minutes = models.PositiveIntegerField(
        _("cutoff: minutes before the slot"), default=30
    )
    cutoff_time = models.TimeField(
        _("cutoff: time on the evening before"), default=datetime.time(18, 0)
    )
    cancel_deadline_minutes = models.PositiveIntegerField(
        _("cancel: minutes before the slot"), default=120
    )
    hold_minutes = models.PositiveSmallIntegerField(
        _("unpaid hold (minutes)"), default=15
    )
    checkin_open_minutes = models.PositiveSmallIntegerField(
        _("check-in opens (minutes before the slot)"), default=60
    )
    max_active_per_day = models.PositiveSmallIntegerField(
        _("max active bookings per visit day"), default=2
    )
    max_active_per_week = models.PositiveSmallIntegerField(
        _("max active bookings in any 7 days"), default=4
    )
    # Visit reminders: one on the evening before the visit day, one some hours before.
    reminder_evening_time = models.TimeField(
        _("reminder: time on the evening before"), default=datetime.time(20, 0)
    )
    reminder_hours_before = models.PositiveSmallIntegerField(
        _("reminder: hours before the visit (0: none)"), default=2
    )
    # The clinic floor: members whose level has the privilege are called first.
    members_first_at_visit = models.BooleanField(
        _("members first at the visit"),
        default=False,
        help_text=_(
            "Call checked-in members whose level has the privilege before other "
            "checked-in patients (otherwise strictly by queue number)."
        ),
    )
    # The no-show model in use (appointments.services.noshow_risk): a booking it scores as
    # high risk gets a confirm request and an extra reminder; where the hospital switches
    # it on, an unconfirmed one may return its seat to the waitlist at the confirm deadline.
    noshow_high_risk_contact = models.BooleanField(
        _("no-show risk: confirm request and extra reminder"),
        default=True,
        help_text=_(
            "Ask patients of high-risk bookings to confirm they will come, and remind "
            "them once more."
        ),
    )
    noshow_release_unconfirmed = models.BooleanField(
        _("no-show risk: release unconfirmed bookings"),
        default=False,
        help_text=_(
            "An unpaid or free high-risk booking that is not confirmed by the deadline "
            "returns its seat to the waitlist. Paid bookings are never released; the "
            "risk used ignores sex and age."
        ),
    )
    release_queue_demand_factor = models.PositiveSmallIntegerField(
        _("release queue: demand factor"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text=_(
            "Put a doctor's next session in the release queue (排队放号) by itself when, "
            "at the doctor's last release, this many times more people tried to book "
            "than there were seats. Empty: only sessions staff mark."
        ),
    )
    noshow_confirm_hours_before = models.PositiveSmallIntegerField(
        _("no-show risk: confirm deadline (hours before the visit)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
    )

    class Meta:
        verbose_name = _("booking rule")
        verbose_name_plural = _("booking rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_days__gte=1), name="rule_window_at_least_one_day"
            ),
            models.CheckConstraint(
                condition=Q(hold_minutes__gte=1), name="rule_hold_at_least_one_minute"
            ),
            models.CheckConstraint(
                condition=Q(max_active_per_day__gte=1), name="rule_day_cap_at_least_one"
            ),
            models.CheckConstraint(
                condition=Q(max_active_per_week__gte=F("max_active_per_day")),
                name="rule_week_cap_covers_day_cap",
            ),
            models.CheckConstraint(
                condition=Q(noshow_confirm_hours_before__gte=1),
                name="rule_confirm_deadline_at_least_one_hour",
            ),
        ]

    def __str__(self) -> str:
        return str(self.hospital)

    # Sensible ranges, checked by clean(): (field, lowest, highest).
    RANGES = (
        ("window_days", 1, 30),
        ("cutoff_minutes", 0, 24 * 60),
        ("cancel_deadline_minutes", 0, 7 * 24 * 60),
        ("hold_minutes", 1, 120),
        ("checkin_open_minutes", 0, 12 * 60),
        ("max_active_per_day", 1, 20),
        ("max_active_per_week", 1, 50),
        ("reminder_hours_before", 0, 48),
    )
    EARLIEST_EVENING_CUTOFF = datetime.time(12, 0)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for name, lowest, highest in self.RANGES:
            value = getattr(self, name)
            if value is not None and not lowest <= value <= highest:
                errors[name] = _("Must be between %(lowest)s and %(highest)s.") % {
                    "lowest": lowest,
                    "highest": highest,
                }
        if (
            self.max_active_per_day is not None
            and self.max_active_per_week is not None
            and self.max_active_per_week < self.max_active_per_day
        ):
            errors.setdefault(
                "max_active_per_week",
                _("The weekly cap must be at least the daily cap."),
            )
        if self.cutoff_mode == self.CutoffMode.PREVIOUS_EVENING:
            if self.cutoff_time < self.EARLIEST_EVENING_CUTOFF:
                errors.setdefault(
                    "cutoff_time",
                    _("The evening cutoff must be at 12:00 or later."),
                )
            elif self.window_days == 1 and self.release_time >= self.cutoff_time:
                # Sessions would open on the evening before, after booking closed.
                errors.setdefault(
                    "release_time",
                    _(
                        "With a one-day window, the release time must be before the "
                        "evening cutoff, or nothing could ever be booked."
                    ),
                )
        if (
            self.reminder_evening_time is not None
            and self.reminder_evening_time < self.EARLIEST_EVENING_CUTOFF
        ):
            errors.setdefault(
                "reminder_evening_time",
                _("The evening reminder must be at 12:00 or later."),
            )
        if errors:
            raise ValidationError(errors)


class ScheduleTemplate(TimeStampedModel):
    """A doctor's weekly clinic: generates one session per matching date."""

    doctor = models.ForeignKey(
        "hospitals.Doctor",
        on_delete=models.CASCADE,
        related_name="schedule_templates",
        verbose_name=_("doctor"),
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=WEEKDAYS,
    )
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    start_time = models.TimeField(_("start"))
    end_time = models.TimeField(_("end"))
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"), default=30
    )
    seats_per_slot = models.PositiveSmallIntegerField(_("seats per slot"), default=5)
    fee = models.PositiveIntegerField(
        _("registration fee"),
        null=True,
        blank=True,
        help_text=_("Stored in fen. Empty uses the doctor's fee."),
    )
    clinic_type = _clinic_type_field()
    room = _room_field("templates")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("schedule template")
        verbose_name_plural = _("schedule templates")
        ordering = ["doctor_id", "weekday", "start_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "weekday", "period"],
                name="template_unique_doctor_weekday_period",
            ),
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="template_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5),
                name="template_slot_at_least_5_minutes",
            ),
            models.CheckConstraint(
                condition=Q(seats_per_slot__gte=1), name="template_at_least_one_seat"
            ),
            models.CheckConstraint(
                condition=Q(weekday__lte=6), name="template_weekday_0_to_6"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} {self.get_weekday_display()} {self.get_period_display()}"

    MAX_SLOT_MINUTES = MAX_SLOT_MINUTES
    MAX_SEATS_PER_SLOT = 200
    MAX_FEE = MAX_FEE

    def clean(self) -> None:
        validate_session_fields(self, slot_minutes=self.slot_minutes)
        errors: dict[str, str] = {}
        if self.room_id is not None and self.doctor_id is not None:
            errors |= (
                room_hospital_error(self.room.hospital_id, self.doctor.hospital_id)
                or {}
            )
        if self.seats_per_slot is not None and not (
            1 <= self.seats_per_slot <= self.MAX_SEATS_PER_SLOT
        ):
            errors["seats_per_slot"] = _("Must be between 1 and %(highest)s.") % {
                "highest": self.MAX_SEATS_PER_SLOT
            }
        if errors:
            raise ValidationError(errors)


class ClinicSession(TimeStampedModel):
    """One doctor's clinic on one date and period (出诊), split into time slots."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        STOPPED = "stopped", _("Stopped")

    doctor = models.ForeignKey(
        "hospitals.Doctor",
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("doctor"),
    )
    # Copied from the doctor so the hospital's day list and staff scoping need no join.
    hospital = models.ForeignKey(
        "hospitals.Hospital",
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("hospital"),
    )
    template = models.ForeignKey(
        ScheduleTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("schedule template"),
    )
    date = models.DateField(_("date"), db_index=True)
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    start_time = models.TimeField(_("start"))
    end_time = models.TimeField(_("end"))
    fee = models.PositiveIntegerField(
        _("registration fee"), help_text=_("Stored in fen.")
    )
    place = models.CharField(_("place"), max_length=100, blank=True)
    clinic_type = _clinic_type_field()
    # Two open sessions never share a room at overlapping hours of a date: checked under
    # the room's row lock by the scheduling services (rooms.room_free_check).
    room = _room_field("sessions")
    # The moment patients may start booking; computed from the hospital's rule when generated.
    release_at = models.DateTimeField(_("released at"), db_index=True)
    # Set by the release job once the release moment has passed and caches were refreshed.
    # Booking checks release_at itself, so a late job never delays patients.
    is_released = models.BooleanField(_("released"), default=False, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    stop_reason = models.CharField(_("stop reason"), max_length=255, blank=True)
    no_shows_marked_at = models.DateTimeField(
        _("no-shows marked at"), null=True, blank=True, editable=False
    )
    # 排队放号: at release, those who joined the waiting room beforehand get places in a
    # random order and are admitted at a pace (appointments.release_queue). Staff mark a
    # session, or the hospital's demand factor marks it from the last release's demand.
    release_queue = models.BooleanField(
        _("release queue"),
        default=False,
        help_text=_(
            "Patients who open the booking page before the release join a waiting room "
            "and are admitted in a fair random order at a pace the system can serve."
        ),
    )
    # The accounts that tried to book this session in its release (counted in the stock),
    # written once the release is over; the demand factor reads it at the next release.
    release_demand = models.PositiveIntegerField(
        _("accounts trying at release"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("clinic session")
        verbose_name_plural = _("clinic sessions")
        ordering = ["date", "start_time", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "date", "period"],
                name="session_unique_doctor_date_period",
            ),
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="session_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        # date and times are local already (a session is a local date and wall-clock times)
        return (
            f"{self.doctor.name} {self.date} {self.get_period_display()} "
            f"{self.start_time:%H:%M}-{self.end_time:%H:%M}"
        )

    def clean(self) -> None:
        validate_session_fields(self, slot_minutes=None)
        if (
            self.doctor_id is not None
            and self.hospital_id is not None
            and self.doctor.hospital_id != self.hospital_id
        ):
            raise ValidationError(
                {"hospital": _("The session's hospital must be the doctor's hospital.")}
            )
        if self.room_id is not None and self.hospital_id is not None:
            error = room_hospital_error(self.room.hospital_id, self.hospital_id)
            if error:
                raise ValidationError(error)


class Slot(TimeStampedModel):
    """A time slot (分时段) of a session with its own seats and booked counter."""

    session = models.ForeignKey(
        ClinicSession,
        on_delete=models.CASCADE,
        related_name="slots",
        verbose_name=_("session"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(_("seats"))
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)
    # First queue number of this slot within the session; numbers follow visit order.
    queue_start = models.PositiveIntegerField(_("first queue number"), default=1)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(booked__lte=F("capacity")),
                name="slot_booked_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["session", "starts_at"], name="slot_unique_session_start"
            ),
        ]

    def __str__(self) -> str:
        # Stored in UTC; people read the hospital's local time.
        starts = timezone.localtime(self.starts_at)
        ends = timezone.localtime(self.ends_at)
        return f"{starts:%Y-%m-%d %H:%M}-{ends:%H:%M} ({self.booked}/{self.capacity})"

    @property
    def seats_left(self) -> int:
        return self.capacity - self.booked
