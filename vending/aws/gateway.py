"""OrganizationsGateway: typed methods over the AWS Organizations API.

Pagination is hidden inside, botocore's standard retry mode absorbs short throttling,
and every failure leaves as `TransientAwsError` or `PermanentAwsError`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import cache
from typing import Any

from vending.aws.call_metrics import instrument_client
from vending.aws.errors import AwsError, api_name, mapped_errors
from vending.aws.lifecycle import AccountLifecycleCalls
from vending.aws.session import GatewayConfig, build_session, gateway_config
from vending.aws.types import (
    Account,
    CreateAccountState,
    CreateAccountStatus,
    Organization,
    OrganizationalUnit,
    Parent,
    ParentType,
    Policy,
    PolicySummary,
    PolicyTarget,
    Root,
)

SCP = "SERVICE_CONTROL_POLICY"


class OrganizationsGateway(AccountLifecycleCalls):
    def __init__(self, config: GatewayConfig | None = None) -> None:
        self.config = config or GatewayConfig()
        self._local = threading.local()

    # -- plumbing -----------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """One client per thread: boto3 sessions are not thread-safe, clients are costly."""
        return self._client(retry=True)

    def _client(self, *, retry: bool) -> Any:
        name = "client" if retry else "client_once"
        client = getattr(self._local, name, None)
        if client is None:
            session = build_session(self.config)  # this thread's, kept by build_session
            config = self.config.botocore_config(session, retry=retry)
            client = session.client("organizations", config=config)
            instrument_client(client)  # the calls counted for the metrics endpoint
            setattr(self._local, name, client)
        return client

    def warm(self) -> None:
        """Build this thread's clients now (botocore loads its service models, and the
        role is assumed), so the first call that matters does not wait for it."""
        self._client(retry=True)
        self._client(retry=False)

    def endpoint_url(self) -> str:
        """Where this gateway's calls go (AWS_ENDPOINT_URL* or AWS's own), for the
        readiness check; building the client makes no call."""
        return str(self._client(retry=False).meta.endpoint_url)

    def _call(self, operation: str, *, retry: bool = True, **kwargs: Any) -> dict[str, Any]:
        """`retry=False` for calls that are not idempotent: botocore would repeat them
        after a 5xx or a timeout, when AWS may already have acted on the first attempt."""
        with mapped_errors(api_name(operation)):
            result: dict[str, Any] = getattr(self._client(retry=retry), operation)(**kwargs)
        return result

    def _paginate(self, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        with mapped_errors(api_name(operation)):
            for page in self.client.get_paginator(operation).paginate(**kwargs):
                yield from page.get(key, [])

    # -- organization -------------------------------------------------------------------

    def describe_organization(self) -> Organization | None:
        """The organization, or None when this account is not in one."""
        try:
            org = self._call("describe_organization")["Organization"]
        except AwsError as exc:
            if exc.code == "AWSOrganizationsNotInUseException":
                return None
            raise
        return _organization(org)

    def create_organization(self, *, feature_set: str = "ALL") -> Organization:
        return _organization(
            self._call("create_organization", FeatureSet=feature_set)["Organization"]
        )

    def list_roots(self) -> list[Root]:
        return [
            Root(
                id=r["Id"],
                arn=r["Arn"],
                name=r["Name"],
                enabled_policy_types=tuple(
                    p["Type"] for p in r.get("PolicyTypes", []) if p.get("Status") == "ENABLED"
                ),
            )
            for r in self._paginate("list_roots", "Roots")
        ]

    def root(self) -> Root:
        roots = self.list_roots()
        if not roots:
            raise AwsError("The organization has no root", operation="ListRoots")
        return roots[0]

    def enable_policy_type(self, *, root_id: str, policy_type: str = SCP) -> None:
        self._call("enable_policy_type", RootId=root_id, PolicyType=policy_type)

    # -- OUs ----------------------------------------------------------------------------

    def list_organizational_units(self, *, parent_id: str) -> list[OrganizationalUnit]:
        return [
            _ou(ou)
            for ou in self._paginate(
                "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent_id
            )
        ]

    def create_organizational_unit(
        self, *, parent_id: str, name: str, tags: dict[str, str] | None = None
    ) -> OrganizationalUnit:
        kwargs: dict[str, Any] = {"ParentId": parent_id, "Name": name}
        if tags:
            kwargs["Tags"] = _tag_list(tags)
        return _ou(self._call("create_organizational_unit", **kwargs)["OrganizationalUnit"])

    def find_organizational_unit(self, *, path: str) -> OrganizationalUnit | None:
        """The OU at `path` (names from the root joined by '/'), or None if missing."""
        parent_id = self.root().id
        found: OrganizationalUnit | None = None
        for name in [part for part in path.split("/") if part]:
            found = next(
                (
                    ou
                    for ou in self.list_organizational_units(parent_id=parent_id)
                    if ou.name == name
                ),
                None,
            )
            if found is None:
                return None
            parent_id = found.id
        return found

    def list_children(self, *, parent_id: str, child_type: str) -> list[str]:
        return [
            c["Id"]
            for c in self._paginate(
                "list_children", "Children", ParentId=parent_id, ChildType=child_type
            )
        ]

    def list_parents(self, *, child_id: str) -> list[Parent]:
        return [
            Parent(id=p["Id"], type=ParentType(p["Type"]))
            for p in self._paginate("list_parents", "Parents", ChildId=child_id)
        ]

    # -- accounts -----------------------------------------------------------------------

    def list_accounts(self) -> list[Account]:
        return [_account(a) for a in self._paginate("list_accounts", "Accounts")]

    def list_accounts_for_parent(self, *, parent_id: str) -> list[Account]:
        return [
            _account(a)
            for a in self._paginate("list_accounts_for_parent", "Accounts", ParentId=parent_id)
        ]

    def describe_account(self, *, account_id: str) -> Account:
        return _account(self._call("describe_account", AccountId=account_id)["Account"])

    def find_account_by_email(self, *, email: str) -> Account | None:
        wanted = email.casefold()
        return next((a for a in self.list_accounts() if a.email.casefold() == wanted), None)

    def create_account(
        self, *, name: str, email: str, tags: dict[str, str] | None = None
    ) -> CreateAccountStatus:
        """One attempt only: CreateAccount takes no client token, so a blind retry after a
        lost answer would request a second account. The caller decides (see
        `AwsError.may_have_acted`)."""
        kwargs: dict[str, Any] = {"AccountName": name, "Email": email}
        if tags:
            kwargs["Tags"] = _tag_list(tags)
        return _create_status(
            self._call("create_account", retry=False, **kwargs)["CreateAccountStatus"]
        )

    def describe_create_account_status(self, *, request_id: str) -> CreateAccountStatus:
        return _create_status(
            self._call("describe_create_account_status", CreateAccountRequestId=request_id)[
                "CreateAccountStatus"
            ]
        )

    def list_create_account_status(
        self, *, states: list[CreateAccountState] | None = None
    ) -> list[CreateAccountStatus]:
        kwargs: dict[str, Any] = {}
        if states:
            kwargs["States"] = [s.value for s in states]
        return [
            _create_status(s)
            for s in self._paginate("list_create_account_status", "CreateAccountStatuses", **kwargs)
        ]

    def move_account(
        self, *, account_id: str, source_parent_id: str, destination_parent_id: str
    ) -> None:
        self._call(
            "move_account",
            AccountId=account_id,
            SourceParentId=source_parent_id,
            DestinationParentId=destination_parent_id,
        )

    # -- tags ---------------------------------------------------------------------------

    def tag_resource(self, *, resource_id: str, tags: dict[str, str]) -> None:
        self._call("tag_resource", ResourceId=resource_id, Tags=_tag_list(tags))

    def list_tags(self, *, resource_id: str) -> dict[str, str]:
        return {
            t["Key"]: t["Value"]
            for t in self._paginate("list_tags_for_resource", "Tags", ResourceId=resource_id)
        }

    # -- policies -----------------------------------------------------------------------

    def list_policies(self, *, policy_type: str = SCP) -> list[PolicySummary]:
        return [_policy(p) for p in self._paginate("list_policies", "Policies", Filter=policy_type)]

    def describe_policy(self, *, policy_id: str) -> Policy:
        p = self._call("describe_policy", PolicyId=policy_id)["Policy"]
        return Policy(summary=_policy(p["PolicySummary"]), content=p["Content"])

    def create_policy(
        self, *, name: str, description: str, content: str, policy_type: str = SCP
    ) -> PolicySummary:
        p = self._call(
            "create_policy", Name=name, Description=description, Content=content, Type=policy_type
        )["Policy"]
        return _policy(p["PolicySummary"])

    def update_policy(
        self,
        *,
        policy_id: str,
        content: str | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> PolicySummary:
        kwargs: dict[str, Any] = {"PolicyId": policy_id}
        if content is not None:
            kwargs["Content"] = content
        if name is not None:
            kwargs["Name"] = name
        if description is not None:
            kwargs["Description"] = description
        return _policy(self._call("update_policy", **kwargs)["Policy"]["PolicySummary"])

    def attach_policy(self, *, policy_id: str, target_id: str) -> None:
        self._call("attach_policy", PolicyId=policy_id, TargetId=target_id)

    def detach_policy(self, *, policy_id: str, target_id: str) -> None:
        self._call("detach_policy", PolicyId=policy_id, TargetId=target_id)

    def list_policies_for_target(
        self, *, target_id: str, policy_type: str = SCP
    ) -> list[PolicySummary]:
        return [
            _policy(p)
            for p in self._paginate(
                "list_policies_for_target", "Policies", TargetId=target_id, Filter=policy_type
            )
        ]

    def list_targets_for_policy(self, *, policy_id: str) -> list[PolicyTarget]:
        return [
            PolicyTarget(target_id=t["TargetId"], arn=t["Arn"], name=t["Name"], type=t["Type"])
            for t in self._paginate("list_targets_for_policy", "Targets", PolicyId=policy_id)
        ]


# -- conversions ------------------------------------------------------------------------


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _organization(o: dict[str, Any]) -> Organization:
    return Organization(
        id=o["Id"],
        arn=o["Arn"],
        feature_set=o.get("FeatureSet", ""),
        management_account_id=o.get("MasterAccountId", ""),
        management_account_email=o.get("MasterAccountEmail", ""),
    )


def _ou(o: dict[str, Any]) -> OrganizationalUnit:
    return OrganizationalUnit(id=o["Id"], arn=o["Arn"], name=o["Name"])


def _account(a: dict[str, Any]) -> Account:
    return Account(
        id=a["Id"],
        arn=a["Arn"],
        name=a.get("Name", ""),
        email=a.get("Email", ""),
        status=a.get("Status", ""),
        joined_method=a.get("JoinedMethod", ""),
        joined_at=a.get("JoinedTimestamp"),
        state=a.get("State", ""),
    )


def _create_status(s: dict[str, Any]) -> CreateAccountStatus:
    return CreateAccountStatus(
        request_id=s["Id"],
        state=CreateAccountState(s["State"]),
        account_name=s.get("AccountName", ""),
        account_id=s.get("AccountId") or None,
        failure_reason=s.get("FailureReason") or None,
        requested_at=s.get("RequestedTimestamp"),
        completed_at=s.get("CompletedTimestamp"),
    )


def _policy(p: dict[str, Any]) -> PolicySummary:
    return PolicySummary(
        id=p["Id"],
        arn=p["Arn"],
        name=p["Name"],
        description=p.get("Description", ""),
        type=p.get("Type", SCP),
        aws_managed=bool(p.get("AwsManaged", False)),
    )


@cache
def get_gateway() -> OrganizationsGateway:
    """The process-wide gateway, configured from Django settings."""
    return OrganizationsGateway(gateway_config())
