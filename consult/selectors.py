"""Reads of consults, with who may see which: every id outside these rules answers 404.

- A patient sees the consults of their own account.
- A doctor sees the consults addressed to them (their hospitals.Doctor row, joined by the
  account as records.access does).
- Everyone else sees none.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import user_is_doctor
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
        queryset.select_related("doctor", "profile", "record")
        # The advice (records.services.online.consult_record_advice) without a query each.
        .prefetch_related("record__versions")
        .order_by("-created_at", "-id")
    )


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
