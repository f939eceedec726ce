"""Operators see and edit profiles beside users."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from accounts.models import Profile
from accounts.services import token_revoke_all


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    readonly_fields = ("pgp_fingerprint", "created_at")


class SonarUserAdmin(UserAdmin):
    inlines = [ProfileInline]

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
