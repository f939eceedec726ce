"""The data scientist's pages: campaigns, their progress, and the actions on them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ledger.selectors import wallet_summary_for_user
from openmined.errors import DomainError
from sonar_ui import selectors, services
from sonar_ui.charts import accuracy_chart
from sonar_ui.errors import CampaignNotFoundError
from sonar_ui.forms import CampaignForm
from sonar_ui.models import PPM, Campaign


def index(request: HttpRequest) -> HttpResponse:
    """Open campaigns for everyone; your own campaigns and wallet when signed in."""
    open_campaigns = Campaign.objects.filter(status=Campaign.Status.OPEN).select_related("owner")
    context = {"open_campaigns": open_campaigns[:50]}
    if request.user.is_authenticated:
        context["my_campaigns"] = Campaign.objects.filter(owner=request.user)
        context["wallet"] = wallet_summary_for_user(user=request.user)
    return render(request, "sonar_ui/index.html", context)


def _detail_context(request: HttpRequest, campaign: Campaign) -> dict:
    gradients = selectors.gradient_list_visible(user=request.user, campaign=campaign)
    return {
        "campaign": campaign,
        "is_owner": campaign.owner_id == request.user.id,
        "gradients": gradients.order_by("-id")[:100],
        "payouts": selectors.payout_list_visible(user=request.user, campaign=campaign),
        "chart": accuracy_chart(campaign) if campaign.current_version is not None else "",
    }


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


@login_required
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """A campaign's facts, accuracy chart, gradients and payouts (the live part refreshes)."""
    campaign = _visible_or_404(request, campaign_id)
    template = "sonar_ui/_live.html" if request.htmx else "sonar_ui/detail.html"
    return render(request, template, _detail_context(request, campaign))


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    """Create a draft and hand its validation data to the capsule."""
    form = CampaignForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # Before the draft exists: a file over the cap must not leave a draft behind.
            services.validation_data_check_size(size=data["validation_file"].size)
            campaign = services.campaign_create(
                owner=request.user,
                name=data["name"],
                description=data["description"],
                input_schema=data["input_schema"],
                output_schema=data["output_schema"],
                algorithm=data["algorithm"],
                bounty_minor=int(data["bounty"] * 100),
                target_accuracy=data["target_accuracy"] / 100,
                learning_rate=data["learning_rate"],
                min_other_accepted=data["min_other_accepted"],
                claimed_start_accuracy=None
                if data["claimed_start_accuracy"] is None
                else data["claimed_start_accuracy"] / 100,
                deadline=data["deadline"],
            )
            services.campaign_validation_data_upload(
                campaign=campaign, user=request.user, data=data["validation_file"].read()
            )
        except DomainError as exc:
            _add_service_error(form, exc.detail)
        else:
            messages.success(request, f"Draft '{campaign.name}' saved. Launch it when ready.")
            return redirect("sonar_ui:detail", campaign_id=campaign.id)
    return render(request, "sonar_ui/new.html", {"form": form})


def _add_service_error(form: CampaignForm, detail: str) -> None:
    """Put "field: message" errors from the services next to their field."""
    field, sep, message = detail.partition(": ")
    if sep and field in form.fields:
        form.add_error(field, message)
    else:
        form.add_error(None, detail)


@login_required
@require_POST
def campaign_launch(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Launch a draft from its page."""
    campaign = _owned_or_404(request, campaign_id)
    try:
        campaign = services.campaign_launch(campaign_id=campaign.id, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            f"Launched. Starting accuracy measured by the capsule: "
            f"{campaign.start_accuracy_ppm / PPM:.2%}.",
        )
    return redirect("sonar_ui:detail", campaign_id=campaign_id)


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
