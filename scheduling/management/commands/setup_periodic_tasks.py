from django.core.management.base import BaseCommand

from scheduling.periodic import PERIODIC_JOBS, periodic_tasks_setup


class Command(BaseCommand):
    help = (
        "Create or update the periodic jobs in the beat database schedule "
        "(session generation and release, hold expiry, no-shows). Safe to rerun."
    )

    def handle(self, *args, **options) -> None:
        created, updated = periodic_tasks_setup()
        unchanged = len(PERIODIC_JOBS) - created - updated
        self.stdout.write(
            f"Periodic tasks: {created} created, {updated} updated, {unchanged} unchanged."
        )
