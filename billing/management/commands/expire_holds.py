from django.core.management.base import BaseCommand

from billing.services.settlement import holds_expire


class Command(BaseCommand):
    help = (
        "Expire unpaid appointment holds that have passed, after asking the payment "
        "channel whether they were paid after all; return their seats (idempotent)."
    )

    def handle(self, *args, **options) -> None:
        expired = holds_expire()
        self.stdout.write(f"expired holds: {expired}")
