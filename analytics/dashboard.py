"""Today's figures on the admin's front page, each linking to the rows it counts.

Hospital staff and doctors see their own hospital; superusers and platform admins see the
totals of every hospital (the links then list every hospital's rows). Each link opens the
model's changelist with filters that select exactly the rows behind the number, so the
count there is the number shown here (for seats left: the slots whose free seats add up to it).
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.admin import AdminSite
from django.contrib.admin.exceptions import NotRegistered
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from analytics.selectors import (
    DAY_BOOKED_STATUSES,
    DAY_CHECKED_IN_STATUSES,
    TodayFigures,
    today_figures,
)
from appointments.models import Appointment
from billing.models import Refund
from common.admin import user_sees_every_hospital
from scheduling.models import ClinicSession, Slot

HOSPITAL_ROLES = (User.Role.HOSPITAL_STAFF, User.Role.DOCTOR)


@dataclass(frozen=True)
class Figure:
    label: str
    value: int
    url: str | None  # None when the user may not open that list


@dataclass(frozen=True)
class TodayPanel:
    date: datetime.date
    scope: str  # the hospital's name, or "all hospitals"
    figures: list[Figure]


def user_hospital_scope(user) -> tuple[int | None, str] | None:
    """(hospital id or None for every hospital, its name); None: no figures for this user."""
    if user_sees_every_hospital(user):
        return None, _("All hospitals")
    if getattr(user, "role", None) in HOSPITAL_ROLES and user.hospital_id is not None:
        return user.hospital_id, user.hospital.name
    return None


def changelist_url(
    admin_site: AdminSite, request: HttpRequest, model: type[Model], params: dict
) -> str | None:
    """The changelist of `model` filtered by `params`, if the user may open it."""
    try:
        model_admin = admin_site.get_model_admin(model)
    except NotRegistered:
        return None
    if not model_admin.has_view_or_change_permission(request):
        return None
    opts = model._meta
    url = reverse(
        f"{admin_site.name}:{opts.app_label}_{opts.model_name}_changelist",
        current_app=admin_site.name,
    )
    return f"{url}?{urlencode(params)}"


def today_panel(admin_site: AdminSite, request: HttpRequest) -> TodayPanel | None:
    scope = user_hospital_scope(request.user)
    if scope is None:
        return None
    hospital_id, scope_name = scope
    # The hospitals' own calendar day (settings.TIME_ZONE, Asia/Shanghai), whatever time
    # zone the request may have activated.
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    figures: TodayFigures = today_figures(hospital_id=hospital_id, today=today)
    # The admin's date filter selects a day as [day, next day): its "Today" choice shows
    # as chosen in the sidebar.
    day = {"__gte": str(today), "__lt": str(today + datetime.timedelta(days=1))}
    session_day = {f"date{op}": value for op, value in day.items()}
    appointment_day = {f"session__date{op}": value for op, value in day.items()}

    def link(model: type[Model], params: dict) -> str | None:
        return changelist_url(admin_site, request, model, params)

    return TodayPanel(
        date=today,
        scope=scope_name,
        figures=[
            Figure(
                _("Clinic sessions today"),
                figures.sessions,
                link(
                    ClinicSession,
                    session_day | {"status__exact": ClinicSession.Status.OPEN},
                ),
            ),
            Figure(
                _("Booked"),
                figures.booked,
                link(
                    Appointment,
                    appointment_day | {"status__in": ",".join(DAY_BOOKED_STATUSES)},
                ),
            ),
            Figure(
                _("Checked in"),
                figures.checked_in,
                link(
                    Appointment,
                    appointment_day | {"status__in": ",".join(DAY_CHECKED_IN_STATUSES)},
                ),
            ),
            Figure(
                _("No-shows so far"),
                figures.no_shows,
                link(
                    Appointment,
                    appointment_day | {"status__exact": Appointment.Status.NO_SHOW},
                ),
            ),
            Figure(
                _("Seats left"),
                figures.seats_left,
                # The slot list filters by day through its 今天 choice (a related
                # field's date range is not a lookup the slot admin accepts).
                link(
                    Slot,
                    {
                        "day": "today",
                        "session__status__exact": ClinicSession.Status.OPEN,
                    },
                ),
            ),
            Figure(
                _("Refunds in progress"),
                figures.pending_refunds,
                link(Refund, {"status__exact": Refund.Status.REFUNDING}),
            ),
        ],
    )
