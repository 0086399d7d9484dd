"""Every route of the project × every role, with the status each role gets.

One row per route (and method): the URL, built from the ids of objects that patient A and
hospital X own, and the expected status for each of the seven roles, in the order of ROLES:

    anonymous, patient A, patient B, doctor of X, staff of X, staff of Y, platform admin

`-` means "not asked here" (a write that would succeed: the app's own tests cover it).
A POST row asks only roles that must be refused, and the test checks at the end that none
of those requests wrote anything. A route of config.urls without a row fails
test_every_route_has_a_row: add its row (one line) when you add the route.

The API is called with real JWT access tokens; the admin, the workspace and the patient
portal (/h5/) with a logged-in session (for a patient, the session the portal's SMS login
starts). Session POSTs are made without the CSRF check (tests/portal checks CSRF).
"""

from __future__ import annotations

import datetime
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessLog
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from analytics.models import HistoryImport, HistoryVisit, NoShowModel
from appointments.models import (
    Appointment,
    BookingTicket,
    LedgerAppeal,
    LedgerEntry,
    LedgerKind,
    LedgerRule,
    Notification,
    RebookingOffer,
    SessionStopRequest,
)
from appointments.screen import screen_signature
from appointments.services import (
    appointment_book,
    appointment_cancel,
    waitlist_join,
)
from billing.models import PaymentAlert, PaymentLedgerEntry, Refund
from billing.services import payment_order_dev_pay
from billing.services.orders import payment_order_open
from common.models import OperationLog
from common.services import Actor
from consult.services.access import consult_access_write
from consult.services.consults import consult_create
from consult.services.messages import message_send
from consult.services.offers import consult_offer_set, quick_reply_create
from consult.services.reports import message_report_create
from records.models import Icd10Code
from records.services.access_log import record_access_write
from records.services.content import RecordContent
from records.services.records import record_draft_save, record_sign
from records.services.reports import report_add
from scheduling.models import BookingRule
from tests.accounts.factories import PatientProfileFactory, StaffFactory, UserFactory
from tests.analytics.history_files import kaggle_rows, write_csv
from tests.hospitals.factories import (
    ConsultingRoomFactory,
    DoctorFactory,
    HospitalFactory,
)
from tests.records.factories import PNG, appointment_for
from tests.scheduling.factories import ScheduleTemplateFactory, SlotFactory

ROLES = ("anon", "patient_a", "patient_b", "doctor_x", "staff_x", "staff_y", "admin")

# The project's own apps: every model they register in the admin gets rows.
OUR_APPS = (
    "accounts",
    "hospitals",
    "scheduling",
    "appointments",
    "billing",
    "records",
    "consult",
    "analytics",
    "common",
)
# Rows that a successful read writes by design: a clinician opening a medical record is
# logged (records.RecordAccess), and so is staff reading a consult's text (consult
# .ConsultAccess), so those tables are left out of the "nothing written" check.
READ_LOGS = ("records.RecordAccess", "consult.ConsultAccess")


