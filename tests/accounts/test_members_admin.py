"""Membership in the admin: the privileges table, the read-only ledger, level grants."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation

from accounts.members import points_apply
from accounts.models import MemberLevel, PointsEntry, User
from common.models import OperationLog
from common.services import Actor
from tests.accounts.factories import (
    HospitalFactory,
    PatientFactory,
    StaffFactory,
    UserFactory,
    default_levels,
)

pytestmark = pytest.mark.django_db

LEVEL_FORM = {
    "code": "gold",
    "name": "金卡",
    "points_required": "1000",
    "priority_hours": "2",
    "reserved_share_bp": "10",  # percent
    "late_cancel_monthly_quota": "1",
    "discount_rate_bp": "9.3",  # 折
    "waitlist_priority": "2",
}


@pytest.fixture
def levels() -> dict[str, MemberLevel]:
    return default_levels()


@pytest.fixture
def root() -> User:
    return UserFactory(
        username="root",
        role=User.Role.PLATFORM_ADMIN,
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def platform_admin() -> User:
    """A platform admin who is not a superuser, with the membership permissions."""
    user = UserFactory(
        username="platform", role=User.Role.PLATFORM_ADMIN, is_staff=True
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "view_memberlevel",
                "change_memberlevel",
                "view_pointsentry",
                "view_user",
                "change_user",
            ]
        )
    )
    return User.objects.get(pk=user.pk)


@pytest.fixture
def hospital_staff() -> User:
    """Hospital staff who were (wrongly) given every membership permission."""
    user = StaffFactory(username="staff", hospital=HospitalFactory())
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "view_memberlevel",
                "change_memberlevel",
                "add_memberlevel",
                "view_pointsentry",
                "view_user",
                "change_user",
            ]
        )
    )
    return User.objects.get(pk=user.pk)


def user_form(user: User, **extra) -> dict:
    return {
        "username": user.username,
        "role": user.role,
        "hospital": user.hospital_id or "",
        "nickname": user.nickname,
        "phone": "",
        "is_active": "on",
        **extra,
    }


# -- the privileges table ----------------------------------------------------------------


def test_a_platform_admin_edits_a_level_through_the_service(
    client, platform_admin, levels
):
    # given
    client.force_login(platform_admin)
    gold = levels["gold"]

    # when
    response = client.post(
        reverse("admin:accounts_memberlevel_change", args=[gold.pk]), LEVEL_FORM
    )

    # then
    assert response.status_code == 302
    gold.refresh_from_db()
    assert gold.discount_rate_bp == 9300
    log = OperationLog.objects.get(action="member.level_update")
    assert (log.actor, log.object_id, log.summary) == (
        platform_admin,
        str(gold.pk),
        "changed: discount_rate_bp",
    )


def test_the_level_list_shows_the_discount_in_zhe_and_the_seats_in_percent(
    client, root, levels
):
    client.force_login(root)

    response = client.get(reverse("admin:accounts_memberlevel_changelist"))

    assert response.status_code == 200
    assert [level.code for level in response.context["cl"].result_list] == [
        "normal",
        "silver",
        "gold",
        "vip",
    ]
    content = response.content.decode()
    assert '<td class="field-discount">9.5折</td>' in content
    assert '<td class="field-reserved_share">20%</td>' in content


def test_a_level_with_an_invalid_rate_is_refused_in_the_form(client, root, levels):
    client.force_login(root)
    gold = levels["gold"]

    response = client.post(
        reverse("admin:accounts_memberlevel_change", args=[gold.pk]),
        LEVEL_FORM | {"discount_rate_bp": "0"},
    )

    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"discount_rate_bp"}
    gold.refresh_from_db()
    assert gold.discount_rate_bp == 9500
    assert OperationLog.objects.exists() is False


def test_two_levels_cannot_share_a_threshold(client, root, levels):
    client.force_login(root)

    response = client.post(
        reverse("admin:accounts_memberlevel_change", args=[levels["gold"].pk]),
        LEVEL_FORM | {"points_required": "200"},
    )

    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"points_required"}


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:accounts_memberlevel_changelist"),
        reverse("admin:accounts_memberlevel_add"),
        reverse("admin:accounts_pointsentry_changelist"),
    ],
)
def test_hospital_staff_never_see_membership_even_with_permissions(
    client, hospital_staff, levels, url
):
    client.force_login(hospital_staff)

    response = client.get(url)

    assert response.status_code == 403


def test_hospital_staff_cannot_change_a_level(client, hospital_staff, levels):
    client.force_login(hospital_staff)
    gold = levels["gold"]

    response = client.post(
        reverse("admin:accounts_memberlevel_change", args=[gold.pk]), LEVEL_FORM
    )

    assert response.status_code == 403
    gold.refresh_from_db()
    assert gold.discount_rate_bp == 9500
    assert OperationLog.objects.exists() is False


def test_levels_cannot_be_deleted(client, root, levels):
    client.force_login(root)

    response = client.post(
        reverse("admin:accounts_memberlevel_delete", args=[levels["vip"].pk]),
        {"post": "yes"},
    )

    assert response.status_code == 403
    assert MemberLevel.objects.filter(pk=levels["vip"].pk).exists()


# -- the ledger --------------------------------------------------------------------------


def test_the_ledger_is_read_only_even_for_a_superuser(client, root, levels):
    # given
    member = PatientFactory()
    entry = points_apply(
        user=member,
        delta=10,
        reason="test",
        source_type="order_paid",
        source_id="1",
        actor=Actor.system(),
    )
    client.force_login(root)
    change_url = reverse("admin:accounts_pointsentry_change", args=[entry.pk])

    # when
    listed = client.get(reverse("admin:accounts_pointsentry_changelist"))
    add = client.get(reverse("admin:accounts_pointsentry_add"))
    edit = client.post(change_url, {"delta": "1000"})
    delete = client.post(
        reverse("admin:accounts_pointsentry_delete", args=[entry.pk]), {"post": "yes"}
    )

    # then
    assert listed.status_code == 200
    assert [row.pk for row in listed.context["cl"].result_list] == [entry.pk]
    assert (add.status_code, edit.status_code, delete.status_code) == (403, 403, 403)
    entry.refresh_from_db()
    assert entry.delta == 10
    assert PointsEntry.objects.count() == 1


# -- grants on the user page ---------------------------------------------------------------


def test_a_platform_admin_grants_a_level_on_the_user_page(
    client, platform_admin, levels
):
    # given
    member = PatientFactory(nickname="会员")
    client.force_login(platform_admin)

    # when
    response = client.post(
        reverse("admin:accounts_user_change", args=[member.pk]),
        user_form(member, grant_level=levels["gold"].pk),
    )

    # then
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.member_level_floor == levels["gold"]
    assert member.member_level == levels["gold"]
    grant = OperationLog.objects.get(action="member.level_grant")
    assert (grant.actor, grant.object_id) == (platform_admin, str(member.pk))
    # the plain save logs no grant_level field
    assert not OperationLog.objects.filter(
        action="user_update_by_admin", summary__contains="grant_level"
    ).exists()


def test_saving_the_user_page_without_a_grant_changes_no_level(client, root, levels):
    member = PatientFactory(nickname="旧")
    client.force_login(root)

    client.post(
        reverse("admin:accounts_user_change", args=[member.pk]),
        user_form(member, nickname="新", grant_level=""),
    )

    member.refresh_from_db()
    assert member.nickname == "新"
    assert (member.member_level, member.member_level_floor) == (None, None)
    assert OperationLog.objects.filter(action="member.level_grant").exists() is False


def test_points_and_levels_cannot_be_typed_into_the_user_page(client, root, levels):
    member = PatientFactory()
    client.force_login(root)

    client.post(
        reverse("admin:accounts_user_change", args=[member.pk]),
        user_form(
            member,
            points="99999",
            member_level=levels["vip"].pk,
            member_level_floor=levels["vip"].pk,
        ),
    )

    member.refresh_from_db()
    assert member.points == 0
    assert (member.member_level, member.member_level_floor) == (None, None)


def test_hospital_staff_get_no_grant_field_and_a_posted_grant_is_ignored(
    client, hospital_staff, levels
):
    # given: a colleague of the same hospital (staff see only their hospital's users)
    colleague = StaffFactory(username="colleague", hospital=hospital_staff.hospital)
    client.force_login(hospital_staff)
    url = reverse("admin:accounts_user_change", args=[colleague.pk])

    # when
    page = client.get(url)
    client.post(url, user_form(colleague, grant_level=levels["vip"].pk))

    # then
    assert "grant_level" not in page.context["adminform"].form.fields
    colleague.refresh_from_db()
    assert (colleague.member_level, colleague.member_level_floor) == (None, None)
    assert OperationLog.objects.filter(action="member.level_grant").exists() is False


# -- rates in the units people use -----------------------------------------------------------


@pytest.mark.parametrize(
    ("discount", "reserved", "stored"),
    [
        ("8.5", "12.5", (8500, 1250)),
        ("10", "0", (10000, 0)),
        ("8.5折", "20%", (8500, 2000)),
    ],
)
def test_the_discount_is_typed_in_zhe_and_the_seats_in_percent(
    client, root, levels, discount, reserved, stored
):
    client.force_login(root)
    gold = levels["gold"]

    response = client.post(
        reverse("admin:accounts_memberlevel_change", args=[gold.pk]),
        LEVEL_FORM | {"discount_rate_bp": discount, "reserved_share_bp": reserved},
    )

    assert response.status_code == 302
    gold.refresh_from_db()
    assert (gold.discount_rate_bp, gold.reserved_share_bp) == stored


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        (
            "discount_rate_bp",
            "85",
            "Enter a discount in 折 from 1 to 10 (8.5 means paying 85 percent of the "
            "fee), or the percentage paid followed by a percent sign.",
        ),
        (
            "reserved_share_bp",
            "60",
            "Enter a percentage from 0 to 50 with at most two decimals, e.g. 20 or 12.5.",
        ),
        (
            "reserved_share_bp",
            "1000",
            "Enter a percentage from 0 to 50 with at most two decimals, e.g. 20 or 12.5.",
        ),
        (
            "reserved_share_bp",
            "10.005",
            "Enter a percentage from 0 to 50 with at most two decimals, e.g. 20 or 12.5.",
        ),
    ],
)
def test_an_implausible_rate_is_refused_with_a_message(
    client, root, levels, field, typed, message
):
    client.force_login(root)
    gold = levels["gold"]

    response = client.post(
        reverse("admin:accounts_memberlevel_change", args=[gold.pk]),
        LEVEL_FORM | {field: typed},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [message]}
    gold.refresh_from_db()
    assert (gold.discount_rate_bp, gold.reserved_share_bp) == (9500, 1000)
    assert OperationLog.objects.exists() is False


def test_the_level_form_shows_the_stored_rates_in_zhe_and_percent(client, root, levels):
    client.force_login(root)

    with translation.override("zh-hans"):
        response = client.get(
            reverse("admin:accounts_memberlevel_change", args=[levels["vip"].pk]),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )

    form = response.context["adminform"].form
    html = response.content.decode()
    assert (form["discount_rate_bp"].value(), form["reserved_share_bp"].value()) == (
        "9",
        "20",
    )
    assert "按“折”填写：10 为原价，9.5 即九五折" in html
