"""Reads of consults, with who may see which: every id outside these rules answers 404.

- A patient sees the consults of their own account.
- A doctor sees the consults addressed to them (their hospitals.Doctor row, joined by the
  account as records.access does).
- Everyone else sees none.
"""

from dataclasses import dataclass

from django.db.models import (
    Case,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import user_is_doctor
from billing.models import PaymentOrder
from common.errors import NotFound
from consult.errors import ErrorCode
from consult.models import (
    Consult,
    ConsultImage,
    ConsultMessage,
    ConsultOffer,
    QuickReply,
)
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
        .select_related("doctor", "profile", "record")
        .prefetch_related(
            Prefetch(
                "images",
                queryset=ConsultImage.objects.filter(
                    kind=ConsultImage.Kind.PROBLEM
                ).order_by("id"),
                to_attr="problem_images_list",
            ),
            # The advice (records.services.online.consult_record_advice) without a
            # query each.
            "record__versions",
        )
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
    queryset = (
        ConsultMessage.objects.filter(consult=consult)
        .select_related("image")
        .order_by("id")
    )
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


def image_get_by_link(image_id: int) -> ConsultImage:
    """The image a valid link names, unless it is gone (a recalled message's)."""
    image = ConsultImage.objects.filter(pk=image_id).first()
    if image is None:
        raise NotFound(ErrorCode.CONSULT_IMAGE_NOT_FOUND, _("Image not found."))
    return image


def offer_for_patients(*, doctor_id: int) -> ConsultOffer | None:
    """A doctor's terms as patients see them: only an enabled offer of an active doctor
    (the public offer API's rule); None when the doctor takes no consults."""
    return (
        ConsultOffer.objects.filter(
            doctor_id=doctor_id, enabled=True, doctor__is_active=True
        )
        .select_related("doctor")
        .first()
    )


def offer_of(doctor: Doctor) -> ConsultOffer:
    """The doctor's offer, or an unsaved one with the defaults if they never set one."""
    return ConsultOffer.objects.filter(doctor=doctor).first() or ConsultOffer(
        doctor=doctor
    )


# The doctor's desk: what needs an answer first (waiting, by the nearest deadline), then
# the conversations in progress, then the rest, newest first.
_DESK_ORDER = {
    Consult.Status.WAITING: 0,
    Consult.Status.IN_PROGRESS: 1,
    Consult.Status.AWAITING_PAYMENT: 2,
    Consult.Status.CLOSED: 3,
    Consult.Status.RATED: 4,
    Consult.Status.CANCELLED: 5,
}


def consults_for_desk(*, user: User, status: str = "") -> QuerySet[Consult]:
    """The consults addressed to the doctor (consults_of's scope), `status` only if given;
    waiting ones first by the nearest reply deadline, then in progress by the latest
    message, then the others newest first."""
    queryset = consults_of(user)
    if status:
        queryset = queryset.filter(status=status)
    rank = Case(
        *(When(status=value, then=Value(n)) for value, n in _DESK_ORDER.items()),
        default=Value(len(_DESK_ORDER)),
        output_field=IntegerField(),
    )
    deadline = Case(
        When(status=Consult.Status.WAITING, then=F("reply_deadline")), default=None
    )
    return queryset.annotate(desk_rank=rank, desk_deadline=deadline).order_by(
        "desk_rank",
        F("desk_deadline").asc(nulls_last=True),
        F("last_message_at").desc(nulls_last=True),
        "-created_at",
        "-id",
    )


def message_get_for_party(*, user: User, message_id: int) -> ConsultMessage:
    """A message of one of the user's consults (either party's message)."""
    message = (
        ConsultMessage.objects.filter(pk=message_id, consult__in=consults_of(user))
        .select_related("consult")
        .first()
    )
    if message is None:
        raise NotFound(ErrorCode.CONSULT_MESSAGE_NOT_FOUND, _("Message not found."))
    return message