# fmt: off
# One line per route and method: METHOD, route (as config.urls spells it, with a leading /),
# the seven statuses in the order of ROLES, then the URL to request when the route has
# parameters ({names} of the ids that build_world returns).
#                                                                         anon pA  pB  drX stX stY adm
ROUTES = """
# public pages and documents
GET  /                                                              200 200 200 200 200 200 200
GET  /health/                                                       200 200 200 200 200 200 200
# Prometheus's scrape: unset METRICS_TOKEN and METRICS_ALLOWED_NETWORKS, it does not exist
GET  /metrics                                                       404 404 404 404 404 404 404
GET  /api/schema/                                                   200 200 200 200 200 200 200
GET  /api/docs/                                                     200 200 200 200 200 200 200
# the patients' API: reads
GET  /api/v1/accounts/me/                                           401 200 200 200 200 200 200
GET  /api/v1/accounts/member/                                       401 200 200 200 200 200 200
GET  /api/v1/accounts/member/points/                                401 200 200 200 200 200 200
GET  /api/v1/accounts/profiles/                                     401 200 200 200 200 200 200
GET  /api/v1/accounts/profiles/<int:profile_id>/                    401 200 404 404 404 404 404   /api/v1/accounts/profiles/{profile}/
GET  /api/v1/hospitals/                                             200 200 200 200 200 200 200
GET  /api/v1/hospitals/<int:hospital_id>/                           200 200 200 200 200 200 200   /api/v1/hospitals/{hospital}/
GET  /api/v1/hospitals/departments/<int:department_id>/doctors/     200 200 200 200 200 200 200   /api/v1/hospitals/departments/{department}/doctors/
GET  /api/v1/hospitals/doctors/<int:doctor_id>/                     200 200 200 200 200 200 200   /api/v1/hospitals/doctors/{doctor}/
GET  /api/v1/scheduling/doctors/<scheduling_id:doctor_id>/sessions/ 200 200 200 200 200 200 200   /api/v1/scheduling/doctors/{doctor}/sessions/
GET  /api/v1/scheduling/doctors/search/                             200 200 200 200 200 200 200
GET  /api/v1/scheduling/sessions/<scheduling_id:session_id>/        200 200 200 200 200 200 200   /api/v1/scheduling/sessions/{session}/
GET  /api/v1/appointments/                                          401 200 200 200 200 200 200
GET  /api/v1/appointments/<int:appointment_id>/                     401 200 404 404 404 404 404   /api/v1/appointments/{appointment}/
GET  /api/v1/appointments/tickets/<int:ticket_id>/                  401 200 404 404 404 404 404   /api/v1/appointments/tickets/{ticket}/
GET  /api/v1/appointments/notifications/                            401 200 200 200 200 200 200
GET  /api/v1/appointments/notifications/unread-count/               401 200 200 200 200 200 200
GET  /api/v1/appointments/notifications/subscribe-templates/        401 200 200 200 200 200 200
GET  /api/v1/appointments/waitlist/                                 401 200 200 200 200 200 200
GET  /api/v1/appointments/rebooking-offers/                         401 200 200 200 200 200 200
GET  /api/v1/appointments/staff/day-list/                           401 403 403 400 400 400 400
GET  /api/v1/billing/channels/                                      401 200 200 200 200 200 200
GET  /api/v1/billing/orders/<int:order_id>/                         401 200 404 404 404 404 404   /api/v1/billing/orders/{order}/
# the API's writes: GET answers 405 once past authentication; POST has an empty body
GET  /api/v1/accounts/login/wechat/                                 405 405 405 405 405 405 405
POST /api/v1/accounts/login/wechat/                                 400 400 400 400 400 400 400
GET  /api/v1/accounts/sms/send/                                     405 405 405 405 405 405 405
POST /api/v1/accounts/sms/send/                                     400 400 400 400 400 400 400
GET  /api/v1/accounts/login/sms/                                    405 405 405 405 405 405 405
POST /api/v1/accounts/login/sms/                                    400 400 400 400 400 400 400
GET  /api/v1/accounts/token/refresh/                                405 405 405 405 405 405 405
POST /api/v1/accounts/token/refresh/                                400 400 400 400 400 400 400
GET  /api/v1/accounts/logout/                                       401 405 405 405 405 405 405
POST /api/v1/accounts/logout/                                       401 400 400 400 400 400 400
GET  /api/v1/accounts/profiles/create/                              401 405 405 405 405 405 405
POST /api/v1/accounts/profiles/create/                              401 400 400 400 400 400 400
GET  /api/v1/accounts/profiles/<int:profile_id>/update/             401 405 405 405 405 405 405   /api/v1/accounts/profiles/{profile}/update/
POST /api/v1/accounts/profiles/<int:profile_id>/update/             401 -   404 404 404 404 404   /api/v1/accounts/profiles/{profile}/update/
GET  /api/v1/accounts/profiles/<int:profile_id>/delete/             401 405 405 405 405 405 405   /api/v1/accounts/profiles/{profile}/delete/
POST /api/v1/accounts/profiles/<int:profile_id>/delete/             401 409 404 404 404 404 404   /api/v1/accounts/profiles/{profile}/delete/
GET  /api/v1/appointments/book/                                     401 405 405 405 405 405 405
POST /api/v1/appointments/book/                                     401 400 400 400 400 400 400
GET  /api/v1/appointments/<int:appointment_id>/cancel/              401 405 405 405 405 405 405   /api/v1/appointments/{appointment}/cancel/
POST /api/v1/appointments/<int:appointment_id>/cancel/              401 -   404 404 404 404 404   /api/v1/appointments/{appointment}/cancel/
GET  /api/v1/appointments/<int:appointment_id>/confirm/             401 405 405 405 405 405 405   /api/v1/appointments/{appointment}/confirm/
POST /api/v1/appointments/<int:appointment_id>/confirm/             401 -   404 404 404 404 404   /api/v1/appointments/{appointment}/confirm/
GET  /api/v1/appointments/<int:appointment_id>/reschedule/          401 405 405 405 405 405 405   /api/v1/appointments/{appointment}/reschedule/
POST /api/v1/appointments/<int:appointment_id>/reschedule/          401 -   404 404 404 404 404   /api/v1/appointments/{appointment}/reschedule/
GET  /api/v1/appointments/<int:appointment_id>/check-in/            401 405 405 405 405 405 405   /api/v1/appointments/{appointment}/check-in/
POST /api/v1/appointments/<int:appointment_id>/check-in/            401 409 404 404 404 404 404   /api/v1/appointments/{appointment}/check-in/
GET  /api/v1/appointments/<int:appointment_id>/reminders/           401 405 405 405 405 405 405   /api/v1/appointments/{appointment}/reminders/
POST /api/v1/appointments/<int:appointment_id>/reminders/           401 400 400 400 400 400 400   /api/v1/appointments/{appointment}/reminders/
GET  /api/v1/appointments/notifications/read-all/                   401 405 405 405 405 405 405
POST /api/v1/appointments/notifications/read-all/                   401 -   200 200 200 200 200
GET  /api/v1/appointments/notifications/<int:notification_id>/read/ 401 405 405 405 405 405 405   /api/v1/appointments/notifications/{notification}/read/
POST /api/v1/appointments/notifications/<int:notification_id>/read/ 401 -   404 404 404 404 404   /api/v1/appointments/notifications/{notification}/read/
GET  /api/v1/appointments/ledger/profiles/<int:profile_id>/          401 200 404 404 404 404 404   /api/v1/appointments/ledger/profiles/{profile}/
POST /api/v1/appointments/ledger/profiles/<int:profile_id>/          401 405 405 405 405 405 405   /api/v1/appointments/ledger/profiles/{profile}/
GET  /api/v1/appointments/ledger/entries/<int:entry_id>/appeal/     401 405 405 405 405 405 405   /api/v1/appointments/ledger/entries/{ledger_entry}/appeal/
POST /api/v1/appointments/ledger/entries/<int:entry_id>/appeal/     401 400 404 404 404 404 404   /api/v1/appointments/ledger/entries/{ledger_entry}/appeal/
GET  /api/v1/appointments/ledger/appeals/                           401 200 200 200 200 200 200
GET  /api/v1/appointments/release-queue/<int:session_id>/           401 200 200 200 200 200 200   /api/v1/appointments/release-queue/{session}/
POST /api/v1/appointments/release-queue/<int:session_id>/           401 405 405 405 405 405 405   /api/v1/appointments/release-queue/{session}/
GET  /api/v1/appointments/release-queue/<int:session_id>/join/      401 405 405 405 405 405 405   /api/v1/appointments/release-queue/{session}/join/
POST /api/v1/appointments/release-queue/<int:session_id>/join/      401 400 400 400 400 400 400   /api/v1/appointments/release-queue/{session}/join/
POST /api/v1/appointments/ledger/appeals/                           401 405 405 405 405 405 405
GET  /api/v1/appointments/waitlist/join/                            401 405 405 405 405 405 405
POST /api/v1/appointments/waitlist/join/                            401 400 400 400 400 400 400
GET  /api/v1/appointments/waitlist/<int:entry_id>/leave/            401 405 405 405 405 405 405   /api/v1/appointments/waitlist/{entry}/leave/
POST /api/v1/appointments/waitlist/<int:entry_id>/leave/            401 -   404 404 404 404 404   /api/v1/appointments/waitlist/{entry}/leave/
GET  /api/v1/appointments/rebooking-offers/<int:offer_id>/accept/   401 405 405 405 405 405 405   /api/v1/appointments/rebooking-offers/{offer}/accept/
POST /api/v1/appointments/rebooking-offers/<int:offer_id>/accept/   401 -   404 404 404 404 404   /api/v1/appointments/rebooking-offers/{offer}/accept/
GET  /api/v1/appointments/rebooking-offers/<int:offer_id>/decline/  401 405 405 405 405 405 405   /api/v1/appointments/rebooking-offers/{offer}/decline/
POST /api/v1/appointments/rebooking-offers/<int:offer_id>/decline/  401 -   404 404 404 404 404   /api/v1/appointments/rebooking-offers/{offer}/decline/
GET  /api/v1/billing/orders/                                        401 405 405 405 405 405 405
POST /api/v1/billing/orders/                                        401 400 400 400 400 400 400
GET  /api/v1/billing/orders/<int:order_id>/dev-pay/                 401 405 405 405 405 405 405   /api/v1/billing/orders/{order}/dev-pay/
POST /api/v1/billing/orders/<int:order_id>/dev-pay/                 401 -   404 404 404 404 404   /api/v1/billing/orders/{order}/dev-pay/
GET  /api/v1/billing/notify/wechat/                                 405 405 405 405 405 405 405
POST /api/v1/billing/notify/wechat/                                 404 404 404 404 404 404 404
GET  /api/v1/billing/notify/wechat/refund/                          405 405 405 405 405 405 405
POST /api/v1/billing/notify/wechat/refund/                          404 404 404 404 404 404 404
GET  /api/v1/billing/notify/alipay/                                 405 405 405 405 405 405 405
POST /api/v1/billing/notify/alipay/                                 404 404 404 404 404 404 404
# the admin's own pages
GET  /admin/                                                        302 302 302 200 200 200 200
GET  /admin/login/                                                  200 200 200 302 302 302 302
GET  /admin/logout/                                                 302 302 302 405 405 405 405
GET  /admin/password_change/                                        302 302 302 200 200 200 200
GET  /admin/password_change/done/                                   302 302 302 200 200 200 200
GET  /admin/autocomplete/                                           302 302 302 403 403 403 403
GET  /admin/jsi18n/                                                 302 302 302 200 200 200 200
GET  /admin/accounts/user/<id>/password/                            302 302 302 403 404 404 200   /admin/accounts/user/{user}/password/
GET  /admin/r/<path:content_type_id>/<path:object_id>/              302 302 302 404 404 404 404   /admin/r/{appointment_type}/{appointment}/
GET  /admin/app_list                                                302 302 302 200 200 200 200   /admin/appointments/
GET  /admin/(?P<url>.*)$                                            302 302 302 404 404 404 404   /admin/no-such-page/
GET  /admin/analytics/queue/                                      302 302 302 200 200 400 200   /admin/analytics/queue/?department={department}
GET  /admin/analytics/simulation/                                 302 302 302 200 200 400 200   /admin/analytics/simulation/?department={department}
GET  /admin/analytics/noshowmodel/                                302 302 302 403 403 403 200
GET  /admin/analytics/noshowmodel/add/                            302 302 302 403 403 403 403
GET  /admin/analytics/noshowmodel/<path:object_id>/change/        302 302 302 403 403 403 200   /admin/analytics/noshowmodel/{noshow_model}/change/
GET  /admin/analytics/noshowmodel/<path:object_id>/history/       302 302 302 403 403 403 200   /admin/analytics/noshowmodel/{noshow_model}/history/
GET  /admin/analytics/noshowmodel/<path:object_id>/delete/        302 302 302 403 403 403 403   /admin/analytics/noshowmodel/{noshow_model}/delete/
GET  /admin/analytics/noshowmodel/<path:object_id>/               302 302 302 302 302 302 302   /admin/analytics/noshowmodel/{noshow_model}/
GET  /admin/analytics/historyimport/                              302 302 302 403 403 403 200
GET  /admin/analytics/historyimport/add/                          302 302 302 403 403 403 403
GET  /admin/analytics/historyimport/<path:object_id>/change/      302 302 302 403 403 403 200   /admin/analytics/historyimport/{history_import}/change/
GET  /admin/analytics/historyimport/<path:object_id>/history/     302 302 302 403 403 403 200   /admin/analytics/historyimport/{history_import}/history/
GET  /admin/analytics/historyimport/<path:object_id>/delete/      302 302 302 403 403 403 403   /admin/analytics/historyimport/{history_import}/delete/
GET  /admin/analytics/historyimport/<path:object_id>/             302 302 302 302 302 302 302   /admin/analytics/historyimport/{history_import}/
GET  /admin/analytics/historyvisit/                               302 302 302 403 403 403 200
GET  /admin/analytics/historyvisit/add/                           302 302 302 403 403 403 403
GET  /admin/analytics/historyvisit/<path:object_id>/change/       302 302 302 403 403 403 200   /admin/analytics/historyvisit/{history_visit}/change/
GET  /admin/analytics/historyvisit/<path:object_id>/history/      302 302 302 403 403 403 200   /admin/analytics/historyvisit/{history_visit}/history/
GET  /admin/analytics/historyvisit/<path:object_id>/delete/       302 302 302 403 403 403 403   /admin/analytics/historyvisit/{history_visit}/delete/
GET  /admin/analytics/historyvisit/<path:object_id>/              302 302 302 302 302 302 302   /admin/analytics/historyvisit/{history_visit}/
GET  /admin/analytics/dashboards/                                 302 302 302 302 302 302 302
GET  /admin/analytics/dashboards/<slug:page>/                     302 302 302 200 200 403 200   /admin/analytics/dashboards/volume/?hospital={hospital}
GET  /admin/analytics/dashboards/<slug:page>/<slug:chart>.csv     302 302 302 200 200 403 200   /admin/analytics/dashboards/revenue/revenue-per-day.csv?hospital={hospital}
POST /admin/appointments/appointment/<int:appointment_id>/check-in/ 302 302 302 403 -   404 -     /admin/appointments/appointment/{appointment}/check-in/
GET  /admin/scheduling/clinicsession/<path:object_id>/add-seats/    302 302 302 403 200 403 200   /admin/scheduling/clinicsession/{session}/add-seats/
POST /admin/scheduling/clinicsession/<path:object_id>/add-seats/    302 302 302 403 200 403 200   /admin/scheduling/clinicsession/{session}/add-seats/
# the admin's model pages: changelist, add, change, history, delete, bare object URL
GET  /admin/token_blacklist/outstandingtoken/                       302 302 302 403 403 403 200
GET  /admin/token_blacklist/outstandingtoken/add/                   302 302 302 403 403 403 403
GET  /admin/token_blacklist/outstandingtoken/<path:object_id>/change/ 302 302 302 403 403 403 200   /admin/token_blacklist/outstandingtoken/{outstanding}/change/
GET  /admin/token_blacklist/outstandingtoken/<path:object_id>/history/ 302 302 302 403 403 403 200   /admin/token_blacklist/outstandingtoken/{outstanding}/history/
GET  /admin/token_blacklist/outstandingtoken/<path:object_id>/delete/ 302 302 302 403 403 403 403   /admin/token_blacklist/outstandingtoken/{outstanding}/delete/
GET  /admin/token_blacklist/outstandingtoken/<path:object_id>/      302 302 302 302 302 302 302   /admin/token_blacklist/outstandingtoken/{outstanding}/
GET  /admin/token_blacklist/blacklistedtoken/                       302 302 302 403 403 403 200
GET  /admin/token_blacklist/blacklistedtoken/add/                   302 302 302 403 403 403 200
GET  /admin/token_blacklist/blacklistedtoken/<path:object_id>/change/ 302 302 302 403 403 403 200   /admin/token_blacklist/blacklistedtoken/{blacklisted}/change/
GET  /admin/token_blacklist/blacklistedtoken/<path:object_id>/history/ 302 302 302 403 403 403 200   /admin/token_blacklist/blacklistedtoken/{blacklisted}/history/
GET  /admin/token_blacklist/blacklistedtoken/<path:object_id>/delete/ 302 302 302 403 403 403 200   /admin/token_blacklist/blacklistedtoken/{blacklisted}/delete/
GET  /admin/token_blacklist/blacklistedtoken/<path:object_id>/      302 302 302 302 302 302 302   /admin/token_blacklist/blacklistedtoken/{blacklisted}/
GET  /admin/django_celery_beat/periodictask/                        302 302 302 403 403 403 200
GET  /admin/django_celery_beat/periodictask/add/                    302 302 302 403 403 403 200
GET  /admin/django_celery_beat/periodictask/<path:object_id>/change/ 302 302 302 403 403 403 200   /admin/django_celery_beat/periodictask/{task}/change/
GET  /admin/django_celery_beat/periodictask/<path:object_id>/history/ 302 302 302 403 403 403 200   /admin/django_celery_beat/periodictask/{task}/history/
GET  /admin/django_celery_beat/periodictask/<path:object_id>/delete/ 302 302 302 403 403 403 200   /admin/django_celery_beat/periodictask/{task}/delete/
GET  /admin/django_celery_beat/periodictask/<path:object_id>/       302 302 302 302 302 302 302   /admin/django_celery_beat/periodictask/{task}/
GET  /admin/django_celery_beat/clockedschedule/                     302 302 302 403 403 403 200
GET  /admin/django_celery_beat/clockedschedule/add/                 302 302 302 403 403 403 200
GET  /admin/django_celery_beat/clockedschedule/<path:object_id>/change/ 302 302 302 403 403 403 200   /admin/django_celery_beat/clockedschedule/{clocked}/change/
GET  /admin/django_celery_beat/clockedschedule/<path:object_id>/history/ 302 302 302 403 403 403 200   /admin/django_celery_beat/clockedschedule/{clocked}/history/
GET  /admin/django_celery_beat/clockedschedule/<path:object_id>/delete/ 302 302 302 403 403 403 200   /admin/django_celery_beat/clockedschedule/{clocked}/delete/
GET  /admin/django_celery_beat/clockedschedule/<path:object_id>/    302 302 302 302 302 302 302   /admin/django_celery_beat/clockedschedule/{clocked}/
GET  /admin/django_celery_beat/crontabschedule/                     302 302 302 403 403 403 200
GET  /admin/django_celery_beat/crontabschedule/add/                 302 302 302 403 403 403 200
GET  /admin/django_celery_beat/crontabschedule/<path:object_id>/change/ 302 302 302 403 403 403 200   /admin/django_celery_beat/crontabschedule/{crontab}/change/
GET  /admin/django_celery_beat/crontabschedule/<path:object_id>/history/ 302 302 302 403 403 403 200   /admin/django_celery_beat/crontabschedule/{crontab}/history/
GET  /admin/django_celery_beat/crontabschedule/<path:object_id>/delete/ 302 302 302 403 403 403 200   /admin/django_celery_beat/crontabschedule/{crontab}/delete/
GET  /admin/django_celery_beat/crontabschedule/<path:object_id>/    302 302 302 302 302 302 302   /admin/django_celery_beat/crontabschedule/{crontab}/
GET  /admin/django_celery_beat/solarschedule/                       302 302 302 403 403 403 200
GET  /admin/django_celery_beat/solarschedule/add/                   302 302 302 403 403 403 200
GET  /admin/django_celery_beat/solarschedule/<path:object_id>/change/ 302 302 302 403 403 403 200   /admin/django_celery_beat/solarschedule/{solar}/change/
GET  /admin/django_celery_beat/solarschedule/<path:object_id>/history/ 302 302 302 403 403 403 200   /admin/django_celery_beat/solarschedule/{solar}/history/
GET  /admin/django_celery_beat/solarschedule/<path:object_id>/delete/ 302 302 302 403 403 403 200   /admin/django_celery_beat/solarschedule/{solar}/delete/
GET  /admin/django_celery_beat/solarschedule/<path:object_id>/      302 302 302 302 302 302 302   /admin/django_celery_beat/solarschedule/{solar}/
GET  /admin/django_celery_beat/intervalschedule/                    302 302 302 403 403 403 200
GET  /admin/django_celery_beat/intervalschedule/add/                302 302 302 403 403 403 200
GET  /admin/django_celery_beat/intervalschedule/<path:object_id>/change/ 302 302 302 403 403 403 200   /admin/django_celery_beat/intervalschedule/{interval}/change/
GET  /admin/django_celery_beat/intervalschedule/<path:object_id>/history/ 302 302 302 403 403 403 200   /admin/django_celery_beat/intervalschedule/{interval}/history/
GET  /admin/django_celery_beat/intervalschedule/<path:object_id>/delete/ 302 302 302 403 403 403 200   /admin/django_celery_beat/intervalschedule/{interval}/delete/
GET  /admin/django_celery_beat/intervalschedule/<path:object_id>/   302 302 302 302 302 302 302   /admin/django_celery_beat/intervalschedule/{interval}/
GET  /admin/auth/group/                                             302 302 302 403 403 403 200
GET  /admin/auth/group/add/                                         302 302 302 403 403 403 200
GET  /admin/auth/group/<path:object_id>/change/                     302 302 302 403 403 403 200   /admin/auth/group/{group}/change/
GET  /admin/auth/group/<path:object_id>/history/                    302 302 302 403 403 403 200   /admin/auth/group/{group}/history/
GET  /admin/auth/group/<path:object_id>/delete/                     302 302 302 403 403 403 200   /admin/auth/group/{group}/delete/
GET  /admin/auth/group/<path:object_id>/                            302 302 302 302 302 302 302   /admin/auth/group/{group}/
GET  /admin/common/operationlog/                                    302 302 302 403 403 403 200
GET  /admin/common/operationlog/add/                                302 302 302 403 403 403 403
GET  /admin/common/operationlog/<path:object_id>/change/            302 302 302 403 403 403 200   /admin/common/operationlog/{log}/change/
GET  /admin/common/operationlog/<path:object_id>/history/           302 302 302 403 403 403 200   /admin/common/operationlog/{log}/history/
GET  /admin/common/operationlog/<path:object_id>/delete/            302 302 302 403 403 403 403   /admin/common/operationlog/{log}/delete/
GET  /admin/common/operationlog/<path:object_id>/                   302 302 302 302 302 302 302   /admin/common/operationlog/{log}/
GET  /admin/accounts/memberlevel/                                   302 302 302 403 403 403 200
GET  /admin/accounts/memberlevel/add/                               302 302 302 403 403 403 200
GET  /admin/accounts/memberlevel/<path:object_id>/change/           302 302 302 403 403 403 200   /admin/accounts/memberlevel/{level}/change/
GET  /admin/accounts/memberlevel/<path:object_id>/history/          302 302 302 403 403 403 200   /admin/accounts/memberlevel/{level}/history/
GET  /admin/accounts/memberlevel/<path:object_id>/delete/           302 302 302 403 403 403 403   /admin/accounts/memberlevel/{level}/delete/
GET  /admin/accounts/memberlevel/<path:object_id>/                  302 302 302 302 302 302 302   /admin/accounts/memberlevel/{level}/
GET  /admin/accounts/pointsentry/                                   302 302 302 403 403 403 200
GET  /admin/accounts/pointsentry/add/                               302 302 302 403 403 403 403
GET  /admin/accounts/pointsentry/<path:object_id>/change/           302 302 302 403 403 403 200   /admin/accounts/pointsentry/{points}/change/
GET  /admin/accounts/pointsentry/<path:object_id>/history/          302 302 302 403 403 403 200   /admin/accounts/pointsentry/{points}/history/
GET  /admin/accounts/pointsentry/<path:object_id>/delete/           302 302 302 403 403 403 403   /admin/accounts/pointsentry/{points}/delete/
GET  /admin/accounts/pointsentry/<path:object_id>/                  302 302 302 302 302 302 302   /admin/accounts/pointsentry/{points}/
GET  /admin/accounts/latecanceluse/                                 302 302 302 403 403 403 200
GET  /admin/accounts/latecanceluse/add/                             302 302 302 403 403 403 403
GET  /admin/accounts/latecanceluse/<path:object_id>/change/         302 302 302 403 403 403 200   /admin/accounts/latecanceluse/{late_cancel}/change/
GET  /admin/accounts/latecanceluse/<path:object_id>/history/        302 302 302 403 403 403 200   /admin/accounts/latecanceluse/{late_cancel}/history/
GET  /admin/accounts/latecanceluse/<path:object_id>/delete/         302 302 302 403 403 403 403   /admin/accounts/latecanceluse/{late_cancel}/delete/
GET  /admin/accounts/latecanceluse/<path:object_id>/                302 302 302 302 302 302 302   /admin/accounts/latecanceluse/{late_cancel}/
GET  /admin/accounts/patientprofile/                                302 302 302 403 403 403 200
GET  /admin/accounts/patientprofile/add/                            302 302 302 403 403 403 403
GET  /admin/accounts/patientprofile/<path:object_id>/change/        302 302 302 403 403 403 200   /admin/accounts/patientprofile/{profile}/change/
GET  /admin/accounts/patientprofile/<path:object_id>/history/       302 302 302 403 403 403 200   /admin/accounts/patientprofile/{profile}/history/
GET  /admin/accounts/patientprofile/<path:object_id>/delete/        302 302 302 403 403 403 403   /admin/accounts/patientprofile/{profile}/delete/
GET  /admin/accounts/patientprofile/<path:object_id>/               302 302 302 302 302 302 302   /admin/accounts/patientprofile/{profile}/
GET  /admin/accounts/user/                                          302 302 302 403 200 200 200
GET  /admin/accounts/user/add/                                      302 302 302 403 200 200 200
GET  /admin/accounts/user/<path:object_id>/change/                  302 302 302 403 302 302 200   /admin/accounts/user/{user}/change/
GET  /admin/accounts/user/<path:object_id>/history/                 302 302 302 302 302 302 200   /admin/accounts/user/{user}/history/
GET  /admin/accounts/user/<path:object_id>/delete/                  302 302 302 403 403 403 403   /admin/accounts/user/{user}/delete/
GET  /admin/accounts/user/<path:object_id>/                         302 302 302 302 302 302 302   /admin/accounts/user/{user}/
GET  /admin/hospitals/hospital/                                     302 302 302 200 200 200 200
GET  /admin/hospitals/hospital/add/                                 302 302 302 403 403 403 200
GET  /admin/hospitals/hospital/<path:object_id>/change/             302 302 302 200 200 302 200   /admin/hospitals/hospital/{hospital}/change/
GET  /admin/hospitals/hospital/<path:object_id>/history/            302 302 302 200 200 302 200   /admin/hospitals/hospital/{hospital}/history/
GET  /admin/hospitals/hospital/<path:object_id>/delete/             302 302 302 403 403 403 200   /admin/hospitals/hospital/{hospital}/delete/
GET  /admin/hospitals/hospital/<path:object_id>/                    302 302 302 302 302 302 302   /admin/hospitals/hospital/{hospital}/
GET  /admin/hospitals/department/                                   302 302 302 200 200 200 200
GET  /admin/hospitals/department/add/                               302 302 302 403 200 200 200
GET  /admin/hospitals/department/<path:object_id>/change/           302 302 302 200 200 302 200   /admin/hospitals/department/{department}/change/
GET  /admin/hospitals/department/<path:object_id>/history/          302 302 302 200 200 302 200   /admin/hospitals/department/{department}/history/
GET  /admin/hospitals/department/<path:object_id>/delete/           302 302 302 403 200 302 200   /admin/hospitals/department/{department}/delete/
GET  /admin/hospitals/department/<path:object_id>/                  302 302 302 302 302 302 302   /admin/hospitals/department/{department}/
GET  /admin/hospitals/doctor/                                       302 302 302 200 200 200 200
GET  /admin/hospitals/doctor/add/                                   302 302 302 403 200 200 200
GET  /admin/hospitals/doctor/<path:object_id>/change/               302 302 302 200 200 302 200   /admin/hospitals/doctor/{doctor}/change/
GET  /admin/hospitals/doctor/<path:object_id>/history/              302 302 302 200 200 302 200   /admin/hospitals/doctor/{doctor}/history/
GET  /admin/hospitals/doctor/<path:object_id>/delete/               302 302 302 403 200 302 200   /admin/hospitals/doctor/{doctor}/delete/
GET  /admin/hospitals/doctor/<path:object_id>/                      302 302 302 302 302 302 302   /admin/hospitals/doctor/{doctor}/
GET  /admin/hospitals/consultingroom/                               302 302 302 200 200 200 200
GET  /admin/hospitals/consultingroom/add/                           302 302 302 403 200 200 200
GET  /admin/hospitals/consultingroom/<path:object_id>/change/       302 302 302 200 200 302 200   /admin/hospitals/consultingroom/{room}/change/
GET  /admin/hospitals/consultingroom/<path:object_id>/history/      302 302 302 200 200 302 200   /admin/hospitals/consultingroom/{room}/history/
GET  /admin/hospitals/consultingroom/<path:object_id>/delete/       302 302 302 403 200 302 200   /admin/hospitals/consultingroom/{room}/delete/
GET  /admin/hospitals/consultingroom/<path:object_id>/              302 302 302 302 302 302 302   /admin/hospitals/consultingroom/{room}/
GET  /admin/scheduling/bookingrule/                                 302 302 302 403 200 200 200
GET  /admin/scheduling/bookingrule/add/                             302 302 302 403 403 403 200
GET  /admin/scheduling/bookingrule/<path:object_id>/change/         302 302 302 403 200 302 200   /admin/scheduling/bookingrule/{rule}/change/
GET  /admin/scheduling/bookingrule/<path:object_id>/history/        302 302 302 403 200 302 200   /admin/scheduling/bookingrule/{rule}/history/
GET  /admin/scheduling/bookingrule/<path:object_id>/delete/         302 302 302 403 403 403 403   /admin/scheduling/bookingrule/{rule}/delete/
GET  /admin/scheduling/bookingrule/<path:object_id>/                302 302 302 302 302 302 302   /admin/scheduling/bookingrule/{rule}/
GET  /admin/scheduling/scheduletemplate/                            302 302 302 200 200 200 200
GET  /admin/scheduling/scheduletemplate/add/                        302 302 302 403 200 200 200
GET  /admin/scheduling/scheduletemplate/<path:object_id>/change/    302 302 302 200 200 302 200   /admin/scheduling/scheduletemplate/{template}/change/
GET  /admin/scheduling/scheduletemplate/<path:object_id>/history/   302 302 302 200 200 302 200   /admin/scheduling/scheduletemplate/{template}/history/
GET  /admin/scheduling/scheduletemplate/<path:object_id>/delete/    302 302 302 403 403 403 403   /admin/scheduling/scheduletemplate/{template}/delete/
GET  /admin/scheduling/scheduletemplate/<path:object_id>/           302 302 302 302 302 302 302   /admin/scheduling/scheduletemplate/{template}/
GET  /admin/scheduling/clinicsession/                               302 302 302 200 200 200 200
GET  /admin/scheduling/clinicsession/add/                           302 302 302 403 200 200 200
GET  /admin/scheduling/clinicsession/<path:object_id>/change/       302 302 302 200 200 302 200   /admin/scheduling/clinicsession/{session}/change/
GET  /admin/scheduling/clinicsession/<path:object_id>/history/      302 302 302 200 200 302 200   /admin/scheduling/clinicsession/{session}/history/
GET  /admin/scheduling/clinicsession/<path:object_id>/delete/       302 302 302 403 403 403 403   /admin/scheduling/clinicsession/{session}/delete/
GET  /admin/scheduling/clinicsession/<path:object_id>/              302 302 302 302 302 302 302   /admin/scheduling/clinicsession/{session}/
GET  /admin/scheduling/slot/                                        302 302 302 200 200 200 200
GET  /admin/scheduling/slot/add/                                    302 302 302 403 200 200 200
GET  /admin/scheduling/slot/<path:object_id>/change/                302 302 302 200 200 302 200   /admin/scheduling/slot/{slot}/change/
GET  /admin/scheduling/slot/<path:object_id>/history/               302 302 302 200 200 302 200   /admin/scheduling/slot/{slot}/history/
GET  /admin/scheduling/slot/<path:object_id>/delete/                302 302 302 403 403 403 403   /admin/scheduling/slot/{slot}/delete/
GET  /admin/scheduling/slot/<path:object_id>/                       302 302 302 302 302 302 302   /admin/scheduling/slot/{slot}/
GET  /admin/appointments/appointment/                               302 302 302 200 200 200 200
GET  /admin/appointments/appointment/add/                           302 302 302 403 403 403 403
GET  /admin/appointments/appointment/<path:object_id>/change/       302 302 302 200 200 302 200   /admin/appointments/appointment/{appointment}/change/
GET  /admin/appointments/appointment/<path:object_id>/history/      302 302 302 200 200 302 200   /admin/appointments/appointment/{appointment}/history/
GET  /admin/appointments/appointment/<path:object_id>/delete/       302 302 302 403 403 403 403   /admin/appointments/appointment/{appointment}/delete/
GET  /admin/appointments/appointment/<path:object_id>/              302 302 302 302 302 302 302   /admin/appointments/appointment/{appointment}/
GET  /admin/appointments/waitlistentry/                             302 302 302 403 200 200 200
GET  /admin/appointments/waitlistentry/add/                         302 302 302 403 403 403 403
GET  /admin/appointments/waitlistentry/<path:object_id>/change/     302 302 302 403 200 302 200   /admin/appointments/waitlistentry/{entry}/change/
GET  /admin/appointments/waitlistentry/<path:object_id>/history/    302 302 302 403 200 302 200   /admin/appointments/waitlistentry/{entry}/history/
GET  /admin/appointments/waitlistentry/<path:object_id>/delete/     302 302 302 403 403 403 403   /admin/appointments/waitlistentry/{entry}/delete/
GET  /admin/appointments/waitlistentry/<path:object_id>/            302 302 302 302 302 302 302   /admin/appointments/waitlistentry/{entry}/
GET  /admin/appointments/notification/                              302 302 302 403 403 403 200
GET  /admin/appointments/notification/add/                          302 302 302 403 403 403 403
GET  /admin/appointments/notification/<path:object_id>/change/      302 302 302 403 403 403 200   /admin/appointments/notification/{notification}/change/
GET  /admin/appointments/notification/<path:object_id>/history/     302 302 302 403 403 403 200   /admin/appointments/notification/{notification}/history/
GET  /admin/appointments/notification/<path:object_id>/delete/      302 302 302 403 403 403 403   /admin/appointments/notification/{notification}/delete/
GET  /admin/appointments/notification/<path:object_id>/             302 302 302 302 302 302 302   /admin/appointments/notification/{notification}/
GET  /admin/billing/paymentorder/                                   302 302 302 403 200 200 200
GET  /admin/billing/paymentorder/add/                               302 302 302 403 403 403 403
GET  /admin/billing/paymentorder/<path:object_id>/change/           302 302 302 403 200 302 200   /admin/billing/paymentorder/{order}/change/
GET  /admin/billing/paymentorder/<path:object_id>/history/          302 302 302 403 200 302 200   /admin/billing/paymentorder/{order}/history/
GET  /admin/billing/paymentorder/<path:object_id>/delete/           302 302 302 403 403 403 403   /admin/billing/paymentorder/{order}/delete/
GET  /admin/billing/paymentorder/<path:object_id>/                  302 302 302 302 302 302 302   /admin/billing/paymentorder/{order}/
GET  /admin/billing/refund/                                         302 302 302 403 200 200 200
GET  /admin/billing/refund/add/                                     302 302 302 403 403 403 403
GET  /admin/billing/refund/<path:object_id>/change/                 302 302 302 403 200 302 200   /admin/billing/refund/{refund}/change/
GET  /admin/billing/refund/<path:object_id>/history/                302 302 302 403 200 302 200   /admin/billing/refund/{refund}/history/
GET  /admin/billing/refund/<path:object_id>/delete/                 302 302 302 403 403 403 403   /admin/billing/refund/{refund}/delete/
GET  /admin/billing/refund/<path:object_id>/                        302 302 302 302 302 302 302   /admin/billing/refund/{refund}/
GET  /admin/billing/paymentledgerentry/                             302 302 302 403 200 200 200
GET  /admin/billing/paymentledgerentry/add/                         302 302 302 403 403 403 403
GET  /admin/billing/paymentledgerentry/<path:object_id>/change/     302 302 302 403 200 302 200   /admin/billing/paymentledgerentry/{ledger}/change/
GET  /admin/billing/paymentledgerentry/<path:object_id>/history/    302 302 302 403 200 302 200   /admin/billing/paymentledgerentry/{ledger}/history/
GET  /admin/billing/paymentledgerentry/<path:object_id>/delete/     302 302 302 403 403 403 403   /admin/billing/paymentledgerentry/{ledger}/delete/
GET  /admin/billing/paymentledgerentry/<path:object_id>/            302 302 302 302 302 302 302   /admin/billing/paymentledgerentry/{ledger}/
GET  /admin/billing/reconciliationreport/                           302 302 302 403 403 403 200
GET  /admin/billing/reconciliationreport/add/                       302 302 302 403 403 403 403
GET  /admin/billing/reconciliationreport/<path:object_id>/change/   302 302 302 403 403 403 200   /admin/billing/reconciliationreport/{report}/change/
GET  /admin/billing/reconciliationreport/<path:object_id>/history/  302 302 302 403 403 403 200   /admin/billing/reconciliationreport/{report}/history/
GET  /admin/billing/reconciliationreport/<path:object_id>/delete/   302 302 302 403 403 403 403   /admin/billing/reconciliationreport/{report}/delete/
GET  /admin/billing/reconciliationreport/<path:object_id>/          302 302 302 302 302 302 302   /admin/billing/reconciliationreport/{report}/
# the admin's writes, asked only of the roles that must be refused: change, delete and add
POST /admin/appointments/appointment/<path:object_id>/change/       302 302 302 403 403 302 403   /admin/appointments/appointment/{appointment}/change/
POST /admin/appointments/appointment/<path:object_id>/delete/       302 302 302 403 403 403 403   /admin/appointments/appointment/{appointment}/delete/
POST /admin/appointments/appointment/add/                           302 302 302 403 403 403 403
POST /admin/billing/paymentorder/<path:object_id>/change/           302 302 302 403 403 403 403   /admin/billing/paymentorder/{order}/change/
POST /admin/billing/paymentorder/<path:object_id>/delete/           302 302 302 403 403 403 403   /admin/billing/paymentorder/{order}/delete/
POST /admin/billing/paymentorder/add/                               302 302 302 403 403 403 403
POST /admin/billing/refund/<path:object_id>/change/                 302 302 302 403 403 302 403   /admin/billing/refund/{refund}/change/
POST /admin/billing/refund/<path:object_id>/delete/                 302 302 302 403 403 403 403   /admin/billing/refund/{refund}/delete/
POST /admin/billing/refund/add/                                     302 302 302 403 403 403 403
POST /admin/hospitals/hospital/<path:object_id>/change/             302 302 302 403 -   302 -     /admin/hospitals/hospital/{hospital}/change/
POST /admin/hospitals/hospital/<path:object_id>/delete/             302 302 302 403 403 403 -     /admin/hospitals/hospital/{hospital}/delete/
POST /admin/hospitals/hospital/add/                                 302 302 302 403 403 403 -
POST /admin/hospitals/doctor/<path:object_id>/change/               302 302 302 403 -   302 -     /admin/hospitals/doctor/{doctor}/change/
POST /admin/hospitals/doctor/<path:object_id>/delete/               302 302 302 403 -   302 -     /admin/hospitals/doctor/{doctor}/delete/
POST /admin/hospitals/doctor/add/                                   302 302 302 403 -   -   -
POST /admin/hospitals/consultingroom/<path:object_id>/change/       302 302 302 403 -   302 -     /admin/hospitals/consultingroom/{room}/change/
POST /admin/hospitals/consultingroom/<path:object_id>/delete/       302 302 302 403 -   302 -     /admin/hospitals/consultingroom/{room}/delete/
POST /admin/hospitals/consultingroom/add/                           302 302 302 403 -   -   -
POST /admin/scheduling/clinicsession/<path:object_id>/change/       302 302 302 403 -   302 -     /admin/scheduling/clinicsession/{session}/change/
POST /admin/scheduling/clinicsession/<path:object_id>/delete/       302 302 302 403 403 403 403   /admin/scheduling/clinicsession/{session}/delete/
POST /admin/scheduling/clinicsession/add/                           302 302 302 403 -   -   -
POST /admin/scheduling/bookingrule/<path:object_id>/change/         302 302 302 403 -   302 -     /admin/scheduling/bookingrule/{rule}/change/
POST /admin/scheduling/bookingrule/<path:object_id>/delete/         302 302 302 403 403 403 403   /admin/scheduling/bookingrule/{rule}/delete/
POST /admin/scheduling/bookingrule/add/                             302 302 302 403 403 403 -
POST /admin/accounts/patientprofile/<path:object_id>/change/        302 302 302 403 403 403 -     /admin/accounts/patientprofile/{profile}/change/
POST /admin/accounts/patientprofile/<path:object_id>/delete/        302 302 302 403 403 403 403   /admin/accounts/patientprofile/{profile}/delete/
POST /admin/accounts/patientprofile/add/                            302 302 302 403 403 403 403
POST /admin/accounts/user/<path:object_id>/change/                  302 302 302 403 302 302 -     /admin/accounts/user/{user}/change/
POST /admin/accounts/user/<path:object_id>/delete/                  302 302 302 403 403 403 403   /admin/accounts/user/{user}/delete/
POST /admin/accounts/user/add/                                      302 302 302 403 -   -   -
# login security (axes, django-otp), payment alerts, the patients' password login
GET  /admin/axes/accessattempt/                                     302 302 302 403 403 403 200
GET  /admin/axes/accessattempt/add/                                 302 302 302 403 403 403 403
GET  /admin/axes/accessattempt/<path:object_id>/change/             302 302 302 403 403 403 200   /admin/axes/accessattempt/{attempt}/change/
GET  /admin/axes/accessattempt/<path:object_id>/history/            302 302 302 403 403 403 200   /admin/axes/accessattempt/{attempt}/history/
GET  /admin/axes/accessattempt/<path:object_id>/delete/             302 302 302 403 403 403 200   /admin/axes/accessattempt/{attempt}/delete/
GET  /admin/axes/accessattempt/<path:object_id>/                    302 302 302 302 302 302 302   /admin/axes/accessattempt/{attempt}/
GET  /admin/axes/accesslog/                                         302 302 302 403 403 403 200
GET  /admin/axes/accesslog/add/                                     302 302 302 403 403 403 403
GET  /admin/axes/accesslog/<path:object_id>/change/                 302 302 302 403 403 403 200   /admin/axes/accesslog/{access_log}/change/
GET  /admin/axes/accesslog/<path:object_id>/history/                302 302 302 403 403 403 200   /admin/axes/accesslog/{access_log}/history/
GET  /admin/axes/accesslog/<path:object_id>/delete/                 302 302 302 403 403 403 200   /admin/axes/accesslog/{access_log}/delete/
GET  /admin/axes/accesslog/<path:object_id>/                        302 302 302 302 302 302 302   /admin/axes/accesslog/{access_log}/
GET  /admin/billing/paymentalert/                                   302 302 302 403 200 200 200
GET  /admin/billing/paymentalert/add/                               302 302 302 403 403 403 403
GET  /admin/billing/paymentalert/<path:object_id>/change/           302 302 302 403 200 302 200   /admin/billing/paymentalert/{alert}/change/
GET  /admin/billing/paymentalert/<path:object_id>/history/          302 302 302 403 200 302 200   /admin/billing/paymentalert/{alert}/history/
GET  /admin/billing/paymentalert/<path:object_id>/delete/           302 302 302 403 403 403 403   /admin/billing/paymentalert/{alert}/delete/
GET  /admin/billing/paymentalert/<path:object_id>/                  302 302 302 302 302 302 302   /admin/billing/paymentalert/{alert}/
GET  /admin/otp_static/staticdevice/                                302 302 302 403 403 403 200
GET  /admin/otp_static/staticdevice/add/                            302 302 302 403 403 403 200
GET  /admin/otp_static/staticdevice/<path:object_id>/change/        302 302 302 403 403 403 200   /admin/otp_static/staticdevice/{static_device}/change/
GET  /admin/otp_static/staticdevice/<path:object_id>/history/       302 302 302 403 403 403 200   /admin/otp_static/staticdevice/{static_device}/history/
GET  /admin/otp_static/staticdevice/<path:object_id>/delete/        302 302 302 403 403 403 200   /admin/otp_static/staticdevice/{static_device}/delete/
GET  /admin/otp_static/staticdevice/<path:object_id>/               302 302 302 302 302 302 302   /admin/otp_static/staticdevice/{static_device}/
GET  /admin/otp_totp/totpdevice/                                    302 302 302 403 403 403 200
GET  /admin/otp_totp/totpdevice/add/                                302 302 302 403 403 403 200
GET  /admin/otp_totp/totpdevice/<path:object_id>/change/            302 302 302 403 403 403 200   /admin/otp_totp/totpdevice/{totp_device}/change/
GET  /admin/otp_totp/totpdevice/<path:object_id>/history/           302 302 302 403 403 403 200   /admin/otp_totp/totpdevice/{totp_device}/history/
GET  /admin/otp_totp/totpdevice/<path:object_id>/delete/            302 302 302 403 403 403 200   /admin/otp_totp/totpdevice/{totp_device}/delete/
GET  /admin/otp_totp/totpdevice/<path:object_id>/                   302 302 302 302 302 302 302   /admin/otp_totp/totpdevice/{totp_device}/
GET  /admin/otp_totp/totpdevice/<int:pk>/config/                    302 302 302 403 403 403 200   /admin/otp_totp/totpdevice/{totp_device}/config/
GET  /admin/otp_totp/totpdevice/<int:pk>/qrcode/                    302 302 302 403 403 403 200   /admin/otp_totp/totpdevice/{totp_device}/qrcode/
GET  /api/v1/accounts/login/password/                               405 405 405 405 405 405 405
POST /api/v1/accounts/login/password/                               400 400 400 400 400 400 400
GET  /api/v1/accounts/password/reset/                               405 405 405 405 405 405 405
POST /api/v1/accounts/password/reset/                               400 400 400 400 400 400 400
GET  /api/v1/accounts/password/set/                                 401 405 405 405 405 405 405
POST /api/v1/accounts/password/set/                                 401 400 400 400 400 400 400
GET  /api/v1/accounts/staff/login/                                  405 405 405 405 405 405 405
POST /api/v1/accounts/staff/login/                                  400 400 400 400 400 400 400
# the clinic floor: check-in codes
GET  /api/v1/appointments/<int:appointment_id>/check-in-code/       401 200 404 404 404 404 404   /api/v1/appointments/{appointment}/check-in-code/
GET  /api/v1/appointments/check-in/scan/                            401 403 403 405 405 405 405
POST /api/v1/appointments/check-in/scan/                            401 403 403 400 400 400 400
# the clinic floor: the doctor's workspace (the session's only booking is not checked in)
GET  /api/v1/appointments/workspace/sessions/                       401 403 403 200 200 200 200
GET  /api/v1/appointments/workspace/sessions/<int:session_id>/queue/ 401 403 403 200 200 404 200   /api/v1/appointments/workspace/sessions/{session}/queue/
GET  /api/v1/appointments/workspace/sessions/<int:session_id>/call-next/ 401 403 403 405 405 405 405   /api/v1/appointments/workspace/sessions/{session}/call-next/
POST /api/v1/appointments/workspace/sessions/<int:session_id>/call-next/ 401 403 403 409 409 404 409   /api/v1/appointments/workspace/sessions/{session}/call-next/
GET  /api/v1/appointments/workspace/sessions/<int:session_id>/walk-in/ 401 403 403 405 405 405 405   /api/v1/appointments/workspace/sessions/{session}/walk-in/
POST /api/v1/appointments/workspace/sessions/<int:session_id>/walk-in/ 401 403 403 400 400 400 400   /api/v1/appointments/workspace/sessions/{session}/walk-in/
GET  /api/v1/appointments/workspace/sessions/<int:session_id>/stop-request/ 401 403 403 405 403 403 403   /api/v1/appointments/workspace/sessions/{session}/stop-request/
POST /api/v1/appointments/workspace/sessions/<int:session_id>/stop-request/ 401 403 403 400 403 403 403   /api/v1/appointments/workspace/sessions/{session}/stop-request/
GET  /api/v1/appointments/workspace/appointments/<int:appointment_id>/recall/ 401 403 403 405 405 405 405   /api/v1/appointments/workspace/appointments/{appointment}/recall/
POST /api/v1/appointments/workspace/appointments/<int:appointment_id>/recall/ 401 403 403 409 409 404 409   /api/v1/appointments/workspace/appointments/{appointment}/recall/
GET  /api/v1/appointments/workspace/appointments/<int:appointment_id>/skip/ 401 403 403 405 405 405 405   /api/v1/appointments/workspace/appointments/{appointment}/skip/
POST /api/v1/appointments/workspace/appointments/<int:appointment_id>/skip/ 401 403 403 409 409 404 409   /api/v1/appointments/workspace/appointments/{appointment}/skip/
GET  /api/v1/appointments/workspace/appointments/<int:appointment_id>/seen/ 401 403 403 405 405 405 405   /api/v1/appointments/workspace/appointments/{appointment}/seen/
POST /api/v1/appointments/workspace/appointments/<int:appointment_id>/seen/ 401 403 403 409 409 404 409   /api/v1/appointments/workspace/appointments/{appointment}/seen/
GET  /admin/appointments/ledgerentry/                        302 302 302 403 200 200 200
GET  /admin/appointments/ledgerentry/add/                    302 302 302 403 403 403 403
GET  /admin/appointments/ledgerentry/<path:object_id>/change/ 302 302 302 403 200 302 200   /admin/appointments/ledgerentry/{ledger_entry}/change/
GET  /admin/appointments/ledgerentry/<path:object_id>/history/ 302 302 302 403 200 302 200   /admin/appointments/ledgerentry/{ledger_entry}/history/
GET  /admin/appointments/ledgerentry/<path:object_id>/delete/ 302 302 302 403 403 403 403   /admin/appointments/ledgerentry/{ledger_entry}/delete/
GET  /admin/appointments/ledgerentry/<path:object_id>/       302 302 302 302 302 302 302   /admin/appointments/ledgerentry/{ledger_entry}/
POST /admin/appointments/ledgerentry/<path:object_id>/change/ 302 302 302 403 403 403 403   /admin/appointments/ledgerentry/{ledger_entry}/change/
GET  /admin/appointments/ledgerappeal/                        302 302 302 403 200 200 200
GET  /admin/appointments/ledgerappeal/add/                    302 302 302 403 403 403 403
GET  /admin/appointments/ledgerappeal/<path:object_id>/change/ 302 302 302 403 200 302 200   /admin/appointments/ledgerappeal/{ledger_appeal}/change/
GET  /admin/appointments/ledgerappeal/<path:object_id>/history/ 302 302 302 403 200 302 200   /admin/appointments/ledgerappeal/{ledger_appeal}/history/
GET  /admin/appointments/ledgerappeal/<path:object_id>/delete/ 302 302 302 403 403 403 403   /admin/appointments/ledgerappeal/{ledger_appeal}/delete/
GET  /admin/appointments/ledgerappeal/<path:object_id>/       302 302 302 302 302 302 302   /admin/appointments/ledgerappeal/{ledger_appeal}/
POST /admin/appointments/ledgerappeal/<path:object_id>/change/ 302 302 302 403 403 302 403   /admin/appointments/ledgerappeal/{ledger_appeal}/change/
GET  /admin/appointments/ledgerappeal/<int:appeal_id>/attachment/ 302 302 302 404 404 404 404   /admin/appointments/ledgerappeal/{ledger_appeal}/attachment/
GET  /admin/appointments/ledgerrule/                        302 302 302 403 200 200 200
GET  /admin/appointments/ledgerrule/add/                    302 302 302 403 200 200 200
GET  /admin/appointments/ledgerrule/<path:object_id>/change/ 302 302 302 403 200 302 200   /admin/appointments/ledgerrule/{ledger_rule}/change/
GET  /admin/appointments/ledgerrule/<path:object_id>/history/ 302 302 302 403 200 302 200   /admin/appointments/ledgerrule/{ledger_rule}/history/
GET  /admin/appointments/ledgerrule/<path:object_id>/delete/ 302 302 302 403 403 403 200   /admin/appointments/ledgerrule/{ledger_rule}/delete/
GET  /admin/appointments/ledgerrule/<path:object_id>/       302 302 302 302 302 302 302   /admin/appointments/ledgerrule/{ledger_rule}/
POST /admin/appointments/ledgerrule/<path:object_id>/change/ 302 302 302 403 -   302 -     /admin/appointments/ledgerrule/{ledger_rule}/change/
GET  /admin/appointments/rebookingoffer/                        302 302 302 403 200 200 200
GET  /admin/appointments/rebookingoffer/add/                    302 302 302 403 403 403 403
GET  /admin/appointments/rebookingoffer/<path:object_id>/change/ 302 302 302 403 200 302 200   /admin/appointments/rebookingoffer/{offer}/change/
GET  /admin/appointments/rebookingoffer/<path:object_id>/history/ 302 302 302 403 200 302 200   /admin/appointments/rebookingoffer/{offer}/history/
GET  /admin/appointments/rebookingoffer/<path:object_id>/delete/ 302 302 302 403 403 403 403   /admin/appointments/rebookingoffer/{offer}/delete/
GET  /admin/appointments/rebookingoffer/<path:object_id>/       302 302 302 302 302 302 302   /admin/appointments/rebookingoffer/{offer}/
POST /admin/appointments/rebookingoffer/<path:object_id>/change/ 302 302 302 403 403 403 403   /admin/appointments/rebookingoffer/{offer}/change/
GET  /admin/appointments/sessionstoprequest/                        302 302 302 403 200 200 200
GET  /admin/appointments/sessionstoprequest/add/                    302 302 302 403 403 403 403
GET  /admin/appointments/sessionstoprequest/<path:object_id>/change/ 302 302 302 403 200 302 200   /admin/appointments/sessionstoprequest/{stop_request}/change/
GET  /admin/appointments/sessionstoprequest/<path:object_id>/history/ 302 302 302 403 200 302 200   /admin/appointments/sessionstoprequest/{stop_request}/history/
GET  /admin/appointments/sessionstoprequest/<path:object_id>/delete/ 302 302 302 403 403 403 403   /admin/appointments/sessionstoprequest/{stop_request}/delete/
GET  /admin/appointments/sessionstoprequest/<path:object_id>/       302 302 302 302 302 302 302   /admin/appointments/sessionstoprequest/{stop_request}/
POST /admin/appointments/sessionstoprequest/<path:object_id>/change/ 302 302 302 403 403 302 403   /admin/appointments/sessionstoprequest/{stop_request}/change/
# the waiting-room screen: staff signed in to the admin get the signed link; the link is the key
GET  /screen/department/<int:department_id>/                        302 302 302 302 302 404 302   /screen/department/{department}/
GET  /screen/department/<int:department_id>/<str:signature>/        200 200 200 200 200 200 200   /screen/department/{department}/{screen_signature}/
GET  /screen/department/<int:department_id>/<str:signature>/data/   200 200 200 200 200 200 200   /screen/department/{department}/{screen_signature}/data/
# the doctors' workspace pages: the admin's login; doctors and hospital staff only
GET  /workspace/                                                    302 403 403 200 200 200 403
GET  /workspace/sessions/<int:session_id>/                          302 403 403 200 200 404 403   /workspace/sessions/{session}/
GET  /workspace/sessions/<int:session_id>/call-next/                405 405 405 405 405 405 405   /workspace/sessions/{session}/call-next/
POST /workspace/sessions/<int:session_id>/call-next/                302 403 403 302 302 404 403   /workspace/sessions/{session}/call-next/
GET  /workspace/appointments/<int:appointment_id>/recall/           405 405 405 405 405 405 405   /workspace/appointments/{appointment}/recall/
POST /workspace/appointments/<int:appointment_id>/recall/           302 403 403 302 302 404 403   /workspace/appointments/{appointment}/recall/
GET  /workspace/appointments/<int:appointment_id>/skip/             405 405 405 405 405 405 405   /workspace/appointments/{appointment}/skip/
POST /workspace/appointments/<int:appointment_id>/skip/             302 403 403 302 302 404 403   /workspace/appointments/{appointment}/skip/
GET  /workspace/appointments/<int:appointment_id>/seen/             405 405 405 405 405 405 405   /workspace/appointments/{appointment}/seen/
POST /workspace/appointments/<int:appointment_id>/seen/             302 403 403 302 302 404 403   /workspace/appointments/{appointment}/seen/
GET  /workspace/appointments/<int:appointment_id>/record/           302 403 403 200 404 404 403   /workspace/appointments/{record_appointment}/record/
POST /workspace/appointments/<int:appointment_id>/record/           302 403 403 400 404 404 403   /workspace/appointments/{record_appointment}/record/
# the doctors' online consult pages (consult.workspace): the admin's login; doctors only
GET  /workspace/consults/                                           302 403 403 200 403 403 403
GET  /workspace/consults/<int:consult_id>/                          302 403 403 200 403 403 403   /workspace/consults/{consult}/
GET  /workspace/consults/<int:consult_id>/messages/                 302 403 403 200 403 403 403   /workspace/consults/{consult}/messages/?after=0
GET  /workspace/consults/<int:consult_id>/send-image/               405 405 405 405 405 405 405   /workspace/consults/{consult}/send-image/
POST /workspace/consults/<int:consult_id>/send-image/               302 403 403 400 403 403 403   /workspace/consults/{consult}/send-image/
GET  /workspace/consults/<int:consult_id>/send/                     405 405 405 405 405 405 405   /workspace/consults/{consult}/send/
POST /workspace/consults/<int:consult_id>/send/                     302 403 403 400 403 403 403   /workspace/consults/{consult}/send/
GET  /workspace/consults/<int:consult_id>/close/                    405 405 405 405 405 405 405   /workspace/consults/{consult}/close/
POST /workspace/consults/<int:consult_id>/close/                    302 403 403 -   403 403 403   /workspace/consults/{consult}/close/
GET  /workspace/consults/messages/<int:message_id>/recall/          405 405 405 405 405 405 405   /workspace/consults/messages/{consult_message}/recall/
POST /workspace/consults/messages/<int:message_id>/recall/          302 403 403 404 403 403 403   /workspace/consults/messages/{consult_message}/recall/
GET  /workspace/consults/quick-replies/                             302 403 403 200 403 403 403
GET  /workspace/consults/quick-replies/add/                         405 405 405 405 405 405 405
POST /workspace/consults/quick-replies/add/                         302 403 403 400 403 403 403
GET  /workspace/consults/quick-replies/<int:reply_id>/edit/         405 405 405 405 405 405 405   /workspace/consults/quick-replies/{quick_reply}/edit/
POST /workspace/consults/quick-replies/<int:reply_id>/edit/         302 403 403 400 403 403 403   /workspace/consults/quick-replies/{quick_reply}/edit/
GET  /workspace/consults/quick-replies/<int:reply_id>/delete/       405 405 405 405 405 405 405   /workspace/consults/quick-replies/{quick_reply}/delete/
POST /workspace/consults/quick-replies/<int:reply_id>/delete/       302 403 403 -   403 403 403   /workspace/consults/quick-replies/{quick_reply}/delete/
GET  /workspace/consults/offer/                                     302 403 403 200 403 403 403
POST /workspace/consults/offer/                                     302 403 403 400 403 403 403
# the patient portal (H5): a patient's session (the portal's SMS login); the catalog is public,
# a patient's own pages send anonymous visitors to the login (302) and refuse staff (403)
GET  /h5/                                                           200 200 200 200 200 200 200
GET  /h5/login/                                                     200 200 200 200 200 200 200
POST /h5/login/                                                     400 400 400 400 400 400 400
GET  /h5/logout/                                                    405 405 405 405 405 405 405
POST /h5/logout/                                                    302 -   -   -   -   -   -
GET  /h5/hospitals/                                                 200 200 200 200 200 200 200
GET  /h5/hospitals/<int:hospital_id>/                               200 200 200 200 200 200 200   /h5/hospitals/{hospital}/
GET  /h5/departments/<int:department_id>/                           200 200 200 200 200 200 200   /h5/departments/{department}/
GET  /h5/doctors/                                                   200 200 200 200 200 200 200
GET  /h5/doctors/<int:doctor_id>/                                   200 200 200 200 200 200 200   /h5/doctors/{doctor}/
GET  /h5/book/<int:slot_id>/                                        302 200 200 403 403 403 403   /h5/book/{slot}/
POST /h5/book/<int:slot_id>/                                        302 400 400 403 403 403 403   /h5/book/{slot}/
GET  /h5/booking-tickets/<int:ticket_id>/                           302 302 404 403 403 403 403   /h5/booking-tickets/{ticket}/
POST /h5/booking-tickets/<int:ticket_id>/                           405 405 405 405 405 405 405   /h5/booking-tickets/{ticket}/
GET  /h5/release-queue/<int:session_id>/                            302 200 200 403 403 403 403   /h5/release-queue/{session}/
POST /h5/release-queue/<int:session_id>/                            302 400 400 403 403 403 403   /h5/release-queue/{session}/
GET  /h5/release-queue/<int:session_id>/leave/                      405 405 405 405 405 405 405   /h5/release-queue/{session}/leave/
POST /h5/release-queue/<int:session_id>/leave/                      302 302 302 403 403 403 403   /h5/release-queue/{session}/leave/
GET  /h5/appointments/                                              302 200 200 403 403 403 403
GET  /h5/appointments/<int:appointment_id>/                         302 200 404 403 403 403 403   /h5/appointments/{appointment}/
GET  /h5/appointments/<int:appointment_id>/pay/                     302 302 404 403 403 403 403   /h5/appointments/{appointment}/pay/
POST /h5/appointments/<int:appointment_id>/pay/                     302 302 404 403 403 403 403   /h5/appointments/{appointment}/pay/
GET  /h5/appointments/<int:appointment_id>/cancel/                  405 405 405 405 405 405 405   /h5/appointments/{appointment}/cancel/
POST /h5/appointments/<int:appointment_id>/cancel/                  302 -   404 403 403 403 403   /h5/appointments/{appointment}/cancel/
GET  /h5/appointments/<int:appointment_id>/reschedule/              302 200 404 403 403 403 403   /h5/appointments/{appointment}/reschedule/
POST /h5/appointments/<int:appointment_id>/reschedule/              405 405 405 405 405 405 405   /h5/appointments/{appointment}/reschedule/
GET  /h5/appointments/<int:appointment_id>/reschedule/<int:slot_id>/ 302 200 404 403 403 403 403   /h5/appointments/{appointment}/reschedule/{slot}/
POST /h5/appointments/<int:appointment_id>/reschedule/<int:slot_id>/ 302 409 404 403 403 403 403   /h5/appointments/{appointment}/reschedule/{slot}/
GET  /h5/rebooking-offers/                                         302 200 200 403 403 403 403
GET  /h5/rebooking-offers/<int:offer_id>/accept/                    405 405 405 405 405 405 405   /h5/rebooking-offers/{offer}/accept/
POST /h5/rebooking-offers/<int:offer_id>/accept/                    302 -   404 403 403 403 403   /h5/rebooking-offers/{offer}/accept/
GET  /h5/rebooking-offers/<int:offer_id>/decline/                   405 405 405 405 405 405 405   /h5/rebooking-offers/{offer}/decline/
POST /h5/rebooking-offers/<int:offer_id>/decline/                   302 -   404 403 403 403 403   /h5/rebooking-offers/{offer}/decline/
GET  /h5/orders/<int:order_id>/dev-pay/                             302 200 404 403 403 403 403   /h5/orders/{order}/dev-pay/
POST /h5/orders/<int:order_id>/dev-pay/                             302 -   404 403 403 403 403   /h5/orders/{order}/dev-pay/
GET  /h5/orders/<int:order_id>/wechat/                              302 404 404 403 403 403 403   /h5/orders/{order}/wechat/
GET  /h5/profiles/                                                  302 200 200 403 403 403 403
GET  /h5/profiles/add/                                              302 200 200 403 403 403 403
POST /h5/profiles/add/                                              302 400 400 403 403 403 403
GET  /h5/doctors/<int:doctor_id>/consult/                           302 200 200 403 403 403 403   /h5/doctors/{doctor}/consult/
POST /h5/doctors/<int:doctor_id>/consult/                           302 400 400 403 403 403 403   /h5/doctors/{doctor}/consult/
GET  /h5/consults/                                                  302 200 200 403 403 403 403
GET  /h5/consults/<int:consult_id>/                                 302 200 404 403 403 403 403   /h5/consults/{consult}/
GET  /h5/consults/<int:consult_id>/messages/                        302 200 404 403 403 403 403   /h5/consults/{consult}/messages/?after=0
GET  /h5/consults/<int:consult_id>/pay/                             405 405 405 405 405 405 405   /h5/consults/{consult}/pay/
POST /h5/consults/<int:consult_id>/pay/                             302 400 404 403 403 403 403   /h5/consults/{consult}/pay/
GET  /h5/consults/<int:consult_id>/problem-images/                  405 405 405 405 405 405 405   /h5/consults/{consult}/problem-images/
POST /h5/consults/<int:consult_id>/problem-images/                  302 400 404 403 403 403 403   /h5/consults/{consult}/problem-images/
GET  /h5/consults/<int:consult_id>/send-image/                      405 405 405 405 405 405 405   /h5/consults/{consult}/send-image/
POST /h5/consults/<int:consult_id>/send-image/                      302 400 404 403 403 403 403   /h5/consults/{consult}/send-image/
GET  /h5/consults/<int:consult_id>/send/                            405 405 405 405 405 405 405   /h5/consults/{consult}/send/
POST /h5/consults/<int:consult_id>/send/                            302 400 404 403 403 403 403   /h5/consults/{consult}/send/
GET  /h5/consults/<int:consult_id>/close/                           405 405 405 405 405 405 405   /h5/consults/{consult}/close/
POST /h5/consults/<int:consult_id>/close/                           302 -   404 403 403 403 403   /h5/consults/{consult}/close/
GET  /h5/consults/<int:consult_id>/rate/                            405 405 405 405 405 405 405   /h5/consults/{consult}/rate/
POST /h5/consults/<int:consult_id>/rate/                            302 400 404 403 403 403 403   /h5/consults/{consult}/rate/
GET  /h5/consults/messages/<int:message_id>/recall/                 405 405 405 405 405 405 405   /h5/consults/messages/{consult_message}/recall/
POST /h5/consults/messages/<int:message_id>/recall/                 302 -   404 403 403 403 403   /h5/consults/messages/{consult_message}/recall/
GET  /h5/profiles/<int:profile_id>/ledger/                          302 200 404 403 403 403 403   /h5/profiles/{profile}/ledger/
POST /h5/profiles/<int:profile_id>/ledger/                          405 405 405 405 405 405 405   /h5/profiles/{profile}/ledger/
GET  /h5/profiles/<int:profile_id>/ledger/<int:entry_id>/appeal/    405 405 405 405 405 405 405   /h5/profiles/{profile}/ledger/{ledger_entry}/appeal/
POST /h5/profiles/<int:profile_id>/ledger/<int:entry_id>/appeal/    302 400 404 403 403 403 403   /h5/profiles/{profile}/ledger/{ledger_entry}/appeal/
GET  /h5/profiles/<int:profile_id>/delete/                          405 405 405 405 405 405 405   /h5/profiles/{profile}/delete/
POST /h5/profiles/<int:profile_id>/delete/                          302 409 404 403 403 403 403   /h5/profiles/{profile}/delete/
# medical records: patients' reads, clinicians' reads and writes (reads are logged)
GET  /api/v1/records/                                               401 200 200 200 200 200 200
GET  /api/v1/records/<int:record_id>/                               401 200 404 404 404 404 404   /api/v1/records/{record}/
GET  /api/v1/records/attachments/<int:attachment_id>/               401 200 404 404 404 404 404   /api/v1/records/attachments/{attachment}/
GET  /api/v1/records/<int:record_id>/export/pdf/                    401 200 404 404 404 404 404   /api/v1/records/{record}/export/pdf/
GET  /api/v1/records/<int:record_id>/export/fhir/                   401 200 404 404 404 404 404   /api/v1/records/{record}/export/fhir/
GET  /api/v1/records/access-log/                                    401 200 200 200 200 200 200
GET  /api/v1/records/staff/appointments/<int:appointment_id>/draft/ 401 403 403 405 405 405 403   /api/v1/records/staff/appointments/{record_appointment}/draft/
POST /api/v1/records/staff/appointments/<int:appointment_id>/draft/ 401 403 403 409 404 404 403   /api/v1/records/staff/appointments/{record_appointment}/draft/
GET  /api/v1/records/staff/appointments/<int:appointment_id>/history/ 401 403 403 200 200 404 403   /api/v1/records/staff/appointments/{record_appointment}/history/
GET  /api/v1/records/staff/<int:record_id>/                         401 403 403 200 200 404 403   /api/v1/records/staff/{record}/
GET  /api/v1/records/staff/<int:record_id>/sign/                    401 403 403 405 405 405 403   /api/v1/records/staff/{record}/sign/
POST /api/v1/records/staff/<int:record_id>/sign/                    401 403 403 409 404 404 403   /api/v1/records/staff/{record}/sign/
GET  /api/v1/records/staff/<int:record_id>/correct/                 401 403 403 405 405 405 403   /api/v1/records/staff/{record}/correct/
POST /api/v1/records/staff/<int:record_id>/correct/                 401 403 403 400 400 400 403   /api/v1/records/staff/{record}/correct/
GET  /api/v1/records/staff/<int:record_id>/reports/                 401 403 403 405 405 405 403   /api/v1/records/staff/{record}/reports/
POST /api/v1/records/staff/<int:record_id>/reports/                 401 403 403 415 415 415 403   /api/v1/records/staff/{record}/reports/
GET  /api/v1/records/staff/attachments/<int:attachment_id>/         401 403 403 200 200 404 403   /api/v1/records/staff/attachments/{attachment}/
# online consults: both parties' routes, the public offer, the doctors' settings
GET  /api/v1/consult/                                               401 200 200 200 200 200 200
GET  /api/v1/consult/create/                                        401 405 405 403 403 403 403
POST /api/v1/consult/create/                                        401 400 400 403 403 403 403
GET  /api/v1/consult/<int:consult_id>/                              401 200 404 200 404 404 404   /api/v1/consult/{consult}/
GET  /api/v1/consult/<int:consult_id>/messages/                     401 200 404 200 404 404 404   /api/v1/consult/{consult}/messages/
GET  /api/v1/consult/<int:consult_id>/messages/poll/                401 200 404 200 404 404 404   /api/v1/consult/{consult}/messages/poll/
GET  /api/v1/consult/<int:consult_id>/messages/send/                401 405 405 405 405 405 405   /api/v1/consult/{consult}/messages/send/
POST /api/v1/consult/<int:consult_id>/messages/send/                401 400 404 400 404 404 404   /api/v1/consult/{consult}/messages/send/
GET  /api/v1/consult/messages/<int:message_id>/recall/              401 405 405 405 405 405 405   /api/v1/consult/messages/{consult_message}/recall/
POST /api/v1/consult/messages/<int:message_id>/recall/              401 -   404 404 404 404 404   /api/v1/consult/messages/{consult_message}/recall/
GET  /api/v1/consult/<int:consult_id>/close/                        401 405 405 405 405 405 405   /api/v1/consult/{consult}/close/
POST /api/v1/consult/<int:consult_id>/close/                        401 -   404 -   404 404 404   /api/v1/consult/{consult}/close/
GET  /api/v1/consult/<int:consult_id>/rate/                         401 405 405 405 405 405 405   /api/v1/consult/{consult}/rate/
POST /api/v1/consult/<int:consult_id>/rate/                         401 400 404 403 404 404 404   /api/v1/consult/{consult}/rate/
GET  /api/v1/consult/<int:consult_id>/pay/                          401 405 405 405 405 405 405   /api/v1/consult/{consult}/pay/
POST /api/v1/consult/<int:consult_id>/pay/                          401 400 404 404 404 404 404   /api/v1/consult/{consult}/pay/
GET  /api/v1/consult/doctors/<int:doctor_id>/offer/                 200 200 200 200 200 200 200   /api/v1/consult/doctors/{doctor}/offer/
GET  /api/v1/consult/offer/                                         401 403 403 200 403 403 403
POST /api/v1/consult/offer/                                         401 403 403 400 403 403 403
GET  /api/v1/consult/quick-replies/                                 401 403 403 200 403 403 403
GET  /api/v1/consult/quick-replies/create/                          401 403 403 405 403 403 403
POST /api/v1/consult/quick-replies/create/                          401 403 403 400 403 403 403
GET  /api/v1/consult/quick-replies/<int:reply_id>/update/           401 403 403 405 403 403 403   /api/v1/consult/quick-replies/{quick_reply}/update/
POST /api/v1/consult/quick-replies/<int:reply_id>/update/           401 403 403 400 403 403 403   /api/v1/consult/quick-replies/{quick_reply}/update/
GET  /api/v1/consult/quick-replies/<int:reply_id>/delete/           401 403 403 405 403 403 403   /api/v1/consult/quick-replies/{quick_reply}/delete/
POST /api/v1/consult/quick-replies/<int:reply_id>/delete/           401 403 403 -   403 403 403   /api/v1/consult/quick-replies/{quick_reply}/delete/
GET  /api/v1/consult/<int:consult_id>/problem-images/               401 405 405 405 405 405 405   /api/v1/consult/{consult}/problem-images/
POST /api/v1/consult/<int:consult_id>/problem-images/               401 415 404 403 404 404 404   /api/v1/consult/{consult}/problem-images/
GET  /api/v1/consult/<int:consult_id>/messages/send-image/          401 405 405 405 405 405 405   /api/v1/consult/{consult}/messages/send-image/
POST /api/v1/consult/<int:consult_id>/messages/send-image/          401 415 404 415 404 404 404   /api/v1/consult/{consult}/messages/send-image/
GET  /api/v1/consult/images/<str:token>/                            404 404 404 404 404 404 404   /api/v1/consult/images/not-a-signed-token/
GET  /api/v1/consult/messages/<int:message_id>/report/              401 405 405 405 405 405 405   /api/v1/consult/messages/{consult_reply}/report/
POST /api/v1/consult/messages/<int:message_id>/report/              401 400 404 400 404 404 404   /api/v1/consult/messages/{consult_reply}/report/
GET  /api/v1/consult/<int:consult_id>/advice/                       401 405 405 405 405 405 405   /api/v1/consult/{consult}/advice/
POST /api/v1/consult/<int:consult_id>/advice/                       401 403 404 400 404 404 404   /api/v1/consult/{consult}/advice/
# online consults in the admin: offers (edited), consults and reports (read, decided by actions)
GET  /admin/consult/consultoffer/                                   302 302 302 403 200 200 200
GET  /admin/consult/consultoffer/add/                               302 302 302 403 200 200 200
GET  /admin/consult/consultoffer/<path:object_id>/change/           302 302 302 403 200 302 200   /admin/consult/consultoffer/{consult_offer}/change/
GET  /admin/consult/consultoffer/<path:object_id>/history/          302 302 302 403 200 302 200   /admin/consult/consultoffer/{consult_offer}/history/
GET  /admin/consult/consultoffer/<path:object_id>/delete/           302 302 302 403 403 403 403   /admin/consult/consultoffer/{consult_offer}/delete/
GET  /admin/consult/consultoffer/<path:object_id>/                  302 302 302 302 302 302 302   /admin/consult/consultoffer/{consult_offer}/
POST /admin/consult/consultoffer/<path:object_id>/change/           302 302 302 403 -   302 -     /admin/consult/consultoffer/{consult_offer}/change/
POST /admin/consult/consultoffer/<path:object_id>/delete/           302 302 302 403 403 403 403   /admin/consult/consultoffer/{consult_offer}/delete/
POST /admin/consult/consultoffer/add/                               302 302 302 403 -   -   -
GET  /admin/consult/consult/                                        302 302 302 403 200 200 200
GET  /admin/consult/consult/add/                                    302 302 302 403 403 403 403
GET  /admin/consult/consult/<path:object_id>/change/                302 302 302 403 200 302 200   /admin/consult/consult/{consult}/change/
GET  /admin/consult/consult/<path:object_id>/history/               302 302 302 403 200 302 200   /admin/consult/consult/{consult}/history/
GET  /admin/consult/consult/<path:object_id>/delete/                302 302 302 403 403 403 403   /admin/consult/consult/{consult}/delete/
GET  /admin/consult/consult/<path:object_id>/                       302 302 302 302 302 302 302   /admin/consult/consult/{consult}/
POST /admin/consult/consult/<path:object_id>/change/                302 302 302 403 403 403 403   /admin/consult/consult/{consult}/change/
GET  /admin/consult/messagereport/                                  302 302 302 403 200 200 200
GET  /admin/consult/messagereport/add/                              302 302 302 403 403 403 403
GET  /admin/consult/messagereport/<path:object_id>/change/          302 302 302 403 200 302 200   /admin/consult/messagereport/{message_report}/change/
GET  /admin/consult/messagereport/<path:object_id>/history/         302 302 302 403 200 302 200   /admin/consult/messagereport/{message_report}/history/
GET  /admin/consult/messagereport/<path:object_id>/delete/          302 302 302 403 403 403 403   /admin/consult/messagereport/{message_report}/delete/
GET  /admin/consult/messagereport/<path:object_id>/                 302 302 302 302 302 302 302   /admin/consult/messagereport/{message_report}/
POST /admin/consult/messagereport/<path:object_id>/change/          302 302 302 403 403 302 403   /admin/consult/messagereport/{message_report}/change/
GET  /admin/consult/consultaccess/                                  302 302 302 403 403 403 200
GET  /admin/consult/consultaccess/add/                              302 302 302 403 403 403 403
GET  /admin/consult/consultaccess/<path:object_id>/change/          302 302 302 403 403 403 200   /admin/consult/consultaccess/{consult_access}/change/
GET  /admin/consult/consultaccess/<path:object_id>/history/         302 302 302 403 403 302 200   /admin/consult/consultaccess/{consult_access}/history/
GET  /admin/consult/consultaccess/<path:object_id>/delete/          302 302 302 403 403 403 403   /admin/consult/consultaccess/{consult_access}/delete/
GET  /admin/consult/consultaccess/<path:object_id>/                 302 302 302 302 302 302 302   /admin/consult/consultaccess/{consult_access}/
GET  /admin/records/visitrecord/                                    302 302 302 200 200 200 200
GET  /admin/records/visitrecord/add/                                302 302 302 403 403 403 403
GET  /admin/records/visitrecord/<path:object_id>/change/            302 302 302 200 200 302 200   /admin/records/visitrecord/{record}/change/
GET  /admin/records/visitrecord/<path:object_id>/history/           302 302 302 200 200 302 200   /admin/records/visitrecord/{record}/history/
GET  /admin/records/visitrecord/<path:object_id>/delete/            302 302 302 403 403 403 403   /admin/records/visitrecord/{record}/delete/
GET  /admin/records/visitrecord/<path:object_id>/                   302 302 302 302 302 302 302   /admin/records/visitrecord/{record}/
POST /admin/records/visitrecord/<path:object_id>/change/            302 302 302 403 403 403 403   /admin/records/visitrecord/{record}/change/
GET  /admin/records/recordaccess/                                   302 302 302 200 200 200 200
GET  /admin/records/recordaccess/add/                               302 302 302 403 403 403 403
GET  /admin/records/recordaccess/<path:object_id>/change/           302 302 302 200 200 302 200   /admin/records/recordaccess/{record_access}/change/
GET  /admin/records/recordaccess/<path:object_id>/history/          302 302 302 200 200 302 200   /admin/records/recordaccess/{record_access}/history/
GET  /admin/records/recordaccess/<path:object_id>/delete/           302 302 302 403 403 403 403   /admin/records/recordaccess/{record_access}/delete/
GET  /admin/records/recordaccess/<path:object_id>/                  302 302 302 302 302 302 302   /admin/records/recordaccess/{record_access}/
GET  /admin/records/icd10code/                                      302 302 302 403 403 403 200
GET  /admin/records/icd10code/add/                                  302 302 302 403 403 403 403
GET  /admin/records/icd10code/<path:object_id>/change/              302 302 302 403 403 403 200   /admin/records/icd10code/{icd}/change/
GET  /admin/records/icd10code/<path:object_id>/history/             302 302 302 403 403 403 200   /admin/records/icd10code/{icd}/history/
GET  /admin/records/icd10code/<path:object_id>/delete/              302 302 302 403 403 403 403   /admin/records/icd10code/{icd}/delete/
GET  /admin/records/icd10code/<path:object_id>/                     302 302 302 302 302 302 302   /admin/records/icd10code/{icd}/
"""

