"""Reads of rebooking offers after a stop (停诊), for their owner."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from appointments.errors import ErrorCode
from appointments.models import RebookingOffer
from common.errors import NotFound


def rebooking_offer_list_for_user(*, user: User) -> QuerySet[RebookingOffer]:
    """The user's offers, newest first, with what the pages show."""
    return (
        RebookingOffer.objects.filter(appointment__user=user)
        .select_related(
            "appointment__profile",
            "appointment__doctor",
            "slot__session__doctor__department",
        )
        .order_by("-created_at", "-pk")
    )


def rebooking_offer_get_for_user(*, user: User, offer_id: int) -> RebookingOffer:
    """The user's own offer; anyone else's id answers 404, never their data."""
    offer = rebooking_offer_list_for_user(user=user).filter(pk=offer_id).first()
    if offer is None:
        raise NotFound(
            ErrorCode.REBOOKING_OFFER_NOT_FOUND, _("Rebooking offer not found.")
        )
    return offer
