"""Forms of the Mine pages: create a mine, edit its policy."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms

from mine_ui.models import MinePolicy

_SEPARATORS = re.compile(r"[\s,;]+")


def _split(text: str) -> list[str]:
    return [part for part in _SEPARATORS.split(text.strip()) if part]


class MineForm(forms.Form):
    """Name, payout account, and optionally a remote Sonar with its API token."""

    name = forms.CharField(max_length=100)
    payout_account = forms.CharField(
        max_length=64,
        help_text="The public id of the wallet that receives your earnings "
        '(it starts with "acct_"; your profile page shows yours).',
    )
    sonar_url = forms.URLField(
        required=False,
        label="Sonar address",
        help_text="Leave blank to mine for this platform.",
        assume_scheme="https",
    )
    api_token = forms.CharField(
        required=False,
        label="API token for that Sonar",
        widget=forms.PasswordInput(render_value=False),
        help_text="Only needed for a remote Sonar; stored, and shown only by its last characters.",
    )


class PolicyForm(forms.Form):
    """The policy in words and numbers; the lists take ids or fingerprints separated by commas."""

    paused = forms.BooleanField(required=False, help_text="A paused mine joins nothing.")
    auto_participate = forms.BooleanField(
        required=False,
        label="Participate automatically",
        help_text="Join every campaign this policy allows, without asking.",
    )
    min_bounty = forms.DecimalField(
        min_value=Decimal("0"),
        decimal_places=2,
        max_digits=14,
        label="Minimum bounty",
        help_text="Campaigns offering less are skipped.",
    )
    max_contributions_per_campaign = forms.IntegerField(min_value=1, max_value=1_000_000)
    allowed_campaign_ids = forms.CharField(
        required=False,
        label="Only these campaigns",
        help_text="Campaign ids; empty means any campaign.",
    )
    denied_campaign_ids = forms.CharField(
        required=False, label="Never these campaigns", help_text="Campaign ids."
    )
    allowed_schema_fingerprints = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Only these input schemas",
        help_text="sha256 fingerprints; empty means any schema.",
    )
    denied_schema_fingerprints = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Never these input schemas",
        help_text="sha256 fingerprints.",
    )

    @classmethod
    def initial_for(cls, policy: MinePolicy) -> dict:
        """Form values showing the stored policy."""
        whole, cents = divmod(policy.min_bounty_minor, 100)
        return {
            "paused": policy.paused,
            "auto_participate": policy.auto_participate,
            "min_bounty": Decimal(f"{whole}.{cents:02d}"),
            "max_contributions_per_campaign": policy.max_contributions_per_campaign,
            "allowed_campaign_ids": ", ".join(map(str, policy.allowed_campaign_ids)),
            "denied_campaign_ids": ", ".join(map(str, policy.denied_campaign_ids)),
            "allowed_schema_fingerprints": "\n".join(policy.allowed_schema_fingerprints),
            "denied_schema_fingerprints": "\n".join(policy.denied_schema_fingerprints),
        }

    def policy_changes(self) -> dict:
        """Keyword arguments for services.policy_update."""
        data = self.cleaned_data
        return {
            "paused": data["paused"],
            "auto_participate": data["auto_participate"],
            # Decimal × 100 is exact for two decimal places; no float ever touches money.
            "min_bounty_minor": int(data["min_bounty"] * 100),
            "max_contributions_per_campaign": data["max_contributions_per_campaign"],
            "allowed_campaign_ids": _split(data["allowed_campaign_ids"]),
            "denied_campaign_ids": _split(data["denied_campaign_ids"]),
            "allowed_schema_fingerprints": _split(data["allowed_schema_fingerprints"]),
            "denied_schema_fingerprints": _split(data["denied_schema_fingerprints"]),
        }
