"""Sensitive columns leave the clear.

- User.phone and SmsCode.phone become a keyed lookup hash plus an AES-GCM copy.
- PatientProfile.name becomes ciphertext plus a keyed hash of the full name (exact search).
- PatientProfile.birth_date becomes ciphertext plus the birth year in clear.
- PatientProfile.id_card_last4 becomes a keyed hash.
- The lookup hashes move to their own key (LOOKUP_HASH_KEY, which never rotates): the
  existing ID-number and phone hashes of profiles are recomputed from their plaintext.

Rows are converted in batches. The migration is reversible: going back decrypts into the
clear columns and recomputes the hashes under the key derived from FIELD_ENCRYPTION_KEY,
as before. Login codes sent before it stop working (their hash included the old key);
they live five minutes.
"""

import datetime
import hashlib
import hmac

from django.conf import settings
from django.db import migrations, models

from common import crypto

BATCH = 500

USER_PHONE_CONTEXT = "accounts.User.phone"
SMS_PHONE_CONTEXT = "accounts.SmsCode.phone"
PHONE_LOOKUP_CONTEXT = "phone"
NAME_CONTEXT = "accounts.PatientProfile.name"
NAME_HASH_CONTEXT = "profile_name"
BIRTH_DATE_CONTEXT = "accounts.PatientProfile.birth_date"
ID_CARD_LAST4_HASH_CONTEXT = "id_card_last4"
ID_CARD_CONTEXT = "accounts.PatientProfile.id_card_no"
PHONE_CONTEXT = "accounts.PatientProfile.phone"
ID_CARD_HASH_CONTEXT = "id_card_no"
PHONE_HASH_CONTEXT = "profile_phone"


