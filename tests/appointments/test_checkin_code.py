"""The check-in code: issued to the patient as a token and a QR code, scanned at the desk."""

import base64
import datetime
import struct
import zlib

import pytest
import segno
import time_machine
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from appointments.checkin_code import SALT, checkin_code_issue
from appointments.models import Appointment
from tests.accounts.factories import StaffFactory, UserFactory
from tests.appointments.floor_helpers import floor_session, on_floor
from tests.hospitals.factories import DoctorFactory

pytestmark = pytest.mark.django_db

S = Appointment.Status
SCAN = reverse("api:appointments:check-in-scan")


def _at(session, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(session.date, datetime.time(hour, minute))
    )


def _client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _code_url(appointment: Appointment) -> str:
    return reverse("api:appointments:check-in-code", args=[appointment.pk])


def _png_modules(png: bytes, size: int, scale: int, border: int) -> list[list[int]]:
    """Read a greyscale/palette PNG without filters beyond None/Sub/Up and sample the
    centre of each QR module: 1 for dark. Enough for the PNGs segno writes."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    width, height, depth, color, *_ = header
    assert width == height == (size + 2 * border) * scale
    raw = zlib.decompress(idat)
    stride = (width * depth + 7) // 8
    rows, prev = [], bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        if kind == 2:  # Up
            row = bytearray((row[i] + prev[i]) & 0xFF for i in range(stride))
        elif kind == 1:  # Sub (1-byte left neighbour at these depths)
            for i in range(1, stride):
                row[i] = (row[i] + row[i - 1]) & 0xFF
        else:
            assert kind == 0, f"filter {kind}"
        rows.append(row)
        prev = row

    def pixel(x: int, y: int) -> int:
        bit = (rows[y][(x * depth) // 8] >> (7 - (x * depth) % 8)) & ((1 << depth) - 1)
        return bit

    dark = pixel(0, 0) ^ 1  # the quiet zone's corner is light
    return [
        [
            int(
                pixel(
                    (border + col) * scale + scale // 2,
                    (border + row) * scale + scale // 2,
                )
                == dark
            )
            for col in range(size)
        ]
        for row in range(size)
    ]


def test_the_patient_gets_a_token_and_the_qr_code_of_that_token():
    # given a paid booking
    session = floor_session()
    appointment = on_floor(session, queue_no=1, status=S.BOOKED)

    # when
    response = _client(appointment.user).get(_code_url(appointment))

    # then the token names the appointment, and the PNG's modules are the QR of it
    assert response.status_code == 200
    body = response.json()
    claim = signing.TimestampSigner(salt=SALT).unsign_object(body["code"])
    assert claim == {"a": appointment.pk, "h": appointment.hospital_id}
    png = base64.b64decode(body["png_base64"])
    qr = segno.make(body["code"], error="m", micro=False)
    size = qr.symbol_size(scale=1, border=0)[0]
    assert _png_modules(png, size, scale=6, border=4) == [list(r) for r in qr.matrix]
    expires_at = datetime.datetime.fromisoformat(body["expires_at"])
    assert expires_at == appointment.visit_ends_at


def test_another_patients_appointment_has_no_code_for_me():
    session = floor_session()
    appointment = on_floor(session, queue_no=1, status=S.BOOKED)

    response = _client(UserFactory()).get(_code_url(appointment))

    assert response.status_code == 404


def test_a_cancelled_or_checked_in_booking_has_no_code():
    session = floor_session()
    appointment = on_floor(session, queue_no=1, status=S.CHECKED_IN)

    response = _client(appointment.user).get(_code_url(appointment))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_checkable"


def _scan(user: User, code: str):
    return _client(user).post(SCAN, {"code": code}, format="json")


def test_the_desk_scans_the_code_in_the_window_and_checks_the_patient_in():
    # given a booking for 08:00-12:00 and its code
    session = floor_session()
    appointment = on_floor(session, queue_no=1, status=S.BOOKED)
    staff = StaffFactory(hospital=session.hospital)
    with time_machine.travel(_at(session, 7, 30), tick=False):
        code = checkin_code_issue(appointment=appointment).token

        # when the desk scans it at 07:30 (the window opens 60 minutes before)
        response = _scan(staff, code)

    # then
    assert response.status_code == 200
    assert response.json()["status"] == "checked_in"
    assert Appointment.objects.get(pk=appointment.pk).status == S.CHECKED_IN


def test_a_code_before_the_window_or_after_the_visit_is_refused():
    session = floor_session()
    appointment = on_floor(session, queue_no=1, status=S.BOOKED)
    staff = StaffFactory(hospital=session.hospital)
    with time_machine.travel(_at(session, 6, 0), tick=False):
        code = checkin_code_issue(appointment=appointment).token
        early = _scan(staff, code)
    with time_machine.travel(_at(session, 12, 0), tick=False):
        late = _scan(staff, code)

    assert early.status_code == 400
    assert early.json()["error"]["code"] == "checkin_code_not_yet_valid"
    assert late.status_code == 400
    assert late.json()["error"]["code"] == "checkin_code_expired"
    assert Appointment.objects.get(pk=appointment.pk).status == S.BOOKED


def test_a_code_older_than_a_day_is_refused():
    session = floor_session()
    appointment = on_floor(session, queue_no=1, status=S.BOOKED)
    staff = StaffFactory(hospital=session.hospital)
    with time_machine.travel(_at(session, 8, 0) - datetime.timedelta(days=2)):
        code = checkin_code_issue(appointment=appointment).token
    with time_machine.travel(_at(session, 8, 0), tick=False):
        response = _scan(staff, code)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "checkin_code_expired"


@pytest.mark.parametrize(
    "forge",
    [
        lambda code, a: code[:-2] + ("AA" if not code.endswith("AA") else "BB"),
        lambda code, a: signing.TimestampSigner(salt="other").sign_object(
            {"a": a.pk, "h": a.hospital_id}
        ),
        lambda code, a: signing.TimestampSigner(key="x" * 50, salt=SALT).sign_object(
            {"a": a.pk, "h": a.hospital_id}
        ),
        lambda code, a: "not-a-code",
    ],
    ids=["altered", "other-salt", "other-key", "garbage"],
)
def test_a_forged_code_is_refused(forge):
    session = floor_session()
    appointment = on_floor(session, queue_no=1, status=S.BOOKED)
    staff = StaffFactory(hospital=session.hospital)
    with time_machine.travel(_at(session, 8, 0), tick=False):
        code = checkin_code_issue(appointment=appointment).token
        response = _scan(staff, forge(code, appointment))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "checkin_code_invalid"
    assert Appointment.objects.get(pk=appointment.pk).status == S.BOOKED


def test_another_hospitals_desk_gets_404():
    session = floor_session()
    appointment = on_floor(session, queue_no=1, status=S.BOOKED)
    with time_machine.travel(_at(session, 8, 0), tick=False):
        code = checkin_code_issue(appointment=appointment).token
        response = _scan(StaffFactory(), code)

    assert response.status_code == 404
    assert Appointment.objects.get(pk=appointment.pk).status == S.BOOKED


def test_a_doctor_scans_only_for_their_own_sessions():
    session = floor_session()
    appointment = on_floor(session, queue_no=1, status=S.BOOKED)
    colleague = UserFactory(role=User.Role.DOCTOR, hospital=session.hospital)
    DoctorFactory(hospital=session.hospital, user=colleague)
    with time_machine.travel(_at(session, 8, 0), tick=False):
        code = checkin_code_issue(appointment=appointment).token
        response = _scan(colleague, code)

    assert response.status_code == 404


def test_patients_cannot_scan():
    session = floor_session()
    appointment = on_floor(session, queue_no=1, status=S.BOOKED)
    code = checkin_code_issue(appointment=appointment).token

    response = _scan(appointment.user, code)

    assert response.status_code == 403
