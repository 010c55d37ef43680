"""The rules an account's tags, cost centre, contacts and budget must meet (AWS's, which
moto does not enforce), and the blueprint's default budgets."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from vending.account_metadata import (
    budget_errors,
    contact_errors,
    cost_centre_errors,
    tag_errors,
)
from vending.blueprint.loader import DEFAULT_BLUEPRINT, BlueprintError, parse_blueprint
from vending.naming import PORTAL_TAG_KEYS

PORTAL = len(PORTAL_TAG_KEYS)


def errors(pairs: list[tuple[str, str]]) -> list[str]:
    return tag_errors(pairs, portal_tags=PORTAL)


def test_good_tags_pass_in_any_script():
    assert errors([("project", "claims"), ("Équipe", "Café 2"), ("a:b/c=d+e-f@g_h.i", "")]) == []
    assert errors([("k" * 128, "v" * 256)]) == []


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("", "x")], "a key is 1 to 128 characters"),
        ([("k" * 129, "x")], "a key is 1 to 128 characters"),
        ([("k", "v" * 257)], "a value is at most 256 characters"),
        ([("cost*centre", "x")], "use letters, numbers, spaces"),
        ([("k", "semi;colon")], "use letters, numbers, spaces"),
        ([("aws:createdBy", "x")], "reserved by AWS"),
        ([("AWS:CreatedBy", "x")], "reserved by AWS"),
        ([("vending:owner", "me")], "reserved for the portal's own tags"),
        ([("Vending:Team", "x")], "reserved for the portal's own tags"),
        ([("Project", "a"), ("project", "b")], "the key is given twice"),
    ],
)
def test_each_tag_rule(pairs, expected):
    found = errors(pairs)
    assert any(expected in message for message in found), found


def test_the_portals_own_tags_count_towards_fifty():
    room = 50 - PORTAL
    assert errors([(f"k{i}", "v") for i in range(room)]) == []
    found = errors([(f"k{i}", "v") for i in range(room + 1)])
    assert found == [
        f"{room + 1} tags: AWS allows 50 on an account and the portal sets {PORTAL} of its "
        f"own, so at most {room}."
    ]


def test_every_tag_problem_is_reported_at_once():
    found = errors([("aws:x", "v"), ("bad*", "v"), ("ok", "v" * 300)])
    assert len(found) == 3


@pytest.mark.parametrize("value", ["CC-1234", "finance/emea", "a", "x" * 64, "R_and.D"])
def test_good_cost_centres(value):
    assert cost_centre_errors(value) == []


@pytest.mark.parametrize("value", ["-lead", "x" * 65, "with space", "ünicode", "a;b"])
def test_bad_cost_centres(value):
    assert cost_centre_errors(value)


GOOD = {"name": "Ana Ops", "title": "On call", "email": "ops@example.com", "phone": "+1 (555) 0100"}


def test_good_contacts():
    assert contact_errors({"billing": GOOD, "security": GOOD}) == []
    assert contact_errors({}) == []


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        ({**GOOD, "name": ""}, "billing.name: required"),
        ({k: v for k, v in GOOD.items() if k != "phone"}, "billing.phone: required"),
        ({**GOOD, "name": "n" * 65}, "billing.name: at most 64"),
        ({**GOOD, "title": "t" * 51}, "billing.title: at most 50"),
        ({**GOOD, "email": "not-an-address"}, "billing.email: not an e-mail"),
        ({**GOOD, "email": "a@" + "b" * 250 + ".com"}, "billing.email: at most 254"),
        ({**GOOD, "phone": "555-CALL-NOW"}, "billing.phone: digits"),
        ({**GOOD, "phone": "1" * 26}, "billing.phone: at most 25"),
        ({**GOOD, "fax": "1"}, "billing.fax: unknown"),
    ],
)
def test_each_contact_rule(contact, expected):
    found = contact_errors({"billing": contact})
    assert any(message.startswith(expected) for message in found), found


def test_an_unknown_contact_type_is_refused():
    assert contact_errors({"legal": GOOD}) == [
        "'legal' is not a contact; use billing, operations or security."
    ]


@pytest.mark.parametrize(
    ("amount", "ok"),
    [("500", True), ("0.01", True), ("10000000", True), ("0", False), ("-5", False),
     ("10000000.01", False), ("1.234", False), ("NaN", False), ("lots", False)],
)  # fmt: skip
def test_budget_amounts(amount, ok):
    assert (budget_errors(amount) == []) is ok


def _with_budgets(budgets: object) -> dict:
    raw = yaml.safe_load(DEFAULT_BLUEPRINT.read_text())
    raw["budgets"] = budgets
    return raw


def test_the_blueprint_takes_default_budgets_per_class_and_environment():
    raw = _with_budgets({"general": {"dev": 200, "prod": "2000.50"}, "hipaa_pci": {"prod": 5000}})
    blueprint = parse_blueprint(raw, source="test", base_dir=Path(DEFAULT_BLUEPRINT).parent)
    assert blueprint.budgets == {
        "general": {"dev": Decimal("200"), "prod": Decimal("2000.50")},
        "hipaa_pci": {"prod": Decimal("5000")},
    }


def test_bad_budgets_in_the_blueprint_are_all_named():
    raw = _with_budgets({"general": {"dev": -1, "staging": 5}, "sox": {"dev": 1}, "pci": 7})
    with pytest.raises(BlueprintError) as raised:
        parse_blueprint(raw, source="test", base_dir=Path(DEFAULT_BLUEPRINT).parent)
    problems = raised.value.problems
    assert "budgets.general.dev: A budget is a positive amount in USD." in problems
    assert "budgets.general.staging: unknown environment" in problems
    assert "budgets.sox: unknown compliance class" in problems
    assert "budgets.pci: must map environments to amounts in USD" in problems


@pytest.mark.django_db
def test_accounts_get_the_blueprints_default_budget_unless_the_request_sets_one(
    tmp_path, settings, users, team
):
    import shutil

    from vending.selectors.request_metadata import MetadataInput
    from vending.services.requests import account_request_create

    shutil.copytree(DEFAULT_BLUEPRINT.parent / "policies", tmp_path / "policies")
    raw = _with_budgets({"general": {"dev": 200, "prod": 900}})
    (tmp_path / "blueprint.yaml").write_text(yaml.safe_dump(raw))
    settings.VENDING_BLUEPRINT = str(tmp_path / "blueprint.yaml")

    def budgets(**given: object) -> dict[str, Decimal | None]:
        request = account_request_create(
            requester=users["lead"],
            team=team,
            compliance_class="general",
            environments=["dev", "test", "prod"],
            justification="x",
            metadata=MetadataInput(**given),  # type: ignore[arg-type]
        )
        found = {a.environment: a.budget_amount for a in request.accounts.all()}
        request.accounts.update(is_active=False)  # their names are free for the next one
        request.status = "cancelled"
        request.save()
        return found

    assert budgets() == {"dev": Decimal("200"), "test": None, "prod": Decimal("900")}
    assert budgets(budget=Decimal("55")) == {e: Decimal("55") for e in ("dev", "test", "prod")}