def _legacy_lookup_hash(value: str, *, context: str) -> str:
    """The lookup hash before LOOKUP_HASH_KEY: keyed by a derivation of the field key."""
    key = hmac.new(settings.FIELD_ENCRYPTION_KEY, b"lookup-hash-key", hashlib.sha256)
    return hmac.new(
        key.digest(), f"{context}:{value}".encode(), hashlib.sha256
    ).hexdigest()


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _batches(queryset):
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def forward(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    SmsCode = apps.get_model("accounts", "SmsCode")
    PatientProfile = apps.get_model("accounts", "PatientProfile")
    for rows in _batches(User.objects.exclude(phone__isnull=True).exclude(phone="")):
        for user in rows:
            user.phone_encrypted = crypto.encrypt(
                user.phone, context=USER_PHONE_CONTEXT
            )
            user.phone_hash = crypto.lookup_hash(
                user.phone, context=PHONE_LOOKUP_CONTEXT
            )
            user.phone = None
        User.objects.bulk_update(rows, ["phone", "phone_hash", "phone_encrypted"])
    for rows in _batches(SmsCode.objects.all()):
        for code in rows:
            code.phone_encrypted = crypto.encrypt(code.phone, context=SMS_PHONE_CONTEXT)
            code.phone_hash = crypto.lookup_hash(
                code.phone, context=PHONE_LOOKUP_CONTEXT
            )
            code.phone = None
        SmsCode.objects.bulk_update(rows, ["phone", "phone_hash", "phone_encrypted"])
    for rows in _batches(PatientProfile.objects.all()):
        for profile in rows:
            id_card = crypto.decrypt(profile.id_card_encrypted, context=ID_CARD_CONTEXT)
            phone = crypto.decrypt(profile.phone_encrypted, context=PHONE_CONTEXT)
            profile.name_encrypted = crypto.encrypt(profile.name, context=NAME_CONTEXT)
            profile.name_hash = crypto.lookup_hash(
                _name_key(profile.name), context=NAME_HASH_CONTEXT
            )
            profile.birth_date_encrypted = crypto.encrypt(
                profile.birth_date.isoformat(), context=BIRTH_DATE_CONTEXT
            )
            profile.birth_year = profile.birth_date.year
            profile.id_card_last4_hash = crypto.lookup_hash(
                id_card[-4:].upper(), context=ID_CARD_LAST4_HASH_CONTEXT
            )
            profile.id_card_hash = crypto.lookup_hash(
                id_card, context=ID_CARD_HASH_CONTEXT
            )
            profile.phone_hash = crypto.lookup_hash(phone, context=PHONE_HASH_CONTEXT)
            profile.name = None
            profile.birth_date = None
            profile.id_card_last4 = None
        PatientProfile.objects.bulk_update(
            rows,
            [
                "name",
                "name_encrypted",
                "name_hash",
                "birth_date",
                "birth_date_encrypted",
                "birth_year",
                "id_card_last4",
                "id_card_last4_hash",
                "id_card_hash",
                "phone_hash",
            ],
        )


def backward(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    SmsCode = apps.get_model("accounts", "SmsCode")
    PatientProfile = apps.get_model("accounts", "PatientProfile")
    for rows in _batches(User.objects.exclude(phone_encrypted="")):
        for user in rows:
            user.phone = crypto.decrypt(
                user.phone_encrypted, context=USER_PHONE_CONTEXT
            )
        User.objects.bulk_update(rows, ["phone"])
    for rows in _batches(SmsCode.objects.all()):
        for code in rows:
            code.phone = crypto.decrypt(code.phone_encrypted, context=SMS_PHONE_CONTEXT)
        SmsCode.objects.bulk_update(rows, ["phone"])
    for rows in _batches(PatientProfile.objects.all()):
        for profile in rows:
            id_card = crypto.decrypt(profile.id_card_encrypted, context=ID_CARD_CONTEXT)
            phone = crypto.decrypt(profile.phone_encrypted, context=PHONE_CONTEXT)
            profile.name = crypto.decrypt(profile.name_encrypted, context=NAME_CONTEXT)
            profile.birth_date = datetime.date.fromisoformat(
                crypto.decrypt(profile.birth_date_encrypted, context=BIRTH_DATE_CONTEXT)
            )
            profile.id_card_last4 = id_card[-4:]
            profile.id_card_hash = _legacy_lookup_hash(
                id_card, context=ID_CARD_HASH_CONTEXT
            )
            profile.phone_hash = _legacy_lookup_hash(phone, context=PHONE_HASH_CONTEXT)
        PatientProfile.objects.bulk_update(
            rows, ["name", "birth_date", "id_card_last4", "id_card_hash", "phone_hash"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_late_cancel_appointment_id"),
    ]

    operations = [
        # The clear columns may be emptied row by row, and are refilled when going back.
        migrations.AlterField(
            model_name="smscode",
            name="phone",
            field=models.CharField(
                db_index=True, max_length=20, null=True, verbose_name="phone"
            ),
        ),
        migrations.AlterField(
            model_name="patientprofile",
            name="name",
            field=models.CharField(max_length=50, null=True, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="patientprofile",
            name="birth_date",
            field=models.DateField(null=True, verbose_name="birth date"),
        ),
        migrations.AlterField(
            model_name="patientprofile",
            name="id_card_last4",
            field=models.CharField(
                max_length=4, null=True, verbose_name="ID-card last 4"
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="phone_hash",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=64,
                null=True,
                unique=True,
                verbose_name="phone lookup hash",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="phone_encrypted",
            field=models.TextField(
                blank=True, editable=False, verbose_name="phone (encrypted)"
            ),
        ),
        migrations.AddField(
            model_name="smscode",
            name="phone_hash",
            field=models.CharField(
                db_index=True,
                default="",
                editable=False,
                max_length=64,
                verbose_name="phone lookup hash",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="smscode",
            name="phone_encrypted",
            field=models.TextField(
                default="", editable=False, verbose_name="phone (encrypted)"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="patientprofile",
            name="name_encrypted",
            field=models.TextField(
                default="", editable=False, verbose_name="name (encrypted)"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="patientprofile",
            name="name_hash",
            field=models.CharField(
                db_index=True,
                default="",
                editable=False,
                max_length=64,
                verbose_name="name lookup hash",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="patientprofile",
            name="birth_date_encrypted",
            field=models.TextField(
                default="", editable=False, verbose_name="birth date (encrypted)"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="patientprofile",
            name="birth_year",
            field=models.PositiveSmallIntegerField(
                default=0, editable=False, verbose_name="birth year"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="patientprofile",
            name="id_card_last4_hash",
            field=models.CharField(
                db_index=True,
                default="",
                editable=False,
                max_length=64,
                verbose_name="ID-card last 4 lookup hash",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveField(model_name="user", name="phone"),
        migrations.RemoveField(model_name="smscode", name="phone"),
        migrations.RemoveField(model_name="patientprofile", name="name"),
        migrations.RemoveField(model_name="patientprofile", name="birth_date"),
        migrations.RemoveField(model_name="patientprofile", name="id_card_last4"),
    ]
