"""Phones and ID numbers are ASCII digits at every door: no second account, no second set
of SMS limits, no profile or staff record under a look-alike number (see accounts.validators).
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.admin.users import UserChangeForm
from accounts.models import PatientProfile, SmsCode, User
from appointments.admin.patient import patient_search_q
from tests.accounts.factories import PatientFactory, make_id_card_no

pytestmark = pytest.mark.django_db

ASCII_PHONE = "13992073870"
FULL_WIDTH_PHONE = "1399207387\uff10"  # the same phone to the eye: "1399207387０"
NON_ASCII_MESSAGE = "Use the digits 0-9 (half-width); other digits are not accepted."


def test_sms_send_refuses_a_full_width_phone_and_sends_nothing(api_client):
    response = api_client.post(
        reverse("api:accounts:sms-send"), {"phone": FULL_WIDTH_PHONE}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"phone": [NON_ASCII_MESSAGE]}
    assert SmsCode.objects.exists() is False


def test_sms_login_refuses_a_full_width_phone_and_creates_no_account(api_client):
    response = api_client.post(
        reverse("api:accounts:login-sms"),
        {"phone": FULL_WIDTH_PHONE, "code": "123456"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"phone": [NON_ASCII_MESSAGE]}
    assert User.objects.exists() is False


def test_the_ascii_phone_still_gets_its_code(api_client):
    response = api_client.post(
        reverse("api:accounts:sms-send"), {"phone": ASCII_PHONE}, format="json"
    )

    assert response.status_code == 200
    assert SmsCode.objects.get().phone == ASCII_PHONE


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", FULL_WIDTH_PHONE),
        ("id_card_no", "\uff11" + make_id_card_no()[1:]),
    ],
)
def test_profile_create_refuses_non_ascii_digits(api_client, field, value):
    user = PatientFactory()
    api_client.force_authenticate(user)
    body = {
        "name": "王小明",
        "relation": "self",
        "id_card_no": "11010519491231002X",
        "phone": ASCII_PHONE,
    }

    response = api_client.post(
        reverse("api:accounts:profile-create"), body | {field: value}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: [NON_ASCII_MESSAGE]}
    assert PatientProfile.objects.exists() is False


def test_the_admin_user_form_refuses_a_full_width_phone():
    user = PatientFactory()
    form = UserChangeForm(instance=user)
    form.cleaned_data = {"phone": FULL_WIDTH_PHONE}

    with pytest.raises(ValidationError) as excinfo:
        form.clean_phone()

    assert excinfo.value.messages == [NON_ASCII_MESSAGE]


@pytest.mark.parametrize(
    "term",
    [
        FULL_WIDTH_PHONE,
        "\uff11\uff12\uff13\uff14",  # "１２３４" as the ID number's last four
        "\uff11" + "1010519491231002X",
    ],
)
def test_the_desk_search_does_not_read_non_ascii_digits_as_numbers(term):
    assert patient_search_q(term) is None


def test_the_desk_search_reads_ascii_numbers():
    assert patient_search_q(ASCII_PHONE) is not None
    assert patient_search_q("002X") is not None
