import pytest
from django.contrib.auth import get_user_model
from django.test.utils import override_settings
from django.urls import reverse

from common.models import OperationLog
from common.services import Actor
from hospitals.models import Department, Doctor, Hospital
from hospitals.services import department_update, doctor_update, hospital_update
from tests.hospitals.factories import DepartmentFactory, DoctorFactory, HospitalFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:hospitals:list")


def _detail_url(hospital_id: int) -> str:
    return reverse("api:hospitals:detail", kwargs={"hospital_id": hospital_id})


def _doctors_url(department_id: int) -> str:
    return reverse(
        "api:hospitals:department-doctors", kwargs={"department_id": department_id}
    )


def _doctor_url(doctor_id: int) -> str:
    return reverse("api:hospitals:doctor-detail", kwargs={"doctor_id": doctor_id})


def _catalog_counts() -> tuple[int, int, int, int]:
    return (
        Hospital.objects.count(),
        Department.objects.count(),
        Doctor.objects.count(),
        OperationLog.objects.count(),
    )


# -- hospital list -----------------------------------------------------------------------


def test_hospital_list_needs_no_login_and_shows_open_hospitals(api_client):
    # given
    first = HospitalFactory(
        name="仁和医院",
        level=Hospital.Level.GRADE_3A,
        region="北京市朝阳区",
        address="朝阳路1号",
        phone="010-1",
    )
    HospitalFactory(name="关门医院", is_open=False)

    # when
    response = api_client.get(LIST_URL)

    # then
    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": first.pk,
                "name": "仁和医院",
                "level": "3A",
                "level_display": "三级甲等",
                "region": "北京市朝阳区",
                "address": "朝阳路1号",
                "phone": "010-1",
                "logo_url": "",
            }
        ],
    }


def test_hospital_list_works_for_a_logged_in_user_too(api_client):
    # given
    hospital = HospitalFactory()
    user = get_user_model().objects.create_user(username="patient1")
    api_client.force_authenticate(user)

    # when
    response = api_client.get(LIST_URL)

    # then
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [hospital.pk]


def test_hospital_list_searches_by_name_and_filters_level_and_region(api_client):
    # given
    wanted = HospitalFactory(
        name="上海瑞康医院", level=Hospital.Level.GRADE_3A, region="上海市徐汇区"
    )
    HospitalFactory(
        name="上海瑞康分院", level=Hospital.Level.GRADE_2A, region="上海市徐汇区"
    )
    HospitalFactory(
        name="瑞康社区医院", level=Hospital.Level.GRADE_3A, region="上海市黄浦区"
    )
    HospitalFactory(
        name="北京仁和医院", level=Hospital.Level.GRADE_3A, region="上海市徐汇区"
    )

    # when
    response = api_client.get(
        LIST_URL, {"q": "瑞康", "level": "3A", "region": "上海市徐汇区"}
    )

    # then
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


def test_hospital_list_paginates(api_client):
    # given
    hospitals = HospitalFactory.create_batch(3)

    # when
    response = api_client.get(LIST_URL, {"page": 2, "page_size": 2})

    # then
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 3
    assert [row["id"] for row in body["results"]] == [hospitals[2].pk]
    assert body["next"] is None
    assert body["previous"] == "http://testserver/api/v1/hospitals/?page_size=2"


def test_hospital_list_caps_a_huge_page_size_at_100(api_client):
    # given
    HospitalFactory.create_batch(101)

    # when
    response = api_client.get(LIST_URL, {"page_size": 10000})

    # then
    assert response.status_code == 200
    assert len(response.json()["results"]) == 100
    assert response.json()["count"] == 101


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"level": "xyz"}, "level", '"xyz" is not a valid choice.'),
        ({"page": "abc"}, "page", "A valid integer is required."),
        ({"page": "0"}, "page", "Ensure this value is greater than or equal to 1."),
        ({"page_size": "abc"}, "page_size", "A valid integer is required."),
        (
            {"page_size": "0"},
            "page_size",
            "Ensure this value is greater than or equal to 1.",
        ),
        (
            {"q": "医" * 51},
            "q",
            "Ensure this field has no more than 50 characters.",
        ),
        (
            {"region": "区" * 51},
            "region",
            "Ensure this field has no more than 50 characters.",
        ),
    ],
)
@override_settings(LANGUAGE_CODE="en")
def test_hospital_list_refuses_malformed_parameters_in_the_error_shape(
    api_client, params, field, message
):
    # given
    HospitalFactory()
    before = _catalog_counts()

    # when
    response = api_client.get(LIST_URL, params, HTTP_ACCEPT_LANGUAGE="en")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "Invalid input.",
            "fields": {field: [message]},
        }
    }
    assert _catalog_counts() == before


