"""A doctor's consult offer and quick replies."""

from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import Conflict
from common.services import Actor, operation_log_write
from consult.errors import ErrorCode
from consult.models import ConsultOffer, QuickReply
from hospitals.models import Doctor

QUICK_REPLIES_MAX = 20


@transaction.atomic
def consult_offer_set(
    *,
    actor: Actor,
    doctor: Doctor,
    enabled: bool,
    fee: int,
    daily_cap: int,
    reply_hours: int,
) -> ConsultOffer:
    offer, _created = ConsultOffer.objects.select_for_update().get_or_create(
        doctor=doctor
    )
    offer.enabled = enabled
    offer.fee = fee
    offer.daily_cap = daily_cap
    offer.reply_hours = reply_hours
    offer.full_clean()
    offer.save()
    operation_log_write(
        actor=actor,
        action="consult.offer_set",
        obj=offer,
        summary=f"enabled={enabled} fee={fee} cap={daily_cap} hours={reply_hours}",
    )
    return offer


@transaction.atomic
def quick_reply_create(*, doctor: Doctor, text: str) -> QuickReply:
    # The doctor's row serialises one doctor's concurrent additions under the limit.
    Doctor.objects.select_for_update().filter(pk=doctor.pk).first()
    if QuickReply.objects.filter(doctor=doctor).count() >= QUICK_REPLIES_MAX:
        raise Conflict(
            ErrorCode.QUICK_REPLY_LIMIT_REACHED,
            _("A doctor keeps at most %(limit)d quick replies.")
            % {"limit": QUICK_REPLIES_MAX},
        )
    reply = QuickReply(doctor=doctor, text=text.strip())
    reply.full_clean()
    reply.save()
    return reply


@transaction.atomic
def quick_reply_update(*, reply: QuickReply, text: str) -> QuickReply:
    reply.text = text.strip()
    reply.full_clean()
    reply.save()
    return reply


@transaction.atomic
def quick_reply_delete(*, reply: QuickReply) -> None:
    reply.delete()
