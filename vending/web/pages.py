"""What every page of the web portal shares: one sign-in decorator (aware of htmx),
the htmx helpers, refusals as pages, and lookups that answer 404.

Views import this module and the selectors and services; never another view module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from vending.aws import TransientAwsError, get_gateway
from vending.choices import ComplianceClass
from vending.errors import DomainError
from vending.models import AccountRequest, VendedAccount
from vending.selectors.accounts import account_get_for
from vending.selectors.navigation import nav_counts_for
from vending.selectors.policies import NotInOrganization
from vending.selectors.requests import account_request_get_for
from vending.web.forms import CLASS_HELP

View = Callable[..., HttpResponse]


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def htmx_target(request: HttpRequest) -> str:
    """The element id an htmx request will swap ("" for a full page, history included)."""
    if not is_htmx(request):
        return ""
    if request.headers.get("HX-History-Restore-Request") == "true":
        return ""
    return request.headers.get("HX-Target", "")


def signin_required(view: View) -> View:
    """Like `login_required`, and an htmx fragment sends the whole page to the login.

    It also reads, in one query, the user's roles and what the navigation shows
    (`nav_counts_for`), so every role check of the request (the view's, the selectors',
    the navigation's) answers without another query.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            request.nav_counts = nav_counts_for(user=request.user)  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)
        if is_htmx(request):
            # The session ended while a page was open: sign in again, then come back
            # to that page (not to the fragment it was asking for).
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            back = current.path + (f"?{current.query}" if current.query else "")
            response = HttpResponse(status=204)
            response["HX-Redirect"] = redirect_to_login(back or request.path).url
            return response
        return redirect_to_login(request.get_full_path())

    return wrapped


def signed_in_user(request: HttpRequest) -> User:
    """The user of a view behind `signin_required`."""
    user = request.user
    if not isinstance(user, User):  # pragma: no cover - signin_required ran first
        raise Http404("Sign in first.")
    return user


@dataclass(frozen=True)
class UrlAround:
    """A URL with one argument, as the text before and after it, so a page that links
    every row of a long table resolves the route once instead of once per row:
    `{{ url.before }}{{ value }}{{ url.after }}`."""

    before: str
    after: str


# How far a list's total is counted: past it a page says "more than 10,000", so that a
# page costs the same however many rows the list has (counting is one pass over them).
COUNTED_UP_TO = 10_000


class CountedPaginator(Paginator):
    """A paginator whose total may be counted only up to COUNTED_UP_TO: `capped` is then
    that number (the total is larger), else 0."""

    capped = 0


def page_of(
    rows: QuerySet[Any], number: str | None, *, per_page: int, count: Callable[[int | None], int]
) -> Page[Any]:
    """`Paginator(rows, per_page).get_page(number)`, `rows` from `values_list`, with its
    total from `count(up_to)`: a cheaper query than counting `rows` (which carry joins for
    what they show), counting at most `up_to` rows (None: all), made only when the page
    does not tell it (a first page that is not full is the whole list).

    The total is counted up to COUNTED_UP_TO and one more: a longer list is "more than"
    that (`paginator.capped`), counted exactly only for a page near or past that many
    rows. With the page's rows read off the list's order, a page costs the same whatever
    the list's length. A number past the end shows the last page."""
    paginator = CountedPaginator(rows, per_page)
    try:
        wanted = max(1, int(number or 1))
    except (TypeError, ValueError):
        wanted = 1
    start = (wanted - 1) * per_page
    found = list(rows[start : start + per_page])
    if start == 0 and len(found) < per_page:
        total = len(found)
    else:
        total = count(COUNTED_UP_TO + 1)
        if total > COUNTED_UP_TO and start + per_page < COUNTED_UP_TO:
            paginator.capped = COUNTED_UP_TO
        elif total > COUNTED_UP_TO:
            total = count(None)
    paginator.count = total  # the cached property, known without its query
    if not found:
        return paginator.get_page(number)
    return Page(found, wanted, paginator)


def url_around(name: str, *, example: str) -> UrlAround:
    """The URL named `name` around its argument (`example` must be a valid one)."""
    before, _, after = reverse(name, args=[example]).rpartition(example)
    return UrlAround(before, after)


def forbidden(request: HttpRequest, *, title: str, explanation: str) -> HttpResponse:
    """A 403 that says why and what to do, as a page or as an htmx fragment."""
    template = (
        "vending/partials/notice.html" if is_htmx(request) else "vending/partials/forbidden.html"
    )
    return render(
        request,
        template,
        {"title": title, "explanation": explanation, "kind": "warning"},
        status=403,
    )


def submitted(request: HttpRequest, created: AccountRequest, *, then: str) -> HttpResponse:
    """After a request is submitted: say so, and how many approvals it waits for, on
    its page."""
    needed = created.approvals_required
    messages.success(
        request,
        f"Request #{created.pk} submitted. It waits for {needed} "
        f"approval{'s' if needed != 1 else ''}{then}",
    )
    return redirect("request_detail", pk=created.pk)


def account_not_found(request: HttpRequest, account_id: str) -> HttpResponse:
    """The 404 page of an account the signed-in person may not see (or that is unknown)."""
    return render(
        request,
        "vending/accounts/not_found.html",
        {"nav": "accounts", "account_id": account_id},
        status=404,
    )


def account_button(
    request: HttpRequest, account_id: str, act: Callable[[VendedAccount], str]
) -> HttpResponse:
    """A button on an account's page: `act` on the account the signed-in person may see
    (its answer is the success message, a refusal is shown as an error), then back to
    the page."""
    account = account_get_for(user=request.user, account_id=account_id)
    if account is None:
        return account_not_found(request, account_id)
    try:
        done = act(account)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("account_detail", account_id=account_id)


def request_or_404(request: HttpRequest, pk: int) -> AccountRequest:
    """The account request `pk`, if the signed-in person may see it."""
    found = account_request_get_for(user=request.user, pk=pk)
    if found is None:
        raise Http404(f"There is no request #{pk} that you can see.")
    return found


@dataclass(frozen=True)
class AwsNotice:
    """Why a live AWS read is missing from a page (it still renders around it)."""

    # "unavailable": AWS did not answer (try again); "refused": AWS said no (a person
    # must act); "gone": the organization does not hold the account (any more).
    kind: str
    message: str


def aws_notice(exc: Exception) -> AwsNotice:
    if isinstance(exc, NotInOrganization):
        return AwsNotice("gone", str(exc))
    if isinstance(exc, TransientAwsError):
        return AwsNotice("unavailable", str(exc))
    return AwsNotice("refused", str(exc))


@dataclass(frozen=True)
class ClassRow:
    """A compliance class's radio button on a request form, with its one-line help."""

    value: str
    label: str
    help: str
    checked: bool


def class_rows(selected: str) -> list[ClassRow]:
    return [
        ClassRow(value, str(label), CLASS_HELP[value], value == selected)
        for value, label in ComplianceClass.choices
    ]


def emulator_url() -> str:
    """Where the local emulator answers (its control endpoints: a handshake's accept),
    or "" against AWS."""
    return get_gateway().endpoint_url().rstrip("/") if settings.VENDING_EMULATOR else ""
