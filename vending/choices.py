"""Named statuses and classes, with the sets of terminal states."""

from django.db import models


class ComplianceClass(models.TextChoices):
    GENERAL = "general", "General"
    HIPAA = "hipaa", "HIPAA"
    PCI = "pci", "PCI DSS"
    HIPAA_PCI = "hipaa_pci", "HIPAA + PCI DSS"


class Environment(models.TextChoices):
    DEV = "dev", "Dev"
    TEST = "test", "Test"
    QA = "qa", "QA"
    PROD = "prod", "Prod"


ENVIRONMENT_ORDER = [e.value for e in Environment]


class RequestStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved"
    PROVISIONING = "provisioning", "Provisioning"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class RequestKind(models.TextChoices):
    """What a request asks for: new accounts, or a change to one that exists."""

    CREATE = "create", "Create accounts"
    INVITE = "invite", "Invite an existing account"
    CHANGE_CLASS = "change_class", "Change class"
    DECOMMISSION = "decommission", "Decommission"
    EXTEND = "extend", "Extend the lease"


# The kinds carried out by `services.account_lifecycle` (one account, `target_account`);
# creation is `services.provisioning`'s.
KINDS_LIFECYCLE = frozenset(
    {RequestKind.INVITE, RequestKind.CHANGE_CLASS, RequestKind.DECOMMISSION, RequestKind.EXTEND}
)
# The kinds that act on an account the portal already knows (`target_account`).
KINDS_ON_ACCOUNT = frozenset(
    {RequestKind.CHANGE_CLASS, RequestKind.DECOMMISSION, RequestKind.EXTEND}
)

REQUEST_TERMINAL = frozenset(
    {RequestStatus.COMPLETED, RequestStatus.REJECTED, RequestStatus.CANCELLED}
)
# A request still on its way: an account has at most one such request about it. (A
# failed one is not: whoever owns the account may file another.)
REQUEST_OPEN = frozenset(
    {RequestStatus.PENDING_APPROVAL, RequestStatus.APPROVED, RequestStatus.PROVISIONING}
)


class AccountStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CREATING = "creating", "Creating"
    PLACING = "placing", "Placing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    # Its request was rejected or cancelled before the account was created.
    CANCELLED = "cancelled", "Cancelled"
    # Invited: the handshake is open, the account's owner has not answered yet.
    INVITED = "invited", "Invited (handshake open)"
    # Decommissioning: in SuspendedOU (every action denied), waiting to be closed or removed.
    SUSPENDED = "suspended", "Suspended (waiting to close)"
    CLOSING = "closing", "Closing (PENDING_CLOSURE)"
    CLOSED = "closed", "Closed (SUSPENDED in AWS)"
    REMOVED = "removed", "Removed from the organization"


class AccountOrigin(models.TextChoices):
    """How an account came into the portal's inventory."""

    CREATED = "created", "Created by the portal"
    INVITED = "invited", "Invited into the organization"
    IMPORTED = "imported", "Imported from the organization"


ACCOUNT_TERMINAL = frozenset(
    {
        AccountStatus.READY,
        AccountStatus.FAILED,
        AccountStatus.CANCELLED,
        AccountStatus.SUSPENDED,
        AccountStatus.CLOSING,
        AccountStatus.CLOSED,
        AccountStatus.REMOVED,
    }
)
ACCOUNT_IN_FLIGHT = frozenset(
    {AccountStatus.PENDING, AccountStatus.CREATING, AccountStatus.PLACING}
)


class AccountLiveState(models.TextChoices):
    """Where the drift scan last saw a ready account (vending/selectors/accounts.py)."""

    UNSEEN = "unseen", "Not seen by a drift scan yet"
    IN_PLACE = "in_place", "In its OU"
    MOVED = "moved", "In another OU"
    MISSING = "missing_in_aws", "Missing in AWS"


class ServiceStatus(models.TextChoices):
    """What the SCPs above an account leave of one AWS service's actions."""

    ALLOWED = "allowed", "Allowed"
    PARTIAL = "partial", "Partial"
    DENIED = "denied", "Denied"


SERVICE_STATUSES = tuple(ServiceStatus.values)


