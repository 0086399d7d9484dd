"""Online consultation (在线问诊): a doctor's offer, consults, their messages, quick replies.

A consult's life: awaiting_payment (a paid consult, until billing's step) or waiting (free)
→ in_progress (the doctor's first reply) → closed (by a party, or idle) → rated; or
cancelled when the doctor does not reply before the deadline. Its problem text and the
messages' text are kept only as AES-GCM ciphertext (consult.encrypted).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import PatientProfile
from common.encrypted import EncryptedText
from common.models import TimeStampedModel
from hospitals.models import Doctor, Hospital
from records.models import VisitRecord


class ConsultOffer(TimeStampedModel):
    """Whether and on what terms a doctor takes online consults."""

    doctor = models.OneToOneField(
        Doctor,
        on_delete=models.CASCADE,
        related_name="consult_offer",
        verbose_name=_("doctor"),
    )
    enabled = models.BooleanField(_("accepts online consults"), default=False)
    fee = models.PositiveIntegerField(_("fee (fen)"), default=0)
    daily_cap = models.PositiveIntegerField(_("consults per day"), default=20)
    reply_hours = models.PositiveIntegerField(_("reply deadline (hours)"), default=24)

    class Meta:
        verbose_name = _("online consult offer")
        verbose_name_plural = _("online consult offers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(daily_cap__gte=1), name="consult_offer_cap_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(reply_hours__gte=1),
                name="consult_offer_reply_hours_positive",
            ),
        ]


class ConsultDay(models.Model):
    """The consults a doctor has taken on one date: the hot row the daily cap is taken on."""

    doctor = models.ForeignKey(
        Doctor, on_delete=models.CASCADE, related_name="+", verbose_name=_("doctor")
    )
    date = models.DateField(_("date"))
    taken = models.PositiveIntegerField(_("taken"), default=0)

    class Meta:
        verbose_name = _("consult day")
        verbose_name_plural = _("consult days")
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "date"], name="consult_day_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.doctor_id} {self.date}: {self.taken}"


class Consult(TimeStampedModel):
    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", _("awaiting payment")
        WAITING = "waiting", _("waiting for the doctor")
        IN_PROGRESS = "in_progress", _("in progress")
        CLOSED = "closed", _("closed")
        RATED = "rated", _("rated")
        CANCELLED = "cancelled", _("cancelled")

    class ClosedBy(models.TextChoices):
        DOCTOR = "doctor", _("doctor")
        PATIENT = "patient", _("patient")
        SYSTEM = "system", _("system")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="consults",
        verbose_name=_("user"),
    )
    profile = models.ForeignKey(
        PatientProfile,
        on_delete=models.PROTECT,
        related_name="consults",
        verbose_name=_("patient profile"),
    )
    doctor = models.ForeignKey(
        Doctor,
        on_delete=models.PROTECT,
        related_name="consults",
        verbose_name=_("doctor"),
    )
    hospital = models.ForeignKey(
        Hospital,
        on_delete=models.PROTECT,
        related_name="consults",
        verbose_name=_("hospital"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, db_index=True
    )
    fee = models.PositiveIntegerField(_("fee (fen)"))
    problem_encrypted = models.TextField(_("problem (encrypted)"))
    problem = EncryptedText("problem")
    reply_deadline = models.DateTimeField(_("reply deadline"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.CharField(
        _("closed by"), max_length=10, choices=ClosedBy.choices, blank=True
    )
    stars = models.PositiveSmallIntegerField(_("stars"), null=True, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    # The record in the patient's records that holds the doctor's advice (records
    # .services.online); its row names this consult's id back.
    record = models.OneToOneField(
        VisitRecord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("medical record"),
    )

    class Meta:
        verbose_name = _("online consult")
        verbose_name_plural = _("online consults")
        permissions = [
            ("view_consult_text", _("Can read the text of online consults")),
        ]
        indexes = [models.Index(fields=["status", "reply_deadline"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stars__isnull=True)
                | models.Q(stars__gte=1, stars__lte=5),
                name="consult_stars_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class ConsultImage(models.Model):
    """An image of a consult: one of the patient's problem images, or a message's.

    The storage holds only its AES-GCM ciphertext (common.filecrypto) under a random name;
    the pixels were checked and re-encoded without metadata (consult.images). It is served
    only through a signed, expiring link (consult.image_files), never from MEDIA_URL."""

    class Kind(models.TextChoices):
        PROBLEM = "problem", _("problem image")
        MESSAGE = "message", _("message image")

    class ContentType(models.TextChoices):
        JPEG = "image/jpeg", "JPEG"
        PNG = "image/png", "PNG"

    consult = models.ForeignKey(
        Consult,
        on_delete=models.CASCADE,
        related_name="images",
        verbose_name=_("consult"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    storage_name = models.CharField(
        _("stored as"), max_length=255, unique=True, editable=False
    )
    content_type = models.CharField(
        _("content type"), max_length=16, choices=ContentType.choices
    )
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    # The id of the key the stored file is sealed with, so a key rotation finds the files
    # to re-encrypt without opening them (as records.Attachment.key_id).
    key_id = models.CharField(max_length=8, editable=False, db_index=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("consult image")
        verbose_name_plural = _("consult images")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.consult_id} {self.kind} #{self.pk}"


class ConsultMessage(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        IMAGE = "image", _("image")

    class Sender(models.TextChoices):
        PATIENT = "patient", _("patient")
        DOCTOR = "doctor", _("doctor")

    consult = models.ForeignKey(
        Consult,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("consult"),
    )
    sender = models.CharField(_("sender"), max_length=10, choices=Sender.choices)
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sender account"),
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT
    )
    text_encrypted = models.TextField(_("text (encrypted)"), blank=True)
    text = EncryptedText("text")
    # An image message's picture; null for text, and once the message is recalled (the
    # image and its file are deleted then).
    image = models.OneToOneField(
        ConsultImage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="message",
        verbose_name=_("image"),
    )
    created_at = models.DateTimeField(_("sent at"))
    recalled_at = models.DateTimeField(_("recalled at"), null=True, blank=True)
    # Hidden by staff after an abuse report: shown as recalled, the ciphertext is kept
    # for the review (consult.services.reports).
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consult message")
        verbose_name_plural = _("consult messages")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.consult_id} #{self.pk}"


class QuickReply(TimeStampedModel):
    """One of a doctor's canned replies."""

    doctor = models.ForeignKey(
        Doctor,
        on_delete=models.CASCADE,
        related_name="consult_quick_replies",
        verbose_name=_("doctor"),
    )
    text = models.CharField(_("text"), max_length=500)

    class Meta:
        verbose_name = _("quick reply")
        verbose_name_plural = _("quick replies")
        ordering = ["id"]


