"""API helpers of the records tests: clients with real JWT access tokens."""

from rest_framework.test import APIClient

from accounts.models import User
from accounts.services.tokens import user_tokens_issue

BASE = "/api/v1/records/"


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {user_tokens_issue(user=user)['access']}"
    )
    return client
