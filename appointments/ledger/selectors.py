"""What a patient may read of the ledger: their profiles' entries (by the person's ID-number
hash, whichever account booked), restrictions and appeals. Another user's ids are 404."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile, User
from appointments.errors import ErrorCode
from appointments.ledger.rules import Restriction, person_restriction
from appointments.models import LedgerAppeal, LedgerEntry
from common.errors import NotFound

_MAX_ID = 2**63 - 1


def _my_hashes(user: User) -> set[str]:
    return set(
        PatientProfile.objects.filter(user=user, is_active=True).values_list(
            "id_card_hash", flat=True
        )
    )


def ledger_entries_for_profile(*, profile: PatientProfile) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(id_card_hash=profile.id_card_hash).select_related(
        "hospital", "appointment"
    )


def ledger_restrictions_for_profile(
    *, profile: PatientProfile, now: datetime.datetime | None = None
) -> list[tuple[int, str, Restriction]]:
    """(hospital id, hospital name, restriction) for each hospital restricting the person."""
    now = now or timezone.now()
    hospitals = dict(
        LedgerEntry.objects.filter(
            id_card_hash=profile.id_card_hash, voided_at__isnull=True
        ).values_list("hospital_id", "hospital__name")
    )
    found = []
    for hospital_id, name in sorted(hospitals.items()):
        restriction = person_restriction(
            id_card_hash=profile.id_card_hash, hospital_id=hospital_id, now=now
        )
        if restriction is not None:
            found.append((hospital_id, name, restriction))
    return found


def ledger_entry_get_for_user(*, user: User, entry_id: int) -> LedgerEntry:
    entry = None
    if 0 < entry_id <= _MAX_ID:
        entry = LedgerEntry.objects.filter(
            pk=entry_id, id_card_hash__in=_my_hashes(user)
        ).first()
    if entry is None:
        raise NotFound(ErrorCode.LEDGER_ENTRY_NOT_FOUND, _("Record not found."))
    return entry


def ledger_appeals_for_user(*, user: User) -> QuerySet[LedgerAppeal]:
    return LedgerAppeal.objects.filter(user=user).select_related("entry__hospital")
