"""Staff administration of user accounts (the management site's user pages)."""

from django.db import transaction

from accounts.events import PatientAccountChanged
from accounts.models import User
from common.events import publish
from common.services import Actor, operation_log_write

# Written only by accounts/members.py, under the user's row lock.
_MEMBERSHIP_FIELDS = frozenset({"points", "member_level", "member_level_floor"})


@transaction.atomic
def user_save_by_admin(
    *, actor: Actor, user: User, is_new: bool, changed_fields: list[str]
) -> User:
    """Save a user edited in the Django admin and record who changed which fields.

    The admin form has already validated the input; full_clean() re-checks the model's
    constraints (staff and doctors need a hospital). An edit never writes the points or
    the levels: the copy in the form may be older than a payment that changed them.
    """
    user.full_clean()
    if is_new:
        user.save()
    else:
        user.save(
            update_fields=[
                field.name
                for field in User._meta.concrete_fields
                if not field.primary_key and field.name not in _MEMBERSHIP_FIELDS
            ]
        )
    operation_log_write(
        actor=actor,
        action="user_create_by_admin" if is_new else "user_update_by_admin",
        obj=user,
        # Field names only: values such as phones are personal data.
        summary="changed: " + ", ".join(changed_fields) if changed_fields else "",
    )
    if not is_new:
        publish(PatientAccountChanged(user_id=user.pk))
    return user
