"""The catalog, public like the API's: hospitals, departments, doctors, their sessions.
A doctor's page also shows their online consult terms (consult.selectors) when they
take consults, with the way to ask them.

Reads only, through the selectors the REST API uses: hospitals.selectors for the
catalog, scheduling.doctor_search for the doctor search (cached as the API caches it),
scheduling.selectors for a doctor's sessions with seats left, the release moment and,
for a signed-in member, the earlier moment their priority window allows.
"""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from config.portal.forms import DoctorSearchForm, HospitalSearchForm, SessionFilterForm
from config.portal.gate import not_found_as_404
from consult.selectors import offer_for_patients
from hospitals import selectors as catalog
from scheduling.doctor_search import doctor_search_for_patient
from scheduling.selectors import (
    caller_priority,
    doctor_availability,
    sessions_for_caller,
)

PAGE_SIZE = 20


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/index.html", {"form": DoctorSearchForm()})


@require_safe
def hospital_list(request: HttpRequest) -> HttpResponse:
    form = HospitalSearchForm(request.GET)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    return render(
        request,
        "portal/hospitals.html",
        {
            "form": form,
            "page": _page(request, catalog.hospital_list(q=q)),
            "query": _query_without_page(request),
        },
        status=200 if form.is_valid() else 400,
    )


@require_safe
@not_found_as_404
def hospital_detail(request: HttpRequest, hospital_id: int) -> HttpResponse:
    hospital = catalog.hospital_get_for_patient(hospital_id=hospital_id)
    return render(request, "portal/hospital.html", {"hospital": hospital})


@require_safe
@not_found_as_404
def department_detail(request: HttpRequest, department_id: int) -> HttpResponse:
    department = catalog.department_get_for_patient(department_id=department_id)
    doctors = catalog.doctor_list_for_department(department=department)
    return render(
        request,
        "portal/department.html",
        {"department": department, "page": _page(request, doctors)},
    )


@require_safe
def doctor_search(request: HttpRequest) -> HttpResponse:
    form = DoctorSearchForm(request.GET)
    searched = form.is_valid() and any(form.cleaned_data.values())
    doctors = None
    if searched:
        data = form.cleaned_data
        doctors = _page(
            request,
            doctor_search_for_patient(
                q=data["q"],
                clinic_type=data["clinic_type"],
                has_seats_on=data["date"],
            ),
        )
    return render(
        request,
        "portal/doctor_search.html",
        {"form": form, "page": doctors, "query": _query_without_page(request)},
        status=400 if form.errors else 200,
    )


def sessions_listing(request: HttpRequest, doctor) -> tuple[dict, bool]:
    """The doctor's sessions as the caller sees them, filtered by ?date= and
    ?clinic_type= (SessionFilterForm): the context of portal/_sessions.html and whether
    the filter was valid. The doctor's page and the 改约 page list sessions with it."""
    form = SessionFilterForm(request.GET)
    valid = form.is_valid()
    clinic_type = form.cleaned_data.get("clinic_type", "") if valid else ""
    chosen_date = form.cleaned_data.get("date") if valid else None
    now = timezone.now()
    priority = caller_priority(user=request.user)
    sessions = sessions_for_caller(
        doctor_availability(doctor=doctor, now=now, clinic_type=clinic_type),
        priority=priority,
        now=now,
    )
    dates = sorted({session["date"] for session in sessions})
    shown = [s for s in sessions if chosen_date is None or s["date"] == chosen_date]
    context = {
        "doctor": doctor,
        "form": form,
        "dates": dates,
        "chosen_date": chosen_date,
        "clinic_type": clinic_type,
        "sessions": shown,
        "priority_hours": priority.hours,
    }
    return context, valid


def page_or_part(
    request: HttpRequest, template: str, context: dict, *, status: int
) -> HttpResponse:
    """With htmx (the HX-Request header) only the sessions' part is sent back, to replace
    the list in place; without it the whole page, so plain links and forms work alike."""
    if request.headers.get("HX-Request") == "true":
        template = "portal/_sessions.html"
    response = render(request, template, context, status=status)
    # One URL, two answers: caches must keep the part and the page apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
@not_found_as_404
def doctor_detail(request: HttpRequest, doctor_id: int) -> HttpResponse:
    """The doctor and their sessions, filtered by date and clinic type (htmx or not)."""
    doctor = catalog.doctor_get_for_patient(doctor_id=doctor_id)
    context, valid = sessions_listing(request, doctor)
    # the doctor's online consult terms, when they take consults (在线问诊)
    context["consult_offer"] = offer_for_patients(doctor_id=doctor.pk)
    return page_or_part(
        request, "portal/doctor.html", context, status=200 if valid else 400
    )
