import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import PatientProfile
from accounts.selectors import (
    PHONE_HASH_CONTEXT,
    profile_id_card_masked,
    profile_id_card_no,
    profile_insurance_card_no,
    profile_phone,
    profile_phone_masked,
)
from accounts.sensitive import id_card_last4_hash
from accounts.services.profiles import (
    patient_profile_create,
    patient_profile_delete,
    patient_profile_update,
)
from appointments.models import Appointment, WaitlistEntry
from appointments.services.booking import appointment_book
from appointments.services.waitlist import waitlist_join
from common.crypto import lookup_hash
from common.errors import Conflict, NotFound
from common.models import OperationLog
from common.services import Actor
from tests.accounts.factories import (
    PatientFactory,
    PatientProfileFactory,
    make_appointment,
    make_id_card_no,
    make_phone,
)
from tests.scheduling.factories import SlotFactory

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"


def _create(user, **overrides) -> PatientProfile:
    data = {
        "name": "王小明",
        "relation": PatientProfile.Relation.SELF,
        "id_card_no": ID,
        "phone": "13812341234",
    } | overrides
    return patient_profile_create(
        actor=Actor(user=user, ip="10.0.0.1"), user=user, **data
    )


def test_create_derives_gender_and_birth_date_and_encrypts_the_numbers():
    # given
    user = PatientFactory()

    # when
    profile = _create(user, insurance_card_no="SB12345678")

    # then
    profile.refresh_from_db()
    assert profile.user == user
    assert (profile.name, profile.relation) == ("王小明", "self")
    assert profile.gender == "female"
    assert profile.birth_date == datetime.date(1949, 12, 31)
    assert profile.birth_year == 1949
    assert profile.id_card_last4_hash == id_card_last4_hash("002X")
    assert profile.is_active is True
    assert profile_id_card_no(profile) == ID
    assert profile_id_card_masked(profile) == "110***********002X"
    assert profile_phone(profile) == "13812341234"
    assert profile_phone_masked(profile) == "138****1234"
    assert profile_insurance_card_no(profile) == "SB12345678"
    [log] = OperationLog.objects.all()
    assert (log.action, log.actor, log.object_id, log.ip) == (
        "patient_profile_create",
        user,
        str(profile.pk),
        "10.0.0.1",
    )
    assert ID not in log.summary
    assert "13812341234" not in log.summary


def test_the_database_row_holds_no_plaintext_number_or_phone():
    profile = _create(PatientFactory(), insurance_card_no="SB12345678")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM accounts_patientprofile WHERE id = %s", [profile.pk]
        )
        row = " ".join(str(value) for value in cursor.fetchone())

    assert ID not in row
    assert ID.lower() not in row
    assert "1949123" not in row
    assert "13812341234" not in row
    assert "SB12345678" not in row
    # The name, the birth date and the number's last 4 are not in clear either: together
    # they would leave only the region code of the number unknown.
    assert "王小明" not in row
    assert "1949-12-31" not in row
    assert "002X" not in row
    assert "002x" not in row


def test_matching_gender_and_birth_date_are_accepted():
    profile = _create(
        PatientFactory(), gender="female", birth_date=datetime.date(1949, 12, 31)
    )

    assert profile.gender == "female"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"gender": "male"}, "gender"),
        ({"birth_date": datetime.date(1949, 12, 30)}, "birth_date"),
    ],
)
def test_gender_or_birth_date_contradicting_the_id_is_refused(overrides, field):
    user = PatientFactory()

    with pytest.raises(ValidationError) as excinfo:
        _create(user, **overrides)

    assert list(excinfo.value.message_dict) == [field]
    assert PatientProfile.objects.exists() is False
    assert OperationLog.objects.exists() is False


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"id_card_no": "110105194912310021"}, ["id_card_no"]),
        ({"phone": "12345"}, ["phone"]),
        ({"name": "   "}, ["name"]),
        ({"name": "王" * 51}, ["name"]),
        ({"relation": "boss"}, ["relation"]),
        ({"insurance_card_no": "!!"}, ["insurance_card_no"]),
        ({"id_card_no": "x", "phone": "y"}, ["id_card_no", "phone"]),
    ],
)
def test_invalid_input_is_refused_and_changes_nothing(overrides, fields):
    user = PatientFactory()

    with pytest.raises(ValidationError) as excinfo:
        _create(user, **overrides)

    assert sorted(excinfo.value.message_dict) == fields
    assert PatientProfile.objects.exists() is False
    assert OperationLog.objects.exists() is False