class AuditAction(models.TextChoices):
    TEAM_CREATED = "team.created", "Team created"
    REQUEST_SUBMITTED = "request.submitted", "Request submitted"
    REQUEST_APPROVAL_ADDED = "request.approval_added", "Approval added"
    REQUEST_STATUS_CHANGED = "request.status_changed", "Request status changed"
    ACCOUNT_STATUS_CHANGED = "account.status_changed", "Account status changed"
    ACCOUNT_CREATE_REQUESTED = "account.create_requested", "CreateAccount requested"
    ACCOUNT_ADOPTED = "account.adopted", "Existing account adopted"
    ACCOUNT_MOVED = "account.moved", "Account moved"
    ACCOUNT_TAGGED = "account.tagged", "Account tagged"
    ACCOUNT_RETRIED = "account.retried", "Account retried"
    ACCOUNT_IMPORTED = "account.imported", "Existing account imported"
    ACCOUNT_TEAM_ASSIGNED = "account.team_assigned", "Account assigned to a team"
    ACCOUNT_CLASS_CHANGED = "account.class_changed", "Account class changed"
    ACCOUNT_BUDGET_CHANGED = "account.budget_changed", "Account budget changed"
    ACCOUNT_SETUP_DONE = "account.setup_done", "Account contacts or budget set in AWS"
    ACCOUNT_SETUP_RETRIED = "account.setup_retried", "Account contacts or budget tried again"
    ACCESS_ASSIGNED = "access.assigned", "Access assigned (Identity Center)"
    ACCESS_REMOVED = "access.removed", "Access removed (Identity Center)"
    ORG_CHANGED = "org.changed", "Organization changed"
    DRIFT_SCAN_REQUESTED = "drift.scan_requested", "Drift scan requested"
    DRIFT_REPAIRED = "drift.repaired", "Drift finding repaired"
    COST_REFRESH_REQUESTED = "cost.refresh_requested", "Cost refresh requested"
    ROLE_CHANGED = "role.changed", "Role changed"
    SIGNIN_LOCKED_OUT = "signin.locked_out", "Sign-in locked out"
    WEBHOOK_CHANGED = "webhook.changed", "Webhook endpoint changed"


class AccessStatus(models.TextChoices):
    """One Identity Center assignment of an account (vending/services/account_access.py):
    a group given a permission set on the account."""

    PENDING = "pending", "Pending"
    # CreateAccountAssignment asked (AWS carries it out asynchronously).
    IN_PROGRESS = "in_progress", "Being assigned"
    ASSIGNED = "assigned", "Assigned"
    # DeleteAccountAssignment asked: the account was decommissioned or changed hands.
    REMOVING = "removing", "Being removed"
    REMOVED = "removed", "Removed"
    FAILED = "failed", "Failed"


# An assignment AWS is working on: its request id is polled.
ACCESS_IN_FLIGHT = frozenset({AccessStatus.IN_PROGRESS, AccessStatus.REMOVING})


class RoleChangeSource(models.TextChoices):
    """Who changed a portal role: an admin in the Django admin, or the identity provider's
    groups applied by the portal at single sign-on."""

    ADMIN = "admin", "Django admin"
    SSO = "sso", "single sign-on"


class DriftKind(models.TextChoices):
    OU_MISSING = "ou_missing", "OU missing"
    POLICY_MISSING = "policy_missing", "SCP missing"
    POLICY_EDITED = "policy_edited", "SCP edited by hand"
    ATTACHMENT_MISSING = "attachment_missing", "SCP detached by hand"
    ATTACHMENT_EXTRA = "attachment_extra", "SCP attached by hand"
    ACCOUNT_WRONG_OU = "account_wrong_ou", "Account in the wrong OU"
    ACCOUNT_UNKNOWN = "account_unknown", "Account nobody requested"
    ACCOUNT_MISSING = "account_missing", "Account missing in AWS"
    ORGANIZATION = "organization", "Organization settings"


class NotificationKind(models.TextChoices):
    """What an e-mail of the outbox tells (its templates are templates/emails/<kind>.*)."""

    APPROVAL_NEEDED = "approval_needed", "Needs approval"
    REQUEST_APPROVED = "request_approved", "Request approved"
    REQUEST_REJECTED = "request_rejected", "Request rejected"
    REQUEST_COMPLETED = "request_completed", "Request completed"
    ACCOUNT_FAILED = "account_failed", "Account failed"
    LEASE_ENDING = "lease_ending", "Lease ending"
    # Sent only to one webhook endpoint, by an admin checking it (no e-mail).
    WEBHOOK_TEST = "webhook_test", "Webhook test"


# The kinds that are e-mailed (and that webhooks may subscribe to): all but the test.
NOTIFICATIONS_EMAILED = tuple(k for k in NotificationKind if k != NotificationKind.WEBHOOK_TEST)


class NotificationChannel(models.TextChoices):
    """How a notification of the outbox goes out."""

    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    # The state it told of had changed by the time it could be sent: dropped, with why.
    OBSOLETE = "obsolete", "Dropped as out of date"
    # The mail server refused the message itself (not the connection): never sendable.
    FAILED = "failed", "Refused"


class SetupStatus(models.TextChoices):
    """Where an account's extras stand in AWS (its alternate contacts, its budget): set
    after it is ready, never failing the vend. Blank: nothing asked."""

    PENDING = "pending", "Waiting to be set in AWS"
    DONE = "done", "Set in AWS"
    FAILED = "failed", "AWS refused it"
    REMOVED = "removed", "Removed from AWS"


class ContactType(models.TextChoices):
    """The alternate contacts of an AWS account (Account API, PutAlternateContact)."""

    BILLING = "billing", "Billing"
    OPERATIONS = "operations", "Operations"
    SECURITY = "security", "Security"
