"""REST API of accounts: trade a password for a token; read and edit your own profile."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.pgp import PgpKeyError
from accounts.selectors import user_roles
from accounts.services import profile_get_or_create, profile_set_pgp_key, token_issue
from ledger.selectors import wallet_summary_for_user
from openmined.api_errors import ApiError


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
