"""The data scientist's forms: a validation file, its columns, a campaign's terms, a deposit."""

from __future__ import annotations

import json
from decimal import Decimal

import django_filters
from django import forms

from adapters.schema import FIELD_TYPES, OUTPUT_TYPES
from openmined.parsers import json_loads_bounded
from sonar_ui.models import Algorithm, Campaign, GradientSubmission

# One line each, shown beside the choice: what the algorithm predicts and what target it needs.
ALGORITHM_HELP = {
    Algorithm.LINEAR_REGRESSION: "predicts a number (a price, a score); the target column is a "
    "number (float or int).",
    Algorithm.LOGISTIC_REGRESSION: "predicts yes or no; the target column is true/false (bool).",
    Algorithm.LOGISTIC_REGRESSION_OVR: "picks one of several classes, one model per class; the "
    "target column is a category.",
    Algorithm.LOGISTIC_REGRESSION_OVO: "picks one of several classes, one model per pair of "
    "classes (better when a class lies between two others); the target is a category.",
}
ALGORITHM_FOR_TYPE = {
    "float": Algorithm.LINEAR_REGRESSION,
    "int": Algorithm.LINEAR_REGRESSION,
    "bool": Algorithm.LOGISTIC_REGRESSION,
    "category": Algorithm.LOGISTIC_REGRESSION_OVR,
}
TYPE_LABELS = {
    "float": "number (float)",
    "int": "whole number (int)",
    "bool": "true/false (bool)",
    "category": "category",
    "text": "text (hashed)",
}


class JsonListField(forms.CharField):
    """A textarea holding a JSON list (empty means none)."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "mono"})

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            parsed = json_loads_bounded(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"This is not valid JSON: {exc.msg} at line {exc.lineno}."
            ) from exc
        except ValueError as exc:
            raise forms.ValidationError(f"This is not usable JSON: {exc}.") from exc
        if not isinstance(parsed, list):
            raise forms.ValidationError("Give a JSON list of numbers, e.g. [0.1, -0.2, 0].")
        return parsed

    def prepare_value(self, value):
        return json.dumps(value) if isinstance(value, list) else value


class ValidationFileForm(forms.Form):
    """Step 1: the validation file, whose columns become the campaign's schema."""

    validation_file = forms.FileField()

    def __init__(self, *args, max_bytes: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["validation_file"].help_text = (
            f"CSV with a header line, a JSON array of objects, or JSON Lines (.jsonl), at most "
            f"{max_bytes / 1_048_576:g} MB, with the input columns and the column to predict. "
            "It waits on the server for you alone until the draft is saved (24 hours at most); "
            "then only the capsule keeps it, encrypted."
        )


class CampaignTermsForm(forms.Form):
    """What a draft promises: name, bounty, target, hyper-parameters; editable until launch."""

    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    bounty = forms.DecimalField(
        min_value=Decimal("0.01"),
        decimal_places=2,
        help_text="Moved from your wallet into escrow at launch; mines earn from it.",
    )
    target_accuracy = forms.FloatField(
        min_value=0.01, max_value=100, initial=90, help_text="Percent (R² for regression)."
    )
    payout_basis = forms.ChoiceField(
        label="How each accepted gradient is paid",
        choices=[
            ("target", "accuracy gained ÷ the target, times the escrowed amount (the "
             "seed's rule); what is left when the target is reached comes back to you"),
            ("gap", "accuracy gained ÷ (target − starting accuracy), times the escrowed amount: "
             "reaching the target spends all of it"),
        ],
        initial="target",
        required=False,  # left out: the seed's rule
        widget=forms.RadioSelect,
    )  # fmt: skip
    learning_rate = forms.FloatField(min_value=0.000001, max_value=100, initial=0.5)
    min_other_accepted = forms.IntegerField(
        label="Turns between a mine's gradients",
        min_value=0, max_value=1000, initial=0,
        help_text="A mine's next gradient is accepted only after this many accepted from other "
        "mines, so no one mine takes the campaign over (0: no rule).",
    )  # fmt: skip
    claimed_start_accuracy = forms.FloatField(
        required=False, min_value=0, max_value=100, label="Claimed starting accuracy",
        help_text="Percent, optional. Shown beside the capsule's own measurement at launch.",
    )  # fmt: skip
    deadline = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="UTC, optional. At the deadline the campaign ends and settles.",
    )
    initial_weights = JsonListField(
        required=False,
        help_text="Optional: a JSON list, one number per input column plus the bias last "
        "(per class, a list of lists). Empty: start from zeros.",
    )

    def terms(self) -> dict:
        """The cleaned fields as the services take them (minor units, fractions)."""
        data = self.cleaned_data
        claimed = data.get("claimed_start_accuracy")
        return {
            "name": data["name"],
            "description": data["description"],
            "bounty_minor": int(data["bounty"] * 100),
            "target_accuracy": data["target_accuracy"] / 100,
            "learning_rate": data["learning_rate"],
            "min_other_accepted": data["min_other_accepted"],
            "payout_basis": data.get("payout_basis") or "target",
            "claimed_start_accuracy": None if claimed is None else claimed / 100,
            "deadline": data.get("deadline"),
            "initial_weights": data.get("initial_weights"),
        }

    @staticmethod
    def initial_for(campaign: Campaign) -> dict:
        claimed = campaign.claimed_start_accuracy_ppm
        return {
            "name": campaign.name,
            "description": campaign.description,
            "bounty": (Decimal(campaign.bounty_minor) / 100).quantize(Decimal("0.01")),
            "target_accuracy": campaign.target_accuracy_ppm / 10_000,
            "learning_rate": campaign.learning_rate,
            "min_other_accepted": campaign.min_other_accepted,
            "payout_basis": campaign.payout_basis,
            "claimed_start_accuracy": None if claimed is None else claimed / 10_000,
            "deadline": campaign.deadline,
            "initial_weights": campaign.initial_weights,
        }


