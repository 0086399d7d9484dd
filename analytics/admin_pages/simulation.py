"""门诊模拟: the booking policies compared for a department's measured parameters, over a
grid of slot lengths and overbooking levels, to choose both.

The page simulates 10 seeds of one session per cell (a few hundred sessions in all, well
under a second); `manage.py simulate_clinic` runs as many as one likes.
"""

import time

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.admin_pages.department_form import (
    DepartmentRangeForm,
    page_hospital_scope,
)
from analytics.queue_selectors import MIN_VISITS, DepartmentLoad, department_load
from analytics.simulation.policies import (
    POLICY_LABELS,
    ClinicConfig,
    Policy,
    ServiceDistribution,
)
from analytics.simulation.runner import GridCell, simulate_grid, simulate_policy
from common.errors import DomainError

PAGE_SEEDS = 10
MAX_GRID_CELLS = 16


def _numbers(text: str, *, low: float, high: float) -> list[float]:
    try:
        values = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise forms.ValidationError(_("Give numbers separated by commas.")) from None
    if not values or any(not low <= value <= high for value in values):
        raise forms.ValidationError(
            _("Give numbers from %(low)g to %(high)g.") % {"low": low, "high": high}
        )
    return values


class SimulationForm(DepartmentRangeForm):
    slot_lengths = forms.CharField(
        label=gettext_lazy("Slot lengths (minutes, comma-separated)"),
        initial="10,15,20",
    )
    overbooking = forms.CharField(
        label=gettext_lazy(
            "Overbooking levels (percent of the slots, comma-separated)"
        ),
        initial="0,10,20",
    )
    punctuality_sd = forms.FloatField(
        label=gettext_lazy("Punctuality: standard deviation of arrival (minutes)"),
        initial=10,
        min_value=0,
        max_value=120,
    )
    target_wait_minutes = forms.FloatField(
        label=gettext_lazy("Acceptable mean wait (minutes)"),
        initial=15,
        min_value=0.1,
        max_value=600,
    )
    max_overtime_minutes = forms.FloatField(
        label=gettext_lazy("Acceptable overtime (minutes)"),
        initial=30,
        min_value=0,
        max_value=600,
    )

    def __init__(self, data=None, *, hospital_id: int | None) -> None:
        super().__init__(data, hospital_id=hospital_id)
        for name in (
            "slot_lengths",
            "overbooking",
            "punctuality_sd",
            "target_wait_minutes",
            "max_overtime_minutes",
        ):
            self.initial.setdefault(name, self.fields[name].initial)

    def clean_slot_lengths(self) -> list[float]:
        return _numbers(self.cleaned_data["slot_lengths"], low=1, high=240)

    def clean_overbooking(self) -> list[float]:
        return [
            value / 100
            for value in _numbers(self.cleaned_data["overbooking"], low=0, high=100)
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        slots, overbooking = cleaned.get("slot_lengths"), cleaned.get("overbooking")
        if slots and overbooking and len(slots) * len(overbooking) > MAX_GRID_CELLS:
            raise forms.ValidationError(
                _("At most %(cells)d combinations of slot length and overbooking.")
                % {"cells": MAX_GRID_CELLS}
            )
        return cleaned


def department_config(load: DepartmentLoad, *, punctuality_sd: float) -> ClinicConfig:
    """The department's measured session as simulation parameters."""
    return ClinicConfig(
        doctors=load.servers,
        session_minutes=round(load.mean_session_hours * 60),
        service_minutes=load.mean_visit_minutes,
        service_cv=load.visit_cv or 1.0,
        service_distribution=ServiceDistribution.LOGNORMAL,
        no_show_rate=min(load.no_show_rate or 0.0, 0.99),
        punctuality_sd=punctuality_sd,
        walk_ins_per_hour=load.walk_ins_per_hour,
        arrivals_per_hour=load.arrival_rate,
    )


def suggested_cell(
    cells: list[GridCell], *, target_wait: float, max_overtime: float
) -> GridCell | None:
    """The timed-slot setting that sees the most patients within the acceptable wait and
    overtime (ties: the shorter wait)."""
    fitting = [
        (cell, cell.results[1])
        for cell in cells
        if cell.results[1].mean_wait.mean <= target_wait
        and cell.results[1].overtime.mean <= max_overtime
    ]
    if not fitting:
        return None
    return max(fitting, key=lambda pair: (pair[1].seen.mean, -pair[1].mean_wait.mean))[
        0
    ]


def simulation_page(request: HttpRequest) -> TemplateResponse:
    hospital_id = page_hospital_scope(request)
    form = SimulationForm(
        request.GET if "department" in request.GET else None, hospital_id=hospital_id
    )
    context = {
        **admin.site.each_context(request),
        "title": _("Clinic simulation"),
        "form": form,
        "min_visits": MIN_VISITS,
        "seeds": PAGE_SEEDS,
        "labels": {policy.name.lower(): POLICY_LABELS[policy] for policy in Policy},
    }
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        load = department_load(
            department_id=data["department"].pk, start=data["start"], end=data["end"]
        )
        context.update(load=load, department=data["department"])
        if load.has_enough_data and load.mean_session_hours * 60 >= max(
            data["slot_lengths"]
        ):
            started = time.perf_counter()
            try:
                config = department_config(load, punctuality_sd=data["punctuality_sd"])
                cells = simulate_grid(
                    config,
                    slot_lengths=data["slot_lengths"],
                    overbook_levels=data["overbooking"],
                    seeds=PAGE_SEEDS,
                )
                walk_in = simulate_policy(config, Policy.WALK_IN, seeds=PAGE_SEEDS)
            except DomainError as error:
                context["simulation_error"] = error.message
            else:
                context.update(
                    config=config,
                    cells=cells,
                    walk_in=walk_in,
                    suggested=suggested_cell(
                        cells,
                        target_wait=data["target_wait_minutes"],
                        max_overtime=data["max_overtime_minutes"],
                    ),
                    seconds=time.perf_counter() - started,
                )
        elif load.has_enough_data:
            context["slots_too_long"] = True
    # A refused form (a department outside the user's scope, a bad range) is bad input.
    status = 400 if form.is_bound and form.errors else 200
    return TemplateResponse(
        request, "admin/analytics/simulation.html", context, status=status
    )
