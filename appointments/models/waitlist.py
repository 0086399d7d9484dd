"""The waitlist (候补): patients waiting for a seat of a full session."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from appointments.models.appointment import Appointment
from common.models import TimeStampedModel


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
