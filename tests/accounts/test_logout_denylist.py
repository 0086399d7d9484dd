"""After logout, every token of the logged-out session is refused, access tokens included."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import RevokedLoginSession
from accounts.services.tokens import revoked_login_sessions_prune, user_tokens_issue
from accounts.tasks import revoked_login_sessions_prune as prune_task
from tests.accounts.factories import PatientFactory

pytestmark = pytest.mark.django_db

ME = reverse("api:accounts:me")
LOGOUT = reverse("api:accounts:logout")
REFRESH = reverse("api:accounts:token-refresh")


def _me(api_client, access: str):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api_client.get(ME)


def _logout(api_client, access: str, refresh: str):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api_client.post(LOGOUT, {"refresh": refresh}, format="json")


def _refresh(api_client, refresh: str):
    api_client.credentials()
    return api_client.post(REFRESH, {"refresh": refresh}, format="json")


def test_after_logout_the_old_access_token_answers_401_in_the_error_shape(api_client):
    # given a logged-in patient whose access token works
    tokens = user_tokens_issue(user=PatientFactory())
    assert _me(api_client, tokens["access"]).status_code == 200

    # when they log out
    assert _logout(api_client, tokens["access"], tokens["refresh"]).status_code == 204

    # then the access token of that session is refused
    response = _me(api_client, tokens["access"])
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "token_not_valid",
            "message": "The token is invalid or has expired.",
            "fields": {},
        }
    }


def test_access_tokens_from_before_and_after_a_refresh_are_all_refused(api_client):
    # given a session whose refresh token was rotated once
    first = user_tokens_issue(user=PatientFactory())
    second = _refresh(api_client, first["refresh"]).json()

    # when the patient logs out with the current refresh token
    assert _logout(api_client, second["access"], second["refresh"]).status_code == 204

    # then both access tokens of the session are refused
    assert _me(api_client, first["access"]).status_code == 401
    assert _me(api_client, second["access"]).status_code == 401


def test_a_refresh_token_of_a_revoked_session_is_refused(api_client):
    # given a session logged out while a rotation was in flight: the refresh token that
    # rotation handed out is not on the blacklist
    tokens = user_tokens_issue(user=PatientFactory())
    rotated = _refresh(api_client, tokens["refresh"]).json()
    in_flight = RefreshToken(rotated["refresh"])
    _logout(api_client, rotated["access"], rotated["refresh"])
    in_flight.set_jti()
    in_flight.set_exp()
    in_flight.outstand()

    # when it is used
    response = _refresh(api_client, str(in_flight))

    # then the session's revocation refuses it
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_logging_out_with_a_spent_refresh_token_is_refused(api_client):
    first = user_tokens_issue(user=PatientFactory())
    second = _refresh(api_client, first["refresh"]).json()

    response = _logout(api_client, second["access"], first["refresh"])

    assert response.status_code == 401
    assert not RevokedLoginSession.objects.exists()
    assert _me(api_client, second["access"]).status_code == 200


def test_another_session_of_the_same_patient_keeps_working(api_client):
    patient = PatientFactory()
    phone = user_tokens_issue(user=patient)
    tablet = user_tokens_issue(user=patient)

    _logout(api_client, phone["access"], phone["refresh"])

    assert _me(api_client, tablet["access"]).status_code == 200
    assert _refresh(api_client, tablet["refresh"]).status_code == 200


def test_a_refused_logout_revokes_nothing(api_client):
    mine = user_tokens_issue(user=PatientFactory())
    theirs = user_tokens_issue(user=PatientFactory())

    response = _logout(api_client, mine["access"], theirs["refresh"])

    assert response.status_code == 401
    assert not RevokedLoginSession.objects.exists()
    assert _me(api_client, theirs["access"]).status_code == 200


def test_a_revoked_session_is_kept_until_its_last_token_could_expire(
    api_client, settings
):
    tokens = user_tokens_issue(user=PatientFactory())
    before = timezone.now()
    _logout(api_client, tokens["access"], tokens["refresh"])

    revoked = RevokedLoginSession.objects.get()

    refresh_lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    assert revoked.expires_at >= before + refresh_lifetime


def test_pruning_removes_only_sessions_whose_tokens_have_all_expired(api_client):
    # given two logged-out sessions, one long ago and one just now
    long_ago = timezone.now() - datetime.timedelta(days=30)
    with time_machine.travel(long_ago, tick=False):
        old = user_tokens_issue(user=PatientFactory())
        _logout(api_client, old["access"], old["refresh"])
    recent = user_tokens_issue(user=PatientFactory())
    _logout(api_client, recent["access"], recent["refresh"])

    # when the periodic job runs
    deleted = prune_task()

    # then only the old one is gone, and the recent one is still refused
    assert deleted == 1
    assert RevokedLoginSession.objects.count() == 1
    assert _me(api_client, recent["access"]).status_code == 401
    assert revoked_login_sessions_prune() == 0
