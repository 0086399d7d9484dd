"""The conversation's page parts, for both sides' server-rendered pages: the patient's in
the portal (config.portal.views.consults) and the doctor's in the workspace
(consult.workspace.views).

The page lists the messages in order and ends with a send form. Without JavaScript the form
posts and the server redirects back to the page. With htmx (vendored, see
templates/consult/_conversation.html) the form posts in place and an element polls the
messages after the last one shown every few seconds (`?after=<id>`): the answer is the new
list items, the new cursor and the consult's status (swapped out of band). One element
sends every poll, so htmx queues them (never two at once) and no message is shown twice.
When the status changes what the page offers (a consult closed, paid, cancelled), the poll
asks the browser to reload the page (HX-Refresh).

Images: a plain multipart form (works without JavaScript) posts one `image` file; the
view receives it into memory only, capped (common.uploads, as the REST API does), and
calls the same services (consult.services.images); a refusal is shown on the form and
nothing is stored. Images are shown from their signed, expiring links
(consult.image_files.image_url).

No rule here: reads are consult.selectors, the recall window is the service's constant
(only to decide whether to show the button; the service decides).
"""

from collections.abc import Callable
from functools import wraps
from typing import Final

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from common.refusals import refusal_status
from common.services import Actor
from common.uploads import CappedMemoryUploadHandler
from consult import selectors
from consult.image_files import image_url
from consult.models import Consult, ConsultImage, ConsultMessage
from consult.services.images import (
    PROBLEM_IMAGES_MAX,
    PROBLEM_IMAGES_OPEN,
    message_image_send,
)
from consult.services.messages import RECALL_WINDOW, message_send

PORTAL: Final = "portal"
WORKSPACE: Final = "workspace"
# The URL names of each side's conversation routes.
ROUTES: Final = {
    PORTAL: {
        "page": "portal:consult",
        "poll": "portal:consult-messages",
        "send": "portal:consult-send",
        "recall": "portal:consult-recall",
        "send_image": "portal:consult-send-image",
    },
    WORKSPACE: {
        "page": "consult_workspace:consult",
        "poll": "consult_workspace:messages",
        "send": "consult_workspace:send",
        "recall": "consult_workspace:recall",
        "send_image": "consult_workspace:send-image",
    },
}
SENDER: Final = {
    PORTAL: ConsultMessage.Sender.PATIENT,
    WORKSPACE: ConsultMessage.Sender.DOCTOR,
}
S = Consult.Status
OPEN = (S.WAITING, S.IN_PROGRESS)
# The statuses in which the page polls: messages may come, or the payment may arrive.
LIVE = (S.AWAITING_PAYMENT, *OPEN)
# How many messages the page shows at first; the poll brings the rest, page by page.
FIRST_PAGE = 500
POLL_SECONDS = 4


