"""Every write of the records app (records/services/*)."""
