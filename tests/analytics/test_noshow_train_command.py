import io
import json

import pytest
from django.core.management import CommandError, call_command

from analytics.models import HistoryVisit, NoShowModel
from analytics.noshow import services
from tests.analytics.history_files import (
    GENERIC_COLUMNS,
    generic_row,
    kaggle_rows,
    write_csv,
)
from tests.analytics.noshow_helpers import TINY_GRID, generated_history

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("noshow_model_dir")]


@pytest.fixture(autouse=True)
def _tiny_grid(monkeypatch):
    # The command's full grid is for real data; a few fits keep the test fast.
    original = services.train

    def train(visits, **kwargs):
        kwargs["grid"] = kwargs.get("grid") or TINY_GRID
        return original(visits, **kwargs)

    monkeypatch.setattr(services, "train", train)


def run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("noshow_train", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_training_on_a_data_file_prints_one_json_object(tmp_path):
    # given
    path = write_csv(tmp_path / "noshow.csv", kaggle_rows(400))

    # when
    output = run(
        "--data",
        str(path),
        "--format",
        "kaggle-noshow",
        "--test-from",
        "2016-05-17",
        "--json",
    )

    # then
    body = json.loads(output)
    for key in (
        "roc_auc",
        "pr_auc",
        "brier",
        "train_rows",
        "test_rows",
        "precision_at_high",
        "recall_at_high",
        "params",
        "fair_roc_auc",
        "thresholds",
    ):
        assert key in body
    assert body["train_rows"] + body["test_rows"] == 400
    assert body["test_from"] == "2016-05-17"
    assert body["data_source"] == "kaggle-noshow"
    assert body["active"] is False
    assert 0 <= body["roc_auc"] <= 1
    # the file is read, not imported
    assert HistoryVisit.objects.exists() is False
    assert NoShowModel.objects.get().version == body["version"]


def test_training_on_own_history_can_activate_the_new_version():
    # given
    generated_history(days=12, per_day=8, patients=10)

    # when
    output = run("--activate")

    # then
    model = NoShowModel.objects.get()
    assert model.is_active is True
    assert output.startswith("Version 1 (own, active): trained on ")
    assert "ROC AUC" in output


def test_a_new_version_is_not_active_unless_asked():
    # given
    generated_history(days=12, per_day=8, patients=10)

    # when
    body = json.loads(run("--json"))

    # then
    assert body["active"] is False
    assert NoShowModel.objects.get().is_active is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--data", "x.csv", "--test-from", "2016-05-17"],
            "--data needs --format kaggle-noshow or generic",
        ),
        (
            ["--data", "x.csv", "--format", "generic"],
            "--data needs --test-from YYYY-MM-DD",
        ),
        (
            ["--test-from", "17.05.2016"],
            "--test-from '17.05.2016': expected YYYY-MM-DD",
        ),
        (
            [
                "--data",
                "x.csv",
                "--format",
                "generic",
                "--test-from",
                "2016-05-17",
                "--activate",
            ],
            "--activate: only a model trained on our own appointments can score bookings",
        ),
    ],
)
def test_bad_arguments_are_refused(args, message):
    with pytest.raises(CommandError) as excinfo:
        run(*args)

    assert str(excinfo.value) == message
    assert NoShowModel.objects.exists() is False


def test_a_bad_data_file_names_the_line(tmp_path):
    # given
    rows = kaggle_rows(5)
    rows[3]["Age"] = "old"
    path = write_csv(tmp_path / "noshow.csv", rows)

    # when
    with pytest.raises(CommandError) as excinfo:
        run(
            "--data",
            str(path),
            "--format",
            "kaggle-noshow",
            "--test-from",
            "2016-05-17",
        )

    # then
    assert str(excinfo.value) == (
        "line 5: Age must be a whole number, not 'old'. Nothing was trained."
    )


def test_training_on_a_generic_file(tmp_path):
    # given the same kind of visits written in the generic format
    rows = [
        generic_row(
            patient_key=row["PatientId"],
            sex=row["Gender"],
            birth_date="",
            age=row["Age"],
            booked_at=row["ScheduledDay"].removesuffix("Z"),  # local time
            visit_date=row["AppointmentDay"][:10],
            department=row["Neighbourhood"],
            attended="0" if row["No-show"] == "Yes" else "1",
            reminder_sent=row["SMS_received"],
            visit_id=row["AppointmentID"],
        )
        for row in kaggle_rows(300)
    ]
    path = write_csv(tmp_path / "generic.csv", rows, GENERIC_COLUMNS)

    # when
    body = json.loads(
        run(
            "--data",
            str(path),
            "--format",
            "generic",
            "--test-from",
            "2016-05-17",
            "--json",
        )
    )

    # then
    assert body["data_source"] == "generic"
    assert body["train_rows"] + body["test_rows"] == 300
    assert "doctor_rate" in body["features"]  # the generic file names the doctor


def test_training_on_imported_visits_matches_training_on_the_file(tmp_path):
    # given: a file imported once into the history tables
    path = write_csv(tmp_path / "noshow.csv", kaggle_rows(400))
    call_command(
        "import_history",
        str(path),
        "--format",
        "kaggle-noshow",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    common = ("--test-from", "2016-05-17", "--json")

    # when: trained on the imported visits, and on the file itself
    imported = json.loads(run("--imported", "kaggle-noshow", *common))
    from_file = json.loads(
        run("--data", str(path), "--format", "kaggle-noshow", *common)
    )

    # then: the same visits (patients under their stored hash) give the same model
    assert imported["data_source"] == "kaggle-noshow"
    assert imported["train_rows"] + imported["test_rows"] == 400
    for key in ("train_rows", "test_rows", "roc_auc", "params", "thresholds"):
        assert imported[key] == from_file[key], key
    assert imported["active"] is False


def test_training_on_imported_visits_refuses_an_empty_source_and_activation():
    with pytest.raises(CommandError) as empty:
        run("--imported", "generic", "--test-from", "2016-05-17")
    with pytest.raises(CommandError) as activate:
        run("--imported", "generic", "--activate")
    with pytest.raises(CommandError) as both:
        run("--imported", "generic", "--data", "x.csv", "--format", "generic")

    assert str(empty.value) == (
        "--imported generic: no visits were imported in that format "
        "(import_history --format generic FILE)"
    )
    assert str(activate.value).startswith("--activate: only a model trained on our own")
    assert str(both.value) == "--data and --imported: choose one"
    assert NoShowModel.objects.exists() is False
