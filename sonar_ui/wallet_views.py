"""The wallet page: balance, every transfer in and out, test funds or a deposit request."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ledger import services as ledger
from ledger.errors import LedgerError
from ledger.models import DepositRequest
from ledger.selectors import transfers_for_account
from sonar_ui.forms import DepositRequestForm

PAGE_SIZE = 25


@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    """Balance, history (newest first, paginated) and how to add money."""
    account = ledger.account_wallet_for_user(user=request.user)
    form = DepositRequestForm(
        request.POST or None,
        initial={"amount": request.GET.get("amount")} if request.GET.get("amount") else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            ledger.deposit_request_create(
                user=request.user,
                amount_minor=int(form.cleaned_data["amount"] * 100),
                note=form.cleaned_data["note"],
            )
        except LedgerError as exc:
            form.add_error("amount", str(exc).removeprefix("amount: "))
        else:
            messages.success(
                request, "Deposit requested. An operator approves it; then it shows here."
            )
            return redirect("sonar_ui:wallet")
    history = Paginator(transfers_for_account(account=account), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for row in history:
        row.incoming = row.credit_id == account.id
    context = {
        "account": account,
        "currency": settings.SONAR_CURRENCY,
        "history": history,
        "demo": settings.SONAR_DEMO_MODE,
        "demo_credit_minor": settings.SONAR_DEMO_CREDIT_MINOR,
        "form": form,
        "requests": DepositRequest.objects.filter(user=request.user).select_related("transfer")[
            :10
        ],
    }
    return render(request, "sonar_ui/wallet.html", context)


@login_required
@require_POST
def wallet_test_funds(request: HttpRequest) -> HttpResponse:
    """Demo mode only: credit one's own wallet with test money."""
    try:
        made = ledger.deposit_demo_credit(user=request.user)
    except LedgerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Added test funds; ledger entry #{made.entry_id}.")
    return redirect("sonar_ui:wallet")
