"""REST API of accounts: tokens (trade a password, or name your own), your profile and roles."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.models import ROLES, ApiToken
from accounts.pgp import PgpKeyError
from accounts.selectors import token_list_live, user_roles
from accounts.services import (
    profile_get_or_create,
    profile_set_pgp_key,
    token_create,
    token_issue,
    token_revoke,
    user_role_add,
    user_role_drop,
)
from ledger.selectors import wallet_summary_for_user
from openmined.api_errors import ApiError
from openmined.pagination import page_schema, paginated


class TokenObtainApi(APIView):
    """POST username + password, get an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField()
        password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        username = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None:
            # Same answer for an unknown user and a wrong password: no account probing.
            raise ApiError(
                "Unable to log in with this username and password.",
                code="authentication_failed",
                status_code=status.HTTP_401_UNAUTHORIZED,
            )
        token = token_issue(user=user)
        return Response(self.OutputSerializer({"token": token.key, "username": user.username}).data)


class MeApi(APIView):
    """Your profile, roles and wallet; PATCH to set or clear your PGP public key."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        email = serializers.EmailField()
        roles = serializers.ListField(child=serializers.CharField())
        pgp_fingerprint = serializers.CharField()
        pgp_public_key = serializers.CharField()
        wallet = serializers.DictField(allow_null=True)

    class InputSerializer(serializers.Serializer):
        pgp_public_key = serializers.CharField(allow_blank=True, trim_whitespace=False)

    def _payload(self, request: Request) -> dict:
        user = request.user
        profile = profile_get_or_create(user=user)
        return {
            "id": user.id,
            "username": user.username,
            "email": user.email,
            "roles": user_roles(user=user),
            "pgp_fingerprint": profile.pgp_fingerprint,
            "pgp_public_key": profile.pgp_public_key,
            "wallet": wallet_summary_for_user(user=user),
        }

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(self._payload(request)).data)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def patch(self, request: Request) -> Response:
        # A PATCH names only what changes: without pgp_public_key nothing does.
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if "pgp_public_key" in data.validated_data:
            try:
                profile_set_pgp_key(
                    user=request.user, armored=data.validated_data["pgp_public_key"]
                )
            except PgpKeyError as exc:
                raise ApiError(str(exc), code="invalid_pgp_key") from exc
        return Response(self.OutputSerializer(self._payload(request)).data)


class TokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The secret's first characters, to tell tokens apart.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    current = serializers.SerializerMethodField(
        help_text="True for the token that authenticated this request."
    )

    def get_current(self, token: ApiToken) -> bool:
        request = self.context.get("request")
        auth = getattr(request, "auth", None)
        return isinstance(auth, ApiToken) and auth.pk == token.pk


class TokenListCreateApi(APIView):
    """GET: your live API tokens. POST: make a named one; its secret is shown this once."""

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        expires_in_days = serializers.IntegerField(min_value=1, max_value=365, default=30)

    class CreatedSerializer(TokenOutputSerializer):
        token = serializers.CharField(help_text="The secret; Sonar keeps only its hash.")

    @extend_schema(responses={200: page_schema(TokenOutputSerializer, "TokenPage")})
    def get(self, request: Request) -> Response:
        return paginated(request, self, token_list_live(user=request.user), TokenOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: CreatedSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = token_create(
            user=request.user,
            name=data.validated_data["name"],
            ttl=timedelta(days=data.validated_data["expires_in_days"]),
        )
        body = dict(TokenOutputSerializer(issued.token, context={"request": request}).data)
        body["token"] = issued.key
        return Response(body, status=status.HTTP_201_CREATED)


class TokenRevokeApi(APIView):
    """Revoke one of your API tokens (it stops working at once)."""

    @extend_schema(responses={204: None})
    def delete(self, request: Request, token_id: int) -> Response:
        token_revoke(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoleApi(APIView):
    """POST {"role"}: take the data-scientist or miner role. DELETE {"role"} or ?role=: drop it."""

    class InputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=ROLES)

    class OutputSerializer(serializers.Serializer):
        roles = serializers.ListField(child=serializers.CharField())

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        roles = user_role_add(user=request.user, role=data.validated_data["role"])
        return Response(self.OutputSerializer({"roles": roles}).data)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def delete(self, request: Request) -> Response:
        source = request.data if request.data else request.query_params
        data = self.InputSerializer(data=source)
        data.is_valid(raise_exception=True)
        roles = user_role_drop(user=request.user, role=data.validated_data["role"])
        return Response(self.OutputSerializer({"roles": roles}).data)
