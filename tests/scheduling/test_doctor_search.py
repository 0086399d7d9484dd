import datetime

import pytest
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from common.services import Actor
from hospitals.models import Doctor
from hospitals.services import doctor_update, hospital_update
from scheduling.doctor_search import doctor_search_for_patient
from scheduling.models import BookingRule, ClinicSession, ClinicType
from tests.hospitals.factories import DepartmentFactory, DoctorFactory, HospitalFactory
from tests.scheduling.conftest import MONDAY, at
from tests.scheduling.factories import (
    BookingRuleFactory,
    ClinicSessionFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("api:scheduling:doctor-search")


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def _with_seats(doctor: Doctor, *, days: int = 2, **session) -> ClinicSession:
    session = ClinicSessionFactory(doctor=doctor, date=_in_days(days), **session)
    SlotFactory(session=session)
    return session


# -- what a result holds, and who is shown ----------------------------------------------


def test_search_needs_no_login_and_lists_visible_doctors_senior_first(api_client):
    # given
    hospital = HospitalFactory(name="仁和医院")
    department = DepartmentFactory(hospital=hospital, name="心内科")
    attending = DoctorFactory(
        department=department,
        name="李四",
        title=Doctor.Title.ATTENDING,
        specialty="高血压",
        fee=1500,
    )
    chief = DoctorFactory(
        department=department, name="张三", title=Doctor.Title.CHIEF, fee=5000
    )

    # when
    response = api_client.get(URL)

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["next"] is None
    assert [row["id"] for row in body["results"]] == [chief.pk, attending.pk]
    assert body["results"][1] == {
        "id": attending.pk,
        "name": "李四",
        "title": "attending",
        "title_display": "主治医师",
        "specialty": "高血压",
        "photo_url": "",
        "fee": 1500,
        "hospital_id": hospital.pk,
        "hospital_name": "仁和医院",
        "department_id": department.pk,
        "department_name": "心内科",
    }


def test_search_leaves_out_what_the_catalog_hides(api_client):
    # given
    shown = DoctorFactory()
    DoctorFactory(is_active=False)
    DoctorFactory(hospital=HospitalFactory(is_open=False))
    DoctorFactory(department=DepartmentFactory(is_active=False))
    closed_parent = DepartmentFactory(is_active=False)
    DoctorFactory(department=DepartmentFactory(parent=closed_parent))

    # when
    response = api_client.get(URL)

    # then
    assert _ids(response) == [shown.pk]


# -- each filter ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("张", ["zhang"]),
        ("心内", ["zhang"]),
        ("内科", ["zhang", "wang"]),
        ("糖尿病", ["wang"]),
        ("外科", ["li"]),
        ("无此人", []),
    ],
)
def test_q_matches_name_department_parent_department_and_specialty(
    api_client, q, expected
):
    # given
    hospital = HospitalFactory()
    internal = DepartmentFactory(hospital=hospital, name="大内科")
    cardio = DepartmentFactory(parent=internal, name="心内科")
    endo = DepartmentFactory(parent=internal, name="内分泌")
    surgery = DepartmentFactory(hospital=hospital, name="普外科")
    doctors = {
        "zhang": DoctorFactory(department=cardio, name="张三", specialty="冠心病"),
        "wang": DoctorFactory(department=endo, name="王五", specialty="糖尿病"),
        "li": DoctorFactory(department=surgery, name="李四", specialty="疝气"),
    }

    # when
    response = api_client.get(URL, {"q": q})

    # then
    assert _ids(response) == [doctors[name].pk for name in expected]


def test_hospital_filter(api_client):
    # given
    mine = DoctorFactory()
    DoctorFactory()

    # when
    response = api_client.get(URL, {"hospital": mine.hospital_id})

    # then
    assert _ids(response) == [mine.pk]


def test_department_filter_includes_the_clinics_of_a_top_level_department(api_client):
    # given
    top = DepartmentFactory()
    clinic = DepartmentFactory(parent=top)
    at_top = DoctorFactory(department=top)
    in_clinic = DoctorFactory(department=clinic)
    DoctorFactory(department=DepartmentFactory(hospital=top.hospital))

    # when
    whole = api_client.get(URL, {"department": top.pk})
    only_clinic = api_client.get(URL, {"department": clinic.pk})
    unknown = api_client.get(URL, {"department": 999_999})

    # then
    assert _ids(whole) == [at_top.pk, in_clinic.pk]
    assert _ids(only_clinic) == [in_clinic.pk]
    assert _ids(unknown) == []


