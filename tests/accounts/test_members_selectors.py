"""Membership reads: privileges through one selector, late-cancel checks, the summary."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from accounts.models import LateCancelUse, MemberLevel, User
from accounts.selectors import (
    NO_PRIVILEGES,
    Privileges,
    local_month_bounds,
    member_late_cancel_allowed,
    member_level_reached,
    member_levels,
    member_priority_hours_for_user_id,
    member_privileges_for_user,
    member_summary_for_user,
)
from billing.selectors import discount_rate_for_user
from tests.accounts.factories import (
    PatientFactory,
    PatientProfileFactory,
    default_levels,
    make_appointment,
)

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")  # settings.TIME_ZONE


@pytest.fixture
def levels() -> dict[str, MemberLevel]:
    return default_levels()


def beijing(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=BEIJING)


def late_cancel_at(user: User, when: datetime.datetime) -> LateCancelUse:
    appointment = make_appointment(profile=PatientProfileFactory(user=user))
    return LateCancelUse.objects.create(
        user=user, appointment_id=appointment.pk, used_at=when
    )


# -- privileges ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("normal", ("普通", 0, Decimal("0"), 0, Decimal("1"), 0)),
        ("silver", ("银卡", 0, Decimal("0"), 0, Decimal("0.98"), 1)),
        ("gold", ("金卡", 2, Decimal("0.1"), 1, Decimal("0.95"), 2)),
        ("vip", ("VIP", 24, Decimal("0.2"), 3, Decimal("0.9"), 3)),
    ],
)
def test_each_default_level_has_its_privileges(levels, code, expected):
    # given
    user = PatientFactory(member_level=levels[code])

    # when
    privileges = member_privileges_for_user(user=user)

    # then
    name, hours, share, quota, rate, priority = expected
    assert privileges == Privileges(
        level_code=code,
        level_name=name,
        priority_hours=hours,
        reserved_share=share,
        late_cancel_monthly_quota=quota,
        discount_rate=rate,
        waitlist_priority=priority,
    )


def test_the_default_levels_come_from_the_data_migration():
    rows = list(
        MemberLevel.objects.order_by("points_required").values_list(
            "code",
            "name",
            "points_required",
            "priority_hours",
            "reserved_share_bp",
            "late_cancel_monthly_quota",
            "discount_rate_bp",
            "waitlist_priority",
        )
    )

    assert rows == [
        ("normal", "普通", 0, 0, 0, 0, 10000, 0),
        ("silver", "银卡", 200, 0, 0, 0, 9800, 1),
        ("gold", "金卡", 1000, 2, 1000, 1, 9500, 2),
        ("vip", "VIP", 5000, 24, 2000, 3, 9000, 3),
    ]


def test_shares_and_rates_are_exact_decimals(levels):
    MemberLevel.objects.filter(pk=levels["gold"].pk).update(
        reserved_share_bp=1250, discount_rate_bp=8850
    )
    user = PatientFactory(member_level=levels["gold"])

    privileges = member_privileges_for_user(user=user)

    assert privileges.reserved_share == Decimal("0.125")
    assert privileges.discount_rate == Decimal("0.885")
    assert isinstance(privileges.discount_rate, Decimal)


def test_a_member_without_a_level_has_the_entry_levels_privileges(levels):
    user = PatientFactory()

    privileges = member_privileges_for_user(user=user)

    assert privileges == Privileges.of_level(levels["normal"])


def test_the_entry_level_is_the_lowest_threshold_whatever_its_code(levels):
    MemberLevel.objects.filter(pk=levels["normal"].pk).update(points_required=50)
    basic = MemberLevel.objects.create(code="basic", name="基础", points_required=0)
    user = PatientFactory()

    assert member_privileges_for_user(user=user).level_code == basic.code


@pytest.mark.parametrize("code", ["normal", "gold", "vip", None])
def test_the_priority_hours_by_user_id_are_those_of_the_users_privileges(
    levels, code, django_assert_num_queries
):
    # given: a user at a level, or without one (the entry level's window)
    user = PatientFactory(member_level=levels[code] if code else None)

    # when
    with django_assert_num_queries(1):
        hours = member_priority_hours_for_user_id(user_id=user.pk)

    # then
    assert hours == member_privileges_for_user(user=user).priority_hours


def test_the_priority_hours_of_an_inactive_or_unknown_user_are_none(levels):
    user = PatientFactory(member_level=levels["vip"], is_active=False)

    assert member_priority_hours_for_user_id(user_id=user.pk) is None
    assert member_priority_hours_for_user_id(user_id=user.pk + 1000) is None


def test_the_priority_hours_follow_the_entry_level_and_are_zero_without_levels(levels):
    user = PatientFactory()
    MemberLevel.objects.filter(pk=levels["normal"].pk).update(priority_hours=3)

    assert member_priority_hours_for_user_id(user_id=user.pk) == 3

    MemberLevel.objects.all().delete()
    assert member_priority_hours_for_user_id(user_id=user.pk) == 0


def test_without_any_level_nobody_has_privileges():
    MemberLevel.objects.all().delete()
    user = PatientFactory()

    assert member_privileges_for_user(user=user) == NO_PRIVILEGES
    assert NO_PRIVILEGES.discount_rate == Decimal(1)
    assert NO_PRIVILEGES.priority_hours == 0


def test_privileges_cost_one_query(levels, django_assert_num_queries):
    user = PatientFactory(member_level=levels["vip"])

    with django_assert_num_queries(1):
        member_privileges_for_user(user=user)


def test_privileges_are_read_fresh_not_from_the_user_in_memory(levels):
    # given: the level changed after this copy of the user was loaded
    user = PatientFactory()
    stale = User.objects.get(pk=user.pk)
    User.objects.filter(pk=user.pk).update(member_level=levels["vip"])

    # when
    privileges = member_privileges_for_user(user=stale)

    # then
    assert privileges.level_code == "vip"


def test_billing_reads_the_discount_through_the_selector(levels):
    user = PatientFactory(member_level=levels["silver"])

    assert discount_rate_for_user(user=user) == Decimal("0.98")


# -- levels reached ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "floor", "expected"),
    [
        (0, None, "normal"),
        (199, None, "normal"),
        (200, None, "silver"),
        (999, None, "silver"),
        (1000, None, "gold"),
        (4999, None, "gold"),
        (5000, None, "vip"),
        (10**9, None, "vip"),
        (0, "gold", "gold"),
        (5000, "gold", "vip"),
        (1000, "silver", "gold"),
    ],
)
def test_the_level_reached_is_the_highest_threshold_or_the_floor(
    levels, points, floor, expected
):
    floor_id = levels[floor].pk if floor else None

    level = member_level_reached(member_levels(), points=points, floor_id=floor_id)

    assert level.code == expected


def test_points_below_every_threshold_are_at_the_entry_level(levels):
    MemberLevel.objects.filter(pk=levels["normal"].pk).update(points_required=10)

    level = member_level_reached(member_levels(), points=3, floor_id=None)

    assert level.code == "normal"


def test_no_levels_reach_nothing():
    assert member_level_reached([], points=100, floor_id=None) is None


# -- late cancels --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (
            beijing(2027, 3, 15, 10),
            (beijing(2027, 3, 1), beijing(2027, 4, 1)),
        ),
        (
            beijing(2027, 12, 31, 23, 59, 59),
            (beijing(2027, 12, 1), beijing(2028, 1, 1)),
        ),
        # 2027-01-31 16:00 UTC is already February in Beijing
        (
            datetime.datetime(2027, 1, 31, 16, 0, tzinfo=datetime.UTC),
            (beijing(2027, 2, 1), beijing(2027, 3, 1)),
        ),
    ],
)
def test_the_month_is_the_local_calendar_month(now, expected):
    assert local_month_bounds(now) == expected


def test_gold_may_cancel_late_while_the_month_has_no_use(levels):
    user = PatientFactory(member_level=levels["gold"])

    assert member_late_cancel_allowed(user=user, now=beijing(2027, 1, 15)) is True


def test_gold_may_not_cancel_late_again_in_the_same_month(levels):
    user = PatientFactory(member_level=levels["gold"])
    late_cancel_at(user, beijing(2027, 1, 1, 0, 0, 0))

    assert (
        member_late_cancel_allowed(user=user, now=beijing(2027, 1, 31, 23, 59, 59))
        is False
    )


def test_last_months_use_does_not_count_from_local_midnight(levels):
    user = PatientFactory(member_level=levels["gold"])
    late_cancel_at(user, beijing(2027, 1, 31, 23, 59, 59))

    assert member_late_cancel_allowed(user=user, now=beijing(2027, 2, 1)) is True


def test_a_use_early_on_the_first_counts_for_the_local_month(levels):
    # given: 00:30 on 1 February in Beijing, still 31 January in UTC
    user = PatientFactory(member_level=levels["gold"])
    late_cancel_at(user, beijing(2027, 2, 1, 0, 30))

    assert member_late_cancel_allowed(user=user, now=beijing(2027, 2, 20)) is False
    assert member_late_cancel_allowed(user=user, now=beijing(2027, 1, 31, 23)) is True


def test_vip_is_allowed_until_exactly_three_uses(levels):
    user = PatientFactory(member_level=levels["vip"])
    now = beijing(2027, 5, 20)
    for day in (1, 2):
        late_cancel_at(user, beijing(2027, 5, day))
    assert member_late_cancel_allowed(user=user, now=now) is True

    late_cancel_at(user, beijing(2027, 5, 3))

    assert member_late_cancel_allowed(user=user, now=now) is False


def test_another_members_uses_do_not_count(levels):
    user = PatientFactory(member_level=levels["gold"])
    late_cancel_at(PatientFactory(member_level=levels["gold"]), beijing(2027, 1, 5))

    assert member_late_cancel_allowed(user=user, now=beijing(2027, 1, 6)) is True


@pytest.mark.parametrize("code", ["normal", "silver"])
def test_levels_without_a_quota_may_never_cancel_late(levels, code):
    user = PatientFactory(member_level=levels[code])

    assert member_late_cancel_allowed(user=user, now=beijing(2027, 1, 15)) is False


# -- the summary ---------------------------------------------------------------------------


def test_the_summary_shows_the_next_level_and_the_points_still_needed(levels):
    user = PatientFactory(member_level=levels["silver"], points=640)

    summary = member_summary_for_user(user=user, now=beijing(2027, 1, 1))

    assert summary.level == levels["silver"]
    assert summary.points == 640
    assert summary.next_level == levels["gold"]
    assert summary.points_to_next_level == 360
    assert summary.privileges == Privileges.of_level(levels["silver"])


def test_the_top_level_has_no_next_level(levels):
    user = PatientFactory(member_level=levels["vip"], points=9000)

    summary = member_summary_for_user(user=user, now=beijing(2027, 1, 1))

    assert (summary.next_level, summary.points_to_next_level) == (None, None)


def test_a_granted_level_above_the_points_needs_no_negative_points(levels):
    user = PatientFactory(
        member_level=levels["gold"], member_level_floor=levels["gold"], points=10
    )

    summary = member_summary_for_user(user=user, now=beijing(2027, 1, 1))

    assert summary.next_level == levels["vip"]
    assert summary.points_to_next_level == 4990


def test_the_summary_counts_this_months_late_cancels(levels):
    user = PatientFactory(member_level=levels["vip"])
    late_cancel_at(user, beijing(2027, 1, 31, 23))
    late_cancel_at(user, beijing(2027, 2, 3))

    summary = member_summary_for_user(user=user, now=beijing(2027, 2, 10))

    assert summary.late_cancels_used == 1
