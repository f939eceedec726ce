"""Operators see every mine_ui model; tokens stay hidden and imported rows read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from mine_ui.models import Contribution, Dataset, DatasetRow, Mine, MinePolicy, PrivacyBudget
from mine_ui.sonar_address import sonar_address_check


class MineAdminForm(forms.ModelForm):
    """The API token is write-only: a blank field keeps the stored token."""

    sonar_url = forms.URLField(required=False, assume_scheme="https")
    new_api_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave blank to keep the current token.",
    )

    class Meta:
        model = Mine
        fields = ("owner", "name", "sonar_url", "payout_account")

    def clean_sonar_url(self) -> str:
        return sonar_address_check(self.cleaned_data.get("sonar_url") or "")

    def save(self, commit: bool = True) -> Mine:
        mine = super().save(commit=False)
        if self.cleaned_data.get("new_api_token"):
            mine.api_token = self.cleaned_data["new_api_token"].strip()
        if commit:
            mine.save()
        return mine


class MinePolicyInline(admin.StackedInline):
    model = MinePolicy
    can_delete = False


class PrivacyBudgetInline(admin.StackedInline):
    model = PrivacyBudget
    can_delete = False


@admin.register(Mine)
class MineAdmin(admin.ModelAdmin):
    form = MineAdminForm
    list_display = ("name", "owner", "sonar_url", "payout_account", "api_token_hint", "created_at")
    search_fields = ("name", "owner__username", "payout_account")
    readonly_fields = ("api_token_hint", "created_at")
    fields = ("owner", "name", "sonar_url", "payout_account", "api_token_hint", "new_api_token",
              "created_at")  # fmt: skip
    inlines = [MinePolicyInline, PrivacyBudgetInline]
    list_select_related = ("owner",)


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("name", "mine", "adapter", "row_count", "schema_fingerprint", "imported_at")
    list_filter = ("adapter",)
    search_fields = ("name", "mine__name", "schema_fingerprint")
    list_select_related = ("mine",)
    # Rows come from an import and must match the schema; edits would break both.
    readonly_fields = (
        "mine", "input_schema", "output_schema", "adapter", "row_count", "schema_fingerprint",
        "output_fingerprint", "imported_at",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(DatasetRow)
class DatasetRowAdmin(admin.ModelAdmin):
    list_display = ("dataset", "index")
    list_select_related = ("dataset", "dataset__mine")
    search_fields = ("dataset__name",)
    readonly_fields = ("dataset", "index", "values")
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DatasetRow | None = None) -> bool:
        return False


@admin.register(MinePolicy)
class MinePolicyAdmin(admin.ModelAdmin):
    list_display = ("mine", "paused", "auto_participate", "min_bounty_minor",
                    "max_contributions_per_campaign", "updated_at")  # fmt: skip
    list_filter = ("paused", "auto_participate")
    list_select_related = ("mine",)


@admin.register(PrivacyBudget)
class PrivacyBudgetAdmin(admin.ModelAdmin):
    list_display = ("mine", "epsilon_spent", "epsilon_total", "delta_spent", "delta_total")
    list_select_related = ("mine",)


@admin.register(Contribution)
class ContributionAdmin(admin.ModelAdmin):
    list_display = ("mine", "campaign_id", "campaign_name", "model_version", "status",
                    "earnings_minor", "created_at")  # fmt: skip
    list_filter = ("status",)
    search_fields = ("mine__name", "campaign_name", "idempotency_key")
    list_select_related = ("mine",)
    readonly_fields = ("idempotency_key", "created_at", "updated_at")
