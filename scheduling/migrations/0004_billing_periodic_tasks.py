"""Once added the payment housekeeping jobs to the beat schedule; now a no-op (see 0003)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0003_periodic_tasks"),
    ]

    # The schedule is now synced after every migrate by common.periodic: each app registers its
    # own jobs, and common's post_migrate handler creates or updates their rows. This migration
    # no longer names any job (it listed other apps' tasks); where it was already applied its
    # rows stay, and a fresh database gets them from the post_migrate sync.
    operations = [
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)
    ]
