"""Today's figures on the admin index: who sees them, and that each link lists its rows."""

import datetime
import html
import re

import pytest
import time_machine
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from analytics.dashboard import today_panel
from tests.accounts.factories import UserFactory
from tests.analytics.factories import hospital_day, staff_with
from tests.hospitals.factories import DoctorFactory, HospitalFactory
from tests.scheduling.factories import ClinicSessionFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
FIGURE = re.compile(
    r'<li class="figure">\s*(?:<a href="(?P<url>[^"]+)">)?\s*'
    r'<span class="value">(?P<value>\d+)</span>\s*'
    r'<span class="label">(?P<label>[^<]+)</span>'
)


def figures_on_index(client) -> dict[str, tuple[int, str | None]]:
    response = client.get(INDEX)
    assert response.status_code == 200
    return {
        match["label"].strip(): (
            int(match["value"]),
            html.unescape(match["url"]) if match["url"] else None,
        )
        for match in FIGURE.finditer(response.content.decode())
    }


def rows_behind(client, url: str, label: str) -> int:
    """What the linked changelist lists: its row count, or the seats left in its slots."""
    response = client.get(url)
    assert response.status_code == 200, url  # an unknown lookup redirects to ?e=1
    changelist = response.context["cl"]
    if label == "Seats left":
        return sum(slot.capacity - slot.booked for slot in changelist.queryset)
    return changelist.result_count


def test_staff_see_their_hospitals_figures_and_each_link_lists_those_rows(client):
    # given a day at the staff member's hospital and at another
    hospital = HospitalFactory()
    expected = hospital_day(hospital)
    hospital_day(HospitalFactory())
    client.force_login(staff_with(hospital))

    # when the admin index is opened
    figures = figures_on_index(client)

    # then it shows the hospital's figures, and each link lists exactly the rows counted
    assert {label: value for label, (value, _url) in figures.items()} == {
        "Clinic sessions today": expected.sessions,
        "Booked": expected.booked,
        "Checked in": expected.checked_in,
        "No-shows so far": expected.no_shows,
        "Seats left": expected.seats_left,
        "Refunds in progress": expected.pending_refunds,
    }
    for label, (value, url) in figures.items():
        assert url is not None, label
        assert rows_behind(client, url, label) == value, label


def test_superusers_see_every_hospitals_totals_with_working_links(client):
    # given a day at two hospitals
    expected = hospital_day(HospitalFactory())
    hospital_day(HospitalFactory())
    client.force_login(
        UserFactory(is_staff=True, is_superuser=True, role=User.Role.PLATFORM_ADMIN)
    )

    # when the admin index is opened
    figures = figures_on_index(client)

    # then the figures add up both hospitals and the links list the same rows
    assert figures["Booked"][0] == 2 * expected.booked
    assert figures["Seats left"][0] == 2 * expected.seats_left
    for label, (value, url) in figures.items():
        assert rows_behind(client, url, label) == value, label


def test_a_figure_whose_list_the_user_may_not_open_has_no_link(client):
    # given a doctor of the hospital: their role may view appointments, not refunds
    hospital = HospitalFactory()
    hospital_day(hospital)
    client.force_login(staff_with(hospital, [], role=User.Role.DOCTOR))

    # when the admin index is opened
    figures = figures_on_index(client)

    # then the refunds figure is shown without a link; the others keep theirs
    assert figures["Refunds in progress"] == (1, None)
    assert figures["Booked"][1] is not None


def test_a_staff_account_of_no_hospital_role_sees_no_figures(client):
    # given an admin account that is neither hospital staff nor a platform admin
    hospital_day(HospitalFactory())
    client.force_login(UserFactory(is_staff=True, role=User.Role.PATIENT))

    # when the admin index is opened
    figures = figures_on_index(client)

    # then no figures are shown
    assert figures == {}


def test_today_is_the_hospitals_calendar_day_whatever_time_zone_is_active(rf):
    # given sessions on 10 and 11 March, and the moment 07:30 on 11 March in Shanghai
    # (23:30 on 10 March in UTC)
    hospital = HospitalFactory()
    for day in (datetime.date(2026, 3, 10), datetime.date(2026, 3, 11)):
        ClinicSessionFactory(doctor=DoctorFactory(hospital=hospital), date=day)
    request = rf.get(INDEX)
    request.user = staff_with(hospital)
    moment = datetime.datetime(2026, 3, 10, 23, 30, tzinfo=datetime.UTC)

    # when the panel is built while UTC is the active time zone
    with time_machine.travel(moment, tick=False), timezone.override("UTC"):
        panel = today_panel(admin.site, request)

    # then "today" is 11 March, the hospital's day, with its one session
    assert panel.date == datetime.date(2026, 3, 11)
    assert panel.figures[0].value == 1
