"""The data scientist's campaign form."""

from __future__ import annotations

import json

from django import forms

from openmined.parsers import json_loads_bounded
from sonar_ui.models import Algorithm

SCHEMA_HELP = (
    'A JSON list of fields, e.g. [{"name": "age", "type": "float"}, '
    '{"name": "smoker", "type": "bool"}]. Types: float, int, bool, category (with "categories"), '
    'text (with "hash_features").'
)


class JsonListField(forms.CharField):
    """A textarea holding a JSON list."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "mono"})

    def to_python(self, value):
        text = super().to_python(value)
        try:
            parsed = json_loads_bounded(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"This is not valid JSON: {exc.msg} at line {exc.lineno}."
            ) from exc
        except ValueError as exc:
            raise forms.ValidationError(f"This is not usable JSON: {exc}.") from exc
        if not isinstance(parsed, list):
            raise forms.ValidationError("Give a JSON list of fields.")
        return parsed


class CampaignForm(forms.Form):
    """Everything a draft needs, plus the validation CSV."""

    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    algorithm = forms.ChoiceField(choices=Algorithm.choices)
    input_schema = JsonListField(help_text=SCHEMA_HELP)
    output_schema = JsonListField(
        help_text="One field: float for regression, bool for yes/no, category for classes, e.g. "
        '[{"name": "progression", "type": "float"}].'
    )
    bounty = forms.DecimalField(min_value=0.01, decimal_places=2, help_text="In your currency.")
    target_accuracy = forms.FloatField(
        min_value=0.01, max_value=100, initial=100, help_text="Percent (R² for regression)."
    )
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
    validation_file = forms.FileField(
        help_text="CSV with a header: the input fields and the output field. Only the capsule "
        "reads it. After an error, choose the file again: browsers do not keep it."
    )
