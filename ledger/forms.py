"""The ledger explorer's filter: by kind, campaign and account."""

from __future__ import annotations

from django import forms

from ledger.models import EntryKind


class EntryFilterForm(forms.Form):
    """Every field optional; an empty form lists the whole chain, newest first."""

    kind = forms.ChoiceField(
        required=False, choices=[("", "any kind"), *[(k, k) for k in EntryKind.values]]
    )
    campaign = forms.IntegerField(
        required=False, min_value=1, label="Campaign id", widget=forms.NumberInput()
    )
    account = forms.RegexField(
        required=False,
        regex=r"^acct_[A-Za-z0-9_-]{1,35}$",
        max_length=40,
        label="Account",
        help_text="A public account id such as acct_3kT9…",
        error_messages={
            "invalid": "An account id starts with acct_ followed by letters, digits, - or _; "
            "copy it from an entry or your wallet page."
        },
    )
