"""REST API routes of the ledger: /api/wallet/... and the public /api/ledger/..."""

from django.urls import path

from ledger import api

app_name = "ledger_api"
urlpatterns = [
    path("wallet/", api.WalletApi.as_view(), name="wallet"),
    path("wallet/deposit/", api.WalletDepositApi.as_view(), name="wallet-deposit"),
    path("ledger/entries/", api.LedgerEntriesApi.as_view(), name="entries"),
    path("ledger/entries/<int:seq>/", api.LedgerEntryApi.as_view(), name="entry"),
    path("ledger/checkpoints/", api.LedgerCheckpointsApi.as_view(), name="checkpoints"),
    path(
        "ledger/checkpoints/latest/",
        api.LedgerCheckpointLatestApi.as_view(),
        name="checkpoint-latest",
    ),
    path("ledger/proofs/inclusion/", api.LedgerInclusionProofApi.as_view(), name="proof-inclusion"),
    path(
        "ledger/proofs/consistency/",
        api.LedgerConsistencyProofApi.as_view(),
        name="proof-consistency",
    ),
    path("ledger/key/", api.LedgerKeyApi.as_view(), name="key"),
]
