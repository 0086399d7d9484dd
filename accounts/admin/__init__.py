"""Staff UI of the accounts app, one module per concern."""

from accounts.admin import (  # noqa: F401
    groups,
    login_security,
    members,
    profiles,
    users,
)
