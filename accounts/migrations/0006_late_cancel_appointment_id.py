"""LateCancelUse keeps the appointment's id as a plain integer, not a relation.

Accounts sits below appointments and never refers to them. The column (appointment_id)
and its unique index stay: the relation never had a database foreign key. The database
only changes the column's type to the unsigned integer the new field declares.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_profile_phone_hash"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                # Same column, same unique index, no foreign key: only the type.
                migrations.AlterField(
                    model_name="latecanceluse",
                    name="appointment",
                    field=models.PositiveBigIntegerField(
                        db_column="appointment_id",
                        unique=True,
                        verbose_name="appointment",
                    ),
                ),
            ],
            state_operations=[
                migrations.RemoveField(
                    model_name="latecanceluse",
                    name="appointment",
                ),
                migrations.AddField(
                    model_name="latecanceluse",
                    name="appointment_id",
                    field=models.PositiveBigIntegerField(
                        unique=True, verbose_name="appointment"
                    ),
                ),
            ],
        ),
    ]
