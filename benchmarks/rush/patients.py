"""The benchmark's patients: users with one patient profile each, and a JWT each."""

import datetime

from django.contrib.auth.hashers import make_password
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import PatientProfile, User
from accounts.selectors import ID_CARD_CONTEXT, ID_CARD_HASH_CONTEXT, PHONE_CONTEXT
from accounts.sensitive import id_card_last4_hash
from accounts.validators import id_card_check_char
from common.crypto import encrypt, lookup_hash

_BIRTH_DAYS = 30_000  # birth dates from 1930 on; the serial's rest goes to the sequence


def id_card_no(serial: int) -> str:
    """A valid-looking 18-digit ID card number, different for each serial below 30 million."""
    birth = datetime.date(1930, 1, 1) + datetime.timedelta(days=serial % _BIRTH_DAYS)
    first17 = f"110105{birth:%Y%m%d}{(serial // _BIRTH_DAYS) % 1000:03d}"
    return first17 + id_card_check_char(first17)


def patients_create(
    *, prefix: str, count: int, first_serial: int
) -> list[tuple[int, int]]:
    """`count` patient users with one profile each, in bulk; returns (user_id, profile_id).

    Profiles are encrypted like real ones; `first_serial` keeps each person (ID card)
    apart from the other pools' and runs'.
    """
    User.objects.bulk_create(
        [
            User(
                username=f"{prefix}{i:06d}",
                role=User.Role.PATIENT,
                password=make_password(None),  # unusable: they only hold JWTs
            )
            for i in range(count)
        ],
        batch_size=500,
    )
    user_ids = list(
        User.objects.filter(username__startswith=prefix)
        .order_by("username")
        .values_list("pk", flat=True)
    )
    profiles = []
    for i, user_id in enumerate(user_ids):
        serial = first_serial + i
        id_no = id_card_no(serial)
        profiles.append(
            PatientProfile(
                user_id=user_id,
                name=f"压测患者{serial}",
                relation=PatientProfile.Relation.SELF,
                gender=PatientProfile.Gender.FEMALE,
                birth_date=datetime.date(1990, 3, 7),
                phone_encrypted=encrypt(
                    f"139{serial % 10**8:08d}", context=PHONE_CONTEXT
                ),
                id_card_encrypted=encrypt(id_no, context=ID_CARD_CONTEXT),
                id_card_hash=lookup_hash(id_no, context=ID_CARD_HASH_CONTEXT),
                id_card_last4_hash=id_card_last4_hash(id_no[-4:]),
            )
        )
    PatientProfile.objects.bulk_create(profiles, batch_size=500)
    profile_ids = dict(
        PatientProfile.objects.filter(user_id__in=user_ids).values_list("user_id", "pk")
    )
    return [(user_id, profile_ids[user_id]) for user_id in user_ids]


def tokens_issue(
    user_ids: list[int], *, lifetime: datetime.timedelta
) -> dict[int, str]:
    """One JWT access token per user, valid for `lifetime`."""
    tokens = {}
    for user in User.objects.filter(pk__in=user_ids).only(
        "pk", "is_active", "password"
    ):
        token = AccessToken.for_user(user)
        token.set_exp(lifetime=lifetime)
        tokens[user.pk] = str(token)
    return tokens
