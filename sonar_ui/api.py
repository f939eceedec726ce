"""REST API of campaigns, models, gradients and payouts: one view per operation."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from capsule import services as capsule
from ledger.services import blob_get
from openmined.api_errors import ApiError
from openmined.pagination import page_schema, paginated
from sonar_ui import selectors, services
from sonar_ui.models import PPM, Algorithm, Campaign, GradientSubmission, Payout
from sonar_ui.parsers import (
    BINARY_GRADIENT_MEDIA_TYPE,
    GradientBinaryParser,
    GradientJSONParser,
)
from syft import keys, wire


def _fraction(value: int | None) -> float | None:
    return None if value is None else value / PPM


class CampaignOutputSerializer(serializers.Serializer):
    """What anyone who can see the campaign reads; the owner gets a few more fields."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    owner = serializers.CharField(source="owner.username")
    status = serializers.CharField()
    algorithm = serializers.CharField()
    input_schema = serializers.JSONField()
    output_schema = serializers.JSONField()
    n_features = serializers.IntegerField()
    n_classes = serializers.IntegerField(allow_null=True)
    hyperparameters = serializers.SerializerMethodField()
    bounty_minor = serializers.IntegerField()
    spent_minor = serializers.IntegerField()
    currency = serializers.SerializerMethodField()
    target_accuracy = serializers.SerializerMethodField()
    claimed_start_accuracy = serializers.SerializerMethodField()
    start_accuracy = serializers.SerializerMethodField()
    best_accuracy = serializers.SerializerMethodField()
    current_version = serializers.IntegerField(allow_null=True)
    public_key = serializers.SerializerMethodField()
    deadline = serializers.DateTimeField(allow_null=True)
    completion_reason = serializers.CharField()
    payout_basis = serializers.CharField(
        help_text="target: (increase / target) × bounty; gap: (increase / (target − start)) × "
        "bounty, so reaching the target spends it all."
    )
    launch_error = serializers.SerializerMethodField(
        help_text="Owner only: why the last launch returned the campaign to draft."
    )
    created_at = serializers.DateTimeField()
    launched_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    settled_at = serializers.DateTimeField(allow_null=True)
    validation_data = serializers.SerializerMethodField()

    def get_hyperparameters(self, campaign: Campaign) -> dict:
        return {
            "learning_rate": campaign.learning_rate,
            "fit_intercept": campaign.fit_intercept,
            "min_other_accepted": campaign.min_other_accepted,
        }

    def get_currency(self, campaign: Campaign) -> str:
        return settings.SONAR_CURRENCY

    def get_target_accuracy(self, campaign: Campaign) -> float:
        return campaign.target_accuracy_ppm / PPM

    def get_claimed_start_accuracy(self, campaign: Campaign) -> float | None:
        return _fraction(campaign.claimed_start_accuracy_ppm)

    def get_start_accuracy(self, campaign: Campaign) -> float | None:
        return _fraction(campaign.start_accuracy_ppm)

    def get_best_accuracy(self, campaign: Campaign) -> float | None:
        return _fraction(campaign.best_accuracy_ppm)

    def get_launch_error(self, campaign: Campaign) -> str:
        request = self.context.get("request")
        if request is None or request.user.id != campaign.owner_id:
            return ""
        return campaign.launch_error

    def get_public_key(self, campaign: Campaign) -> dict | None:
        # Published once the capsule made the key pair and the campaign opened.
        if campaign.launched_at is None:
            return None
        return keys.public_key_to_dict(capsule.public_key_for(campaign_id=campaign.id))

    def get_validation_data(self, campaign: Campaign) -> dict | None:
        """Only the owner learns about the validation set, and only its size."""
        request = self.context.get("request")
        if request is None or request.user.id != campaign.owner_id:
            return None
        summary = capsule.validation_data_summary(campaign_id=campaign.id)
        if summary is None:
            return None
        return {"rows": summary.rows, "columns": summary.columns, "sha256": summary.sha256}


class CampaignDetailOutputSerializer(CampaignOutputSerializer):
    """One campaign: the list's fields, and whether it has stopped making progress."""

    stalled_since = serializers.SerializerMethodField(
        help_text="When this open campaign stopped improving (no gradient accepted for a while, "
        "or every recent one rejected); null while it progresses."
    )

    def get_stalled_since(self, campaign: Campaign) -> datetime | None:
        return selectors.campaign_stalled_since(campaign=campaign)


