"""Operators see every campaign, version, gradient and payout; money fields are read-only."""

from django.contrib import admin

from sonar_ui.models import Campaign, GradientSubmission, ModelVersion, Payout


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class VersionInline(ReadOnlyInline):
    model = ModelVersion
    fields = ("number", "accuracy_ppm", "blob_address", "gradient", "created_at")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "status", "algorithm", "bounty_minor", "spent_minor",
                    "best_accuracy_ppm", "current_version", "created_at")  # fmt: skip
    list_filter = ("status", "algorithm")
    search_fields = ("name", "owner__username")
    readonly_fields = ("bounty_minor", "spent_minor", "start_accuracy_ppm", "best_accuracy_ppm",
                       "current_version", "result_sha256", "launched_at", "completed_at",
                       "settled_at", "created_at")  # fmt: skip
    inlines = [VersionInline]


@admin.register(GradientSubmission)
class GradientSubmissionAdmin(admin.ModelAdmin):
    list_display = ("id", "campaign", "submitted_by", "status", "score_ppm", "delta_ppm",
                    "payout_minor", "created_at")  # fmt: skip
    list_filter = ("status",)
    search_fields = ("campaign__name", "submitted_by__username", "payout_account")
    readonly_fields = [f.name for f in GradientSubmission._meta.fields]


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = ("id", "campaign", "payout_account", "amount_minor", "status", "settled_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Payout._meta.fields]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("campaign", "number", "accuracy_ppm", "created_at")
    readonly_fields = [f.name for f in ModelVersion._meta.fields]
