"""The data scientist's pages: campaigns, their progress, and the actions on them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ledger.selectors import wallet_summary_for_user
from openmined.errors import DomainError
from sonar_ui import selectors, services
from sonar_ui.charts import accuracy_chart
from sonar_ui.errors import CampaignNotFoundError
from sonar_ui.forms import (
    CampaignFilter,
    CampaignFromFileForm,
    CampaignTermsForm,
    GradientFilter,
    ValidationFileForm,
)
from sonar_ui.models import PPM, Campaign

PAGE_SIZE = 20
# htmx stops polling when a poll answers 286: the campaign is settled, nothing will change.
HTMX_STOP_POLLING = 286


def _page(request: HttpRequest, items, *, param: str = "page", size: int = PAGE_SIZE):
    return Paginator(items, size).get_page(request.GET.get(param))


def _with_progress(page):
    """Each campaign on the page gets .progress (0..1 or None) for its bar."""
    for campaign in page:
        campaign.progress = selectors.campaign_progress(campaign)
    return page


# (label, sort key, numeric) of the campaign table's columns, in order.
CAMPAIGN_COLUMNS = [
    ("Campaign", "name", False),
    ("Status", "status", False),
    ("Algorithm", "algorithm", False),
    ("Bounty", "bounty", True),
    ("Paid", "paid", True),
    ("Best", "best", True),
    ("Target", "target", True),
    ("Version", "version", True),
    ("Created", "created", False),
]


def _sort_headers(request: HttpRequest) -> list[dict]:
    """Each column's header link: ascending first, descending when it is already ascending."""
    current = request.GET.get("sort", "")
    headers = []
    for label, key, numeric in CAMPAIGN_COLUMNS:
        query = request.GET.copy()
        query.pop("page", None)
        query["sort"] = f"-{key}" if current == key else key
        state = "ascending" if current == key else "descending" if current == f"-{key}" else None
        headers.append(
            {"label": label, "query": query.urlencode(), "sort": state, "numeric": numeric}
        )
    return headers


def index(request: HttpRequest) -> HttpResponse:
    """Your campaigns (filter, sort, pages) and the open ones anyone can read about."""
    open_campaigns = selectors.campaign_list_open().order_by("-launched_at", "-id")
    context = {"open_page": _with_progress(_page(request, open_campaigns, param="open_page"))}
    if request.user.is_authenticated:
        mine = CampaignFilter(
            request.GET or None,
            queryset=selectors.campaign_list_owned(user=request.user).order_by("-created_at"),
        )
        context["filter"] = mine
        context["headers"] = _sort_headers(request)
        context["my_page"] = _with_progress(_page(request, mine.qs))
        context["wallet"] = wallet_summary_for_user(user=request.user)
    return render(request, "sonar_ui/index.html", context)


def _visible_or_404(request: HttpRequest, campaign_id: int) -> Campaign:
    try:
        return selectors.campaign_get_visible(user=request.user, campaign_id=campaign_id)
    except CampaignNotFoundError as exc:
        raise Http404(exc.detail) from exc


def _owned_or_404(request: HttpRequest, campaign_id: int) -> Campaign:
    try:
        return selectors.campaign_get_owned(user=request.user, campaign_id=campaign_id)
    except CampaignNotFoundError as exc:
        raise Http404(exc.detail) from exc


def _live_context(request: HttpRequest, campaign: Campaign) -> dict:
    gradients = GradientFilter(
        request.GET or None,
        queryset=selectors.gradient_list_visible(user=request.user, campaign=campaign).order_by(
            "-id"
        ),
    )
    return {
        "campaign": campaign,
        "is_owner": campaign.owner_id == request.user.id,
        "gradient_filter": gradients,
        "gradient_page": _page(request, gradients.qs),
        "contributions": selectors.contributions_by_account(user=request.user, campaign=campaign),
        "money": selectors.campaign_money(campaign),
        "progress": selectors.campaign_progress(campaign),
        "stalled_since": selectors.campaign_stalled_since(campaign=campaign),
        "chart": accuracy_chart(campaign) if campaign.current_version is not None else "",
        "updated_at": timezone.now(),
        "polling": campaign.settled_at is None and campaign.status not in ("draft", "cancelled"),
    }


@login_required
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """A campaign's live status, chart, contributions and gradients (the live part refreshes)."""
    campaign = _visible_or_404(request, campaign_id)
    context = _live_context(request, campaign)
    if request.htmx:
        response = render(request, "sonar_ui/_live.html", context)
        if not context["polling"]:
            response.status_code = HTMX_STOP_POLLING
        return response
    return render(request, "sonar_ui/detail.html", context)


