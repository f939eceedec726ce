"""Account pages: sign up, profile, roles and API tokens (log in/out and password are Django's)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.errors import TokenNotFoundError
from accounts.forms import PgpKeyForm, RolesForm, SignupForm, TokenCreateForm
from accounts.models import ROLES
from accounts.selectors import token_list_live, user_roles
from accounts.services import (
    profile_get_or_create,
    profile_set_pgp_key,
    token_create,
    token_revoke,
    token_revoke_all,
    user_role_add,
    user_role_drop,
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
            "roles_form": RolesForm(initial={"roles": user_roles(user=request.user)}),
            "wallet": wallet_summary_for_user(user=request.user),
        },
    )


@login_required
@require_POST
def roles(request: HttpRequest) -> HttpResponse:
    """Take or drop the data-scientist and miner roles."""
    form = RolesForm(request.POST)
    if form.is_valid():
        wanted = set(form.cleaned_data["roles"])
        for role in ROLES:
            if role in wanted:
                user_role_add(user=request.user, role=role)
            else:
                user_role_drop(user=request.user, role=role)
        held = [r for r in user_roles(user=request.user) if r in ROLES]
        messages.success(request, f"Your roles: {', '.join(held) if held else 'none'}.")
    else:
        messages.error(request, "Choose among the roles listed; nothing was changed.")
    return redirect("accounts:profile")


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """List, create and revoke one's API tokens; a new secret is shown on this answer only."""
    form = TokenCreateForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        created = token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            ttl=timedelta(days=form.cleaned_data["expires_in_days"]),
        )
        form = TokenCreateForm()
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "created": created, "tokens": token_list_live(user=request.user)},
        status=400 if request.method == "POST" and created is None else 200,
    )


@login_required
@require_POST
def token_revoke_page(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one token from the API tokens page."""
    try:
        token_revoke(user=request.user, token_id=token_id)
    except TokenNotFoundError as exc:
        raise Http404(exc.detail) from exc
    messages.success(request, "Token revoked: it no longer works.")
    return redirect("accounts:tokens")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page; a new password also ends every API token issued under the old one."""

    def form_valid(self, form):
        response = super().form_valid(form)
        token_revoke_all(user=form.user)
        return response
