"""The ledger in the admin: everything read-only, plus a deposit form for operators."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse

from ledger.errors import ChainBrokenError, LedgerError
from ledger.models import Account, Blob, Checkpoint, DepositRequest, Entry, LedgerCheck, Transfer
from ledger.services import deposit, deposit_request_approve
from openmined.admin import ReadOnlyModelAdmin as ReadOnlyAdmin
from openmined.money import format_minor


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("seq", "created_at", "kind", "campaign_id", "short_hash")
    list_filter = ("kind",)
    search_fields = ("=seq", "hash", "payload_json")
    ordering = ("-seq",)

    @admin.display(description="hash")
    def short_hash(self, entry: Entry) -> str:
        return entry.hash[:16] + "…"


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("id", "entry_id", "kind", "debit", "credit", "amount", "memo", "created_at")
    list_filter = ("kind",)
    search_fields = ("idempotency_key", "memo", "debit__public_id", "credit__public_id")
    list_select_related = ("debit", "credit")
    ordering = ("-entry_id",)

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, transfer: Transfer) -> str:
        return format_minor(transfer.amount_minor)


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ("tree_size", "created_at", "root_hash", "key_fingerprint")
    ordering = ("-tree_size",)


@admin.register(Blob)
class BlobAdmin(ReadOnlyAdmin):
    list_display = ("address", "kind", "size_bytes", "created_at")
    list_filter = ("kind",)
    search_fields = ("address",)


class DepositForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        label="Person",
        widget=AutocompleteSelect(Account._meta.get_field("user"), admin.site),
        help_text="Type part of the username.",
    )
    amount_minor = forms.IntegerField(min_value=1, help_text="In minor units (cents).")
    memo = forms.CharField(required=False, max_length=500)
    # Fixed when the form is shown: submitting it twice deposits once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput)


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "kind", "user", "campaign_id", "balance", "created_at")
    list_filter = ("kind",)
    search_fields = ("public_id", "user__username")
    list_select_related = ("user",)
    change_list_template = "admin/ledger/account/change_list.html"

    @admin.display(description="balance", ordering="balance_minor")
    def balance(self, account: Account) -> str:
        return format_minor(account.balance_minor)

    def get_urls(self):
        deposit_url = path(
            "deposit/",
            self.admin_site.admin_view(self.deposit_view),
            name="ledger_account_deposit",
        )
        return [deposit_url, *super().get_urls()]

    def deposit_view(self, request: HttpRequest) -> HttpResponse:
        """Operators credit a person's wallet; it is written to the ledger as account.deposit."""
        if not request.user.is_staff:
            return HttpResponse(status=403)
        form = DepositForm(
            request.POST or None, initial={"idempotency_key": f"admin-{uuid.uuid4()}"}
        )
        if request.method == "POST" and form.is_valid():
            user = form.cleaned_data["user"]
            try:
                made = deposit(
                    user=user,
                    amount_minor=form.cleaned_data["amount_minor"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    memo=form.cleaned_data["memo"] or f"Deposit by operator {request.user}",
                )
            except LedgerError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"Deposited {format_minor(made.amount_minor)} into {user.username}'s wallet "
                    f"({made.credit.public_id}); ledger entry #{made.entry_id}.",
                )
                return HttpResponseRedirect(reverse("admin:ledger_account_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Deposit into a wallet",
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/ledger/account/deposit.html", context)


@admin.register(LedgerCheck)
class LedgerCheckAdmin(ReadOnlyAdmin):
    """Each full verification (daily from beat, or on request) and what it found."""

    list_display = ("finished_at", "ok", "summary", "requested_by", "started_at")
    list_filter = ("ok",)
    change_list_template = "admin/ledger/ledgercheck/change_list.html"

    def get_urls(self):
        run_url = path(
            "run/", self.admin_site.admin_view(self.run_view), name="ledger_ledgercheck_run"
        )
        return [run_url, *super().get_urls()]

    def run_view(self, request: HttpRequest) -> HttpResponse:
        """POST only: enqueue ledger.verify (run at once in eager mode)."""
        from ledger.tasks import ledger_verify_task

        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:ledger_ledgercheck_changelist"))
        try:
            ledger_verify_task.delay(requested_by=request.user.get_username())
        except ChainBrokenError as exc:
            # Eager mode runs the check here; the record is written before the error rises.
            messages.error(request, f"The ledger is BROKEN: {exc}")
        else:
            messages.success(
                request,
                "Ledger check requested; its result appears here when it finishes "
                "(at once when tasks run in the web process).",
            )
        return HttpResponseRedirect(reverse("admin:ledger_ledgercheck_changelist"))


@admin.register(DepositRequest)
class DepositRequestAdmin(admin.ModelAdmin):
    """People ask from their wallet page; operators approve here (the money moves on approval)."""

    list_display = ("id", "user", "amount", "note", "status", "created_at", "approved_by")
    list_filter = ("status",)
    search_fields = ("user__username", "note")
    list_select_related = ("user", "approved_by")
    actions = ("approve",)
    readonly_fields = (
        "user",
        "amount_minor",
        "note",
        "status",
        "created_at",
        "approved_at",
        "approved_by",
        "transfer",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, row: DepositRequest) -> str:
        return format_minor(row.amount_minor)

    @admin.action(description="Approve the selected deposit requests (credits the wallets)")
    def approve(self, request: HttpRequest, queryset) -> None:
        done = 0
        for row in queryset.filter(status=DepositRequest.Status.PENDING):
            try:
                deposit_request_approve(request=row, approved_by=request.user)
            except LedgerError as exc:
                messages.error(request, f"Deposit request #{row.pk}: {exc}")
            else:
                done += 1
        messages.success(request, f"Approved {done} deposit request{'s' if done != 1 else ''}.")