def test_title_filter(api_client):
    # given
    chief = DoctorFactory(title=Doctor.Title.CHIEF)
    DoctorFactory(title=Doctor.Title.RESIDENT)

    # when
    response = api_client.get(URL, {"title": "chief"})

    # then
    assert _ids(response) == [chief.pk]


def test_clinic_type_filter_without_a_date_looks_at_open_sessions_from_today(
    api_client,
):
    # given
    expert = DoctorFactory()
    ClinicSessionFactory(doctor=expert, clinic_type=ClinicType.EXPERT)
    general = DoctorFactory()
    ClinicSessionFactory(doctor=general, clinic_type=ClinicType.GENERAL)
    stopped = DoctorFactory()
    ClinicSessionFactory(
        doctor=stopped,
        clinic_type=ClinicType.EXPERT,
        status=ClinicSession.Status.STOPPED,
    )
    past = DoctorFactory()
    ClinicSessionFactory(doctor=past, clinic_type=ClinicType.EXPERT, date=_in_days(-1))

    # when
    experts = api_client.get(URL, {"clinic_type": "expert"})
    generals = api_client.get(URL, {"clinic_type": "general"})

    # then
    assert _ids(experts) == [expert.pk]
    assert _ids(generals) == [general.pk]


# -- has_seats_on --------------------------------------------------------------------------


def test_has_seats_on_keeps_released_open_sessions_with_a_free_seat_that_day(
    api_client,
):
    # given
    free = DoctorFactory(name="有号")
    _with_seats(free)
    sold_out = DoctorFactory(name="约满")
    SlotFactory(session=ClinicSessionFactory(doctor=sold_out), capacity=3, booked=3)
    unreleased = DoctorFactory(name="未放号")
    _with_seats(unreleased, release_at=timezone.now() + datetime.timedelta(hours=1))
    stopped = DoctorFactory(name="停诊")
    _with_seats(stopped, status=ClinicSession.Status.STOPPED)
    other_day = DoctorFactory(name="别的日子")
    _with_seats(other_day, days=3)
    no_slots = DoctorFactory(name="无时段")
    ClinicSessionFactory(doctor=no_slots)

    # when
    response = api_client.get(URL, {"has_seats_on": _in_days(2).isoformat()})

    # then
    assert _ids(response) == [free.pk]


def test_has_seats_on_one_free_slot_among_full_ones_is_enough(api_client):
    # given
    doctor = DoctorFactory()
    session = ClinicSessionFactory(doctor=doctor)
    SlotFactory(session=session, capacity=2, booked=2)
    SlotFactory(session=session, capacity=2, booked=1)

    # when
    response = api_client.get(URL, {"has_seats_on": _in_days(2).isoformat()})

    # then
    assert _ids(response) == [doctor.pk]


def test_has_seats_on_today_leaves_out_slots_that_have_started(api_client):
    # given
    now = timezone.localtime()
    doctor = DoctorFactory()
    session = ClinicSessionFactory(
        doctor=doctor,
        date=now.date(),
        start_time=datetime.time(0, 0),
        end_time=datetime.time(23, 59),
    )
    SlotFactory(
        session=session,
        starts_at=now - datetime.timedelta(minutes=1),
        ends_at=now + datetime.timedelta(minutes=29),
    )

    # when
    response = api_client.get(URL, {"has_seats_on": now.date().isoformat()})

    # then
    assert _ids(response) == []


def test_has_seats_on_with_clinic_type_needs_the_free_session_of_that_type(
    api_client,
):
    # given
    expert_with_seats = DoctorFactory()
    _with_seats(expert_with_seats, clinic_type=ClinicType.EXPERT)
    # Free seats only in a general session; its expert session is sold out.
    mixed = DoctorFactory()
    _with_seats(mixed, clinic_type=ClinicType.GENERAL)
    SlotFactory(
        session=ClinicSessionFactory(
            doctor=mixed,
            period="afternoon",
            start_time=datetime.time(14, 0),
            end_time=datetime.time(17, 0),
            clinic_type=ClinicType.EXPERT,
        ),
        capacity=1,
        booked=1,
    )

    # when
    response = api_client.get(
        URL, {"has_seats_on": _in_days(2).isoformat(), "clinic_type": "expert"}
    )

    # then
    assert _ids(response) == [expert_with_seats.pk]