# fmt: on


@dataclass(frozen=True)
class Row:
    route: str  # the pattern as config.urls resolves it, e.g. "api/v1/appointments/"
    method: str  # "GET" or "POST"
    url: str  # the path to request, with {names} of ids from build_world
    expect: tuple[str, ...]  # a status per role, in the order of ROLES; "-" not asked


def rows_parse() -> list[Row]:
    rows = []
    for line in ROUTES.strip().splitlines():
        if line.startswith("#"):
            continue
        method, route, *rest = line.split()
        expect, url = tuple(rest[: len(ROLES)]), rest[len(ROLES) :]
        rows.append(Row(route[1:], method, url[0] if url else route, expect))
    return rows


ROWS = rows_parse()


# -- walking config.urls ---------------------------------------------------------------


def all_routes() -> set[str]:
    def walk(resolver: URLResolver, prefix: str):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                # a regex route (the admin's app index) by its name: its text lists apps
                if isinstance(pattern.pattern, RegexPattern) and pattern.name:
                    yield prefix + pattern.name
                else:
                    yield prefix + str(pattern.pattern)

    return set(walk(get_resolver(), ""))


def test_every_route_has_a_row():
    covered = {row.route for row in ROWS}
    missing = sorted(all_routes() - covered)
    stale = sorted(covered - all_routes())
    assert missing == [], f"routes without a row in the access matrix: {missing}"
    assert stale == [], f"rows for routes that no longer exist: {stale}"


