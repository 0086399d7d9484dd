"""Notifications of appointment events: outbox, delivery, reminders and the in-app inbox.

- delivery: writing a row with its event, sending it (WeChat, then SMS), the sweeper;
- reminders: visit reminders and hold-expiry warnings, planned and fired by a sweep;
- selectors / services: the patient's inbox and the per-appointment reminder switch.

Events enter through appointments.services.notify, the one entry point.
"""
