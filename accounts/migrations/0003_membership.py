"""Membership: the privileges table (member levels), the points ledger, late cancels.

User.member_level was a free-text code; it becomes a key to MemberLevel. The four default
levels are created here, and each user's old code is carried over to the level of that
code ("normal" for everyone so far); an unknown code becomes the entry level.
"""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# code, name, points, priority hours, reserved share (bp), late cancels, discount (bp),
# waitlist priority
DEFAULT_LEVELS = [
    ("normal", "普通", 0, 0, 0, 0, 10000, 0),
    ("silver", "银卡", 200, 0, 0, 0, 9800, 1),
    ("gold", "金卡", 1000, 2, 1000, 1, 9500, 2),
    ("vip", "VIP", 5000, 24, 2000, 3, 9000, 3),
]


def levels_create(apps, schema_editor):
    MemberLevel = apps.get_model("accounts", "MemberLevel")
    for code, name, points, hours, share, quota, rate, priority in DEFAULT_LEVELS:
        MemberLevel.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "points_required": points,
                "priority_hours": hours,
                "reserved_share_bp": share,
                "late_cancel_monthly_quota": quota,
                "discount_rate_bp": rate,
                "waitlist_priority": priority,
            },
        )


def levels_delete(apps, schema_editor):
    MemberLevel = apps.get_model("accounts", "MemberLevel")
    MemberLevel.objects.filter(code__in=[level[0] for level in DEFAULT_LEVELS]).delete()


def users_carry_over_level(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    MemberLevel = apps.get_model("accounts", "MemberLevel")
    entry = MemberLevel.objects.order_by("points_required", "pk").first()
    for level in MemberLevel.objects.all():
        User.objects.filter(member_level=level.code).update(member_level_ref=level)
    if entry is not None:
        User.objects.filter(member_level_ref__isnull=True).update(
            member_level_ref=entry
        )


def users_carry_back_level(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(member_level_ref=None).select_related(
        "member_level_ref"
    ):
        User.objects.filter(pk=user.pk).update(
            member_level=user.member_level_ref.code
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        # LateCancelUse refers to appointments (no database key; see the model).
        ("appointments", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="MemberLevel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True, db_index=True, verbose_name="created at"
                    ),
                ),
                (
                    "updated_at",
                    models.DateTimeField(auto_now=True, verbose_name="updated at"),
                ),
                (
                    "code",
                    models.SlugField(max_length=32, unique=True, verbose_name="code"),
                ),
                ("name", models.CharField(max_length=32, verbose_name="name")),
                (
                    "points_required",
                    models.PositiveIntegerField(
                        help_text="A member reaches this level when their points reach this number.",
                        unique=True,
                        verbose_name="points required",
                    ),
                ),
                (
                    "priority_hours",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="How many hours before the public release this level may book.",
                        validators=[django.core.validators.MaxValueValidator(720)],
                        verbose_name="booking priority (hours)",
                    ),
                ),
                (
                    "reserved_share_bp",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="Share of each session's seats this level may book through the priority channel before the public release, in 1/10000: 1000 = 10 %.",
                        validators=[django.core.validators.MaxValueValidator(10000)],
                        verbose_name="reserved seats (basis points)",
                    ),
                ),
                (
                    "late_cancel_monthly_quota",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="Cancellations allowed after the normal deadline, per month.",
                        verbose_name="late cancels per month",
                    ),
                ),
                (
                    "discount_rate_bp",
                    models.PositiveSmallIntegerField(
                        default=10000,
                        help_text="10000 = full price, 9500 = 5 % off.",
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(10000),
                        ],
                        verbose_name="share of the fee paid (basis points)",
                    ),
                ),
                (
                    "waitlist_priority",
                    models.SmallIntegerField(
                        default=0,
                        help_text="Higher numbers are promoted from the waitlist first.",
                        verbose_name="waitlist priority",
                    ),
                ),
            ],
            options={
                "verbose_name": "member level",
                "verbose_name_plural": "member levels",
                "ordering": ["points_required"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("reserved_share_bp__lte", 10000)),
                        name="member_level_reserved_share_at_most_all",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("discount_rate_bp__gte", 1), ("discount_rate_bp__lte", 10000)
                        ),
                        name="member_level_discount_rate_in_range",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("priority_hours__lte", 720)),
                        name="member_level_priority_hours_in_range",
                    ),
                ],
            },
        ),
        migrations.RunPython(levels_create, levels_delete),
        # The old code column and the new key live side by side while values move over.
        migrations.AddField(
            model_name="user",
            name="member_level_ref",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.memberlevel",
            ),
        ),
        migrations.RunPython(users_carry_over_level, users_carry_back_level),
        migrations.RemoveField(model_name="user", name="member_level"),
        migrations.RenameField(
            model_name="user", old_name="member_level_ref", new_name="member_level"
        ),
        migrations.AlterField(
            model_name="user",
            name="member_level",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="members",
                to="accounts.memberlevel",
                verbose_name="member level",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="member_level_floor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.memberlevel",
                verbose_name="granted level",
            ),
        ),
        migrations.CreateModel(
            name="LateCancelUse",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("used_at", models.DateTimeField(verbose_name="used at")),
                (
                    "appointment",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="appointments.appointment",
                        verbose_name="appointment",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="late_cancel_uses",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "late cancel",
                "verbose_name_plural": "late cancels",
                "ordering": ["-used_at", "-id"],
                "indexes": [
                    models.Index(
                        fields=["user", "used_at"], name="late_cancel_user_time"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="PointsEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("delta", models.IntegerField(verbose_name="points")),
                (
                    "balance_after",
                    models.PositiveIntegerField(verbose_name="balance after"),
                ),
                (
                    "reason",
                    models.CharField(blank=True, max_length=255, verbose_name="reason"),
                ),
                (
                    "source_type",
                    models.CharField(
                        choices=[
                            ("order_paid", "Paid booking"),
                            ("appointment_completed", "Completed visit"),
                            ("refund", "Refund"),
                        ],
                        max_length=32,
                        verbose_name="source",
                    ),
                ),
                ("source_id", models.CharField(max_length=64, verbose_name="source id")),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True, db_index=True, verbose_name="time"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="points_entries",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "points entry",
                "verbose_name_plural": "points entries",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(
                        fields=["user", "created_at"], name="points_entry_user_time"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("source_type", "source_id"),
                        name="points_entry_unique_source",
                    )
                ],
            },
        ),
    ]