# -- the world: objects of patient A and hospital X --------------------------------------

ACTOR = Actor.system()


def build_world(tmp_path: Path) -> tuple[dict[str, User | None], dict[str, int]]:
    """The seven users, and the ids of the objects the rows ask about."""
    from django.contrib.auth.models import Group
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    from accounts.models import LateCancelUse, MemberLevel, PointsEntry
    from billing.models import ReconciliationReport

    x, y = HospitalFactory(), HospitalFactory()
    doctor_user = UserFactory(role=User.Role.DOCTOR, hospital=x, is_staff=True)
    doctor = DoctorFactory(hospital=x, user=doctor_user)
    DoctorFactory(hospital=y)
    rule = BookingRule.objects.get_or_create(hospital=x)[0]
    template = ScheduleTemplateFactory(doctor=doctor)
    profile_a, profile_b = PatientProfileFactory(), PatientProfileFactory()
    patient_a = profile_a.user

    # A paid booking of patient A, in a session now full, where A's second patient waits
    slot = SlotFactory(session__doctor=doctor, capacity=1, session__fee=2000)
    appointment = appointment_book(
        actor=ACTOR, user=patient_a, profile=profile_a, slot=slot
    )
    order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    payment_order_dev_pay(order=order, actor=ACTOR)
    entry = waitlist_join(
        actor=ACTOR,
        user=patient_a,
        profile=PatientProfileFactory(user=patient_a),
        session=slot.session,
    )
    # a no-show record of patient A at hospital X (the ledger)
    ledger_entry = LedgerEntry.objects.create(
        id_card_hash=profile_a.id_card_hash,
        hospital=x,
        kind=LedgerKind.NO_SHOW,
        appointment=appointment,
        occurred_at=timezone.now(),
    )
    # A second paid booking that staff cancelled: a refund
    other = SlotFactory(
        session__doctor=doctor,
        session__fee=2000,
        session__date=slot.session.date + datetime.timedelta(days=1),
    )
    cancelled = appointment_book(
        actor=ACTOR, user=patient_a, profile=profile_a, slot=other
    )
    paid = payment_order_open(appointment=cancelled, channel="dev", actor=ACTOR)
    payment_order_dev_pay(order=paid, actor=ACTOR)
    appointment_cancel(
        actor=ACTOR,
        appointment=Appointment.objects.get(pk=cancelled.pk),
        by=Appointment.CancelledBy.STAFF,
    )
    # A signed medical record of patient A seen by doctor X today, with a file, read once
    record_appointment = appointment_for(doctor=doctor, profile=profile_a)
    record = record_draft_save(
        actor=Actor(user=doctor_user),
        appointment=record_appointment,
        content=RecordContent(chief_complaint="咳嗽"),
    ).record
    record_sign(actor=Actor(user=doctor_user), record=record)
    attachment = report_add(
        actor=Actor(user=doctor_user),
        record=record,
        kind="lab",
        title="血常规",
        results=[],
        files=[("a.png", PNG)],
    ).attachments.get()
    record_access = record_access_write(actor=Actor(user=doctor_user), record=record)
    # A free online consult of patient A with doctor X, with A's message and X's quick reply
    consult_offer_set(
        actor=ACTOR, doctor=doctor, enabled=True, fee=0, daily_cap=5, reply_hours=24
    )
    consult = consult_create(
        actor=ACTOR, user=patient_a, doctor=doctor, profile=profile_a, problem="头痛"
    )
    consult_message = message_send(
        actor=ACTOR, consult=consult, sender="patient", user=patient_a, text="你好"
    )
    quick_reply = quick_reply_create(doctor=doctor, text="请稍等")
    # X's reply, which A reported; a reading of the consult's text by the platform
    consult_reply = message_send(
        actor=ACTOR, consult=consult, sender="doctor", user=doctor_user, text="请描述"
    )
    message_report = message_report_create(
        actor=ACTOR,
        user=patient_a,
        side="patient",
        message=consult_reply,
        reason="spam",
    )
    consult_access = consult_access_write(
        actor=Actor(user=doctor_user), consult=consult, what="transcript"
    )
    # A's message told doctor X; read, so X's "read all" (a 200 row) changes nothing.
    Notification.objects.filter(user=doctor_user).update(read_at=timezone.now())
    refresh = RefreshToken.for_user(patient_a)
    refresh.blacklist()
    interval = IntervalSchedule.objects.create(every=1, period="days")
    # An imported history and a no-show model trained on it (the operators' commands)
    history = write_csv(tmp_path / "history.csv", kaggle_rows(300))
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command("import_history", str(history), format="kaggle-noshow", **quiet)
    call_command(
        "noshow_train",
        data=str(history),
        format="kaggle-noshow",
        test_from="2016-05-16",
        **quiet,
    )

    users = {
        "anon": None,
        "patient_a": patient_a,
        "patient_b": profile_b.user,
        "doctor_x": doctor_user,
        "staff_x": StaffFactory(hospital=x),
        "staff_y": StaffFactory(hospital=y),
        "admin": UserFactory(
            role=User.Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True
        ),
    }
    ids = {
        "hospital": x.pk,
        "appointment_type": ContentType.objects.get_for_model(Appointment).pk,
        "department": doctor.department_id,
        "screen_signature": screen_signature(doctor.department_id),
        "doctor": doctor.pk,
        "room": ConsultingRoomFactory(department=doctor.department).pk,
        "rule": rule.pk,
        "template": template.pk,
        "session": slot.session_id,
        "slot": slot.pk,
        "user": patient_a.pk,
        "profile": profile_a.pk,
        "appointment": appointment.pk,
        "ticket": BookingTicket.objects.create(
            user=patient_a,
            profile=profile_a,
            slot=slot,
            session_id=slot.session_id,
            status=BookingTicket.Status.BOOKED,
            appointment=appointment,
        ).pk,
        "record": record.pk,
        "record_appointment": record_appointment.pk,
        "attachment": attachment.pk,
        "record_access": record_access.pk,
        "consult": consult.pk,
        "consult_message": consult_message.pk,
        "quick_reply": quick_reply.pk,
        "consult_reply": consult_reply.pk,
        "consult_offer": doctor.consult_offer.pk,
        "message_report": message_report.pk,
        "consult_access": consult_access.pk,
        "icd": Icd10Code.objects.get(code="J06.9").pk,
        "entry": entry.pk,
        "offer": RebookingOffer.objects.create(
            appointment=appointment,
            slot=slot,
            expires_at=timezone.now() + datetime.timedelta(hours=4),
        ).pk,
        "stop_request": SessionStopRequest.objects.create(
            session=slot.session,
            hospital=x,
            requested_by=doctor_user,
            kind=SessionStopRequest.Kind.LEAVE,
            reason="培训",
        ).pk,
        "ledger_entry": ledger_entry.pk,
        "ledger_appeal": LedgerAppeal.objects.create(
            entry=ledger_entry, hospital=x, user=patient_a, reason="住院"
        ).pk,
        "ledger_rule": LedgerRule.objects.create(
            hospital=x, kind=LedgerKind.NO_SHOW
        ).pk,
        "notification": Notification.objects.filter(user=patient_a).first().pk,
        "order": order.pk,
        "refund": Refund.objects.get(order=paid).pk,
        "ledger": PaymentLedgerEntry.objects.filter(order=order).first().pk,
        "report": ReconciliationReport.objects.create(
            channel="dev", date=timezone.localdate(), file_name="bill.csv"
        ).pk,
        "log": OperationLog.objects.filter(object_id=str(appointment.pk)).first().pk,
        "level": MemberLevel.objects.order_by("pk").first().pk,
        "points": PointsEntry.objects.filter(user=patient_a).first().pk,
        "late_cancel": LateCancelUse.objects.create(
            user=patient_a, appointment_id=cancelled.pk, used_at=timezone.now()
        ).pk,
        "group": Group.objects.create(name="desk").pk,
        "interval": interval.pk,
        "crontab": CrontabSchedule.objects.create().pk,
        "clocked": ClockedSchedule.objects.create(clocked_time=timezone.now()).pk,
        "solar": SolarSchedule.objects.create(
            event="sunrise", latitude=31.2, longitude=121.5
        ).pk,
        "task": PeriodicTask.objects.create(
            name="matrix", task="matrix.task", interval=interval
        ).pk,
        "outstanding": refresh.outstanding_token.pk
        if hasattr(refresh, "outstanding_token")
        else _outstanding_pk(patient_a),
        "blacklisted": _blacklisted_pk(patient_a),
        "alert": PaymentAlert.objects.create(
            rule=PaymentAlert.Rule.ORDER_BURST,
            day=timezone.localdate(),
            subject=f"user:{patient_a.pk}",
            hospital=x,
            user=patient_a,
            order=order,
        ).pk,
        "attempt": AccessAttempt.objects.create(
            username="someone", ip_address="127.0.0.9", failures_since_start=1
        ).pk,
        "access_log": AccessLog.objects.create(
            username="someone", ip_address="127.0.0.9"
        ).pk,
        "static_device": StaticDevice.objects.create(
            user=users["admin"], name="spare"
        ).pk,
        "totp_device": TOTPDevice.objects.create(user=users["admin"], name="phone").pk,
        "noshow_model": NoShowModel.objects.get().pk,
        "history_import": HistoryImport.objects.get().pk,
        "history_visit": HistoryVisit.objects.order_by("pk").first().pk,
    }
    return users, ids


