"""An online consult end to end, in Chromium and in Chinese, both sides at once.

The patient logs in to the portal by SMS, asks a doctor a free consult (adding the
patient it is for), sends a message; the doctor, signed in to the workspace through the
admin login in another browser, opens it, puts a quick reply in the box with one click
and sends it; the patient's page shows the reply without a reload (htmx polling); the
patient ends the consult and rates it. The conversation pages are checked by axe-core.
"""

import pytest

from consult.services.offers import quick_reply_create
from tests.accounts.factories import make_id_card_no
from tests.browser.portal_login import portal_log_in
from tests.browser.test_portal import AxeChecker
from tests.consult.factories import offering_doctor
from tests.fakes.sms_server import FakeSmsServer

pytest.importorskip(
    "axe_playwright_python.sync_playwright",
    reason="axe-playwright-python is not installed (requirements-dev.txt)",
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13900139001"
PASSWORD = "Strong-pass-123"  # tests.accounts.factories.UserFactory's password


@pytest.fixture
def sms_server(settings):
    server = FakeSmsServer().start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = server.url
    settings.SMS_HTTP_TOKEN = server.token
    yield server
    server.stop()


def test_a_patient_asks_the_doctor_replies_and_the_patient_rates(
    open_page, live_server, sms_server, settings, tmp_path
):
    from playwright.sync_api import expect

    # given a doctor who takes free consults, with a quick reply, signing in without OTP
    settings.STAFF_REQUIRE_OTP = False
    doctor = offering_doctor()
    doctor.name = "王安"
    doctor.save(update_fields=["name"])
    quick_reply_create(doctor=doctor, text="请多喝水，注意休息")
    doctor_username = doctor.user.username
    axe = AxeChecker()

    page = open_page()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    # when the patient logs in with an SMS code
    portal_log_in(page, sms_server, PHONE)

    # and asks the doctor from their page, adding the patient first
    page.goto(f"/h5/doctors/{doctor.pk}/")
    axe.check(page)
    page.get_by_role("link", name="在线问诊").click()
    page.get_by_role("heading", name="在线问诊", exact=True).wait_for()
    axe.check(page)
    page.get_by_role("link", name="添加就诊人").click()
    page.get_by_label("姓名").fill("赵六")
    page.get_by_label("与您的关系").select_option("self")
    page.get_by_label("身份证号").fill(make_id_card_no())
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_role("button", name="保存").click()
    page.get_by_role("heading", name="在线问诊", exact=True).wait_for()
    page.get_by_label("赵六").check()
    page.get_by_label("病情描述").fill("咳嗽三天，夜间加重")
    page.get_by_role("button", name="提交问诊").click()

    # then the conversation opens, waiting for the doctor
    page.get_by_text("问诊已发送给医生。").wait_for()
    expect(page.locator("#consult-status")).to_have_text("待医生接诊")
    axe.check(page)
    conversation = page.url

    # when the patient sends a message (htmx: no page load)
    page.evaluate("window.__same_page = true")
    page.get_by_label("消息", exact=True).fill("昨晚发烧到38度")
    page.get_by_role("button", name="发送", exact=True).click()
    mine = page.locator("#messages li.mine")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("昨晚发烧到38度")
    expect(page.get_by_label("消息", exact=True)).to_have_value("")
    assert page.evaluate("window.__same_page") is True
    axe.check(page)

    # and the doctor signs in to the workspace in another browser and opens the consult
    desk = page.context.browser.new_context(
        locale="zh-CN",
        viewport={"width": 1280, "height": 900},
        base_url=live_server.url,
    )
    desk.set_default_timeout(15_000)
    clinic = desk.new_page()
    clinic.goto("/workspace/consults/")
    clinic.fill("#id_username", doctor_username)
    clinic.fill("#id_password", PASSWORD)
    clinic.locator("input[type=submit]").click()
    clinic.get_by_role("heading", name="在线问诊").wait_for()
    axe.check(clinic)
    expect(clinic.locator("#consults tbody tr")).to_have_count(1)
    clinic.get_by_role("link", name="打开 赵六 的问诊").click()
    clinic.get_by_text("昨晚发烧到38度").wait_for()
    axe.check(clinic)

    # and puts the quick reply in the box with one click, then sends it
    clinic.evaluate("window.__same_page = true")
    clinic.get_by_role("link", name="请多喝水，注意休息").click()
    expect(clinic.get_by_label("消息", exact=True)).to_have_value("请多喝水，注意休息")
    clinic.get_by_role("button", name="发送", exact=True).click()
    expect(clinic.locator("#messages li.mine")).to_contain_text("请多喝水，注意休息")
    expect(clinic.locator("#consult-status")).to_have_text("问诊中")
    assert clinic.evaluate("window.__same_page") is True

    # then the patient's page shows the reply without a reload
    reply = page.locator("#messages li:not(.mine)")
    expect(reply).to_contain_text("请多喝水，注意休息", timeout=15_000)
    expect(reply).to_contain_text("王安")
    expect(page.locator("#consult-status")).to_have_text("问诊中")
    assert page.evaluate("window.__same_page") is True
    axe.check(page)
    page.screenshot(path=tmp_path / "conversation.png", full_page=True)
    desk.close()

    # when the patient ends the consult and rates it
    page.get_by_role("button", name="结束问诊").click()
    page.get_by_text("问诊已结束。").wait_for()
    expect(page.locator("#consult-status")).to_have_text("已结束")
    assert page.get_by_label("消息", exact=True).count() == 0
    axe.check(page)
    page.get_by_label("5 星").check()
    page.get_by_label("评价内容（选填）").fill("回复及时，很耐心")
    page.get_by_role("button", name="提交评价").click()

    # then the consult is rated, once
    page.get_by_text("感谢您的评价。").wait_for()
    expect(page.locator("#consult-status")).to_have_text("已评价")
    expect(page.locator(".rating")).to_contain_text("5 星")
    assert page.get_by_role("button", name="提交评价").count() == 0
    assert page.url == conversation
    axe.check(page)

    assert axe.violations == []
    assert len(axe.pages) == 9
