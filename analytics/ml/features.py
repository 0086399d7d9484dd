"""From a visit and its history counts to the model's feature vector.

One function for training and for scoring, so the two cannot drift apart. Every feature is
known when the booking is made. Missing values become -1 (the trees split them off), and
the labels are what staff read in the exported rules.
"""

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from analytics.ml.holidays import day_off
from analytics.ml.visits import HistoryCounts, Visit

MISSING = -1.0

# The features, in order, with the label the rules show. A model stores the names it was
# trained on (constant columns are dropped), so a later change here cannot mislead it.
LABELS = {
    "age": _("age (years)"),
    "sex_female": _("sex is female"),
    "lead_days": _("days booked ahead"),
    "weekday": _("visit weekday (0 = Monday)"),
    "visit_hour": _("visit hour"),
    "booked_hour": _("hour the booking was made"),
    "prior_visits": _("earlier visits known at booking"),
    "prior_no_shows": _("earlier no-shows known at booking"),
    "prior_no_show_share": _("share of earlier visits missed"),
    "prior_bookings": _("earlier bookings"),
    "days_since_prev_booking": _("days since the previous booking"),
    "same_day_bookings": _("other bookings for the same day"),
    "pending_bookings": _("other bookings still ahead"),
    "department_rate": _("department's earlier no-show rate"),
    "department_visits": _("department's earlier visits"),
    "doctor_rate": _("doctor's earlier no-show rate"),
    "reminder": _("reminder on"),
    "member_level": _("member level (points threshold)"),
    "fee_yuan": _("fee (yuan)"),
    "clinic_expert": _("expert clinic"),
    "clinic_specialist": _("specialist clinic"),
    "visit_day_off": _("visit on a day off"),
    "visit_holiday": _("visit on a public holiday"),
    "welfare": _("on the welfare programme"),
    "hypertension": _("hypertension"),
    "diabetes": _("diabetes"),
    "alcoholism": _("alcoholism"),
    "handicap": _("handicap level"),
}
FEATURE_NAMES = tuple(LABELS)
# What the trees are trained on. The booking counts (earlier bookings, days since the
# previous one, other bookings for the day or still ahead), the booking hour, the share of
# earlier visits missed and the department's visit count are computed too but left out:
# counted from the start of the history, they grow with its length (a booking in the last
# weeks has more "earlier bookings" than one in the first weeks), so a split learnt on
# earlier days means something else on later days; on the public data set each of them
# lowered the test ROC AUC (README, "Analytics: no-show model").
MODEL_FEATURES = tuple(
    name
    for name in FEATURE_NAMES
    if name
    not in {
        "prior_bookings",
        "days_since_prev_booking",
        "same_day_bookings",
        "pending_bookings",
        "booked_hour",
        "prior_no_show_share",
        "department_visits",
    }
)
# Left out of the fair model: they may inform reminders, never a refusal.
PROTECTED = ("age", "sex_female")
BOOLEAN = {
    "sex_female",
    "reminder",
    "clinic_expert",
    "clinic_specialist",
    "visit_day_off",
    "visit_holiday",
    "welfare",
    "hypertension",
    "diabetes",
    "alcoholism",
}


def _flag(value: bool | None) -> float:
    return MISSING if value is None else float(value)


def _number(value: float | int | None) -> float:
    return MISSING if value is None else float(value)


def feature_row(
    visit: Visit, counts: HistoryCounts, *, holidays: bool
) -> dict[str, float]:
    """Every feature of one booking (holidays: use the Chinese calendar)."""
    row = {
        "age": _number(visit.age),
        "sex_female": _flag({"F": True, "M": False}.get(visit.sex)),
        "lead_days": float(visit.lead_days),
        "weekday": float(visit.visit_date.weekday()),
        "visit_hour": _number(visit.hour),
        "booked_hour": _number(visit.booked_hour),
        "prior_visits": float(counts.prior_visits),
        "prior_no_shows": float(counts.prior_no_shows),
        "prior_no_show_share": (
            round(counts.prior_no_shows / counts.prior_visits, 4)
            if counts.prior_visits
            else MISSING
        ),
        "prior_bookings": float(counts.prior_bookings),
        "days_since_prev_booking": counts.days_since_prev_booking,
        "same_day_bookings": float(counts.same_day_bookings),
        "pending_bookings": float(counts.pending_bookings),
        "department_rate": round(counts.department_rate, 4),
        "department_visits": float(counts.department_visits),
        "doctor_rate": round(counts.doctor_rate, 4) if visit.doctor else MISSING,
        "reminder": _flag(visit.reminder),
        "member_level": _number(visit.member_level),
        "fee_yuan": MISSING if visit.fee is None else visit.fee / 100,
        "clinic_expert": _flag(
            visit.clinic_type == "expert" if visit.clinic_type else None
        ),
        "clinic_specialist": _flag(
            visit.clinic_type == "specialist" if visit.clinic_type else None
        ),
        "visit_day_off": MISSING,
        "visit_holiday": MISSING,
    }
    if holidays:
        off = day_off(visit.visit_date)
        row["visit_day_off"] = float(off.off)
        row["visit_holiday"] = float(off.holiday) if off.known else MISSING
    extra = dict(visit.extra)
    for name in ("welfare", "hypertension", "diabetes", "alcoholism", "handicap"):
        row[name] = _number(extra.get(name))
    return row


def feature_matrix(
    visits: Sequence[Visit],
    counts: Sequence[HistoryCounts],
    *,
    names: Sequence[str],
    holidays: bool,
) -> list[list[float]]:
    return [
        [row[name] for name in names]
        for row in (
            feature_row(visit, count, holidays=holidays)
            for visit, count in zip(visits, counts, strict=True)
        )
    ]


def informative_names(matrix_rows: list[dict[str, float]]) -> list[str]:
    """The features that vary in the training rows (a constant column teaches nothing)."""
    return [
        name for name in MODEL_FEATURES if len({row[name] for row in matrix_rows}) > 1
    ]
