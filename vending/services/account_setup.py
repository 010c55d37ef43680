"""What an account gets in AWS once it is ready, besides its OU and tags: its alternate
contacts (Account API) and its monthly budget (AWS Budgets, in the management account).

Neither ever fails the vend: the account is ready first, then `account_setup_schedule`
marks each part `pending` in the transaction that made it ready, and the
`vending.account_setup` task sets it. An AWS refusal shows on the account (`failed`,
with the reason in words); a transient error is retried by the task, then by the
sweeper (`account_setups_requeue`), both harmless to repeat:

- PutAlternateContact replaces a contact: repeating it sets the same;
- the budget's name is derived from the account (`vending-<account id>`), so a retry
  reads it (DescribeBudget) before creating it, a creation that loses a race to another
  delivery (DuplicateRecordException) is read again, and only what differs is changed:
  its amount or filter (UpdateBudget), a missing notification (CreateNotification);
- who the notifications e-mail follows the account's owner and its team's leads: the
  list last set is kept (`budget_emails`), and a periodic check
  (`budget_recipients_check`) queues the budget of every account whose people changed,
  whose notifications are then made again for the new list;
- a part is marked done only while it is still what was set (an admin's change made
  meanwhile stays pending and is set by the task it queued).

The budget follows the account: an admin changes its amount (`account_budget_set`), and
a decommission removes it (`account_budget_retire`: the account is suspended, nobody
watches its spend any more).
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vending.account_metadata import budget_errors
from vending.audit import Actor
from vending.audit_day_two import (
    account_budget_changed,
    account_setup_done,
    account_setup_retried,
)
from vending.aws import OrganizationsGateway, PermanentAwsError, get_gateway
from vending.aws.account_contacts import (
    AccountContactsGateway,
    AlternateContact,
    get_contacts_gateway,
)
from vending.aws.budgets import (
    DUPLICATE,
    THRESHOLDS,
    BudgetsGateway,
    budget_name,
    get_budgets_gateway,
)
from vending.choices import AccountStatus, SetupStatus
from vending.dispatch import enqueue_account_setup
from vending.errors import InvalidInput, InvalidTransition, PermissionDenied
from vending.models import Team, VendedAccount
from vending.roles import is_admin

logger = logging.getLogger(__name__)

PENDING = SetupStatus.PENDING
CONTACTS, BUDGET = "contacts", "budget"
# A budget is kept while the account is ready; any other status removes it.
BUDGET_KEPT = frozenset({AccountStatus.READY})


def account_setup_schedule(
    account: VendedAccount, *, contacts: bool = False, budget: bool = False
) -> bool:
    """Mark the parts to set as pending and queue the setup once the caller's
    transaction commits. False when there is nothing to set."""
    fields: dict[str, object] = {}
    if contacts:
        fields.update(contacts_status=PENDING, contacts_error="")
    if budget:
        fields.update(budget_status=PENDING, budget_error="")
    if not fields:
        return False
    fields["setup_queued_at"] = timezone.now()
    VendedAccount.objects.filter(pk=account.pk).update(**fields)
    for name, value in fields.items():
        setattr(account, name, value)
    enqueue_account_setup(account.pk)
    return True


def account_setup_on_ready(account: VendedAccount) -> bool:
    """Called in the transaction that makes the account ready."""
    return account_setup_schedule(
        account, contacts=bool(account.contacts), budget=account.budget_amount is not None
    )


def account_budget_retire(account: VendedAccount) -> bool:
    """Called in the transaction that suspends the account (decommission): its budget,
    if it may have one in AWS, is deleted."""
    had = account.budget_status in (PENDING, SetupStatus.DONE, SetupStatus.FAILED)
    return account_setup_schedule(account, budget=had)


def account_budget_set(
    *, actor: Actor, account: VendedAccount, amount: Decimal | None
) -> VendedAccount:
    """An admin sets, changes or (None) removes a ready account's monthly budget, in USD;
    audited. AWS follows through the setup task, which also tries again contacts AWS
    refused."""
    if actor is None or not is_admin(actor):
        raise PermissionDenied("Only portal admins can change an account's budget.")
    if amount is not None and (problems := budget_errors(amount)):
        raise InvalidInput(problems[0], field_errors={"amount": problems})
    if account.status != AccountStatus.READY or not account.account_id:
        raise InvalidTransition(
            f"{account.name} is {account.get_status_display().lower()}: only a ready "
            "account's budget can be changed."
        )
    previous = account.budget_amount
    with transaction.atomic():
        VendedAccount.objects.filter(pk=account.pk).update(budget_amount=amount)
        account.budget_amount = amount
        account_budget_changed(
            actor=actor,
            account=account,
            previous=None if previous is None else str(previous),
            amount=None if amount is None else str(amount),
        )
        # A contact AWS refused is tried again with it (the admin fixed the cause).
        account_setup_schedule(
            account,
            budget=previous is not None or amount is not None,
            contacts=account.contacts_status == SetupStatus.FAILED,
        )
    return account


def account_setup_retry(*, actor: Actor, account: VendedAccount) -> list[str]:
    """An admin asks again for what AWS refused on a ready account (its contacts, its
    budget), once the cause is fixed; audited. The parts queued, in that order."""
    if actor is None or not is_admin(actor):
        raise PermissionDenied("Only portal admins can try an account's setup again.")
    with transaction.atomic():
        account = VendedAccount.objects.select_for_update().get(pk=account.pk)
        failed = [
            part
            for part in (CONTACTS, BUDGET)
            if getattr(account, f"{part}_status") == SetupStatus.FAILED
        ]
        if account.status != AccountStatus.READY:
            raise InvalidTransition(
                f"{account.name} is {account.get_status_display().lower()}: only a ready "
                "account's contacts and budget are set."
            )
        if not failed:
            raise InvalidTransition(
                f"Nothing to try again on {account.name}: AWS refused neither its contacts "
                "nor its budget."
            )
        errors = [getattr(account, f"{part}_error") for part in failed]
        account_setup_retried(actor=actor, account=account, parts=failed, errors=errors)
        account_setup_schedule(account, contacts=CONTACTS in failed, budget=BUDGET in failed)
    return failed


def account_setup_advance(
    *,
    account_id: int,
    budgets: BudgetsGateway | None = None,
    contacts: AccountContactsGateway | None = None,
    organizations: OrganizationsGateway | None = None,
) -> None:
    """Set what is pending on the account. Transient AWS errors propagate (retried)."""
    account = VendedAccount.objects.select_related("request__team", "team", "owner").get(
        pk=account_id
    )
    if account.contacts_status == PENDING:
        _contacts_put(account, contacts or get_contacts_gateway())
    if account.budget_status == PENDING:
        _budget_converge(account, budgets or get_budgets_gateway(), organizations or get_gateway())


def account_setups_requeue(*, stale_before: datetime) -> list[int]:
    """Setups still pending long after they were queued (the task's retries ran out, or
    its message was lost): queued again (the sweeper)."""
    pending = list(
        VendedAccount.objects.filter(setup_queued_at__lt=stale_before)
        .filter(Q(contacts_status=PENDING) | Q(budget_status=PENDING))
        .values_list("pk", flat=True)
    )
    if pending:
        VendedAccount.objects.filter(pk__in=pending).update(setup_queued_at=timezone.now())
        for pk in pending:
            enqueue_account_setup(pk)
        logger.warning("Sweeper re-enqueued the setup of %d account(s): %s", len(pending), pending)
    return pending


def _contacts_put(account: VendedAccount, gw: AccountContactsGateway) -> None:
    if account.status != AccountStatus.READY or not account.account_id:
        _settle(account, CONTACTS, "", "The account is no longer ready.")
        return
    try:
        for kind, contact in sorted(account.contacts.items()):
            gw.put_alternate_contact(
                account_id=account.account_id,
                contact=AlternateContact(
                    contact_type=kind.upper(),
                    name=contact["name"],
                    title=contact["title"],
                    email=contact["email"],
                    phone=contact["phone"],
                ),
            )
    except PermanentAwsError as exc:
        _settle(account, CONTACTS, SetupStatus.FAILED, _refusal(exc))
        return
    _settle(account, CONTACTS, SetupStatus.DONE, ", ".join(sorted(account.contacts)))


def _budget_converge(
    account: VendedAccount, gw: BudgetsGateway, organizations: OrganizationsGateway
) -> None:
    if not account.account_id:
        _settle(account, BUDGET, "", "The account was never created.")
        return
    amount = account.budget_amount if account.status in BUDGET_KEPT else None
    try:
        organization = organizations.describe_organization()
        if organization is None:
            raise PermanentAwsError(
                "The portal's AWS account is not in an organization.", operation="CreateBudget"
            )
        payer = organization.management_account_id
        name = budget_name(account.account_id)
        if amount is None:
            gw.delete_budget(payer_id=payer, name=name)
            _settle(account, BUDGET, SetupStatus.REMOVED, f"Budget {name} deleted.")
            return
        _budget_ensure(account, gw, payer=payer, name=name, amount=amount)
    except PermanentAwsError as exc:
        _settle(account, BUDGET, SetupStatus.FAILED, _refusal(exc))
        return
    _settle(account, BUDGET, SetupStatus.DONE, f"Budget {name}: {amount} USD a month.")


def _budget_ensure(
    account: VendedAccount, gw: BudgetsGateway, *, payer: str, name: str, amount: Decimal
) -> None:
    assert account.account_id is not None
    emails = budget_subscribers(account)
    found = gw.describe_budget(payer_id=payer, name=name)
    if found is None:
        try:
            gw.create_budget(
                payer_id=payer,
                name=name,
                amount=amount,
                linked_account_id=account.account_id,
                emails=emails,
            )
            _budget_emails_record(account, emails)
            return
        except PermanentAwsError as exc:
            if exc.code not in DUPLICATE:
                raise
        # Another delivery created it meanwhile: check it as any existing one.
        found = gw.describe_budget(payer_id=payer, name=name)
    if found is None or found.amount != amount or found.linked_accounts != (account.account_id,):
        gw.update_budget(
            payer_id=payer, name=name, amount=amount, linked_account_id=account.account_id
        )
    _notifications_converge(account, gw, payer=payer, name=name, emails=emails)


def _notifications_converge(
    account: VendedAccount, gw: BudgetsGateway, *, payer: str, name: str, emails: list[str]
) -> None:
    """A notification at each threshold, e-mailing `emails` (none when there is nobody
    to tell). Who they e-mail is not read back from AWS (a call per notification):
    when the list last set (`budget_emails`) differs, each one is deleted and made
    again. A crash in between leaves one missing, which the next run makes."""
    changed = not _same_people(account.budget_emails, emails)
    have = {
        n.threshold
        for n in gw.list_notifications(payer_id=payer, name=name)
        if n.notification_type == "ACTUAL"
    }
    for threshold in THRESHOLDS:
        if threshold in have and (changed or not emails):
            gw.delete_notification(payer_id=payer, name=name, threshold=threshold)
            have.discard(threshold)
        if emails and threshold not in have:
            gw.create_notification(payer_id=payer, name=name, threshold=threshold, emails=emails)
    if changed:
        _budget_emails_record(account, emails)


def _budget_emails_record(account: VendedAccount, emails: list[str]) -> None:
    VendedAccount.objects.filter(pk=account.pk).update(budget_emails=emails)
    account.budget_emails = emails


def _same_people(a: list[str], b: list[str]) -> bool:
    return {e.lower() for e in a} == {e.lower() for e in b}


def budget_subscribers(account: VendedAccount) -> list[str]:
    """Who the budget's notifications e-mail: the account's owner, then its team's
    leads (each once; people without an e-mail address are left out)."""
    team = account.owner_team
    leads = list(team.leads.order_by("username")) if team is not None else []
    return _emails_of(account.owner, leads)


def _emails_of(owner: Any, leads: list[Any]) -> list[str]:
    emails: list[str] = []
    for person in [owner, *leads] if owner is not None else leads:
        email = (person.email or "").strip()
        if email and email.lower() not in {e.lower() for e in emails}:
            emails.append(email)
    return emails


def budget_recipients_check() -> list[int]:
    """Periodic (beat): queue the budget of every account whose notifications e-mail
    other people than `budget_subscribers` names now (its owner, its team's leads or
    their addresses changed since). Two reads, whatever the number of accounts."""
    budgeted = list(
        VendedAccount.objects.filter(
            status=AccountStatus.READY,
            budget_amount__isnull=False,
            budget_status=SetupStatus.DONE,  # a refused one waits for an admin
        ).select_related("owner", "request__team", "team")
    )
    leads: dict[int, list[Any]] = {}
    for link in Team.leads.through.objects.select_related("user").order_by("user__username"):
        leads.setdefault(link.team_id, []).append(link.user)
    stale = [
        account
        for account in budgeted
        if not _same_people(
            account.budget_emails,
            _emails_of(account.owner, leads.get(getattr(account.owner_team, "pk", 0), [])),
        )
    ]
    if stale:
        with transaction.atomic():
            for account in stale:
                account_setup_schedule(account, budget=True)
        logger.info("Budget recipients changed on %d account(s): queued.", len(stale))
    return [a.pk for a in stale]


def _settle(account: VendedAccount, part: str, status: str, detail: str) -> None:
    """Record the outcome, unless what was set changed meanwhile (it stays pending)."""
    still = {f"{part}_status": PENDING}
    if part == BUDGET:
        still["budget_amount"] = account.budget_amount  # type: ignore[assignment]
    error = detail if status == SetupStatus.FAILED else ""
    with transaction.atomic():
        if VendedAccount.objects.filter(pk=account.pk, **still).update(
            **{f"{part}_status": status, f"{part}_error": error}
        ):
            setattr(account, f"{part}_status", status)
            if status:
                account_setup_done(account=account, part=part, status=status, detail=detail)


def _refusal(exc: PermanentAwsError) -> str:
    if exc.code in {"AccessDeniedException", "AccessDenied"}:
        return (
            f"The portal's AWS role may not call {exc.operation}: grant it in the management "
            f"account (docs/operations.md), then ask again. ({exc.message})"
        )
    return f"AWS refused {exc.operation}: {exc.message}"