def test_hospital_list_page_past_the_end_answers_404_in_the_error_shape(api_client):
    # given
    HospitalFactory()

    # when
    response = api_client.get(LIST_URL, {"page": 5}, HTTP_ACCEPT_LANGUAGE="en")

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["fields"] == {}


@pytest.mark.parametrize("page_size", [1, 20])
def test_hospital_list_runs_two_queries_whatever_the_page_size(
    api_client, django_assert_num_queries, page_size
):
    # given
    HospitalFactory.create_batch(25)

    # when / then: one COUNT and one SELECT
    with django_assert_num_queries(2):
        response = api_client.get(LIST_URL, {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


def test_hospital_list_is_served_from_the_cache_on_the_second_request(
    api_client, django_assert_num_queries
):
    # given
    HospitalFactory.create_batch(2)
    first = api_client.get(LIST_URL)

    # when / then
    with django_assert_num_queries(0):
        second = api_client.get(LIST_URL)
    assert second.json() == first.json()


def test_hospital_rename_through_the_service_shows_on_the_next_request(
    api_client, django_capture_on_commit_callbacks
):
    # given
    hospital = HospitalFactory(name="旧名医院")
    assert api_client.get(LIST_URL).json()["results"][0]["name"] == "旧名医院"
    assert api_client.get(_detail_url(hospital.pk)).json()["name"] == "旧名医院"

    # when
    with django_capture_on_commit_callbacks(execute=True):
        hospital_update(
            actor=Actor.system(), hospital=hospital, data={"name": "新名医院"}
        )

    # then
    assert api_client.get(LIST_URL).json()["results"][0]["name"] == "新名医院"
    assert api_client.get(_detail_url(hospital.pk)).json()["name"] == "新名医院"


def test_a_write_outside_the_services_is_not_seen_until_the_cache_expires(
    api_client,
):
    # given: the cache really answers; only the services' version bump refreshes it
    hospital = HospitalFactory(name="旧名医院")
    api_client.get(LIST_URL)

    # when
    Hospital.objects.filter(pk=hospital.pk).update(name="绕过服务")

    # then
    assert api_client.get(LIST_URL).json()["results"][0]["name"] == "旧名医院"


# -- hospital detail ---------------------------------------------------------------------


def test_hospital_detail_shows_the_active_department_tree_sorted(api_client):
    # given
    hospital = HospitalFactory(name="仁和医院", introduction="综合医院")
    surgery = DepartmentFactory(hospital=hospital, name="外科", sort_order=2)
    medicine = DepartmentFactory(
        hospital=hospital, name="内科", sort_order=1, introduction="内科系统"
    )
    DepartmentFactory(hospital=hospital, name="停用科", is_active=False)
    digestive = DepartmentFactory(parent=medicine, name="消化内科", sort_order=2)
    cardio = DepartmentFactory(parent=medicine, name="心血管内科", sort_order=1)
    DepartmentFactory(parent=medicine, name="停用小科", is_active=False)
    DepartmentFactory(name="别家的内科")

    # when
    response = api_client.get(_detail_url(hospital.pk))

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "仁和医院"
    assert body["introduction"] == "综合医院"
    assert body["departments"] == [
        {
            "id": medicine.pk,
            "name": "内科",
            "introduction": "内科系统",
            "children": [
                {"id": cardio.pk, "name": "心血管内科", "introduction": ""},
                {"id": digestive.pk, "name": "消化内科", "introduction": ""},
            ],
        },
        {"id": surgery.pk, "name": "外科", "introduction": "", "children": []},
    ]


@pytest.mark.parametrize("departments", [1, 10])
def test_hospital_detail_runs_three_queries_whatever_the_tree_size(
    api_client, django_assert_num_queries, departments
):
    # given
    hospital = HospitalFactory()
    for _ in range(departments):
        DepartmentFactory.create_batch(3, parent=DepartmentFactory(hospital=hospital))

    # when / then: the hospital, the top-level departments, their clinics
    with django_assert_num_queries(3):
        response = api_client.get(_detail_url(hospital.pk))
    assert len(response.json()["departments"]) == departments


@pytest.mark.parametrize("hospital_id", [0, 999999, 2**63, 10**30])
def test_hospital_detail_of_an_unknown_id_answers_404(api_client, hospital_id):
    # given
    HospitalFactory()

    # when
    response = api_client.get(f"/api/v1/hospitals/{hospital_id}/")

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "hospital_not_found"


def test_hospital_detail_of_a_closed_hospital_answers_404(api_client):
    # given
    hospital = HospitalFactory(is_open=False)

    # when
    response = api_client.get(_detail_url(hospital.pk), HTTP_ACCEPT_LANGUAGE="en")

    # then
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "hospital_not_found",
            "message": "Hospital not found.",
            "fields": {},
        }
    }


