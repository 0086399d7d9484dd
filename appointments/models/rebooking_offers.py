"""An offer of another seat to a patient whose session was stopped (停诊)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class RebookingOffer(TimeStampedModel):
    """The nearest equivalent seat, held for the patient of a stopped booking.

    The offer holds its seat from creation (the slot's taken count includes it) until it
    is accepted (the seat becomes the new booking's), declined or lapses (the seat returns).
    Status changes are compare-and-set UPDATEs from `open`, so each happens once.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        LAPSED = "lapsed", _("Lapsed")

    appointment = models.OneToOneField(
        "appointments.Appointment",
        on_delete=models.PROTECT,
        related_name="rebooking_offer",
        verbose_name=_("stopped appointment"),
    )
    slot = models.ForeignKey(
        "scheduling.Slot",
        on_delete=models.PROTECT,
        related_name="rebooking_offers",
        verbose_name=_("offered slot"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    # The booking was paid (or free) when stopped: its fee was refunded then, and the
    # booking the offer makes is waived (fee 0). An unpaid hold's new booking owes the fee.
    fee_waived = models.BooleanField(_("fee waived"), default=False)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    new_appointment = models.OneToOneField(
        "appointments.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("new appointment"),
    )

    class Meta:
        verbose_name = _("rebooking offer")
        verbose_name_plural = _("rebooking offers")
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(status="open"),
                name="rebooking_offer_open_expiry",
            )
        ]

    def __str__(self) -> str:
        return f"offer {self.pk} appointment={self.appointment_id} slot={self.slot_id}"
