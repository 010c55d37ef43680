"""An account's monthly budget, changed by an admin on the account's page, and its
contacts and budget tried again once AWS refused them (audited; AWS follows through the
setup task: vending/services/account_setup.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from vending.errors import DomainError
from vending.models import VendedAccount
from vending.selectors.accounts import account_get_for
from vending.services.account_setup import account_budget_set, account_setup_retry
from vending.web.forms import AccountBudgetForm
from vending.web.pages import account_button, account_not_found, signin_required


@signin_required
@require_POST
def account_budget(request: HttpRequest, account_id: str) -> HttpResponse:
    account = account_get_for(user=request.user, account_id=account_id)
    if account is None:
        return account_not_found(request, account_id)
    form = AccountBudgetForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("amount", [])))
        return redirect("account_detail", account_id=account_id)
    amount = form.cleaned_data["amount"]
    try:
        account_budget_set(actor=request.user, account=account, amount=amount)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        said = f"{amount} USD a month" if amount is not None else "none"
        messages.success(request, f"Budget of {account.name}: {said}; AWS follows shortly.")
    return redirect("account_detail", account_id=account_id)


@signin_required
@require_POST
def account_setup_again(request: HttpRequest, account_id: str) -> HttpResponse:
    def again(account: VendedAccount) -> str:
        parts = account_setup_retry(actor=request.user, account=account)
        return f"{' and '.join(parts).capitalize()} queued again."

    return account_button(request, account_id, again)