class CampaignFromFileForm(CampaignTermsForm):
    """Step 2: which column to predict, each column's type, the algorithm, and the terms."""

    target = forms.ChoiceField(label="Column to predict", widget=forms.RadioSelect)
    algorithm = forms.ChoiceField(
        widget=forms.RadioSelect,
        choices=[(a.value, f"{a.label}: {ALGORITHM_HELP[a]}") for a in Algorithm],
    )
    field_order = ["name", "description", "target", "algorithm"]

    def __init__(self, *args, columns: list[dict], **kwargs) -> None:
        self.columns = columns
        last = columns[-1]
        kwargs.setdefault(
            "initial",
            {
                "target": last["name"],
                "algorithm": ALGORITHM_FOR_TYPE.get(last["type"], Algorithm.LINEAR_REGRESSION),
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(c["name"], c["name"]) for c in columns]
        for index, column in enumerate(columns):
            types = [t for t in FIELD_TYPES if t != "category" or column["categories"]]
            self.fields[f"type_{index}"] = forms.ChoiceField(
                label=f"Type of {column['name']}",
                choices=[(t, TYPE_LABELS[t]) for t in types],
                initial=column["type"],
            )

    def clean(self):
        data = super().clean()
        target = data.get("target")
        for index, column in enumerate(self.columns):
            if column["name"] == target and data.get(f"type_{index}") not in OUTPUT_TYPES:
                self.add_error(
                    f"type_{index}",
                    f"The column to predict must be a number, true/false or a category, "
                    f"not {data.get(f'type_{index}')}.",
                )
        return data

    def types(self) -> dict[str, str]:
        return {
            column["name"]: self.cleaned_data[f"type_{index}"]
            for index, column in enumerate(self.columns)
        }

    def rows(self) -> list[dict]:
        """One row per column for the table: name, example, target radio, type select."""
        radios = list(self["target"])
        return [
            {"column": column, "radio": radios[index], "type": self[f"type_{index}"]}
            for index, column in enumerate(self.columns)
        ]


class CampaignFilter(django_filters.FilterSet):
    """The campaign list: by status, sorted by any column."""

    status = django_filters.ChoiceFilter(
        choices=[*Campaign.Status.choices, ("launching", "launching")], empty_label="any status"
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("status", "status"),
            ("algorithm", "algorithm"),
            ("bounty_minor", "bounty"),
            ("spent_minor", "paid"),
            ("best_accuracy_ppm", "best"),
            ("target_accuracy_ppm", "target"),
            ("current_version", "version"),
            ("created_at", "created"),
        ),
        empty_label="newest first",
    )

    class Meta:
        model = Campaign
        fields = ["status"]


class GradientFilter(django_filters.FilterSet):
    """A campaign's gradients by status."""

    status = django_filters.ChoiceFilter(
        choices=GradientSubmission.Status.choices, empty_label="any status"
    )

    class Meta:
        model = GradientSubmission
        fields = ["status"]


class DepositRequestForm(forms.Form):
    """Ask an operator to credit the wallet."""

    amount = forms.DecimalField(
        min_value=Decimal("0.01"), decimal_places=2, help_text="How much to add to your wallet."
    )
    note = forms.CharField(
        required=False,
        max_length=300,
        help_text="Optional: how you paid, a reference the operator can check.",
    )
