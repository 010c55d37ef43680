"""BudgetsGateway: the monthly cost budgets the portal keeps on vended accounts.

A budget lives in the management account (the payer) and watches one member account
through the `LinkedAccount` cost filter. Its name is the portal's, derived from the
account (`budget_name`), so a retry finds what an earlier attempt made. Calls:
budgets:CreateBudget, DescribeBudget, UpdateBudget, DeleteBudget,
DescribeNotificationsForBudget, CreateNotification, DeleteNotification (IAM:
budgets:ViewBudget and budgets:ModifyBudget).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from vending.aws.errors import AwsError
from vending.aws.service_gateway import ServiceGateway
from vending.aws.session import gateway_config

CURRENCY = "USD"
# Notifications at these percentages of the amount, on actual spend.
THRESHOLDS = (80.0, 100.0)
# AWS: at most 10 e-mail subscribers per notification.
MAX_EMAIL_SUBSCRIBERS = 10
MISSING = frozenset({"NotFoundException"})
DUPLICATE = frozenset({"DuplicateRecordException"})


def budget_name(account_id: str) -> str:
    return f"vending-{account_id}"


@dataclass(frozen=True)
class Budget:
    name: str
    amount: Decimal
    unit: str
    time_unit: str
    budget_type: str
    linked_accounts: tuple[str, ...]


@dataclass(frozen=True)
class BudgetNotification:
    notification_type: str
    comparison: str
    threshold: float
    threshold_type: str


def _notification(threshold: float) -> dict[str, Any]:
    return {
        "NotificationType": "ACTUAL",
        "ComparisonOperator": "GREATER_THAN",
        "Threshold": threshold,
        "ThresholdType": "PERCENTAGE",
    }


def _subscribers(emails: Sequence[str]) -> list[dict[str, str]]:
    return [{"SubscriptionType": "EMAIL", "Address": e} for e in emails[:MAX_EMAIL_SUBSCRIBERS]]


class BudgetsGateway(ServiceGateway):
    def _new_client(self, session: boto3.Session, config: Config) -> Any:
        return session.client("budgets", config=config)

    def describe_budget(self, *, payer_id: str, name: str) -> Budget | None:
        try:
            b = self._call("describe_budget", AccountId=payer_id, BudgetName=name)["Budget"]
        except AwsError as exc:
            if exc.code in MISSING:
                return None
            raise
        limit = b.get("BudgetLimit", {})
        return Budget(
            name=b["BudgetName"],
            amount=Decimal(str(limit.get("Amount", "0"))),
            unit=limit.get("Unit", ""),
            time_unit=b.get("TimeUnit", ""),
            budget_type=b.get("BudgetType", ""),
            linked_accounts=tuple(b.get("CostFilters", {}).get("LinkedAccount", [])),
        )

    def _spec(self, *, name: str, amount: Decimal, linked_account_id: str) -> dict[str, Any]:
        return {
            "BudgetName": name,
            "BudgetLimit": {"Amount": str(amount), "Unit": CURRENCY},
            "CostFilters": {"LinkedAccount": [linked_account_id]},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        }

    def create_budget(
        self,
        *,
        payer_id: str,
        name: str,
        amount: Decimal,
        linked_account_id: str,
        emails: Sequence[str],
    ) -> None:
        """A monthly COST budget on one linked account, with e-mail notifications at
        each of THRESHOLDS of actual spend (none without `emails`). A budget of that
        name already there: PermanentAwsError DuplicateRecordException."""
        kwargs: dict[str, Any] = {
            "AccountId": payer_id,
            "Budget": self._spec(name=name, amount=amount, linked_account_id=linked_account_id),
        }
        if emails:
            kwargs["NotificationsWithSubscribers"] = [
                {"Notification": _notification(t), "Subscribers": _subscribers(emails)}
                for t in THRESHOLDS
            ]
        self._call("create_budget", **kwargs)

    def update_budget(
        self, *, payer_id: str, name: str, amount: Decimal, linked_account_id: str
    ) -> None:
        self._call(
            "update_budget",
            AccountId=payer_id,
            NewBudget=self._spec(name=name, amount=amount, linked_account_id=linked_account_id),
        )

    def delete_budget(self, *, payer_id: str, name: str) -> bool:
        """False when there was no such budget (an earlier attempt deleted it)."""
        try:
            self._call("delete_budget", AccountId=payer_id, BudgetName=name)
        except AwsError as exc:
            if exc.code in MISSING:
                return False
            raise
        return True

    def list_notifications(self, *, payer_id: str, name: str) -> list[BudgetNotification]:
        answer = self._call(
            "describe_notifications_for_budget", AccountId=payer_id, BudgetName=name
        )
        return [
            BudgetNotification(
                notification_type=n.get("NotificationType", ""),
                comparison=n.get("ComparisonOperator", ""),
                threshold=float(n.get("Threshold", 0)),
                threshold_type=n.get("ThresholdType", ""),
            )
            for n in answer.get("Notifications", [])
        ]

    def create_notification(
        self, *, payer_id: str, name: str, threshold: float, emails: Sequence[str]
    ) -> None:
        self._call(
            "create_notification",
            AccountId=payer_id,
            BudgetName=name,
            Notification=_notification(threshold),
            Subscribers=_subscribers(emails),
        )

    def delete_notification(self, *, payer_id: str, name: str, threshold: float) -> bool:
        """The notification at `threshold` and its subscribers; False when there was none
        (an earlier attempt deleted it)."""
        try:
            self._call(
                "delete_notification",
                AccountId=payer_id,
                BudgetName=name,
                Notification=_notification(threshold),
            )
        except AwsError as exc:
            if exc.code in MISSING:
                return False
            raise
        return True


@cache
def get_budgets_gateway() -> BudgetsGateway:
    return BudgetsGateway(gateway_config())
