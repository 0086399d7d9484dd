import pytest
from rest_framework.test import APIRequestFactory

from accounts.auth import AuthenticationFailed, JWTAuthentication
from accounts.services.tokens import user_tokens_issue
from tests.accounts.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _request(authorization: str | None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return APIRequestFactory().get("/", **headers)


def test_a_valid_access_token_authenticates_the_user():
    user = PatientFactory()
    access = user_tokens_issue(user=user)["access"]

    authenticated, token = JWTAuthentication().authenticate(
        _request(f"Bearer {access}")
    )

    assert authenticated == user


def test_no_header_means_anonymous():
    assert JWTAuthentication().authenticate(_request(None)) is None


@pytest.mark.parametrize("value", ["Bearer garbage", "Bearer a.b.c"])
def test_a_bad_token_raises_a_flat_message(value):
    with pytest.raises(AuthenticationFailed) as excinfo:
        JWTAuthentication().authenticate(_request(value))

    assert excinfo.value.status_code == 401
    assert excinfo.value.default_code == "token_not_valid"
    assert str(excinfo.value.detail) == "The token is invalid or has expired."


def test_a_token_of_a_disabled_user_raises_a_flat_message():
    user = PatientFactory()
    access = user_tokens_issue(user=user)["access"]
    user.is_active = False
    user.save()

    with pytest.raises(AuthenticationFailed) as excinfo:
        JWTAuthentication().authenticate(_request(f"Bearer {access}"))

    assert excinfo.value.default_code == "user_inactive"
    assert isinstance(excinfo.value.detail, str)
    assert "{" not in str(excinfo.value.detail)
