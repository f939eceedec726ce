"""Mine pages: a person's own mines, each with its data, policy, budget, campaigns and money."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors import user_is_miner
from mine_ui import remote
from mine_ui.charts import earnings_chart
from mine_ui.earnings import mine_earnings, mine_earnings_by_day
from mine_ui.forms import BudgetForm, MineForm, PolicyForm
from mine_ui.models import Dataset, Mine
from mine_ui.policy import campaign_verdicts
from mine_ui.selectors import mine_budget, mine_list_for_owner, mine_policy
from mine_ui.services import budget_set, mine_create, policy_update
from mine_ui.tasks import mine_train_task
from pysonar import SonarError

CONTRIBUTIONS_PER_PAGE = 20
ROWS_SHOWN = 20


def own_mine(request: HttpRequest, mine_id: int) -> Mine:
    """The one permission check for a mine: someone else's mine is a 404, not a 403."""
    return get_object_or_404(Mine.objects.select_related("owner"), pk=mine_id, owner=request.user)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Every mine of the signed-in person, and a form for a new one."""
    mines = [
        {"mine": mine, "earnings": mine_earnings(mine=mine), "datasets": mine.datasets.count()}
        for mine in mine_list_for_owner(owner=request.user)
    ]
    can_create = user_is_miner(user=request.user)
    form = MineForm(initial={"payout_account": remote.wallet_of(owner=request.user)})
    return render(
        request,
        "mine_ui/index.html",
        {"mines": mines, "form": form if can_create else None, "can_create": can_create},
    )


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    """Create a mine (miners only); its payout account is checked with its Sonar."""
    if not user_is_miner(user=request.user):
        return render(
            request,
            "mine_ui/forbidden.html",
            {"detail": "Only people with the miner role can create mines."},
            status=403,
        )
    form = MineForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if Mine.objects.filter(owner=request.user, name=data["name"].strip()).exists():
                raise ValidationError(
                    f"You already have a mine named '{data['name'].strip()}'; choose another name."
                )
            client = remote.sonar_client(
                sonar_url=data["sonar_url"], token=data["api_token"], owner=request.user
            )
            data["payout_account"] = remote.payout_account_confirm(
                client=client, payout_account=data["payout_account"]
            )
            mine = mine_create(owner=request.user, **data)
        except SonarError as exc:
            form.add_error(
                "payout_account",
                f"Could not check the payout account with {data['sonar_url'] or 'this platform'}: "
                f"{exc.detail}",
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Mine '{mine.name}' created. It joins nothing until you import data and turn on "
                "automatic participation in its policy.",
            )
            return redirect("mine_ui:detail", mine_id=mine.pk)
    return render(request, "mine_ui/create.html", {"form": form}, status=400)


@login_required
def detail(request: HttpRequest, mine_id: int) -> HttpResponse:
    """One mine: datasets, policy, privacy budget, earnings and contributions."""
    mine = own_mine(request, mine_id)
    form = BudgetForm(initial=BudgetForm.initial_for(mine_budget(mine=mine)))
    return render(request, "mine_ui/detail.html", _detail_context(request, mine, form))


def _detail_context(request: HttpRequest, mine: Mine, budget_form: BudgetForm) -> dict:
    budget = mine_budget(mine=mine)
    series = mine_earnings_by_day(mine=mine)
    spent = budget.epsilon_spent
    total = budget.epsilon_total
    return {
        "mine": mine,
        "policy": mine_policy(mine=mine),
        "budget": budget,
        "budget_form": budget_form,
        "epsilon_percent": int(100 * spent / total) if total else 100,
        "datasets": list(mine.datasets.all()),
        "contributions": Paginator(mine.contributions.all(), CONTRIBUTIONS_PER_PAGE).get_page(
            request.GET.get("page")
        ),
        "earnings": mine_earnings(mine=mine),
        "chart": earnings_chart(series, settings.SONAR_CURRENCY) if series else "",
        "currency": settings.SONAR_CURRENCY,
    }


@login_required
@require_POST
def budget(request: HttpRequest, mine_id: int) -> HttpResponse:
    """Change the privacy budget, within its limits."""
    mine = own_mine(request, mine_id)
    form = BudgetForm(request.POST)
    if form.is_valid():
        try:
            budget_set(mine=mine, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Privacy budget of '{mine.name}' saved.")
            return redirect("mine_ui:detail", mine_id=mine.pk)
    return render(request, "mine_ui/detail.html", _detail_context(request, mine, form), status=400)


@login_required
@require_POST
def pause(request: HttpRequest, mine_id: int) -> HttpResponse:
    """Pause (or, with resume=1, resume) the mine."""
    mine = own_mine(request, mine_id)
    paused = request.POST.get("resume") != "1"
    policy_update(mine=mine, paused=paused)
    messages.success(
        request,
        f"Mine '{mine.name}' paused; it joins nothing until you resume it."
        if paused
        else f"Mine '{mine.name}' resumed.",
    )
    return redirect("mine_ui:detail", mine_id=mine.pk)


@login_required
@require_POST
def run(request: HttpRequest, mine_id: int) -> HttpResponse:
    """Enqueue one mining pass of the mine now (the same task the scheduler runs)."""
    mine = own_mine(request, mine_id)
    transaction.on_commit(lambda: mine_train_task.delay(mine.pk))
    messages.success(
        request,
        f"A mining pass of '{mine.name}' was started; its contributions appear below as Sonar "
        "judges them.",
    )
    return redirect("mine_ui:detail", mine_id=mine.pk)


@login_required
def campaigns(request: HttpRequest, mine_id: int) -> HttpResponse:
    """Every open campaign with this mine's verdict (joins, or why not) and privacy cost."""
    mine = own_mine(request, mine_id)
    found, problem = remote.campaigns_open_for(mine=mine)
    return render(
        request,
        "mine_ui/campaigns.html",
        {
            "mine": mine,
            "verdicts": campaign_verdicts(mine=mine, campaigns=found),
            "problem": problem,
        },
    )


@login_required
def policy(request: HttpRequest, mine_id: int) -> HttpResponse:
    """Show and change which campaigns the mine may join, picked from the open ones."""
    mine = own_mine(request, mine_id)
    found, problem = remote.campaigns_open_for(mine=mine)
    form = PolicyForm(request.POST or None, policy=mine_policy(mine=mine), campaigns=found)
    if request.method == "POST" and form.is_valid():
        try:
            policy_update(mine=mine, **form.policy_changes())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Policy of '{mine.name}' saved.")
            return redirect("mine_ui:detail", mine_id=mine.pk)
    return render(
        request,
        "mine_ui/policy.html",
        {"mine": mine, "form": form, "problem": problem},
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
