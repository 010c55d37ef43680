"""An account's access through IAM Identity Center: an admin retries the failed
assignments (the page itself is the account's: vending/web/accounts.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from vending.errors import DomainError
from vending.selectors.accounts import account_get_for
from vending.services.account_access import access_retry
from vending.web.pages import account_not_found, signin_required


@signin_required
@require_POST
def account_access_retry(request: HttpRequest, account_id: str) -> HttpResponse:
    account = account_get_for(user=request.user, account_id=account_id)
    if account is None:
        return account_not_found(request, account_id)
    try:
        count = access_retry(actor=request.user, account=account)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{count} failed assignment(s) queued again.")
    return redirect("account_detail", account_id=account_id)
