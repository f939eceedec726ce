"""Operators see what the capsule holds, never the wrapped secrets themselves."""

from __future__ import annotations

from django.contrib import admin

from capsule.models import CampaignKey, ModelDelivery, ValidationSet
from openmined.admin import ReadOnlyModelAdmin as ReadOnlyAdmin  # custody rows change via services


@admin.register(CampaignKey)
class CampaignKeyAdmin(ReadOnlyAdmin):
    list_display = ["campaign_id", "algorithm", "bits", "fingerprint", "created_at", "retired_at"]
    list_filter = ["algorithm", "retired_at"]
    search_fields = ["campaign_id", "fingerprint"]
    exclude = ["wrapped_private_key"]


@admin.register(ValidationSet)
class ValidationSetAdmin(ReadOnlyAdmin):
    list_display = ["campaign_id", "adapter", "rows", "sha256", "created_at", "destroyed_at"]
    search_fields = ["campaign_id", "sha256"]
    exclude = ["wrapped_data"]


@admin.register(ModelDelivery)
class ModelDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["campaign_id", "owner", "filename", "pgp_fingerprint", "sha256", "created_at"]
    search_fields = ["campaign_id", "sha256"]
    exclude = ["wrapped_artifact"]
