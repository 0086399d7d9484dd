"""The read/write split against a real MariaDB replica (servers started by conftest.py).

The proof that a read was served by the replica: replication is stopped, a row changes on
the primary, and the read still answers the old value. Reads that must not lag answer the
new one meanwhile.
"""

from django.core.cache import cache
from django.db import connections, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from appointments.models import Appointment
from appointments.services import appointment_book
from common import replica
from common.replica import reads_may_lag, replica_reads, write_mark_key
from common.replica_health import replica_health
from common.services import Actor
from hospitals.models import Hospital
from hospitals.selectors import hospital_get_for_patient
from tests.appointments.factories import PatientProfileFactory
from tests.hospitals.factories import HospitalFactory
from tests.scheduling.factories import SlotFactory

HOSPITALS = reverse("api:hospitals:list")
APPOINTMENTS = reverse("api:appointments:list")


def a_new_request() -> None:
    """What the middleware does at each request: nothing written yet."""
    replica.read_context_begin()


def renamed_on_the_primary_only(split, hospital: Hospital, name: str) -> None:
    split.caught_up()
    split.replication_stop()
    Hospital.objects.filter(pk=hospital.pk).update(name=name)
    a_new_request()


def test_a_read_that_may_lag_is_served_by_the_replica(split, settings):
    # given: the lag check off (a stopped replication counts as lagging otherwise)
    settings.REPLICA_MAX_LAG_SECONDS = 0
    hospital = HospitalFactory(name="协和医院")
    renamed_on_the_primary_only(split, hospital, "北京协和医院")

    # when
    with replica_reads():
        on_the_replica = hospital_get_for_patient(hospital_id=hospital.pk)
    answer = APIClient().get(HOSPITALS, {"q": "协和"})

    # then: the old name, from the replica, for the selector and the catalog's API
    assert on_the_replica.name == "协和医院"
    assert on_the_replica._state.db == "replica"
    assert [h["name"] for h in answer.json()["results"]] == ["协和医院"]


def test_reads_that_must_not_lag_see_the_primary_meanwhile(split, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 0
    hospital = HospitalFactory(name="同仁医院")
    renamed_on_the_primary_only(split, hospital, "北京同仁医院")

    # when: a read that did not opt in, one inside a transaction, one after a write
    not_opted_in = Hospital.objects.get(pk=hospital.pk).name
    with replica_reads():
        with transaction.atomic():
            in_a_transaction = Hospital.objects.get(pk=hospital.pk).name
        HospitalFactory(name="写过了")  # the caller's own write
        after_a_write = Hospital.objects.get(pk=hospital.pk).name

    # then
    assert not_opted_in == "北京同仁医院"
    assert in_a_transaction == "北京同仁医院"
    assert after_a_write == "北京同仁医院"


def test_once_replication_runs_again_the_replica_has_the_change(split, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 0
    hospital = HospitalFactory(name="安贞医院")
    renamed_on_the_primary_only(split, hospital, "北京安贞医院")

    # when
    split.replication_start()
    split.caught_up()
    with replica_reads():
        found = Hospital.objects.get(pk=hospital.pk)

    # then
    assert (found.name, found._state.db) == ("北京安贞医院", "replica")


def test_a_patient_sees_their_own_cancel_in_the_next_request(split, settings):
    # given: a booking the replica has; then replication stops
    settings.REPLICA_MAX_LAG_SECONDS = 0
    profile = PatientProfileFactory()
    appointment = appointment_book(
        actor=Actor.system(), user=profile.user, profile=profile, slot=SlotFactory()
    )
    split.caught_up()
    split.replication_stop()
    patient = APIClient()
    patient.force_authenticate(profile.user)

    # when: the patient cancels, then lists their appointments
    cancelled = patient.post(
        reverse("api:appointments:cancel", args=[appointment.pk]),
        {"reason": "有事"},
        format="json",
    )
    listed = patient.get(APPOINTMENTS)

    # then: the list read the primary, because this user just wrote
    assert cancelled.status_code == 200
    assert [a["status"] for a in listed.json()["results"]] == ["cancelled"]
    assert cache.get(write_mark_key(profile.user.pk)) == 1

    # and once the window has passed, the same list is the replica's (still "booked")
    cache.delete(write_mark_key(profile.user.pk))
    later = patient.get(APPOINTMENTS)
    assert [a["status"] for a in later.json()["results"]] == [appointment.status]
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"


def test_a_stopped_replication_counts_as_lagging(split):
    # given: the lag check on (the fixture's 30 seconds)
    hospital = HospitalFactory(name="天坛医院")
    renamed_on_the_primary_only(split, hospital, "北京天坛医院")

    # when
    with replica_reads():
        found = Hospital.objects.get(pk=hospital.pk)
    health = APIClient().get(reverse("health"))

    # then: the primary answered, and /health/ says why
    assert (found.name, found._state.db) == ("北京天坛医院", "default")
    assert health.status_code == 200
    assert health.json()["checks"]["replica"] == "lagging"
    assert health.json()["status"] == "degraded"


def test_a_running_replica_is_ok_in_health(split):
    assert replica_health() == "ok"
    assert APIClient().get(reverse("health")).json()["checks"]["replica"] == "ok"


def test_with_the_replica_down_reads_fall_back_to_the_primary(replica_down):
    # given: the replica's port answers nothing
    hospital = HospitalFactory(name="朝阳医院")
    a_new_request()

    # when
    answer = APIClient().get(HOSPITALS, {"q": "朝阳"})
    health = APIClient().get(reverse("health"))

    # then: never a 500; the primary answered; /health/ says the replica is down
    assert answer.status_code == 200
    assert [h["id"] for h in answer.json()["results"]] == [hospital.pk]
    assert health.status_code == 200
    assert health.json()["checks"]["replica"] == "down"


def test_a_replica_lost_mid_read_is_retried_on_the_primary(split, settings):
    # given: the replica answers at first (checked), then its connection is killed
    settings.REPLICA_MAX_LAG_SECONDS = 0
    hospital = HospitalFactory(name="积水潭医院")
    split.caught_up()
    a_new_request()
    with replica_reads():
        Hospital.objects.get(pk=hospital.pk)  # connects to the replica
    replica_connection = connections["replica"]
    thread_id = replica_connection.connection.thread_id()
    split.replica.query(f"KILL {thread_id}")

    @reads_may_lag
    def hospital_name() -> tuple[str, str]:
        found = Hospital.objects.get(pk=hospital.pk)
        return found.name, found._state.db

    # when
    answer = hospital_name()

    # then
    assert answer == ("积水潭医院", "default")
    assert replica_health() == "ok"  # a fresh check connects again
