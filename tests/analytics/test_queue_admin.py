"""The 排队模型 and 门诊模拟 admin pages: measured λ, μ and c, the model's figures, too
little data, ρ ≥ 1, and who may open them."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from analytics.queue_selectors import department_load
from analytics.queueing import queue_metrics, servers_needed
from scheduling.models import ClinicSession
from tests.accounts.factories import UserFactory
from tests.analytics.factories import staff_with
from tests.analytics.queue_history import busy_department, clinic_history, past_day
from tests.hospitals.factories import DepartmentFactory, DoctorFactory, HospitalFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("analytics_admin:queue")
SIMULATION = reverse("analytics_admin:simulation")


def cell(html: str, name: str) -> str:
    match = re.search(rf'<td class="{name}">([^<]*)</td>', html)
    assert match, name
    return match[1].strip()


@pytest.fixture
def department():
    return DepartmentFactory(hospital=HospitalFactory())


def test_the_load_is_measured_from_the_departments_own_history(department):
    # given two doctors in parallel for five past mornings, and rows that must not count:
    # a stopped session, another department's clinic, a clinic before the range, today's
    busy_department(department, doctors=2, days=5)
    doctor = DoctorFactory(department=department)
    clinic_history([doctor], days=range(1, 3), status=ClinicSession.Status.STOPPED)
    clinic_history([DoctorFactory(hospital=department.hospital)], days=range(1, 3))
    clinic_history([doctor], days=range(60, 61))
    clinic_history([doctor], days=range(0, 1))
    # when the load is read for the default range (eight weeks up to yesterday)
    with CaptureQueriesContext(connection) as queries:
        load = department_load(
            department_id=department.pk, start=past_day(56), end=past_day(1)
        )
    # then three aggregated queries give λ, μ and c from the five mornings only
    assert len(queries) == 3
    assert load.sessions == 10
    assert load.open_hours == 20.0  # 5 mornings of 4 hours
    assert load.doctor_hours == 40.0
    assert load.servers == 2
    assert load.arrivals == 40
    assert load.visits == 40
    assert load.mean_visit_minutes == pytest.approx(15.0)
    assert load.visit_sd_minutes == pytest.approx(
        5.064, abs=1e-3
    )  # sample sd of 10s and 20s
    assert load.arrival_rate == 2.0
    assert load.service_rate == pytest.approx(4.0)
    assert (load.bookings, load.no_shows, load.no_show_rate) == (50, 10, 0.2)
    assert [(d.visits, round(d.mean_minutes, 6)) for d in load.doctors] == [
        (20, 15.0),
        (20, 15.0),
    ]


def test_a_sub_department_counts_in_its_parent(department):
    clinic = DepartmentFactory(parent=department, hospital=department.hospital)
    busy_department(clinic, doctors=1, days=2)
    load = department_load(
        department_id=department.pk, start=past_day(10), end=past_day(1)
    )
    assert load.visits == 8


def test_staff_see_the_model_for_their_department(client, department):
    # given a department with enough history
    busy_department(department, doctors=2, days=5)
    client.force_login(staff_with(department.hospital, permissions=()))
    # when the page is asked for it
    response = client.get(
        QUEUE,
        {
            "department": department.pk,
            "start": past_day(56),
            "end": past_day(1),
            "target_wait_minutes": 1,
        },
    )
    # then it shows the estimates, how many visits they rest on, the model and the advice
    assert response.status_code == 200
    html = response.content.decode()
    expected = queue_metrics(arrival_rate=2.0, service_rate=4.0, servers=2)
    assert cell(html, "visits") == "40"
    assert cell(html, "arrivals") == "40"
    assert cell(html, "lambda") == "2.00"
    assert cell(html, "mu") == "4.00"
    assert cell(html, "servers") == "2"
    assert cell(html, "rho") == "0.250"
    assert cell(html, "p-wait") == f"{expected.p_wait:.3f}"
    assert cell(html, "wq") == f"{expected.wq * 60:.1f}"
    needed = servers_needed(
        arrival_rate=2.0, service_rate=4.0, target_wait_hours=1 / 60
    )
    assert response.context["servers_needed"] == needed
    assert f"at least {needed} doctor(s)" in html
    assert "too-little-data" not in html


def test_the_default_form_needs_no_department(client, department):
    client.force_login(staff_with(department.hospital, permissions=()))
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert response.context["form"].initial["end"] == past_day(1)
    assert response.context["form"].initial["start"] == past_day(56)
    assert "load" not in response.context


def test_too_little_data_says_so(client, department):
    busy_department(department, doctors=1, days=2)  # 8 visits
    client.force_login(staff_with(department.hospital, permissions=()))
    response = client.get(
        QUEUE,
        {
            "department": department.pk,
            "start": past_day(56),
            "end": past_day(1),
            "target_wait_minutes": 15,
        },
    )
    html = response.content.decode()
    assert "too-little-data" in html
    assert "this range has 8 visits" in html
    assert "metrics" not in response.context


def test_a_queue_that_grows_without_bound_says_so_and_still_advises(client, department):
    # given one doctor with hour-long visits and 8 patients a morning (λ = 2, μ = 1)
    doctor = DoctorFactory(department=department)
    clinic_history([doctor], days=range(1, 5), visit_minutes=(60,) * 8, no_shows=0)
    client.force_login(staff_with(department.hospital, permissions=()))
    response = client.get(
        QUEUE,
        {
            "department": department.pk,
            "start": past_day(56),
            "end": past_day(1),
            "target_wait_minutes": 15,
        },
    )
    html = response.content.decode()
    assert "grows without bound" in html
    assert "metrics" not in response.context
    assert response.context["servers_needed"] == servers_needed(
        arrival_rate=2.0, service_rate=1.0, target_wait_hours=0.25
    )


def test_another_hospitals_department_is_not_a_choice(client, department):
    busy_department(department, doctors=2, days=5)
    client.force_login(staff_with(HospitalFactory(), permissions=()))
    response = client.get(
        QUEUE,
        {
            "department": department.pk,
            "start": past_day(56),
            "end": past_day(1),
            "target_wait_minutes": 15,
        },
    )
    assert response.status_code == 400
    assert "department" in response.context["form"].errors
    assert "load" not in response.context
    assert department.name not in response.content.decode()


def test_platform_admins_choose_among_every_hospital(client, department):
    other = DepartmentFactory(hospital=HospitalFactory())
    client.force_login(UserFactory(role=User.Role.PLATFORM_ADMIN, is_staff=True))
    response = client.get(QUEUE)
    choices = {
        c for c, _label in response.context["form"].fields["department"].choices if c
    }
    assert {department.pk, other.pk} <= {int(str(c)) for c in choices}


@pytest.mark.parametrize("url", [QUEUE, SIMULATION])
def test_anonymous_users_go_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("url", [QUEUE, SIMULATION])
def test_staff_without_a_hospital_role_are_refused(client, url):
    client.force_login(UserFactory(role=User.Role.PATIENT, is_staff=True))
    assert client.get(url).status_code == 403


def test_bad_dates_are_refused_by_the_form(client, department):
    client.force_login(staff_with(department.hospital, permissions=()))
    response = client.get(
        QUEUE,
        {
            "department": department.pk,
            "start": past_day(1),
            "end": past_day(5),
            "target_wait_minutes": 15,
        },
    )
    assert response.status_code == 400
    assert (
        "The start date is after the end date."
        in response.context["form"].errors["__all__"]
    )


def test_the_index_links_to_both_pages(client, department):
    client.force_login(staff_with(department.hospital, permissions=()))
    html = client.get(reverse("admin:index")).content.decode()
    assert f'href="{QUEUE}"' in html
    assert f'href="{SIMULATION}"' in html


# -- 门诊模拟 -------------------------------------------------------------------------------


def test_the_simulation_compares_policies_over_the_grid(client, department):
    busy_department(department, doctors=2, days=5)
    client.force_login(staff_with(department.hospital, permissions=()))
    response = client.get(
        SIMULATION,
        {
            "department": department.pk,
            "start": past_day(56),
            "end": past_day(1),
            "slot_lengths": "15,30",
            "overbooking": "0,20",
            "punctuality_sd": 5,
            "target_wait_minutes": 15,
            "max_overtime_minutes": 30,
        },
    )
    assert response.status_code == 200
    context = response.context
    config = context["config"]
    # the department's measured parameters
    assert (config.doctors, config.session_minutes) == (2, 240)
    assert config.service_minutes == pytest.approx(15.0)
    assert config.no_show_rate == pytest.approx(0.2)
    # a cell per slot length and overbooking level, each with both booking policies
    assert [(c.slot_minutes, c.overbook) for c in context["cells"]] == [
        (15, 0),
        (15, 0.2),
        (30, 0),
        (30, 0.2),
    ]
    assert all(
        len(c.results) == 2 and c.results[0].seeds == 10 for c in context["cells"]
    )
    html = response.content.decode()
    assert html.count('class="grid-cell') == 4
    assert "mean over 10 simulated sessions" in html
    # timed slots of 30 minutes see half the patients of 15-minute ones
    seen = {
        (c.slot_minutes, c.overbook): c.results[1].seen.mean for c in context["cells"]
    }
    assert seen[(30, 0)] < seen[(15, 0)]
    assert context["suggested"] in context["cells"]


def test_the_simulation_refuses_a_grid_too_large(client, department):
    busy_department(department, doctors=1, days=8)
    client.force_login(staff_with(department.hospital, permissions=()))
    response = client.get(
        SIMULATION,
        {
            "department": department.pk,
            "start": past_day(56),
            "end": past_day(1),
            "slot_lengths": "5,10,15,20,25",
            "overbooking": "0,10,20,30",
            "punctuality_sd": 5,
            "target_wait_minutes": 15,
            "max_overtime_minutes": 30,
        },
    )
    assert response.status_code == 400
    assert "cells" not in response.context
    assert response.context["form"].errors["__all__"]


def test_the_simulation_says_when_there_is_too_little_data(client, department):
    busy_department(department, doctors=1, days=1)
    client.force_login(staff_with(department.hospital, permissions=()))
    response = client.get(
        SIMULATION,
        {
            "department": department.pk,
            "start": past_day(56),
            "end": past_day(1),
            "slot_lengths": "15",
            "overbooking": "0",
            "punctuality_sd": 5,
            "target_wait_minutes": 15,
            "max_overtime_minutes": 30,
        },
    )
    assert "too-little-data" in response.content.decode()
    assert "cells" not in response.context


def test_a_link_naming_only_the_department_takes_the_default_range(client, department):
    busy_department(department, doctors=2, days=5)
    client.force_login(staff_with(department.hospital, permissions=()))

    response = client.get(QUEUE, {"department": department.pk})

    assert response.status_code == 200
    form = response.context["form"]
    assert (form.cleaned_data["start"], form.cleaned_data["end"]) == (
        past_day(56),
        past_day(1),
    )
    assert form.cleaned_data["target_wait_minutes"] == 15
    assert response.context["load"].has_enough_data
