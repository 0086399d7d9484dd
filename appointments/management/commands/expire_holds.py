from django.core.management.base import BaseCommand

from appointments.services import appointment_expire_holds


class Command(BaseCommand):
    help = "Expire unpaid appointment holds that have passed and return their seats (idempotent)."

    def handle(self, *args, **options) -> None:
        expired = appointment_expire_holds()
        self.stdout.write(f"expired holds: {expired}")
