"""Image uploads racing on a real engine: the last problem image place is taken once, and
the losers' files are removed; image messages from both parties at once all land.

Each thread has its own connection and transaction, so the consult row lock decides."""

from collections import Counter

import pytest

from common.services import Actor
from consult.models import ConsultImage, ConsultMessage
from consult.services.images import message_image_send, problem_image_add
from tests.consult.factories import consult_for, offering_doctor
from tests.consult.image_files import jpeg
from tests.race import needs_row_locks, run_at_once

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _files(media_root) -> int:
    return sum(1 for p in media_root.rglob("*") if p.is_file())


def test_eight_uploads_for_the_last_two_problem_image_places_take_two(media_root):
    consult = consult_for(doctor=offering_doctor())
    for _ in range(7):
        problem_image_add(
            actor=Actor.system(), consult=consult, user=consult.user, content=jpeg()
        )

    def add():
        problem_image_add(
            actor=Actor.system(), consult=consult, user=consult.user, content=jpeg()
        )
        return "added"

    results = run_at_once([add for _ in range(8)])

    outcomes = Counter(
        r if isinstance(r, str) else getattr(r, "code", repr(r)) for r in results
    )
    assert outcomes == {"added": 2, "consult_image_limit_reached": 6}
    assert ConsultImage.objects.filter(consult=consult).count() == 9
    assert _files(media_root) == 9


def test_both_parties_sending_images_at_once_never_deadlock(media_root):
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)

    def send(sender, user):
        return message_image_send(
            actor=Actor.system(),
            consult=consult,
            sender=sender,
            user=user,
            content=jpeg(),
        ).pk

    jobs = [lambda: send("patient", consult.user) for _ in range(5)] + [
        lambda: send("doctor", doctor.user) for _ in range(5)
    ]
    results = run_at_once(jobs)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert ConsultMessage.objects.filter(consult=consult, kind="image").count() == 10
    assert _files(media_root) == 10