def _campaign_response(request: Request, campaign: Campaign, code: int = 200) -> Response:
    return Response(
        CampaignDetailOutputSerializer(campaign, context={"request": request}).data, status=code
    )


class CampaignListCreateApi(APIView):
    """GET: campaigns you can see (?status=open). POST: create a draft (data scientists)."""

    paginated = True  # GET answers {count, next, previous, results} (openmined/api_schema.py)

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Campaign.Status.choices, required=False)

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=120)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        input_schema = serializers.JSONField()
        output_schema = serializers.JSONField()
        algorithm = serializers.ChoiceField(choices=Algorithm.choices)
        hyperparameters = serializers.DictField(required=False, default=dict)
        bounty_minor = serializers.IntegerField(min_value=1)
        target_accuracy = serializers.FloatField(
            required=False, default=1.0, min_value=0, max_value=1
        )
        claimed_start_accuracy = serializers.FloatField(
            required=False, allow_null=True, default=None, min_value=0, max_value=1
        )
        deadline = serializers.DateTimeField(required=False, allow_null=True, default=None)
        initial_weights = serializers.JSONField(required=False, allow_null=True, default=None)
        payout_basis = serializers.ChoiceField(
            choices=Campaign.PayoutBasis.choices, required=False, default="target"
        )

        def validate_hyperparameters(self, value: dict) -> dict:
            allowed = {"learning_rate", "fit_intercept", "min_other_accepted"}
            unknown = sorted(set(value) - allowed)
            if unknown:
                raise serializers.ValidationError(
                    f"Unknown hyper-parameter {unknown[0]!r}; use {', '.join(sorted(allowed))}."
                )
            lr = value.get("learning_rate", 0.5)
            if isinstance(lr, bool) or not isinstance(lr, int | float) or not 0 < lr <= 100:
                raise serializers.ValidationError("learning_rate must be a number in (0, 100].")
            if not isinstance(value.get("fit_intercept", True), bool):
                raise serializers.ValidationError("fit_intercept must be true or false.")
            k = value.get("min_other_accepted", 0)
            if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= 1000:
                raise serializers.ValidationError(
                    "min_other_accepted must be a whole number from 0 to 1000."
                )
            return value

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: page_schema(CampaignOutputSerializer, "CampaignPage")},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        campaigns = selectors.campaign_list_visible(
            user=request.user, status=filters.validated_data.get("status")
        )
        return paginated(request, self, campaigns, CampaignOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: CampaignDetailOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        hyper = fields.pop("hyperparameters")
        campaign = services.campaign_create(
            owner=request.user,
            learning_rate=float(hyper.get("learning_rate", 0.5)),
            fit_intercept=hyper.get("fit_intercept", True),
            min_other_accepted=hyper.get("min_other_accepted", 0),
            **fields,
        )
        return _campaign_response(request, campaign, status.HTTP_201_CREATED)


class CampaignDetailApi(APIView):
    """One campaign: public fields for everyone who can see it, more for its owner."""

    @extend_schema(responses={200: CampaignDetailOutputSerializer})
    def get(self, request: Request, campaign_id: int) -> Response:
        campaign = selectors.campaign_get_visible(user=request.user, campaign_id=campaign_id)
        return _campaign_response(request, campaign)


class ValidationDataUploadApi(APIView):
    """Upload the validation set (CSV: input columns + the output column). Owner, draft only."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()

    class OutputSerializer(serializers.Serializer):
        rows = serializers.IntegerField()
        columns = serializers.ListField(child=serializers.CharField())
        sha256 = serializers.CharField()

    @extend_schema(
        request={"multipart/form-data": InputSerializer}, responses={201: OutputSerializer}
    )
    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = selectors.campaign_get_owned(user=request.user, campaign_id=campaign_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        services.validation_data_check_size(size=upload.size)
        summary = services.campaign_validation_data_upload(
            campaign=campaign, user=request.user, data=upload.read()
        )
        return Response(
            self.OutputSerializer(
                {"rows": summary.rows, "columns": summary.columns, "sha256": summary.sha256}
            ).data,
            status=status.HTTP_201_CREATED,
        )


class CampaignLaunchApi(APIView):
    """Launch: the capsule makes the keys and scores v0, then the bounty is escrowed.

    Answers 202 with the campaign, `launching` until the capsule reports; poll it until it is
    `open` (or back to `draft`, with `launch_error` saying why).
    """

    @extend_schema(request=None, responses={202: CampaignDetailOutputSerializer})
    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = selectors.campaign_get_owned(user=request.user, campaign_id=campaign_id)
        campaign = services.campaign_launch(campaign_id=campaign.id, user=request.user)
        return _campaign_response(request, campaign, status.HTTP_202_ACCEPTED)


class CampaignCloseApi(APIView):
    """The owner ends the campaign: payouts settle and the rest is refunded."""

    @extend_schema(request=None, responses={200: CampaignDetailOutputSerializer})
    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = selectors.campaign_get_owned(user=request.user, campaign_id=campaign_id)
        campaign = services.campaign_close(campaign_id=campaign.id, user=request.user)
        campaign.refresh_from_db()
        return _campaign_response(request, campaign)


class CampaignModelApi(APIView):
    """The current encrypted model: version, public key and ciphertexts in the wire format."""

    class OutputSerializer(serializers.Serializer):
        campaign = serializers.IntegerField()
        version = serializers.IntegerField()
        algorithm = serializers.CharField()
        n_features = serializers.IntegerField()
        n_classes = serializers.IntegerField(allow_null=True)
        fit_intercept = serializers.BooleanField()
        shape = serializers.ListField(child=serializers.IntegerField())
        public_key = serializers.JSONField()
        weights = serializers.JSONField()

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, campaign_id: int) -> Response:
        campaign = selectors.campaign_get_visible(user=request.user, campaign_id=campaign_id)
        if campaign.status != Campaign.Status.OPEN:
            raise ApiError(
                f"Campaign '{campaign.name}' is {campaign.status}; only open campaigns serve "
                "their model.",
                code="campaign_state",
                status_code=409,
            )
        version = campaign.versions.get(number=campaign.current_version)
        shape = tuple(services.campaign_model(campaign).weight_shape)
        public_key = capsule.public_key_for(campaign_id=campaign.id)
        weights = wire.encrypted_loads(
            blob_get(version.blob_address), public_key=public_key, expected_shape=shape
        )
        return Response(
            self.OutputSerializer(
                {
                    "campaign": campaign.id,
                    "version": version.number,
                    "algorithm": campaign.algorithm,
                    "n_features": campaign.n_features,
                    "n_classes": campaign.n_classes,
                    "fit_intercept": campaign.fit_intercept,
                    "shape": list(shape),
                    "public_key": keys.public_key_to_dict(public_key),
                    "weights": wire.encrypted_to_json(weights),
                }
            ).data
        )


class GradientOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField(source="campaign_id")
    base_version = serializers.IntegerField()
    evaluated_version = serializers.IntegerField(allow_null=True)
    n_samples = serializers.IntegerField()
    payout_account = serializers.CharField()
    status = serializers.ChoiceField(choices=GradientSubmission.Status.choices)
    reason = serializers.CharField()
    score = serializers.SerializerMethodField()
    accuracy_delta = serializers.SerializerMethodField()
    payout_minor = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    evaluated_at = serializers.DateTimeField(allow_null=True)

    def get_score(self, gradient: GradientSubmission) -> float | None:
        return _fraction(gradient.score_ppm)

    def get_accuracy_delta(self, gradient: GradientSubmission) -> float | None:
        return _fraction(gradient.delta_ppm)


class GradientListSubmitApi(APIView):
    """GET: gradients (owner: all; miner: own). POST: submit one with an Idempotency-Key.

    The body is JSON, or the gradient's binary wire form (Content-Type
    application/vnd.sonar.gradient) with the other fields as query parameters; either may be
    sent with Content-Encoding: gzip.
    """

    paginated = True  # GET answers {count, next, previous, results} (openmined/api_schema.py)

    parser_classes = [GradientJSONParser, GradientBinaryParser]

    class InputSerializer(serializers.Serializer):
        base_version = serializers.IntegerField(min_value=0)
        n_samples = serializers.IntegerField(min_value=1, max_value=10**12)
        payout_account = serializers.CharField(max_length=64)
        gradient = serializers.DictField()

    class BinaryParamsSerializer(serializers.Serializer):
        base_version = serializers.IntegerField(min_value=0)
        n_samples = serializers.IntegerField(min_value=1, max_value=10**12)
        payout_account = serializers.CharField(max_length=64)

    @extend_schema(responses={200: page_schema(GradientOutputSerializer, "GradientPage")})
    def get(self, request: Request, campaign_id: int) -> Response:
        campaign = selectors.campaign_get_visible(user=request.user, campaign_id=campaign_id)
        gradients = selectors.gradient_list_visible(user=request.user, campaign=campaign)
        return paginated(request, self, gradients, GradientOutputSerializer)

    @extend_schema(
        request={
            "application/json": InputSerializer,
            BINARY_GRADIENT_MEDIA_TYPE: OpenApiTypes.BINARY,
        },
        responses={202: GradientOutputSerializer, 200: GradientOutputSerializer},
        parameters=[
            OpenApiParameter(
                name,
                OpenApiTypes.STR,
                description=f"With a binary body only: {name}.",
            )
            for name in ("base_version", "n_samples", "payout_account")
        ]
        + [
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "pattern": r"\S"},
                location=OpenApiParameter.HEADER,
                required=True,
                description="A key unique per gradient; a retry with the same key returns the "
                "first submission instead of submitting twice.",
            )
        ],
    )
    def post(self, request: Request, campaign_id: int) -> Response:
        if isinstance(request.data, bytes):
            data = self.BinaryParamsSerializer(data=request.query_params)
            data.is_valid(raise_exception=True)
            fields = {**data.validated_data, "gradient": request.data}
        else:
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            fields = data.validated_data
        submission, created = services.gradient_submit(
            campaign_id=campaign_id,
            user=request.user,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            **fields,
        )
        submission.refresh_from_db()
        return Response(
            GradientOutputSerializer(submission).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )


class GradientDetailApi(APIView):
    """One gradient: status, reason, score, accuracy delta and payout."""

    @extend_schema(responses={200: GradientOutputSerializer})
    def get(self, request: Request, gradient_id: int) -> Response:
        gradient = selectors.gradient_get_visible(user=request.user, gradient_id=gradient_id)
        return Response(GradientOutputSerializer(gradient).data)


class VersionListApi(APIView):
    """The campaign's model versions and their accuracy (no ciphertexts)."""

    class OutputSerializer(serializers.Serializer):
        number = serializers.IntegerField()
        accuracy = serializers.SerializerMethodField()
        gradient = serializers.IntegerField(source="gradient_id", allow_null=True)
        blob_address = serializers.CharField()
        created_at = serializers.DateTimeField()

        def get_accuracy(self, version) -> float:
            return version.accuracy_ppm / PPM

    @extend_schema(responses={200: page_schema(OutputSerializer, "VersionPage")})
    def get(self, request: Request, campaign_id: int) -> Response:
        campaign = selectors.campaign_get_visible(user=request.user, campaign_id=campaign_id)
        versions = selectors.version_list(campaign=campaign)
        return paginated(request, self, versions, self.OutputSerializer)


