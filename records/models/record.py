from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from records.encrypted import EncryptedJson, EncryptedText
from records.errors import RecordLocked


class VisitRecord(TimeStampedModel):
    """The medical record of one appointment that was seen, or of one online consult (在线
    问诊, written by the consult app through records.services.online); its content is in
    versions.

    The hospital, doctor and patient are copied from the appointment so that the access
    rules filter on this table alone. `person_hash` is the profile's ID-number lookup hash
    (accounts): every profile of the same real person, on any account, shares it, so a
    doctor finds a patient's earlier records across family accounts.
    """

    class Kind(models.TextChoices):
        VISIT = "visit", _("Clinic visit")
        ONLINE_CONSULT = "online_consult", _("Online consult")

    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.VISIT
    )
    # Empty for an online consult's record.
    appointment = models.OneToOneField(
        "appointments.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="record",
        verbose_name=_("appointment"),
    )
    # The online consult (consult.Consult) a record of that kind was written for: only its
    # id, since records sits below consult and never imports it.
    consult_id = models.PositiveBigIntegerField(
        _("online consult"), null=True, blank=True, unique=True
    )
    hospital = models.ForeignKey(
        "hospitals.Hospital",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("hospital"),
    )
    doctor = models.ForeignKey(
        "hospitals.Doctor",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("doctor"),
    )
    profile = models.ForeignKey(
        "accounts.PatientProfile",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("patient"),
    )
    person_hash = models.CharField(
        _("person lookup hash"), max_length=64, db_index=True, editable=False
    )
    visit_at = models.DateTimeField(_("visit time"), db_index=True)

    class Meta:
        verbose_name = _("medical record")
        verbose_name_plural = _("medical records")
        ordering = ["-visit_at", "-id"]
        indexes = [
            models.Index(fields=["hospital", "visit_at"], name="record_hospital_visit"),
        ]
        constraints = [
            # A clinic visit's record has its appointment; an online consult's its consult.
            models.CheckConstraint(
                condition=(
                    Q(kind="visit")
                    & Q(appointment__isnull=False)
                    & Q(consult_id__isnull=True)
                )
                | (
                    Q(kind="online_consult")
                    & Q(appointment__isnull=True)
                    & Q(consult_id__isnull=False)
                ),
                name="record_kind_source",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.ONLINE_CONSULT:
            return f"#{self.pk} (consult {self.consult_id})"
        return f"#{self.pk} ({self.appointment_id})"


class RecordVersionQuerySet(models.QuerySet):
    """Bulk updates and deletes refuse locked versions, as save() and delete() do."""

    def update(self, **kwargs):
        if self.filter(locked_at__isnull=False).exists():
            raise RecordLocked()
        return super().update(**kwargs)

    def delete(self):
        if self.filter(locked_at__isnull=False).exists():
            raise RecordLocked()
        return super().delete()


class RecordVersion(models.Model):
    """One version of a record's content. A draft is edited in place by its doctor;
    signing, or the automatic lock some hours after the visit, freezes it for good.
    A correction after that is a new version (with who, when and why) on top.

    Every clinical field is only stored as AES-GCM ciphertext (records.encrypted).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")
        AUTO_LOCKED = "auto_locked", _("Locked automatically")

    record = models.ForeignKey(
        VisitRecord,
        on_delete=models.PROTECT,
        related_name="versions",
        verbose_name=_("medical record"),
    )
    number = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )
    chief_complaint_encrypted = models.TextField(blank=True, editable=False)
    present_illness_encrypted = models.TextField(blank=True, editable=False)
    history_encrypted = models.TextField(blank=True, editable=False)
    examination_encrypted = models.TextField(blank=True, editable=False)
    diagnoses_encrypted = models.TextField(blank=True, editable=False)
    prescriptions_encrypted = models.TextField(blank=True, editable=False)
    orders_encrypted = models.TextField(blank=True, editable=False)
    advice_encrypted = models.TextField(blank=True, editable=False)
    follow_up_date = models.DateField(_("follow-up date"), null=True, blank=True)
    # Why a correction was written (empty on the first version).
    correction_reason_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)

    chief_complaint = EncryptedText("chief_complaint")
    present_illness = EncryptedText("present_illness")
    history = EncryptedText("history")
    examination = EncryptedText("examination")
    # [{"code": "J06.9" or "", "text": "..."}]
    diagnoses = EncryptedJson("diagnoses")
    # [{"drug", "dose", "route", "frequency", "days", "quantity"}]
    prescriptions = EncryptedJson("prescriptions")
    orders = EncryptedText("orders")
    advice = EncryptedText("advice")
    correction_reason = EncryptedText("correction_reason")

    objects = RecordVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("record version")
        verbose_name_plural = _("record versions")
        ordering = ["record", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "number"], name="record_version_unique_number"
            ),
            models.CheckConstraint(
                condition=(Q(status="draft") & Q(locked_at__isnull=True))
                | (~Q(status="draft") & Q(locked_at__isnull=False)),
                name="record_version_locked_unless_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.number}"

    # A guard, not domain logic: whatever path reaches a locked row (a service bug, the
    # shell, an admin form) is refused here. The services check first and say why.
    def save(self, *args, **kwargs) -> None:
        if (
            not self._state.adding
            and type(self)
            ._base_manager.filter(pk=self.pk, locked_at__isnull=False)
            .exists()
        ):
            raise RecordLocked()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_locked or (
            type(self)
            ._base_manager.filter(pk=self.pk, locked_at__isnull=False)
            .exists()
        ):
            raise RecordLocked()
        return super().delete(*args, **kwargs)

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None