def test_closing_a_cached_hospital_hides_it_at_once(
    api_client, django_capture_on_commit_callbacks
):
    # given
    hospital = HospitalFactory()
    assert api_client.get(_detail_url(hospital.pk)).status_code == 200

    # when
    with django_capture_on_commit_callbacks(execute=True):
        hospital_update(
            actor=Actor.system(), hospital=hospital, data={"is_open": False}
        )

    # then
    assert api_client.get(_detail_url(hospital.pk)).status_code == 404
    assert api_client.get(LIST_URL).json()["count"] == 0


# -- department doctors ------------------------------------------------------------------


def test_department_doctors_lists_active_doctors_seniors_first(api_client):
    # given
    department = DepartmentFactory(name="心内科")
    attending = DoctorFactory(
        department=department,
        name="王医生",
        title=Doctor.Title.ATTENDING,
        fee=2000,
        specialty="高血压",
    )
    chief = DoctorFactory(
        department=department, name="李医生", title=Doctor.Title.CHIEF, fee=5000
    )
    DoctorFactory(department=department, is_active=False)
    DoctorFactory()

    # when
    response = api_client.get(_doctors_url(department.pk))

    # then
    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert response.json()["results"] == [
        {
            "id": chief.pk,
            "name": "李医生",
            "title": "chief",
            "title_display": "主任医师",
            "specialty": "常见病、多发病",
            "photo_url": "",
            "fee": 5000,
            "department_id": department.pk,
            "department_name": "心内科",
        },
        {
            "id": attending.pk,
            "name": "王医生",
            "title": "attending",
            "title_display": "主治医师",
            "specialty": "高血压",
            "photo_url": "",
            "fee": 2000,
            "department_id": department.pk,
            "department_name": "心内科",
        },
    ]


def test_top_level_department_lists_its_active_clinics_doctors(api_client):
    # given
    medicine = DepartmentFactory(name="内科")
    cardio = DepartmentFactory(parent=medicine, name="心内科")
    closed_clinic = DepartmentFactory(parent=medicine, is_active=False)
    own = DoctorFactory(department=medicine)
    in_clinic = DoctorFactory(department=cardio)
    DoctorFactory(department=closed_clinic)

    # when
    response = api_client.get(_doctors_url(medicine.pk))

    # then
    assert [row["id"] for row in response.json()["results"]] == [own.pk, in_clinic.pk]


