"""The member API: my level, privileges, points and their history."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.members import points_apply
from accounts.models import LateCancelUse, MemberLevel, PointsEntry, User
from accounts.services.tokens import user_tokens_issue
from common.services import Actor
from tests.accounts.factories import (
    PatientFactory,
    PatientProfileFactory,
    default_levels,
    make_appointment,
)

pytestmark = pytest.mark.django_db

MEMBER = reverse("api:accounts:member")
POINTS = reverse("api:accounts:member-points")


@pytest.fixture
def levels() -> dict[str, MemberLevel]:
    return default_levels()


@pytest.fixture
def user(levels) -> User:
    return PatientFactory()


@pytest.fixture
def client(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def earn(user: User, delta: int, source_id: str, source_type: str = "order_paid"):
    return points_apply(
        user=user,
        delta=delta,
        reason=f"event {source_id}",
        source_type=source_type,
        source_id=source_id,
        actor=Actor.system(),
    )


# -- member/ -----------------------------------------------------------------------------


def test_a_new_member_sees_the_entry_level_and_what_the_next_one_needs(client):
    response = client.get(MEMBER)

    assert response.status_code == 200
    assert response.json() == {
        "level": {"code": "normal", "name": "普通", "points_required": 0},
        "privileges": {
            "priority_hours": 0,
            "reserved_share": "0.0000",
            "late_cancel_monthly_quota": 0,
            "discount_rate": "1.0000",
            "waitlist_priority": 0,
        },
        "points": 0,
        "next_level": {"code": "silver", "name": "银卡", "points_required": 200},
        "points_to_next_level": 200,
        "late_cancels_left_this_month": 0,
    }


def test_a_gold_member_sees_gold_privileges_and_the_late_cancel_left(
    client, user, levels
):
    # given: 1000 points (gold) and one late cancel used last month
    earn(user, 1000, "1")
    with time_machine.travel(
        datetime.datetime(2027, 3, 10, 12, tzinfo=datetime.UTC), tick=False
    ):
        LateCancelUse.objects.create(
            user=user,
            appointment_id=make_appointment(
                profile=PatientProfileFactory(user=user)
            ).pk,
            used_at=timezone.now() - datetime.timedelta(days=15),
        )

        # when
        response = client.get(MEMBER)

    # then
    assert response.status_code == 200
    assert response.json() == {
        "level": {"code": "gold", "name": "金卡", "points_required": 1000},
        "privileges": {
            "priority_hours": 2,
            "reserved_share": "0.1000",
            "late_cancel_monthly_quota": 1,
            "discount_rate": "0.9500",
            "waitlist_priority": 2,
        },
        "points": 1000,
        "next_level": {"code": "vip", "name": "VIP", "points_required": 5000},
        "points_to_next_level": 4000,
        "late_cancels_left_this_month": 1,
    }


@pytest.mark.clock
def test_a_late_cancel_this_month_leaves_none(client, user, levels):
    User.objects.filter(pk=user.pk).update(member_level=levels["gold"])
    LateCancelUse.objects.create(
        user=user,
        appointment_id=make_appointment(profile=PatientProfileFactory(user=user)).pk,
        used_at=timezone.now(),
    )

    response = client.get(MEMBER)

    assert response.json()["late_cancels_left_this_month"] == 0


def test_a_vip_member_has_no_next_level(client, user):
    earn(user, 6000, "1")

    body = client.get(MEMBER).json()

    assert body["level"]["code"] == "vip"
    assert (body["next_level"], body["points_to_next_level"]) == (None, None)
    assert body["privileges"]["priority_hours"] == 24


@pytest.mark.parametrize("code", ["normal", "gold"])
def test_member_runs_a_fixed_number_of_queries(
    client, user, levels, code, django_assert_num_queries
):
    User.objects.filter(pk=user.pk).update(member_level_floor=levels[code])
    for n in range(5):
        earn(user, 10, str(n))
    assert user.member_level == levels[code]

    # the levels, and for a level with a quota the month's late cancels
    with django_assert_num_queries(1 if code == "normal" else 2):
        response = client.get(MEMBER)

    assert response.status_code == 200


def test_me_shows_the_level_code(client, user):
    earn(user, 200, "1")

    response = client.get(reverse("api:accounts:me"))

    assert response.json()["member_level"] == "silver"
    assert response.json()["points"] == 200


# -- member/points/ ----------------------------------------------------------------------


def test_the_points_history_is_mine_newest_first(client, user):
    # given
    earn(user, 10, "1")
    earn(user, 20, "7", source_type="appointment_completed")
    earn(user, -10, "3", source_type="refund")
    earn(PatientFactory(), 50, "99")  # someone else's

    # when
    response = client.get(POINTS)

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    entries = PointsEntry.objects.filter(user=user).order_by("-pk")
    assert [row["id"] for row in body["results"]] == [e.pk for e in entries]
    newest = body["results"][0]
    assert {k: v for k, v in newest.items() if k != "created_at"} == {
        "id": entries[0].pk,
        "delta": -10,
        "balance_after": 20,
        "source_type": "refund",
        "source": "Refund",
        "reason": "event 3",
    }
    assert [row["delta"] for row in body["results"]] == [-10, 20, 10]
    assert [row["source"] for row in body["results"]] == [
        "Refund",
        "Completed visit",
        "Paid booking",
    ]


def test_the_points_history_is_paginated(client, user):
    for n in range(25):
        earn(user, 1, str(n))

    first = client.get(POINTS).json()
    second = client.get(POINTS, {"page": 2}).json()

    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert first["next"] is not None
    assert [row["balance_after"] for row in second["results"]] == [5, 4, 3, 2, 1]
    assert second["next"] is None


def test_the_points_history_runs_two_queries_whatever_its_length(
    client, user, django_assert_num_queries
):
    for n in range(30):
        earn(user, 1, str(n))

    with django_assert_num_queries(2):  # count + page
        response = client.get(POINTS, {"page_size": 30})

    assert len(response.json()["results"]) == 30


@pytest.mark.parametrize("url", [MEMBER, POINTS])
def test_member_endpoints_need_a_token(api_client, url):
    response = api_client.get(url)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_member_works_with_a_real_jwt(api_client, user):
    token = user_tokens_issue(user=user)["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.get(MEMBER)

    assert response.status_code == 200
    assert response.json()["level"]["code"] == "normal"
