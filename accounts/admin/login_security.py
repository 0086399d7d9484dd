"""Login lockout in the admin: django-axes' access attempts (delete rows to unlock) and log.

Registered here instead of by axes (settings.AXES_ENABLE_ADMIN = False) to drop their
date_hierarchy: on MySQL/MariaDB it needs the server's time-zone tables, like our own lists.
"""

from axes.admin import AccessAttemptAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessLog
from django.contrib import admin


@admin.register(AccessAttempt)
class LockoutAttemptAdmin(AccessAttemptAdmin):
    date_hierarchy = None


@admin.register(AccessLog)
class LockoutLogAdmin(AccessLogAdmin):
    date_hierarchy = None
