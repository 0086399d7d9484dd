"""The mini-program's error map (miniprogram/utils/error-messages.json) holds every error code
the API can answer with, and no code that no longer exists.

The codes: every StrEnum of every app's errors.py, the codes raised as literals in the
project's code, and those of the error shape itself (DRF's exceptions as common.api renders
them, simplejwt's, and the 404/500 views)."""

import importlib
import inspect
import json
import re
from enum import StrEnum
from pathlib import Path

import rest_framework_simplejwt.authentication
import rest_framework_simplejwt.exceptions
from rest_framework import exceptions as drf_exceptions

from tests.clients.conftest import MINIPROGRAM

ROOT = MINIPROGRAM.parent
NOT_OURS = {".venv", "tests", "mutants", "node_modules", "miniprogram", "staticfiles"}
# A DomainError (or subclass) raised with a literal code instead of an ErrorCode member.
LITERAL_RAISE = re.compile(
    r"\b(?:DomainError|NotAllowed|NotFound|Conflict|Unprocessable|Throttled|"
    r"ServiceUnavailable|RecordLocked|AttachmentRefused)\(\s*\"([a-z][a-z0-9_]*)\""
)
# accounts.auth.AuthenticationFailed(message, code)
AUTH_FAILED = re.compile(
    r"AuthenticationFailed\(\s*_\([^)]*\),\s*\"([a-z][a-z0-9_]*)\""
)
SIMPLEJWT_CODE = re.compile(r"code=\"([a-z][a-z0-9_]*)\"")


def _project_sources() -> list[Path]:
    return [
        path
        for path in ROOT.glob("*/**/*.py")
        if path.relative_to(ROOT).parts[0] not in NOT_OURS
        and "migrations" not in path.parts
    ]


def enum_codes() -> set[str]:
    codes = set()
    for errors_file in sorted(ROOT.glob("*/errors.py")):
        module = importlib.import_module(f"{errors_file.parent.name}.errors")
        for _name, member in inspect.getmembers(module, inspect.isclass):
            if issubclass(member, StrEnum) and member.__module__ == module.__name__:
                codes |= {code.value for code in member}
    return codes


def literal_codes() -> set[str]:
    codes = set()
    for path in _project_sources():
        text = path.read_text(encoding="utf-8")
        codes |= set(LITERAL_RAISE.findall(text)) | set(AUTH_FAILED.findall(text))
    return codes


def error_shape_codes() -> set[str]:
    drf = {
        cls.default_code
        for _name, cls in inspect.getmembers(drf_exceptions, inspect.isclass)
        if issubclass(cls, drf_exceptions.APIException)
    }
    drf.discard("parse_error")  # common.api answers it as malformed_request
    jwt = {
        cls.default_code
        for _name, cls in inspect.getmembers(
            rest_framework_simplejwt.exceptions, inspect.isclass
        )
        if issubclass(cls, drf_exceptions.APIException)
    }
    jwt |= set(
        SIMPLEJWT_CODE.findall(
            Path(inspect.getfile(rest_framework_simplejwt.authentication)).read_text()
        )
    )
    return drf | jwt | {"not_found", "server_error"}  # common.api's 404 and 500 views


def api_codes() -> set[str]:
    return enum_codes() | literal_codes() | error_shape_codes()


def map_codes() -> set[str]:
    table = json.loads((MINIPROGRAM / "utils" / "error-messages.json").read_text())
    return set(table["messages"])


def test_the_collection_finds_codes_of_each_kind():
    # Guards the collectors themselves: each source yields what we know is there.
    assert {"slot_full", "sms_code_invalid", "malformed_request"} <= enum_codes()
    assert {"record_not_found", "report_final", "token_not_valid"} <= literal_codes()
    assert {"not_authenticated", "invalid", "throttled", "user_inactive"} <= (
        error_shape_codes()
    )
    assert "parse_error" not in error_shape_codes()


def test_the_error_map_holds_every_code_the_api_can_return():
    missing = sorted(api_codes() - map_codes())
    assert not missing, (
        f"add these codes to miniprogram/utils/error-messages.json: {missing}"
    )


def test_the_error_map_holds_no_code_that_no_longer_exists():
    stale = sorted(map_codes() - api_codes())
    assert not stale, (
        f"these codes are no longer returned; remove them from the map: {stale}"
    )
