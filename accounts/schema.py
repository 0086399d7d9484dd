"""OpenAPI description of the project's JWT authentication (a subclass of simplejwt's)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class AccountsJWTScheme(SimpleJWTScheme):
    target_class = "accounts.auth.JWTAuthentication"
