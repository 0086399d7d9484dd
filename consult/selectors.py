"""Reads of consults, with who may see which: every id outside these rules answers 404.

- A patient sees the consults of their own account.
- A doctor sees the consults addressed to them (their hospitals.Doctor row, joined by the
  account as records.access does).
- Everyone else sees none.
"""

from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import user_is_doctor
from billing.models import PaymentOrder
from common.errors import NotFound
from consult.errors import ErrorCode
from consult.models import Consult, ConsultMessage, QuickReply
from hospitals.errors import ErrorCode as DoctorErrorCode
from hospitals.models import Doctor

MESSAGE_PAGE_DEFAULT = 50
MESSAGE_PAGE_MAX = 100


def consults_of(user: User) -> QuerySet[Consult]:
    if user_is_doctor(user):
        queryset = Consult.objects.filter(
            doctor__user=user, hospital_id=user.hospital_id
        )
    elif user.role == User.Role.PATIENT:
        queryset = Consult.objects.filter(user=user)
    else:
        queryset = Consult.objects.none()
    return (
        _with_payment(queryset)
        .select_related("doctor", "profile")
        .order_by("-created_at", "-id")
    )


def _consult_orders() -> QuerySet[PaymentOrder]:
    return PaymentOrder.objects.filter(
        kind=PaymentOrder.Kind.CONSULT, ref_id=OuterRef("pk")
    )


def _with_payment(queryset: QuerySet[Consult]) -> QuerySet[Consult]:
    """Annotate the consult_payment values: two subqueries, no query per consult."""
    paid = _consult_orders().filter(status__in=PaymentOrder.PAID_STATUSES)
    return queryset.annotate(
        payment_order_pk=Coalesce(
            Subquery(paid.order_by("paid_at", "pk").values("pk")[:1]),
            Subquery(
                _consult_orders()
                .filter(status=PaymentOrder.Status.CREATED)
                .order_by("-pk")
                .values("pk")[:1]
            ),
        ),
        refunded_fen=Coalesce(
            Subquery(
                paid.order_by()
                .values("ref_id")
                .annotate(total=Sum("refunded_amount"))
                .values("total")[:1]
            ),
            0,
        ),
    )


@dataclass(frozen=True)
class ConsultPayment:
    order_id: int | None  # the paid order, else the newest open one, else None
    refunded_amount: int  # fen, refunds requested (in flight or done)


def consult_payment(consult: Consult) -> ConsultPayment:
    """What billing holds for the consult (from consults_of's annotations when present)."""
    if not hasattr(consult, "refunded_fen"):
        # Read once, kept on the instance as consults_of would have annotated it.
        consult.payment_order_pk, consult.refunded_fen = (
            _with_payment(Consult.objects.filter(pk=consult.pk))
            .values_list("payment_order_pk", "refunded_fen")
            .get()
        )
    return ConsultPayment(
        order_id=consult.payment_order_pk, refunded_amount=consult.refunded_fen
    )


def consult_get_for_patient(*, user: User, consult_id: int) -> Consult:
    """The user's own consult as its patient; anyone else's id (a doctor's too) 404."""
    consult = Consult.objects.filter(pk=consult_id, user=user).first()
    if consult is None:
        raise NotFound(ErrorCode.CONSULT_NOT_FOUND, _("Consult not found."))
    return consult


def consult_get_for_party(*, user: User, consult_id: int) -> Consult:
    consult = consults_of(user).filter(pk=consult_id).first()
    if consult is None:
        raise NotFound(ErrorCode.CONSULT_NOT_FOUND, _("Consult not found."))
    return consult


def party_of(*, user: User, consult: Consult) -> str:
    """Which side of the consult the user is (they passed consult_get_for_party)."""
    if consult.user_id == user.pk:
        return ConsultMessage.Sender.PATIENT
    return ConsultMessage.Sender.DOCTOR


def messages_after(
    *, consult: Consult, after: int | None, limit: int
) -> list[ConsultMessage]:
    """The consult's messages in sending order, those after the cursor (a message id)."""
    queryset = ConsultMessage.objects.filter(consult=consult).order_by("id")
    if after is not None:
        queryset = queryset.filter(pk__gt=after)
    return list(queryset[:limit])


def message_get_for_sender(*, user: User, message_id: int) -> ConsultMessage:
    message = (
        ConsultMessage.objects.filter(
            pk=message_id,
            sender_user=user,
            consult__in=consults_of(user),
        )
        .select_related("consult")
        .first()
    )
    if message is None:
        raise NotFound(ErrorCode.CONSULT_MESSAGE_NOT_FOUND, _("Message not found."))
    return message


def doctor_of(user: User) -> Doctor:
    """The doctor row of a doctor's account (IsDoctor has checked the role)."""
    doctor = Doctor.objects.filter(user=user, hospital_id=user.hospital_id).first()
    if doctor is None:
        raise NotFound(DoctorErrorCode.DOCTOR_NOT_FOUND, _("Doctor not found."))
    return doctor


def quick_replies_of(doctor: Doctor) -> QuerySet[QuickReply]:
    return QuickReply.objects.filter(doctor=doctor).order_by("id")


def quick_reply_get(*, doctor: Doctor, reply_id: int) -> QuickReply:
    reply = quick_replies_of(doctor).filter(pk=reply_id).first()
    if reply is None:
        raise NotFound(ErrorCode.QUICK_REPLY_NOT_FOUND, _("Quick reply not found."))
    return reply
