"""However malformed a request is, the answer is a 4xx in the error shape, and nothing changes.

Nesting depth, body size, encodings, content types, huge numbers and lone surrogates are
refused by the API's parser (common/parsers.py); what is echoed back is always encodable
(common/renderers.py).
"""

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import PatientProfile, SmsCode
from accounts.services.tokens import user_tokens_issue
from billing.models import PaymentOrder
from common.parsers import nesting_depth_exceeds
from common.renderers import JSONRenderer
from tests.accounts.factories import PatientProfileFactory
from tests.billing.factories import pending_appointment

pytestmark = pytest.mark.django_db

# The anonymous endpoints that read a JSON body: anyone on the internet can reach them.
ANONYMOUS_JSON_ENDPOINTS = [
    "api:accounts:sms-send",
    "api:accounts:login-sms",
    "api:accounts:login-wechat",
    "api:accounts:token-refresh",
]
DEEP = "[" * 1000 + "]" * 1000  # 2 KB


@pytest.fixture
def client() -> Client:
    # A server error answers 500 here instead of raising in the test.
    return Client(raise_request_exception=False)


def log_in(client, user) -> None:
    access = user_tokens_issue(user=user)["access"]
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {access}"


@pytest.fixture
def patient_client(client):
    profile = PatientProfileFactory()
    log_in(client, profile.user)
    client.profile = profile
    return client


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def post_json(client, url: str, body: str | bytes, **extra):
    return client.post(url, body, content_type="application/json", **extra)


# -- nesting and size --------------------------------------------------------------------


@pytest.mark.parametrize("name", ANONYMOUS_JSON_ENDPOINTS)
def test_deeply_nested_json_answers_400_without_login(client, name):
    response = post_json(client, reverse(name), DEEP)

    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_request"
    assert SmsCode.objects.exists() is False


def test_deeply_nested_json_inside_an_object_answers_400(client):
    body = '{"phone": ' + "{" * 500 + "}" * 500 + "}"

    response = post_json(client, reverse("api:accounts:sms-send"), body)

    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_request"


def test_nesting_up_to_the_limit_is_parsed(client, settings):
    settings.API_JSON_MAX_DEPTH = 3
    body = json.dumps({"phone": [["13800138000"]]})  # depth 3

    response = post_json(client, reverse("api:accounts:sms-send"), body)

    # parsed, then refused by the serializer (a phone is not a list): a field error
    assert response.status_code == 400
    assert error_of(response)["fields"]["phone"]


@pytest.mark.parametrize(
    ("text", "deeper_than_2"),
    [
        ('{"a": [1, 2]}', False),
        ('{"a": [[1]]}', True),
        ('{"a": "[[[[[[[["}', False),  # brackets inside a string do not count
        ('{"a": "\\"[[[[", "b": []}', False),  # nor after an escaped quote
        ('[{"a": {}}]', True),
        ("", False),
    ],
)
def test_nesting_depth_counts_only_structure(text, deeper_than_2):
    assert nesting_depth_exceeds(text, 2) is deeper_than_2


def test_a_body_over_the_limit_answers_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"phone": "13800138000", "padding": "x" * 1024})

    response = post_json(client, reverse("api:accounts:sms-send"), body)

    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"
    assert SmsCode.objects.exists() is False


def test_a_body_at_the_limit_is_read(client, settings):
    body = json.dumps({"phone": "13800138000"}).encode()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body)

    response = post_json(client, reverse("api:accounts:sms-send"), body)

    assert response.status_code == 200
    assert SmsCode.objects.count() == 1


# -- encodings and content types ---------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"phone": "\xff\xfe"}',  # not UTF-8 at all
        b'{"phone": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8 (CESU-8)
        b'{"phone": "13800138000"',  # cut short
        b"\xef\xbb\xbf{}",  # a byte-order mark
    ],
)
def test_bodies_that_are_not_json_text_answer_400(client, body):
    response = post_json(client, reverse("api:accounts:sms-send"), body)

    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_request"
    assert SmsCode.objects.exists() is False


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/xml",
        "application/octet-stream",
    ],
)
def test_other_content_types_answer_415(client, content_type):
    response = client.post(
        reverse("api:accounts:sms-send"),
        "phone=13800138000",
        content_type=content_type,
    )

    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"
    assert SmsCode.objects.exists() is False


# -- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "1" + "0" * 400,  # 10**400
        "-" + "9" * 20,
        "9223372036854775808",  # 2**63: one past a 64-bit id
        "1" + "0" * 5000,  # past Python's own limit for int()
        "1e400",  # infinity as a float
        "NaN",
        "-Infinity",
    ],
)
def test_numbers_out_of_range_answer_400(patient_client, number):
    profile = patient_client.profile
    body = f'{{"slot_id": {number}, "profile_id": {profile.pk}}}'

    response = post_json(patient_client, reverse("api:appointments:book"), body)

    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_request"


