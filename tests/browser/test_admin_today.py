"""In a real browser, in Chinese: the front door, and hospital staff's figures of the day."""

import pytest

from tests.analytics.factories import hospital_day, staff_with
from tests.hospitals.factories import HospitalFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Strong-pass-123"  # tests.accounts.factories.UserFactory's password
ACCENT = "rgb(11, 110, 79)"  # the header colour in static/css/site.css


def test_the_front_door_renders_in_chinese_with_its_stylesheet(
    open_page, settings, tmp_path
):
    # given a platform name
    settings.PLATFORM_NAME = "仁和预约平台"

    # when the front door is opened in the browser
    page = open_page()
    page.goto("/")
    page.screenshot(path=tmp_path / "front-door.png", full_page=True)

    # then it is in Chinese, styled by our own stylesheet, and its doors lead on
    assert page.title() == "仁和预约平台"
    assert page.locator("h1").inner_text() == "仁和预约平台"
    assert page.locator("#door-staff h2").inner_text() == "医院工作人员"
    header = page.locator(".site-header")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == ACCENT
    page.locator("#door-staff a.button").click()
    page.wait_for_url("**/admin/login/**")


def test_hospital_staff_log_in_and_see_their_hospitals_day(open_page, tmp_path):
    # given a day at the staff member's hospital (and a busier one elsewhere)
    hospital = HospitalFactory(name="北京仁和医院")
    expected = hospital_day(hospital)
    hospital_day(HospitalFactory())
    hospital_day(HospitalFactory())
    staff = staff_with(hospital)

    # when they log in to the admin in the browser
    page = open_page()
    page.goto("/admin/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_selector("#today-figures")
    page.screenshot(path=tmp_path / "admin-index.png", full_page=True)

    # then they land on the index with today's figures for their hospital, in Chinese
    panel = page.locator("#today-figures")
    assert "今日概况" in panel.locator("h2").inner_text()
    assert panel.locator(".scope").inner_text() == "北京仁和医院"
    shown = {
        item.locator(".label").inner_text(): int(item.locator(".value").inner_text())
        for item in panel.locator("li.figure").all()
    }
    assert shown == {
        "今日出诊": expected.sessions,
        "已预约": expected.booked,
        "已签到": expected.checked_in,
        "已爽约": expected.no_shows,
        "剩余号源": expected.seats_left,
        "退款处理中": expected.pending_refunds,
    }

    # and following "checked in" lists exactly those patients
    panel.locator("li.figure", has_text="已签到").locator("a").click()
    page.wait_for_selector("#result_list")
    page.screenshot(path=tmp_path / "checked-in.png", full_page=True)
    assert page.locator("#result_list tbody tr").count() == expected.checked_in
