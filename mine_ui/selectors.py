"""Reads of mine_ui: a person's mines, matching datasets, contribution counts, stored tables."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from adapters import Schema, Table
from mine_ui.errors import MineNotFoundError
from mine_ui.models import Contribution, Dataset, Mine, MinePolicy, PrivacyBudget


def mine_list_for_owner(*, owner: User) -> QuerySet[Mine]:
    """The person's own mines (nobody else's), with policy and budget loaded."""
    return (
        Mine.objects.filter(owner=owner).select_related("policy", "privacy_budget").order_by("name")
    )


def mine_policy(*, mine: Mine) -> MinePolicy:
    """The mine's stored policy (read afresh: a cached one may predate an edit), or a default."""
    return MinePolicy.objects.filter(mine=mine).first() or MinePolicy(mine=mine)


def mine_budget(*, mine: Mine) -> PrivacyBudget:
    """The mine's stored privacy budget (read afresh), or an unsaved default."""
    return PrivacyBudget.objects.filter(mine=mine).first() or PrivacyBudget(mine=mine)


def dataset_matching(*, mine: Mine, schema: Schema, output: Schema) -> Dataset | None:
    """The mine's largest labeled dataset whose input and output schemas equal the given ones."""
    return (
        Dataset.objects.filter(
            mine=mine,
            schema_fingerprint=schema.fingerprint(),
            output_fingerprint=output.fingerprint(),
            row_count__gt=0,
        )
        .order_by("-row_count", "-imported_at")
        .first()
    )


def contribution_count(*, mine: Mine, campaign_id: int) -> int:
    """Contributions that count against the per-campaign maximum (not skips or failures)."""
    return Contribution.objects.filter(
        mine=mine, campaign_id=campaign_id, status__in=Contribution.COUNTED
    ).count()


def dataset_table(*, dataset: Dataset) -> Table:
    """The dataset's stored rows as an adapters.Table, in import order."""
    rows = list(
        dataset.rows.order_by("index").values_list("values", flat=True).iterator(chunk_size=5000)
    )
    return Table(rows=rows, n_rows=len(rows), schema=dataset.schema, output=dataset.output)


def mine_get_owned(*, owner: User, mine_id: int) -> Mine:
    """The person's mine; anyone else's (or none) is 'not found', so existence does not leak."""
    mine = mine_list_for_owner(owner=owner).filter(pk=mine_id).first()
    if mine is None:
        raise MineNotFoundError(f"You have no mine {mine_id}.")
    return mine


def dataset_list_for_mine(*, mine: Mine) -> QuerySet[Dataset]:
    """The mine's datasets, newest first (metadata only: rows stay in the mine)."""
    return Dataset.objects.filter(mine=mine).order_by("-imported_at", "-id")


def contribution_list_for_mine(*, mine: Mine, status: str | None = None) -> QuerySet[Contribution]:
    """The mine's contributions, newest first, optionally of one status."""
    contributions = Contribution.objects.filter(mine=mine).select_related("dataset")
    if status:
        contributions = contributions.filter(status=status)
    return contributions.order_by("-created_at", "-id")
