"""`rotate_encryption_key` re-encrypts consult image files as it does records' attachments."""

import io

import pytest
from django.core.management import call_command

from common import crypto
from common.filecrypto import sealed_key_id
from common.services import Actor
from consult.image_files import image_content, image_storage
from consult.models import ConsultImage
from consult.services import image_rotation
from consult.services.image_rotation import image_rotation_batch
from consult.services.images import problem_image_add
from tests.consult.factories import consult_for, offering_doctor
from tests.consult.image_files import jpeg, png

pytestmark = pytest.mark.django_db

KEY_A = b"A" * 32
KEY_B = b"B" * 32


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _images(consult, *contents) -> list[ConsultImage]:
    return [
        problem_image_add(
            actor=Actor.system(), consult=consult, user=consult.user, content=content
        )
        for content in contents
    ]


def _sealed_with(image: ConsultImage) -> str:
    with image_storage().open(image.storage_name, "rb") as stored:
        return sealed_key_id(stored.read())


def test_rotation_re_encrypts_image_files_and_removes_the_old_ones(settings):
    # given: two images under key A
    settings.FIELD_ENCRYPTION_KEY = KEY_A
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    consult = consult_for(doctor=offering_doctor())
    images = _images(consult, jpeg(), png())
    plain = {image.pk: image_content(image) for image in images}
    before = {image.pk: image.storage_name for image in images}

    # when: batches of one
    settings.FIELD_ENCRYPTION_KEY = KEY_B
    settings.FIELD_ENCRYPTION_OLD_KEYS = [KEY_A]
    out = io.StringIO()
    call_command(
        "rotate_encryption_key", batch_size=1, stdout=out, stderr=io.StringIO()
    )

    # then: readable without key A, under new names; the old files are gone
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    for image in ConsultImage.objects.all():
        assert image_content(image) == plain[image.pk]
        assert image.storage_name != before[image.pk]
        assert image.key_id == crypto.key_id(KEY_B)
        assert _sealed_with(image) == crypto.key_id(KEY_B)
        assert not image_storage().exists(before[image.pk])
    assert out.getvalue().endswith("0 left under old keys.\n")


def test_an_image_recalled_during_its_rotation_leaves_no_new_file(
    settings, monkeypatch, media_root
):
    # given: an image under key A, deleted (a recall) while its new file is written
    settings.FIELD_ENCRYPTION_KEY = KEY_A
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    consult = consult_for(doctor=offering_doctor())
    [image] = _images(consult, jpeg())
    settings.FIELD_ENCRYPTION_KEY = KEY_B
    settings.FIELD_ENCRYPTION_OLD_KEYS = [KEY_A]
    store = image_rotation.image_file_store

    def store_then_row_goes(content: bytes):
        stored = store(content)
        ConsultImage.objects.filter(pk=image.pk).delete()
        image_storage().delete(image.storage_name)
        return stored

    monkeypatch.setattr(image_rotation, "image_file_store", store_then_row_goes)

    # when
    result = image_rotation_batch(0, 10)

    # then: nothing rotated, and the new file did not stay behind
    assert result.rotated == 0
    assert [p for p in media_root.rglob("*") if p.is_file()] == []
