import pytest
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english(settings):
    """Run every test in English, the language of the source strings.

    The product speaks Simplified Chinese (LANGUAGE_CODE = "zh-hans"), but tests assert exact
    messages, and asserting the English source strings keeps them stable while the translations
    get reworded. tests/common/test_translations.py switches to Chinese on purpose and checks the
    catalog itself.
    """
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
