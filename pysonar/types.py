"""Shapes of what the API returns, for editors and type checkers (the API may add fields)."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

CampaignStatus = Literal["draft", "open", "completed", "cancelled"]
GradientStatus = Literal["pending", "evaluating", "accepted", "rejected"]
FINISHED_CAMPAIGN_STATUSES: tuple[str, ...] = ("completed", "cancelled")
FINISHED_GRADIENT_STATUSES: tuple[str, ...] = ("accepted", "rejected")


class Wallet(TypedDict, total=False):
    """A person's money on Sonar, in minor units (transfers: a page of them, newest first)."""

    account: str
    balance_minor: int
    currency: str
    transfers: dict[str, Any]


class Deposit(TypedDict, total=False):
    """A credit to a wallet and the balance it left."""

    transfer_id: int
    seq: int
    account: str
    username: str
    amount_minor: int
    balance_minor: int
    currency: str


class Me(TypedDict, total=False):
    """The signed-in person."""

    id: int
    username: str
    email: str
    roles: list[str]
    pgp_fingerprint: str
    pgp_public_key: str
    wallet: Wallet | None


class Campaign(TypedDict, total=False):
    """A campaign as the API shows it (the owner sees more fields than others)."""

    id: int
    name: str
    description: str
    owner: str
    status: CampaignStatus
    algorithm: str
    input_schema: list[dict[str, Any]]
    output_schema: list[dict[str, Any]]
    hyperparameters: dict[str, Any]
    bounty_minor: int
    currency: str
    target_accuracy: float
    start_accuracy: float | None
    claimed_start_accuracy: float | None
    best_accuracy: float | None
    current_version: int
    public_key: dict[str, Any] | None
    deadline: str | None
    created_at: str
    launched_at: str | None
    completed_at: str | None
    spent_minor: int


class Gradient(TypedDict, total=False):
    """One gradient submission and what Sonar's evaluation made of it."""

    id: int
    campaign: int
    base_version: int
    n_samples: int
    status: GradientStatus
    reason: str
    score: float | None
    accuracy_delta: float | None
    payout_minor: int
    created_at: str
    evaluated_at: str | None


class ValidationUpload(TypedDict, total=False):
    """What Sonar stored of an uploaded validation set."""

    rows: int
    columns: list[str]
    sha256: str
