"""Reading history files into rows, every row checked, with the line number of a mistake.

Two formats:

`kaggle-noshow`: the public no-show data set exactly as published (the .zip, or the CSV
inside it). Its quirks are handled so:
- Age -1 (one row): the age is stored as unknown, the row is kept;
- a visit day before the booking day (a few rows): impossible, so the row is skipped,
  and the import records each skipped line and why;
- PatientId written as a float ("29872499824296.0"): read as the integer; the few ids
  that are not whole numbers ("9377952927E-5") are kept as that exact decimal;
- ScheduledDay is UTC; the clinics are in Brazil (UTC-3), so the booking day and hour are
  taken in that time zone; AppointmentDay carries no time of day (hour unknown).
- Neighbourhood is the department; Scholarship, Hipertension, Diabetes, Alcoholism and
  Handcap are kept as extra flags.

`generic`: a UTF-8 CSV with a header row and these columns (see README and the command's
help):
  patient_key    required; any stable id of the patient (stored only as a keyed hash)
  sex            F or M (also female/male, 女/男); empty: unknown
  birth_date     YYYY-MM-DD, or
  age            whole years at the visit (one of the two; both empty: unknown)
  booked_at      ISO 8601 date-time; without an offset it is read in the project's time zone
  visit_date     YYYY-MM-DD
  department     required
  attended       1/0, yes/no, true/false
  reminder_sent  1/0, yes/no, true/false
  visit_hour     optional, 0-23
  doctor         optional, any stable doctor id or name
  fee            optional, integer fen
  visit_id       optional; the row's id in the source system (else the row's content is
                 its key, and an identical row in the same file is an error)
A visit day before the booking day is skipped and recorded, as for the public data set.
"""

import csv
import datetime
import decimal
import hashlib
import io
import zipfile
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

KAGGLE = "kaggle-noshow"
GENERIC = "generic"
FORMATS = (KAGGLE, GENERIC)
KAGGLE_TIME_ZONE = zoneinfo.ZoneInfo("America/Sao_Paulo")
KAGGLE_COLUMNS = (
    "PatientId",
    "AppointmentID",
    "Gender",
    "ScheduledDay",
    "AppointmentDay",
    "Age",
    "Neighbourhood",
    "Scholarship",
    "Hipertension",
    "Diabetes",
    "Alcoholism",
    "Handcap",
    "SMS_received",
    "No-show",
)
GENERIC_REQUIRED = (
    "patient_key",
    "sex",
    "booked_at",
    "visit_date",
    "department",
    "attended",
    "reminder_sent",
)
GENERIC_OPTIONAL = ("birth_date", "age", "visit_hour", "doctor", "fee", "visit_id")
TRUE = {"1", "yes", "y", "true", "t", "是"}
FALSE = {"0", "no", "n", "false", "f", "否"}
SEXES = {"f": "F", "female": "F", "女": "F", "m": "M", "male": "M", "男": "M", "": ""}


class FileError(ValueError):
    """A row (or the file) cannot be read; `line` is 1-based, the header being line 1."""

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class HistoryRow:
    line: int
    row_key: str
    patient_key: str  # raw: hashed before it is stored or used
    sex: str
    age: int | None
    booked_at: datetime.datetime  # aware
    booked_on: datetime.date  # local day of the booking
    booked_hour: int
    visit_date: datetime.date
    department: str
    doctor: str
    hour: int | None
    fee: int | None
    attended: bool
    reminder_sent: bool
    extra: dict = field(default_factory=dict)
    age_was_invalid: bool = False


@dataclass
class ParsedFile:
    rows: list[HistoryRow]
    skipped: list[tuple[int, str]]  # (line, reason) of rows left out on purpose
    sha256: str


def read_bytes(path: str) -> tuple[bytes, str]:
    """The CSV's bytes (from the .zip's single CSV or the file itself) and the file's sha256."""
    with open(path, "rb") as handle:
        raw = handle.read()
    digest = hashlib.sha256(raw).hexdigest()
    if zipfile.is_zipfile(io.BytesIO(raw)):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise FileError(None, _("The zip file must hold exactly one CSV file."))
            raw = archive.read(names[0])
    return raw, digest


