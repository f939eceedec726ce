"""Forms of the account pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from accounts.models import DATA_SCIENTIST, MINER
from accounts.pgp import PgpKeyError, pgp_key_inspect

ROLE_CHOICES = [
    (DATA_SCIENTIST, "Data scientist: I post campaigns and pay for training"),
    (MINER, "Miner: I keep data in a mine and earn from it"),
]


class SignupForm(UserCreationForm):
    """Username, email, password twice, and at least one role."""

    email = forms.EmailField(required=True)
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="One person may be both.",
        error_messages={"required": "Choose at least one role."},
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class PgpKeyForm(forms.Form):
    """Paste an ASCII-armored public key (or nothing, to remove it)."""

    pgp_public_key = forms.CharField(
        label="PGP public key",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text="Final models are encrypted to this key. Export it with "
        "`gpg --armor --export YOUR_EMAIL`.",
    )

    def clean_pgp_public_key(self) -> str:
        armored = self.cleaned_data["pgp_public_key"]
        if armored.strip():
            try:
                pgp_key_inspect(armored=armored)
            except PgpKeyError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return armored


class RolesForm(forms.Form):
    """Which of the two roles one holds; none is allowed (a person may only browse)."""

    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Dropping a role keeps your campaigns and mines; you just cannot make new ones.",
    )


class TokenCreateForm(forms.Form):
    """A name to recognise the token by, and how long it lives."""

    name = forms.CharField(
        max_length=100, help_text="Where you will use it, e.g. 'laptop notebook' or 'home mine'."
    )
    expires_in_days = forms.IntegerField(
        label="Expires in (days)", min_value=1, max_value=365, initial=30
    )
