"""What every app's admin shares: read-only views of records that only services may write."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Operators may read these rows; only the services that own them may write them.

    Money, gradients, versions and ledger rows change through one service each, which writes
    the ledger entry in the same transaction; an edit here would skip both.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyTabularInline(admin.TabularInline):
    """A read-only table of related rows on a change page (every listed field is shown only)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        # Listing non-editable fields (created_at) as readonly keeps them out of the inline's
        # model form, which would otherwise refuse them and answer 500.
        return list(self.fields or [])

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
