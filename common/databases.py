"""The database aliases: the primary ("default") and the optional read replica.

settings add "replica" when DATABASE_REPLICA_URL is set; common.replica decides which
reads may go there.
"""

from django.db import DEFAULT_DB_ALIAS, connections

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"


def replica_in_effect() -> bool:
    """Whether a separate replica is configured: a "replica" database that is not the
    primary itself (the test mirror, or DATABASE_REPLICA_URL equal to DATABASE_URL)."""
    databases = connections.settings
    replica = databases.get(REPLICA)
    return replica is not None and is_other_database(databases[PRIMARY], replica)


def is_other_database(primary: dict, replica: dict) -> bool:
    fields = ("ENGINE", "HOST", "PORT", "NAME")
    return any(str(replica.get(f, "")) != str(primary.get(f, "")) for f in fields)
