"""The portal's views, one module per flow (auth, browse, booking and its tickets,
appointments, profiles, reschedule, consults)."""
