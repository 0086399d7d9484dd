"""The rules and the drawn tree in Chinese, the model admin and its activate action."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from analytics.ml.drawing import tree_svg
from analytics.ml.rules import condition_text, rules, top_rules
from analytics.models import NoShowModel
from analytics.noshow.services import noshow_model_train_own
from common.models import OperationLog
from common.services import Actor
from tests.accounts.factories import StaffFactory, UserFactory
from tests.analytics.noshow_helpers import TINY_GRID, generated_history

CJK = re.compile(r"[\u4e00-\u9fff]")
# A hand-made stored tree: lead days, then earlier no-shows.
STRUCTURE = {
    "features": ["lead_days", "prior_no_shows", "reminder"],
    "lowest": {"lead_days": 0.0, "prior_no_shows": 0.0, "reminder": 0.0},
    "params": {},
    "nodes": [
        {
            "id": 0,
            "feature": "lead_days",
            "threshold": 7.5,
            "left": 1,
            "right": 2,
            "samples": 100,
            "risk": 0.2,
        },
        {
            "id": 1,
            "feature": "",
            "threshold": None,
            "left": -1,
            "right": -1,
            "samples": 60,
            "risk": 0.1,
        },
        {
            "id": 2,
            "feature": "prior_no_shows",
            "threshold": 0.5,
            "left": 3,
            "right": 4,
            "samples": 40,
            "risk": 0.35,
        },
        {
            "id": 3,
            "feature": "",
            "threshold": None,
            "left": -1,
            "right": -1,
            "samples": 30,
            "risk": 0.25,
        },
        {
            "id": 4,
            "feature": "",
            "threshold": None,
            "left": -1,
            "right": -1,
            "samples": 10,
            "risk": 0.65,
        },
    ],
}


def test_every_leaf_is_a_rule_with_merged_conditions():
    # when
    found = rules(STRUCTURE)

    # then
    assert [str(rule) for rule in found] == [
        "If days booked ahead ≤ 7: no-show risk 10% (60 bookings)",
        "If days booked ahead ≥ 8; earlier no-shows known at booking ≤ 0: no-show risk 25% (30 bookings)",
        "If days booked ahead ≥ 8; earlier no-shows known at booking ≥ 1: no-show risk 65% (10 bookings)",
    ]
    assert [rule.node for rule in top_rules(STRUCTURE, limit=2)] == [4, 3]


def test_the_rules_read_in_chinese():
    # when
    with translation.override("zh-hans"):
        text = [str(rule) for rule in rules(STRUCTURE)]
        flag = condition_text("reminder", 0.5, None, lowest=0.0)

    # then
    assert text[0] == "如果 提前预约天数 ≤ 7，则爽约风险为 10%（60 次预约）"
    assert text[2] == (
        "如果 提前预约天数 ≥ 8；预约时已知的既往爽约次数 ≥ 1，则爽约风险为 65%（10 次预约）"
    )
    assert flag == "已开启就诊提醒：是"


def test_the_drawn_tree_has_a_box_per_node_and_escapes_text():
    # given
    structure = {**STRUCTURE, "features": [*STRUCTURE["features"]]}

    # when
    svg = tree_svg(structure, {"medium": 0.2, "high": 0.5})

    # then
    assert svg.startswith("<svg ")
    assert svg.count("<rect ") == 5
    assert svg.count("<line ") == 4
    assert "days booked ahead ≤ 7" in svg
    assert "risk 65%" in svg
    assert 'fill="#fbe3e4"' in svg  # the 65 % leaf is drawn as high risk
    assert "<script" not in svg


@pytest.fixture
def platform_admin(client, db):
    user = UserFactory(is_staff=True, role=User.Role.PLATFORM_ADMIN)
    client.force_login(user)
    return user


@pytest.mark.django_db
@pytest.mark.usefixtures("noshow_model_dir")
def test_the_model_page_shows_rules_and_tree_in_chinese(
    client, platform_admin, settings
):
    # given
    generated_history(days=12, per_day=8, patients=10)
    model = noshow_model_train_own(actor=Actor.system(), grid=TINY_GRID)
    settings.LANGUAGE_CODE = "zh-hans"

    # when
    with translation.override("zh-hans"):
        listing = client.get(reverse("admin:analytics_noshowmodel_changelist"))
        page = client.get(
            reverse("admin:analytics_noshowmodel_change", args=[model.pk])
        )

    # then
    assert listing.status_code == 200
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    assert "爽约风险为" in html
    assert "公平模型" in html


@pytest.mark.django_db
@pytest.mark.usefixtures("noshow_model_dir")
def test_the_activate_action_goes_through_the_service(client, platform_admin):
    # given
    generated_history(days=12, per_day=8, patients=10)
    model = noshow_model_train_own(actor=Actor.system(), grid=TINY_GRID)

    # when
    response = client.post(
        reverse("admin:analytics_noshowmodel_changelist"),
        {"action": "activate", "_selected_action": [model.pk]},
        follow=True,
    )

    # then
    assert response.status_code == 200
    assert NoShowModel.objects.get(is_active=True) == model
    log = OperationLog.objects.get(action="noshow_model.activated")
    assert log.actor == platform_admin


@pytest.mark.django_db
def test_hospital_staff_do_not_see_the_models(client):
    # given
    staff = StaffFactory()
    client.force_login(staff)

    # when
    response = client.get(reverse("admin:analytics_noshowmodel_changelist"))

    # then
    assert response.status_code == 403
