"""The no-show risk of a booking, read through the active model (no writes).

The booking side (appointments) records the result; this module only reads. The active
model's file is loaded once per process and kept until another version becomes active
(each call reads the active row's id and SHA-256: one small query).
"""

from dataclasses import dataclass

from analytics.ml.features import feature_row
from analytics.ml.training import band
from analytics.noshow.own_history import visit_and_counts
from analytics.noshow.store import active_model


@dataclass(frozen=True)
class RiskScore:
    risk: float  # calibrated probability of a no-show, 0..1
    risk_fair: float  # the same from the model without sex and age (release decisions use this)
    band: str  # appointments.models.RiskBand value: "low" | "medium" | "high"
    fair_band: str
    model_id: int


def appointment_risk_score(appointment) -> RiskScore | None:
    """The booking's risk under the active model; None when no model is active (or its
    file cannot be used, which is logged)."""
    found = active_model()
    if found is None:
        return None
    active, loaded = found
    visit, counts = visit_and_counts(appointment)
    row = feature_row(visit, counts, holidays=loaded.holidays)
    # Rounded before banding, so the stored figure and its band always agree.
    risk = round(float(loaded.main.risk([row])[0]), 4)
    risk_fair = round(float(loaded.fair.risk([row])[0]), 4)
    thresholds = {
        "medium": active["threshold_medium"],
        "high": active["threshold_high"],
    }
    return RiskScore(
        risk=risk,
        risk_fair=risk_fair,
        band=band(risk, thresholds),
        fair_band=band(risk_fair, thresholds),
        model_id=active["id"],
    )