class MessageForm(forms.Form):
    # Empty and over-long texts are refused by the service, with its own messages.
    text = forms.CharField(
        label=_("Message"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


IMAGE_ACCEPT: Final = "image/jpeg,image/png,image/webp"


class ImageForm(forms.Form):
    # The content decides (the service checks and re-encodes it); `accept` only helps.
    image = forms.FileField(
        label=_("Image"),
        required=False,
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
    )

    def content(self) -> bytes | None:
        """The file's bytes (at most one over the cap: the service refuses it then),
        or None with the form's error when no file was chosen."""
        upload = self.files.get("image")
        if upload is None or not upload.name:
            self.add_error("image", _("Choose an image to upload."))
            return None
        return upload.read(settings.CONSULT_IMAGE_MAX_BYTES + 1)


def image_upload_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Receive the upload into memory only, capped, before the body is parsed; the CSRF
    check (which parses the body) runs after that, inside."""
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.upload_handlers = [
            CappedMemoryUploadHandler(
                request, max_bytes=settings.CONSULT_IMAGE_MAX_BYTES
            )
        ]
        return protected(request, *args, **kwargs)

    return wrapped


def problem_images(consult: Consult) -> list[dict]:
    return [
        {"id": pk, "url": image_url(pk)}
        for pk in ConsultImage.objects.filter(
            consult=consult, kind=ConsultImage.Kind.PROBLEM
        )
        .order_by("id")
        .values_list("pk", flat=True)
    ]


class CursorForm(forms.Form):
    """The poll's query: the last message the page shows (0: none) and its status."""

    after = forms.IntegerField(min_value=0, max_value=2**63 - 1)
    status = forms.ChoiceField(choices=Consult.Status.choices, required=False)


def message_items(
    request: HttpRequest, messages: list[ConsultMessage], *, side: str
) -> list[dict]:
    now = timezone.now()
    me = SENDER[side]
    return [
        {
            "message": message,
            "mine": message.sender == me,
            # As the API's output: a recalled or hidden message shows no image.
            "image_url": image_url(message.image_id)
            if message.image_id
            and message.recalled_at is None
            and message.hidden_at is None
            else None,
            "can_recall": message.sender == me
            and message.sender_user_id == request.user.pk
            and message.recalled_at is None
            and now - message.created_at <= RECALL_WINDOW,
        }
        for message in messages
    ]


def conversation_context(
    request: HttpRequest,
    consult: Consult,
    *,
    side: str,
    send_form: forms.Form,
    image_form: forms.Form | None = None,
) -> dict:
    messages = selectors.messages_after(consult=consult, after=None, limit=FIRST_PAGE)
    images = problem_images(consult)
    return {
        "image_form": image_form or ImageForm(),
        "problem_images": images,
        "can_add_problem_image": side == PORTAL
        and consult.status in PROBLEM_IMAGES_OPEN
        and len(images) < PROBLEM_IMAGES_MAX,
        "problem_images_max": PROBLEM_IMAGES_MAX,
        "consult": consult,
        "side": side,
        "routes": ROUTES[side],
        "items": message_items(request, messages, side=side),
        "last_id": messages[-1].pk if messages else 0,
        "send_form": send_form,
        "can_send": consult.status in OPEN,
        "live": consult.status in LIVE,
        "poll_seconds": POLL_SECONDS,
    }


def messages_fragment(
    request: HttpRequest, consult: Consult, *, side: str
) -> HttpResponse:
    """The poll's answer: list items after the cursor, the new cursor and status."""
    query = CursorForm(request.GET)
    if not query.is_valid():
        return HttpResponse(status=400)
    after = query.cleaned_data["after"]
    shown = query.cleaned_data["status"]
    if (
        shown
        and shown != consult.status
        and not (shown in OPEN and consult.status in OPEN)
    ):
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    messages = selectors.messages_after(
        consult=consult, after=after, limit=selectors.MESSAGE_PAGE_MAX
    )
    return render(
        request,
        "consult/_poll.html",
        {
            "consult": consult,
            "side": side,
            "routes": ROUTES[side],
            "items": message_items(request, messages, side=side),
            "last_id": messages[-1].pk if messages else after,
        },
    )


def message_sent_response(
    request: HttpRequest,
    consult: Consult,
    *,
    side: str,
    form: forms.Form | None,
    status: int = 200,
    full_page: Callable[[], HttpResponse] | None = None,
) -> HttpResponse:
    """After a send: with htmx the form again (empty, or with the refusal) and an event
    that makes the poll fetch at once; without, back to the page (or the page with the
    refusal, `full_page`)."""
    sent = form is None
    if request.headers.get("HX-Request") == "true":
        response = render(
            request,
            "consult/_send_form.html",
            {
                "consult": consult,
                "routes": ROUTES[side],
                "send_form": form or MessageForm(),
                "focus": True,
            },
            status=status,
        )
        if sent:
            response["HX-Trigger"] = "consult-sent"
        return response
    if sent or full_page is None:
        return redirect(reverse(ROUTES[side]["page"], args=[consult.pk]) + "#send")
    return full_page()


def text_post(
    request: HttpRequest, consult: Consult, *, sender: str
) -> tuple[MessageForm, int | None]:
    """Send the posted text as `sender` (message_send, the API's path): the form, and
    None when sent or the refusal's status (its reason on the form)."""
    form = MessageForm(request.POST)
    if not form.is_valid():
        return form, 400
    return form, refusal_status(
        form,
        lambda: message_send(
            actor=Actor.from_request(request),
            consult=consult,
            sender=sender,
            user=request.user,
            text=form.cleaned_data["text"],
        ),
    )


def image_post(
    request: HttpRequest, consult: Consult, *, sender: str
) -> tuple[ImageForm, int | None]:
    """Send the posted image as `sender` (message_image_send): as text_post."""
    form = ImageForm(request.POST, request.FILES)
    content = form.content()
    if content is None:
        return form, 400
    return form, refusal_status(
        form,
        lambda: message_image_send(
            actor=Actor.from_request(request),
            consult=consult,
            sender=sender,
            user=request.user,
            content=content,
        ),
    )
