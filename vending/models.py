"""The portal's records: teams, requests, approvals, vended accounts, the audit trail."""

from __future__ import annotations

from typing import Any, Self

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from vending.account_lifecycle_columns import AccountLifecycleColumns
from vending.account_metadata_columns import AccountMetadataColumns, RequestMetadataColumns
from vending.account_ownership import OwnedAccount, owner_visible
from vending.account_progress_columns import AccountProgressColumns
from vending.choices import (
    REQUEST_OPEN,
    AccountOrigin,
    AccountStatus,
    AuditAction,
    ComplianceClass,
    DriftKind,
    RequestKind,
    RequestStatus,
)
from vending.roles import User, is_approver

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$",
    "Use 1-32 lowercase letters, digits and hyphens, starting and ending with a letter or digit.",
)


# Visibility lives on the QuerySets (`Model.objects.visible_to(user)`), so every page,
# endpoint, command and notification asks the same question the same way. Approvers and
# admins see every team's requests and accounts; a team lead sees their teams'; anybody
# else sees none. Something a user may not see is not found (404), never forbidden.


class TeamQuerySet(models.QuerySet["Team"]):
    def visible_to(self, user: User) -> Self:
        """Teams (and leads) `user` may know of: all for approvers, else those led."""
        return self if is_approver(user) else self.led_by(user)

    def led_by(self, user: User) -> Self:
        if not user.is_authenticated or user.pk is None:
            return self.none()
        return self.filter(leads=user)

    def choosable_by(self, user: User) -> Self:
        """Teams `user` may filter lists by: the teams they may see."""
        return self.visible_to(user)


class Team(models.Model):
    slug = models.CharField(max_length=32, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=100)
    leads = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="led_teams", blank=True)
    # The team's group in the identity provider (Identity Center); empty: the team's slug.
    idp_group = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


def _team_visible(qs: models.QuerySet[Any], user: User, team_path: str) -> Any:
    if not user.is_authenticated:
        return qs.none()
    if is_approver(user):
        return qs
    # A subquery, not a join through the leads: no duplicate rows, no DISTINCT.
    return qs.filter(**{f"{team_path}__in": Team.objects.led_by(user).values("pk")})


class AccountRequestQuerySet(models.QuerySet["AccountRequest"]):
    def visible_to(self, user: User) -> Self:
        result: Self = _team_visible(self, user, "team")
        return result


class AccountRequest(RequestMetadataColumns):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account_requests"
    )
    compliance_class = models.CharField(max_length=16, choices=ComplianceClass.choices)
    environments = models.JSONField(help_text="Environments requested, in canonical order.")
    justification = models.TextField()
    status = models.CharField(
        max_length=24, choices=RequestStatus.choices, default=RequestStatus.PENDING_APPROVAL
    )
    approvals_required = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=16, choices=RequestKind.choices, default=RequestKind.CREATE)
    # create: when the accounts' lease ends (none: they stay); extend: the lease's new end.
    expires_on = models.DateField(null=True, blank=True)
    # The account a change_class, decommission or extend request is about.
    target_account = models.ForeignKey(
        "VendedAccount", models.PROTECT, "lifecycle_requests", null=True, blank=True
    )
    decision_reason = models.TextField(blank=True, help_text="Why it was rejected or cancelled.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            # One open request per account: two concurrent submissions, one succeeds.
            models.UniqueConstraint(
                fields=["target_account"],
                condition=models.Q(status__in=sorted(REQUEST_OPEN)),
                name="one_open_request_per_account",
            )
        ]

    def __str__(self) -> str:
        return f"Request #{self.pk} ({self.team}, {self.get_compliance_class_display()})"


class Approval(models.Model):
    request = models.ForeignKey(AccountRequest, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approvals"
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # A second approval from the same person never counts twice.
            models.UniqueConstraint(
                fields=["request", "approver"], name="one_approval_per_approver"
            )
        ]

    def __str__(self) -> str:
        return f"{self.approver} approved request #{self.request_id}"


class VendedAccountQuerySet(models.QuerySet["VendedAccount"]):
    def visible_to(self, user: User) -> Self:
        return owner_visible(self, user)


