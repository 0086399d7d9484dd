import pytest
from django.urls import reverse

from accounts.models import PatientProfile
from accounts.selectors import profile_phone
from accounts.services.tokens import user_tokens_issue
from appointments.models import Appointment
from common.models import OperationLog
from tests.accounts.factories import (
    PatientFactory,
    PatientProfileFactory,
    make_appointment,
)

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"
VALID = {"name": "王小明", "relation": "self", "id_card_no": ID, "phone": "13812341234"}


@pytest.fixture
def user():
    return PatientFactory()


@pytest.fixture
def client(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def _snapshot() -> list[tuple]:
    return list(
        PatientProfile.objects.order_by("pk").values_list(
            "pk", "name_encrypted", "relation", "phone_encrypted", "is_active"
        )
    )


def test_create_answers_201_with_masked_numbers(client, user):
    # when
    response = client.post(
        reverse("api:accounts:profile-create"),
        VALID | {"insurance_card_no": "SB12345678"},
        format="json",
    )

    # then
    assert response.status_code == 201
    profile = PatientProfile.objects.get()
    assert response.json() == {
        "id": profile.pk,
        "name": "王小明",
        "relation": "self",
        "gender": "female",
        "birth_date": "1949-12-31",
        "id_card_no": "110***********002X",
        "phone": "138****1234",
        "insurance_card_no": "SB****5678",
        "created_at": response.json()["created_at"],
    }
    assert profile.user == user
    assert ID not in response.content.decode()
    assert OperationLog.objects.get().action == "patient_profile_create"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (VALID | {"id_card_no": "110105194912310021"}, "id_card_no"),
        (VALID | {"id_card_no": "11010519491231002X0"}, "id_card_no"),
        (VALID | {"name": "名" * 51}, "name"),
        (VALID | {"name": ["王"]}, "name"),
        (VALID | {"relation": "boss"}, "relation"),
        (VALID | {"phone": "1381234123"}, "phone"),
        (VALID | {"gender": "male"}, "gender"),
        (VALID | {"gender": "other"}, "gender"),
        (VALID | {"birth_date": "1949-12-30"}, "birth_date"),
        (VALID | {"birth_date": 19491231}, "birth_date"),
        (VALID | {"insurance_card_no": "x" * 33}, "insurance_card_no"),
        ({k: v for k, v in VALID.items() if k != "id_card_no"}, "id_card_no"),
    ],
)
def test_create_rejects_bad_input_and_changes_nothing(client, payload, field):
    response = client.post(
        reverse("api:accounts:profile-create"), payload, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "invalid"
    assert list(body["error"]["fields"]) == [field]
    assert PatientProfile.objects.exists() is False
    assert OperationLog.objects.exists() is False


def test_create_with_malformed_json_changes_nothing(client):
    response = client.post(
        reverse("api:accounts:profile-create"),
        data='{"name": "王"',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"
    assert PatientProfile.objects.exists() is False


def test_create_with_a_json_list_body_is_invalid(client):
    response = client.post(
        reverse("api:accounts:profile-create"), data=[VALID], format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["non_field_errors"]


def test_the_sixth_profile_answers_409(client, user):
    for _ in range(5):
        PatientProfileFactory(user=user)

    response = client.post(reverse("api:accounts:profile-create"), VALID, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "profile_limit_reached",
            "message": "You can keep at most 5 patient profiles.",
            "fields": {},
        }
    }
    assert PatientProfile.objects.count() == 5


def test_list_shows_only_my_active_profiles(client, user, django_assert_num_queries):
    mine = [PatientProfileFactory(user=user) for _ in range(3)]
    PatientProfileFactory(user=user, is_active=None)
    PatientProfileFactory()  # someone else's

    with django_assert_num_queries(2):  # count + page
        response = client.get(reverse("api:accounts:profile-list"))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [p["id"] for p in body["results"]] == [p.pk for p in mine]
    assert all("*" in p["id_card_no"] for p in body["results"])


def test_detail_shows_my_profile_masked(client, user):
    profile = PatientProfileFactory(user=user, phone="13912345678")

    response = client.get(reverse("api:accounts:profile-detail", args=[profile.pk]))

    assert response.status_code == 200
    assert response.json()["phone"] == "139****5678"
    assert response.json()["id_card_no"].count("*") == 11


def test_update_changes_my_profile(client, user):
    profile = PatientProfileFactory(user=user, name="旧名")

    response = client.post(
        reverse("api:accounts:profile-update", args=[profile.pk]),
        {"name": "新名", "phone": "13700001111"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["name"] == "新名"
    assert response.json()["phone"] == "137****1111"
    profile.refresh_from_db()
    assert profile_phone(profile) == "13700001111"
    assert OperationLog.objects.get().action == "patient_profile_update"


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "名" * 51},
        {"name": 5.5, "phone": "123"},
        {"relation": "boss"},
        {"phone": "12345678901"},
    ],
)
def test_update_rejects_bad_input_and_changes_nothing(client, user, payload):
    profile = PatientProfileFactory(user=user)
    before = _snapshot()

    response = client.post(
        reverse("api:accounts:profile-update", args=[profile.pk]),
        payload,
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert _snapshot() == before
    assert OperationLog.objects.exists() is False


def test_update_cannot_change_the_id_number(client, user):
    profile = PatientProfileFactory(user=user)
    before = _snapshot()

    response = client.post(
        reverse("api:accounts:profile-update", args=[profile.pk]),
        {"id_card_no": ID},
        format="json",
    )

    # unknown fields are ignored: nothing to change
    assert response.status_code == 200
    assert _snapshot() == before
    assert OperationLog.objects.exists() is False


def test_delete_soft_deletes_my_profile(client, user):
    profile = PatientProfileFactory(user=user)

    response = client.post(reverse("api:accounts:profile-delete", args=[profile.pk]))

    assert response.status_code == 204
    profile.refresh_from_db()
    assert profile.is_active is None
    detail = client.get(reverse("api:accounts:profile-detail", args=[profile.pk]))
    assert detail.status_code == 404


@pytest.mark.clock
def test_delete_with_an_upcoming_appointment_answers_409(client, user):
    profile = PatientProfileFactory(user=user)
    make_appointment(profile=profile, status=Appointment.Status.BOOKED)

    response = client.post(reverse("api:accounts:profile-delete", args=[profile.pk]))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "profile_has_active_bookings"
    profile.refresh_from_db()
    assert profile.is_active is True


NOT_FOUND = {
    "error": {
        "code": "profile_not_found",
        "message": "Patient profile not found.",
        "fields": {},
    }
}


@pytest.mark.parametrize(
    ("method", "name"),
    [("get", "profile-detail"), ("post", "profile-update"), ("post", "profile-delete")],
)
def test_another_users_profile_answers_404_and_is_untouched(client, method, name):
    theirs = PatientProfileFactory(name="别人")
    before = _snapshot()

    response = getattr(client, method)(
        reverse(f"api:accounts:{name}", args=[theirs.pk]),
        {"name": "改了"},
        format="json",
    )

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert _snapshot() == before
    assert OperationLog.objects.exists() is False


@pytest.mark.parametrize("profile_id", [999999, 2**63, 10**30])
@pytest.mark.parametrize(
    ("method", "name"),
    [("get", "profile-detail"), ("post", "profile-update"), ("post", "profile-delete")],
)
def test_unknown_ids_answer_404(client, method, name, profile_id):
    response = getattr(client, method)(
        reverse(f"api:accounts:{name}", args=[profile_id]), {}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/accounts/profiles/"),
        ("post", "/api/v1/accounts/profiles/create/"),
        ("get", "/api/v1/accounts/profiles/1/"),
        ("post", "/api/v1/accounts/profiles/1/update/"),
        ("post", "/api/v1/accounts/profiles/1/delete/"),
    ],
)
def test_profile_endpoints_need_a_token(api_client, method, url):
    PatientProfileFactory()
    before = _snapshot()

    response = getattr(api_client, method)(url, VALID, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert _snapshot() == before


def test_a_real_access_token_reaches_the_profiles(api_client, user):
    PatientProfileFactory(user=user)
    api_client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {user_tokens_issue(user=user)['access']}"
    )

    response = api_client.get(reverse("api:accounts:profile-list"))

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_a_bad_token_on_profiles_answers_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")

    response = api_client.post(
        reverse("api:accounts:profile-create"), VALID, format="json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"
    assert PatientProfile.objects.exists() is False


def test_an_id_number_on_too_many_accounts_answers_409_and_adds_nothing(
    client, settings
):
    # given: the person is already a patient on another account, the most allowed
    settings.MAX_ACCOUNTS_PER_ID_CARD = 1
    PatientProfileFactory(id_card_no=ID)
    before = _snapshot()

    # when
    response = client.post(reverse("api:accounts:profile-create"), VALID, format="json")

    # then
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "id_card_on_too_many_accounts",
            "message": "This ID-card number is already a patient on the most "
            "accounts allowed (1).",
            "fields": {},
        }
    }
    assert _snapshot() == before