def test_a_user_keeps_at_most_five_profiles(settings):
    # given
    user = PatientFactory()
    for _ in range(5):
        PatientProfileFactory(user=user)

    # when
    with pytest.raises(Conflict) as excinfo:
        _create(user)

    # then
    assert excinfo.value.code == "profile_limit_reached"
    assert PatientProfile.objects.filter(user=user).count() == 5
    assert OperationLog.objects.exists() is False


def test_an_id_number_on_the_most_accounts_is_refused_on_another(settings):
    # given: the same person already a patient on three accounts (the default limit)
    settings.MAX_ACCOUNTS_PER_ID_CARD = 3
    for _ in range(3):
        _create(PatientFactory())
    fourth = PatientFactory()
    logs = OperationLog.objects.count()

    # when
    with pytest.raises(Conflict) as excinfo:
        _create(fourth)

    # then
    assert excinfo.value.code == "id_card_on_too_many_accounts"
    assert excinfo.value.status_code == 409
    assert excinfo.value.message == (
        "This ID-card number is already a patient on the most accounts allowed (3)."
    )
    assert PatientProfile.objects.filter(user=fourth).exists() is False
    assert PatientProfile.objects.count() == 3
    assert OperationLog.objects.count() == logs


def test_a_deleted_profile_frees_its_account_for_the_id_number(settings):
    # given
    settings.MAX_ACCOUNTS_PER_ID_CARD = 1
    first = _create(PatientFactory())
    patient_profile_delete(actor=Actor(), profile=first)

    # when
    profile = _create(PatientFactory())

    # then
    assert profile.is_active is True


def test_other_people_are_not_limited_by_one_persons_accounts(settings):
    settings.MAX_ACCOUNTS_PER_ID_CARD = 1
    _create(PatientFactory())

    profile = _create(PatientFactory(), id_card_no=make_id_card_no())

    assert profile.is_active is True


def test_deleted_profiles_do_not_count_against_the_cap():
    user = PatientFactory()
    for _ in range(4):
        PatientProfileFactory(user=user)
    PatientProfileFactory(user=user, is_active=None)

    profile = _create(user)

    assert profile.is_active is True
    assert PatientProfile.objects.filter(user=user, is_active=True).count() == 5


def test_the_same_id_twice_for_one_user_is_refused():
    user = PatientFactory()
    _create(user)

    with pytest.raises(Conflict) as excinfo:
        _create(user, name="别名")

    assert excinfo.value.code == "profile_duplicate_id_card"
    assert PatientProfile.objects.count() == 1


def test_the_same_id_may_belong_to_two_accounts_and_be_re_added_after_delete():
    first, second = PatientFactory(), PatientFactory()
    profile = _create(first)
    _create(second)
    patient_profile_delete(actor=Actor(user=first), profile=profile)

    again = _create(first)

    assert again.pk != profile.pk
    assert PatientProfile.objects.count() == 3


def test_update_changes_the_given_fields_and_logs_once():
    # given
    profile = PatientProfileFactory(name="旧名", phone="13800000000")
    actor = Actor(user=profile.user)

    # when
    updated = patient_profile_update(
        actor=actor,
        profile=profile,
        name="新名",
        phone="13900000000",
        insurance_card_no="SB0001",
    )

    # then
    updated.refresh_from_db()
    assert updated.name == "新名"
    assert profile_phone(updated) == "13900000000"
    assert profile_insurance_card_no(updated) == "SB0001"
    assert updated.relation == profile.relation
    [log] = OperationLog.objects.all()
    assert log.action == "patient_profile_update"
    assert log.summary == "changed: name, phone_encrypted, insurance_card_encrypted"


def test_an_update_that_changes_nothing_writes_nothing():
    profile = PatientProfileFactory(name="同名", phone="13800000000")

    patient_profile_update(
        actor=Actor(user=profile.user),
        profile=profile,
        name="同名",
        phone="13800000000",
    )

    assert OperationLog.objects.exists() is False


def test_an_invalid_update_changes_nothing():
    profile = PatientProfileFactory(name="原名", phone="13800000000")

    with pytest.raises(ValidationError) as excinfo:
        patient_profile_update(
            actor=Actor(user=profile.user), profile=profile, name="新名", phone="123"
        )

    assert list(excinfo.value.message_dict) == ["phone"]
    profile.refresh_from_db()
    assert profile.name == "原名"
    assert OperationLog.objects.exists() is False


