"""Seat pre-deduction in Redis for the booking rush (ARCHITECTURE.md, "The rush").

`client` holds the connection and the outage state, `keys` the key names, `scripts` the Lua
that takes and gives back seats, `loading` what is loaded from the database, `deltas` the
changes the database paths mirror after commit, and `reconcile` the repair of drift.
"""
