from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordAccess(models.Model):
    """One reading of a record (or an attachment, or a patient's earlier records) by a
    doctor or hospital staff: what the patient sees as "who opened my records"."""

    class What(models.TextChoices):
        RECORD = "record", _("Record")
        ATTACHMENT = "attachment", _("Attachment")

    record = models.ForeignKey(
        "records.VisitRecord",
        on_delete=models.PROTECT,
        related_name="accesses",
        verbose_name=_("medical record"),
    )
    attachment = models.ForeignKey(
        "records.Attachment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("attachment"),
    )
    what = models.CharField(_("opened"), max_length=12, choices=What.choices)
    # No database FK, like the operation log: a log row must not lock the reader's row.
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        verbose_name=_("read by"),
    )
    role = models.CharField(_("role"), max_length=20)
    hospital = models.ForeignKey(
        "hospitals.Hospital",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reader's hospital"),
    )
    profile = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("patient"),
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    accessed_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("record access")
        verbose_name_plural = _("record accesses")
        ordering = ["-accessed_at", "-id"]
        indexes = [
            models.Index(
                fields=["profile", "accessed_at"], name="record_access_profile"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.reader_id} -> {self.record_id} @ {self.accessed_at:%Y-%m-%d %H:%M}"
        )
