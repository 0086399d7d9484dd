"""The patient portal end to end, in Chromium and in Chinese, checked by axe-core.

A patient logs in with phone and SMS code, finds a doctor, adds the patient they book
for, books a slot, pays through the dev gateway, sees the booking paid with its check-in
QR code, cancels and sees the refund. Every portal page on the way is checked with
axe-core (axe-playwright-python bundles it): a violation of impact "serious" or
"critical" fails the test.
"""

import datetime

import pytest
from django.utils import timezone

from tests.accounts.factories import make_id_card_no
from tests.browser.portal_login import portal_log_in
from tests.fakes.sms_server import FakeSmsServer
from tests.hospitals.factories import DoctorFactory, HospitalFactory
from tests.scheduling.factories import SlotFactory

axe_sync = pytest.importorskip(
    "axe_playwright_python.sync_playwright",
    reason="axe-playwright-python is not installed (requirements-dev.txt)",
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13900139000"
BLOCKING = ("serious", "critical")


@pytest.fixture
def sms_server(settings):
    server = FakeSmsServer().start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = server.url
    settings.SMS_HTTP_TOKEN = server.token
    yield server
    server.stop()


class AxeChecker:
    """Runs axe-core on a page; keeps every blocking violation with the page's URL."""

    def __init__(self) -> None:
        self.axe = axe_sync.Axe()
        self.pages: list[str] = []
        self.violations: list[str] = []

    def check(self, page) -> None:
        page.wait_for_load_state("load")
        results = self.axe.run(page)
        self.pages.append(page.url)
        for violation in results.response["violations"]:
            if violation["impact"] in BLOCKING:
                nodes = [" ".join(node["target"]) for node in violation["nodes"]]
                self.violations.append(
                    f"{page.url}: {violation['id']} ({violation['impact']}) {nodes}"
                )


def test_a_patient_books_pays_and_cancels_in_the_portal(
    open_page, sms_server, settings, tmp_path
):
    # given a doctor with a released session two days ahead, and the dev gateway
    settings.PAYMENTS_DEV_GATEWAY = True
    hospital = HospitalFactory(name="北京仁和医院")
    doctor = DoctorFactory(hospital=hospital, name="王安", fee=2500)
    SlotFactory(
        session__doctor=doctor, session__fee=2500, session__clinic_type="expert"
    )
    axe = AxeChecker()

    page = open_page()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    # when the patient logs in with an SMS code
    page.goto("/h5/")
    axe.check(page)
    page.get_by_role("navigation", name="主菜单").get_by_role(
        "link", name="登录"
    ).click()
    page.wait_for_url("**/h5/login/")
    axe.check(page)
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_role("button", name="发送验证码").click()
    page.get_by_text("验证码已发送至").wait_for()
    axe.check(page)
    page.get_by_label("短信验证码").fill(sms_server.last_code(PHONE))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/h5/appointments/")
    axe.check(page)

    # and finds the doctor by name
    page.get_by_role("navigation", name="主菜单").get_by_role(
        "link", name="找医生"
    ).click()
    page.get_by_label("医生、科室或擅长").fill("王安")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("heading", name="找到 1 位医生").wait_for()
    axe.check(page)
    page.get_by_role("link", name="王安").click()
    page.get_by_role("heading", name="出诊安排").wait_for()
    assert page.get_by_text("专家门诊").count() >= 1
    axe.check(page)

    # and filters the sessions by clinic type: htmx replaces the list in place
    page.evaluate("window.__same_page = true")
    page.get_by_label("门诊类型").select_option("general")
    page.get_by_role("button", name="显示").click()
    page.get_by_text("近期暂无可预约的出诊。").wait_for()
    page.wait_for_url("**clinic_type=general**")
    axe.check(page)
    page.get_by_label("门诊类型").select_option("expert")
    page.get_by_role("button", name="显示").click()
    page.get_by_role("link", name="预约 08:00").wait_for()
    assert page.evaluate("window.__same_page") is True  # no page load in between

    # and books the first slot, adding the patient first
    page.get_by_role("link", name="预约 08:00").click()
    page.get_by_role("heading", name="确认预约").wait_for()
    axe.check(page)
    page.get_by_role("link", name="添加就诊人").click()
    page.get_by_role("heading", name="添加就诊人").wait_for()
    axe.check(page)
    page.get_by_label("姓名").fill("赵六")
    page.get_by_label("与您的关系").select_option("self")
    page.get_by_label("身份证号").fill(make_id_card_no())
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_role("button", name="保存").click()
    page.get_by_role("heading", name="确认预约").wait_for()
    page.get_by_label("赵六").check()
    page.get_by_role("button", name="预约", exact=True).click()

    # and pays through the dev gateway
    page.get_by_role("heading", name="支付挂号费").wait_for()
    axe.check(page)
    page.get_by_label("开发测试网关").check()
    page.get_by_role("button", name="立即支付").click()
    page.get_by_role("heading", name="开发测试网关").wait_for()
    axe.check(page)
    page.get_by_role("button", name="支付 ¥25.00").click()

    # then the booking is paid, with its check-in QR code
    page.get_by_text("支付成功。").wait_for()
    axe.check(page)
    assert page.locator("#summary-h").inner_text() == "已预约"
    assert page.locator(".qr svg").count() == 1
    page.screenshot(path=tmp_path / "paid.png", full_page=True)

    # when the patient cancels it
    page.get_by_role("button", name="取消预约").click()

    # then the refund is shown: the amount and its status
    page.get_by_text("预约已取消。").wait_for()
    axe.check(page)
    assert page.locator("#summary-h").inner_text() == "已取消"
    refund = page.locator("li.refund")
    assert "¥25.00" in refund.inner_text()
    assert "已退款" in refund.inner_text()
    assert page.locator(".qr svg").count() == 0

    # and the list shows it cancelled
    page.get_by_role("navigation", name="主菜单").get_by_role(
        "link", name="我的预约"
    ).click()
    page.get_by_text("已取消").first.wait_for()
    axe.check(page)
    page.get_by_role("navigation", name="主菜单").get_by_role(
        "link", name="就诊人"
    ).click()
    page.get_by_role("heading", name="赵六").wait_for()
    axe.check(page)
    page.get_by_role("navigation", name="主菜单").get_by_role(
        "link", name="医院"
    ).click()
    axe.check(page)
    page.get_by_role("link", name="北京仁和医院").click()
    axe.check(page)
    page.screenshot(path=tmp_path / "hospital.png", full_page=True)

    assert axe.violations == []
    assert len(axe.pages) == 17


def test_a_patient_reschedules_a_paid_booking_then_cancels_it(
    open_page, sms_server, settings
):
    # given a doctor with two sessions at the same fee, two and three days ahead
    settings.PAYMENTS_DEV_GATEWAY = True
    doctor = DoctorFactory(name="陈明", fee=2500)
    first = SlotFactory(session__doctor=doctor, session__fee=2500)
    later = SlotFactory(
        session__doctor=doctor,
        session__fee=2500,
        session__date=first.session.date + datetime.timedelta(days=1),
    )
    new_time = f"{timezone.localtime(later.starts_at):%Y-%m-%d %H:%M}"
    axe = AxeChecker()
    page = open_page()
    page.set_viewport_size({"width": 390, "height": 844})

    # when the patient logs in, books the first slot for themselves and pays
    portal_log_in(page, sms_server, PHONE)
    page.goto(f"/h5/book/{first.pk}/")
    page.get_by_role("link", name="添加就诊人").click()
    page.get_by_label("姓名").fill("钱七")
    page.get_by_label("与您的关系").select_option("self")
    page.get_by_label("身份证号").fill(make_id_card_no())
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_role("button", name="保存").click()
    page.get_by_label("钱七").check()
    page.get_by_role("button", name="预约", exact=True).click()
    page.get_by_label("开发测试网关").check()
    page.get_by_role("button", name="立即支付").click()
    page.get_by_role("button", name="支付 ¥25.00").click()
    page.get_by_text("支付成功。").wait_for()

    # and moves it to the doctor's later slot (改约), at the same fee
    page.get_by_role("link", name="改约", exact=True).click()
    page.get_by_role("heading", name="改约", exact=True).wait_for()
    assert page.get_by_text("当前预约时间").count() == 1
    axe.check(page)
    page.get_by_role("link", name="改约到 08:00（余 5）").click()
    page.get_by_role("heading", name="确认改约").wait_for()
    assert new_time in page.locator(".new-time").inner_text()
    assert "无差额" in page.locator(".fee-change").inner_text()
    axe.check(page)
    page.get_by_role("button", name="确认改约到此时间").click()

    # then the booking shows the new time, still paid, with nothing refunded
    page.get_by_text(f"已改约至 {new_time}。").wait_for()
    axe.check(page)
    assert page.locator("#summary-h").inner_text() == "已预约"
    assert new_time in page.locator("dl.facts").inner_text()
    assert page.locator("li.refund").count() == 0

    # and cancelling it refunds what was paid
    page.get_by_role("button", name="取消预约").click()
    page.get_by_text("预约已取消。").wait_for()
    refund = page.locator("li.refund")
    assert "¥25.00" in refund.inner_text()
    assert "已退款" in refund.inner_text()
    assert page.get_by_role("link", name="改约", exact=True).count() == 0

    assert axe.violations == []
    assert len(axe.pages) == 3


def test_the_axe_check_fails_a_page_with_a_serious_violation(open_page):
    # given a page whose text field has no label (axe: "label", critical)
    page = open_page()
    page.goto("/h5/")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', "
        "'<input type=text name=unlabelled>')"
    )
    axe = AxeChecker()

    # when it is checked
    axe.check(page)

    # then the violation is reported
    assert len(axe.violations) == 1
    assert ": label (critical)" in axe.violations[0]