def test_filters_combine(api_client):
    # given
    hospital = HospitalFactory()
    cardio = DepartmentFactory(hospital=hospital, name="心内科")
    match = DoctorFactory(department=cardio, name="张三", title=Doctor.Title.CHIEF)
    _with_seats(match, clinic_type=ClinicType.EXPERT)
    wrong_title = DoctorFactory(department=cardio, name="张四")
    _with_seats(wrong_title, clinic_type=ClinicType.EXPERT)
    no_seats = DoctorFactory(department=cardio, name="张五", title=Doctor.Title.CHIEF)
    ClinicSessionFactory(doctor=no_seats, clinic_type=ClinicType.EXPERT)
    elsewhere = DoctorFactory(name="张六", title=Doctor.Title.CHIEF)
    _with_seats(elsewhere, clinic_type=ClinicType.EXPERT)

    # when
    response = api_client.get(
        URL,
        {
            "q": "张",
            "hospital": hospital.pk,
            "department": cardio.pk,
            "title": "chief",
            "clinic_type": "expert",
            "has_seats_on": _in_days(2).isoformat(),
        },
    )

    # then
    assert _ids(response) == [match.pk]


# -- pagination, errors, cache, queries ----------------------------------------------------


def test_search_is_paginated(api_client):
    # given
    doctors = [DoctorFactory() for _ in range(3)]

    # when
    first = api_client.get(URL, {"page_size": 2})
    second = api_client.get(URL, {"page_size": 2, "page": 2})

    # then
    assert first.json()["count"] == 3
    assert _ids(first) == [doctors[0].pk, doctors[1].pk]
    assert first.json()["next"].endswith("?page=2&page_size=2")
    assert _ids(second) == [doctors[2].pk]
    assert second.json()["next"] is None


@override_settings(LANGUAGE_CODE="en")
@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"has_seats_on": "2026-13-01"}, "has_seats_on", None),
        ({"has_seats_on": "01/03/2026"}, "has_seats_on", None),
        ({"title": "professor"}, "title", '"professor" is not a valid choice.'),
        ({"clinic_type": "vip"}, "clinic_type", '"vip" is not a valid choice.'),
        ({"hospital": "abc"}, "hospital", "A valid integer is required."),
        ({"department": "0"}, "department", None),
        ({"page_size": "0"}, "page_size", None),
        ({"q": "字" * 51}, "q", None),
    ],
)
def test_bad_input_is_refused_in_the_error_shape(api_client, params, field, message):
    # when
    response = api_client.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")

    # then
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "Invalid input."
    assert list(error["fields"]) == [field]
    if message is not None:
        assert error["fields"][field] == [message]


def test_page_past_the_end_answers_404(api_client):
    # given
    DoctorFactory()

    # when
    response = api_client.get(URL, {"page": 2})

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_bad_token_is_refused_not_ignored(api_client):
    # when
    response = api_client.get(URL, HTTP_AUTHORIZATION="Bearer forged")

    # then
    assert response.status_code == 401


