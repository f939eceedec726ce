"""Operators see and edit profiles beside users."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from accounts.models import Profile


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    readonly_fields = ("pgp_fingerprint", "created_at")


class SonarUserAdmin(UserAdmin):
    inlines = [ProfileInline]


admin.site.unregister(User)
admin.site.register(User, SonarUserAdmin)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "pgp_fingerprint", "created_at")
    search_fields = ("user__username", "pgp_fingerprint")
    readonly_fields = ("pgp_fingerprint", "created_at")
