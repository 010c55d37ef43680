"""`compliance refresh`: the catalog taken from AWS's pages saved as HTML.

The pages here are small fixtures written for the tests (their layout imitates a list
page and a table page; no AWS text), against a small catalog written the way the real
one is: a header comment, sources, commented support prefixes, services.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
import yaml
from django.core.management import CommandError, call_command

from vending.compliance.catalog import (
    BUNDLED_CATALOG,
    clear_catalog_cache,
    load_catalog,
    parse_catalog,
)
from vending.compliance.catalog_writer import render_catalog
from vending.compliance.refresh import read_page

CATALOG = """\
# A small catalog for the tests.
# Its header stays as it is.

sources:
  - id: hipaa-old
    title: "An old HIPAA list"
    url: https://example.com/hipaa-old
    page_updated: 2025-01-01
    taken_on: 2025-01-05
    notes: >-
      Read by hand.
  - id: pci-old
    title: "An old PCI list"
    url: https://example.com/pci-old
    page_updated: 2021-01-01
    taken_on: 2025-01-05
    notes: Read by hand too.

# Support prefixes: every class keeps them.
support_prefixes:
  - sts  # AssumeRole
  - iam  # roles

services:
  - name: Amazon Simple Storage Service (S3)
    pci_name: Amazon S3
    iam_prefixes: [s3, s3express]
    hipaa: true
    pci: true
    pci_prefixes: [s3]
    sources: {hipaa_source: hipaa-old, pci_source: pci-old}
  - name: Amazon Bedrock
    iam_prefixes: [bedrock]
    hipaa: true
    pci: false
    sources: {hipaa_source: hipaa-old}
  - name: AWS Lambda
    iam_prefixes: [lambda]
    hipaa: false
    pci: true
    sources: {hipaa_source: hipaa-old, pci_source: pci-old}
"""

HIPAA_PAGE = """<!doctype html><html><head><title>HIPAA list (test fixture)</title>
<script>var items = ["<li>Amazon Fake</li>"];</script></head><body>
<nav><ul><li>Products</li><li>Pricing</li></ul></nav>
<p>Last updated: March 3, 2027</p>
<ul>
  <li>Amazon Simple Storage Service
      (S3)</li>
  <li><a href="#">AWS&nbsp;Lambda</a></li>
  <li>Amazon Made Up Service</li>
