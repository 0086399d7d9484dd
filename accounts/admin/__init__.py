"""Staff UI of the accounts app, one module per concern."""

from accounts.admin import groups, members, profiles, users  # noqa: F401
