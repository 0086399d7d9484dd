"""Every write to consulting rooms (诊室): add, change, delete.

Kept apart from hospitals.services (hospitals, departments, doctors), which is large
already; the same helpers apply and log the changed fields. The model's clean() checks
that the department belongs to the room's hospital.
"""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from common.services import Actor, operation_log_write
from hospitals.errors import ErrorCode
from hospitals.models import ConsultingRoom, Department
from hospitals.services import _apply, _delete, _log_update

# A room stays in its hospital; it may move to another department of that hospital.
ROOM_UPDATE_FIELDS = frozenset({"department", "name", "floor", "building", "is_active"})


@transaction.atomic
def consulting_room_create(
    *,
    actor: Actor,
    department: Department,
    name: str,
    floor: str,
    building: str = "",
    is_active: bool = True,
) -> ConsultingRoom:
    """Add a room to `department`; its hospital is the department's."""
    room = ConsultingRoom(
        hospital_id=department.hospital_id,
        department=department,
        name=name,
        floor=floor,
        building=building,
        is_active=is_active,
    )
    room.full_clean()
    room.save()
    operation_log_write(
        actor=actor,
        action="room.create",
        obj=room,
        summary=f"{department.name} / {room}",
    )
    return room


@transaction.atomic
def consulting_room_update(
    *, actor: Actor, room: ConsultingRoom, data: dict[str, Any]
) -> ConsultingRoom:
    """Change the given fields (a subset of ROOM_UPDATE_FIELDS); no change writes nothing.

    Sessions keep their room: deactivating one only keeps it out of new sessions.
    """
    changed = _apply(room, data, ROOM_UPDATE_FIELDS)
    if not changed:
        return room
    room.full_clean()
    room.save(update_fields=[*changed, "updated_at"])
    _log_update(actor=actor, action="room.update", obj=room, changed=changed)
    return room


@transaction.atomic
def consulting_room_delete(*, actor: Actor, room: ConsultingRoom) -> None:
    operation_log_write(actor=actor, action="room.delete", obj=room, summary=str(room))
    _delete(
        room,
        code=ErrorCode.ROOM_IN_USE,
        message=_(
            "This room is used by clinic sessions or weekly clinics; deactivate it "
            "instead of deleting it."
        ),
    )
