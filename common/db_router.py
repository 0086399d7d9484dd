"""DATABASE_ROUTERS: writes and migrations on the primary, reads as common.replica decides.

Without a replica (no DATABASE_REPLICA_URL) every answer is the primary, as with no router.
"""

from typing import Any

from django.db.models import Model

from common.databases import PRIMARY, REPLICA
from common.replica import read_alias


class PrimaryReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read there may point at one
        # read here, and is saved to the primary.
        both = {obj1._state.db, obj2._state.db}
        return True if both <= {PRIMARY, REPLICA, None} else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # The replica gets its schema by replication.
        return db == PRIMARY
