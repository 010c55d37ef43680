"""A bad blueprint is refused before any API call, with a message naming the entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from vending.blueprint.loader import BlueprintError, load_blueprint, parse_blueprint
from vending.blueprint.model import FULL_AWS_ACCESS, Strategy

ALLOW_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def base(**overrides):
    doc = {
        "version": 1,
        "feature_set": "ALL",
        "strategy": "deny_list",
        "policies": [
            {"name": "deny-leave", "document": {
                "Version": "2012-10-17",
                "Statement": [{"Sid": "NoLeave", "Effect": "Deny",
                               "Action": "organizations:LeaveOrganization", "Resource": "*"}],
            }},
        ],
        "root": {"policies": ["deny-leave"]},
        "organizational_units": [
            {"name": "GeneralOU"},
            {"name": "HipaaOU", "children": [{"name": "HipaaPciOU"}]},
            {"name": "PciOU"},
        ],
        "classes": {
            "general": "GeneralOU",
            "hipaa": "HipaaOU",
            "pci": "PciOU",
            "hipaa_pci": "HipaaOU/HipaaPciOU",
        },
    }  # fmt: skip
    doc.update(overrides)
    return doc


def refused(doc, tmp_path=Path("."), match=""):
    with pytest.raises(BlueprintError) as exc:
        parse_blueprint(doc, source="test.yaml", base_dir=tmp_path)
    text = str(exc.value)
    assert match in text, text
    return exc.value


def test_a_valid_blueprint_loads():
    blueprint = parse_blueprint(base(), source="test.yaml", base_dir=Path("."))
    assert [ou.path for ou in blueprint.walk()] == [
        "GeneralOU", "HipaaOU", "PciOU", "HipaaOU/HipaaPciOU",
    ]  # fmt: skip
    assert blueprint.desired_policies("") == (FULL_AWS_ACCESS, "deny-leave")
    assert blueprint.strategy == Strategy.DENY_LIST


def test_the_bundled_blueprint_is_valid():
    blueprint = load_blueprint()
    assert blueprint.classes["hipaa_pci"] == "HipaaOU/HipaaPciOU"
    assert {"GeneralOU", "HipaaOU", "PciOU", "SuspendedOU"} <= {o.path for o in blueprint.ous}
    assert blueprint.desired_policies("HipaaOU/HipaaPciOU") == (
        FULL_AWS_ACCESS,
        "vending-class-pci",
    )


def test_ou_depth_over_five():
    deep = {"name": "L1"}
    node = deep
    for level in range(2, 7):
        node["children"] = [{"name": f"L{level}"}]
        node = node["children"][0]
    doc = base(organizational_units=[*base()["organizational_units"], deep])
    refused(doc, match="OU L1/L2/L3/L4/L5/L6: 6 levels below the root; AWS allows at most 5")


def test_depth_limit_is_a_setting(settings):
    settings.VENDING_OU_MAX_DEPTH = 1
    refused(base(), match="OU HipaaOU/HipaaPciOU: 2 levels below the root; AWS allows at most 1")


def test_duplicate_names_under_a_parent():
    ous = [*base()["organizational_units"], {"name": "PciOU"}]
    refused(base(organizational_units=ous), match="OU PciOU: the name is used twice under the root")


def test_scp_over_the_size_limit_once_minified(settings):
    settings.VENDING_SCP_MAX_SIZE = 100
    refused(
        base(), match="policies.deny-leave: 130 characters once minified; the SCP size limit is 100"
    )


def test_whitespace_does_not_count_because_policies_are_minified(tmp_path):
    padded = json.dumps(ALLOW_S3, indent=40)
    (tmp_path / "p.json").write_text(padded)
    doc = base(policies=[{"name": "p", "file": "p.json"}], root={"policies": ["p"]})
    blueprint = parse_blueprint(doc, source="t", base_dir=tmp_path)
    assert len(blueprint.policies["p"].content) < len(padded)
    assert " " not in blueprint.policies["p"].content


def test_more_scps_on_a_target_than_the_limit():
    policies = [{"name": f"p{i}", "document": ALLOW_S3} for i in range(5)]
    doc = base(policies=policies, root={"policies": [f"p{i}" for i in range(5)]})
    refused(
        doc, match="the root: 6 SCPs (FullAWSAccess, p0, p1, p2, p3, p4); AWS allows 5 per target"
    )


def test_invalid_policy_json(tmp_path):
    (tmp_path / "bad.json").write_text('{"Version": "2012-10-17", "Statement": [}')
    doc = base(policies=[{"name": "bad", "file": "bad.json"}], root={"policies": ["bad"]})
    refused(doc, tmp_path, match="policies.bad: bad.json is not valid JSON")


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ({"Effect": "Allow", "Action": "s3x:GetObject"}, "unknown IAM service prefix 's3x'"),
        ({"Effect": "Allow", "Action": "s3:GetObjekt"}, "unknown action 's3:GetObjekt'"),
        ({"Effect": "Allow", "Action": "ec2:Frobnicate*"}, "'ec2:Frobnicate*' matches no action"),
        ({"Effect": "Maybe", "Action": "s3:*"}, "Effect must be Allow or Deny"),
        ({"Effect": "Deny", "Resource": "*"}, "needs exactly one of Action or NotAction"),
        ({"Effect": "Deny", "Action": "s3:*", "Principal": "*"}, "unknown element 'Principal'"),
        ({"Effect": "Deny", "Action": "GetObject"}, "is not of the form service:Action"),
    ],
)  # fmt: skip
def test_unknown_prefixes_actions_and_grammar(statement, message):
    doc = base(
        policies=[{"name": "p", "document": {"Version": "2012-10-17", "Statement": [statement]}}],
        root={"policies": ["p"]},
    )
    err = refused(doc, match=message)
    assert err.problems[0].startswith("policies.p: statement #0: ")


def test_a_target_left_with_no_scp():
    ous = [*base()["organizational_units"], {"name": "Bare", "full_aws_access": False}]
    refused(base(organizational_units=ous), match="OU Bare: would be left with no SCP")


def test_classes_must_map_every_class_to_a_known_ou():
    doc = base(classes={"general": "GeneralOU", "hipaa": "Nope", "sox": "GeneralOU"})
    err = refused(doc)
    text = "\n".join(err.problems)
    assert "classes.hipaa: OU path 'Nope' is not in organizational_units" in text
    assert "classes.sox: unknown compliance class" in text
    assert "classes.pci: missing" in text


def test_every_problem_is_reported_at_once(settings):
    settings.VENDING_SCP_MAX_SIZE = 100
    ous = [*base()["organizational_units"], {"name": "PciOU"}]
    err = refused(base(organizational_units=ous, strategy="yolo"))
    assert len(err.problems) >= 3


def test_unknown_keys_are_refused_not_ignored():
    refused(base(colour="blue"), match="the top level: unknown key 'colour'")


def test_allow_list_detaches_full_aws_access_where_it_attaches_a_class_list():
    blueprint = load_blueprint()
    raw = yaml.safe_load(Path(blueprint.source).read_text())
    raw["strategy"] = "allow_list"
    allow = parse_blueprint(raw, source="allow", base_dir=Path(blueprint.source).parent)
    assert allow.desired_policies("HipaaOU") == ("vending-class-hipaa",)
    assert allow.desired_policies("GeneralOU") == (FULL_AWS_ACCESS,)
    assert FULL_AWS_ACCESS in allow.desired_policies("")
    document = json.loads(allow.policies["vending-class-hipaa"].content)
    assert document["Statement"][0]["Effect"] == "Allow"
