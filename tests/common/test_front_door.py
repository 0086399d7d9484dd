"""The front door at `/` and the admin's titles."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from demo.people import ADMIN_USERNAME, DEFAULT_DEMO_PASSWORD, PATIENTS, STAFF
from tests.accounts.factories import UserFactory

HOME = reverse("home")


@pytest.fixture
def chinese(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        yield


def demo_secrets() -> list[str]:
    return [
        DEFAULT_DEMO_PASSWORD,
        *(staff["username"] for staff in STAFF),
        *(patient.phone for patient in PATIENTS),
    ]


@pytest.mark.usefixtures("chinese")
def test_the_front_door_says_what_this_is_in_chinese_and_links_every_door(
    client, settings
):
    # given a platform name
    settings.PLATFORM_NAME = "仁和预约平台"

    # when the front door is opened
    response = client.get(HOME, HTTP_ACCEPT_LANGUAGE="zh-hans")

    # then it names the platform in Chinese and links the portal, admin, API docs and health
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>仁和预约平台</title>" in page
    assert "医院工作人员" in page
    for url in ("/h5/", "/admin/", "/api/docs/", "/health/"):
        assert f'href="{url}"' in page
    assert 'href="/static/css/site.css"' in page


def test_the_front_door_shows_the_demo_logins_only_with_debug(client, settings):
    # given DEBUG on
    settings.DEBUG = True

    # when the front door is opened
    page = client.get(HOME).content.decode()

    # then the demo's admin, staff and patient logins are shown
    assert 'id="demo-logins"' in page
    assert f"<code>{ADMIN_USERNAME}</code>" in page
    for secret in demo_secrets():
        assert secret in page


def test_the_front_door_never_shows_the_demo_logins_without_debug(client, settings):
    # given DEBUG off
    settings.DEBUG = False

    # when the front door is opened
    response = client.get(HOME)

    # then it answers, with no trace of the demo logins
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="demo-logins"' not in page
    for secret in demo_secrets():
        assert secret not in page


def test_the_front_door_answers_get_and_head_only(client):
    # when something is posted to the front door
    response = client.post(HOME)

    # then it is refused
    assert response.status_code == 405


def test_the_stylesheets_are_served_from_our_static_folder():
    # then the front door's and the admin index's stylesheets are found by staticfiles
    assert finders.find("css/site.css")
    assert finders.find("css/admin-today.css")


@pytest.mark.django_db
@pytest.mark.usefixtures("chinese")
def test_the_admin_speaks_chinese_with_the_platform_name_and_links_the_front_door(
    client, settings
):
    # given a platform name and a signed-in superuser
    settings.PLATFORM_NAME = "仁和预约平台"
    client.force_login(
        UserFactory(is_staff=True, is_superuser=True, role=User.Role.PLATFORM_ADMIN)
    )

    # when the admin index is opened
    page = client.get(reverse("admin:index")).content.decode()

    # then the titles carry the platform's name in Chinese, and "view site" goes to /
    assert "仁和预约平台 管理后台" in page
    assert "<title>工作台 | 仁和预约平台 管理</title>" in page
    assert "Django" not in page
    assert '<a href="/">查看站点</a>' in page
