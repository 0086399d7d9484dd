"""The consult API's serializers (output built from models, inputs checked here)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consult.image_files import image_url
from consult.models import (
    Consult,
    ConsultImage,
    ConsultMessage,
    ConsultOffer,
    QuickReply,
)
from consult.selectors import (
    MESSAGE_PAGE_DEFAULT,
    MESSAGE_PAGE_MAX,
    consult_payment,
)
from consult.services.messages import MESSAGE_MAX_LENGTH
from records.selectors import consult_record_advice


class ProblemImageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField(
        help_text="Signed path of the image, valid for an hour; needs no header."
    )

    def get_url(self, image: ConsultImage) -> str:
        return image_url(image.pk)


class MessageImageSerializer(serializers.Serializer):
    url = serializers.SerializerMethodField(
        help_text="Signed path of the image, valid for an hour; needs no header."
    )
    width = serializers.IntegerField()
    height = serializers.IntegerField()

    def get_url(self, image: ConsultImage) -> str:
        return image_url(image.pk)


class ConsultOutputSerializer(serializers.ModelSerializer):
    doctor_name = serializers.CharField(source="doctor.name")
    profile_name = serializers.CharField(source="profile.name")
    problem = serializers.CharField()
    problem_images = serializers.SerializerMethodField()
    payment_order = serializers.SerializerMethodField(
        help_text="The billing order paying for it (paid, else open), or null."
    )
    refunded_amount = serializers.SerializerMethodField(help_text="fen")
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
            "problem_images",
            "payment_order",
            "refunded_amount",
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

    @extend_schema_field(ProblemImageSerializer(many=True))
    def get_problem_images(self, consult: Consult) -> list:
        # consult.selectors.consults_of prefetches them; a consult just created has none.
        images = getattr(consult, "problem_images_list", None)
        if images is None:
            images = ConsultImage.objects.filter(
                consult=consult, kind=ConsultImage.Kind.PROBLEM
            ).order_by("id")
        return ProblemImageSerializer(images, many=True).data

    def get_payment_order(self, consult: Consult) -> int | None:
        return consult_payment(consult).order_id

    def get_refunded_amount(self, consult: Consult) -> int:
        return consult_payment(consult).refunded_amount


class ConsultCreateInputSerializer(serializers.Serializer):
    doctor = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    profile = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    problem = serializers.CharField(max_length=MESSAGE_MAX_LENGTH)


class MessageOutputSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField()
    recalled = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()

    class Meta:
        model = ConsultMessage
        fields = [
            "id",
            "sender",
            "kind",
            "text",
            "recalled",
            "hidden",
            "created_at",
            "image",
        ]

    @extend_schema_field(MessageImageSerializer(allow_null=True))
    def get_image(self, message: ConsultMessage) -> dict | None:
        if message.recalled_at or message.image is None:
            return None
        return MessageImageSerializer(message.image).data

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