class MessageReport(TimeStampedModel):
    """A party's abuse report (举报) of a message of their consult, reviewed by staff."""

    class Reason(models.TextChoices):
        ABUSE = "abuse", _("Insults or harassment")
        SPAM = "spam", _("Advertising or spam")
        FRAUD = "fraud", _("Fraud or payment outside the platform")
        INAPPROPRIATE = "inappropriate", _("Inappropriate content")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Dismissed")

    message = models.ForeignKey(
        ConsultMessage,
        on_delete=models.CASCADE,
        related_name="reports",
        verbose_name=_("message"),
    )
    # Copied from the message, so the queue filters by hospital on this table alone.
    consult = models.ForeignKey(
        Consult, on_delete=models.CASCADE, related_name="+", verbose_name=_("consult")
    )
    hospital = models.ForeignKey(
        Hospital, on_delete=models.PROTECT, related_name="+", verbose_name=_("hospital")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reported by"),
    )
    reporter_side = models.CharField(
        _("reporter is the"), max_length=10, choices=ConsultMessage.Sender.choices
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.PENDING,
        db_index=True,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message report")
        verbose_name_plural = _("message reports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "reporter"], name="message_report_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_id} / {self.reporter_id}"


class ConsultAccess(models.Model):
    """One reading of a consult's text by staff in the admin (as records.RecordAccess)."""

    class What(models.TextChoices):
        TRANSCRIPT = "transcript", _("The whole consult")
        REPORTED_MESSAGE = "reported", _("A reported message")

    consult = models.ForeignKey(
        Consult, on_delete=models.CASCADE, related_name="+", verbose_name=_("consult")
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
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    accessed_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("consult access")
        verbose_name_plural = _("consult accesses")
        ordering = ["-accessed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reader_id} -> {self.consult_id}"
