"""Online consults (在线问诊) for the patient: ask a doctor, my consults, the conversation.

No rule lives here. Writes are the consult services the REST API calls (consult_create,
message_send, message_recall, consult_close, consult_rate); reads are consult.selectors,
every id through consult_get_for_party / message_get_for_sender (someone else's consult
or message answers the portal's 404). The conversation page works without JavaScript
(form posts that redirect back); with htmx it sends without a reload and asks every few
seconds for the messages after the last one shown (`messages/?after=<id>`), a fragment
shared with the doctor's page (consult/conversation.py).

A paid consult awaiting payment shows the amount and the portal's payment methods; the
order is opened by consult's own service (consult_pay, the REST API's) and then paid on
the portal's order pages (booking.py: dev gateway, WeChat QR, Alipay's cashier), which
return to the conversation.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from accounts.selectors import (
    patient_profile_get_for_user,
    patient_profile_list_for_user,
)
from billing.models import PaymentOrder
from billing.services.orders import payment_order_pay_params
from common.refusals import Refused, call_service
from common.services import Actor
from config.portal.forms import ConsultCreateForm, ConsultRateForm, PayForm
from config.portal.gate import patient_page
from config.portal.views.booking import channel_step, portal_channels
from consult import selectors
from consult.conversation import (
    PORTAL,
    ImageForm,
    MessageForm,
    conversation_context,
    image_post,
    image_upload_view,
    message_sent_response,
    messages_fragment,
    text_post,
)
from consult.models import Consult, ConsultMessage
from consult.services.consults import consult_close, consult_create, consult_rate
from consult.services.images import problem_image_add
from consult.services.messages import message_recall
from consult.services.payment import consult_pay
from hospitals import selectors as catalog

S = Consult.Status
PAGE_SIZE = 20


@never_cache
@require_http_methods(["GET", "POST"])
@patient_page
def consult_start(request: HttpRequest, doctor_id: int) -> HttpResponse:
    """Ask the doctor: choose the 就诊人, describe the problem (the doctor's terms shown)."""
    doctor = catalog.doctor_get_for_patient(doctor_id=doctor_id)
    offer = selectors.offer_for_patients(doctor_id=doctor.pk)
    if offer is None:
        raise Http404(_("This doctor does not take online consults."))
    profiles = list(patient_profile_list_for_user(user=request.user))
    form = ConsultCreateForm(request.POST or None, profiles=profiles)
    status = 200
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise Refused(400)
            profile = patient_profile_get_for_user(
                user=request.user, profile_id=form.cleaned_data["profile"]
            )
            consult = call_service(
                form,
                lambda: consult_create(
                    actor=Actor.from_request(request),
                    user=request.user,
                    doctor=doctor,
                    profile=profile,
                    problem=form.cleaned_data["problem"],
                ),
            )
        except Refused as refused:
            status = refused.status
        else:
            messages.success(
                request,
                _("Your consult was sent to the doctor.")
                if consult.status == S.WAITING
                else _("Your consult was created. It goes to the doctor once paid."),
            )
            return redirect("portal:consult", consult_id=consult.pk)
    return render(
        request,
        "portal/consult_start.html",
        {
            "doctor": doctor,
            "offer": offer,
            "form": form,
            "profiles": profiles,
            "add_profile_url": reverse("portal:profile-add")
            + "?next="
            + reverse("portal:consult-start", args=[doctor.pk]),
        },
        status=status,
    )


@never_cache
@require_safe
@patient_page
def consult_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.consults_of(request.user), PAGE_SIZE)
    return render(
        request,
        "portal/consults.html",
        {"page": page.get_page(request.GET.get("page"))},
    )


