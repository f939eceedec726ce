"""Operators see and edit profiles beside users, and can revoke a person's API tokens."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import Profile
from accounts.services import token_revoke_all


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    readonly_fields = ("pgp_fingerprint", "created_at")


class SonarUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    actions = ["revoke_api_tokens"]

    @admin.action(description="Revoke every API token of the selected people")
    def revoke_api_tokens(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset.order_by("username"):
            revoked = token_revoke_all(user=user)
            self.log_change(request, user, f"Revoked {revoked} API token(s).")
            self.message_user(
                request,
                f"Revoked {revoked} API token(s) of {user.username}; "
                "their clients must sign in again.",
                messages.SUCCESS,
            )

    def user_change_password(self, request, id, form_url=""):
        """Django's page; a password the operator sets also ends the person's API tokens."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            token_revoke_all(user=self.get_object(request, unquote(id)))
        return response


admin.site.unregister(User)
admin.site.register(User, SonarUserAdmin)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "pgp_fingerprint", "created_at")
    search_fields = ("user__username", "pgp_fingerprint")
    readonly_fields = ("pgp_fingerprint", "created_at")
    autocomplete_fields = ("user",)


# API tokens are accounts.ApiToken (hashed, named, expiring); DRF's own token table only held the
# tokens the migration moved over, and its admin would list raw secrets. Revoke tokens with the
# "Revoke API tokens" action on people instead.
try:
    from rest_framework.authtoken.models import TokenProxy

    admin.site.unregister(TokenProxy)
except (ImportError, admin.sites.NotRegistered):
    pass
