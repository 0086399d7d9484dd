from django.core.management.base import BaseCommand

from scheduling.services import sessions_release


class Command(BaseCommand):
    help = "Release the clinic sessions whose release time has come. Safe to rerun."

    def handle(self, *args, **options) -> None:
        released = sessions_release()
        self.stdout.write(f"Released {released} clinic sessions.")
