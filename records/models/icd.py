from django.db import models
from django.utils.translation import gettext_lazy as _


class Icd10Code(models.Model):
    """One ICD-10 code of the shipped outpatient subset (records.icd), with its Chinese name."""

    code = models.CharField(_("ICD-10 code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("ICD-10 code")
        verbose_name_plural = _("ICD-10 codes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
