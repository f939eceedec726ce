"""Mine pages: a person's own mines, datasets, policy, budget and contributions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors import user_is_miner
from mine_ui.forms import MineForm, PolicyForm
from mine_ui.models import Dataset, Mine
from mine_ui.selectors import mine_budget, mine_earnings_minor, mine_list_for_owner, mine_policy
from mine_ui.services import mine_create, policy_update

CONTRIBUTIONS_SHOWN = 20
ROWS_SHOWN = 20


def _own_mine(request: HttpRequest, mine_id: int) -> Mine:
    """The one permission check for a mine: someone else's mine is a 404, not a 403."""
    return get_object_or_404(Mine, pk=mine_id, owner=request.user)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Every mine of the signed-in person, with what it holds, allows, spent and earned."""
    mines = []
    for mine in mine_list_for_owner(owner=request.user).prefetch_related("datasets"):
        mines.append(
            {
                "mine": mine,
                "policy": mine_policy(mine=mine),
                "budget": mine_budget(mine=mine),
                "datasets": list(mine.datasets.all()),
                "contributions": list(mine.contributions.all()[:CONTRIBUTIONS_SHOWN]),
                "earnings_minor": mine_earnings_minor(mine=mine),
            }
        )
    return render(
        request,
        "mine_ui/index.html",
        {"mines": mines, "form": MineForm(), "can_create": user_is_miner(user=request.user)},
    )


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    """Create a mine (miners only)."""
    if not user_is_miner(user=request.user):
        return render(
            request,
            "mine_ui/forbidden.html",
            {"detail": "Only people with the miner role can create mines."},
            status=403,
        )
    form = MineForm(request.POST)
    if form.is_valid():
        try:
            mine = mine_create(owner=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Mine '{mine.name}' created. It joins nothing until you import data and turn on "
                "automatic participation in its policy.",
            )
            return redirect("mine_ui:index")
    return render(request, "mine_ui/create.html", {"form": form}, status=400)


@login_required
def policy(request: HttpRequest, mine_id: int) -> HttpResponse:
    """Show and change which campaigns the mine may join."""
    mine = _own_mine(request, mine_id)
    current = mine_policy(mine=mine)
    form = PolicyForm(request.POST or None, initial=PolicyForm.initial_for(current))
    if request.method == "POST" and form.is_valid():
        try:
            policy_update(mine=mine, **form.policy_changes())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Policy of '{mine.name}' saved.")
            return redirect("mine_ui:index")
    return render(
        request,
        "mine_ui/policy.html",
        {"mine": mine, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def dataset(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """One dataset: its schemas and its first rows (the owner's own data, shown to the owner)."""
    found = get_object_or_404(
        Dataset.objects.select_related("mine"), pk=dataset_id, mine__owner=request.user
    )
    rows = list(found.rows.order_by("index").values_list("values", flat=True)[:ROWS_SHOWN])
    names = found.schema.names + (found.output.names if found.output else [])
    return render(
        request,
        "mine_ui/dataset.html",
        {
            "dataset": found,
            "names": names,
            "rows": [[row.get(name) for name in names] for row in rows],
            "rows_shown": ROWS_SHOWN,
        },
    )
