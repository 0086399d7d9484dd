"""Weekly clinic templates, the sessions (出诊) generated from them, and their slots."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from scheduling.models.fields import _clinic_type_field, _room_field
from scheduling.periods import (
    MAX_FEE,
    MAX_SLOT_MINUTES,
    WEEKDAYS,
    Period,
    room_hospital_error,
    validate_session_fields,
)


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
