"""The portal's views, one module per flow (auth, browse, booking, appointments, profiles)."""
