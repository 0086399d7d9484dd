"""A hospital's booking rules: release, cutoffs, caps, reminders, no-show risk, the
release queue's demand factor."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


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
