"""Whether a mine joins a campaign: its owner's rules, its data and its privacy budget.

The campaign is the public JSON a Sonar API returns for an open campaign; it comes from another
server, so every field is checked before it is trusted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from adapters import Schema, SchemaError, output_task
from mine_ui.models import Dataset, Mine
from mine_ui.selectors import contribution_count, dataset_matching, mine_budget, mine_policy

# What stands in the way, for the owner to act on: a verdict's `kind`.
JOINS = "joins"
PAUSED = "paused"
POLICY = "policy"
SCHEMA = "schema"
BUDGET = "budget"
CAMPAIGN = "campaign"


@dataclass(frozen=True)
class Decision:
    """Join or not, why (a sentence for the owner), the dataset to train on, and what blocks."""

    participate: bool
    reason: str
    dataset: Dataset | None = None
    kind: str = JOINS


def money(amount_minor: int) -> str:
    """Minor units as a major amount with two decimals: 5000 → '50.00'."""
    sign = "-" if amount_minor < 0 else ""
    whole, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def campaign_label(campaign: Mapping) -> str:
    """'Campaign 7 ('diabetes')' — how reasons name a campaign."""
    name = campaign.get("name")
    shown = f" ('{str(name)[:80]}')" if name else ""
    return f"Campaign {campaign.get('id')}{shown}"


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _schemas(campaign: Mapping, label: str) -> tuple[Schema, Schema] | str:
    """The campaign's input and output schemas, or a sentence saying what is wrong."""
    try:
        schema = Schema.from_json(campaign.get("input_schema"))
    except SchemaError as exc:
        return f"{label} has an input schema this mine cannot read: {exc}"
    try:
        output = Schema.from_json(campaign.get("output_schema"))
        output_task(output)
    except SchemaError as exc:
        return f"{label} has an output schema this mine cannot read: {exc}"
    return schema, output


def policy_decide(*, mine: Mine, campaign: Mapping) -> Decision:
    """Apply the mine's policy to one campaign; the first rule that refuses gives the reason."""
    policy = mine_policy(mine=mine)
    label = campaign_label(campaign)
    campaign_id = _int(campaign.get("id"))
    if campaign_id is None or campaign_id < 1:
        return Decision(
            False, "Sonar sent a campaign without a valid id; it was ignored.", kind=CAMPAIGN
        )
    if policy.paused:
        return Decision(
            False,
            f"Mine '{mine.name}' is paused; resume it in the policy to join campaigns.",
            kind=PAUSED,
        )
    status = campaign.get("status", "open")
    if status != "open":
        return Decision(False, f"{label} is {status}, not open.", kind=CAMPAIGN)
    if campaign_id in policy.denied_campaign_ids:
        return Decision(False, f"{label} is on this mine's deny list.", kind=POLICY)
    if policy.allowed_campaign_ids and campaign_id not in policy.allowed_campaign_ids:
        return Decision(
            False, f"{label} is not on this mine's allow list of campaigns.", kind=POLICY
        )

    schemas = _schemas(campaign, label)
    if isinstance(schemas, str):
        return Decision(False, schemas, kind=SCHEMA)
    schema, output = schemas
    fingerprint = schema.fingerprint()
    if fingerprint in policy.denied_schema_fingerprints:
        return Decision(
            False,
            f"{label} uses input schema {fingerprint[:12]}…, which this mine's policy denies.",
            kind=POLICY,
        )
    if policy.allowed_schema_fingerprints and fingerprint not in policy.allowed_schema_fingerprints:
        return Decision(
            False,
            f"{label} uses input schema {fingerprint[:12]}…, which is not on this mine's allow "
            "list of schemas.",
            kind=POLICY,
        )

    bounty = _int(campaign.get("bounty_minor"))
    if bounty is None or bounty < 0:
        return Decision(False, f"{label} does not state its bounty; it was skipped.", kind=CAMPAIGN)
    if bounty < policy.min_bounty_minor:
        return Decision(
            False,
            f"Bounty {money(bounty)} is below this mine's minimum of "
            f"{money(policy.min_bounty_minor)}.",
            kind=POLICY,
        )

    dataset = dataset_matching(mine=mine, schema=schema, output=output)
    if dataset is None:
        return Decision(
            False,
            f"No dataset in this mine matches the input and output schema of {label}; import "
            "one with that schema (fingerprint "
            f"{fingerprint[:12]}…) to join.",
            kind=SCHEMA,
        )

    done = contribution_count(mine=mine, campaign_id=campaign_id)
    if done >= policy.max_contributions_per_campaign:
        return Decision(
            False,
            f"This mine has contributed {done} time{'s' if done != 1 else ''} to {label}, "
            f"its maximum per campaign.",
            dataset,
            kind=POLICY,
        )

    budget = mine_budget(mine=mine)
    if (
        budget.epsilon_left < budget.epsilon_per_contribution
        or budget.delta_left < budget.delta_per_contribution
    ):
        return Decision(
            False,
            f"The privacy budget is exhausted: ε {budget.epsilon_left.normalize():f} of "
            f"{budget.epsilon_total.normalize():f} left, and a contribution needs ε "
            f"{budget.epsilon_per_contribution.normalize():f} (δ "
            f"{budget.delta_per_contribution.normalize():f}).",
            dataset,
            kind=BUDGET,
        )

    if not policy.auto_participate:
        return Decision(
            False,
            f"Automatic participation is off; {label} would train on dataset '{dataset.name}'. "
            "Turn it on in the policy to join.",
            dataset,
            kind=POLICY,
        )
    return Decision(
        True, f"{label} matches dataset '{dataset.name}' ({dataset.row_count:,} rows).", dataset
    )


