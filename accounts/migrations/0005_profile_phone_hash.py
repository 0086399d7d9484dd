"""A keyed hash of each patient profile's phone, so staff can find a patient by phone."""

from django.db import migrations, models

from common.crypto import DecryptionError, decrypt, lookup_hash

# Frozen copies of accounts.selectors' contexts: a migration must not follow later renames.
PHONE_CONTEXT = "accounts.PatientProfile.phone"
PHONE_HASH_CONTEXT = "profile_phone"


def fill_phone_hashes(apps, schema_editor):
    PatientProfile = apps.get_model("accounts", "PatientProfile")
    for profile in PatientProfile.objects.filter(phone_hash="").iterator():
        try:
            phone = decrypt(profile.phone_encrypted, context=PHONE_CONTEXT)
        except DecryptionError:
            continue  # written under another key: left unsearchable rather than guessed
        profile.phone_hash = lookup_hash(phone, context=PHONE_HASH_CONTEXT)
        profile.save(update_fields=["phone_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_admin_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="patientprofile",
            name="phone_hash",
            field=models.CharField(
                blank=True,
                db_index=True,
                editable=False,
                max_length=64,
                verbose_name="phone lookup hash",
            ),
        ),
        migrations.RunPython(fill_phone_hashes, migrations.RunPython.noop),
    ]
