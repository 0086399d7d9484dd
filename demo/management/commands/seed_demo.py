"""manage.py seed_demo: the demo data set, safe to run any number of times.

The data and the order it is seeded in are the demo's story (demo/story.py). This command
checks the password, tells the story under a progress bar, and prints the tally and the
logins.
"""

import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import User
from common.progress import ProgressBar
from common.services import Actor
from demo import story
from demo.people import ADMIN_URL, ADMIN_USERNAME, DEFAULT_DEMO_PASSWORD, demo_logins
from demo.seeding import SeedContext


class Command(BaseCommand):
    help = "Fill the database with fixed demo data; running it again changes nothing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--admin-url",
            default=ADMIN_URL,
            help="Where the printed admin login points (make run passes its own port).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or DEFAULT_DEMO_PASSWORD
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(
                "DEMO_ADMIN_PASSWORD is too weak: " + " ".join(exc.messages)
            ) from None

        ctx = SeedContext(actor=Actor.system(), password=password)
        bar = ProgressBar(self.stdout, story.story_length())
        story.story_tell(
            ctx,
            on_item=lambda kind, step_done: bar.advance(1, kind, milestone=step_done),
        )
        bar.finish()

        self.stdout.write(_summary(ctx))
        self._print_logins(password, admin_url=options["admin_url"])

    def _print_logins(self, password: str, *, admin_url: str) -> None:
        logins = demo_logins()
        admin = User.objects.get(username=ADMIN_USERNAME)
        self.stdout.write(
            _("Admin login: %(url)s  username: %(username)s  password: %(password)s")
            % {"url": admin_url, "username": ADMIN_USERNAME, "password": password}
        )
        if not admin.check_password(password):
            self.stdout.write(
                _(
                    "(The admin user already existed with another password; it was not changed.)"
                )
            )
        self.stdout.write(
            _(
                "Patient logins (API): phones %(phones)s; POST /api/v1/accounts/sms/send/ and "
                "the code appears in the server log (SMS_BACKEND=console)."
            )
            % {"phones": ", ".join(logins["patient_phones"])}
        )
        self.stdout.write(
            _("Hospital staff logins (same password): %(users)s")
            % {
                "users": ", ".join(
                    f"{username} ({hospital})" for username, hospital in logins["staff"]
                )
            }
        )
        self.stdout.write(
            _(
                "Doctor logins (same password; online consults at /workspace/consults/): %(users)s"
            )
            % {
                "users": ", ".join(
                    f"{username} ({hospital})"
                    for username, hospital in logins["doctors"]
                )
            }
        )


def _summary(ctx: SeedContext) -> str:
    per_kind = ", ".join(
        f"{step.kind} {ctx.created[step.kind]}/{ctx.present[step.kind]}"
        for step in story.SEED_STEPS
    )
    return _(
        "Demo data: %(created)d created, %(present)d already present (%(per_kind)s)."
    ) % {
        "created": sum(ctx.created.values()),
        "present": sum(ctx.present.values()),
        "per_kind": per_kind,
    }
