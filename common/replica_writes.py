"""Noticing the caller's own writes, for read-your-writes (common.replica).

Every connection to the primary gets an execute wrapper (installed when it connects, only
while a replica is configured) that marks the current read context as having written when
a statement is not a read. Watching the SQL rather than model signals also catches
update(), delete(), bulk_create() and raw SQL.
"""

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from common.databases import PRIMARY, replica_in_effect
from common.replica import note_write

# Statements that change nothing. Anything else (INSERT, UPDATE, DELETE, REPLACE, DDL,
# CALL, a CTE that might update...) counts as a write: a wrong guess only costs a read on
# the primary.
_READS = frozenset(
    {"SELECT", "SHOW", "SET", "EXPLAIN", "DESCRIBE", "SAVEPOINT", "RELEASE", "ROLLBACK"}
)


def is_write_sql(sql: Any) -> bool:
    text = sql.decode() if isinstance(sql, bytes) else str(sql)
    words = text.lstrip(" \t\r\n(").split(None, 1)
    return not words or words[0].upper() not in _READS


def note_writes(execute, sql, params, many, context):  # Django's execute_wrapper API
    if is_write_sql(sql):
        note_write()
    return execute(sql, params, many, context)


def writes_watch(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """connection_created receiver: watch the primary's statements."""
    if connection.alias != PRIMARY or not replica_in_effect():
        return
    if note_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(note_writes)
