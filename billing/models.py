"""Payment orders, refunds, the payment ledger and reconciliation reports. Money is in fen."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class Channel(models.TextChoices):
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    DEV = "dev", _("Development gateway")


class Scene(models.TextChoices):
    """Where the patient pays, which decides the form of the channel's payment.

    WeChat Pay: in the mini-program a JSAPI payment (wx.requestPayment, needs the WeChat
    login's openid); on a web page outside WeChat a Native payment (a QR code of its
    `code_url`, scanned with WeChat). Alipay pays on its mobile web cashier either way;
    the dev gateway is the same everywhere.
    """

    MINIPROGRAM = "miniprogram", _("WeChat mini-program")
    WEB = "web", _("Web page")


class PayableKind(models.TextChoices):
    """What an order pays for: an appointment (a foreign key), or a payable of a higher
    app known to billing only by its kind and id (billing.payables)."""

    APPOINTMENT = "appointment", _("Appointment")
    CONSULT = "consult", _("Online consult")


class PaymentOrder(TimeStampedModel):
    """One attempt to pay for one payable (a pending appointment, an online consult)
    through one channel."""

    Channel = Channel
    Scene = Scene
    Kind = PayableKind

    class Status(models.TextChoices):
        CREATED = "created", _("Awaiting payment")
        PAID = "paid", _("Paid")
        CLOSED = "closed", _("Closed")
        REFUNDING = "refunding", _("Refunding")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")

    # The money was received in each of these.
    PAID_STATUSES = (
        Status.PAID,
        Status.REFUNDING,
        Status.REFUNDED,
        Status.PARTIALLY_REFUNDED,
    )

    kind = models.CharField(
        _("pays for"),
        max_length=12,
        choices=PayableKind.choices,
        default=PayableKind.APPOINTMENT,
    )
    # Set for an appointment order (kind "appointment"), NULL otherwise.
    appointment = models.ForeignKey(
        "appointments.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment_orders",
        verbose_name=_("appointment"),
    )
    # The id of what a non-appointment order pays for (a consult's id): no foreign key, as
    # billing does not know the higher apps; `kind` says which table it is in.
    ref_id = models.PositiveBigIntegerField(_("payable id"), null=True, blank=True)
    # The hospital paid (the appointment's, or the payable's): reports and staff scopes.
    hospital = models.ForeignKey(
        "hospitals.Hospital",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("hospital"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="payment_orders",
        verbose_name=_("payer"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    scene = models.CharField(
        _("scene"), max_length=12, choices=Scene.choices, default=Scene.MINIPROGRAM
    )
    # WeChat Pay allows 6-32 characters of [A-Za-z0-9_-|*]; Alipay up to 64.
    out_trade_no = models.CharField(
        _("merchant order number"), max_length=32, unique=True
    )
    original_amount = models.PositiveIntegerField(_("fee (fen)"))
    amount = models.PositiveIntegerField(_("amount (fen)"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.CREATED,
        db_index=True,
    )
    transaction_id = models.CharField(
        _("channel transaction id"), max_length=64, unique=True, null=True, blank=True
    )
    # WeChat's prepay_id stays valid for two hours, longer than any hold: reused on retries.
    # A Native order (scene "web") keeps its code_url here, as valid and reused alike.
    prepay_id = models.CharField(
        _("prepay id"), max_length=64, blank=True, editable=False
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Sum of every refund requested and not abandoned (in flight, failed or done).
    refunded_amount = models.PositiveIntegerField(_("refunded (fen)"), default=0)
    # True while the order can still be paid (status created), NULL afterwards: one open
    # order per payable and channel. MySQL ignores conditional unique keys; unique keys
    # skip NULLs on every engine, hence this column (and an appointment order's NULL
    # ref_id, a consult order's NULL appointment, keep each out of the other's key).
    is_open = models.BooleanField(_("open"), null=True, default=True, editable=False)

    class Meta:
        verbose_name = _("payment order")
        verbose_name_plural = _("payment orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "channel", "is_open"],
                name="payment_order_one_open_per_channel",
            ),
            models.UniqueConstraint(
                fields=["kind", "ref_id", "channel", "is_open"],
                name="payment_order_one_open_per_payable_channel",
            ),
            # Exactly one of: the appointment (an appointment order), or kind + ref_id.
            models.CheckConstraint(
                condition=(
                    Q(kind="appointment")
                    & Q(appointment__isnull=False)
                    & Q(ref_id__isnull=True)
                )
                | (
                    ~Q(kind="appointment")
                    & Q(appointment__isnull=True)
                    & Q(ref_id__isnull=False)
                ),
                name="payment_order_one_payable",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=1), name="payment_order_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(amount__lte=F("original_amount")),
                name="payment_order_amount_within_fee",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("amount")),
                name="payment_order_refunds_within_amount",
            ),
            models.CheckConstraint(
                condition=(Q(status="created") & Q(is_open=True))
                | (~Q(status="created") & Q(is_open__isnull=True)),
                name="payment_order_open_only_when_created",
            ),
        ]
        indexes = [
            models.Index(
                fields=["channel", "paid_at"], name="payment_order_channel_paid"
            ),
            models.Index(fields=["kind", "ref_id"], name="payment_order_payable"),
        ]

    def __str__(self) -> str:
        return self.out_trade_no

    @property
    def refundable_amount(self) -> int:
        return self.amount - self.refunded_amount


class Refund(TimeStampedModel):
    class Status(models.TextChoices):
        REFUNDING = "refunding", _("Refunding")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")

    class Kind(models.TextChoices):
        CANCEL = "cancel", _("Appointment cancelled")
        STOP_CLINIC = "stop_clinic", _("Stop-clinic refund")
        CONSULT_CANCEL = "consult_cancel", _("Online consult cancelled")
        LATE_PAYMENT = "late_payment", _("Paid after the seat was released")
        NOT_PAYABLE = (
            "not_payable",
            _("Paid for an appointment that was no longer payable"),
        )
        DUPLICATE_PAYMENT = "duplicate_payment", _("Paid twice")
        # A paid booking moved to a cheaper slot: the difference (a partial refund).
        RESCHEDULE = "reschedule", _("Moved to a cheaper slot")
        STAFF = "staff", _("Refunded by staff")
        OTHER = "other", _("Other")

    order = models.ForeignKey(
        PaymentOrder,
        on_delete=models.PROTECT,
        related_name="refunds",
        verbose_name=_("payment order"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    # Fixed per (order, kind): a retry sends the same number and the channel never pays twice.
    out_refund_no = models.CharField(
        _("merchant refund number"), max_length=64, unique=True
    )
    amount = models.PositiveIntegerField(_("amount (fen)"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.REFUNDING,
        db_index=True,
    )
    channel_refund_id = models.CharField(
        _("channel refund id"), max_length=64, unique=True, null=True, blank=True
    )
    failure_reason = models.CharField(_("failure reason"), max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    submitted_at = models.DateTimeField(_("last submitted at"), null=True, blank=True)
    succeeded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"], name="refund_one_per_order_and_kind"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=1), name="refund_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.out_refund_no


class PaymentLedgerEntry(models.Model):
    """Money that moved: one row per payment received and per refund paid out."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")

    order = models.ForeignKey(
        PaymentOrder,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        verbose_name=_("payment order"),
    )
    refund = models.OneToOneField(
        Refund,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entry",
        verbose_name=_("refund"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    amount = models.PositiveIntegerField(_("amount (fen)"))
    channel_reference = models.CharField(_("channel reference"), max_length=64)
    # "payment:<order id>" or "refund:<refund id>": the same event can never be booked twice.
    key = models.CharField(_("entry key"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=1), name="ledger_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.key


class ReconciliationReport(TimeStampedModel):
    """The result of matching one channel's daily bill with our orders and refunds."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    date = models.DateField(_("bill date"))
    file_name = models.CharField(_("bill file"), max_length=255)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    missing_locally = models.PositiveIntegerField(_("missing here"), default=0)
    missing_at_channel = models.PositiveIntegerField(
        _("missing at the channel"), default=0
    )
    amount_mismatches = models.PositiveIntegerField(_("amount mismatches"), default=0)
    details = models.JSONField(_("details"), default=dict)

    class Meta:
        verbose_name = _("reconciliation report")
        verbose_name_plural = _("reconciliation reports")
        ordering = ["-date", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "date"], name="reconciliation_one_per_channel_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.date}"

    @property
    def is_clean(self) -> bool:
        return not (
            self.missing_locally or self.missing_at_channel or self.amount_mismatches
        )


class PaymentAlert(TimeStampedModel):
    """One hit of the daily abnormal-payment audit (安全审计). Written by payments_audit.

    One row per rule, subject and day, so running the audit again adds nothing. `hospital`
    is set when every payment behind the hit is at one hospital (its staff see the row);
    a hit across hospitals, or by IP, is for the platform only.
    """

    class Rule(models.TextChoices):
        AMOUNT_MISMATCH = "amount_mismatch", _("Paid amount differs from the order")
        FAILED_PER_ACCOUNT = (
            "failed_per_account",
            _("Repeated unpaid orders from one account"),
        )
        FAILED_PER_IP = "failed_per_ip", _("Repeated unpaid orders from one IP")
        REFUND_NEAR_PAYMENT = (
            "refund_near_payment",
            _("Refund near or over the payment"),
        )
        ORDER_BURST = "order_burst", _("Many orders from one account in a short time")

    rule = models.CharField(_("rule"), max_length=24, choices=Rule.choices)
    day = models.DateField(_("day"))
    # "order:<id>", "user:<id>" or "ip:<address>": what the hit is about.
    subject = models.CharField(_("subject"), max_length=64)
    hospital = models.ForeignKey(
        "hospitals.Hospital",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hospital"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    order = models.ForeignKey(
        PaymentOrder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("payment order"),
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    count = models.PositiveIntegerField(_("count"), default=1)
    amount = models.PositiveBigIntegerField(_("amount (fen)"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("payment alert")
        verbose_name_plural = _("payment alerts")
        ordering = ["-day", "rule", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject", "day"], name="payment_alert_one_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject} {self.day}"
