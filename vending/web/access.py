"""An account's access through IAM Identity Center: an admin retries the failed
assignments (the page itself is the account's: vending/web/accounts.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from vending.models import VendedAccount
from vending.services.account_access import access_retry
from vending.web.pages import account_button, signin_required


@signin_required
@require_POST
def account_access_retry(request: HttpRequest, account_id: str) -> HttpResponse:
    def retry(account: VendedAccount) -> str:
        count = access_retry(actor=request.user, account=account)
        return f"{count} failed assignment(s) queued again."

    return account_button(request, account_id, retry)
