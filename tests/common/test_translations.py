"""The Simplified Chinese catalog: what patients read, and that the catalog is whole.

Every other test runs in English (see the autouse fixture in tests/conftest.py); these switch to
Chinese on purpose.
"""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from appointments.models import Appointment
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import SlotFactory

BOOK = reverse("api:appointments:book")
PO_FILE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]|\{\w*\}")


def parse_po(path: Path) -> list[dict]:
    """A small .po reader: one dict per entry with flags, msgid, msgid_plural and msgstr(s)."""
    entries = []
    entry: dict = {}
    key = None

    def finish():
        if "msgid" in entry:
            entries.append(entry)

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            finish()
            entry, key = {}, None
        elif line.startswith("#,"):
            entry["flags"] = {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            entry[key] = ast.literal_eval(value)
    finish()
    return entries


def translations(entry: dict) -> list[str]:
    return [value for key, value in entry.items() if key.startswith("msgstr")]


@pytest.fixture
def chinese_client(api_client):
    profile = PatientProfileFactory()
    api_client.force_authenticate(profile.user)
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    api_client.profile = profile
    return api_client


@pytest.mark.clock
@pytest.mark.django_db
def test_booking_a_full_slot_answers_in_chinese(chinese_client):
    # given
    slot = SlotFactory(capacity=1, booked=1)
    profile = chinese_client.profile

    # when
    with translation.override("zh-hans"):
        response = chinese_client.post(
            BOOK, {"slot_id": slot.pk, "profile_id": profile.pk}, format="json"
        )

    # then
    assert response.status_code == 409
    assert response.json() == {
        "error": {"code": "slot_full", "message": "该时段号源已约满。", "fields": {}}
    }
    assert Appointment.objects.exists() is False


@pytest.mark.django_db
def test_a_validation_error_answers_in_chinese(chinese_client):
    # given
    profile = chinese_client.profile

    # when
    with translation.override("zh-hans"):
        response = chinese_client.post(BOOK, {"profile_id": profile.pk}, format="json")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "输入有误。",
            "fields": {"slot_id": ["该字段是必填项。"]},
        }
    }
    assert Appointment.objects.exists() is False


@pytest.mark.clock
@pytest.mark.django_db
def test_the_accept_language_header_alone_picks_chinese(chinese_client):
    # given: the autouse fixture made English the active language and the default
    slot = SlotFactory(capacity=1, booked=1)

    # when
    response = chinese_client.post(
        BOOK,
        {"slot_id": slot.pk, "profile_id": chinese_client.profile.pk},
        format="json",
    )

    # then
    assert response.json()["error"]["message"] == "该时段号源已约满。"


def test_every_catalog_entry_is_translated_with_the_same_placeholders():
    # given
    entries = [entry for entry in parse_po(PO_FILE) if entry["msgid"]]

    # when
    untranslated = [e["msgid"] for e in entries if not all(translations(e))]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", set())]
    mismatched = [
        e["msgid"]
        for e in entries
        if "python-format" in e.get("flags", set())
        and any(
            sorted(PLACEHOLDER.findall(e.get("msgid_plural", e["msgid"])))
            != sorted(PLACEHOLDER.findall(text))
            for text in translations(e)
        )
    ]

    # then
    assert len(entries) > 400
    assert untranslated == []
    assert fuzzy == []
    assert mismatched == []


def test_the_catalog_header_declares_one_plural_form():
    # given
    header = next(entry for entry in parse_po(PO_FILE) if entry["msgid"] == "")

    # then
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header["msgstr"]
    assert "fuzzy" not in header.get("flags", set())


@pytest.mark.parametrize(
    "msgid",
    [
        "This time slot is fully booked.",
        "Patient profile not found.",
        "Payment timeout",
        "This clinic session has been stopped.",
        "The code is not correct.",
        "This patient already has %(n)d bookings on this day.",
    ],
)
def test_the_compiled_catalog_matches_the_po_file(msgid):
    # given
    entry = next(entry for entry in parse_po(PO_FILE) if entry["msgid"] == msgid)

    # when
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)

    # then
    assert text == entry["msgstr"]
    assert text != msgid


def test_the_compiled_catalog_has_the_plural_entry():
    # given
    singular = "%(count)d appointment cancelled"
    plural = "%(count)d appointments cancelled"
    entry = next(entry for entry in parse_po(PO_FILE) if entry["msgid"] == singular)

    # when
    with translation.override("zh-hans"):
        texts = {translation.ngettext(singular, plural, n) for n in (1, 2, 5)}

    # then
    assert texts == {entry["msgstr[0]"]}
