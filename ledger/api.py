"""REST API of the ledger: your wallet, deposits, and the public chain with its proofs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger import selectors
from ledger.canonical import checkpoint_statement, format_timestamp
from ledger.errors import IdempotencyConflictError, InsufficientFundsError, LedgerError
from ledger.models import Checkpoint, Entry, Transfer
from ledger.services import account_wallet_for_user, deposit
from ledger.signing import platform_key_fingerprint, platform_public_key
from openmined.api_errors import ApiError

MAX_ENTRIES_PAGE = 1000


class LedgerEntrySerializer(serializers.Serializer):
    """One ledger entry exactly as hashed, so anyone can recompute its hash."""

    seq = serializers.IntegerField()
    version = serializers.IntegerField()
    timestamp = serializers.SerializerMethodField()
    kind = serializers.CharField()
    campaign_id = serializers.IntegerField(allow_null=True)
    payload = serializers.SerializerMethodField()
    payload_json = serializers.CharField(help_text="The canonical JSON text that was hashed.")
    prev_hash = serializers.CharField()
    hash = serializers.CharField()

    def get_timestamp(self, entry: Entry) -> str:
        return format_timestamp(entry.created_at)

    def get_payload(self, entry: Entry) -> dict:
        return entry.payload


class LedgerCheckpointSerializer(serializers.Serializer):
    """A signed Merkle tree head."""

    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField()
    timestamp = serializers.SerializerMethodField()
    key_fingerprint = serializers.CharField()
    statement = serializers.SerializerMethodField(
        help_text="The exact text the signature covers (canonical JSON)."
    )
    signature = serializers.CharField(help_text="ASCII-armored detached OpenPGP signature.")

    def get_timestamp(self, checkpoint: Checkpoint) -> str:
        return format_timestamp(checkpoint.created_at)

    def get_statement(self, checkpoint: Checkpoint) -> str:
        return checkpoint_statement(
            tree_size=checkpoint.tree_size,
            root_hash=checkpoint.root_hash,
            timestamp=format_timestamp(checkpoint.created_at),
        ).decode("ascii")


def _positive_int(request: Request, name: str, *, default: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        if default is not None:
            return default
        raise ApiError(f"The query parameter '{name}' is required.", code="missing_parameter")
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(
            f"The query parameter '{name}' must be a whole number, not {raw!r}.",
            code="invalid_parameter",
        ) from None
    if value < 0:
        raise ApiError(
            f"The query parameter '{name}' cannot be negative.", code="invalid_parameter"
        )
    return value


# --- Your wallet -------------------------------------------------------------------------------


class WalletApi(APIView):
    """Your wallet: its public account id (give it to your mine for payouts), balance, transfers."""

    permission_classes = [IsAuthenticated]

    class TransferOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        seq = serializers.IntegerField(source="entry_id")
        kind = serializers.CharField()
        direction = serializers.SerializerMethodField()
        amount_minor = serializers.IntegerField()
        counterparty = serializers.SerializerMethodField()
        memo = serializers.CharField()
        campaign_id = serializers.IntegerField(allow_null=True)
        created_at = serializers.DateTimeField()

        def get_direction(self, transfer: Transfer) -> str:
            return "in" if transfer.credit_id == self.context["account"].pk else "out"

        def get_counterparty(self, transfer: Transfer) -> str:
            if transfer.credit_id == self.context["account"].pk:
                return transfer.debit.public_id
            return transfer.credit.public_id

    class TransferPageSerializer(serializers.Serializer):
        count = serializers.IntegerField()
        next = serializers.URLField(allow_null=True)
        previous = serializers.URLField(allow_null=True)
        results = serializers.ListField(child=serializers.DictField())

    class OutputSerializer(serializers.Serializer):
        account = serializers.CharField(help_text="Your public account id, for payouts.")
        balance_minor = serializers.IntegerField()
        currency = serializers.CharField()
        transfers = serializers.DictField(
            help_text="A page of transfers, newest first: count, next, previous, results."
        )

    @extend_schema(
        responses={200: OutputSerializer},
        parameters=[
            OpenApiParameter(
                "page", {"type": "integer", "minimum": 1}, description="Transfers page."
            )
        ],
    )
    def get(self, request: Request) -> Response:
        account = account_wallet_for_user(user=request.user)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            selectors.transfers_for_account(account=account), request, view=self
        )
        transfers = self.TransferOutputSerializer(
            page, many=True, context={"account": account}
        ).data
        page_body = self.TransferPageSerializer(
            paginator.get_paginated_response(transfers).data
        ).data
        return Response(
            self.OutputSerializer(
                {
                    "account": account.public_id,
                    "balance_minor": selectors.account_balance(account=account),
                    "currency": settings.SONAR_CURRENCY,
                    "transfers": page_body,
                }
            ).data
        )


class WalletDepositApi(APIView):
    """Credit a wallet. Operators: any person's, by username. Demo mode: your own, capped."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        amount_minor = serializers.IntegerField(min_value=1)
        username = serializers.CharField(required=False, help_text="Operators only.")
        memo = serializers.CharField(required=False, allow_blank=True, max_length=500)

    class OutputSerializer(serializers.Serializer):
        transfer_id = serializers.IntegerField()
        seq = serializers.IntegerField()
        account = serializers.CharField()
        username = serializers.CharField()
        amount_minor = serializers.IntegerField()
        balance_minor = serializers.IntegerField()
        currency = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer, 200: OutputSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "pattern": r"\S"},
                OpenApiParameter.HEADER,
                required=True,
                description="Any unique string; a retry with the same key deposits only once.",
            )
        ],
    )
    def post(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise ApiError(
                "Send an Idempotency-Key header (any unique string, e.g. a UUID) so that a "
                "retried request deposits only once.",
                code="idempotency_key_required",
            )
        if len(key) > 100:
            raise ApiError(
                "The Idempotency-Key header is longer than 100 characters.",
                code="invalid_idempotency_key",
            )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amount = data.validated_data["amount_minor"]
        username = data.validated_data.get("username") or request.user.username
        operator = request.user.is_staff
        if not operator:
            if not settings.SONAR_DEMO_MODE:
                raise ApiError(
                    "Only operators can deposit money; ask one to credit your wallet.",
                    code="permission_denied",
                    status_code=status.HTTP_403_FORBIDDEN,
                )
            if username != request.user.username:
                raise ApiError(
                    "In demo mode you can credit only your own wallet.",
                    code="permission_denied",
                    status_code=status.HTTP_403_FORBIDDEN,
                )
            if amount > settings.SONAR_DEMO_CREDIT_MINOR:
                raise ApiError(
                    f"A demo credit is at most {settings.SONAR_DEMO_CREDIT_MINOR} minor units per "
                    f"request; you asked for {amount}.",
                    code="demo_credit_too_large",
                )
        recipient = get_user_model().objects.filter(username=username).first()
        if recipient is None:
            raise ApiError(
                f"There is no person with the username {username!r}.",
                code="not_found",
                status_code=status.HTTP_404_NOT_FOUND,
            )
        memo = data.validated_data.get("memo") or (
            f"Deposit by operator {request.user.username}" if operator else "Demo credit"
        )
        # Keys are per requester: one person's key can never replay another person's deposit.
        idempotency_key = f"deposit:{request.user.pk}:{key}"
        already = Transfer.objects.filter(idempotency_key=idempotency_key).exists()
        try:
            made = deposit(
                user=recipient, amount_minor=amount, idempotency_key=idempotency_key, memo=memo
            )
        except IdempotencyConflictError as exc:
            raise ApiError(
                f"This Idempotency-Key was already used for a different deposit. {exc}",
                code="idempotency_conflict",
                status_code=status.HTTP_409_CONFLICT,
            ) from exc
        except (InsufficientFundsError, LedgerError, ValueError) as exc:
            raise ApiError(str(exc), code="deposit_refused") from exc
        body = self.OutputSerializer(
            {
                "transfer_id": made.pk,
                "seq": made.entry_id,
                "account": made.credit.public_id,
                "username": recipient.username,
                "amount_minor": made.amount_minor,
                "balance_minor": selectors.account_balance(account=made.credit),
                "currency": settings.SONAR_CURRENCY,
            }
        ).data
        return Response(body, status=status.HTTP_200_OK if already else status.HTTP_201_CREATED)


# --- The public ledger -------------------------------------------------------------------------


class LedgerEntriesApi(APIView):
    """Entries after a seq, oldest first: follow next_after until it is null."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        entries = LedgerEntrySerializer(many=True)
        next_after = serializers.IntegerField(allow_null=True)
        size = serializers.IntegerField(help_text="Entries committed when this page was read.")

    @extend_schema(
        responses={200: OutputSerializer},
        parameters=[
            OpenApiParameter(
                "after", {"type": "integer", "minimum": 0}, description="Last seq you have (0)."
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_ENTRIES_PAGE},
                description="At most 1000 (100).",
            ),
        ],
        auth=[],
    )
    def get(self, request: Request) -> Response:
        after = _positive_int(request, "after", default=0)
        limit = _positive_int(request, "limit", default=100)
        if not 1 <= limit <= MAX_ENTRIES_PAGE:
            raise ApiError(
                f"limit must be between 1 and {MAX_ENTRIES_PAGE}, not {limit}.",
                code="invalid_parameter",
            )
        size = selectors.ledger_size()
        entries = selectors.entries_after(seq=after, limit=limit)
        entries = [entry for entry in entries if entry.seq <= size]
        next_after = entries[-1].seq if entries and entries[-1].seq < size else None
        return Response(
            self.OutputSerializer({"entries": entries, "next_after": next_after, "size": size}).data
        )


class LedgerEntryApi(APIView):
    """One entry by its seq."""

    permission_classes = [AllowAny]

    class OutputSerializer(LedgerEntrySerializer):
        pass

    @extend_schema(responses={200: OutputSerializer}, auth=[])
    def get(self, request: Request, seq: int) -> Response:
        entry = selectors.entry_get(seq=seq)
        if entry is None:
            raise ApiError(
                f"There is no ledger entry {seq}; the ledger has {selectors.ledger_size()}.",
                code="not_found",
                status_code=status.HTTP_404_NOT_FOUND,
            )
        return Response(self.OutputSerializer(entry).data)


class LedgerCheckpointLatestApi(APIView):
    """The newest signed checkpoint (tree size, Merkle root, time, signature)."""

    permission_classes = [AllowAny]

    class OutputSerializer(LedgerCheckpointSerializer):
        pass

    @extend_schema(responses={200: OutputSerializer}, auth=[])
    def get(self, request: Request) -> Response:
        checkpoint = selectors.checkpoint_latest()
        if checkpoint is None:
            raise ApiError(
                "No checkpoint has been signed yet; the platform signs one periodically.",
                code="not_found",
                status_code=status.HTTP_404_NOT_FOUND,
            )
        return Response(self.OutputSerializer(checkpoint).data)


class LedgerCheckpointsApi(APIView):
    """Every checkpoint after a tree size, oldest first."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        checkpoints = LedgerCheckpointSerializer(many=True)
        next_after = serializers.IntegerField(allow_null=True)

    @extend_schema(
        responses={200: OutputSerializer},
        parameters=[
            OpenApiParameter(
                "after", {"type": "integer", "minimum": 0}, description="A tree size (0)."
            )
        ],
        auth=[],
    )
    def get(self, request: Request) -> Response:
        after = _positive_int(request, "after", default=0)
        checkpoints = list(
            Checkpoint.objects.filter(tree_size__gt=after).order_by("tree_size")[
                : MAX_ENTRIES_PAGE + 1
            ]
        )
        more = len(checkpoints) > MAX_ENTRIES_PAGE
        checkpoints = checkpoints[:MAX_ENTRIES_PAGE]
        return Response(
            self.OutputSerializer(
                {
                    "checkpoints": checkpoints,
                    "next_after": checkpoints[-1].tree_size if more else None,
                }
            ).data
        )


class LedgerInclusionProofApi(APIView):
    """RFC 6962 proof that entry seq is in the tree of the first size entries."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        seq = serializers.IntegerField()
        leaf_index = serializers.IntegerField()
        tree_size = serializers.IntegerField()
        leaf_hash = serializers.CharField()
        root_hash = serializers.CharField()
        proof = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        responses={200: OutputSerializer},
        parameters=[
            OpenApiParameter("seq", {"type": "integer", "minimum": 1}, required=True),
            OpenApiParameter("size", {"type": "integer", "minimum": 1}, required=True),
        ],
        auth=[],
    )
    def get(self, request: Request) -> Response:
        seq = _positive_int(request, "seq")
        size = _positive_int(request, "size")
        try:
            proof = selectors.inclusion_proof_for(seq=seq, size=size)
        except ValueError as exc:
            raise ApiError(str(exc), code="invalid_parameter") from exc
        return Response(self.OutputSerializer(proof).data)


class LedgerConsistencyProofApi(APIView):
    """RFC 6962 proof that the tree of size first is a prefix of the tree of size second."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        first = serializers.IntegerField()
        second = serializers.IntegerField()
        first_root_hash = serializers.CharField()
        second_root_hash = serializers.CharField()
        proof = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        responses={200: OutputSerializer},
        parameters=[
            OpenApiParameter("first", {"type": "integer", "minimum": 1}, required=True),
            OpenApiParameter("second", {"type": "integer", "minimum": 1}, required=True),
        ],
        auth=[],
    )
    def get(self, request: Request) -> Response:
        first = _positive_int(request, "first")
        second = _positive_int(request, "second")
        try:
            proof = selectors.consistency_proof_for(first=first, second=second)
        except ValueError as exc:
            raise ApiError(str(exc), code="invalid_parameter") from exc
        return Response(self.OutputSerializer(proof).data)


class LedgerKeyApi(APIView):
    """The platform's OpenPGP public key, which signs every checkpoint."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        fingerprint = serializers.CharField()
        public_key = serializers.CharField(help_text="ASCII-armored OpenPGP public key.")

    @extend_schema(responses={200: OutputSerializer}, auth=[])
    def get(self, request: Request) -> Response:
        public_key = platform_public_key()
        return Response(
            self.OutputSerializer(
                {"fingerprint": platform_key_fingerprint(), "public_key": public_key}
            ).data
        )