def _page(
    request: HttpRequest,
    consult: Consult,
    *,
    send_form: MessageForm | None = None,
    rate_form: ConsultRateForm | None = None,
    pay_form: PayForm | None = None,
    image_form: ImageForm | None = None,
    problem_image_form: ImageForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = conversation_context(
        request,
        consult,
        side=PORTAL,
        send_form=send_form or MessageForm(),
        image_form=image_form,
    )
    channels = portal_channels()
    context |= {
        "problem_image_form": problem_image_form or ImageForm(),
        "pay_channels": channels,
        "pay_form": pay_form or PayForm(channels=channels),
        "rate_form": rate_form or ConsultRateForm(),
        "can_rate": consult.status == S.CLOSED,
        "can_close": consult.status in (S.AWAITING_PAYMENT, S.WAITING, S.IN_PROGRESS),
        "errors": errors or [],
    }
    return render(request, "portal/consult.html", context, status=status)


def _consult(request: HttpRequest, consult_id: int) -> Consult:
    return selectors.consult_get_for_party(user=request.user, consult_id=consult_id)


@never_cache
@require_safe
@patient_page
def consult_detail(request: HttpRequest, consult_id: int) -> HttpResponse:
    return _page(request, _consult(request, consult_id))


@never_cache
@require_safe
@patient_page
def consult_messages(request: HttpRequest, consult_id: int) -> HttpResponse:
    """The poll: the messages after ?after= as list items (htmx appends them)."""
    return messages_fragment(request, _consult(request, consult_id), side=PORTAL)


@require_POST
@patient_page
def consult_send(request: HttpRequest, consult_id: int) -> HttpResponse:
    consult = _consult(request, consult_id)
    form, status = text_post(request, consult, sender=ConsultMessage.Sender.PATIENT)
    if status is None:
        return message_sent_response(request, consult, side=PORTAL, form=None)
    return message_sent_response(
        request,
        consult,
        side=PORTAL,
        form=form,
        status=status,
        full_page=lambda: _page(
            request, _refreshed(consult), send_form=form, status=status
        ),
    )


@image_upload_view
@require_POST
@patient_page
def consult_problem_image_add(request: HttpRequest, consult_id: int) -> HttpResponse:
    """The patient adds an image of the problem (up to 9, until the consult ends)."""
    consult = _consult(request, consult_id)
    form = ImageForm(request.POST, request.FILES)
    try:
        content = form.content()
        if content is None:
            raise Refused(400)
        call_service(
            form,
            lambda: problem_image_add(
                actor=Actor.from_request(request),
                consult=consult,
                user=request.user,
                content=content,
            ),
        )
    except Refused as refused:
        return _page(
            request,
            _refreshed(consult),
            problem_image_form=form,
            status=refused.status,
        )
    messages.success(request, _("The image was added."))
    return redirect(reverse("portal:consult", args=[consult.pk]) + "#problem-images-h")


@image_upload_view
@require_POST
@patient_page
def consult_send_image(request: HttpRequest, consult_id: int) -> HttpResponse:
    consult = _consult(request, consult_id)
    form, status = image_post(request, consult, sender=ConsultMessage.Sender.PATIENT)
    if status is not None:
        return _page(request, _refreshed(consult), image_form=form, status=status)
    return redirect(reverse("portal:consult", args=[consult.pk]) + "#send-image")


@require_POST
@patient_page
def consult_pay_view(request: HttpRequest, consult_id: int) -> HttpResponse:
    """Open (or reuse) the consult's order for the chosen channel, then the channel's
    step; the order's page returns to the conversation once paid."""
    consult = _consult(request, consult_id)
    if consult.user_id != request.user.pk:
        raise Http404  # only the consult's patient pays it
    channels = portal_channels()
    form = PayForm(request.POST, channels=channels)
    try:
        if not form.is_valid():
            raise Refused(400)
        channel = form.cleaned_data["channel"]
        order = call_service(
            form,
            lambda: consult_pay(
                consult=consult,
                channel=channel,
                scene=PaymentOrder.Scene.WEB,
                actor=Actor.from_request(request),
            ),
        )
        # After the order's commit, outside any transaction (a channel call may wait).
        params = call_service(form, lambda: payment_order_pay_params(order=order))
    except Refused as refused:
        consult = _refreshed(consult)
        # The form is on the page only while the consult awaits payment.
        shown = consult.status == S.AWAITING_PAYMENT
        return _page(
            request,
            consult,
            pay_form=form,
            errors=[] if shown else list(form.non_field_errors()),
            status=refused.status,
        )
    if params is None:  # paid or closed meanwhile
        return redirect("portal:consult", consult_id=consult.pk)
    return channel_step(order=order, channel=channel, params=params)


@require_POST
@patient_page
def message_recall_view(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_get_for_sender(user=request.user, message_id=message_id)
    return _act(
        request,
        message.consult,
        lambda: message_recall(actor=Actor.from_request(request), message=message),
        done=_("The message was recalled."),
    )


@require_POST
@patient_page
def consult_close_view(request: HttpRequest, consult_id: int) -> HttpResponse:
    consult = _consult(request, consult_id)
    return _act(
        request,
        consult,
        lambda: consult_close(
            actor=Actor.from_request(request),
            consult=consult,
            by=Consult.ClosedBy.PATIENT,
        ),
        done=_("The consult was closed."),
    )


@require_POST
@patient_page
def consult_rate_view(request: HttpRequest, consult_id: int) -> HttpResponse:
    consult = _consult(request, consult_id)
    form = ConsultRateForm(request.POST)
    try:
        if not form.is_valid():
            raise Refused(400)
        call_service(
            form,
            lambda: consult_rate(
                actor=Actor.from_request(request),
                consult=consult,
                stars=form.cleaned_data["stars"],
                comment=form.cleaned_data["comment"],
            ),
        )
    except Refused as refused:
        return _page(
            request, _refreshed(consult), rate_form=form, status=refused.status
        )
    messages.success(request, _("Thank you for your rating."))
    return redirect("portal:consult", consult_id=consult.pk)


def _refreshed(consult: Consult) -> Consult:
    consult.refresh_from_db()
    return consult


def _act(request: HttpRequest, consult: Consult, action, *, done: str) -> HttpResponse:
    """A button without fields: the service's refusal is shown on the page."""
    form = MessageForm({})
    form.is_valid()
    try:
        call_service(form, action)
    except Refused as refused:
        return _page(
            request,
            _refreshed(consult),
            errors=list(form.non_field_errors()),
            status=refused.status,
        )
    messages.success(request, done)
    return redirect("portal:consult", consult_id=consult.pk)
