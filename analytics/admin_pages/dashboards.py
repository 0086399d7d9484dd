"""The dashboards in the admin: one page per subject, each chart also as a CSV file.

Who sees what: hospital staff and doctors their own hospital; users who see every
hospital (superusers, platform admins) choose a hospital or all of them. Anyone else
staff is refused (403). Every page and file is read for a validated range of local days
(at most MAX_DAYS); a bad range shows its error instead of charts (400).
"""

import csv
import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.charts.registry import PAGES, Chart, chart_get, charts_on, page_get
from analytics.charts.scope import DashboardScope
from analytics.charts.table import Table

# Who sees which hospital: the same answer as the admin index's figures of the day.
from analytics.dashboard import user_hospital_scope
from common.replica import reads_may_lag
from hospitals.models import Hospital

MAX_DAYS = 366
DEFAULT_DAYS = 30


class DashboardFilterForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False)
    end = forms.DateField(label=gettext_lazy("To"), required=False)
    hospital = forms.IntegerField(
        label=gettext_lazy("Hospital"), required=False, min_value=1
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        end = data.get("end") or self.today
        start = data.get("start") or end - datetime.timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(
                _("The start date must not be after the end date.")
            )
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                _("Choose a range of at most %(days)d days.") % {"days": MAX_DAYS}
            )
        data["start"], data["end"] = start, end
        return data


def _scope_for(
    request: HttpRequest,
) -> tuple[DashboardFilterForm, DashboardScope | None, str, bool]:
    """The validated filter, the scope (None when the filter is bad), its name, and
    whether the user may choose among every hospital.

    Raises PermissionDenied for a user with no hospital to see, or for hospital staff
    asking for another hospital.
    """
    own = user_hospital_scope(request.user)
    if own is None:
        raise PermissionDenied
    own_id, scope_name = own
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    form = DashboardFilterForm(request.GET, today=today)
    may_choose = own_id is None
    if not form.is_valid():
        return form, None, scope_name, may_choose
    asked = form.cleaned_data["hospital"]
    if own_id is not None:  # tied to one hospital: that one, and no other
        if asked is not None and asked != own_id:
            raise PermissionDenied
        hospital_id = own_id
    elif asked is None:
        hospital_id = None
    else:
        hospital = Hospital.objects.filter(pk=asked).only("name").first()
        if hospital is None:
            form.add_error("hospital", _("No such hospital."))
            return form, None, scope_name, may_choose
        hospital_id, scope_name = hospital.pk, hospital.name
    scope = DashboardScope(
        hospital_id=hospital_id,
        start=form.cleaned_data["start"],
        end=form.cleaned_data["end"],
    )
    return form, scope, scope_name, may_choose


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def chart_payload(chart: Chart, table: Table) -> dict:
    """What static/analytics/dashboards.js draws: labels and one data set per column."""
    label_columns = [c for c in table.columns if c.kind in ("text", "date")]
    labels = [
        " · ".join(str(c.display(row[c.key])) for c in label_columns if row.get(c.key))
        for row in table.rows
    ]
    datasets = [
        {
            "label": str(column.label),
            "data": [_plain(column.display(row.get(column.key))) for row in table.rows],
        }
        for column in table.columns
        if column.key in chart.plotted
    ]
    return {
        "type": chart.kind,
        "labels": labels,
        "datasets": datasets,
        "horizontal": chart.horizontal,
        "percent": chart.percent,
    }


def dashboards_home(request: HttpRequest) -> HttpResponse:
    _scope_for(request)  # refuses users with nothing to see
    url = reverse("analytics_admin:dashboard_page", args=[PAGES[0].slug])
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


@reads_may_lag  # dashboards read much and may lag (common.replica)
def dashboard_page(request: HttpRequest, page: str) -> HttpResponse:
    current = page_get(page)
    if current is None:
        raise Http404
    form, scope, scope_name, may_choose = _scope_for(request)
    charts = []
    if scope is not None:
        query = request.GET.urlencode()
        for chart in charts_on(current):
            table = chart.read(scope)
            csv_url = reverse(
                "analytics_admin:dashboard_csv", args=[current.slug, chart.slug]
            )
            charts.append(
                {
                    "chart": chart,
                    "payload": chart_payload(chart, table),
                    "rows": len(table.rows),
                    "data_id": f"chart-data-{chart.slug}",
                    # Bars drawn across get room for each name.
                    "height": max(320, 24 * len(table.rows))
                    if chart.horizontal
                    else 320,
                    "csv_url": f"{csv_url}?{query}" if query else csv_url,
                }
            )
    hospitals = None
    if may_choose:
        hospitals = list(Hospital.objects.order_by("pk").values_list("pk", "name"))
    context = {
        **admin.site.each_context(request),
        "title": _("Dashboards: %(page)s") % {"page": current.title},
        "pages": PAGES,
        "current": current,
        "form": form,
        "scope": scope,
        "scope_name": scope_name,
        "hospitals": hospitals,
        "charts": charts,
        "max_days": MAX_DAYS,
    }
    status = 200 if scope is not None else 400
    return TemplateResponse(
        request, "admin/analytics/dashboards.html", context, status=status
    )


@reads_may_lag
def dashboard_csv(request: HttpRequest, page: str, chart: str) -> HttpResponse:
    current = page_get(page)
    found = chart_get(current, chart) if current is not None else None
    if found is None:
        raise Http404
    form, scope, _name, _may_choose = _scope_for(request)
    if scope is None:
        errors = "; ".join(
            str(message) for messages in form.errors.values() for message in messages
        )
        return HttpResponse(
            errors, status=400, content_type="text/plain; charset=utf-8"
        )
    table = found.read(scope)
    where = f"hospital-{scope.hospital_id}" if scope.hospital_id else "all-hospitals"
    filename = f"{found.slug}_{where}_{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # the BOM: Excel then reads the file as UTF-8 (Chinese)
    writer = csv.writer(response)
    writer.writerow([str(column.label) for column in table.columns])
    writer.writerows(table.display_rows())
    return response
