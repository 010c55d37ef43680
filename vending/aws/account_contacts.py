"""AccountContactsGateway: the alternate contacts (billing, operations, security) of a
member account, set from the management account through the Account API
(account:PutAlternateContact with AccountId; AWS requires trusted access for
account.amazonaws.com in the organization: docs/operations.md).
PutAlternateContact replaces the contact: repeating it is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from vending.aws.service_gateway import ServiceGateway
from vending.aws.session import gateway_config


@dataclass(frozen=True)
class AlternateContact:
    contact_type: str  # BILLING, OPERATIONS or SECURITY
    name: str
    title: str
    email: str
    phone: str


class AccountContactsGateway(ServiceGateway):
    def _new_client(self, session: boto3.Session, config: Config) -> Any:
        return session.client("account", config=config)

    def put_alternate_contact(self, *, account_id: str, contact: AlternateContact) -> None:
        self._call(
            "put_alternate_contact",
            AccountId=account_id,
            AlternateContactType=contact.contact_type,
            Name=contact.name,
            Title=contact.title,
            EmailAddress=contact.email,
            PhoneNumber=contact.phone,
        )


@cache
def get_contacts_gateway() -> AccountContactsGateway:
    return AccountContactsGateway(gateway_config())