def _outstanding_pk(user: User) -> int:
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    return OutstandingToken.objects.get(user=user).pk


def _blacklisted_pk(user: User) -> int:
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    return BlacklistedToken.objects.get(token__user=user).pk


def snapshot() -> dict[str, list[dict]]:
    """Every row of the project's own tables: what a refused write must leave alone."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models()
        if model._meta.label not in READ_LOGS
    }


def client_for(role: str, user: User | None, api: bool) -> Client:
    client = Client()
    if user is None:
        return client
    if api:
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {AccessToken.for_user(user)}"
    else:
        client.force_login(user)
    return client


@pytest.mark.clock
@pytest.mark.django_db
def test_each_role_gets_the_expected_status_on_every_route(settings, tmp_path):
    # given
    settings.PAYMENTS_DEV_GATEWAY = True
    settings.MEDIA_ROOT = tmp_path  # the medical record's attachment
    settings.NOSHOW_MODEL_DIR = tmp_path / "noshow_models"
    users, ids = build_world(tmp_path)
    clients = {
        (role, api): client_for(role, user, api)
        for role, user in users.items()
        for api in (False, True)
    }
    before = snapshot()

    # when
    failures, seen = [], []
    for row in ROWS:
        url = row.url.format(**ids)
        api = url.startswith("/api/v1/")
        expected = row.expect
        assert len(expected) == len(ROLES), row
        got = []
        for role, want in zip(ROLES, expected, strict=True):
            if want == "-":
                got.append("-")
                continue
            client = clients[(role, api)]
            if row.method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, {}, content_type="application/json")
            got.append(str(response.status_code))
            if str(response.status_code) != want:
                failures.append(
                    f"{row.method} {url} as {role}: {response.status_code}, expected {want}"
                )
        seen.append(f"{row.method} {url} {' '.join(got)}")

    # then
    if os.environ.get("ACCESS_MATRIX_PRINT"):
        print("\n".join(seen))  # noqa: T201 - to review when adding rows
    assert failures == [], "\n".join(failures)
    after = snapshot()
    changed = [label for label in before if before[label] != after[label]]
    assert changed == [], f"refused requests changed these tables: {changed}"
