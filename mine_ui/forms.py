"""Forms of the Mine pages: a mine, its policy (with pickers), its budget, and an import."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from adapters import ADAPTERS, Schema, SchemaError
from mine_ui.imports import SUFFIXES
from mine_ui.models import MinePolicy, PrivacyBudget
from mine_ui.services import MAX_EPSILON_PER_CONTRIBUTION, MAX_EPSILON_TOTAL

INFER = "infer"
SUFFIX_ADAPTERS = {
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "text",
}


class MineForm(forms.Form):
    """Name, payout account, and optionally a remote Sonar with its API token."""

    name = forms.CharField(max_length=100)
    payout_account = forms.CharField(
        max_length=64,
        required=False,
        help_text='Your wallet, where earnings are paid (it starts with "acct_"). Filled in '
        "for you; leave it as it is unless you know better.",
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


def _campaign_choices(campaigns: Iterable[Mapping], stored: Iterable[int]) -> list[tuple[str, str]]:
    choices: list[tuple[str, str]] = []
    seen: set[int] = set()
    for campaign in campaigns:
        campaign_id = campaign.get("id")
        if isinstance(campaign_id, int) and campaign_id not in seen:
            seen.add(campaign_id)
            choices.append(
                (str(campaign_id), f"{campaign.get('name') or 'unnamed'} (#{campaign_id})")
            )
    for campaign_id in stored:
        if campaign_id not in seen:
            choices.append((str(campaign_id), f"campaign #{campaign_id} (not open now)"))
    return choices


def schema_choices(campaigns: Iterable[Mapping], stored: Iterable[str]) -> list[tuple[str, str]]:
    """Input schemas of the open campaigns, by fingerprint, named by campaign and fields."""
    named: dict[str, list[str]] = {}
    fields: dict[str, str] = {}
    for campaign in campaigns:
        try:
            schema = Schema.from_json(campaign.get("input_schema"))
        except SchemaError:
            continue
        fingerprint = schema.fingerprint()
        named.setdefault(fingerprint, []).append(str(campaign.get("name") or campaign.get("id")))
        names = ", ".join(schema.names[:4]) + (", …" if len(schema.names) > 4 else "")
        fields[fingerprint] = f"{len(schema.names)} fields: {names}"
    choices = [
        (fingerprint, f"{' / '.join(campaigns_named)} ({fields[fingerprint]})")
        for fingerprint, campaigns_named in named.items()
    ]
    for fingerprint in stored:
        if fingerprint not in named:
            choices.append((fingerprint, f"schema {fingerprint[:12]}… (no open campaign uses it)"))
    return choices


class PolicyForm(forms.Form):
    """The policy in words and numbers; campaigns and schemas are picked from open campaigns."""

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
    allowed_campaign_ids = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Only these campaigns",
        help_text="None ticked means any campaign.",
    )
    denied_campaign_ids = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Never these campaigns"
    )
    allowed_schema_fingerprints = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Only these input schemas",
        help_text="None ticked means any schema.",
    )
    denied_schema_fingerprints = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Never these input schemas"
    )

    def __init__(
        self, *args: object, policy: MinePolicy, campaigns: list[Mapping], **kwargs: object
    ) -> None:
        kwargs.setdefault("initial", self.initial_for(policy))
        super().__init__(*args, **kwargs)
        stored_ids = [*policy.allowed_campaign_ids, *policy.denied_campaign_ids]
        stored_schemas = [*policy.allowed_schema_fingerprints, *policy.denied_schema_fingerprints]
        for name in ("allowed_campaign_ids", "denied_campaign_ids"):
            self.fields[name].choices = _campaign_choices(campaigns, stored_ids)
        for name in ("allowed_schema_fingerprints", "denied_schema_fingerprints"):
            self.fields[name].choices = schema_choices(campaigns, stored_schemas)

    @staticmethod
    def initial_for(policy: MinePolicy) -> dict:
        """Form values showing the stored policy."""
        whole, cents = divmod(policy.min_bounty_minor, 100)
        return {
            "paused": policy.paused,
            "auto_participate": policy.auto_participate,
            "min_bounty": Decimal(f"{whole}.{cents:02d}"),
            "max_contributions_per_campaign": policy.max_contributions_per_campaign,
            "allowed_campaign_ids": [str(i) for i in policy.allowed_campaign_ids],
            "denied_campaign_ids": [str(i) for i in policy.denied_campaign_ids],
            "allowed_schema_fingerprints": list(policy.allowed_schema_fingerprints),
            "denied_schema_fingerprints": list(policy.denied_schema_fingerprints),
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
            "allowed_campaign_ids": data["allowed_campaign_ids"],
            "denied_campaign_ids": data["denied_campaign_ids"],
            "allowed_schema_fingerprints": data["allowed_schema_fingerprints"],
            "denied_schema_fingerprints": data["denied_schema_fingerprints"],
        }


class BudgetForm(forms.Form):
    """The privacy budget: totals and what each contribution spends."""

    epsilon_total = forms.DecimalField(
        min_value=Decimal("0"),
        max_value=MAX_EPSILON_TOTAL,
        max_digits=24,
        decimal_places=12,
        label="ε in all",
        help_text=f"What the mine may ever spend (at most {MAX_EPSILON_TOTAL}).",
    )
    epsilon_per_contribution = forms.DecimalField(
        min_value=Decimal("0"),
        max_value=MAX_EPSILON_PER_CONTRIBUTION,
        max_digits=24,
        decimal_places=12,
        label="ε per contribution",
        help_text="Smaller means more noise: more privacy, less accuracy. 0 sends exact gradients.",
    )
    delta_total = forms.DecimalField(
        min_value=Decimal("0"), max_value=Decimal("1"), max_digits=24, decimal_places=12,
        label="δ in all",
    )  # fmt: skip
    delta_per_contribution = forms.DecimalField(
        min_value=Decimal("0"), max_value=Decimal("1"), max_digits=24, decimal_places=12,
        label="δ per contribution",
    )  # fmt: skip

    @staticmethod
    def initial_for(budget: PrivacyBudget) -> dict:
        return {
            name: getattr(budget, name).normalize()
            for name in (
                "epsilon_total",
                "epsilon_per_contribution",
                "delta_total",
                "delta_per_contribution",
            )
        }


def upload_max_bytes() -> int:
    return settings.MINE_UPLOAD_MAX_BYTES


class ImportForm(forms.Form):
    """Step 1 of an import: the file, its format, a name, and where its schema comes from."""

    file = forms.FileField(label="Data file", help_text="CSV, JSON, JSON Lines or text.")
    adapter = forms.ChoiceField(
        label="Format",
        choices=[("", "from the file's extension")] + [(name, name) for name in ADAPTERS],
        required=False,
    )
    name = forms.CharField(
        max_length=100, required=False, label="Dataset name", help_text="Default: the file's name."
    )
    schema_source = forms.ChoiceField(
        label="Schema",
        help_text="A campaign's schema makes the dataset match it exactly, so the mine can join.",
    )
    target = forms.CharField(
        required=False,
        max_length=200,
        label="Label column",
        help_text="When the schema is inferred: the column holding what to learn.",
    )

    def __init__(self, *args: object, campaigns: list[Mapping], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (f"campaign:{campaign['id']}", f"Campaign {campaign.get('name')} (#{campaign['id']})")
            for campaign in campaigns
            if isinstance(campaign.get("id"), int)
        ]
        self.fields["schema_source"].choices = [
            *choices,
            (INFER, "Infer it from the file (CSV)"),
        ]
        self.fields["file"].help_text += f" At most {filesizeformat(upload_max_bytes())}."

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > upload_max_bytes():
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the page takes at most "
                f"{filesizeformat(upload_max_bytes())}. Import bigger files with "
                "`python manage.py mine_import`."
            )
        return upload

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("file")
        if upload is not None and not data.get("adapter"):
            adapter = SUFFIXES.get(Path(upload.name).suffix.lower())
            if adapter is None:
                self.add_error(
                    "adapter", f"Cannot tell the format of '{upload.name}'; pick one here."
                )
            data["adapter"] = adapter
        if data.get("schema_source") == INFER and data.get("adapter") not in (None, "csv"):
            self.add_error(
                "schema_source",
                "Only a CSV file's schema can be inferred; pick a campaign's schema instead.",
            )
        return data


class MappingForm(forms.Form):
    """Step 2 of a CSV import: which column of the file fills each field of the schema."""

    def __init__(self, *args: object, fields: list[str], columns: list[str], **kwargs: object):
        super().__init__(*args, **kwargs)
        choices = [("", "— pick a column —")] + [(column, column) for column in columns]
        for name in fields:
            self.fields[f"field:{name}"] = forms.ChoiceField(
                label=name, choices=choices, initial=name if name in columns else ""
            )

    def mapping(self) -> dict[str, str]:
        return {
            key.removeprefix("field:"): value
            for key, value in self.cleaned_data.items()
            if key.startswith("field:")
        }