class VendedAccount(
    OwnedAccount, AccountProgressColumns, AccountLifecycleColumns, AccountMetadataColumns
):
    """One AWS account of a request (one per requested environment), or an account that
    was in the organization before the portal (`origin` imported: no request). Its
    failed tries, last error and last progress: AccountProgressColumns."""

    request = models.ForeignKey(AccountRequest, models.CASCADE, "accounts", null=True, blank=True)
    origin = models.CharField(max_length=16, choices=AccountOrigin.choices, default="created")
    # Accounts without a request: the team an admin assigned, and the class of their OU.
    team = models.ForeignKey(Team, models.PROTECT, "imported_accounts", null=True, blank=True)
    compliance_class = models.CharField(max_length=16, choices=ComplianceClass.choices, blank=True)
    environment = models.CharField(max_length=8, blank=True)
    name = models.CharField(max_length=50)
    email = models.CharField(max_length=64)
    target_ou_path = models.CharField(max_length=512)
    status = models.CharField(
        max_length=16, choices=AccountStatus.choices, default=AccountStatus.PENDING
    )
    # False once the request was rejected or cancelled: its name and e-mail are free again.
    is_active = models.BooleanField(default=True)
    account_id = models.CharField(max_length=12, null=True, blank=True, unique=True)
    create_request_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    ou_id = models.CharField(max_length=68, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_reason = models.TextField(blank=True)
    poll_count = models.PositiveIntegerField(default=0)
    # How many CreateAccount calls were made (AWS's transient failures are retried).
    create_attempts = models.PositiveSmallIntegerField(default=0)
    # Held by the one delivery of the provisioning task working on the account.
    lease_until = models.DateTimeField(null=True, blank=True)
    # The creation's bookkeeping (vending/services/account_creation.py): the write-ahead
    # marker, when the next status read is due, how long AWS took, and whether the
    # account was found after an interrupted attempt (adopted).
    create_requested_at = models.DateTimeField(null=True, blank=True)
    check_due_at = models.DateTimeField(null=True, blank=True)
    create_seconds = models.FloatField(null=True, blank=True)
    adopted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Touched by every step, so the sweeper can tell live work from abandoned work.
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    aws_created_at = models.DateTimeField(null=True, blank=True)  # when AWS made (or joined) it
    # As the drift scan last saw it (vending/services/drift.py): its OU, or missing in AWS.
    live_ou_path = models.CharField(max_length=512, blank=True)
    live_seen_at = models.DateTimeField(null=True, blank=True)
    missing_in_aws_since = models.DateTimeField(null=True, blank=True)
    objects = VendedAccountQuerySet.as_manager()

    class Meta:
        ordering = ["request_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "environment"], name="one_account_per_env"),
            models.UniqueConstraint(
                Lower("email"), condition=models.Q(is_active=True), name="active_email_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"]),
            # The web list's order: a page is read off the index, however many there are.
            models.Index(
                fields=["name", "id"], condition=models.Q(is_active=True), name="account_list_order"
            ),
            # The last creations' durations (when to read a creation's status), newest
            # first: read at every CreateAccount, off the index at any inventory size.
            models.Index(
                fields=["-create_requested_at", "-id"],
                condition=models.Q(create_seconds__isnull=False, create_requested_at__isnull=False),
                name="creation_history",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.account_id or self.status})"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def visible_to(self, user: User) -> Self:
        """The whole trail for approvers and admins; nothing for anybody else."""
        return self if is_approver(user) else self.none()

    def update(self, **kwargs: Any) -> int:
        raise TypeError("Audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only")


class AuditEvent(models.Model):
    """Append-only: rows are written once and never changed or removed by the portal."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the portal itself acted (workers, sweeper).",
    )
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request = models.ForeignKey(
        AccountRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    account = models.ForeignKey(
        VendedAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only")


class DriftFinding(models.Model):
    """Something in the live organization that differs from the blueprint or from the
    portal's records. Reported once seen in two consecutive scans, so a change still
    in flight is not an alarm."""

    key = models.CharField(max_length=300, help_text="What is out of line, stably named.")
    kind = models.CharField(max_length=24, choices=DriftKind.choices)
    target = models.CharField(max_length=300, blank=True)
    detail = models.TextField()
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    # Consecutive scans that saw it; >= 2 means reported.
    times_seen = models.PositiveIntegerField(default=1)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_finding",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.detail}"

    @property
    def reported(self) -> bool:
        return self.times_seen >= 2


class DriftScan(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    findings = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"drift scan {self.started_at:%Y-%m-%d %H:%M}"


class IdempotencyKey(models.Model):
    """A REST client's `Idempotency-Key` and the response it got (DESIGN.md section 9).

    The row is inserted in the same transaction as what the request creates, so of two
    concurrent requests with one key the unique constraint lets exactly one through.
    Keys older than 24 hours are ignored and purged.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=255)
    # SHA-256 of the canonical JSON body: the same key with another body is refused.
    body_sha256 = models.CharField(max_length=64)
    # Empty only inside the transaction that inserts the row, before the response is known.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key} -> {self.response_status}"


from vending.access_models import AccessAssignment, AccountAccess  # noqa: E402, F401
from vending.api_token_models import ApiToken  # noqa: E402, F401
from vending.cost_models import AccountMonthlyCost, CostRefresh  # noqa: E402, F401  (spend)
from vending.dispatch_models import PendingDispatch  # noqa: E402, F401  (enqueues to retry)
from vending.outbox_models import Notification  # noqa: E402, F401  (registers the outbox)
from vending.provisioning_models import (  # noqa: E402, F401  (creation slots, kept OU ids)
    CreationSlot,
    OrganizationalUnitRecord,
)
from vending.webhook_models import WebhookAttempt, WebhookEndpoint  # noqa: E402, F401
