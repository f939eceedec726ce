"""Writes of mine_ui: mines, dataset imports, policies, privacy budgets and contributions."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from adapters import AdapterError, AdapterRowsError, BadRow, Schema, SchemaError, read_table
from adapters.readers import Source
from mine_ui.models import Contribution, Dataset, DatasetRow, Mine, MinePolicy, PrivacyBudget
from mine_ui.policy import Decision, policy_decide
from mine_ui.sonar_address import sonar_address_check

ROW_BATCH = 2000
_PAYOUT_ACCOUNT = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


# Limits of what an owner may set: beyond them a "privacy" budget protects nothing.
MAX_EPSILON_TOTAL = Decimal("100")
MAX_EPSILON_PER_CONTRIBUTION = Decimal("10")


class DatasetImportError(ValidationError):
    """Rows of the file do not fit: the first of them (line, column, value, reason) and counts."""

    def __init__(self, error: AdapterRowsError) -> None:
        super().__init__(f"Nothing was imported: {error}")
        self.bad_rows: list[BadRow] = error.bad_rows
        self.total = error.total
        self.lines = error.lines


class BudgetExhaustedError(Exception):
    """A spend would take the privacy budget past its total; nothing was spent."""


def _payout_account_check(payout_account: str) -> str:
    account = payout_account.strip()
    if not _PAYOUT_ACCOUNT.fullmatch(account):
        raise ValidationError(
            "A payout account is the public id of a wallet, like acct_3f9a…: letters, digits "
            "and _ . : - only, at most 64 characters."
        )
    return account


@transaction.atomic
def mine_create(
    *, owner: User, name: str, payout_account: str, sonar_url: str = "", api_token: str = ""
) -> Mine:
    """Create a mine with a default policy (auto participation off) and privacy budget."""
    name = name.strip()
    if not name:
        raise ValidationError("Give the mine a name.")
    if len(name) > 100:
        raise ValidationError("A mine's name has at most 100 characters.")
    if Mine.objects.filter(owner=owner, name=name).exists():
        raise ValidationError(f"You already have a mine named '{name}'; choose another name.")
    mine = Mine.objects.create(
        owner=owner,
        name=name,
        payout_account=_payout_account_check(payout_account),
        sonar_url=sonar_address_check(sonar_url),
        api_token=api_token.strip(),
    )
    MinePolicy.objects.create(mine=mine)
    PrivacyBudget.objects.create(mine=mine)
    return mine


def mine_set_api_token(*, mine: Mine, api_token: str) -> Mine:
    """Replace (or, with an empty string, remove) the token the mine uses on a remote Sonar."""
    mine.api_token = api_token.strip()
    mine.save(update_fields=["api_token"])
    return mine


def _as_schema(value: Schema | list | None, what: str) -> Schema | None:
    if value is None or isinstance(value, Schema):
        return value
    try:
        return Schema.from_json(value)
    except SchemaError as exc:
        raise ValidationError(f"The {what} schema is invalid: {exc}") from exc


def dataset_import(
    *,
    mine: Mine,
    name: str,
    source: Source,
    adapter: str,
    schema: Schema | list,
    output: Schema | list | None = None,
    progress: bool = False,
    max_rows: int | None = None,
) -> Dataset:
    """Read a file and store all of its rows as a new dataset, or nothing (ValidationError)."""
    name = name.strip()
    if not name:
        raise ValidationError("Give the dataset a name.")
    if len(name) > 100:
        raise ValidationError("A dataset's name has at most 100 characters.")
    input_schema = _as_schema(schema, "input")
    output_schema = _as_schema(output, "output")
    assert input_schema is not None
    if Dataset.objects.filter(mine=mine, name=name).exists():
        raise ValidationError(
            f"Mine '{mine.name}' already has a dataset named '{name}'; choose another name."
        )
    # Read (and validate) everything before the transaction: a slow file must not hold locks.
    try:
        table = read_table(
            source,
            adapter=adapter,
            schema=input_schema,
            output=output_schema,
            progress=progress,
            max_rows=max_rows,
        )
    except AdapterRowsError as exc:
        raise DatasetImportError(exc) from exc
    except (AdapterError, SchemaError) as exc:
        raise ValidationError(f"Nothing was imported: {exc}") from exc
    try:
        with transaction.atomic():
            dataset = Dataset.objects.create(
                mine=mine,
                name=name,
                input_schema=input_schema.to_json(),
                output_schema=output_schema.to_json() if output_schema else None,
                adapter=adapter,
                row_count=table.n_rows,
                schema_fingerprint=input_schema.fingerprint(),
                output_fingerprint=output_schema.fingerprint() if output_schema else "",
            )
            # Batch by batch: a million rows must not become a million model objects at once.
            for start in range(0, table.n_rows, ROW_BATCH):
                DatasetRow.objects.bulk_create(
                    [
                        DatasetRow(dataset=dataset, index=index, values=values)
                        for index, values in enumerate(
                            table.rows[start : start + ROW_BATCH], start=start
                        )
                    ]
                )
    except IntegrityError:
        # Two imports raced for the same name; the unique constraint kept one.
        raise ValidationError(
            f"Mine '{mine.name}' already has a dataset named '{name}'; choose another name."
        ) from None
    return dataset


def dataset_delete(*, dataset: Dataset) -> None:
    """Delete a dataset and its rows (contributions keep their history)."""
    dataset.delete()


def _campaign_ids(values: Iterable[object], what: str) -> list[int]:
    ids: list[int] = []
    for value in values:
        text = str(value).strip()
        if not text.isdigit() or int(text) < 1:
            raise ValidationError(f"{what} lists '{text}', which is not a campaign id (a number).")
        ids.append(int(text))
    return sorted(set(ids))


def _fingerprints(values: Iterable[object], what: str) -> list[str]:
    found: list[str] = []
    for value in values:
        text = str(value).strip().lower()
        if not _SHA256.fullmatch(text):
            raise ValidationError(
                f"{what} lists '{text[:20]}', which is not a schema fingerprint (64 hex digits)."
            )
        found.append(text)
    return sorted(set(found))


def policy_update(
    *,
    mine: Mine,
    paused: bool | None = None,
    auto_participate: bool | None = None,
    min_bounty_minor: int | None = None,
    max_contributions_per_campaign: int | None = None,
    allowed_campaign_ids: Iterable[object] | None = None,
    denied_campaign_ids: Iterable[object] | None = None,
    allowed_schema_fingerprints: Iterable[object] | None = None,
    denied_schema_fingerprints: Iterable[object] | None = None,
) -> MinePolicy:
    """Change the given parts of a mine's policy; arguments left as None stay as they are."""
    policy, _ = MinePolicy.objects.get_or_create(mine=mine)
    changed: list[str] = []
    if paused is not None:
        policy.paused = paused
        changed.append("paused")
    if auto_participate is not None:
        policy.auto_participate = auto_participate
        changed.append("auto_participate")
    if min_bounty_minor is not None:
        if isinstance(min_bounty_minor, bool) or min_bounty_minor < 0:
            raise ValidationError("The minimum bounty cannot be negative.")
        policy.min_bounty_minor = int(min_bounty_minor)
        changed.append("min_bounty_minor")
    if max_contributions_per_campaign is not None:
        if max_contributions_per_campaign < 1:
            raise ValidationError("Allow at least 1 contribution per campaign (or pause the mine).")
        policy.max_contributions_per_campaign = int(max_contributions_per_campaign)
        changed.append("max_contributions_per_campaign")
    lists = {
        "allowed_campaign_ids": (allowed_campaign_ids, _campaign_ids, "The allow list"),
        "denied_campaign_ids": (denied_campaign_ids, _campaign_ids, "The deny list"),
        "allowed_schema_fingerprints": (
            allowed_schema_fingerprints,
            _fingerprints,
            "The schema allow list",
        ),
        "denied_schema_fingerprints": (
            denied_schema_fingerprints,
            _fingerprints,
            "The schema deny list",
        ),
    }
    for field_name, (values, clean, what) in lists.items():
        if values is not None:
            setattr(policy, field_name, clean(values, what))
            changed.append(field_name)
    if changed:
        policy.save(update_fields=[*changed, "updated_at"])
    return policy


