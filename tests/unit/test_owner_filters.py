"""The list's team and class filters are written for the database's indexes, not as the
computed columns they stand for: they must keep selecting exactly the rows whose
computed `team_slug` / `account_class` match, for accounts with a request, imported
accounts with an assigned team, and accounts whose own columns say otherwise."""

from __future__ import annotations

import pytest

from tests.web.helpers import submit
from vending.account_ownership import account_class_is, accounts_with_owner, owner_team_is
from vending.choices import AccountOrigin, AccountStatus
from vending.models import VendedAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed(users, team, other_team):
    """checkout's general request (2 accounts), payments' pci request (1, but its own team
    column says checkout and its own class hipaa), imported accounts assigned to each
    team, and one imported with no team."""
    submit(users, team, envs=("dev", "prod"))
    pci = submit(users, other_team, cls="pci", envs=("qa",), who="lead2").accounts.get()
    pci.team, pci.compliance_class = team, "hipaa"
    pci.save()
    for number, assigned in (
        ("111111111111", team),
        ("222222222222", other_team),
        ("3" * 12, None),
    ):
        VendedAccount.objects.create(
            name=f"imported-{number}",
            email=f"{number}@example.com",
            account_id=number,
            origin=AccountOrigin.IMPORTED,
            status=AccountStatus.READY,
            environment="prod",
            target_ou_path="PciOU",
            compliance_class="pci",
            team=assigned,
        )


@pytest.mark.parametrize("slug", ["checkout", "payments", "nobody"])
def test_the_team_filter_selects_the_rows_whose_team_column_matches(mixed, slug):
    rows = accounts_with_owner(VendedAccount.objects.all())
    expected = {a.pk for a in rows if a.team_slug == slug}
    assert {a.pk for a in rows.filter(owner_team_is(slug))} == expected
    assert expected or slug == "nobody"


@pytest.mark.parametrize("value", ["general", "pci", "hipaa"])
def test_the_class_filter_selects_the_rows_whose_class_column_matches(mixed, value):
    rows = accounts_with_owner(VendedAccount.objects.all())
    expected = {a.pk for a in rows if a.account_class == value}
    assert {a.pk for a in rows.filter(account_class_is(value))} == expected
    assert expected
