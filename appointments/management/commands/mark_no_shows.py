from django.core.management.base import BaseCommand

from appointments.services import sessions_mark_no_shows
from common.services import Actor


class Command(BaseCommand):
    help = "Mark booked appointments of finished sessions that never checked in as no_show (idempotent)."

    def handle(self, *args, **options) -> None:
        marked = sessions_mark_no_shows(actor=Actor.system())
        self.stdout.write(f"marked no-shows: {marked}")
