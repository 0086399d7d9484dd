"""Booking in a rush in the portal, in Chromium and in Chinese, checked by axe-core.

The session is loaded in the seat stock (Redis), so the patient's booking wins its seat
there and becomes a booking ticket: the ticket's page says the seat is held, htmx asks
again every second, and when the writer (a thread here, started when the test says so)
books the ticket the page goes on to the pay page; when it refuses, the refusal appears in
the page's status region and the asking stops. Needs Redis (REDIS_URL) and a database with
row locks: the writer's thread and the live server's each have their own connection.
"""

import threading

import pytest
from django.db import connection

from accounts.services.login import user_get_or_create_for_phone
from appointments.services.ticket_writer import tickets_write
from appointments.stock.loading import sessions_stock_load
from common.services import Actor
from tests.accounts.factories import PatientProfileFactory
from tests.appointments.booking_helpers import book
from tests.appointments.stock_helpers import needs_redis, stock
from tests.browser.portal_login import portal_log_in
from tests.browser.test_portal import AxeChecker, sms_server
from tests.hospitals.factories import DoctorFactory
from tests.race import needs_row_locks
from tests.scheduling.factories import BookingRuleFactory, SlotFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    needs_redis,
    needs_row_locks,
]
__all__ = ["sms_server", "stock"]  # the fixtures

PHONE = "13900139001"


@pytest.fixture
def writer():
    """The booking writer in a thread of its own (no event loop there, so the ORM may
    run while the browser is open); it writes once the test sets the event."""
    go, stop = threading.Event(), threading.Event()

    def run() -> None:
        try:
            while not stop.is_set():
                if go.is_set():
                    tickets_write()
                stop.wait(0.05)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    yield go
    stop.set()
    thread.join()


def _patient():
    user, _ = user_get_or_create_for_phone(actor=Actor.system(), phone=PHONE)
    return PatientProfileFactory(user=user, name="孙八")


def _book_in_the_browser(page, sms_server, slot) -> None:
    portal_log_in(page, sms_server, PHONE)
    page.goto(f"/h5/book/{slot.pk}/")
    page.get_by_label("孙八").check()
    page.get_by_role("button", name="预约", exact=True).click()


def test_a_queued_booking_waits_on_its_page_then_goes_to_pay(
    open_page, sms_server, stock, writer
):
    # given a session loaded in the seat stock, and a patient
    doctor = DoctorFactory(name="周静", fee=2500)
    slot = SlotFactory(session__doctor=doctor, session__fee=2500)
    sessions_stock_load([slot.session_id])
    _patient()
    axe = AxeChecker()
    page = open_page()
    page.set_viewport_size({"width": 390, "height": 844})

    # when the patient books: the seat is won in the stock, the writer not running yet
    _book_in_the_browser(page, sms_server, slot)

    # then the ticket's page says the seat is held, and htmx keeps asking
    page.wait_for_url("**/h5/booking-tickets/*/")
    status = page.get_by_role("status")
    assert "排队中：已为您保留号源，正在确认…" in status.inner_text()
    page.get_by_text("已等待 2 秒。").wait_for()
    axe.check(page)

    # when the writer books the ticket
    writer.set()

    # then the page goes on to the pay page, which says it is booked
    page.get_by_role("heading", name="支付挂号费").wait_for()
    page.get_by_text("预约成功：1 号。请在保留时间内完成支付。").wait_for()
    assert "/pay/" in page.url

    assert axe.violations == []


def test_a_refused_ticket_is_shown_in_the_status_region_and_the_asking_stops(
    open_page, sms_server, stock, writer
):
    # given one booking a day per person at the hospital, which the patient holds already
    slot = SlotFactory(capacity=3)
    BookingRuleFactory(hospital=slot.session.hospital, max_active_per_day=1)
    other = SlotFactory(
        session__hospital=slot.session.hospital, session__date=slot.session.date
    )
    book(other, _patient())
    sessions_stock_load([slot.session_id])
    axe = AxeChecker()
    page = open_page()

    # when the patient books again that day: a seat in the stock, then the writer refuses
    _book_in_the_browser(page, sms_server, slot)
    page.wait_for_url("**/h5/booking-tickets/*/")
    page.get_by_text("已等待 1 秒。").wait_for()
    writer.set()

    # then the refusal is in the status region, and the page no longer asks
    status = page.get_by_role("status")
    status.get_by_text("该就诊人当天已有 1 个预约。").wait_for()
    assert "排队中" not in status.inner_text()
    assert page.locator("[hx-trigger]").count() == 0
    assert page.get_by_role("link", name="返回预约").count() == 1
    axe.check(page)

    assert axe.violations == []