@dataclass(frozen=True)
class Verdict:
    """Will this mine join an open campaign, why, and what privacy it would spend there."""

    campaign_id: int | None
    name: str
    bounty_minor: int | None
    joins: bool
    kind: str
    reason: str
    dataset: Dataset | None
    epsilon_per_contribution: Decimal
    delta_per_contribution: Decimal
    contributions_left: int
    epsilon_expected: Decimal

    @property
    def exact(self) -> bool:
        """True when the owner chose exact gradients (no differential-privacy noise)."""
        return self.epsilon_per_contribution <= 0


def campaign_verdicts(*, mine: Mine, campaigns: Iterable[Mapping]) -> list[Verdict]:
    """Every open campaign with this mine's verdict and expected privacy cost (reads only).

    The one place a verdict is made: the Mine page, `mine_status` and the mining pass all ask
    policy_decide. The expected cost is what the mine would spend on this campaign if it joined
    as often as its policy and its remaining budget allow.
    """
    policy = mine_policy(mine=mine)
    budget = mine_budget(mine=mine)
    per_epsilon = budget.epsilon_per_contribution
    verdicts = []
    for campaign in campaigns:
        decision = policy_decide(mine=mine, campaign=campaign)
        campaign_id = _int(campaign.get("id"))
        done = contribution_count(mine=mine, campaign_id=campaign_id) if campaign_id else 0
        left = max(policy.max_contributions_per_campaign - done, 0)
        if per_epsilon > 0:
            left = min(left, int(budget.epsilon_left // per_epsilon))
        verdicts.append(
            Verdict(
                campaign_id=campaign_id,
                name=str(campaign.get("name") or "")[:200],
                bounty_minor=_int(campaign.get("bounty_minor")),
                joins=decision.participate,
                kind=decision.kind,
                reason=decision.reason,
                dataset=decision.dataset,
                epsilon_per_contribution=per_epsilon,
                delta_per_contribution=budget.delta_per_contribution,
                contributions_left=left,
                epsilon_expected=per_epsilon * left,
            )
        )
    return verdicts
