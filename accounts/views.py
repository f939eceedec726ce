"""Account pages: sign up and profile; log out and password change are Django's, plus tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.forms import PgpKeyForm, SignupForm
from accounts.selectors import user_roles
from accounts.services import (
    profile_get_or_create,
    profile_set_pgp_key,
    token_revoke_all,
    user_signup,
)
from ledger.selectors import wallet_summary_for_user


def signup(request: HttpRequest) -> HttpResponse:
    """Create an account and sign in."""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_signup(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            roles=form.cleaned_data["roles"],
        )
        login(request, user)
        messages.success(request, f"Welcome, {user.username}.")
        return redirect("accounts:profile")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Show roles and PGP fingerprint; set or remove the PGP key."""
    profile_row = profile_get_or_create(user=request.user)
    form = PgpKeyForm(request.POST or None, initial={"pgp_public_key": profile_row.pgp_public_key})
    if request.method == "POST" and form.is_valid():
        profile_row = profile_set_pgp_key(
            user=request.user, armored=form.cleaned_data["pgp_public_key"]
        )
        if profile_row.pgp_fingerprint:
            messages.success(request, f"PGP key saved: fingerprint {profile_row.pgp_fingerprint}.")
        else:
            messages.success(request, "PGP key removed.")
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "profile": profile_row,
            "roles": user_roles(user=request.user),
            "wallet": wallet_summary_for_user(user=request.user),
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page; a new password also ends every API token issued under the old one."""

    def form_valid(self, form):
        response = super().form_valid(form)
        token_revoke_all(user=form.user)
        return response


class LogoutView(auth_views.LogoutView):
    """Django's sign-out; it also ends the person's API tokens, so a stolen one dies with it."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            token_revoke_all(user=request.user)
        return super().post(request, *args, **kwargs)
