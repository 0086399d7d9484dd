"""Booking tickets: a seat won in Redis, waiting to be written as an appointment.

A patient whose booking took a seat in the Redis pre-deduction (appointments/stock/) gets a
ticket, written here in the request that won it: the durable queue between the rush and the
writer (appointments.services.ticket_writer), which survives a Redis flush, a killed writer
and a restarted web process. The writer turns each queued ticket into an appointment or a
refusal in the transaction that writes the appointment, so a ticket is decided once.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BookingTicket(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        BOOKED = "booked", _("Booked")
        REFUSED = "refused", _("Refused")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
        db_constraint=False,  # a ticket is written before any user row is read
    )
    profile = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("patient profile"),
        db_constraint=False,  # the writer checks the profile; a bad id is refused there
    )
    slot = models.ForeignKey(
        "scheduling.Slot",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("time slot"),
    )
    session_id = models.PositiveBigIntegerField(_("session"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    appointment = models.OneToOneField(
        "appointments.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ticket",
        verbose_name=_("appointment"),
    )
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error_message = models.CharField(_("error message"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("booking ticket")
        verbose_name_plural = _("booking tickets")
        indexes = [
            # The writer's claim: queued tickets, oldest first.
            models.Index(fields=["status", "id"], name="ticket_status_id"),
            models.Index(fields=["slot", "status"], name="ticket_slot_status"),
        ]

    def __str__(self) -> str:
        return f"ticket {self.pk} ({self.status})"
