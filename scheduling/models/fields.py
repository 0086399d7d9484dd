"""Fields the schedule's models share: the clinic type and the consulting room."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from scheduling.periods import (
    ClinicType,
)


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
