"""Schemathesis over the whole OpenAPI schema, bounded: no 5xx, and every answer as documented.

Each operation of /api/schema/ gets a bounded number of generated requests (valid and
invalid), sent in-process to the WSGI application as a logged-in patient (staff for the
desk's endpoints). Path and body ids are
sometimes swapped for ids of real rows, so the successful answers are checked against the
schema too, not only the 404s. Checks: no server error, the status code and content type are
documented, and the body matches the documented schema.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services.tokens import user_tokens_issue
from config.wsgi import application
from tests.accounts.factories import StaffFactory
from tests.appointments.factories import PatientProfileFactory
from tests.billing.factories import open_order, pending_appointment
from tests.fakes.wechat_server import FakeWeChatServer
from tests.scheduling.factories import SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.schema_fuzz, pytest.mark.clock]

# Generated requests per operation (about 40 operations; schemathesis adds its boundary
# and wrong-method cases). Small enough for CI; the malformed bodies it seldom makes (deep
# nesting, lone surrogates, huge numbers) have their own tests in tests/common.
MAX_EXAMPLES = 25


@pytest.fixture
def wechat(settings):
    """WeChat login goes to a local fake, which refuses the codes the fuzzer makes up."""
    server = FakeWeChatServer().start()
    settings.WECHAT_API_BASE_URL = server.base_url
    settings.WECHAT_APP_ID = server.app_id
    settings.WECHAT_APP_SECRET = server.app_secret
    yield server
    server.stop()


@pytest.fixture
def connection_kept():
    """Keep the test's database connection across requests, as Django's test client does.

    The WSGI handler closes a connection that is not in autocommit at the end of each
    request; inside the test's transaction that would close it (MariaDB: "server has gone
    away" on the next query).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(settings, wechat, connection_kept):
    """One of everything a patient can read, and a desk clerk of its hospital."""
    settings.PAYMENTS_DEV_GATEWAY = True
    settings.SMS_BACKEND = "console"
    slot = SlotFactory()
    profile = PatientProfileFactory()
    appointment = pending_appointment(profile=profile)
    order = open_order(appointment=appointment)
    session = slot.session
    staff = StaffFactory(hospital=session.hospital)
    return {
        "patient": user_tokens_issue(user=profile.user)["access"],
        "staff": user_tokens_issue(user=staff)["access"],
        "ids": {
            "hospital_id": session.hospital_id,
            "department_id": session.doctor.department_id,
            "doctor_id": session.doctor_id,
            "session_id": session.pk,
            "slot_id": slot.pk,
            "profile_id": profile.pk,
            "appointment_id": appointment.pk,
            "order_id": order.pk,
        },
    }


def with_real_ids(values: dict | None, ids: dict[str, int]) -> None:
    """Swap about half of the generated ids for ids of real rows, so that successful
    answers are checked as well as the 404s (an even number is swapped)."""
    if not isinstance(values, dict):
        return
    for name, real_id in ids.items():
        value = values.get(name)
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value % 2 == 0:
            values[name] = real_id


# Loaded at collection: the schema view reads no table.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, world):
    with_real_ids(case.path_parameters, world["ids"])
    with_real_ids(case.body, world["ids"])
    token = world["staff"] if "/staff/" in case.path else world["patient"]

    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