class PayoutListApi(APIView):
    """Payouts of a campaign (owner: all; miner: own)."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        gradient = serializers.IntegerField(source="gradient_id")
        payout_account = serializers.CharField()
        amount_minor = serializers.IntegerField()
        status = serializers.ChoiceField(choices=Payout.Status.choices)
        created_at = serializers.DateTimeField()
        settled_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(responses={200: page_schema(OutputSerializer, "PayoutPage")})
    def get(self, request: Request, campaign_id: int) -> Response:
        campaign = selectors.campaign_get_visible(user=request.user, campaign_id=campaign_id)
        payouts = selectors.payout_list_visible(user=request.user, campaign=campaign)
        return paginated(request, self, payouts, self.OutputSerializer)


class CampaignResultApi(APIView):
    """The final model artifact, for the owner, once the campaign is settled."""

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, campaign_id: int) -> HttpResponse:
        campaign = selectors.campaign_get_owned(user=request.user, campaign_id=campaign_id)
        delivery = capsule.delivery_for(campaign_id=campaign.id)
        if delivery is None or not campaign.settled_at:
            raise ApiError(
                f"Campaign '{campaign.name}' has no result yet (it is {campaign.status}"
                f"{', settling' if campaign.status == 'completed' else ''}).",
                code="campaign_state",
                status_code=409,
            )
        response = HttpResponse(delivery.data, content_type=delivery.content_type)
        response["Content-Disposition"] = f'attachment; filename="{delivery.filename}"'
        response["X-Content-SHA256"] = delivery.sha256
        if delivery.pgp_fingerprint:
            response["X-PGP-Recipient"] = delivery.pgp_fingerprint
        return response
