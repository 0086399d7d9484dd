from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.errors import Conflict
from records.encrypted import EncryptedJson, EncryptedText


class Report(models.Model):
    """A lab or imaging report of a visit: structured results and files. Never edited:
    a wrong report is followed by a new one (the guard in save() holds that)."""

    class Kind(models.TextChoices):
        LAB = "lab", _("Lab report")
        IMAGING = "imaging", _("Imaging report")

    class Flag(models.TextChoices):
        HIGH = "H", _("High")
        LOW = "L", _("Low")
        NORMAL = "N", _("Normal")
        ABNORMAL = "abnormal", _("Abnormal")

    record = models.ForeignKey(
        "records.VisitRecord",
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("medical record"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title_encrypted = models.TextField(blank=True, editable=False)
    conclusion_encrypted = models.TextField(blank=True, editable=False)
    results_encrypted = models.TextField(blank=True, editable=False)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reported by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    title = EncryptedText("title")
    conclusion = EncryptedText("conclusion")
    # [{"item", "value", "unit", "reference_range", "flag"}]
    results = EncryptedJson("results")

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise Conflict("report_final", _("A report is final once added."))
        super().save(*args, **kwargs)


class Attachment(models.Model):
    """A file of a report. The storage holds only its AES-GCM ciphertext under a random
    name (common.filecrypto); the type was decided from the content's first bytes."""

    class ContentType(models.TextChoices):
        PDF = "application/pdf", "PDF"
        JPEG = "image/jpeg", "JPEG"
        PNG = "image/png", "PNG"

    report = models.ForeignKey(
        Report,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("report"),
    )
    storage_name = models.CharField(
        _("stored as"), max_length=255, unique=True, editable=False
    )
    content_type = models.CharField(
        _("content type"), max_length=32, choices=ContentType.choices
    )
    size = models.PositiveIntegerField(_("size (bytes)"))
    original_name_encrypted = models.TextField(blank=True, editable=False)
    # The id of the key the stored file is sealed with (common.crypto.key_id), so a key
    # rotation finds the files to re-encrypt without opening them. "" for files stored
    # before this column: the rotation reads their header.
    key_id = models.CharField(max_length=8, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    original_name = EncryptedText("original_name")

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_content_type_display()} #{self.pk}"
