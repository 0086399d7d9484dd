from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class HistoryImport(models.Model):
    """One imported history file: what it was, what it held and who imported it.

    A file is imported once per format: the same bytes again change nothing.
    """

    format = models.CharField(_("format"), max_length=20)
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    row_count = models.PositiveIntegerField(_("rows in the file"))
    created_rows = models.PositiveIntegerField(_("new visits"))
    existing_rows = models.PositiveIntegerField(_("visits already imported"))
    # (line, reason) of the rows left out on purpose (the data set's known quirks).
    skipped_rows = models.JSONField(_("skipped rows"), default=list, blank=True)
    first_visit = models.DateField(_("first visit day"))
    last_visit = models.DateField(_("last visit day"))
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )

    class Meta:
        verbose_name = _("history import")
        verbose_name_plural = _("history imports")
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["format", "file_sha256"], name="history_import_once_per_file"
            )
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.format})"


class HistoryVisit(models.Model):
    """One visit from an imported file. The patient is only a keyed hash of their key."""

    history_import = models.ForeignKey(
        HistoryImport,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("import"),
    )
    source = models.CharField(_("source"), max_length=20)
    row_key = models.CharField(_("row key"), max_length=64)
    patient_hash = models.CharField(_("patient key hash"), max_length=64, db_index=True)
    sex = models.CharField(_("sex"), max_length=1, blank=True)
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    booked_at = models.DateTimeField(_("booked at"))
    booked_on = models.DateField(_("booking day (local)"))
    booked_hour = models.PositiveSmallIntegerField(_("booking hour (local)"))
    visit_date = models.DateField(_("visit day"), db_index=True)
    visit_hour = models.PositiveSmallIntegerField(
        _("visit hour"), null=True, blank=True
    )
    department = models.CharField(_("department"), max_length=100)
    doctor = models.CharField(_("doctor"), max_length=100, blank=True)
    fee = models.PositiveIntegerField(_("fee (fen)"), null=True, blank=True)
    attended = models.BooleanField(_("attended"))
    reminder_sent = models.BooleanField(_("reminder sent"))
    extra = models.JSONField(_("other columns"), default=dict, blank=True)

    class Meta:
        verbose_name = _("imported visit")
        verbose_name_plural = _("imported visits")
        ordering = ["visit_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "row_key"], name="history_visit_unique_row"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.row_key}"


class NoShowModel(models.Model):
    """One trained version of the no-show model: its file and how it was made and measured.

    Exactly one version is active: `is_active` is True for it and NULL for every other,
    and the unconditional unique key on it (NULLs never collide, on every engine; MySQL
    ignores conditional unique keys) lets a second True fail in the database.
    """

    class Source(models.TextChoices):
        OWN = "own", _("Our appointment history")
        KAGGLE = "kaggle-noshow", _("Public no-show data set")
        GENERIC = "generic", _("Generic CSV")

    version = models.PositiveIntegerField(_("version"), unique=True)
    data_source = models.CharField(_("data"), max_length=20, choices=Source.choices)
    data_from = models.DateField(_("first visit day"))
    data_to = models.DateField(_("last visit day"))
    test_from = models.DateField(_("tested from"))
    params = models.JSONField(_("parameters"), default=dict)
    metrics = models.JSONField(_("metrics"), default=dict)
    threshold_medium = models.FloatField(_("medium risk from"))
    threshold_high = models.FloatField(_("high risk from"))
    features = models.JSONField(_("features"), default=list)
    fair_features = models.JSONField(_("features of the fair model"), default=list)
    # The trees' structure, for the rules and the drawing in the admin without loading
    # the model file.
    tree = models.JSONField(_("tree"), default=dict, editable=False)
    fair_tree = models.JSONField(_("fair tree"), default=dict, editable=False)
    file_name = models.CharField(_("file"), max_length=255)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    trained_at = models.DateTimeField(_("trained at"))
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("trained by"),
    )
    is_active = models.BooleanField(
        _("active"), null=True, default=None, editable=False
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("no-show model")
        verbose_name_plural = _("no-show models")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], name="noshow_model_one_active"
            ),
            models.CheckConstraint(
                condition=Q(is_active=True) | Q(is_active__isnull=True),
                name="noshow_model_active_true_or_null",
            ),
            models.CheckConstraint(
                condition=Q(threshold_medium__lte=models.F("threshold_high")),
                name="noshow_model_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"