def campaign_public(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """What a miner reads before joining an open campaign; no login needed."""
    try:
        campaign = selectors.campaign_get_public(campaign_id=campaign_id)
    except CampaignNotFoundError as exc:
        raise Http404(exc.detail) from exc
    context = {
        "campaign": campaign,
        "progress": selectors.campaign_progress(campaign),
        "money": selectors.campaign_money(campaign),
        "chart": accuracy_chart(campaign) if campaign.current_version is not None else "",
    }
    return render(request, "sonar_ui/public.html", context)


def _add_service_error(form: forms.Form, detail: str) -> None:
    """Put the services' errors beside the field they name ("field: ..." or "field must ...")."""
    aliases = {"bounty_minor": "bounty"}
    field, sep, message = detail.partition(": ")
    field = aliases.get(field, field)
    if sep and field in form.fields:
        form.add_error(field, message)
        return
    first = aliases.get(detail.split(" ", 1)[0], detail.split(" ", 1)[0])
    form.add_error(first if first in form.fields else None, detail)


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    """Step 1: upload the validation file; its columns are inferred on the server."""
    limit = services.upload_max_bytes()
    form = ValidationFileForm(request.POST or None, request.FILES or None, max_bytes=limit)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["validation_file"]
        if upload.size > limit:
            form.add_error(
                "validation_file",
                f"The file has {upload.size:,} bytes; the limit is {limit:,}. "
                "Use a smaller validation sample.",
            )
        else:
            try:
                kept = services.validation_upload_create(
                    owner=request.user, filename=upload.name, data=upload.read()
                )
            except DomainError as exc:
                _add_service_error(form, exc.detail)
            else:
                return redirect("sonar_ui:new_columns", upload_id=kept.id)
    return render(request, "sonar_ui/new.html", {"form": form})


@login_required
def campaign_new_columns(request: HttpRequest, upload_id: int) -> HttpResponse:
    """Step 2: pick the target, correct types, choose the algorithm and terms; then save."""
    try:
        upload = services.validation_upload_get_owned(owner=request.user, upload_id=upload_id)
    except CampaignNotFoundError as exc:
        raise Http404(exc.detail) from exc
    form = CampaignFromFileForm(request.POST or None, columns=upload.columns)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create_from_upload(
                owner=request.user,
                upload_id=upload.id,
                target=form.cleaned_data["target"],
                types=form.types(),
                algorithm=form.cleaned_data["algorithm"],
                **form.terms(),
            )
        except DomainError as exc:
            _add_service_error(form, exc.detail)
        else:
            messages.success(request, f"Draft '{campaign.name}' saved. Launch it when ready.")
            return redirect("sonar_ui:detail", campaign_id=campaign.id)
    return render(request, "sonar_ui/new_columns.html", {"form": form, "upload": upload})


@login_required
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Change a draft's terms before launch."""
    campaign = _owned_or_404(request, campaign_id)
    form = CampaignTermsForm(request.POST or None, initial=CampaignTermsForm.initial_for(campaign))
    if campaign.status != Campaign.Status.DRAFT:
        messages.error(request, f"Campaign '{campaign.name}' has launched; it cannot be edited.")
        return redirect("sonar_ui:detail", campaign_id=campaign.id)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(campaign_id=campaign.id, user=request.user, **form.terms())
        except DomainError as exc:
            _add_service_error(form, exc.detail)
        else:
            messages.success(request, "Draft saved.")
            return redirect("sonar_ui:detail", campaign_id=campaign.id)
    return render(request, "sonar_ui/edit.html", {"form": form, "campaign": campaign})


@login_required
def campaign_delete(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Ask, then delete a draft."""
    campaign = _owned_or_404(request, campaign_id)
    if request.method == "POST":
        try:
            services.campaign_delete(campaign_id=campaign.id, user=request.user)
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect("sonar_ui:detail", campaign_id=campaign.id)
        messages.success(request, f"Draft '{campaign.name}' deleted.")
        return redirect("sonar_ui:index")
    return render(request, "sonar_ui/delete.html", {"campaign": campaign})


@login_required
def campaign_launch(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Show what launching moves into escrow and leaves in the wallet; launch on POST."""
    campaign = _owned_or_404(request, campaign_id)
    if request.method == "POST":
        try:
            campaign = services.campaign_launch(campaign_id=campaign.id, user=request.user)
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            if campaign.start_accuracy_ppm is not None:
                messages.success(
                    request,
                    f"Launched. Starting accuracy measured by the capsule: "
                    f"{campaign.start_accuracy_ppm / PPM:.2%}.",
                )
            else:
                messages.success(request, "Launched. The capsule is preparing the keys.")
        return redirect("sonar_ui:detail", campaign_id=campaign_id)
    wallet = wallet_summary_for_user(user=request.user)
    after = wallet["balance_minor"] - campaign.bounty_minor
    context = {
        "campaign": campaign,
        "wallet": wallet,
        "after_minor": after,
        "short_minor": max(0, -after),
        "deposit_url": f"{reverse('sonar_ui:wallet')}?amount={max(0, -after) / 100:.2f}",
    }
    return render(request, "sonar_ui/launch.html", context)


@login_required
@require_POST
def campaign_close(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Close a campaign from its page."""
    campaign = _owned_or_404(request, campaign_id)
    try:
        services.campaign_close(campaign_id=campaign.id, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Closed: payouts settle and the rest returns to your wallet.")
    return redirect("sonar_ui:detail", campaign_id=campaign_id)
