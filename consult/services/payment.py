"""Paying for a consult: through billing's orders, as a payable of kind "consult".

Billing knows a consult only by its id (PaymentOrder.kind "consult", ref_id) and reaches
it through ConsultPayable, registered in ConsultConfig.ready (billing.payables). So the
dev gateway, the WeChat Pay and Alipay notifications and the channel queries all pay a
consult through billing's one path to paid (payment_order_mark_paid), which calls
ConsultPayable.paid in the payment's transaction: awaiting_payment → waiting, the reply
deadline counted from the payment. A consult that no longer awaits payment refuses it,
and billing refunds the money in full (not_payable).

Consult fees are the doctor's price: no member discount, and no member points are earned
(billing gives both to appointments only).

Lock order: the consult's row, then billing's order row (billing takes them so).
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import PaymentOrder, Refund
from billing.payables import Payable
from billing.services.orders import payable_order_open
from billing.services.settlement import payable_orders_settle
from common.errors import Conflict, NotFound
from common.events import publish
from common.services import Actor, operation_log_write
from consult.errors import ErrorCode
from consult.events import ConsultStatusChanged
from consult.models import Consult, ConsultOffer
from consult.notifications import consult_refunded_notify, consult_status_notify
from consult.services.consults import consult_release

logger = logging.getLogger(__name__)

S = Consult.Status
KIND = PaymentOrder.Kind.CONSULT


def consult_pay_before(consult: Consult) -> datetime.datetime:
    """Until when a consult awaiting payment may be paid (CONSULT_PAYMENT_MINUTES)."""
    return consult.created_at + datetime.timedelta(
        minutes=settings.CONSULT_PAYMENT_MINUTES
    )


class ConsultPayable:
    """billing.payables.PayableHandler for consults."""

    def lock(self, ref_id: int) -> None:
        Consult.objects.select_for_update().filter(pk=ref_id).values_list(
            "pk", flat=True
        ).first()

    def payable(self, ref_id: int) -> Payable:
        consult = Consult.objects.filter(pk=ref_id).first()
        if consult is None:
            raise NotFound(ErrorCode.CONSULT_NOT_FOUND, _("Consult not found."))
        if consult.status != S.AWAITING_PAYMENT:
            raise Conflict(
                ErrorCode.CONSULT_NOT_AWAITING_PAYMENT,
                _("This consult is not awaiting payment."),
            )
        if consult_pay_before(consult) <= timezone.now():
            raise Conflict(
                ErrorCode.CONSULT_PAYMENT_TIME_EXPIRED,
                _("The time to pay for this consult has passed."),
            )
        return Payable(
            user_id=consult.user_id,
            hospital_id=consult.hospital_id,
            amount=consult.fee,
        )

    def description(self, ref_id: int) -> str:
        consult = Consult.objects.select_related("hospital", "doctor").get(pk=ref_id)
        return _("%(hospital)s %(doctor)s online consult fee") % {
            "hospital": consult.hospital.name,
            "doctor": consult.doctor.name,
        }

    def pay_before(self, ref_id: int) -> datetime.datetime | None:
        consult = Consult.objects.filter(pk=ref_id).first()
        return consult_pay_before(consult) if consult is not None else None

    def patient_name(self, ref_id: int) -> str:
        consult = Consult.objects.select_related("profile").filter(pk=ref_id).first()
        return consult.profile.name if consult is not None else ""

    def is_awaiting_payment(self, ref_id: int) -> bool:
        return Consult.objects.filter(pk=ref_id, status=S.AWAITING_PAYMENT).exists()

    def paid(self, ref_id: int, order: PaymentOrder, actor: Actor) -> None:
        """The consult now waits for the doctor: the reply deadline counts from the
        payment. Refused (billing refunds) unless it still awaits payment."""
        consult = Consult.objects.get(pk=ref_id)
        offer = ConsultOffer.objects.filter(doctor_id=consult.doctor_id).first()
        hours = offer.reply_hours if offer is not None else 24
        paid_at = order.paid_at or timezone.now()
        changed = Consult.objects.filter(pk=ref_id, status=S.AWAITING_PAYMENT).update(
            status=S.WAITING,
            reply_deadline=paid_at + datetime.timedelta(hours=hours),
            updated_at=timezone.now(),
        )
        if changed != 1:
            raise Conflict(
                ErrorCode.CONSULT_NOT_AWAITING_PAYMENT,
                _("This consult is not awaiting payment."),
            )
        operation_log_write(
            actor=actor,
            action="consult.paid",
            obj=consult,
            summary=f"order={order.out_trade_no} {order.amount} fen",
        )
        publish(ConsultStatusChanged(consult_id=ref_id, status=S.WAITING))

    def refund_done(self, ref_id: int, refund: Refund) -> None:
        consult = Consult.objects.select_related("profile", "doctor", "hospital").get(
            pk=ref_id
        )
        consult_refunded_notify(
            consult=consult, amount_fen=refund.amount, refund_id=refund.pk
        )


def consult_pay(
    *, consult: Consult, channel: str, scene: str, actor: Actor
) -> PaymentOrder:
    """The open billing order that pays for `consult` through `channel` (opened if none).

    Refused (409) unless the consult awaits payment within CONSULT_PAYMENT_MINUTES; the
    channel checks (unknown, disabled, WeChat login) are billing's, as for appointments.
    """
    return payable_order_open(
        kind=KIND, ref_id=consult.pk, channel=channel, scene=scene, actor=actor
    )


def unpaid_consults_expire(*, now: datetime.datetime | None = None) -> int:
    """Cancel the consults not paid within CONSULT_PAYMENT_MINUTES; give their places back.

    As billing's holds_expire does for appointments: each open order's channel is asked
    first (a network call, outside any transaction); a consult paid after all is left to
    the payment. A channel outage does not keep the place: the consult is cancelled anyway
    and a late payment is refunded. Idempotent: the cancel is a conditional UPDATE.
    Returns how many were cancelled.
    """
    now = now or timezone.now()
    due = now - datetime.timedelta(minutes=settings.CONSULT_PAYMENT_MINUTES)
    ids = list(
        Consult.objects.filter(status=S.AWAITING_PAYMENT, created_at__lte=due)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    cancelled = 0
    for consult_id in ids:
        try:
            if payable_orders_settle(kind=KIND, ref_id=consult_id):
                continue
        except Exception:
            logger.exception(
                "payment query failed for consult %s; cancelling it", consult_id
            )
        with transaction.atomic():
            changed = Consult.objects.filter(
                pk=consult_id, status=S.AWAITING_PAYMENT
            ).update(
                status=S.CANCELLED,
                closed_at=now,
                closed_by=Consult.ClosedBy.SYSTEM,
                updated_at=now,
            )
            if not changed:
                continue
            consult = Consult.objects.select_related(
                "doctor", "profile", "hospital"
            ).get(pk=consult_id)
            operation_log_write(
                actor=Actor.system(),
                action="consult.expire",
                obj=consult,
                summary="not paid in time",
            )
            consult_release(
                consult=consult, actor=Actor.system(), reason="consult_cancel:unpaid"
            )
            consult_status_notify(consult=consult)
            publish(ConsultStatusChanged(consult_id=consult_id, status=S.CANCELLED))
            cancelled += 1
    return cancelled
