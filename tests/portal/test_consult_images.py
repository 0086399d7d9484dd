"""Images on the portal's consult page: the patient's problem images (up to 9) and image
messages, posted as plain multipart forms; shown from their signed links; refusals (wrong
type, too large, the 10th image, no file) shown in Chinese on the form with nothing
stored; someone else's consult 404; CSRF."""

import io
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from consult.models import Consult, ConsultImage, ConsultMessage
from consult.services.images import PROBLEM_IMAGES_MAX
from tests.accounts.factories import PatientProfileFactory
from tests.consult.factories import consult_for, offering_doctor
from tests.consult.image_files import SVG, gif, jpeg, noisy_jpeg, png
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db
S = Consult.Status


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _files(media_root: Path) -> list[Path]:
    return sorted(p for p in media_root.rglob("*") if p.is_file())


def _file(content: bytes, name: str = "photo.jpg") -> dict:
    file = io.BytesIO(content)
    file.name = name
    return {"image": file}


@pytest.fixture
def profile():
    return PatientProfileFactory(name="张三")


@pytest.fixture
def client(profile) -> Client:
    return signed_in(profile.user)


@pytest.fixture
def consult(profile):
    return consult_for(doctor=offering_doctor(), profile=profile)


def test_the_page_offers_both_image_forms_as_multipart_with_the_accepted_types(
    client, consult
):
    body = client.get(reverse("portal:consult", args=[consult.pk])).content.decode()

    for name in ("portal:consult-problem-image", "portal:consult-send-image"):
        assert reverse(name, args=[consult.pk]) in body
    assert body.count('enctype="multipart/form-data"') == 2
    assert body.count('accept="image/jpeg,image/png,image/webp"') == 2


def test_a_patient_adds_a_problem_image_and_sees_it_from_its_signed_link(
    client, consult
):
    response = client.post(
        reverse("portal:consult-problem-image", args=[consult.pk]), _file(jpeg())
    )

    assert response.status_code == 302
    image = ConsultImage.objects.get()
    assert (image.consult_id, image.kind) == (consult.pk, ConsultImage.Kind.PROBLEM)
    page = client.get(reverse("portal:consult", args=[consult.pk])).content.decode()
    src = page.split('class="image-grid"><li><img src="')[1].split('"')[0]
    assert src.startswith("/api/v1/consult/images/")
    served = Client().get(src)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"


def test_the_tenth_problem_image_is_refused_in_chinese_and_nothing_is_stored(
    client, consult, media_root
):
    url = reverse("portal:consult-problem-image", args=[consult.pk])
    for _ in range(PROBLEM_IMAGES_MAX):
        assert client.post(url, _file(png())).status_code == 302
    stored = _files(media_root)

    response = client.post(url, _file(png()), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 409
    body = response.content.decode()
    assert 'id="problem-image-errors"' in body
    assert "最多" in body
    assert ConsultImage.objects.count() == PROBLEM_IMAGES_MAX
    assert _files(media_root) == stored


@pytest.mark.parametrize(("content", "name"), [(SVG, "x.svg"), (gif(), "x.gif")])
def test_a_wrong_type_is_refused_in_chinese_on_the_form_and_nothing_is_stored(
    client, consult, media_root, content, name
):
    response = client.post(
        reverse("portal:consult-send-image", args=[consult.pk]),
        _file(content, name),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="send-image-errors"' in body
    assert "仅接受 JPEG、PNG 和 WebP 图片。" in body
    assert ConsultImage.objects.count() == 0
    assert ConsultMessage.objects.count() == 0
    assert _files(media_root) == []


def test_a_too_large_image_is_refused_on_the_form_and_nothing_is_stored(
    client, consult, media_root, settings
):
    settings.CONSULT_IMAGE_MAX_BYTES = 10_000
    big = noisy_jpeg()
    assert len(big) > settings.CONSULT_IMAGE_MAX_BYTES

    response = client.post(
        reverse("portal:consult-problem-image", args=[consult.pk]), _file(big)
    )

    assert response.status_code == 400
    assert "MB" in response.content.decode()
    assert ConsultImage.objects.count() == 0
    assert _files(media_root) == []


def test_posting_without_a_file_asks_for_one(client, consult):
    response = client.post(reverse("portal:consult-send-image", args=[consult.pk]))

    assert response.status_code == 400
    assert "Choose an image to upload." in response.content.decode()


def test_an_image_message_is_sent_and_shown_in_the_conversation_and_the_poll(
    client, consult
):
    response = client.post(
        reverse("portal:consult-send-image", args=[consult.pk]), _file(png())
    )

    assert response.status_code == 302
    message = ConsultMessage.objects.get()
    assert (message.kind, message.sender) == ("image", "patient")
    page = client.get(reverse("portal:consult", args=[consult.pk])).content.decode()
    assert 'class="msg-image"><img src="/api/v1/consult/images/' in page
    poll = client.get(
        reverse("portal:consult-messages", args=[consult.pk]) + "?after=0"
    ).content.decode()
    assert 'class="msg-image"><img src="/api/v1/consult/images/' in poll


def test_a_recalled_image_message_shows_no_image(client, consult):
    client.post(reverse("portal:consult-send-image", args=[consult.pk]), _file(png()))
    message = ConsultMessage.objects.get()

    client.post(reverse("portal:consult-recall", args=[message.pk]))

    page = client.get(reverse("portal:consult", args=[consult.pk])).content.decode()
    assert "msg-image" not in page
    assert "This message was recalled." in page


def test_someone_elses_consult_answers_404_and_stores_nothing(client, media_root):
    theirs = consult_for(doctor=offering_doctor())

    statuses = [
        client.post(reverse(name, args=[theirs.pk]), _file(jpeg())).status_code
        for name in ("portal:consult-problem-image", "portal:consult-send-image")
    ]

    assert statuses == [404, 404]
    assert ConsultImage.objects.count() == 0
    assert _files(media_root) == []


def test_image_uploads_need_the_csrf_token(profile, consult):
    client = Client(enforce_csrf_checks=True)
    client.force_login(profile.user)

    statuses = [
        client.post(reverse(name, args=[consult.pk]), _file(jpeg())).status_code
        for name in ("portal:consult-problem-image", "portal:consult-send-image")
    ]

    assert statuses == [403, 403]
    assert ConsultImage.objects.count() == 0
