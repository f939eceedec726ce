"""REST API of hosted mines: the mines, their datasets (metadata), policy, budget, contributions.

Everything here is the owner's alone: another person's mine is a 404, as on the pages. Rows of
a dataset never leave the mine; only their count and schemas are listed.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_is_miner
from mine_ui import selectors
from mine_ui.earnings import mine_earnings
from mine_ui.models import BUDGET_DIGITS, CONTRIBUTION_STATUSES, Mine
from mine_ui.services import budget_set, mine_create, policy_update
from openmined.api_errors import ApiError
from openmined.pagination import page_schema, paginated


class MineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sonar_url = serializers.CharField(help_text="Empty: the mine works for this platform.")
    payout_account = serializers.CharField()
    api_token_hint = serializers.CharField(help_text="The last characters of its remote token.")
    created_at = serializers.DateTimeField()


class MineDetailOutputSerializer(MineOutputSerializer):
    datasets = serializers.IntegerField(help_text="How many datasets the mine holds.")
    contributions = serializers.IntegerField(help_text="Gradients it submitted (not skips).")
    earnings_minor = serializers.IntegerField(help_text="What its accepted gradients earned.")
    earnings_settled_minor = serializers.IntegerField(help_text="Of that, paid into the wallet.")
    earnings_unsettled_minor = serializers.IntegerField(
        help_text="Of that, promised: paid when the campaign settles."
    )


def _mine_detail(mine: Mine) -> dict:
    earned = mine_earnings(mine=mine)
    return {
        **MineOutputSerializer(mine).data,
        "datasets": selectors.dataset_list_for_mine(mine=mine).count(),
        "contributions": selectors.contribution_list_for_mine(mine=mine)
        .filter(status__in=("submitted", "accepted", "rejected"))
        .count(),
        "earnings_minor": earned.settled_minor + earned.unsettled_minor,
        "earnings_settled_minor": earned.settled_minor,
        "earnings_unsettled_minor": earned.unsettled_minor,
    }


def _validation_error(exc: DjangoValidationError) -> ApiError:
    return ApiError(" ".join(exc.messages), code="invalid")


class MineListCreateApi(APIView):
    """GET: your mines. POST: create a hosted mine (miners only)."""

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        payout_account = serializers.CharField(max_length=64)
        sonar_url = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(responses={200: page_schema(MineOutputSerializer, "MinePage")})
    def get(self, request: Request) -> Response:
        mines = selectors.mine_list_for_owner(owner=request.user)
        return paginated(request, self, mines, MineOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: MineDetailOutputSerializer})
    def post(self, request: Request) -> Response:
        if not user_is_miner(user=request.user):
            raise ApiError(
                "Only miners can create mines; take the role with POST /api/me/roles/ "
                '{"role": "miner"} or on your profile page.',
                code="permission_denied",
                status_code=status.HTTP_403_FORBIDDEN,
            )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            mine = mine_create(owner=request.user, **data.validated_data)
        except DjangoValidationError as exc:
            raise _validation_error(exc) from exc
        return Response(_mine_detail(mine), status=status.HTTP_201_CREATED)


class MineDetailApi(APIView):
    """One of your mines, with its dataset and contribution counts and its earnings."""

    @extend_schema(responses={200: MineDetailOutputSerializer})
    def get(self, request: Request, mine_id: int) -> Response:
        mine = selectors.mine_get_owned(owner=request.user, mine_id=mine_id)
        return Response(MineDetailOutputSerializer(_mine_detail(mine)).data)


class MineDatasetListApi(APIView):
    """The mine's datasets: name, schemas, row count, when imported. Never the rows."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        adapter = serializers.CharField()
        row_count = serializers.IntegerField()
        input_schema = serializers.JSONField()
        output_schema = serializers.JSONField(allow_null=True)
        schema_fingerprint = serializers.CharField()
        output_fingerprint = serializers.CharField()
        imported_at = serializers.DateTimeField()

    @extend_schema(responses={200: page_schema(OutputSerializer, "MineDatasetPage")})
    def get(self, request: Request, mine_id: int) -> Response:
        mine = selectors.mine_get_owned(owner=request.user, mine_id=mine_id)
        datasets = selectors.dataset_list_for_mine(mine=mine)
        return paginated(request, self, datasets, self.OutputSerializer)


