"""Membership writes: the points ledger, levels following points, grants, late cancels."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from accounts.members import (
    member_late_cancel_use,
    member_level_grant,
    member_level_save,
    points_apply,
)
from accounts.models import LateCancelUse, MemberLevel, PointsEntry, User
from accounts.services.staff import user_save_by_admin
from common.errors import Conflict, NotAllowed
from common.models import OperationLog
from common.services import Actor
from tests.accounts.factories import (
    PatientFactory,
    PatientProfileFactory,
    StaffFactory,
    default_levels,
    make_appointment,
)

pytestmark = pytest.mark.django_db

ACTOR = Actor.system()


@pytest.fixture
def levels() -> dict[str, MemberLevel]:
    return default_levels()


@pytest.fixture
def platform_admin() -> User:
    return PatientFactory(username="platform", role=User.Role.PLATFORM_ADMIN)


def add(user: User, delta: int, source_id: str, source_type: str = "order_paid"):
    return points_apply(
        user=user,
        delta=delta,
        reason="test",
        source_type=source_type,
        source_id=source_id,
        actor=ACTOR,
    )


def level_code(user: User) -> str | None:
    user.refresh_from_db()
    return None if user.member_level is None else user.member_level.code


def ledger_sum(user: User) -> int:
    return PointsEntry.objects.filter(user=user).aggregate(s=Sum("delta"))["s"] or 0


# -- the ledger --------------------------------------------------------------------------


def test_points_are_added_with_one_ledger_row_and_one_log_row(levels):
    # given
    user = PatientFactory()

    # when
    entry = points_apply(
        user=user,
        delta=10,
        reason="预约支付",
        source_type="order_paid",
        source_id="41",
        actor=ACTOR,
    )

    # then
    user.refresh_from_db()
    assert user.points == 10
    assert (entry.user, entry.delta, entry.balance_after) == (user, 10, 10)
    assert (entry.reason, entry.source_type, entry.source_id) == (
        "预约支付",
        "order_paid",
        "41",
    )
    [log] = OperationLog.objects.filter(action="member.points")
    assert log.object_id == str(entry.pk)
    assert log.summary == (f"user={user.pk} +10 (asked +10) balance=10 order_paid:41")


def test_the_same_event_twice_adds_points_once_and_returns_none(levels):
    # given
    user = PatientFactory()
    first = add(user, 10, "7")

    # when
    again = add(user, 10, "7")

    # then
    assert first is not None
    assert again is None
    user.refresh_from_db()
    assert user.points == 10
    assert PointsEntry.objects.count() == 1
    assert OperationLog.objects.filter(action="member.points").count() == 1


def test_the_same_source_id_of_another_source_type_is_another_event(levels):
    user = PatientFactory()
    add(user, 10, "7", source_type="order_paid")

    entry = add(user, 20, "7", source_type="appointment_completed")

    assert entry is not None
    user.refresh_from_db()
    assert user.points == 30


def test_a_take_back_never_drives_the_balance_below_zero(levels):
    # given
    user = PatientFactory()
    add(user, 5, "1")

    # when: 10 were to be taken back, only 5 are there
    entry = add(user, -10, "2", source_type="refund")

    # then
    assert (entry.delta, entry.balance_after) == (-5, 0)
    user.refresh_from_db()
    assert user.points == 0
    assert ledger_sum(user) == 0
    log = OperationLog.objects.get(action="member.points", object_id=str(entry.pk))
    assert log.summary == f"user={user.pk} -5 (asked -10) balance=0 refund:2"


def test_a_take_back_from_an_empty_balance_is_recorded_as_zero_once(levels):
    user = PatientFactory()

    entry = add(user, -10, "9", source_type="refund")
    again = add(user, -10, "9", source_type="refund")

    assert (entry.delta, entry.balance_after) == (0, 0)
    assert again is None
    user.refresh_from_db()
    assert user.points == 0
    assert PointsEntry.objects.count() == 1


def test_a_zero_delta_records_nothing(levels):
    user = PatientFactory()

    entry = add(user, 0, "3")

    assert entry is None
    assert PointsEntry.objects.exists() is False
    assert OperationLog.objects.exists() is False


def test_an_unknown_source_type_is_refused_and_changes_nothing(levels):
    user = PatientFactory()

    with pytest.raises(ValidationError) as excinfo:
        add(user, 10, "3", source_type="lottery")

    assert set(excinfo.value.message_dict) == {"source_type"}
    user.refresh_from_db()
    assert user.points == 0
    assert PointsEntry.objects.exists() is False


def test_the_balance_always_equals_the_sum_of_the_ledger(levels):
    user = PatientFactory()

    for delta, source in [(10, "a"), (20, "b"), (-15, "c"), (-40, "d"), (7, "e")]:
        add(user, delta, source)

    user.refresh_from_db()
    assert user.points == 7
    assert ledger_sum(user) == 7
    balances = list(
        PointsEntry.objects.order_by("pk").values_list("delta", "balance_after")
    )
    assert balances == [(10, 10), (20, 30), (-15, 15), (-15, 0), (7, 7)]


def test_the_user_in_memory_follows_the_change(levels):
    user = PatientFactory()

    add(user, 1000, "1")

    assert user.points == 1000
    assert user.member_level_id == levels["gold"].pk


# -- levels follow the points ------------------------------------------------------------


def test_a_new_member_is_at_the_entry_level(levels):
    user = PatientFactory()

    assert user.member_level is None  # NULL is the entry level
    assert user.points == 0


def test_one_point_short_of_the_threshold_keeps_the_level(levels):
    user = PatientFactory()

    add(user, 199, "1")

    assert level_code(user) == "normal"
    assert OperationLog.objects.filter(action="member.level_change").exists() is False


def test_reaching_the_threshold_exactly_raises_the_level(levels):
    # given
    user = PatientFactory()
    add(user, 199, "1")

    # when
    add(user, 1, "2")

    # then
    assert level_code(user) == "silver"
    [log] = OperationLog.objects.filter(action="member.level_change")
    assert (log.object_type, log.object_id) == ("accounts.user", str(user.pk))
    assert log.summary == "normal -> silver (200 points)"


def test_points_that_cross_several_thresholds_reach_the_highest(levels):
    user = PatientFactory()

    add(user, 5000, "1")

    assert level_code(user) == "vip"
    [log] = OperationLog.objects.filter(action="member.level_change")
    assert log.summary == "normal -> vip (5000 points)"


def test_taking_points_back_takes_back_the_level_they_earned(levels):
    # given: a refund takes back the points of a booking that made the member gold
    user = PatientFactory()
    add(user, 990, "1")
    add(user, 10, "2")
    assert level_code(user) == "gold"

    # when
    add(user, -10, "r2", source_type="refund")

    # then
    assert level_code(user) == "silver"
    assert user.points == 990


def test_taking_points_back_never_drops_below_the_granted_level(levels, platform_admin):
    # given
    user = PatientFactory()
    member_level_grant(
        actor=Actor(user=platform_admin), user=user, level=levels["gold"]
    )
    add(user, 5000, "1")
    assert level_code(user) == "vip"

    # when
    add(user, -5000, "r1", source_type="refund")

    # then
    user.refresh_from_db()
    assert user.points == 0
    assert level_code(user) == "gold"


def test_a_level_raised_by_an_admin_edit_of_thresholds_applies_at_the_next_change(
    levels,
):
    # given: 150 points, then silver's threshold drops to 100
    user = PatientFactory()
    add(user, 150, "1")
    MemberLevel.objects.filter(pk=levels["silver"].pk).update(points_required=100)
    assert level_code(user) == "normal"

    # when
    add(user, 1, "2")

    # then
    assert level_code(user) == "silver"


# -- grants ------------------------------------------------------------------------------


def test_a_grant_sets_the_floor_raises_the_level_and_is_logged(levels, platform_admin):
    # given
    user = PatientFactory()
    add(user, 250, "1")

    # when
    member_level_grant(
        actor=Actor(user=platform_admin, ip="10.0.0.1"), user=user, level=levels["vip"]
    )

    # then
    user.refresh_from_db()
    assert user.member_level_floor == levels["vip"]
    assert user.member_level == levels["vip"]
    assert user.points == 250
    grant = OperationLog.objects.get(action="member.level_grant")
    assert (grant.actor, grant.ip, grant.object_id) == (
        platform_admin,
        "10.0.0.1",
        str(user.pk),
    )
    assert grant.summary == "granted vip (was none)"
    change = OperationLog.objects.get(
        action="member.level_change", actor=platform_admin
    )
    assert change.summary == "silver -> vip (granted vip)"


def test_a_grant_below_what_the_points_earn_keeps_the_earned_level(
    levels, platform_admin
):
    user = PatientFactory()
    add(user, 1200, "1")

    member_level_grant(
        actor=Actor(user=platform_admin), user=user, level=levels["silver"]
    )

    user.refresh_from_db()
    assert user.member_level_floor == levels["silver"]
    assert user.member_level == levels["gold"]


def test_granting_the_entry_level_removes_an_earlier_grant(levels, platform_admin):
    # given
    user = PatientFactory()
    add(user, 300, "1")
    member_level_grant(actor=Actor(user=platform_admin), user=user, level=levels["vip"])

    # when
    member_level_grant(
        actor=Actor(user=platform_admin), user=user, level=levels["normal"]
    )

    # then: back to what the points earn
    user.refresh_from_db()
    assert user.member_level_floor == levels["normal"]
    assert user.member_level == levels["silver"]


@pytest.mark.parametrize("who", ["hospital_staff", "patient", "system"])
def test_only_platform_admins_may_grant_and_a_refusal_changes_nothing(levels, who):
    # given
    user = PatientFactory()
    actor = {
        "hospital_staff": Actor(user=StaffFactory()),
        "patient": Actor(user=PatientFactory()),
        "system": Actor.system(),
    }[who]

    # when
    with pytest.raises(NotAllowed) as excinfo:
        member_level_grant(actor=actor, user=user, level=levels["vip"])

    # then
    assert excinfo.value.code == "not_allowed_to_grant_level"
    user.refresh_from_db()
    assert (user.member_level, user.member_level_floor) == (None, None)
    assert OperationLog.objects.exists() is False


def test_a_superuser_may_grant(levels):
    user = PatientFactory()
    root = StaffFactory(is_superuser=True)

    member_level_grant(actor=Actor(user=root), user=user, level=levels["silver"])

    user.refresh_from_db()
    assert user.member_level == levels["silver"]


# -- the privileges table ----------------------------------------------------------------


def test_a_platform_admin_edits_a_level_with_a_log_row(levels, platform_admin):
    level = levels["gold"]
    level.discount_rate_bp = 9300

    member_level_save(
        actor=Actor(user=platform_admin),
        level=level,
        is_new=False,
        changed_fields=["discount_rate_bp"],
    )

    level.refresh_from_db()
    assert level.discount_rate_bp == 9300
    log = OperationLog.objects.get(action="member.level_update")
    assert (log.actor, log.summary) == (platform_admin, "changed: discount_rate_bp")


def test_hospital_staff_cannot_edit_levels(levels):
    level = levels["gold"]
    level.discount_rate_bp = 100

    with pytest.raises(NotAllowed):
        member_level_save(
            actor=Actor(user=StaffFactory()),
            level=level,
            is_new=False,
            changed_fields=["discount_rate_bp"],
        )

    level.refresh_from_db()
    assert level.discount_rate_bp == 9500
    assert OperationLog.objects.exists() is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("discount_rate_bp", 0),
        ("discount_rate_bp", 10001),
        ("reserved_share_bp", 10001),
        ("priority_hours", 721),
    ],
)
def test_a_level_outside_the_allowed_ranges_is_refused(
    levels, platform_admin, field, value
):
    level = levels["gold"]
    setattr(level, field, value)

    with pytest.raises(ValidationError) as excinfo:
        member_level_save(
            actor=Actor(user=platform_admin),
            level=level,
            is_new=False,
            changed_fields=[field],
        )

    assert field in excinfo.value.message_dict
    assert MemberLevel.objects.filter(pk=level.pk, **{field: value}).exists() is False


def test_an_admin_edit_of_a_user_never_overwrites_points_or_levels(levels):
    # given: the admin opened the user, then a payment added points
    user = PatientFactory(nickname="old")
    stale = User.objects.get(pk=user.pk)
    add(user, 1000, "1")

    # when
    stale.nickname = "new"
    user_save_by_admin(
        actor=ACTOR, user=stale, is_new=False, changed_fields=["nickname"]
    )

    # then
    user.refresh_from_db()
    assert user.nickname == "new"
    assert user.points == 1000
    assert user.member_level == levels["gold"]


# -- late cancels ------------------------------------------------------------------------

BEIJING = ZoneInfo("Asia/Shanghai")  # settings.TIME_ZONE
JAN_31_LATE = datetime.datetime(2027, 1, 31, 23, 59, 59, tzinfo=BEIJING)
FEB_1_MIDNIGHT = datetime.datetime(2027, 2, 1, 0, 0, 0, tzinfo=BEIJING)


def member(level: MemberLevel) -> User:
    return PatientFactory(member_level=level)


def appointment_of(user: User):
    return make_appointment(profile=PatientProfileFactory(user=user))


def test_a_late_cancel_is_recorded_and_logged(levels):
    # given
    user = member(levels["gold"])
    appointment = appointment_of(user)
    now = JAN_31_LATE

    # when
    member_late_cancel_use(user=user, appointment_id=appointment.pk, now=now)

    # then
    [use] = LateCancelUse.objects.all()
    assert (use.user, use.appointment_id, use.used_at) == (user, appointment.pk, now)
    log = OperationLog.objects.get(action="member.late_cancel")
    assert (log.actor, log.object_id) == (user, str(use.pk))
    assert log.summary == f"appointment={appointment.pk} use 1 of 1 in 2027-01"


def test_gold_gets_one_late_cancel_a_month_and_the_second_is_refused(levels):
    # given
    user = member(levels["gold"])
    first, second = appointment_of(user), appointment_of(user)
    member_late_cancel_use(
        user=user,
        appointment_id=first.pk,
        now=datetime.datetime(2027, 1, 1, tzinfo=BEIJING),
    )

    # when
    with pytest.raises(Conflict) as excinfo:
        member_late_cancel_use(user=user, appointment_id=second.pk, now=JAN_31_LATE)

    # then
    assert excinfo.value.code == "late_cancel_quota_used"
    assert LateCancelUse.objects.count() == 1
    assert OperationLog.objects.filter(action="member.late_cancel").count() == 1


def test_the_quota_comes_back_at_local_midnight_of_the_new_month(levels):
    # given: the January use was at the last second of January, Beijing time
    user = member(levels["gold"])
    first, second = appointment_of(user), appointment_of(user)
    member_late_cancel_use(user=user, appointment_id=first.pk, now=JAN_31_LATE)

    # when: 2027-02-01 00:00 in Beijing is still 2027-01-31 in UTC
    member_late_cancel_use(user=user, appointment_id=second.pk, now=FEB_1_MIDNIGHT)

    # then
    assert LateCancelUse.objects.count() == 2


def test_vip_may_use_exactly_three_and_no_fourth(levels):
    user = member(levels["vip"])
    appointments = [appointment_of(user) for _ in range(4)]
    now = datetime.datetime(2027, 3, 10, 9, tzinfo=BEIJING)
    for appointment in appointments[:3]:
        member_late_cancel_use(user=user, appointment_id=appointment.pk, now=now)

    with pytest.raises(Conflict) as excinfo:
        member_late_cancel_use(user=user, appointment_id=appointments[3].pk, now=now)

    assert excinfo.value.code == "late_cancel_quota_used"
    assert LateCancelUse.objects.count() == 3


@pytest.mark.parametrize("code", ["normal", "silver"])
def test_levels_without_the_right_cannot_cancel_late(levels, code):
    user = member(levels[code])
    appointment = appointment_of(user)

    with pytest.raises(Conflict) as excinfo:
        member_late_cancel_use(
            user=user, appointment_id=appointment.pk, now=JAN_31_LATE
        )

    assert excinfo.value.code == "late_cancel_not_allowed"
    assert LateCancelUse.objects.exists() is False
    assert OperationLog.objects.exists() is False


def test_recording_the_same_appointment_again_uses_no_more_quota(levels):
    user = member(levels["vip"])
    appointment = appointment_of(user)
    now = JAN_31_LATE
    member_late_cancel_use(user=user, appointment_id=appointment.pk, now=now)

    member_late_cancel_use(user=user, appointment_id=appointment.pk, now=now)

    assert LateCancelUse.objects.count() == 1
