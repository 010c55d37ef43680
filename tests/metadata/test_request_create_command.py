"""`manage.py request_create` with owner, cost centre, tags, contacts and budget."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from vending.models import AccountRequest

pytestmark = pytest.mark.django_db

BASE = ["--as", "lead", "--team", "checkout", "--class", "general", "--env", "dev",
        "--justification", "Shell"]  # fmt: skip


def test_the_command_takes_every_field(users, team):
    call_command(
        "request_create", *BASE, "--cost-centre", "CC-5", "--tag", "project=claims",
        "--tag", "url=a=b", "--budget", "12.50",
        "--contact", "security", "Sam Sec", "CISO", "sec@example.com", "+44 20 0000",
        stdout=StringIO(),
    )  # fmt: skip
    request = AccountRequest.objects.get()
    assert request.cost_centre == "CC-5" and request.owner == users["lead"]
    assert request.tags == {"project": "claims", "url": "a=b"}
    assert request.budget_amount == Decimal("12.50")
    assert request.contacts["security"]["email"] == "sec@example.com"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--tag", "novalue"], "give KEY=VALUE"),
        (["--tag", "a=1", "--tag", "a=2"], "given twice"),
        (["--budget", "lots"], "not an amount"),
        (["--tag", "vending:team=x"], "reserved for the portal's own tags"),
        (["--owner", "approver1"], "not a lead of team 'checkout'"),
    ],
)
def test_the_command_refuses_bad_input(users, team, extra, message):
    with pytest.raises(CommandError, match=message):
        call_command("request_create", *BASE, *extra, stdout=StringIO())
    assert not AccountRequest.objects.exists()