@pytest.mark.clock
def test_delete_is_soft_and_logs_once():
    profile = PatientProfileFactory()
    make_appointment(profile=profile, status=Appointment.Status.COMPLETED)
    make_appointment(profile=profile, status=Appointment.Status.CANCELLED)

    patient_profile_delete(actor=Actor(user=profile.user), profile=profile)

    profile.refresh_from_db()
    assert profile.is_active is None
    [log] = OperationLog.objects.all()
    assert (log.action, log.object_id) == ("patient_profile_delete", str(profile.pk))


@pytest.mark.clock
@pytest.mark.parametrize("status", list(Appointment.UPCOMING))
def test_delete_is_refused_while_an_appointment_is_upcoming(status):
    profile = PatientProfileFactory()
    make_appointment(profile=profile, status=status)

    with pytest.raises(Conflict) as excinfo:
        patient_profile_delete(actor=Actor(user=profile.user), profile=profile)

    assert excinfo.value.code == "profile_has_active_bookings"
    assert excinfo.value.status_code == 409
    profile.refresh_from_db()
    assert profile.is_active is True
    assert OperationLog.objects.exists() is False


def test_a_deleted_profile_cannot_be_updated_or_deleted_again():
    profile = PatientProfileFactory(is_active=None)

    with pytest.raises(NotFound):
        patient_profile_update(
            actor=Actor(user=profile.user), profile=profile, name="x"
        )
    with pytest.raises(NotFound):
        patient_profile_delete(actor=Actor(user=profile.user), profile=profile)

    assert OperationLog.objects.exists() is False


def test_generated_ids_are_accepted_by_the_service():
    user = PatientFactory()

    profile = _create(
        user, id_card_no=make_id_card_no(datetime.date(2015, 8, 1), female=False)
    )

    assert (profile.gender, profile.birth_date) == ("male", datetime.date(2015, 8, 1))


def test_a_profile_phone_is_findable_by_its_keyed_hash_and_follows_updates():
    # given
    user = PatientFactory()
    first, second = make_phone(), make_phone()
    profile = patient_profile_create(
        actor=Actor.system(),
        user=user,
        name="周九",
        relation=PatientProfile.Relation.SELF,
        id_card_no=make_id_card_no(),
        phone=first,
    )

    # when
    patient_profile_update(actor=Actor.system(), profile=profile, phone=second)

    # then
    profile.refresh_from_db()
    assert profile.phone_hash == lookup_hash(second, context=PHONE_HASH_CONTEXT)
    assert first not in profile.phone_hash
    assert second not in profile.phone_hash


def _waiting_profile() -> tuple[PatientProfile, WaitlistEntry]:
    """A profile on the waitlist of a full session (its one seat booked by another)."""
    slot = SlotFactory(capacity=1)
    holder = PatientProfileFactory()
    appointment_book(actor=Actor.system(), user=holder.user, profile=holder, slot=slot)
    profile = PatientProfileFactory()
    entry = waitlist_join(
        actor=Actor.system(), user=profile.user, profile=profile, session=slot.session
    )
    return profile, entry


def test_delete_closes_the_waitlist_entries_in_the_deleting_users_name():
    # given: a profile waiting for a seat
    profile, entry = _waiting_profile()
    OperationLog.objects.all().delete()

    # when: its owner deletes it
    patient_profile_delete(
        actor=Actor(user=profile.user, ip="203.0.113.7"), profile=profile
    )

    # then: the entry is closed, logged under the owner and their address
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.CLOSED
    assert entry.is_waiting is None
    log = OperationLog.objects.get(action="waitlist.closed")
    assert (log.actor_id, log.ip, log.object_id) == (
        profile.user.pk,
        "203.0.113.7",
        str(entry.pk),
    )
    assert OperationLog.objects.filter(action="patient_profile_delete").count() == 1


def test_a_refused_delete_leaves_the_waitlist_entry_waiting():
    # given: a waiting profile that also has an upcoming appointment
    profile, entry = _waiting_profile()
    make_appointment(profile=profile, status=Appointment.Status.BOOKED)
    logs_before = OperationLog.objects.count()

    # when
    with pytest.raises(Conflict) as excinfo:
        patient_profile_delete(actor=Actor(user=profile.user), profile=profile)

    # then: refused, and nothing changed
    assert excinfo.value.code == "profile_has_active_bookings"
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING
    assert entry.is_waiting is True
    profile.refresh_from_db()
    assert profile.is_active is True
    assert OperationLog.objects.count() == logs_before