def test_the_largest_64_bit_id_is_a_number_that_is_not_found(patient_client):
    profile = patient_client.profile
    body = f'{{"slot_id": 9223372036854775807, "profile_id": {profile.pk}}}'

    response = post_json(patient_client, reverse("api:appointments:book"), body)

    assert response.status_code == 404
    assert error_of(response)["code"] == "slot_not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/hospitals/{n}/",
        "/api/v1/hospitals/doctors/{n}/",
        "/api/v1/hospitals/departments/{n}/doctors/",
        "/api/v1/scheduling/sessions/{n}/",
        "/api/v1/appointments/{n}/",
        "/api/v1/billing/orders/{n}/",
        "/api/v1/accounts/profiles/{n}/",
    ],
)
def test_a_huge_id_in_the_url_answers_404(patient_client, path):
    response = patient_client.get(path.format(n="1" + "0" * 400))

    assert response.status_code == 404
    assert error_of(response)["code"].endswith("not_found")


# -- lone surrogates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "field"),
    [
        ("api:accounts:profile-create", "relation"),
        ("api:accounts:profile-create", "gender"),
        ("api:accounts:profile-create", "name"),
    ],
)
def test_a_lone_surrogate_in_a_profile_answers_400(patient_client, url_name, field):
    before = PatientProfile.objects.count()
    body = {
        "name": "王小明",
        "relation": "self",
        "id_card_no": "11010519491231002X",
        "phone": "13812341234",
    }
    text = json.dumps(body | {field: "__X__"}).replace("__X__", "\\ud800")

    response = post_json(patient_client, reverse(url_name), text)

    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_request"
    assert PatientProfile.objects.count() == before


def test_a_lone_surrogate_in_a_profile_update_answers_400(patient_client):
    profile = patient_client.profile
    url = reverse("api:accounts:profile-update", args=[profile.pk])

    response = post_json(patient_client, url, '{"relation": "\\udfff"}')

    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_request"
    profile.refresh_from_db()
    assert profile.relation == PatientProfile.Relation.SELF


@pytest.mark.clock
def test_a_lone_surrogate_as_a_payment_channel_answers_400(client):
    appointment = pending_appointment()
    log_in(client, appointment.user)
    body = f'{{"appointment_id": {appointment.pk}, "channel": "\\ud800"}}'

    response = post_json(client, reverse("api:billing:order-create"), body)

    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_request"
    assert PaymentOrder.objects.exists() is False


def test_a_lone_surrogate_in_a_key_answers_400(client):
    response = post_json(
        client, reverse("api:accounts:sms-send"), '{"\\ud800": 1, "phone": "1"}'
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_request"


def test_a_surrogate_pair_is_a_character_like_any_other(patient_client):
    # "\ud83d\ude00" is one emoji, escaped as JSON allows: parsed, then judged by the field.
    text = '{"relation": "\\ud83d\\ude00"}'
    url = reverse("api:accounts:profile-update", args=[patient_client.profile.pk])

    response = post_json(patient_client, url, text)

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"
    assert "relation" in error_of(response)["fields"]


def test_a_400_echoing_a_lone_surrogate_is_still_sent(patient_client, monkeypatch):
    # Should a lone surrogate get past the parser, the choice field's 400 that names it
    # must still be sent, not turn into a 500 while encoding.
    monkeypatch.setattr("common.parsers._has_lone_surrogate", lambda data: False)
    url = reverse("api:accounts:profile-update", args=[patient_client.profile.pk])

    response = post_json(patient_client, url, '{"relation": "\\ud800"}')

    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "relation": ['"\ud800" is not a valid choice.']
    }
    assert b"\\ud800" in response.content  # escaped: the body is valid UTF-8
    response.content.decode("utf-8")


def test_an_answer_echoing_a_lone_surrogate_is_still_sent():
    data = {"error": {"code": "invalid", "message": '"\ud800" is not a valid choice.'}}

    rendered = JSONRenderer().render(data)

    assert json.loads(rendered) == data
    rendered.decode("utf-8")  # valid UTF-8: the surrogate went out as an escape


def test_answers_without_surrogates_keep_their_characters():
    rendered = JSONRenderer().render({"message": "号源已满"})

    assert rendered == '{"message":"号源已满"}'.encode()


# -- Django's own 400s ---------------------------------------------------------------------


def test_a_host_not_allowed_answers_400_in_the_error_shape(client):
    response = client.get("/api/v1/hospitals/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_request"
