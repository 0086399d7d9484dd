"""Staff UI for booking rules, weekly templates, sessions and slots.

Every write goes through scheduling.services (or appointments' stop service for 停诊). Hospital
staff see and change only their own hospital's rows (HospitalScopedAdminMixin). Rules the
services check are run in the forms too, so a refusal shows next to the form; a refusal
that only appears under the service's locks (a race) is reported with message_user.
"""

from scheduling.admin import rules, sessions, slots, templates

__all__ = ["rules", "sessions", "slots", "templates"]
