"""The no-show and late-cancel ledger (爽约管理): what a person did, the hospital's rules,
and the patient's appeals. A person is an ID number (its keyed lookup hash), not an account."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.models import TimeStampedModel


class LedgerKind(models.TextChoices):
    NO_SHOW = "no_show", _("No-show")
    LATE_CANCEL = "late_cancel", _("Late cancel")


class LedgerRule(TimeStampedModel):
    """A hospital's rule: `count` entries of `kind` within `window_days` bar booking for
    `restriction_days`. A hospital without a no-show rule row has the default one
    (appointments.ledger.rules.DEFAULT_RULES); late cancels count only with a row."""

    hospital = models.ForeignKey(
        "hospitals.Hospital",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("hospital"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=LedgerKind.choices)
    count = models.PositiveSmallIntegerField(
        _("count"), default=3, validators=[MinValueValidator(1)]
    )
    window_days = models.PositiveSmallIntegerField(
        _("window (days)"), default=90, validators=[MinValueValidator(1)]
    )
    restriction_days = models.PositiveSmallIntegerField(
        _("restriction (days)"), default=30, validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("no-show rule")
        verbose_name_plural = _("no-show rules")
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "kind"], name="ledger_rule_one_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.count}/{self.window_days}d"


class LedgerEntry(TimeStampedModel):
    """One no-show or late cancel of a person at a hospital; one per appointment and kind.
    An accepted appeal voids it (kept for the record, no longer counted)."""

    id_card_hash = models.CharField(_("ID number hash"), max_length=64, db_index=True)
    hospital = models.ForeignKey(
        "hospitals.Hospital",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("hospital"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=LedgerKind.choices)
    appointment = models.ForeignKey(
        "appointments.Appointment",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("appointment"),
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("no-show record")
        verbose_name_plural = _("no-show records")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind"], name="ledger_entry_one_per_kind"
            )
        ]
        indexes = [
            models.Index(
                fields=["id_card_hash", "hospital", "occurred_at"],
                name="ledger_person_hospital",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.appointment_id}"


class LedgerAppeal(TimeStampedModel):
    """A patient's appeal against one entry; staff accept (the entry is voided) or reject."""

    class Status(models.TextChoices):
        # In context: a bare "Pending" is the outbox's (待发送); an appeal waits for staff.
        PENDING = "pending", pgettext_lazy("appeal", "Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    entry = models.ForeignKey(
        LedgerEntry,
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("no-show record"),
    )
    # Copied from the entry, for the admin's hospital scoping without a join.
    hospital = models.ForeignKey(
        "hospitals.Hospital",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("hospital"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
    )
    reason = models.TextField(_("reason"), max_length=1000)
    # The attachment, encrypted (common.filecrypto) under a random storage name.
    attachment_name = models.CharField(_("attachment"), max_length=255, blank=True)
    attachment_storage_name = models.CharField(max_length=255, blank=True)
    attachment_content_type = models.CharField(max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decision_note = models.CharField(_("note"), max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("no-show appeal")
        verbose_name_plural = _("no-show appeals")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} #{self.entry_id}"