def test_answer_is_cached_and_a_deactivated_doctor_leaves_at_once(
    api_client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # given
    doctor = DoctorFactory()
    assert _ids(api_client.get(URL)) == [doctor.pk]
    with django_assert_num_queries(0):
        cached = api_client.get(URL)
    assert _ids(cached) == [doctor.pk]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        doctor_update(actor=Actor.system(), doctor=doctor, data={"is_active": False})
    response = api_client.get(URL)

    # then
    assert _ids(response) == []


def test_a_closed_hospital_leaves_a_cached_seat_search_at_once(
    api_client, django_capture_on_commit_callbacks
):
    # given
    doctor = DoctorFactory()
    _with_seats(doctor)
    params = {"has_seats_on": _in_days(2).isoformat()}
    assert _ids(api_client.get(URL, params)) == [doctor.pk]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        hospital_update(
            actor=Actor.system(), hospital=doctor.hospital, data={"is_open": False}
        )
    response = api_client.get(URL, params)

    # then
    assert _ids(response) == []


@override_settings(AVAILABILITY_CACHE_SECONDS=0)
def test_seat_search_is_cached_no_longer_than_availability(api_client):
    # given
    doctor = DoctorFactory()
    session = _with_seats(doctor)
    params = {"has_seats_on": _in_days(2).isoformat()}
    assert _ids(api_client.get(URL, params)) == [doctor.pk]

    # when: the last seat is taken (bookings do not bump the catalog's version)
    session.slots.update(booked=5)
    response = api_client.get(URL, params)

    # then
    assert _ids(response) == []


@pytest.mark.parametrize("doctors", [1, 6])
def test_query_count_does_not_grow_with_results(
    api_client, django_assert_num_queries, doctors
):
    # given
    for _ in range(doctors):
        _with_seats(DoctorFactory(), clinic_type=ClinicType.EXPERT)

    # when: count and page, whatever the filters and however many doctors
    with django_assert_num_queries(2):
        response = api_client.get(
            URL,
            {
                "q": "医生",
                "clinic_type": "expert",
                "has_seats_on": _in_days(2).isoformat(),
            },
        )

    # then
    assert len(_ids(response)) == doctors


# -- has_seats_on and the hospital's booking cutoff (frozen: Monday 07:00 Shanghai) --------


def _slot_at(doctor: Doctor, day: datetime.date, hour: int, minute: int):
    session = ClinicSessionFactory(
        doctor=doctor,
        date=day,
        start_time=datetime.time(6, 0),
        end_time=datetime.time(12, 0),
    )
    return SlotFactory(
        session=session,
        starts_at=at(day, hour, minute),
        ends_at=at(day, hour, minute) + datetime.timedelta(minutes=30),
    )


def _search_on(day: datetime.date) -> list[int]:
    return list(
        doctor_search_for_patient(has_seats_on=day).values_list("pk", flat=True)
    )


def test_has_seats_on_follows_the_default_cutoff_30_minutes_before(frozen):
    # given: no saved rule, so 30 minutes before the slot
    closed = DoctorFactory()
    _slot_at(closed, MONDAY, 7, 30)
    open_ = DoctorFactory()
    _slot_at(open_, MONDAY, 7, 31)

    # when
    found = _search_on(MONDAY)

    # then
    assert found == [open_.pk]


def test_has_seats_on_follows_the_hospitals_minutes_before_cutoff(frozen):
    # given
    hospital = HospitalFactory()
    BookingRuleFactory(hospital=hospital, cutoff_minutes=120)
    closed = DoctorFactory(hospital=hospital)
    _slot_at(closed, MONDAY, 9, 0)
    open_ = DoctorFactory(hospital=hospital)
    _slot_at(open_, MONDAY, 9, 1)

    # when
    found = _search_on(MONDAY)

    # then
    assert found == [open_.pk]


def test_has_seats_on_follows_the_previous_evening_cutoff(frozen):
    # given: booking for Tuesday closes at 18:00 on Monday
    hospital = HospitalFactory()
    BookingRuleFactory(
        hospital=hospital,
        cutoff_mode=BookingRule.CutoffMode.PREVIOUS_EVENING,
        cutoff_time=datetime.time(18, 0),
    )
    doctor = DoctorFactory(hospital=hospital)
    tuesday = MONDAY + datetime.timedelta(days=1)
    wednesday = MONDAY + datetime.timedelta(days=2)
    _slot_at(doctor, tuesday, 9, 0)
    _slot_at(DoctorFactory(hospital=hospital), MONDAY, 11, 0)

    # when
    before = _search_on(tuesday)
    today = _search_on(MONDAY)
    frozen.move_to(at(MONDAY, 17, 59, 59))
    last_second = _search_on(tuesday)
    frozen.move_to(at(MONDAY, 18, 0))
    at_cutoff = _search_on(tuesday)

    # then
    assert before == [doctor.pk]
    assert today == []
    assert last_second == [doctor.pk]
    assert at_cutoff == []
    assert _search_on(wednesday) == []


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_has_seats_on_at_the_ends_of_the_calendar_finds_nobody(api_client, day):
    # given
    _with_seats(DoctorFactory())

    # when
    response = api_client.get(URL, {"has_seats_on": day})

    # then
    assert _ids(response) == []
