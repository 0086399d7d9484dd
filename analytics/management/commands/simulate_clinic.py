"""manage.py simulate_clinic: compare the booking policies of one clinic session, or
measure the no-show model in use (--compare-noshow-policy)."""

import json
import unicodedata
from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from analytics.queue_selectors import department_noshow_risks
from analytics.simulation.noshow import ReleaseAssumptions
from analytics.simulation.policies import (
    POLICY_LABELS,
    ClinicConfig,
    Policy,
    ServiceDistribution,
)
from analytics.simulation.runner import (
    ReleaseComparison,
    compare_release,
    simulate_policies,
)
from common.errors import DomainError
from common.progress import ProgressBar

DEFAULTS = ClinicConfig()
# A measured effect, not a claim: the release comparison is reported over 10 seeds or more.
MIN_COMPARISON_SEEDS = 10
# The spread of the no-show risks in the comparison when neither risks nor a concentration
# are given: Beta(mean, concentration 4), e.g. mean 0.15 gives α = 0.6, β = 3.4, so about
# 16 % of bookings are at 0.30 or above.
DEFAULT_CONCENTRATION = 4.0
ASSUMPTIONS = ReleaseAssumptions()
# --sensitivity: each assumption moved alone to a low and a high value.
SENSITIVITY = {
    "high_risk_threshold": (0.2, 0.4),
    "reminder_effect": (0.0, 0.4),
    "unconfirmed_if_no_show": (0.4, 0.9),
    "unconfirmed_if_attending": (0.02, 0.25),
    "releasable_share": (0.2, 0.8),
    "waitlist_fill": (0.5, 1.0),
    "waitlist_no_show": (0.05, 0.3),
}


def _width(text: str) -> int:
    """Columns on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _config_json(config: ClinicConfig) -> dict:
    body = {**config.__dict__, "bookings": config.bookings}
    # A department's stored risks can be thousands: their count and mean say enough.
    body["no_show_risks"] = {
        "count": len(config.no_show_risks),
        "mean": config.mean_no_show if config.no_show_risks else None,
    }
    return body


def _risks(text: str) -> tuple[float, ...]:
    """Comma-separated no-show risks, as probabilities (0.25) or permille (250)."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CommandError(_("--no-show-risks: not a list of numbers.")) from None
    if not values:
        raise CommandError(_("--no-show-risks: the list is empty."))
    if any(value > 1 for value in values):
        values = [value / 1000 for value in values]
    return tuple(values)


