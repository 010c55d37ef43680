"""The blueprint's `access:` section: permission sets per environment and class, every
name declared, every environment mapped, refused with the entry named."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.blueprint.test_validation import base, refused
from vending.blueprint.loader import load_blueprint, parse_blueprint

ACCESS = {
    "permission_sets": ["PowerUserAccess", "ReadOnlyAccess", "BreakGlassAccess"],
    "environments": {
        "dev": ["PowerUserAccess"],
        "test": ["PowerUserAccess"],
        "qa": ["ReadOnlyAccess"],
        "prod": ["ReadOnlyAccess", "BreakGlassAccess"],
    },
}


def with_access(**changes):  # type: ignore[no-untyped-def]
    return base(access={**ACCESS, **changes})


def test_the_bundled_blueprint_maps_every_environment_and_class():
    access = load_blueprint().access
    assert access is not None
    for env in ("dev", "test", "qa", "prod"):
        assert access.permission_sets_for(compliance_class="general", environment=env)
    assert access.permission_sets_for(compliance_class="general", environment="prod") == (
        "ReadOnlyAccess",
        "BreakGlassAccess",
    )
    assert access.permission_sets_for(compliance_class="pci", environment="qa") == (
        "ReadOnlyAccess",
    )
    assert access.group_for(team_slug="checkout", idp_group="") == "checkout"
    assert access.group_for(team_slug="checkout", idp_group="aws-checkout") == "aws-checkout"


def test_a_class_overrides_an_environment_and_the_template_names_the_group():
    doc = with_access(classes={"pci": {"test": []}}, group_template="aws-{team}-users")
    access = parse_blueprint(doc, source="t.yaml", base_dir=Path(".")).access
    assert access is not None
    assert access.permission_sets_for(compliance_class="pci", environment="test") == ()
    assert access.permission_sets_for(compliance_class="hipaa", environment="test") == (
        "PowerUserAccess",
    )
    assert access.permission_sets_for(compliance_class="pci", environment="") == ()
    assert access.group_for(team_slug="search", idp_group="") == "aws-search-users"


def test_without_a_section_access_is_not_managed():
    assert parse_blueprint(base(), source="t.yaml", base_dir=Path(".")).access is None


@pytest.mark.parametrize(
    ("access", "match"),
    [
        (
            {"environments": {**ACCESS["environments"], "dev": ["PowerUser"]}},
            "access.environments.dev: unknown permission set 'PowerUser' (declared in "
            "access.permission_sets: PowerUserAccess, ReadOnlyAccess, BreakGlassAccess)",
        ),
        (
            {"environments": {"dev": ["PowerUserAccess"]}},
            "access.environments.prod: missing; every environment needs its permission sets",
        ),
        (
            {"classes": {"pci": {"prod": ["Admin"]}}},
            "access.classes.pci.prod: unknown permission set 'Admin'",
        ),
        ({"classes": {"secret": {}}}, "access.classes.secret: unknown compliance class"),
        (
            {"environments": {**ACCESS["environments"], "staging": []}},
            "access.environments.staging: unknown environment",
        ),
        ({"permission_sets": []}, "access.permission_sets: must list"),
        ({"permission_sets": ["Has Space"]}, "'Has Space' is not a permission set name"),
        ({"group_template": "{team}-{env}"}, "access.group_template: '{team}-{env}' may only"),
        ({"colour": "red"}, "access: unknown key 'colour'"),
    ],
)
def test_a_bad_access_section_is_refused_naming_the_entry(access, match):
    refused(base(access={**ACCESS, **access}), match=match)


def test_every_problem_is_reported_at_once():
    error = refused(with_access(environments={"dev": ["Nope"]}, classes={"pci": {"qa": ["Nope2"]}}))
    text = "\n".join(error.problems)
    for expected in ("'Nope'", "'Nope2'", "environments.test: missing", "prod: missing"):
        assert expected in text
