"""boto3 sessions: boto3's own configuration chain, optionally assuming a role.

boto3 already honours AWS_PROFILE, AWS_ENDPOINT_URL(_ORGANIZATIONS), AWS_REGION and the
credential chain; this module adds only VENDING_ORG_ROLE_ARN, with credentials that
refresh themselves before they expire (long-running workers outlive one session).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader
from botocore.session import Session as BotocoreSession
from botocore.session import get_session

if TYPE_CHECKING:
    from botocore.config import _RetryDict

# Organizations is a global service served from us-east-1 (aws partition).
DEFAULT_REGION = "us-east-1"

# Every AWS service the portal calls (botocore's client names).
PORTAL_SERVICES = (
    "organizations",
    "sts",
    "sso-admin",
    "identitystore",
    "account",
    "budgets",
    "ce",
)


@dataclass(frozen=True)
class GatewayConfig:
    # Empty: boto3's own chain (AWS_REGION, AWS_DEFAULT_REGION, the profile), then
    # DEFAULT_REGION.
    region: str = ""
    role_arn: str = ""
    role_session_name: str = "vending-portal"
    max_attempts: int = 5
    connect_timeout: float = 5.0
    read_timeout: float = 30.0

    def botocore_config(
        self, session: boto3.Session | None = None, *, retry: bool = True
    ) -> Config:
        """`retry=False`: one attempt only, for calls that must not be repeated blindly."""
        region = self.region or (session.region_name if session else None) or DEFAULT_REGION
        # botocore's "max_attempts" counts retries; "total_max_attempts" every attempt.
        retries: _RetryDict = (
            {"mode": "standard", "max_attempts": self.max_attempts}
            if retry
            else {"mode": "standard", "total_max_attempts": 1}
        )
        return Config(
            region_name=region,
            retries=retries,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            user_agent_extra="account-vending-portal",
        )


def gateway_config() -> GatewayConfig:
    """The portal's AWS configuration, from Django settings: every gateway's, the region
    replaced where a service has its own (Identity Center, Cost Explorer)."""
    from django.conf import settings

    return GatewayConfig(
        region=settings.VENDING_AWS_REGION,
        role_arn=settings.VENDING_ORG_ROLE_ARN,
        role_session_name=settings.VENDING_ORG_ROLE_SESSION_NAME,
        max_attempts=settings.VENDING_AWS_MAX_ATTEMPTS,
    )


class _UniquePaths(list[str]):
    """A loader's search paths that take each path once: boto3 appends its own data folder
    to the loader of every session it makes, so a shared loader's list would grow by one
    entry per session (and every lookup of a missing file walk it)."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


@cache
def _shared_loader(data_path: str | None) -> Loader:
    """As botocore's `create_loader(data_path)` (AWS_DATA_PATH), shared by the process."""
    extra = data_path.split(os.pathsep) if data_path else []
    paths = _UniquePaths(os.path.expanduser(os.path.expandvars(p)) for p in extra)
    return Loader(extra_search_paths=paths)


def _botocore_session() -> BotocoreSession:
    """A botocore session whose service models come from one loader per process.

    botocore gives every session a loader of its own, which reads and parses the
    service's JSON models again (a tenth of a second or more of CPU per service) for
    every thread's first client. Shared, they are read once; loaded before a worker
    forks its pool (`service_models_preload`), every pool process has them from the start.
    """
    session = get_session()
    loader = _shared_loader(session.get_config_variable("data_path"))
    session.register_component("data_loader", loader)
    return session


def service_models_preload(services: Iterable[str] = PORTAL_SERVICES) -> None:
    """Load the models, endpoints and paginators of `services` into the shared loader.
    No call is made and no credential is looked up (the client is given placeholders)."""
    botocore_session = _botocore_session()
    loader = botocore_session.get_component("data_loader")
    session = boto3.Session(
        botocore_session=botocore_session,
        aws_access_key_id="preload",
        aws_secret_access_key="preload",  # noqa: S106 - never sent: no call is made
        region_name=DEFAULT_REGION,
    )
    for service in services:
        session.client(service)  # type: ignore[call-overload]
        with suppress(DataNotFoundError):  # a service without paginators
            loader.load_service_model(service, "paginators-1")


_sessions = threading.local()


def build_session(config: GatewayConfig) -> boto3.Session:
    """A session on boto3's default chain, or on an assumed role when one is configured:
    one per thread and configuration, shared by the thread's gateways.

    A boto3 session is not thread-safe, and making one costs more than most calls (it
    registers botocore's handlers, looks up credentials and, with a role, assumes it);
    credentials that expire refresh themselves (the role's, an instance profile's).
    """
    kept: dict[GatewayConfig, boto3.Session] = _sessions.__dict__.setdefault("by_config", {})
    session = kept.get(config)
    if session is None:
        session = kept[config] = _new_session(config)
    return session


def _new_session(config: GatewayConfig) -> boto3.Session:
    base = boto3.Session(botocore_session=_botocore_session())
    if not config.role_arn:
        return base

    def refresh() -> dict[str, Any]:
        sts = base.client("sts", config=config.botocore_config(base))
        creds = sts.assume_role(RoleArn=config.role_arn, RoleSessionName=config.role_session_name)[
            "Credentials"
        ]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }

    credentials = RefreshableCredentials.create_from_metadata(
        metadata=refresh(), refresh_using=refresh, method="sts-assume-role"
    )
    botocore_session = _botocore_session()
    botocore_session._credentials = credentials  # type: ignore[attr-defined]
    return boto3.Session(botocore_session=botocore_session)
