"""排队模型: the M/M/c model of a department, with λ, μ and c measured from its history."""

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
from analytics.errors import ErrorCode
from analytics.queue_selectors import MIN_VISITS, department_load
from analytics.queueing import queue_metrics, servers_needed
from common.errors import DomainError
from common.replica import reads_may_lag


class QueueForm(DepartmentRangeForm):
    target_wait_minutes = forms.FloatField(
        label=gettext_lazy("Target mean wait (minutes)"),
        initial=15,
        min_value=0.1,
        max_value=24 * 60,
    )

    def __init__(self, data=None, *, hospital_id: int | None) -> None:
        super().__init__(data, hospital_id=hospital_id)
        self.initial.setdefault("target_wait_minutes", 15)


@reads_may_lag  # measured figures over weeks: lag does not matter
def queue_page(request: HttpRequest) -> TemplateResponse:
    hospital_id = page_hospital_scope(request)
    form = QueueForm(
        request.GET if "department" in request.GET else None, hospital_id=hospital_id
    )
    context = {
        **admin.site.each_context(request),
        "title": _("Queue model"),
        "form": form,
        "min_visits": MIN_VISITS,
    }
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        load = department_load(
            department_id=data["department"].pk, start=data["start"], end=data["end"]
        )
        context.update(load=load, department=data["department"])
        if load.has_enough_data:
            context["servers_needed"] = servers_needed(
                arrival_rate=load.arrival_rate,
                service_rate=load.service_rate,
                target_wait_hours=data["target_wait_minutes"] / 60,
            )
            context["target_wait_minutes"] = data["target_wait_minutes"]
            try:
                metrics = queue_metrics(
                    arrival_rate=load.arrival_rate,
                    service_rate=load.service_rate,
                    servers=load.servers,
                )
            except DomainError as error:
                if error.code != ErrorCode.QUEUE_UNSTABLE:
                    raise
                context["unstable"] = error.message
            else:
                context["metrics"] = metrics
                context["wq_minutes"] = metrics.wq * 60
                context["w_minutes"] = metrics.w * 60
    # A refused form (a department outside the user's scope, a bad range) is bad input.
    status = 400 if form.is_bound and form.errors else 200
    return TemplateResponse(
        request, "admin/analytics/queue.html", context, status=status
    )
