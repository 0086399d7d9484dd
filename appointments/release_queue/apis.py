"""The release queue's API (排队放号): the caller's place, join, leave.

The place is polled by every patient in the waiting room, so its view authenticates
without reading the user's row (StatelessJWTAuthentication) and, while the queue is
prepared, reads no row at all: one Lua call on Redis. The answer says when to ask again
(`poll_after_seconds`), from every few seconds near the front to a minute before the
waiting room opens.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import StatelessJWTAuthentication
from appointments.release_queue.place import Place, State
from appointments.release_queue.services import (
    release_queue_join,
    release_queue_leave,
    release_queue_place,
)
from common.schema import error_responses


class PlaceOutputSerializer(serializers.Serializer):
    session_id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=[s.value for s in State])
    opens_at = serializers.DateTimeField(allow_null=True)
    release_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    waiting_room = serializers.IntegerField(
        help_text="Patients holding a place before the draw."
    )
    places = serializers.IntegerField(help_text="Places given by the draw and since.")
    admitted = serializers.IntegerField(help_text="Places admitted so far.")
    position = serializers.IntegerField(allow_null=True)
    ahead = serializers.IntegerField(allow_null=True)
    profile_id = serializers.IntegerField(allow_null=True)
    admitted_at = serializers.DateTimeField(allow_null=True)
    pass_until = serializers.DateTimeField(allow_null=True)
    estimated_wait_seconds = serializers.IntegerField(allow_null=True)
    likely_seat = serializers.BooleanField(allow_null=True)
    seats_left = serializers.IntegerField(allow_null=True)
    poll_after_seconds = serializers.IntegerField(allow_null=True)


def place_body(place: Place) -> dict:
    return PlaceOutputSerializer(place).data


class ReleaseQueuePlaceApi(APIView):
    """GET: my place in the session's queue. DELETE: give it up."""

    authentication_classes = [StatelessJWTAuthentication]

    @extend_schema(
        operation_id="appointments_release_queue_retrieve",
        responses={200: PlaceOutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, session_id: int) -> Response:
        place = release_queue_place(user_id=int(request.user.pk), session_id=session_id)
        return Response(place_body(place))

    @extend_schema(
        operation_id="appointments_release_queue_leave",
        responses={204: None, **error_responses(401, 404)},
    )
    def delete(self, request: Request, session_id: int) -> Response:
        release_queue_leave(user_id=int(request.user.pk), session_id=session_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReleaseQueueJoinApi(APIView):
    """Join the session's waiting room for one of my profiles (one place per account and
    per person): 201 with the new place, 200 with the place already held."""

    class InputSerializer(serializers.Serializer):
        profile_id = serializers.IntegerField(min_value=1)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: PlaceOutputSerializer,
            201: PlaceOutputSerializer,
            **error_responses(400, 401, 404, 409),
        },
    )
    def post(self, request: Request, session_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        place, created = release_queue_join(
            user=request.user,
            session_id=session_id,
            profile_id=serializer.validated_data["profile_id"],
        )
        return Response(
            place_body(place),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
