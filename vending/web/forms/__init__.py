"""Every form of the web portal: they check shape, the services check rules.

One module per domain; import them from here."""

from vending.web.forms.accounts import (
    AccountChangeForm,
    AccountFilterForm,
    AccountPolicyForm,
    AccountTeamForm,
)
from vending.web.forms.admin import ApiTokenForm, AuditFilterForm, WebhookEndpointForm
from vending.web.forms.base import CLASS_HELP, DomainErrorForm
from vending.web.forms.metadata import (
    AccountBudgetForm,
    MetadataPreviewForm,
    account_budget_form,
)
from vending.web.forms.requests import (
    AccountRequestForm,
    ApproveForm,
    CancelForm,
    InvitePreviewForm,
    InviteRequestForm,
    QueueFilterForm,
    RejectForm,
    RequestFilterForm,
    RequestPreviewForm,
    ServiceSearchForm,
)

__all__ = [
    "CLASS_HELP",
    "AccountBudgetForm",
    "AccountChangeForm",
    "AccountFilterForm",
    "AccountPolicyForm",
    "AccountRequestForm",
    "AccountTeamForm",
    "ApiTokenForm",
    "ApproveForm",
    "AuditFilterForm",
    "CancelForm",
    "DomainErrorForm",
    "InvitePreviewForm",
    "InviteRequestForm",
    "MetadataPreviewForm",
    "QueueFilterForm",
    "RejectForm",
    "RequestFilterForm",
    "RequestPreviewForm",
    "ServiceSearchForm",
    "WebhookEndpointForm",
    "account_budget_form",
]
