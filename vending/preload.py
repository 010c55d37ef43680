"""What every worker process needs and would otherwise load on its first task.

Called before a Celery worker forks its pool (`portal/celery_app.py`): the pool
processes start with it (shared copy-on-write), instead of each paying for it on its
first task. A fresh pool process's first account took ten times a warm one's: botocore
reading the JSON models of every service it calls, the blueprint parsed, the e-mail
templates compiled, the URLconf imported for the e-mails' links.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def process_preload() -> None:
    """Each part on its own: one that fails is logged and left to the first task that
    needs it (a broken blueprint file is reported where it is used: the organization
    page, `org plan`); nothing here may stop a worker from starting."""
    for what, load in (
        ("the AWS service models", _aws_models),
        ("the URLconf and the e-mail templates", _urls_and_templates),
        ("the blueprint", _blueprint),
    ):
        try:
            load()
        except Exception:
            logger.warning("Could not load %s before starting", what, exc_info=True)


def _aws_models() -> None:
    from vending.aws.session import service_models_preload

    service_models_preload()


def _urls_and_templates() -> None:
    from django.core.validators import validate_email
    from django.template.loader import get_template
    from django.urls import get_resolver

    from vending.choices import NOTIFICATIONS_EMAILED

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf
    for kind in NOTIFICATIONS_EMAILED:
        get_template(f"emails/{kind}.txt")
        get_template(f"emails/{kind}.subject.txt")
    validate_email("preload@example.com")  # compiles the validator's patterns


def _blueprint() -> None:
    from vending.blueprint.current import current_blueprint

    current_blueprint()


def pool_process_warm() -> None:
    """In each pool process, before its first task: the AWS clients an account's way to
    ready and its setup use, built (and the role assumed), so the first account does not
    wait for them. A failure is only logged: the first task builds them again."""
    from vending.aws import get_gateway
    from vending.aws.account_contacts import get_contacts_gateway
    from vending.aws.budgets import get_budgets_gateway
    from vending.aws.identity_center import get_identity_center

    for gateway in (
        get_gateway(),
        get_identity_center(),
        get_budgets_gateway(),
        get_contacts_gateway(),
    ):
        try:
            gateway.warm()
        except Exception:
            logger.warning(
                "Could not prepare the AWS clients of %s", type(gateway).__name__, exc_info=True
            )