def _records(raw: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileError(None, _("The file is not UTF-8 text.")) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise FileError(1, _("The file is empty."))
    header = [name.strip() for name in header]
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            raise FileError(
                reader.line_num,
                _("Expected %(expected)d columns, found %(found)d.")
                % {"expected": len(header), "found": len(values)},
            )
        yield (
            reader.line_num,
            dict(zip(header, (v.strip() for v in values), strict=True)),
        )
    if reader.line_num <= 1:
        raise FileError(1, _("The file has no rows."))


def _header(raw: bytes) -> list[str]:
    first = raw.decode("utf-8-sig", errors="replace").splitlines()[:1]
    return [name.strip() for name in next(csv.reader(first), [])]


def _flag(value: str, column: str) -> bool:
    lowered = value.lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError(
        _("%(column)s must be 1 or 0, not %(value)r.")
        % {"column": column, "value": value}
    )


def _int(value: str, column: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError(
            _("%(column)s must be a whole number, not %(value)r.")
            % {"column": column, "value": value}
        ) from None
    if not low <= number <= high:
        raise ValueError(
            _("%(column)s must be between %(low)d and %(high)d.")
            % {"column": column, "low": low, "high": high}
        )
    return number


def _date(value: str, column: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(
            _("%(column)s must be a date YYYY-MM-DD, not %(value)r.")
            % {"column": column, "value": value}
        ) from None


def _datetime(value: str, column: str, default_zone) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            _("%(column)s must be an ISO 8601 date and time, not %(value)r.")
            % {"column": column, "value": value}
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=default_zone)
    return moment


def _patient_id(value: str) -> str:
    try:
        number = decimal.Decimal(value)
    except decimal.InvalidOperation:
        raise ValueError(
            _("PatientId must be a number, not %(value)r.") % {"value": value}
        ) from None
    if not number.is_finite() or number < 0:
        raise ValueError(
            _("PatientId must be a number, not %(value)r.") % {"value": value}
        )
    if number == number.to_integral_value():
        return str(int(number))
    return format(
        number.normalize(), "f"
    )  # a few ids are not whole numbers: kept as such


def _kaggle_row(line: int, record: dict[str, str]) -> HistoryRow:
    booked_at = _datetime(record["ScheduledDay"], "ScheduledDay", datetime.UTC)
    local = booked_at.astimezone(KAGGLE_TIME_ZONE)
    age = _int(record["Age"], "Age", -1, 130)
    no_show = record["No-show"].lower()
    if no_show not in ("yes", "no"):
        raise ValueError(
            _("No-show must be Yes or No, not %(value)r.")
            % {"value": record["No-show"]}
        )
    sex = SEXES.get(record["Gender"].lower())
    if sex is None:
        raise ValueError(
            _("Gender must be F or M, not %(value)r.") % {"value": record["Gender"]}
        )
    if not record["Neighbourhood"]:
        raise ValueError(_("Neighbourhood is empty."))
    return HistoryRow(
        line=line,
        row_key=str(_int(record["AppointmentID"], "AppointmentID", 1, 10**15)),
        patient_key=_patient_id(record["PatientId"]),
        sex=sex,
        age=None if age < 0 else age,
        age_was_invalid=age < 0,
        booked_at=booked_at,
        booked_on=local.date(),
        booked_hour=local.hour,
        visit_date=_date(record["AppointmentDay"], "AppointmentDay"),
        department=record["Neighbourhood"][:100],
        doctor="",
        hour=None,
        fee=None,
        attended=no_show == "no",
        reminder_sent=_flag(record["SMS_received"], "SMS_received"),
        extra={
            "welfare": int(_flag(record["Scholarship"], "Scholarship")),
            "hypertension": int(_flag(record["Hipertension"], "Hipertension")),
            "diabetes": int(_flag(record["Diabetes"], "Diabetes")),
            "alcoholism": int(_flag(record["Alcoholism"], "Alcoholism")),
            "handicap": _int(record["Handcap"], "Handcap", 0, 4),
        },
    )


def _generic_row(line: int, record: dict[str, str]) -> HistoryRow:
    zone = timezone.get_default_timezone()
    for column in ("patient_key", "booked_at", "visit_date", "department"):
        if not record[column]:
            raise ValueError(_("%(column)s is empty.") % {"column": column})
    sex = SEXES.get(record["sex"].lower())
    if sex is None:
        raise ValueError(
            _("sex must be F or M, not %(value)r.") % {"value": record["sex"]}
        )
    booked_at = _datetime(record["booked_at"], "booked_at", zone)
    local = booked_at.astimezone(zone)
    visit_date = _date(record["visit_date"], "visit_date")
    age = None
    if record.get("birth_date"):
        born = _date(record["birth_date"], "birth_date")
        age = (
            visit_date.year
            - born.year
            - ((visit_date.month, visit_date.day) < (born.month, born.day))
        )
        if not 0 <= age <= 130:
            raise ValueError(_("birth_date is after the visit or too long ago."))
    elif record.get("age"):
        age = _int(record["age"], "age", 0, 130)
    hour = (
        _int(record["visit_hour"], "visit_hour", 0, 23)
        if record.get("visit_hour")
        else None
    )
    fee = _int(record["fee"], "fee", 0, 10**8) if record.get("fee") else None
    row = HistoryRow(
        line=line,
        row_key="",
        patient_key=record["patient_key"][:200],
        sex=sex,
        age=age,
        booked_at=booked_at,
        booked_on=local.date(),
        booked_hour=local.hour,
        visit_date=visit_date,
        department=record["department"][:100],
        doctor=record.get("doctor", "")[:100],
        hour=hour,
        fee=fee,
        attended=_flag(record["attended"], "attended"),
        reminder_sent=_flag(record["reminder_sent"], "reminder_sent"),
    )
    key = (
        record.get("visit_id")
        or hashlib.sha256(
            "|".join(
                str(part)
                for part in (
                    row.patient_key,
                    booked_at.isoformat(),
                    visit_date,
                    row.department,
                    row.doctor,
                    hour,
                    fee,
                    row.sex,
                    age,
                    row.attended,
                    row.reminder_sent,
                )
            ).encode()
        ).hexdigest()
    )
    return HistoryRow(**{**row.__dict__, "row_key": key[:64]})


def parse(path: str, fmt: str, *, progress=None) -> ParsedFile:
    """Read and check every row; raise FileError at the first bad one."""
    raw, digest = read_bytes(path)
    header = _header(raw)
    if fmt == KAGGLE:
        missing = [c for c in KAGGLE_COLUMNS if c not in header]
        make = _kaggle_row
    elif fmt == GENERIC:
        missing = [c for c in GENERIC_REQUIRED if c not in header]
        make = _generic_row
    else:
        raise FileError(None, _("Unknown format %(format)s.") % {"format": fmt})
    if missing:
        raise FileError(
            1, _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    total = raw.count(b"\n")
    rows: list[HistoryRow] = []
    skipped: list[tuple[int, str]] = []
    first_line: dict[str, int] = {}
    for line, record in _records(raw):
        try:
            row = make(line, record)
        except ValueError as error:
            raise FileError(line, str(error)) from None
        if row.row_key in first_line:
            raise FileError(
                line,
                _("The same visit as line %(line)d.")
                % {"line": first_line[row.row_key]},
            )
        first_line[row.row_key] = line
        if row.visit_date < row.booked_on:
            skipped.append((line, "visit_before_booking_day"))
        else:
            rows.append(row)
        if progress and line % 2000 == 0:
            progress(line, total)
    if progress:
        progress(total, total)
    if not rows:
        raise FileError(None, _("The file has no usable rows."))
    return ParsedFile(rows=rows, skipped=skipped, sha256=digest)
