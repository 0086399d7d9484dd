"""Staff see the no-show risk: the appointment admin's day list (a column with the band in
Chinese, a filter by band), the clinic floor's queue API and the workspace queue page."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from appointments.models import Appointment
from tests.accounts.factories import PatientProfileFactory, StaffFactory
from tests.records.factories import appointment_for, doctor_with_login

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

S = Appointment.Status


def scored(appointment: Appointment, band: str, *, confirmed: bool = False) -> None:
    """As analytics records it (appointments.services.noshow_risk), straight to the row."""
    now = timezone.now()
    Appointment.objects.filter(pk=appointment.pk).update(
        noshow_risk={"low": 40, "medium": 200, "high": 610}[band],
        noshow_risk_band=band,
        noshow_risk_fair=150,
        noshow_fair_band="medium",
        confirm_requested_at=now if band == "high" else None,
        confirmed_at=now if confirmed else None,
    )


@pytest.fixture
def floor():
    """Today's session of a doctor with four patients: high, high and confirmed, low,
    not scored."""
    doctor = doctor_with_login()
    names = ("高风险", "已确认", "低风险", "未评分")
    rows = [
        appointment_for(
            doctor=doctor, profile=PatientProfileFactory(name=name), status=S.BOOKED
        )
        for name in names
    ]
    scored(rows[0], "high")
    scored(rows[1], "high", confirmed=True)
    scored(rows[2], "low")
    return doctor, rows


def desk(hospital) -> Client:
    client = Client()
    client.force_login(StaffFactory(hospital=hospital))
    return client


def test_the_day_list_shows_the_band_in_chinese(settings, floor):
    # given
    settings.LANGUAGE_CODE = "zh-hans"
    doctor, rows = floor
    client = desk(doctor.hospital)

    # when
    with translation.override("zh-hans"):
        page = client.get(
            reverse("admin:appointments_appointment_changelist")
        ).content.decode()

    # then
    cell = '<td class="field-status_and_risk">已预约<br><span class="noshow-risk risk-{}">{}</span></td>'
    assert cell.format("high", "爽约风险：高 · 未确认") in page
    assert cell.format("high", "爽约风险：高 · 已确认") in page
    assert cell.format("low", "爽约风险：低") in page
    assert cell.format("none", "—") in page


def test_the_day_list_filters_by_band(floor):
    # given
    doctor, rows = floor
    client = desk(doctor.hospital)

    # when
    response = client.get(
        reverse("admin:appointments_appointment_changelist"),
        {"noshow_risk_band__exact": "high"},
    )

    # then
    listed = {a.pk for a in response.context["cl"].result_list}
    assert listed == {rows[0].pk, rows[1].pk}


def test_the_queue_api_gives_the_band_and_the_confirmation(floor):
    # given
    doctor, rows = floor
    client = APIClient()
    client.force_authenticate(doctor.user)

    # when
    response = client.get(
        reverse("api:appointments:workspace-queue", args=[rows[0].session_id])
    )

    # then
    assert response.status_code == 200
    by_id = {e["appointment_id"]: e for e in response.json()["queue"]}
    assert [
        (
            by_id[a.pk]["noshow_risk_band"],
            by_id[a.pk]["noshow_risk_band_display"],
            by_id[a.pk]["confirmed"],
        )
        for a in rows
    ] == [
        ("high", "high", False),
        ("high", "high", True),
        ("low", "low", False),
        ("", "", False),
    ]


def test_the_workspace_queue_page_shows_the_band(settings, floor):
    # given
    settings.LANGUAGE_CODE = "zh-hans"
    doctor, rows = floor
    client = Client()
    client.force_login(doctor.user)

    # when
    with translation.override("zh-hans"):
        page = client.get(f"/workspace/sessions/{rows[0].session_id}/").content.decode()

    # then
    assert "爽约风险" in page
    assert '<td class="risk-high">高</td>' in page
    assert '<td class="risk-high">高 <span class="muted">（已确认）</span></td>' in page
    assert '<td class="risk-low">低</td>' in page
    assert '<td class="risk-none">—</td>' in page
