"""The patients of a seeded history: a pool of accounts, one profile (就诊人) each.

Written in bulk (the profile service would log and check each one: too slow for thousands
of made-up people). The pool of a hospital is found again by its usernames
("hist<hospital id>_<n>"), so a second history for the same hospital reuses it. Names,
birth dates, ID-card numbers and phones follow from the seed; each is encrypted and
hashed as the profile service does it.
"""

import datetime
import random

from django.contrib.auth.hashers import make_password

from accounts.models import PatientProfile, User
from accounts.sensitive import (
    ID_CARD_CONTEXT,
    ID_CARD_HASH_CONTEXT,
    PHONE_CONTEXT,
    PHONE_HASH_CONTEXT,
    id_card_last4_hash,
)
from common.crypto import encrypt, lookup_hash
from demo.people import id_card_number

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建文斌宇浩凯晨欣怡子涵雨轩梓梅琳雪婷颖博睿思佳"
REGIONS = (
    "110105",
    "110108",
    "310104",
    "310115",
    "440106",
    "440104",
    "320102",
    "330106",
)


def pool_username(hospital_id: int, number: int) -> str:
    return f"hist{hospital_id}_{number:05d}"


def _person(rng: random.Random, number: int, year: int, hospital_id: int) -> dict:
    # Ages from infants to the elderly, with more middle-aged and older patients.
    age = min(95, max(0, int(rng.triangular(0, 95, 45))))
    birth = datetime.date(year - age, rng.randint(1, 12), rng.randint(1, 28))
    female = rng.random() < 0.53
    serial = f"{number % 1000:03d}"
    # The 17th digit is odd for men, even for women (GB 11643).
    serial = serial[:2] + str((int(serial[2]) // 2) * 2 + (0 if female else 1))
    first17 = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{serial}"
    name = rng.choice(SURNAMES) + "".join(
        rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))
    )
    return {
        "name": name,
        "birth": birth,
        "gender": "female" if female else "male",
        "id_card_no": id_card_number(first17),
        # 19 + the hospital (3 digits) + the number: unique across the pools.
        "phone": f"19{hospital_id % 1000:03d}{number:06d}",
    }


def patient_pool(
    *, hospital_id: int, size: int, seed: int, year: int
) -> list[PatientProfile]:
    """`size` profiles for the hospital's history: existing ones first, the rest created.

    Each person follows from (seed, number) alone, so the pool is the same whether it is
    created now or found from an earlier run."""
    prefix = f"hist{hospital_id}_"
    users = {
        user.username: user
        for user in User.objects.filter(username__startswith=prefix).only("username")
    }
    unusable = make_password(None)
    missing = [
        n for n in range(1, size + 1) if pool_username(hospital_id, n) not in users
    ]
    people = {
        n: _person(random.Random(f"{seed}-{n}"), n, year, hospital_id) for n in missing
    }
    new_users = [
        User(
            username=pool_username(hospital_id, n),
            role=User.Role.PATIENT,
            nickname=people[n]["name"],
            password=unusable,
        )
        for n in missing
    ]
    for user, n in zip(new_users, missing, strict=True):
        user.phone = people[n]["phone"]
    User.objects.bulk_create(new_users, batch_size=500)
    users |= {
        user.username: user
        for user in User.objects.filter(
            username__in=[u.username for u in new_users]
        ).only("username")
    }
    profiles = []
    for n in missing:
        person = people[n]
        profile = PatientProfile(
            user=users[pool_username(hospital_id, n)],
            relation=PatientProfile.Relation.SELF,
            gender=person["gender"],
            id_card_encrypted=encrypt(person["id_card_no"], context=ID_CARD_CONTEXT),
            id_card_hash=lookup_hash(
                person["id_card_no"], context=ID_CARD_HASH_CONTEXT
            ),
            id_card_last4_hash=id_card_last4_hash(person["id_card_no"][-4:]),
            phone_encrypted=encrypt(person["phone"], context=PHONE_CONTEXT),
            phone_hash=lookup_hash(person["phone"], context=PHONE_HASH_CONTEXT),
            is_active=True,
        )
        profile.name = person["name"]
        profile.birth_date = person["birth"]
        profiles.append(profile)
    PatientProfile.objects.bulk_create(profiles, batch_size=500)
    pool = list(
        PatientProfile.objects.filter(user__username__startswith=prefix, is_active=True)
        .only("id", "user_id", "birth_year", "gender")
        .order_by("user__username")
    )
    return pool[:size]
