"""In a real browser: the waiting-room screen follows the floor as the desk works.

The desk's steps go over HTTP with a staff member's JWT (check-in by the patient's code,
call next, call again, skip, call back, seen); the screen, opened on its signed address,
polls its JSON and shows each change with masked names.
"""

import datetime

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.services.staff_login import staff_token_claims
from accounts.services.tokens import user_tokens_issue
from appointments.checkin_code import checkin_code_issue
from appointments.models import Appointment
from appointments.screen import screen_signature
from scheduling.models import ClinicSession, Slot
from tests.accounts.factories import PatientProfileFactory, StaffFactory
from tests.appointments.floor_helpers import floor_session, on_floor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _session_running_now() -> ClinicSession:
    session = floor_session(place="门诊楼3层 5诊室")
    day_start = timezone.make_aware(
        datetime.datetime.combine(session.date, datetime.time(0, 0))
    )
    # The slot runs to the next midnight: ending at 23:59 left the last minute of a
    # day (China time) with no session running, and the check-in code expired in it.
    day_end = day_start + datetime.timedelta(days=1)
    ClinicSession.objects.filter(pk=session.pk).update(
        start_time=datetime.time(0, 0), end_time=datetime.time(23, 59, 59)
    )
    Slot.objects.filter(session=session).update(starts_at=day_start, ends_at=day_end)
    return ClinicSession.objects.select_related("doctor").get(pk=session.pk)


def test_the_screen_follows_check_in_call_recall_skip_and_seen(open_page, tmp_path):
    # given a booked patient of a session running now, a desk account and the screen link
    from playwright.sync_api import expect

    session = _session_running_now()
    appointment = on_floor(
        session,
        queue_no=7,
        status=Appointment.Status.BOOKED,
        profile=PatientProfileFactory(name="张小伟"),
    )
    staff: User = StaffFactory(hospital=session.hospital)
    token = user_tokens_issue(user=staff, claims=staff_token_claims(staff))["access"]
    code = checkin_code_issue(appointment=appointment).token
    department = session.doctor.department_id
    screen = f"/screen/department/{department}/{screen_signature(department)}/"
    api = "/api/v1/appointments"
    auth = {"Authorization": f"Bearer {token}"}

    page = open_page()
    page.goto(screen)
    section = page.locator(f"section[data-session='{session.pk}']")
    calling, nxt = section.locator(".calling"), section.locator(".next")
    skipped = section.locator(".skipped")

    def post(path: str, data: dict | None = None) -> None:
        response = page.request.post(f"{api}{path}", data=data or {}, headers=auth)
        assert response.status == 200, response.text()

    # then, step by step, the screen shows what the desk did
    expect(section.locator("h2")).to_contain_text("门诊楼3层 5诊室")
    expect(calling).to_have_text("无")

    post("/check-in/scan/", {"code": code})
    expect(nxt).to_contain_text("7号 张*伟")
    expect(section.locator(".count")).to_have_text("候诊 1 人")

    post(f"/workspace/sessions/{session.pk}/call-next/")
    expect(calling).to_contain_text("7号 张*伟")
    expect(nxt).to_have_text("无")

    post(f"/workspace/appointments/{appointment.pk}/recall/")
    expect(calling).to_contain_text("第2次呼叫")

    post(f"/workspace/appointments/{appointment.pk}/skip/")
    expect(calling).to_have_text("无")
    expect(skipped).to_contain_text("7号 张*伟")

    post(f"/workspace/appointments/{appointment.pk}/recall/")
    expect(calling).to_contain_text("第3次呼叫")
    expect(skipped).to_have_text("无")

    post(f"/workspace/appointments/{appointment.pk}/seen/")
    expect(calling).to_have_text("无")
    page.screenshot(path=tmp_path / "screen.png", full_page=True)
    assert "张小伟" not in page.content()
