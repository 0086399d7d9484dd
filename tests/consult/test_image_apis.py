"""Consult images through the API: problem images, image messages, the signed links, every
refusal leaving nothing behind (no row, no file), recall, the upload log and throttle."""

import datetime
import io
import re
from pathlib import Path

import pytest
import time_machine
from django.core import signing
from django.db import DatabaseError
from django.utils import timezone
from PIL import ExifTags, Image
from rest_framework.test import APIClient

from common import crypto
from common.models import OperationLog
from common.services import Actor
from consult.image_files import image_content, image_token
from consult.models import Consult, ConsultImage, ConsultMessage
from consult.services import images as image_services
from consult.services.consults import consult_close
from tests.accounts.factories import PatientProfileFactory
from tests.consult.factories import BASE, consult_for, offering_doctor
from tests.consult.image_files import SVG, gif, jpeg, jpeg_with_gps, noisy_jpeg, png
from tests.records.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """Images go to a fresh folder per test (the default storage's MEDIA_ROOT)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _stored_files(media_root: Path) -> list[Path]:
    return sorted(p for p in media_root.rglob("*") if p.is_file())


def _upload(content: bytes, name: str = "photo.jpg", content_type="image/jpeg"):
    file = io.BytesIO(content)
    file.name = name
    return {"image": file}


def _code(response) -> str:
    return response.json()["error"]["code"]


@pytest.fixture
def world():
    doctor = offering_doctor()
    profile = PatientProfileFactory()
    consult = consult_for(doctor=doctor, profile=profile)
    return {
        "consult": consult,
        "patient": client_for(profile.user),
        "doctor": client_for(doctor.user),
        "doctor_user": doctor.user,
        "stranger": client_for(PatientProfileFactory().user),
    }


def _problem_url(consult) -> str:
    return f"{BASE}{consult.pk}/problem-images/"


def _send_url(consult) -> str:
    return f"{BASE}{consult.pk}/messages/send-image/"


def test_a_problem_image_is_stored_encrypted_and_served_by_its_signed_link(
    world, media_root
):
    consult = world["consult"]

    added = world["patient"].post(
        _problem_url(consult), _upload(jpeg_with_gps()), format="multipart"
    )

    assert added.status_code == 201, added.json()
    body = added.json()
    assert set(body) == {"id", "url"}
    assert body["url"].startswith("/api/v1/consult/images/")
    image = ConsultImage.objects.get(pk=body["id"])
    assert (image.kind, image.uploaded_by_id) == ("problem", consult.user_id)
    assert (image.width, image.height, image.content_type) == (40, 30, "image/jpeg")
    # The storage holds only ciphertext, under a random name.
    [stored] = _stored_files(media_root)
    assert stored.name == Path(image.storage_name).name
    assert re.fullmatch(r"[0-9a-f]{32}\.bin", stored.name)
    raw = stored.read_bytes()
    assert not raw.startswith(b"\xff\xd8")
    assert b"JFIF" not in raw
    assert image.key_id == crypto.key_id(crypto.current_key())
    assert image.size == len(image_content(image))

    # The link needs no header (an <image src>), and answers the image with safe headers.
    served = APIClient().get(body["url"])
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert "private" in served["Cache-Control"]
    assert served["X-Content-Type-Options"] == "nosniff"
    picture = Image.open(io.BytesIO(served.content))
    assert picture.size == (40, 30)
    # GPS (and all EXIF) is gone from what is stored and served.
    assert picture.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert b"Exif" not in served.content

    # Both parties see it in the consult.
    for party in ("patient", "doctor"):
        detail = world[party].get(f"{BASE}{consult.pk}/").json()
        assert [i["id"] for i in detail["problem_images"]] == [image.pk]
    listed = world["patient"].get(BASE).json()["results"][0]
    assert [i["id"] for i in listed["problem_images"]] == [image.pk]

    log = OperationLog.objects.get(action="consult.image_upload")
    assert (log.object_id, log.summary) == (str(image.pk), "problem")


def test_an_image_accepts_an_accept_header_for_images_and_still_answers_json_errors(
    world,
):
    added = world["patient"].post(
        _problem_url(world["consult"]), _upload(png()), format="multipart"
    )
    url = added.json()["url"]
    anonymous = APIClient()

    served = anonymous.get(url, HTTP_ACCEPT="image/webp,image/*")
    assert (served.status_code, served["Content-Type"]) == (200, "image/png")
    refused = anonymous.get(url + "x/", HTTP_ACCEPT="image/webp,image/*")
    assert refused.status_code == 404
    # A bad Authorization header does not stand in the way of a good link.
    assert anonymous.get(url, HTTP_AUTHORIZATION="Bearer nonsense").status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("nonsense", id="garbage"),
        pytest.param(signing.dumps(1, salt="another.use"), id="other-salt"),
        pytest.param(signing.dumps("1", salt="consult.image-link"), id="not-an-id"),
    ],
)
def test_a_bad_link_answers_404_in_the_error_shape(world, token):
    response = world["patient"].get(f"{BASE}images/{token}/")

    assert response.status_code == 404
    assert _code(response) == "consult_image_not_found"


def test_a_tampered_or_expired_link_answers_404(world):
    added = world["patient"].post(
        _problem_url(world["consult"]), _upload(jpeg()), format="multipart"
    )
    token = image_token(added.json()["id"])
    value, signature = token.rsplit(":", 1)
    # Another image id under this token's signature; the signature altered.
    other_id = signing.dumps(added.json()["id"] + 1, salt="consult.image-link")
    swapped = other_id.split(":")[0] + token[len(token.split(":")[0]) :]
    altered = f"{value}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"

    for bad in (swapped, altered):
        response = world["patient"].get(f"{BASE}images/{bad}/")
        assert (response.status_code, _code(response)) == (
            404,
            "consult_image_not_found",
        )
    assert world["patient"].get(f"{BASE}images/{token}/").status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=61)):
        expired = world["patient"].get(f"{BASE}images/{token}/")
    assert expired.status_code == 404
    assert _code(expired) == "consult_image_not_found"


def test_only_the_patient_adds_problem_images_and_a_stranger_gets_404(
    world, media_root
):
    consult = world["consult"]

    by_doctor = world["doctor"].post(
        _problem_url(consult), _upload(jpeg()), format="multipart"
    )
    by_stranger = world["stranger"].post(
        _problem_url(consult), _upload(jpeg()), format="multipart"
    )
    by_stranger_send = world["stranger"].post(
        _send_url(consult), _upload(jpeg()), format="multipart"
    )

    assert (by_doctor.status_code, _code(by_doctor)) == (
        403,
        "consult_image_patient_only",
    )
    assert (by_stranger.status_code, _code(by_stranger)) == (404, "consult_not_found")
    assert by_stranger_send.status_code == 404
    assert ConsultImage.objects.count() == 0
    assert _stored_files(media_root) == []


def test_the_tenth_problem_image_is_refused_and_leaves_nothing(world, media_root):
    consult = world["consult"]
    for _ in range(9):
        assert (
            world["patient"]
            .post(_problem_url(consult), _upload(jpeg()), format="multipart")
            .status_code
            == 201
        )

    tenth = world["patient"].post(
        _problem_url(consult), _upload(jpeg()), format="multipart"
    )

    assert (tenth.status_code, _code(tenth)) == (409, "consult_image_limit_reached")
    assert ConsultImage.objects.filter(consult=consult).count() == 9
    assert len(_stored_files(media_root)) == 9
    detail = world["patient"].get(f"{BASE}{consult.pk}/").json()
    assert len(detail["problem_images"]) == 9


def test_the_limit_checked_under_the_lock_removes_the_file_it_wrote(
    world, media_root, monkeypatch
):
    # given: 9 images appear between the early check and the locked one (another upload)
    consult = world["consult"]
    for _ in range(9):
        world["patient"].post(
            _problem_url(consult), _upload(jpeg()), format="multipart"
        )
    before = _stored_files(media_root)
    checks = []
    original = image_services._problem_image_check

    def early_check_passes(consult):
        checks.append(consult)
        if len(checks) > 1:
            original(consult)

    monkeypatch.setattr(image_services, "_problem_image_check", early_check_passes)

    response = world["patient"].post(
        _problem_url(consult), _upload(jpeg()), format="multipart"
    )

    assert (response.status_code, _code(response)) == (
        409,
        "consult_image_limit_reached",
    )
    assert len(checks) == 2
    assert _stored_files(media_root) == before
    assert ConsultImage.objects.count() == 9


@pytest.mark.parametrize("status", ["closed", "rated", "cancelled"])
def test_no_problem_image_once_the_consult_has_ended(world, media_root, status):
    consult = world["consult"]
    Consult.objects.filter(pk=consult.pk).update(status=status)

    response = world["patient"].post(
        _problem_url(consult), _upload(jpeg()), format="multipart"
    )

    assert (response.status_code, _code(response)) == (409, "consult_not_open")
    assert _stored_files(media_root) == []


def test_a_consult_awaiting_payment_takes_problem_images_but_not_image_messages(
    media_root,
):
    doctor = offering_doctor(fee=1500)
    profile = PatientProfileFactory()
    consult = consult_for(doctor=doctor, profile=profile)
    assert consult.status == "awaiting_payment"
    patient = client_for(profile.user)

    assert (
        patient.post(
            _problem_url(consult), _upload(jpeg()), format="multipart"
        ).status_code
        == 201
    )
    sent = patient.post(_send_url(consult), _upload(jpeg()), format="multipart")
    assert (sent.status_code, _code(sent)) == (409, "consult_not_open")
    assert len(_stored_files(media_root)) == 1


DISGUISED = [
    pytest.param(
        b"hello, I am text", "notes.jpg", "type_not_allowed", id="text-as-jpg"
    ),
    pytest.param(SVG, "vector.png", "type_not_allowed", id="svg"),
    pytest.param(gif(), "animation.jpg", "type_not_allowed", id="gif"),
    pytest.param(
        b"%PDF-1.4\n" + jpeg(), "report.jpg", "type_not_allowed", id="polyglot"
    ),
    pytest.param(
        noisy_jpeg()[: len(noisy_jpeg()) // 2], "cut.jpg", "unreadable", id="truncated"
    ),
    pytest.param(b"", "empty.jpg", "empty", id="empty"),
]


@pytest.mark.parametrize(("content", "name", "code"), DISGUISED)
@pytest.mark.parametrize("route", ["problem", "message"])
def test_a_disguised_or_broken_file_is_refused_and_nothing_is_stored(
    world, media_root, content, name, code, route
):
    url = (
        _problem_url(world["consult"])
        if route == "problem"
        else _send_url(world["consult"])
    )

    response = world["patient"].post(url, _upload(content, name), format="multipart")

    assert response.status_code == 400
    assert _code(response) == f"consult_image_{code}"
    assert list(response.json()["error"]["fields"]) == ["image"]
    assert ConsultImage.objects.count() == 0
    assert ConsultMessage.objects.count() == 0
    assert _stored_files(media_root) == []
    assert not OperationLog.objects.filter(action="consult.image_upload").exists()


def test_an_oversized_file_is_refused_before_decoding(world, media_root, settings):
    settings.CONSULT_IMAGE_MAX_BYTES = 4096
    big = jpeg((40, 30)) + b"\x00" * 8192  # a real image, padded past the cap

    response = world["patient"].post(
        _problem_url(world["consult"]), _upload(big), format="multipart"
    )

    assert (response.status_code, _code(response)) == (400, "consult_image_too_large")
    assert _stored_files(media_root) == []


def test_a_missing_field_or_a_json_body_is_refused(world, media_root):
    consult = world["consult"]

    missing = world["patient"].post(
        _problem_url(consult), {"picture": io.BytesIO(b"x")}, format="multipart"
    )
    as_json = world["patient"].post(_send_url(consult), {"image": "x"}, format="json")

    assert (missing.status_code, _code(missing)) == (400, "consult_image_missing")
    assert missing.json()["error"]["fields"] == {
        "image": [missing.json()["error"]["message"]]
    }
    assert as_json.status_code == 415
    assert _stored_files(media_root) == []


def test_a_database_error_after_the_file_was_written_deletes_the_file(
    world, media_root, monkeypatch
):
    def failing_log(**kwargs):
        raise DatabaseError("the log table is gone")

    monkeypatch.setattr(image_services, "operation_log_write", failing_log)

    for call in (
        lambda: image_services.problem_image_add(
            actor=Actor.system(),
            consult=world["consult"],
            user=world["consult"].user,
            content=jpeg(),
        ),
        lambda: image_services.message_image_send(
            actor=Actor.system(),
            consult=world["consult"],
            sender="patient",
            user=world["consult"].user,
            content=jpeg(),
        ),
    ):
        with pytest.raises(DatabaseError):
            call()

    assert _stored_files(media_root) == []
    assert ConsultImage.objects.count() == 0
    assert ConsultMessage.objects.count() == 0


def test_both_parties_send_image_messages_and_see_them_in_the_page(world, media_root):
    consult = world["consult"]

    by_patient = world["patient"].post(
        _send_url(consult), _upload(png(), "a.png"), format="multipart"
    )
    by_doctor = world["doctor"].post(
        _send_url(consult), _upload(jpeg((3000, 1500))), format="multipart"
    )

    assert by_patient.status_code == 201, by_patient.json()
    message = by_patient.json()
    assert (message["kind"], message["sender"], message["recalled"]) == (
        "image",
        "patient",
        False,
    )
    assert (message["image"]["width"], message["image"]["height"]) == (40, 30)
    assert by_doctor.json()["image"]["width"] == 2048  # scaled down
    assert by_doctor.json()["image"]["height"] == 1024
    # As with a text, the doctor's first message starts the consult.
    assert Consult.objects.get(pk=consult.pk).status == "in_progress"

    page = world["doctor"].get(f"{BASE}{consult.pk}/messages/").json()
    assert [m["kind"] for m in page["results"]] == ["image", "image"]
    served = world["doctor"].get(page["results"][0]["image"]["url"])
    assert (served.status_code, served["Content-Type"]) == (200, "image/png")
    # Text messages answer image null.
    world["patient"].post(
        f"{BASE}{consult.pk}/messages/send/", {"text": "好的"}, format="json"
    )
    page = world["patient"].get(f"{BASE}{consult.pk}/messages/").json()
    assert page["results"][-1]["image"] is None
    assert (
        OperationLog.objects.filter(
            action="consult.image_upload", summary="message"
        ).count()
        == 2
    )
    assert len(_stored_files(media_root)) == 2


def test_no_image_message_on_a_closed_consult(world, media_root):
    consult_close(actor=Actor.system(), consult=world["consult"], by="patient")

    response = world["doctor"].post(
        _send_url(world["consult"]), _upload(jpeg()), format="multipart"
    )

    assert (response.status_code, _code(response)) == (409, "consult_not_open")
    assert _stored_files(media_root) == []


def test_recalling_an_image_message_hides_it_and_deletes_the_file_after_commit(
    world, media_root, django_capture_on_commit_callbacks
):
    consult = world["consult"]
    sent = world["patient"].post(
        _send_url(consult), _upload(jpeg()), format="multipart"
    )
    message_id = sent.json()["id"]
    url = sent.json()["image"]["url"]
    assert len(_stored_files(media_root)) == 1

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        recalled = world["patient"].post(f"{BASE}messages/{message_id}/recall/")
        # Until the recall commits, the file is still there.
        assert len(_stored_files(media_root)) == 1
    for callback in callbacks:
        callback()

    assert recalled.status_code == 200
    assert (recalled.json()["recalled"], recalled.json()["image"]) == (True, None)
    assert ConsultImage.objects.count() == 0
    assert ConsultMessage.objects.get(pk=message_id).image_id is None
    assert _stored_files(media_root) == []
    page = world["doctor"].get(f"{BASE}{consult.pk}/messages/").json()
    assert page["results"][0]["image"] is None
    # The link given out before answers 404 now.
    assert world["doctor"].get(url).status_code == 404


def test_an_image_message_cannot_be_recalled_after_two_minutes(world, media_root):
    sent = world["patient"].post(
        _send_url(world["consult"]), _upload(jpeg()), format="multipart"
    )

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=3)):
        late = world["patient"].post(f"{BASE}messages/{sent.json()['id']}/recall/")

    assert (late.status_code, _code(late)) == (409, "recall_window_passed")
    assert len(_stored_files(media_root)) == 1
    assert ConsultImage.objects.count() == 1


def test_uploads_are_throttled_per_user(world, media_root, settings):
    settings.CONSULT_IMAGE_UPLOAD_RATE = "2/hour"
    consult = world["consult"]

    statuses = [
        world["patient"]
        .post(_problem_url(consult), _upload(jpeg()), format="multipart")
        .status_code
        for _ in range(2)
    ]
    third = world["patient"].post(
        _send_url(consult), _upload(jpeg()), format="multipart"
    )
    by_doctor = world["doctor"].post(
        _send_url(consult), _upload(jpeg()), format="multipart"
    )

    assert statuses == [201, 201]
    assert (third.status_code, _code(third)) == (429, "throttled")
    assert by_doctor.status_code == 201  # each user has their own count
    assert len(_stored_files(media_root)) == 3
