"""The catalog's answers: a fixed number of queries whatever the data, none on a hit, the
same bytes and headers whether the cache answers before DRF or through it, and every
write through the services seen at once (hospitals.cache, hospitals.catalog_api)."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.throttling import AnonRateThrottle

from common.renderers import JSONRenderer
from common.services import Actor
from hospitals import catalog_api
from hospitals.apis import HospitalListApi
from hospitals.cache import VERSION_KEY, catalog_answer, catalog_invalidate
from hospitals.catalog_api import CatalogApi
from hospitals.models import Doctor
from hospitals.services import doctor_update, hospital_update
from tests.accounts.factories import PatientFactory
from tests.hospitals.factories import DepartmentFactory, DoctorFactory, HospitalFactory
from tests.records.helpers import client_for

pytestmark = pytest.mark.django_db


def _catalog(size: int) -> dict:
    """`size` hospitals; the first with `size` departments of `size` clinics each and
    `size` doctors in its first department; the URLs of every catalog endpoint."""
    hospitals = HospitalFactory.create_batch(size)
    hospital = hospitals[0]
    departments = DepartmentFactory.create_batch(size, hospital=hospital)
    for department in departments:
        DepartmentFactory.create_batch(size, hospital=hospital, parent=department)
    doctors = DoctorFactory.create_batch(
        size, hospital=hospital, department=departments[0]
    )
    return {
        "hospital list": reverse("api:hospitals:list"),
        "hospital detail": reverse("api:hospitals:detail", args=[hospital.pk]),
        "department doctors": reverse(
            "api:hospitals:department-doctors", args=[departments[0].pk]
        ),
        "doctor detail": reverse("api:hospitals:doctor-detail", args=[doctors[0].pk]),
        "doctor search": reverse("api:scheduling:doctor-search")
        + f"?hospital={hospital.pk}",
    }


# On a miss: the page's COUNT and SELECT; the hospital, its top departments, their
# clinics; the department, the doctors' COUNT and page; one joined SELECT; COUNT and page.
MISS_QUERIES = {
    "hospital list": 2,
    "hospital detail": 3,
    "department doctors": 3,
    "doctor detail": 1,
    "doctor search": 2,
}


@pytest.mark.parametrize("endpoint", list(MISS_QUERIES))
@pytest.mark.parametrize("size", [1, 30])
def test_an_anonymous_read_costs_the_same_queries_for_1_or_30_rows_and_none_on_a_hit(
    api_client, django_assert_num_queries, endpoint, size
):
    # given
    url = _catalog(size)[endpoint]

    # when / then: a miss, then a hit
    with django_assert_num_queries(MISS_QUERIES[endpoint]):
        miss = api_client.get(url)
    with django_assert_num_queries(0):
        hit = api_client.get(url)

    assert miss.status_code == 200
    assert hit.content == miss.content
    results = miss.json().get("results")
    if endpoint in ("hospital list", "department doctors", "doctor search"):
        assert len(results) == min(size, 20)


@pytest.mark.parametrize("endpoint", list(MISS_QUERIES))
@pytest.mark.parametrize("size", [1, 30])
def test_a_signed_in_read_costs_only_the_tokens_queries_on_a_hit(
    django_assert_num_queries, endpoint, size
):
    # given: the answer is cached
    url = _catalog(size)[endpoint]
    client = client_for(PatientFactory())
    first = client.get(url)

    # when / then: the token's user, nothing of the catalog (the login session's "not
    # revoked" was cached by the first request)
    with django_assert_num_queries(1):
        hit = client.get(url)

    assert hit.status_code == 200
    assert hit.content == first.content


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "application/json, text/plain, */*"],
)
def test_the_cache_answering_before_drf_sends_drfs_bytes_and_headers(
    api_client, monkeypatch, accept
):
    # given: the answer built and sent through DRF
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    url = _catalog(2)["hospital list"]
    through_drf = api_client.get(url, **headers)
    cached_through_drf = api_client.get(url, HTTP_ACCEPT="application/json; q=1")

    # when: an anonymous GET, answered before DRF
    def drf_must_not_run(*args, **kwargs):
        raise AssertionError("DRF ran")

    monkeypatch.setattr(HospitalListApi, "dispatch", drf_must_not_run)
    before_drf = api_client.get(url, **headers)

    # then
    assert before_drf.content == through_drf.content == cached_through_drf.content
    # Every answer has a request id of its own (common/request_context.py).
    assert before_drf.headers.pop("X-Request-ID")
    assert through_drf.headers.pop("X-Request-ID")
    assert dict(before_drf.headers) == dict(through_drf.headers)
    assert before_drf.headers["Content-Type"] == "application/json"
    assert before_drf.headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(
    "extra",
    [
        {"HTTP_ACCEPT": "application/xml"},
        {"HTTP_ACCEPT": ""},  # present but empty: DRF accepts nothing
        {"HTTP_ACCEPT": "application/json; indent=4"},
        {"HTTP_AUTHORIZATION": "Bearer not-a-token"},
        {"QUERY_STRING": "format=json"},
    ],
)
def test_other_requests_go_through_drf_and_its_checks(api_client, extra):
    # given: a cached answer
    url = _catalog(1)["hospital list"]
    cached = api_client.get(url)

    # when
    response = api_client.get(url, **extra)

    # then: DRF answers, with its negotiation or its token check
    if "HTTP_AUTHORIZATION" in extra:
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_not_valid"
    elif extra.get("HTTP_ACCEPT") in ("application/xml", ""):
        assert response.status_code == 406
        assert response.json()["error"]["code"] == "not_acceptable"
    else:
        assert response.status_code == 200
        assert response.json() == cached.json()


def test_the_browsable_api_shows_a_cached_answer(api_client, monkeypatch):
    # given: DJANGO_DEBUG's second renderer, and a cached answer
    monkeypatch.setattr(
        HospitalListApi, "renderer_classes", [JSONRenderer, BrowsableAPIRenderer]
    )
    HospitalFactory(name="仁和医院")
    url = reverse("api:hospitals:list")
    api_client.get(url)

    # when
    page = api_client.get(url, HTTP_ACCEPT="text/html")

    # then
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "仁和医院" in page.content.decode()


def test_a_write_through_the_services_is_seen_at_once_before_drf_too(
    api_client, django_capture_on_commit_callbacks
):
    # given: cached answers of the list and of the doctor
    urls = _catalog(1)
    doctor = Doctor.objects.get()
    api_client.get(urls["doctor detail"])
    api_client.get(urls["department doctors"])

    # when
    with django_capture_on_commit_callbacks(execute=True):
        doctor_update(actor=Actor.system(), doctor=doctor, data={"name": "新名字"})

    # then
    assert api_client.get(urls["doctor detail"]).json()["name"] == "新名字"
    doctors = api_client.get(urls["department doctors"]).json()["results"]
    assert [d["name"] for d in doctors] == ["新名字"]


def test_closing_a_hospital_empties_the_cached_search(
    api_client, django_capture_on_commit_callbacks
):
    urls = _catalog(1)
    hospital = HospitalFactory._meta.model.objects.order_by("pk").first()
    assert api_client.get(urls["doctor search"]).json()["count"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        hospital_update(
            actor=Actor.system(), hospital=hospital, data={"is_open": False}
        )

    assert api_client.get(urls["doctor search"]).json()["count"] == 0


def test_an_answer_built_while_a_write_commits_is_not_served():
    # given: a write commits while the answer is being built
    def build() -> dict:
        catalog_invalidate()
        return {"name": "old"}

    # when
    first = catalog_answer("test:key", build)
    second = catalog_answer("test:key", lambda: {"name": "new"})

    # then
    assert first.content == b'{"name":"old"}'
    assert second.content == b'{"name":"new"}'


def test_a_lost_version_makes_every_answer_stale():
    catalog_answer("test:key", lambda: {"name": "old"})

    cache.delete(VERSION_KEY)

    assert catalog_answer("test:key", lambda: {"name": "new"}).content == (
        b'{"name":"new"}'
    )


def test_a_refused_request_is_not_cached(api_client, django_assert_num_queries):
    url = reverse("api:hospitals:detail", args=[999_999])
    api_client.get(url)

    with django_assert_num_queries(1):
        response = api_client.get(url)

    assert response.status_code == 404


def test_the_url_and_the_language_key_the_answer(rf):
    keys = {
        catalog_api.catalog_key("p", rf.get("/api/v1/hospitals/")),
        catalog_api.catalog_key("p", rf.get("/api/v1/hospitals/?page=2")),
        catalog_api.catalog_key(
            "p", rf.get("/api/v1/hospitals/", HTTP_HOST="localhost")
        ),
        catalog_api.catalog_key("q", rf.get("/api/v1/hospitals/")),
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(catalog_api, "get_language", lambda: "zh-hans")
        keys.add(catalog_api.catalog_key("p", rf.get("/api/v1/hospitals/")))

    assert len(keys) == 5


@pytest.mark.parametrize(
    ("policy", "value", "problem"),
    [
        ("permission_classes", [IsAuthenticated], "the permission is not AllowAny"),
        ("throttle_classes", [AnonRateThrottle], "requests are throttled"),
        (
            "renderer_classes",
            [BrowsableAPIRenderer, JSONRenderer],
            "the first renderer is not common.renderers.JSONRenderer",
        ),
    ],
)
def test_a_catalog_view_that_could_answer_callers_differently_is_refused(
    policy, value, problem
):
    view = type("View", (CatalogApi,), {policy: value})

    with pytest.raises(ImproperlyConfigured) as excinfo:
        view.as_view()

    assert str(excinfo.value) == f"View cannot serve its cache before DRF: {problem}"