class MinePolicyApi(APIView):
    """GET: which campaigns the mine joins. PATCH: change any of the fields given."""

    class OutputSerializer(serializers.Serializer):
        paused = serializers.BooleanField()
        auto_participate = serializers.BooleanField()
        min_bounty_minor = serializers.IntegerField()
        max_contributions_per_campaign = serializers.IntegerField()
        allowed_campaign_ids = serializers.ListField(child=serializers.IntegerField())
        denied_campaign_ids = serializers.ListField(child=serializers.IntegerField())
        allowed_schema_fingerprints = serializers.ListField(child=serializers.CharField())
        denied_schema_fingerprints = serializers.ListField(child=serializers.CharField())
        updated_at = serializers.DateTimeField(allow_null=True)

    class InputSerializer(serializers.Serializer):
        paused = serializers.BooleanField(required=False)
        auto_participate = serializers.BooleanField(required=False)
        min_bounty_minor = serializers.IntegerField(required=False, min_value=0)
        max_contributions_per_campaign = serializers.IntegerField(required=False, min_value=1)
        allowed_campaign_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1), required=False
        )
        denied_campaign_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1), required=False
        )
        allowed_schema_fingerprints = serializers.ListField(
            child=serializers.CharField(), required=False
        )
        denied_schema_fingerprints = serializers.ListField(
            child=serializers.CharField(), required=False
        )

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, mine_id: int) -> Response:
        mine = selectors.mine_get_owned(owner=request.user, mine_id=mine_id)
        return Response(self.OutputSerializer(selectors.mine_policy(mine=mine)).data)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def patch(self, request: Request, mine_id: int) -> Response:
        mine = selectors.mine_get_owned(owner=request.user, mine_id=mine_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            policy = policy_update(mine=mine, **data.validated_data)
        except DjangoValidationError as exc:
            raise _validation_error(exc) from exc
        return Response(self.OutputSerializer(policy).data)


def _budget_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(**BUDGET_DIGITS, coerce_to_string=True, **kwargs)


class MineBudgetApi(APIView):
    """GET: the mine's differential-privacy budget (ε, δ). PATCH: change totals or costs."""

    class OutputSerializer(serializers.Serializer):
        epsilon_total = _budget_field()
        epsilon_spent = _budget_field()
        epsilon_left = _budget_field()
        epsilon_per_contribution = _budget_field()
        delta_total = _budget_field()
        delta_spent = _budget_field()
        delta_left = _budget_field()
        delta_per_contribution = _budget_field()
        updated_at = serializers.DateTimeField(allow_null=True)

    class InputSerializer(serializers.Serializer):
        epsilon_total = _budget_field(required=False, min_value=0)
        delta_total = _budget_field(required=False, min_value=0, max_value=1)
        epsilon_per_contribution = _budget_field(required=False, min_value=0)
        delta_per_contribution = _budget_field(required=False, min_value=0, max_value=1)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, mine_id: int) -> Response:
        mine = selectors.mine_get_owned(owner=request.user, mine_id=mine_id)
        return Response(self.OutputSerializer(selectors.mine_budget(mine=mine)).data)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def patch(self, request: Request, mine_id: int) -> Response:
        mine = selectors.mine_get_owned(owner=request.user, mine_id=mine_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            budget = budget_set(mine=mine, **data.validated_data)
        except DjangoValidationError as exc:
            raise _validation_error(exc) from exc
        return Response(self.OutputSerializer(budget).data)


class MineContributionListApi(APIView):
    """What the mine did for each campaign: submitted, judged, skipped (with why), earned."""

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=CONTRIBUTION_STATUSES, required=False)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        campaign_id = serializers.IntegerField()
        campaign_name = serializers.CharField()
        dataset = serializers.CharField(source="dataset.name", allow_null=True, default=None)
        model_version = serializers.IntegerField(allow_null=True)
        n_samples = serializers.IntegerField()
        status = serializers.CharField()
        reason = serializers.CharField()
        submission_id = serializers.IntegerField(allow_null=True)
        earnings_minor = serializers.IntegerField()
        epsilon_spent = _budget_field()
        delta_spent = _budget_field()
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: page_schema(OutputSerializer, "MineContributionPage")},
    )
    def get(self, request: Request, mine_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        mine = selectors.mine_get_owned(owner=request.user, mine_id=mine_id)
        contributions = selectors.contribution_list_for_mine(
            mine=mine, status=filters.validated_data.get("status")
        )
        return paginated(request, self, contributions, self.OutputSerializer)
