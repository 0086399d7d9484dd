"""OpenAPI description of the project's JWT authentication (subclasses of simplejwt's)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class AccountsJWTScheme(SimpleJWTScheme):
    target_class = "accounts.auth.JWTAuthentication"


class AccountsOptionalJWTScheme(SimpleJWTScheme):
    """The public views that answer more to a signed-in caller: the same bearer token,
    under its own name (a scheme name describes one class); the views' AllowAny adds
    the anonymous alternative to their security requirement."""

    target_class = "accounts.auth.OptionalJWTAuthentication"
    name = "optionalJwtAuth"


class AccountsStatelessJWTScheme(SimpleJWTScheme):
    """The booking endpoint's: the same bearer token, checked without the user's row."""

    target_class = "accounts.auth.StatelessJWTAuthentication"
    name = "statelessJwtAuth"
