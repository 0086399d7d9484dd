"""Patients for booking tests: a user with one active profile, encrypted like the real thing."""

import datetime
import itertools

import factory

from accounts.models import PatientProfile, User
from accounts.selectors import ID_CARD_CONTEXT, ID_CARD_HASH_CONTEXT, PHONE_CONTEXT
from common.crypto import encrypt, lookup_hash

_serial = itertools.count(1)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card_no(n: int, birth: datetime.date = datetime.date(1990, 3, 7)) -> str:
    """A valid GB 11643 number: Beijing area code, `birth`, sequence `n`, check digit."""
    body = f"110105{birth:%Y%m%d}{n % 1000:03d}"
    check = "10X98765432"[
        sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11
    ]
    return body + check


class PatientUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"patient{n}")
    role = User.Role.PATIENT


class PatientProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientProfile

    user = factory.SubFactory(PatientUserFactory)
    name = factory.Sequence(lambda n: f"患者{n}")
    relation = PatientProfile.Relation.SELF
    gender = PatientProfile.Gender.FEMALE
    birth_date = datetime.date(1990, 3, 7)
    phone_encrypted = factory.LazyFunction(
        lambda: encrypt("13800138000", context=PHONE_CONTEXT)
    )

    class Params:
        id_no = factory.LazyFunction(lambda: id_card_no(next(_serial)))

    id_card_encrypted = factory.LazyAttribute(
        lambda o: encrypt(o.id_no, context=ID_CARD_CONTEXT)
    )
    id_card_hash = factory.LazyAttribute(
        lambda o: lookup_hash(o.id_no, context=ID_CARD_HASH_CONTEXT)
    )
    id_card_last4 = factory.LazyAttribute(lambda o: o.id_no[-4:])
