"""boto3 sessions: boto3's own configuration chain, optionally assuming a role.

boto3 already honours AWS_PROFILE, AWS_ENDPOINT_URL(_ORGANIZATIONS), AWS_REGION and the
credential chain; this module adds only VENDING_ORG_ROLE_ARN, with credentials that
refresh themselves before they expire (long-running workers outlive one session).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.session import get_session

if TYPE_CHECKING:
    from botocore.config import _RetryDict

# Organizations is a global service served from us-east-1 (aws partition).
DEFAULT_REGION = "us-east-1"


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


def build_session(config: GatewayConfig) -> boto3.Session:
    """A session on boto3's default chain, or on an assumed role when one is configured."""
    base = boto3.Session()
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
    botocore_session = get_session()
    botocore_session._credentials = credentials  # type: ignore[attr-defined]
    return boto3.Session(botocore_session=botocore_session)
