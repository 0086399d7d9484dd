"""The doctor's consult pages: the consults addressed to them (waiting first, with the
reply deadline), one conversation with the reply form and the quick replies, closing it,
the quick replies' management and the doctor's offer (fee typed in yuan, kept in fen).

Every page goes through gate.doctor_page; every consult through
consult.selectors.consult_get_for_party (a consult addressed to another doctor: 404).
Writes are POST forms that redirect back; bad input re-shows the form with its errors
(400) and a service's refusal is shown on the page with its status (409...), nothing
written.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from common.errors import DomainError
from common.refusals import refusal_status
from common.services import Actor
from consult import selectors
from consult.conversation import (
    WORKSPACE,
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
from consult.services.consults import consult_close
from consult.services.messages import message_recall
from consult.services.offers import (
    QUICK_REPLIES_MAX,
    consult_offer_set,
    quick_reply_create,
    quick_reply_delete,
    quick_reply_update,
)
from consult.workspace.forms import OfferForm, QuickReplyForm, StatusFilterForm
from consult.workspace.gate import doctor_page

S = Consult.Status
PAGE_SIZE = 20


def _consult(request: HttpRequest, consult_id: int) -> Consult:
    return selectors.consult_get_for_party(user=request.user, consult_id=consult_id)


# -- the consults ------------------------------------------------------------------------


@never_cache
@require_GET
@doctor_page
def consult_list(request: HttpRequest) -> HttpResponse:
    selectors.doctor_of(request.user)  # a doctor's account without its doctor row: 404
    form = StatusFilterForm(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(
        selectors.consults_for_desk(user=request.user, status=status), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workspace/consults.html",
        {
            "form": form,
            "status": status,
            "statuses": Consult.Status.choices,
            "page": page,
            "query": query.urlencode(),
        },
        status=200 if form.is_valid() else 400,
    )


def _page(
    request: HttpRequest,
    consult: Consult,
    *,
    send_form: forms.Form | None = None,
    image_form: ImageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    doctor = selectors.doctor_of(request.user)
    if send_form is None:
        initial = {}
        if request.GET.get("quick", "").isdigit():  # a quick reply put in the box
            reply = selectors.quick_reply_get(
                doctor=doctor, reply_id=int(request.GET["quick"])
            )
            initial["text"] = reply.text
        send_form = MessageForm(initial=initial)
    context = conversation_context(
        request, consult, side=WORKSPACE, send_form=send_form, image_form=image_form
    )
    context |= {
        "quick_replies": list(selectors.quick_replies_of(doctor)),
        "can_close": consult.status in (S.WAITING, S.IN_PROGRESS),
    }
    return render(request, "workspace/consult.html", context, status=status)


@never_cache
@require_GET
@doctor_page
def consult_detail(request: HttpRequest, consult_id: int) -> HttpResponse:
    return _page(request, _consult(request, consult_id))


@never_cache
@require_GET
@doctor_page
def consult_messages(request: HttpRequest, consult_id: int) -> HttpResponse:
    """The poll: the messages after ?after= as list items (htmx appends them)."""
    return messages_fragment(request, _consult(request, consult_id), side=WORKSPACE)


@require_POST
@doctor_page
def consult_send(request: HttpRequest, consult_id: int) -> HttpResponse:
    consult = _consult(request, consult_id)
    form, status = text_post(request, consult, sender=ConsultMessage.Sender.DOCTOR)
    if status is None:
        return message_sent_response(request, consult, side=WORKSPACE, form=None)
    consult.refresh_from_db()
    return message_sent_response(
        request,
        consult,
        side=WORKSPACE,
        form=form,
        status=status,
        full_page=lambda: _page(request, consult, send_form=form, status=status),
    )


@image_upload_view
@require_POST
@doctor_page
def consult_send_image(request: HttpRequest, consult_id: int) -> HttpResponse:
    consult = _consult(request, consult_id)
    form, status = image_post(request, consult, sender=ConsultMessage.Sender.DOCTOR)
    if status is None:
        return redirect(
            reverse("consult_workspace:consult", args=[consult.pk]) + "#send-image"
        )
    consult.refresh_from_db()
    return _page(request, consult, image_form=form, status=status)


def _act(request: HttpRequest, consult: Consult, action, done: str) -> HttpResponse:
    """A button: done, or the refusal as a message; back to the conversation."""
    try:
        action()
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, done)
    return redirect("consult_workspace:consult", consult_id=consult.pk)


@require_POST
@doctor_page
def message_recall_view(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_get_for_sender(user=request.user, message_id=message_id)
    return _act(
        request,
        message.consult,
        lambda: message_recall(actor=Actor.from_request(request), message=message),
        _("The message was recalled."),
    )


@require_POST
@doctor_page
def consult_close_view(request: HttpRequest, consult_id: int) -> HttpResponse:
    consult = _consult(request, consult_id)
    return _act(
        request,
        consult,
        lambda: consult_close(
            actor=Actor.from_request(request),
            consult=consult,
            by=Consult.ClosedBy.DOCTOR,
        ),
        _("The consult was closed."),
    )


# -- quick replies -----------------------------------------------------------------------


def _quick_replies_page(
    request: HttpRequest,
    *,
    add_form: QuickReplyForm | None = None,
    failed: tuple[int, QuickReplyForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    doctor = selectors.doctor_of(request.user)
    rows = []
    for reply in selectors.quick_replies_of(doctor):
        if failed is not None and failed[0] == reply.pk:
            form = failed[1]
        else:
            form = QuickReplyForm(initial={"text": reply.text}, prefix=f"r{reply.pk}")
        rows.append({"reply": reply, "form": form})
    return render(
        request,
        "workspace/quick_replies.html",
        {
            "rows": rows,
            "add_form": add_form or QuickReplyForm(prefix="new"),
            "limit": QUICK_REPLIES_MAX,
        },
        status=status,
    )


@never_cache
@require_GET
@doctor_page
def quick_reply_list(request: HttpRequest) -> HttpResponse:
    return _quick_replies_page(request)


@require_POST
@doctor_page
def quick_reply_add(request: HttpRequest) -> HttpResponse:
    doctor = selectors.doctor_of(request.user)
    form = QuickReplyForm(request.POST, prefix="new")
    status = 400 if not form.is_valid() else None
    if status is None:
        status = refusal_status(
            form,
            lambda: quick_reply_create(doctor=doctor, text=form.cleaned_data["text"]),
        )
    if status is not None:
        return _quick_replies_page(request, add_form=form, status=status)
    messages.success(request, _("The quick reply was added."))
    return redirect("consult_workspace:quick-replies")


@require_POST
@doctor_page
def quick_reply_edit(request: HttpRequest, reply_id: int) -> HttpResponse:
    reply = selectors.quick_reply_get(
        doctor=selectors.doctor_of(request.user), reply_id=reply_id
    )
    form = QuickReplyForm(request.POST, prefix=f"r{reply.pk}")
    status = 400 if not form.is_valid() else None
    if status is None:
        status = refusal_status(
            form,
            lambda: quick_reply_update(reply=reply, text=form.cleaned_data["text"]),
        )
    if status is not None:
        return _quick_replies_page(request, failed=(reply.pk, form), status=status)
    messages.success(request, _("The quick reply was saved."))
    return redirect("consult_workspace:quick-replies")


@require_POST
@doctor_page
def quick_reply_delete_view(request: HttpRequest, reply_id: int) -> HttpResponse:
    reply = selectors.quick_reply_get(
        doctor=selectors.doctor_of(request.user), reply_id=reply_id
    )
    quick_reply_delete(reply=reply)
    messages.success(request, _("The quick reply was deleted."))
    return redirect("consult_workspace:quick-replies")


# -- the offer ---------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@doctor_page
def offer_page(request: HttpRequest) -> HttpResponse:
    doctor = selectors.doctor_of(request.user)
    offer = selectors.offer_of(doctor)
    status = 200
    if request.method == "POST":
        form = OfferForm(request.POST)
        status = 400 if not form.is_valid() else None
        if status is None:
            status = refusal_status(
                form,
                lambda: consult_offer_set(
                    actor=Actor.from_request(request),
                    doctor=doctor,
                    **form.cleaned_data,
                ),
            )
        if status is None:
            messages.success(request, _("Your online consult settings were saved."))
            return redirect("consult_workspace:offer")
    else:
        form = OfferForm.of(offer)
    return render(
        request,
        "workspace/consult_offer.html",
        {"form": form, "offer": offer},
        status=status,
    )
