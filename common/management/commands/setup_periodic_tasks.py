from django.core.management.base import BaseCommand

from common.beat import periodic_tasks_setup
from common.periodic import periodic_jobs


class Command(BaseCommand):
    help = (
        "Create or update every app's periodic jobs in the beat database schedule "
        "(migrate also does this). Safe to rerun; a job paused in the admin stays paused."
    )

    def handle(self, *args, **options) -> None:
        created, updated = periodic_tasks_setup()
        unchanged = len(periodic_jobs()) - created - updated
        self.stdout.write(
            f"Periodic tasks: {created} created, {updated} updated, {unchanged} unchanged."
        )
