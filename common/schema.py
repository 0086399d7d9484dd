"""OpenAPI generation (drf-spectacular) for the project's one-APIView-per-action style."""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema

NESTED_NAMES = ("Input", "Output", "Filter")


class AutoSchema(BaseAutoSchema):
    """Name nested Input/Output/Filter serializers after their view.

    Every view declares its own `InputSerializer`, so the default component names
    ("Input", "Output") would collide; `AppointmentBookApi.InputSerializer` becomes
    "AppointmentBookInput".
    """

    def get_serializer_name(self, serializer, direction: str) -> str:
        name = super().get_serializer_name(serializer, direction)
        outer, _, inner = type(serializer).__qualname__.rpartition(".")
        if outer and name.removesuffix("Serializer") in NESTED_NAMES:
            return outer.rpartition(".")[2].removesuffix("Api") + name
        return name
