"""Operators see every campaign, version, gradient and payout, and act through services only.

Versions, gradients and payouts are written by the evaluation and settlement services together
with their ledger entries, so here they are read-only. Campaigns change state through actions
that call the same services the owner's buttons do.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from openmined.admin import ReadOnlyModelAdmin, ReadOnlyTabularInline
from openmined.errors import DomainError
from openmined.money import format_minor, format_ppm
from sonar_ui import services
from sonar_ui.models import Campaign, GradientSubmission, ModelVersion, Payout


def _money(field: str, description: str):
    @admin.display(description=description, ordering=field)
    def show(self, obj) -> str:
        return format_minor(getattr(obj, field))

    return show


def _accuracy(field: str, description: str):
    @admin.display(description=description, ordering=field)
    def show(self, obj) -> str:
        return format_ppm(getattr(obj, field))

    return show


class VersionInline(ReadOnlyTabularInline):
    model = ModelVersion
    fields = ("number", "accuracy", "blob_address", "gradient", "created_at")
    accuracy = _accuracy("accuracy_ppm", "accuracy")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "status", "algorithm", "bounty", "spent", "best_accuracy",
                    "target_accuracy", "current_version", "created_at")  # fmt: skip
    list_filter = ("status", "algorithm")
    search_fields = ("name", "owner__username")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    # Only the description and the deadline are the operator's to edit; everything else is the
    # campaign's history, changed by services and recorded in the ledger.
    readonly_fields = ("owner", "name", "status", "completion_reason", "algorithm", "n_features",
                       "n_classes", "learning_rate", "fit_intercept", "min_other_accepted",
                       "bounty", "spent", "remaining", "target_accuracy", "claimed_start_accuracy",
                       "start_accuracy", "best_accuracy", "current_version", "input_schema",
                       "output_schema", "result_sha256", "created_at", "launched_at",
                       "completed_at", "settled_at")  # fmt: skip
    fields = ("name", "owner", "status", "completion_reason", "description", "deadline",
              "algorithm", "n_features", "n_classes", "learning_rate", "fit_intercept",
              "min_other_accepted", "bounty", "spent", "remaining", "target_accuracy",
              "claimed_start_accuracy", "start_accuracy", "best_accuracy", "current_version",
              "input_schema", "output_schema", "result_sha256", "created_at", "launched_at",
              "completed_at", "settled_at")  # fmt: skip
    inlines = [VersionInline]
    actions = ["close_and_settle", "cancel_drafts", "reenqueue_evaluation"]

    bounty = _money("bounty_minor", "bounty")
    spent = _money("spent_minor", "spent")
    best_accuracy = _accuracy("best_accuracy_ppm", "best accuracy")
    target_accuracy = _accuracy("target_accuracy_ppm", "target")
    start_accuracy = _accuracy("start_accuracy_ppm", "measured starting accuracy")
    claimed_start_accuracy = _accuracy("claimed_start_accuracy_ppm", "claimed starting accuracy")

    @admin.display(description="remaining")
    def remaining(self, campaign: Campaign) -> str:
        return format_minor(campaign.remaining_minor)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A campaign needs checked schemas and validation data in the capsule: people create
        # them in Sonar (page or API), where campaign_create checks all of it.
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # its versions, gradients and ledger entries refer to it

    @admin.action(description="Close and settle the selected open campaigns")
    def close_and_settle(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        for campaign in queryset.order_by("id"):
            if campaign.status == Campaign.Status.DRAFT:
                self.message_user(
                    request,
                    f"'{campaign.name}' is a draft; use “Cancel the selected drafts” instead.",
                    messages.WARNING,
                )
            elif campaign.status == Campaign.Status.COMPLETED and campaign.settled_at is None:
                # Completed but never settled (a lost message): run the settlement again.
                services.settlement_enqueue(campaign.id)
                self.log_change(request, campaign, "Settlement enqueued again by an operator.")
                self.message_user(request, f"Settlement of '{campaign.name}' enqueued again.")
            else:
                self._end(request, campaign, done="closed; settlement is under way")

    @admin.action(description="Cancel the selected drafts")
    def cancel_drafts(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        for campaign in queryset.order_by("id"):
            if campaign.status != Campaign.Status.DRAFT:
                self.message_user(
                    request,
                    f"'{campaign.name}' is {campaign.status}, not a draft; nothing was cancelled. "
                    "Close an open campaign with “Close and settle”.",
                    messages.WARNING,
                )
                continue
            self._end(request, campaign, done="cancelled")

    def _end(self, request: HttpRequest, campaign: Campaign, *, done: str) -> None:
        try:
            services.campaign_close_by_operator(campaign_id=campaign.id, operator=request.user)
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.log_change(request, campaign, f"{done.capitalize()} by an operator.")
        self.message_user(request, f"'{campaign.name}' {done}.")

    @admin.action(description="Re-enqueue the evaluation of waiting gradients")
    def reenqueue_evaluation(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        from sonar_ui.tasks import campaign_evaluate_pending

        waiting = [GradientSubmission.Status.PENDING, GradientSubmission.Status.EVALUATING]
        for campaign in queryset.order_by("id"):
            count = campaign.gradients.filter(status__in=waiting).count()
            if campaign.status != Campaign.Status.OPEN or not count:
                self.message_user(
                    request,
                    f"'{campaign.name}' has no gradient waiting for evaluation "
                    f"({campaign.status}); nothing was enqueued.",
                    messages.WARNING,
                )
                continue
            transaction.on_commit(lambda cid=campaign.id: campaign_evaluate_pending.delay(cid))
            self.log_change(request, campaign, "Evaluation re-enqueued by an operator.")
            self.message_user(
                request, f"Evaluation of {count} waiting gradient(s) of '{campaign.name}' enqueued."
            )


@admin.register(GradientSubmission)
class GradientSubmissionAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "campaign", "submitted_by", "status", "score", "delta", "payout",
                    "created_at", "evaluated_at")  # fmt: skip
    list_filter = ("status",)
    search_fields = ("campaign__name", "submitted_by__username", "payout_account")
    list_select_related = ("campaign", "submitted_by")
    score = _accuracy("score_ppm", "score")
    delta = _accuracy("delta_ppm", "improvement")
    payout = _money("payout_minor", "payout")


@admin.register(Payout)
class PayoutAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "campaign", "gradient_id", "payout_account", "amount", "status",
                    "created_at", "settled_at")  # fmt: skip
    list_filter = ("status",)
    search_fields = ("campaign__name", "payout_account")
    list_select_related = ("campaign",)
    amount = _money("amount_minor", "amount")


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyModelAdmin):
    list_display = ("campaign", "number", "accuracy", "gradient_id", "created_at")
    search_fields = ("campaign__name",)
    list_select_related = ("campaign",)
    accuracy = _accuracy("accuracy_ppm", "accuracy")