@pytest.mark.parametrize("page_size", [1, 20])
def test_department_doctors_runs_three_queries_whatever_the_page_size(
    api_client, django_assert_num_queries, page_size
):
    # given
    department = DepartmentFactory()
    DoctorFactory.create_batch(25, department=department)

    # when / then: the department, one COUNT, one SELECT with the department joined
    with django_assert_num_queries(3):
        response = api_client.get(_doctors_url(department.pk), {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize(
    "hidden",
    ["inactive", "parent_inactive", "hospital_closed", "unknown"],
)
def test_department_doctors_of_a_hidden_department_answers_404(api_client, hidden):
    # given
    parent = DepartmentFactory()
    department = DepartmentFactory(parent=parent)
    DoctorFactory(department=department)
    department_id = department.pk
    if hidden == "inactive":
        Department.objects.filter(pk=department.pk).update(is_active=False)
    elif hidden == "parent_inactive":
        Department.objects.filter(pk=parent.pk).update(is_active=False)
    elif hidden == "hospital_closed":
        Hospital.objects.filter(pk=department.hospital_id).update(is_open=False)
    else:
        department_id = department.pk + 1000

    # when
    response = api_client.get(_doctors_url(department_id))

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "department_not_found"


def test_department_doctors_refuses_a_malformed_page(api_client):
    # given
    department = DepartmentFactory()

    # when
    response = api_client.get(_doctors_url(department.pk), {"page": "abc"})

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == ["page"]


def test_deactivating_a_doctor_hides_them_from_the_cached_list(
    api_client, django_capture_on_commit_callbacks
):
    # given
    doctor = DoctorFactory()
    assert api_client.get(_doctors_url(doctor.department_id)).json()["count"] == 1

    # when
    with django_capture_on_commit_callbacks(execute=True):
        doctor_update(actor=Actor.system(), doctor=doctor, data={"is_active": False})

    # then
    assert api_client.get(_doctors_url(doctor.department_id)).json()["count"] == 0
    assert api_client.get(_doctor_url(doctor.pk)).status_code == 404


# -- doctor detail -----------------------------------------------------------------------


def test_doctor_detail_shows_hospital_department_and_fee_in_fen(api_client):
    # given
    hospital = HospitalFactory(name="仁和医院")
    department = DepartmentFactory(hospital=hospital, name="骨科")
    doctor = DoctorFactory(
        department=department,
        name="张三",
        title=Doctor.Title.ASSOCIATE_CHIEF,
        fee=3000,
        specialty="关节置换",
        introduction="从医二十年",
    )

    # when
    response = api_client.get(_doctor_url(doctor.pk))

    # then
    assert response.status_code == 200
    assert response.json() == {
        "id": doctor.pk,
        "name": "张三",
        "title": "associate_chief",
        "title_display": "副主任医师",
        "specialty": "关节置换",
        "introduction": "从医二十年",
        "photo_url": "",
        "fee": 3000,
        "hospital_id": hospital.pk,
        "hospital_name": "仁和医院",
        "department_id": department.pk,
        "department_name": "骨科",
    }


def test_doctor_detail_runs_one_query(api_client, django_assert_num_queries):
    # given
    doctor = DoctorFactory()

    # when / then
    with django_assert_num_queries(1):
        response = api_client.get(_doctor_url(doctor.pk))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "hidden",
    [
        "inactive",
        "department_inactive",
        "parent_inactive",
        "hospital_closed",
        "unknown",
    ],
)
def test_doctor_detail_of_a_hidden_doctor_answers_404(api_client, hidden):
    # given
    parent = DepartmentFactory()
    doctor = DoctorFactory(department=DepartmentFactory(parent=parent))
    doctor_id = doctor.pk
    if hidden == "inactive":
        Doctor.objects.filter(pk=doctor.pk).update(is_active=False)
    elif hidden == "department_inactive":
        Department.objects.filter(pk=doctor.department_id).update(is_active=False)
    elif hidden == "parent_inactive":
        Department.objects.filter(pk=parent.pk).update(is_active=False)
    elif hidden == "hospital_closed":
        Hospital.objects.filter(pk=doctor.hospital_id).update(is_open=False)
    else:
        doctor_id = doctor.pk + 1000

    # when
    response = api_client.get(_doctor_url(doctor_id))

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "doctor_not_found"


def test_renaming_a_department_shows_in_every_cached_answer(
    api_client, django_capture_on_commit_callbacks
):
    # given
    doctor = DoctorFactory(department=DepartmentFactory(name="旧科室"))
    api_client.get(_doctor_url(doctor.pk))
    api_client.get(_detail_url(doctor.hospital_id))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        department_update(
            actor=Actor.system(), department=doctor.department, data={"name": "新科室"}
        )

    # then
    assert api_client.get(_doctor_url(doctor.pk)).json()["department_name"] == "新科室"
    departments = api_client.get(_detail_url(doctor.hospital_id)).json()["departments"]
    assert departments[0]["name"] == "新科室"


def test_hospital_list_treats_empty_filters_as_no_filter(api_client):
    # given
    hospitals = HospitalFactory.create_batch(2)

    # when
    response = api_client.get(LIST_URL, {"q": "", "level": "", "region": ""})

    # then
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [
        h.pk for h in hospitals
    ]
