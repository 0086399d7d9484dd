"""The consult WebSocket benchmark's pieces: its data and its clean-up, the percentile, and
one tiny run through daphne (on a temporary SQLite file of its own, so it needs no test
database and never touches the one pytest made)."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from benchmarks.consult_ws.fixtures import bench_consults_create, bench_consults_delete
from benchmarks.consult_ws.load import _percentile
from common.models import OperationLog
from consult.models import Consult, ConsultOffer
from hospitals.models import Hospital
from tests.accounts.factories import PatientProfileFactory


@pytest.mark.django_db
def test_the_benchmark_data_is_open_consults_with_both_tokens_and_is_deleted_whole():
    kept = PatientProfileFactory()
    pairs = bench_consults_create(
        tag="t1", consults=23, token_lifetime=datetime.timedelta(hours=1)
    )

    assert len({pair.consult_id for pair in pairs}) == 23
    consults = Consult.objects.filter(pk__in=[pair.consult_id for pair in pairs])
    assert {c.status for c in consults} == {Consult.Status.WAITING}
    assert consults.values("doctor").distinct().count() == 2  # 20 per doctor
    first = consults.get(pk=pairs[0].consult_id)
    assert int(AccessToken(pairs[0].patient_token)["user_id"]) == first.user_id
    assert int(AccessToken(pairs[0].doctor_token)["user_id"]) == first.doctor.user_id

    bench_consults_delete(tag="t1")

    assert not Consult.objects.exists()
    assert not ConsultOffer.objects.exists()
    assert not Hospital.objects.exists()
    assert not OperationLog.objects.exists()
    assert list(User.objects.all()) == [kept.user]


def test_the_percentile_is_the_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert _percentile(values, 50) == 51.0
    assert _percentile(values, 99) == 99.0
    assert _percentile([], 50) == 0.0


def test_a_tiny_run_delivers_every_message_on_both_layers(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    output = tmp_path / "figures.json"
    out = StringIO()

    call_command(
        "consult_ws_benchmark",
        consults=3,
        messages=4,
        timeout=30.0,
        json_output=str(output),
        stdout=out,
    )

    figures = json.loads(output.read_text())
    for name in ("configured", "baseline"):
        run = figures["results"][name]
        assert run["sockets"] == 6, out.getvalue()
        assert (run["sent"], run["delivered"], run["lost"], run["errors"]) == (
            12,
            12,
            0,
            0,
        )
        assert run["p50_ms"] <= run["p99_ms"]
    assert figures["results"]["baseline"]["layer"] == "InMemoryChannelLayer"
    assert "configured / baseline messages per second" in out.getvalue()