def _amount(value: object, what: str) -> Decimal:
    try:
        # Through str: Decimal(0.1) would carry the float's binary error into the budget.
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(f"{what} must be a number, not '{value}'.") from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError(f"{what} must be zero or more, not {value}.")
    return amount


def budget_set(
    *,
    mine: Mine,
    epsilon_total: object | None = None,
    delta_total: object | None = None,
    epsilon_per_contribution: object | None = None,
    delta_per_contribution: object | None = None,
) -> PrivacyBudget:
    """Change a mine's budget totals or per-contribution costs; totals never drop below spent."""
    with transaction.atomic():
        budget, _ = PrivacyBudget.objects.select_for_update().get_or_create(mine=mine)
        if epsilon_total is not None:
            budget.epsilon_total = _amount(epsilon_total, "Epsilon total")
            if budget.epsilon_total < budget.epsilon_spent:
                raise ValidationError(
                    f"Epsilon total {budget.epsilon_total.normalize()} is below the "
                    f"{budget.epsilon_spent.normalize()} already spent."
                )
        if delta_total is not None:
            budget.delta_total = _amount(delta_total, "Delta total")
            if budget.delta_total > 1:
                raise ValidationError("Delta is a probability: at most 1.")
            if budget.delta_total < budget.delta_spent:
                raise ValidationError(
                    f"Delta total {budget.delta_total.normalize()} is below the "
                    f"{budget.delta_spent.normalize()} already spent."
                )
        if epsilon_per_contribution is not None:
            budget.epsilon_per_contribution = _amount(
                epsilon_per_contribution, "Epsilon per contribution"
            )
        if delta_per_contribution is not None:
            budget.delta_per_contribution = _amount(
                delta_per_contribution, "Delta per contribution"
            )
        if budget.epsilon_total > MAX_EPSILON_TOTAL:
            raise ValidationError(
                f"An ε total above {MAX_EPSILON_TOTAL} protects nothing; choose at most "
                f"{MAX_EPSILON_TOTAL}."
            )
        if budget.epsilon_per_contribution > MAX_EPSILON_PER_CONTRIBUTION:
            raise ValidationError(
                f"An ε per contribution above {MAX_EPSILON_PER_CONTRIBUTION} adds almost no noise; "
                f"choose at most {MAX_EPSILON_PER_CONTRIBUTION} (or 0 for exact gradients)."
            )
        budget.save()
    return budget