</ul></body></html>"""

PCI_PAGE = """<html><head><title>PCI scope (test fixture)</title></head><body>
<table><tr><th>Service</th><th>In scope</th></tr>
<tr><td>Amazon S3</td><td>yes</td></tr>
<tr><td>Amazon Athena</td><td>yes</td></tr>
</table></body></html>"""


@pytest.fixture
def files(tmp_path, settings):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG)
    hipaa, pci = tmp_path / "hipaa.html", tmp_path / "pci.html"
    hipaa.write_text(HIPAA_PAGE)
    pci.write_text(PCI_PAGE)
    settings.VENDING_COMPLIANCE_CATALOG = str(catalog)
    clear_catalog_cache()
    yield {"catalog": catalog, "hipaa": hipaa, "pci": pci}
    clear_catalog_cache()


def refresh(files, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "compliance", "refresh", "--hipaa", str(files["hipaa"]), "--pci", str(files["pci"]),
        "--pci-date", "2027-02-01", "--taken-on", "2027-03-10", *args, stdout=out, stderr=err,
    )  # fmt: skip
    return out.getvalue(), err.getvalue()


def test_the_saved_pages_are_read_as_lists_of_names(files):
    page = read_page(files["hipaa"], "hipaa")
    assert page.updated == date(2027, 3, 3)
    assert page.title == "HIPAA list (test fixture)"
    assert "Amazon Simple Storage Service (S3)" in page.names and "AWS Lambda" in page.names
    assert "Amazon Fake" not in page.names  # script text is not page text
    pci = read_page(files["pci"], "pci")
    assert pci.names == ("Service", "Amazon S3", "Amazon Athena") and pci.updated is None


def test_a_dry_run_shows_the_diff_and_writes_nothing(files):
    before = files["catalog"].read_bytes()
    out, err = refresh(files)
    assert "hipaa: 1 service(s) added, 1 removed\n  + AWS Lambda\n  - Amazon Bedrock" in out
    assert "pci: 1 service(s) added, 1 removed\n  + Amazon Athena\n  - AWS Lambda" in out
    assert "  hipaa: +1 -1 (+ lambda) (- bedrock)" in out
    assert "  pci: +1 -1 (+ athena) (- lambda)" in out
    assert "Source hipaa-page-2027-03-03: page 2027-03-03, taken 2027-03-10" in out
    assert "Dry run: nothing written" in out
    assert "UNMATCHED on the HIPAA page: 'Amazon Made Up Service'" in err
    assert err.count("UNMATCHED") == 1  # "Products", "Service": not service names
    assert files["catalog"].read_bytes() == before


def test_write_records_the_pages_and_keeps_the_comments(files):
    refresh(files, "--write")
    text = files["catalog"].read_text()
    catalog = load_catalog()
    by_name = {s.name: s for s in catalog.services}
    assert not by_name["Amazon Bedrock"].hipaa and by_name["AWS Lambda"].hipaa
    assert not by_name["AWS Lambda"].pci
    athena = by_name["Amazon Athena"]  # new: prefixes from the cross-check table
    assert (athena.iam_prefixes, athena.pci, athena.hipaa) == (("athena",), True, False)
    assert athena.pci_source == "pci-page-2027-02-01"
    s3 = by_name["Amazon Simple Storage Service (S3)"]
    assert s3.pci_prefixes == ("s3",)  # still covered: its narrowing is kept
    # The old sources are no longer cited: the catalog is as old as the new pages.
    assert [s.id for s in catalog.sources] == ["hipaa-page-2027-03-03", "pci-page-2027-02-01"]
    assert catalog.taken_on == date(2027, 3, 10)
    assert catalog.source("hipaa-page-2027-03-03").authority_url.endswith(
        "hipaa-eligible-services-reference/"
    )
    assert text.startswith("# Refreshed on 2027-03-10 by `manage.py compliance refresh`")
    assert "# Its header stays as it is." in text
    assert (
        "# Support prefixes: every class keeps them.\nsupport_prefixes:\n  - sts  # AssumeRole"
        in text
    )
    # Refreshing again from the same pages changes nothing.
    out, _ = refresh(files)
    assert "No change: the catalog already says what the pages say." in out

    age = io.StringIO()
    call_command("compliance", "catalog", "--today", "2027-03-20", stdout=age)
    assert "Age: 10 day(s), taken on 2027-03-10" in age.getvalue()


def test_a_page_without_a_date_or_without_names_changes_nothing(files, tmp_path):
    before = files["catalog"].read_bytes()
    with pytest.raises(
        CommandError, match="states no 'last updated' date; give it with --pci-date"
    ):
        call_command(
            "compliance", "refresh", "--pci", str(files["pci"]), "--write", stdout=io.StringIO()
        )
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><p>Access denied</p></body></html>")
    with pytest.raises(CommandError, match="no list items or table rows found"):
        call_command("compliance", "refresh", "--hipaa", str(empty), "--write")
    with pytest.raises(CommandError, match="Give at least one saved page"):
        call_command("compliance", "refresh", "--write")
    with pytest.raises(CommandError, match="cannot read the saved page"):
        call_command("compliance", "refresh", "--hipaa", str(tmp_path / "missing.html"))
    assert files["catalog"].read_bytes() == before


def test_the_writer_reproduces_the_bundled_catalog():
    original = BUNDLED_CATALOG.read_text(encoding="utf-8")
    catalog = load_catalog(BUNDLED_CATALOG)
    text = render_catalog(original, catalog)
    assert parse_catalog(yaml.safe_load(text), path=catalog.path) == catalog
    # Comments outside the two re-emitted blocks are kept byte for byte.
    head = original[: original.index("\nsources:")]
    assert text.startswith(head)
    support = original[original.index("# Prefixes every compliance class keeps") :]
    support = support[: support.index("\nservices:")]
    assert support in text


def test_the_organization_page_shows_the_catalogs_date(files, client, team, users, monkeypatch):
    from tests.web.helpers import AwsDown

    refresh(files, "--write")
    monkeypatch.setattr("vending.web.org.get_gateway", lambda: AwsDown())
    client.force_login(users["lead"])
    html = client.get("/org/").content.decode()
    assert 'id="catalog-age"' in html and "2027-03-10" in html and "2027-02-01" in html
