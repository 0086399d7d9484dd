"""The release queue's waiting room (排队放号) in the portal, in Chromium and in Chinese.

A hot session releases a few seconds after the test starts: the patient signs in, joins the
waiting room with their 就诊人, and the place panel (htmx, every poll_after_seconds) says
the places are drawn at the release; after the release the panel's next ask draws the
places and admits the patient, the panel lists the session's slots, and its book button
goes through the portal's booking (a seat won in the stock, written by the writer's
thread) to the pay page. Needs Redis (REDIS_URL) and a database with row locks.
"""

import datetime
import re

import pytest

from tests.appointments.release_queue_helpers import hot_session
from tests.appointments.stock_helpers import needs_redis, stock
from tests.browser.portal_login import portal_log_in
from tests.browser.test_portal import AxeChecker, sms_server
from tests.browser.test_portal_rush import PHONE, _patient, writer
from tests.race import needs_row_locks

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    needs_redis,
    needs_row_locks,
]
__all__ = ["sms_server", "stock", "writer"]  # the fixtures

RELEASE_IN = datetime.timedelta(seconds=20)


def test_a_patient_joins_waits_is_admitted_and_books(
    open_page, sms_server, stock, writer, settings
):
    # given a queued session releasing in a few seconds, one slot of two seats
    settings.RELEASE_QUEUE_OPEN_MINUTES = 30
    settings.RELEASE_QUEUE_MINUTES = 30
    settings.RELEASE_QUEUE_BURST = 1
    settings.RELEASE_QUEUE_ADMIT_PER_SECOND = 1
    settings.RELEASE_QUEUE_WINDOW_SECONDS = 60
    session, _ = hot_session(seats=2, release_in=RELEASE_IN)
    _patient()
    writer.set()
    axe = AxeChecker()
    page = open_page()
    page.set_viewport_size({"width": 390, "height": 844})

    # when the patient signs in and opens the waiting room
    portal_log_in(page, sms_server, PHONE)
    page.goto(f"/h5/release-queue/{session.pk}/")
    page.get_by_role("heading", name="排队放号", exact=True).wait_for()
    page.get_by_text("排队已开始，可以进入排队。").wait_for()
    axe.check(page)

    # and joins with their 就诊人
    page.get_by_label("孙八").check()
    page.get_by_role("button", name="进入排队").click()

    # then they wait in the room: the panel asks again by itself
    page.get_by_text("已进入排队。").wait_for()
    page.get_by_text("您已进入排队，放号时统一抽签排序。").wait_for()
    assert page.locator(".queue-panel[hx-trigger]").count() == 1
    axe.check(page)

    # and after the release the panel's next ask draws the places and admits them
    page.get_by_text("轮到您了，请尽快预约。").wait_for(timeout=40_000)
    assert page.locator(".queue-position").inner_text() == "1"
    book = page.get_by_role("button", name=re.compile(r"^预约 \d\d:\d\d（余 2）$"))
    axe.check(page)

    # when they book the slot
    book.click()

    # then the booking goes through as every booking does, on to the pay page
    page.get_by_role("heading", name="支付挂号费").wait_for(timeout=20_000)
    page.get_by_text("预约成功：1 号。请在保留时间内完成支付。").wait_for()

    # and the waiting room says it is booked, and asks no more
    page.goto(f"/h5/release-queue/{session.pk}/")
    page.get_by_text("已通过排队预约成功。").wait_for()
    assert page.locator(".queue-panel[hx-trigger]").count() == 0

    assert axe.violations == []
