"""The consult API's serializers (output built from models, inputs checked here)."""

from rest_framework import serializers

from consult.models import Consult, ConsultMessage, ConsultOffer, QuickReply
from consult.selectors import MESSAGE_PAGE_DEFAULT, MESSAGE_PAGE_MAX
from consult.services.messages import MESSAGE_MAX_LENGTH
from records.selectors import consult_record_advice


class ConsultOutputSerializer(serializers.ModelSerializer):
    doctor_name = serializers.CharField(source="doctor.name")
    profile_name = serializers.CharField(source="profile.name")
    problem = serializers.CharField()
    advice = serializers.SerializerMethodField(
        help_text="The doctor's advice (the newest), also in the patient's records."
    )

    class Meta:
        model = Consult
        fields = [
            "id",
            "status",
            "fee",
            "doctor",
            "doctor_name",
            "profile",
            "profile_name",
            "problem",
            "reply_deadline",
            "started_at",
            "last_message_at",
            "closed_at",
            "closed_by",
            "stars",
            "rating_comment",
            "rated_at",
            "created_at",
            "advice",
            "record",
        ]
        extra_kwargs = {
            "record": {
                "help_text": "The patient's medical record holding the advice "
                "(/api/v1/records/<id>/), null until the doctor writes it."
            }
        }

    def get_advice(self, consult: Consult) -> str | None:
        return consult_record_advice(consult.record)


class ConsultCreateInputSerializer(serializers.Serializer):
    doctor = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    profile = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    problem = serializers.CharField(max_length=MESSAGE_MAX_LENGTH)


class MessageOutputSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField()
    recalled = serializers.SerializerMethodField()

    class Meta:
        model = ConsultMessage
        fields = ["id", "sender", "kind", "text", "recalled", "hidden", "created_at"]

    hidden = serializers.SerializerMethodField(
        help_text="Hidden by staff after a report (also shown as recalled)."
    )

    def get_hidden(self, message: ConsultMessage) -> bool:
        return message.hidden_at is not None

    def get_text(self, message: ConsultMessage) -> str | None:
        return None if message.recalled_at else message.text

    def get_recalled(self, message: ConsultMessage) -> bool:
        return message.recalled_at is not None


class MessagePageQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**63 - 1,
        help_text="The cursor: only messages after this one (a message id, or "
        "the `next_cursor` of the previous page).",
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MESSAGE_PAGE_MAX,
        default=MESSAGE_PAGE_DEFAULT,
    )


class MessagePageSerializer(serializers.Serializer):
    results = MessageOutputSerializer(many=True)
    next_cursor = serializers.IntegerField(
        allow_null=True,
        help_text="Pass as `after` for the messages after this page (null: none yet).",
    )


class MessageInputSerializer(serializers.Serializer):
    # The service refuses empty and over-long texts with its own codes.
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)


class RateInputSerializer(serializers.Serializer):
    stars = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class OfferSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConsultOffer
        fields = ["enabled", "fee", "daily_cap", "reply_hours"]
        extra_kwargs = {
            "enabled": {"required": True},
            "fee": {"required": True, "min_value": 0, "max_value": 10_000_000},
            "daily_cap": {"required": True, "min_value": 1, "max_value": 1000},
            "reply_hours": {"required": True, "min_value": 1, "max_value": 168},
        }


class PublicOfferSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConsultOffer
        fields = ["doctor", "fee", "reply_hours"]


class QuickReplySerializer(serializers.ModelSerializer):
    class Meta:
        model = QuickReply
        fields = ["id", "text"]
        read_only_fields = ["id"]
