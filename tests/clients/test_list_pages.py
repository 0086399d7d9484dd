"""Every list the mini-program pages through answers page and page_size as it declares them:
the second page of a two-item list, then no next page."""

import json
import re

import pytest

from tests.accounts.factories import PatientProfileFactory
from tests.clients.conftest import MINIPROGRAM
from tests.hospitals.factories import DoctorFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = json.loads((MINIPROGRAM / "api" / "endpoints.json").read_text())[
    "endpoints"
]
PAGED = sorted(
    name
    for name, endpoint in ENDPOINTS.items()
    if endpoint["method"] == "GET" and "page" in endpoint.get("query", [])
)


def test_the_paged_lists_are_the_expected_ones():
    assert set(PAGED) == {
        "appointmentList",
        "consultList",
        "departmentDoctors",
        "doctorSearch",
        "hospitalList",
        "memberPoints",
        "notificationList",
        "profileList",
        "recordList",
        "waitlistList",
    }


@pytest.mark.parametrize("name", PAGED)
def test_each_paged_list_answers_its_page_parameters(api_client, name):
    profile = PatientProfileFactory()
    doctor = DoctorFactory()
    DoctorFactory(department=doctor.department, hospital=doctor.hospital)
    api_client.force_authenticate(profile.user)
    path = re.sub(
        r"\{department_id\}", str(doctor.department_id), ENDPOINTS[name]["path"]
    )

    first = api_client.get(path, {"page": 1, "page_size": 1})
    far = api_client.get(path, {"page": 2, "page_size": 1})
    bad = api_client.get(path, {"page_size": 0})

    assert first.status_code == 200, first.content
    assert set(first.json()) >= {"count", "next", "previous", "results"}
    assert len(first.json()["results"]) <= 1
    assert (first.json()["next"] is not None) == (first.json()["count"] > 1)
    # a page past the end is the not-found answer of the error shape, never a 500
    assert far.status_code in (200, 404), far.content
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid")