def budget_spend(*, mine: Mine, epsilon: object, delta: object) -> PrivacyBudget:
    """Spend epsilon and delta from the mine's budget, or raise BudgetExhaustedError."""
    epsilon_amount = _amount(epsilon, "Epsilon")
    delta_amount = _amount(delta, "Delta")
    with transaction.atomic():
        # select_for_update: two contributions of one mine may spend at the same moment.
        budget = PrivacyBudget.objects.select_for_update().get(mine=mine)
        if budget.epsilon_spent + epsilon_amount > budget.epsilon_total:
            raise BudgetExhaustedError(
                f"Mine '{mine.name}' has ε {budget.epsilon_left.normalize():f} left of "
                f"{budget.epsilon_total.normalize():f}; this contribution needs ε "
                f"{epsilon_amount.normalize():f}. Raise the budget or stop contributing."
            )
        if budget.delta_spent + delta_amount > budget.delta_total:
            raise BudgetExhaustedError(
                f"Mine '{mine.name}' has δ {budget.delta_left.normalize():f} left of "
                f"{budget.delta_total.normalize():f}; this contribution needs δ "
                f"{delta_amount.normalize():f}. Raise the budget or stop contributing."
            )
        budget.epsilon_spent += epsilon_amount
        budget.delta_spent += delta_amount
        budget.save(update_fields=["epsilon_spent", "delta_spent", "updated_at"])
    return budget


def mine_campaign_consider(*, mine: Mine, campaign: Mapping) -> Decision:
    """Decide about an open campaign; a refusal is recorded as a skipped contribution."""
    decision = policy_decide(mine=mine, campaign=campaign)
    if not decision.participate:
        contribution_skip(mine=mine, campaign=campaign, reason=decision.reason)
    return decision


def _campaign_id(campaign: Mapping) -> int:
    value = campaign.get("id")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError("The campaign has no valid id.")
    return value


def _version(campaign: Mapping) -> int | None:
    value = campaign.get("current_version")
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def contribution_skip(*, mine: Mine, campaign: Mapping, reason: str) -> Contribution:
    """Record why the mine skipped a campaign's model version; polling again updates one row."""
    campaign_id = _campaign_id(campaign)
    version = _version(campaign)
    # One skip row per (mine, campaign, version): a mine polling every minute must not pile up.
    key = f"skip-{mine.pk}-{campaign_id}-{'none' if version is None else version}"
    contribution, created = Contribution.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "mine": mine,
            "campaign_id": campaign_id,
            "campaign_name": str(campaign.get("name") or "")[:200],
            "model_version": version,
            "status": Contribution.SKIPPED,
            "reason": reason,
        },
    )
    if not created and contribution.reason != reason:
        contribution.reason = reason
        contribution.save(update_fields=["reason", "updated_at"])
    return contribution


def contribution_start(
    *, mine: Mine, dataset: Dataset, campaign: Mapping, n_samples: int
) -> Contribution:
    """Open a pending contribution with a fresh idempotency key, before computing a gradient."""
    return Contribution.objects.create(
        mine=mine,
        dataset=dataset,
        campaign_id=_campaign_id(campaign),
        campaign_name=str(campaign.get("name") or "")[:200],
        model_version=_version(campaign),
        n_samples=n_samples,
        status=Contribution.PENDING,
        idempotency_key=f"mine-{mine.pk}-{secrets.token_hex(16)}",
    )


def contribution_mark(
    *,
    contribution: Contribution,
    status: str,
    reason: str = "",
    submission_id: int | None = None,
    earnings_minor: int = 0,
    epsilon_spent: object | None = None,
    delta_spent: object | None = None,
) -> Contribution:
    """Record what happened to a contribution: submitted, accepted (with earnings), rejected…"""
    if status not in dict(Contribution.STATUS_CHOICES):
        raise ValidationError(f"'{status}' is not a contribution status.")
    contribution.status = status
    contribution.reason = reason
    if submission_id is not None:
        contribution.submission_id = submission_id
    contribution.earnings_minor = earnings_minor
    if epsilon_spent is not None:
        contribution.epsilon_spent = _amount(epsilon_spent, "Epsilon")
    if delta_spent is not None:
        contribution.delta_spent = _amount(delta_spent, "Delta")
    contribution.save()
    return contribution
