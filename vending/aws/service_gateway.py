"""What the gateways of AWS services other than Organizations share (Budgets, Account,
Cost Explorer):
one client per thread on the portal's session (its role, its endpoints), errors mapped
as the Organizations gateway maps them, every call counted (`call_metrics`).

These services are global and answer for the organization from the management account,
as Organizations does: the same role (VENDING_ORG_ROLE_ARN) calls them.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from vending.aws.call_metrics import instrument_client
from vending.aws.errors import map_botocore_error, map_client_error
from vending.aws.session import GatewayConfig, build_session


class ServiceGateway:
    def __init__(self, config: GatewayConfig | None = None) -> None:
        self.config = config or GatewayConfig()
        self._local = threading.local()

    @property
    def client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            session = build_session(self.config)
            client = self._new_client(session, self.config.botocore_config(session))
            instrument_client(client)
            self._local.client = client
        return client

    def warm(self) -> None:
        """Build this thread's client now (see `OrganizationsGateway.warm`)."""
        self.client  # noqa: B018 - the property builds it

    def _new_client(self, session: boto3.Session, config: Config) -> Any:
        """`session.client("<service>", config=config)`, the service named as a literal
        (the permissions scan, tests/unit/test_permissions.py, reads it)."""
        raise NotImplementedError

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        api = "".join(part.capitalize() for part in operation.split("_"))
        try:
            answer: dict[str, Any] = getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            raise map_client_error(exc, api) from exc
        except BotoCoreError as exc:
            raise map_botocore_error(exc, api) from exc
        return answer
