import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from analytics.history.visits import patient_hash
from analytics.models import HistoryImport, HistoryVisit
from common.models import OperationLog
from tests.analytics.history_files import (
    GENERIC_COLUMNS,
    generic_row,
    kaggle_row,
    write_csv,
    write_kaggle_zip,
)

pytestmark = pytest.mark.django_db


def run(path, fmt: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_history", str(path), "--format", fmt, stdout=out, stderr=err)
    return out.getvalue()


def test_the_public_data_set_zip_is_imported_with_hashed_patients(tmp_path):
    # given
    path = write_kaggle_zip(
        tmp_path / "noshow.zip",
        [
            kaggle_row(appointment=1, patient="29872499824296", no_show="No"),
            kaggle_row(
                appointment=2, patient="2.98724998242960E+13", no_show="Yes", sms="1"
            ),
        ],
    )

    # when
    summary = run(path, "kaggle-noshow")

    # then
    assert summary.startswith("Imported 2 new visits from noshow.zip")
    first, second = HistoryVisit.objects.order_by("row_key")
    assert (first.row_key, first.attended, first.reminder_sent) == ("1", True, False)
    assert (second.row_key, second.attended, second.reminder_sent) == ("2", False, True)
    # the same patient, written two ways, is one keyed hash; the raw id is nowhere
    assert first.patient_hash == second.patient_hash
    assert first.patient_hash == patient_hash("kaggle-noshow", "29872499824296")
    assert "29872499824296" not in first.patient_hash
    # booked 18:38 UTC is 15:38 in the clinics' time zone
    assert (first.booked_on, first.booked_hour) == (datetime.date(2016, 4, 29), 15)
    assert first.extra == {
        "welfare": 0,
        "hypertension": 1,
        "diabetes": 0,
        "alcoholism": 0,
        "handicap": 0,
    }
    record = HistoryImport.objects.get()
    assert (record.row_count, record.created_rows, record.existing_rows) == (2, 2, 0)
    assert OperationLog.objects.filter(action="history.imported").count() == 1


def test_the_csv_inside_the_zip_is_read_the_same(tmp_path):
    # given
    path = write_csv(tmp_path / "noshow.csv", [kaggle_row(appointment=9)])

    # when
    run(path, "kaggle-noshow")

    # then
    assert list(HistoryVisit.objects.values_list("row_key", "department")) == [
        ("9", "JARDIM DA PENHA")
    ]


def test_the_data_set_quirks_are_handled_as_documented(tmp_path):
    # given age -1, and a visit day before the booking day
    path = write_csv(
        tmp_path / "quirks.csv",
        [
            kaggle_row(appointment=1, age="-1"),
            kaggle_row(
                appointment=2,
                scheduled="2016-05-10T10:00:00Z",
                day="2016-05-09T00:00:00Z",
            ),
            kaggle_row(appointment=3, patient="9377952927E-5"),
        ],
    )

    # when
    summary = run(path, "kaggle-noshow")

    # then the age is unknown, the impossible row is skipped and recorded by its line
    assert "2 new visits" in summary
    assert "1 skipped" in summary
    assert HistoryVisit.objects.get(row_key="1").age is None
    assert not HistoryVisit.objects.filter(row_key="2").exists()
    assert HistoryImport.objects.get().skipped_rows == [[3, "visit_before_booking_day"]]
    assert HistoryVisit.objects.get(row_key="3").patient_hash == patient_hash(
        "kaggle-noshow", "93779.52927"
    )


def test_a_bad_row_stops_the_import_with_its_line_and_writes_nothing(tmp_path):
    # given a good row, then a bad one on line 3
    path = write_csv(
        tmp_path / "bad.csv",
        [kaggle_row(appointment=1), kaggle_row(appointment=2, no_show="Maybe")],
    )

    # when
    with pytest.raises(CommandError) as excinfo:
        run(path, "kaggle-noshow")

    # then
    assert str(excinfo.value) == (
        "line 3: No-show must be Yes or No, not 'Maybe'. Nothing was imported."
    )
    assert HistoryVisit.objects.exists() is False
    assert HistoryImport.objects.exists() is False


def test_a_missing_column_is_reported_on_the_header_line(tmp_path):
    # given
    row = kaggle_row()
    del row["SMS_received"]
    path = write_csv(tmp_path / "bad.csv", [row])

    # when
    with pytest.raises(CommandError) as excinfo:
        run(path, "kaggle-noshow")

    # then
    assert str(excinfo.value) == (
        "line 1: Missing columns: SMS_received. Nothing was imported."
    )


def test_a_repeated_visit_names_the_first_line(tmp_path):
    # given
    path = write_csv(tmp_path / "dup.csv", [kaggle_row(appointment=7)] * 2)

    # when
    with pytest.raises(CommandError) as excinfo:
        run(path, "kaggle-noshow")

    # then
    assert str(excinfo.value) == (
        "line 3: The same visit as line 2. Nothing was imported."
    )
    assert HistoryVisit.objects.exists() is False


def test_importing_the_same_file_again_changes_nothing(tmp_path):
    # given
    path = write_csv(tmp_path / "a.csv", [kaggle_row(appointment=1)])
    run(path, "kaggle-noshow")

    # when
    summary = run(path, "kaggle-noshow")

    # then
    assert "was already imported" in summary
    assert "nothing changed" in summary
    assert HistoryImport.objects.count() == 1
    assert HistoryVisit.objects.count() == 1


def test_an_overlapping_file_adds_only_the_new_visits(tmp_path):
    # given
    run(write_csv(tmp_path / "a.csv", [kaggle_row(appointment=1)]), "kaggle-noshow")
    bigger = write_csv(
        tmp_path / "b.csv", [kaggle_row(appointment=1), kaggle_row(appointment=2)]
    )

    # when
    summary = run(bigger, "kaggle-noshow")

    # then
    assert summary.startswith("Imported 1 new visits from b.csv (1 already there")
    assert sorted(HistoryVisit.objects.values_list("row_key", flat=True)) == ["1", "2"]


def test_a_generic_file_is_imported(tmp_path):
    # given
    path = write_csv(
        tmp_path / "generic.csv",
        [
            generic_row(),
            generic_row(
                patient_key="P-002",
                sex="男",
                birth_date="",
                age="40",
                attended="no",
                booked_at="2026-03-02 20:00",
                visit_hour="",
                fee="",
                visit_id="V-9",
            ),
        ],
        GENERIC_COLUMNS,
    )

    # when
    run(path, "generic")

    # then
    first = HistoryVisit.objects.get(patient_hash=patient_hash("generic", "P-001"))
    assert (first.sex, first.age, first.visit_hour, first.fee, first.doctor) == (
        "F",
        46,
        9,
        2500,
        "D-7",
    )
    assert (first.attended, first.department) == (True, "内科")
    second = HistoryVisit.objects.get(row_key="V-9")
    assert (second.sex, second.age, second.attended, second.visit_hour) == (
        "M",
        40,
        False,
        None,
    )
    # a time without an offset is the project's time zone
    assert (second.booked_on, second.booked_hour) == (datetime.date(2026, 3, 2), 20)


def test_a_generic_file_with_a_bad_flag_names_line_and_column(tmp_path):
    # given
    path = write_csv(
        tmp_path / "generic.csv",
        [generic_row(), generic_row(patient_key="P-2", reminder_sent="maybe")],
        GENERIC_COLUMNS,
    )

    # when
    with pytest.raises(CommandError) as excinfo:
        run(path, "generic")

    # then
    assert str(excinfo.value) == (
        "line 3: reminder_sent must be 1 or 0, not 'maybe'. Nothing was imported."
    )
    assert HistoryVisit.objects.exists() is False