class Command(BaseCommand):
    help = (
        "Simulate one clinic session under the walk-in, appointments-first and "
        "timed-slot policies (mean and p90 wait, utilisation, overtime, patients seen, "
        "idle time, no-shows over several seeds), or with --compare-noshow-policy the "
        "timed slots with and without the no-show model's reminders and release."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add = parser.add_argument
        add("--policy", default="all", choices=["all", *[p.value for p in Policy]])
        add("--doctors", type=int, default=DEFAULTS.doctors)
        add("--session-minutes", type=float, default=DEFAULTS.session_minutes)
        add("--service-minutes", type=float, default=DEFAULTS.service_minutes)
        add("--service-cv", type=float, default=DEFAULTS.service_cv)
        add(
            "--service-distribution",
            default=DEFAULTS.service_distribution.value,
            choices=[d.value for d in ServiceDistribution],
        )
        add("--slot-minutes", type=float, default=DEFAULTS.slot_minutes)
        add(
            "--overbook",
            type=float,
            default=DEFAULTS.overbook,
            help="extra bookings as a share of the slots (0.1 = 10%% more)",
        )
        add("--no-show-rate", type=float, default=DEFAULTS.no_show_rate)
        add(
            "--no-show-risks",
            type=_risks,
            default=(),
            help="comma-separated per-booking risks (0.2 or permille 200), resampled",
        )
        add(
            "--no-show-concentration",
            type=float,
            default=None,
            help="draw each booking's risk from a Beta of mean --no-show-rate and "
            "this concentration α+β",
        )
        add(
            "--risks-from-department",
            type=int,
            default=None,
            metavar="DEPARTMENT_ID",
            help="resample the no-show model's stored risks of this department's "
            "bookings",
        )
        add("--walk-ins-per-hour", type=float, default=DEFAULTS.walk_ins_per_hour)
        add(
            "--arrivals-per-hour",
            type=float,
            default=None,
            help="the walk-in policy's arrivals (default: the same patients as "
            "appointments-first)",
        )
        add("--punctuality-sd", type=float, default=DEFAULTS.punctuality_sd)
        add("--seeds", type=int, default=20, help="independent replications")
        add("--sessions-per-seed", type=int, default=None)
        add("--seed", type=int, default=2026, help="the base seed")
        add("--json", action="store_true", help="print one JSON object")
        add(
            "--compare-noshow-policy",
            action="store_true",
            help="timed slots with and without the no-show model in use",
        )
        add(
            "--sensitivity",
            action="store_true",
            help="with --compare-noshow-policy: move each assumption alone",
        )
        for name, value in ASSUMPTIONS.__dict__.items():
            add(f"--{name.replace('_', '-')}", type=float, default=value)

    def handle(self, *args, **options) -> None:
        if options["risks_from_department"] is not None:
            risks = department_noshow_risks(
                department_id=options["risks_from_department"]
            )
            if not risks:
                raise CommandError(
                    _("No booking of department %(id)s has a stored no-show risk.")
                    % {"id": options["risks_from_department"]}
                )
            # A risk of 1000‰ would be a certain no-show: the simulation takes < 1.
            options["no_show_risks"] = tuple(min(risk, 0.999) for risk in risks)
        try:
            config = ClinicConfig(
                doctors=options["doctors"],
                session_minutes=options["session_minutes"],
                service_minutes=options["service_minutes"],
                service_cv=options["service_cv"],
                service_distribution=ServiceDistribution(
                    options["service_distribution"]
                ),
                slot_minutes=options["slot_minutes"],
                overbook=options["overbook"],
                no_show_rate=options["no_show_rate"],
                no_show_risks=options["no_show_risks"],
                no_show_concentration=options["no_show_concentration"],
                punctuality_sd=options["punctuality_sd"],
                walk_ins_per_hour=options["walk_ins_per_hour"],
                arrivals_per_hour=options["arrivals_per_hour"],
            )
            if options["compare_noshow_policy"]:
                self._compare(config, options)
            else:
                self._policies(config, options)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from None

    # -- the three policies --------------------------------------------------------------

    def _policies(self, config: ClinicConfig, options: dict) -> None:
        policies = tuple(Policy) if options["policy"] == "all" else (options["policy"],)
        results = simulate_policies(
            config,
            policies,
            seeds=options["seeds"],
            base_seed=options["seed"],
            sessions_per_seed=options["sessions_per_seed"] or 1,
        )
        if options["json"]:
            body = {
                "config": _config_json(config),
                "policies": [result.as_json() for result in results],
            }
            self.stdout.write(json.dumps(body, default=str))
            return
        self.stdout.write(
            _(
                "%(doctors)d doctors, %(minutes)g-minute session, visits %(service)g min "
                "(cv %(cv)g, %(dist)s); %(bookings)d bookings in %(slot)g-minute slots; "
                "%(seeds)d seeds, mean with a 95%% confidence interval"
            )
            % {
                "doctors": config.doctors,
                "minutes": config.session_minutes,
                "service": config.service_minutes,
                "cv": config.service_cv,
                "dist": config.service_distribution,
                "bookings": config.bookings,
                "slot": config.slot_minutes,
                "seeds": options["seeds"],
            }
        )
        header = [
            _("policy"),
            _("mean wait (min)"),
            _("p90 wait"),
            _("utilisation"),
            _("overtime (min)"),
            _("seen"),
            _("idle (doctor-min)"),
            _("no-shows"),
        ]
        rows = [
            [
                result.policy,
                f"{result.mean_wait.mean:.1f} ±{result.mean_wait.half_width:.1f}",
                f"{result.p90_wait:.1f}",
                f"{result.utilisation.mean:.1%}",
                f"{result.overtime.mean:.1f} ±{result.overtime.half_width:.1f}",
                f"{result.seen.mean:.1f}",
                f"{result.idle.mean:.0f}",
                f"{result.no_shows.mean:.1f}",
            ]
            for result in results
        ]
        self._table(header, rows)
        for result in results:
            self.stdout.write(
                f"  {result.policy}: {POLICY_LABELS[Policy(result.policy)]}"
            )

    def _table(self, header: list[str], rows: list[list[str]]) -> None:
        table = [header, *rows]
        widths = [max(_width(str(row[i])) for row in table) for i in range(len(header))]
        for row in table:
            self.stdout.write(
                "  ".join(
                    str(cell) + " " * (width - _width(str(cell)))
                    for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )

    # -- the no-show model in use ----------------------------------------------------------

    def _compare(self, config: ClinicConfig, options: dict) -> None:
        assumptions = ReleaseAssumptions(
            **{name: options[name] for name in ASSUMPTIONS.__dict__}
        )
        if options["seeds"] < MIN_COMPARISON_SEEDS:
            raise CommandError(
                _("The comparison needs at least %(min)d seeds.")
                % {"min": MIN_COMPARISON_SEEDS}
            )
        sessions = options["sessions_per_seed"] or 50
        if not config.no_show_risks and config.no_show_concentration is None:
            # A flat rate makes nobody high-risk: the comparison assumes patients differ,
            # as a Beta of the given mean with this concentration.
            config = replace(config, no_show_concentration=DEFAULT_CONCENTRATION)
        runs = [("base", None, None, assumptions)]
        if options["sensitivity"]:
            runs += [
                (name, name, value, replace(assumptions, **{name: value}))
                for name, values in SENSITIVITY.items()
                for value in values
            ]
        bar = ProgressBar(self.stderr, len(runs) * options["seeds"], unit="seeds")
        comparisons: list[tuple[str | None, float | None, ReleaseComparison]] = []
        for _label, name, value, variant in runs:
            comparisons.append(
                (
                    name,
                    value,
                    compare_release(
                        config,
                        variant,
                        seeds=options["seeds"],
                        sessions_per_seed=sessions,
                        base_seed=options["seed"],
                        progress=lambda done, total: bar.advance(),
                    ),
                )
            )
        bar.finish()
        base = comparisons[0][2]
        if options["json"]:
            body = {
                "config": _config_json(config),
                **base.as_json(),
            }
            if options["sensitivity"]:
                body["sensitivity"] = [
                    {
                        "assumption": name,
                        "value": value,
                        "difference": {
                            key: est.as_json() for key, est in comp.difference.items()
                        },
                    }
                    for name, value, comp in comparisons[1:]
                ]
            self.stdout.write(json.dumps(body, default=str))
            return
        self.stdout.write(
            _(
                "Timed slots, %(bookings)d bookings per session, %(seeds)d seeds × "
                "%(sessions)d sessions; per session, mean with a 95%% confidence interval over seeds"
            )
            % {"bookings": config.bookings, "seeds": base.seeds, "sessions": sessions}
        )
        if config.no_show_risks:
            source = _(
                "No-show risks resampled from %(count)d values, mean %(mean).3f"
            ) % {
                "count": len(config.no_show_risks),
                "mean": config.mean_no_show,
            }
        else:
            source = _(
                "No-show risks drawn from a Beta distribution, mean %(mean).3f, "
                "concentration %(kappa)g"
            ) % {"mean": config.no_show_rate, "kappa": config.no_show_concentration}
        self.stdout.write(source)
        labels = {
            "seen": _("patients seen"),
            "wasted_seats": _("seats wasted by no-shows"),
            "idle": _("doctor idle minutes"),
            "wrongly_released": _("attendees wrongly released"),
            "mean_wait": _("mean wait (min)"),
            "overtime": _("overtime (min)"),
        }

        def cell(est) -> str:
            return f"{est.mean:.2f} [{est.low:.2f}, {est.high:.2f}]"

        rows = [
            [
                labels[name],
                cell(base.without[name]),
                cell(base.with_model[name]),
                cell(base.difference[name]),
            ]
            for name in labels
        ]
        self._table(
            [_("figure"), _("without"), _("with the model"), _("difference")], rows
        )
        self.stdout.write(
            _("Assumptions: %(values)s")
            % {
                "values": ", ".join(
                    f"{k}={v:g}" for k, v in assumptions.__dict__.items()
                )
            }
        )
        if options["sensitivity"]:
            self.stdout.write(_("Sensitivity: one assumption moved at a time"))
            self._table(
                [
                    _("assumption"),
                    _("value"),
                    _("Δ seen"),
                    _("Δ wrongly released"),
                    _("Δ idle minutes"),
                ],
                [
                    [
                        name,
                        f"{value:g}",
                        cell(comp.difference["seen"]),
                        cell(comp.difference["wrongly_released"]),
                        cell(comp.difference["idle"]),
                    ]
                    for name, value, comp in comparisons[1:]
                ],
            )
