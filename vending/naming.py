"""Account names and root e-mails from the configured templates, checked against AWS.

AWS: an account name is 1-50 printable ASCII characters; a root e-mail is 6-64
characters and must be a valid address (CreateAccount API reference). The portal
refuses anything else before a single call is made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from vending.errors import InvalidInput

if TYPE_CHECKING:
    from vending.models import VendedAccount

# The portal's own tags on every account it vends (team, environment, class, request,
# owner, cost centre): requested tags may not take the prefix, and these count towards
# AWS's 50 tags on an account (vending/account_metadata.py).
TAG_PREFIX = "vending:"
PORTAL_TAG_KEYS = tuple(
    f"{TAG_PREFIX}{key}"
    for key in ("team", "environment", "compliance-class", "request-id", "owner", "cost-centre")
)
ACCOUNT_NAME_MAX = 50
EMAIL_MIN, EMAIL_MAX = 6, 64
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]+$")


@dataclass(frozen=True)
class AccountIdentity:
    name: str
    email: str


def account_identity_render(
    *, team: str, environment: str, compliance_class: str
) -> AccountIdentity:
    values = {
        "team": team,
        "environment": environment,
        "compliance_class": compliance_class.replace("_", "-"),
        "domain": settings.VENDING_ACCOUNT_EMAIL_DOMAIN,
    }
    try:
        name = settings.VENDING_ACCOUNT_NAME_TEMPLATE.format(**values)
        email = settings.VENDING_ACCOUNT_EMAIL_TEMPLATE.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidInput(
            f"The account name or e-mail template is invalid ({exc}); allowed placeholders: "
            "{team}, {environment}, {compliance_class}, {domain}."
        ) from exc
    identity = AccountIdentity(name=name, email=email.lower())
    account_identity_validate(identity)
    return identity


def account_identity_validate(identity: AccountIdentity) -> None:
    errors: list[str] = []
    if not identity.name or len(identity.name) > ACCOUNT_NAME_MAX:
        errors.append(
            f"Account name '{identity.name}' is {len(identity.name)} characters; "
            f"AWS allows 1 to {ACCOUNT_NAME_MAX}. Use a shorter team slug."
        )
    elif not _PRINTABLE_ASCII.match(identity.name):
        errors.append(f"Account name '{identity.name}' must be printable ASCII characters.")
    if not EMAIL_MIN <= len(identity.email) <= EMAIL_MAX:
        errors.append(
            f"Root e-mail '{identity.email}' is {len(identity.email)} characters; "
            f"AWS allows {EMAIL_MIN} to {EMAIL_MAX}. Use a shorter team slug or e-mail domain."
        )
    else:
        try:
            validate_email(identity.email)
        except ValidationError:
            errors.append(f"Root e-mail '{identity.email}' is not a valid e-mail address.")
    if errors:
        raise InvalidInput(" ".join(errors), field_errors={"team": errors})


def account_tags(account: VendedAccount) -> dict[str, str]:
    """The tags the portal keeps on a vended account (none on one it did not create)."""
    request = account.request
    if request is None:
        return {}
    own = {
        f"{TAG_PREFIX}team": request.team.slug,
        f"{TAG_PREFIX}environment": account.environment,
        f"{TAG_PREFIX}compliance-class": account.class_value or request.compliance_class,
        f"{TAG_PREFIX}request-id": str(request.pk),
    }
    if account.owner_id is not None and account.owner is not None:
        own[f"{TAG_PREFIX}owner"] = account.owner.get_username()
    if account.cost_centre:
        own[f"{TAG_PREFIX}cost-centre"] = account.cost_centre
    # The requested tags, then the portal's: no requested key takes its prefix anyway.
    return {**(account.tags or {}), **own}
