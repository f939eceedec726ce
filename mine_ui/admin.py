"""Operators see every mine_ui model; tokens stay hidden and imported rows read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from mine_ui.models import Contribution, Dataset, DatasetRow, Mine, MinePolicy, PrivacyBudget
from mine_ui.services import policy_update
from mine_ui.sonar_address import sonar_address_check
from openmined.admin import ReadOnlyModelAdmin
from openmined.money import format_minor


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
    list_display = ("name", "owner", "paused", "sonar_url", "payout_account", "api_token_hint",
                    "created_at")  # fmt: skip
    search_fields = ("name", "owner__username", "payout_account")
    readonly_fields = ("api_token_hint", "created_at")
    fields = ("owner", "name", "sonar_url", "payout_account", "api_token_hint", "new_api_token",
              "created_at")  # fmt: skip
    inlines = [MinePolicyInline, PrivacyBudgetInline]
    list_select_related = ("owner", "policy")
    autocomplete_fields = ("owner",)
    actions = ["pause", "resume"]

    @admin.display(description="paused", boolean=True)
    def paused(self, mine: Mine) -> bool:
        policy = getattr(mine, "policy", None)
        return bool(policy and policy.paused)

    @admin.action(description="Pause the selected mines (they join no campaign until resumed)")
    def pause(self, request: HttpRequest, queryset: QuerySet[Mine]) -> None:
        self._set_paused(request, queryset, paused=True)

    @admin.action(description="Resume the selected mines")
    def resume(self, request: HttpRequest, queryset: QuerySet[Mine]) -> None:
        self._set_paused(request, queryset, paused=False)

    def _set_paused(self, request: HttpRequest, queryset: QuerySet[Mine], *, paused: bool) -> None:
        names = []
        for mine in queryset.order_by("id"):
            policy_update(mine=mine, paused=paused)
            self.log_change(request, mine, "Paused by an operator." if paused else "Resumed.")
            names.append(mine.name)
        verb = "Paused" if paused else "Resumed"
        self.message_user(
            request, f"{verb} {len(names)} mine(s): {', '.join(names)}.", messages.SUCCESS
        )


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
    list_display = ("mine", "paused", "auto_participate", "min_bounty",
                    "max_contributions_per_campaign", "updated_at")  # fmt: skip
    list_filter = ("paused", "auto_participate")
    list_select_related = ("mine",)

    @admin.display(description="minimum bounty", ordering="min_bounty_minor")
    def min_bounty(self, policy: MinePolicy) -> str:
        return format_minor(policy.min_bounty_minor)


@admin.register(PrivacyBudget)
class PrivacyBudgetAdmin(admin.ModelAdmin):
    list_display = ("mine", "epsilon_spent", "epsilon_total", "delta_spent", "delta_total")
    list_select_related = ("mine",)


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyModelAdmin):
    """Written by the mining loop as it talks to Sonar; an edit would misstate the earnings."""

    list_display = ("mine", "campaign_id", "campaign_name", "model_version", "status",
                    "earnings", "created_at")  # fmt: skip
    list_filter = ("status",)
    search_fields = ("mine__name", "campaign_name", "idempotency_key")
    list_select_related = ("mine",)

    @admin.display(description="earnings", ordering="earnings_minor")
    def earnings(self, contribution: Contribution) -> str:
        return format_minor(contribution.earnings_minor or 0)
