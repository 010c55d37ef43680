"""Refreshing the catalog from AWS's pages, saved as HTML by an operator.

AWS publishes the HIPAA-eligible services and the PCI DSS services in scope as web
pages, not data. An operator saves each page (the browser's "Save page as", HTML only)
and `manage.py compliance refresh` reads them: the service names from the page's lists
and table rows, the page's "last updated" date when it states one. Names are matched to
the catalog's entries (their HIPAA and PCI spellings) and, for services the catalog does
not have yet, to the cross-check table's names with their IAM prefixes. A name neither
knows is reported, never guessed. Parsing uses the standard library's html.parser.

A refreshed program's flags follow the page exactly: a service on the page is covered
(its source is the page), one missing from it is not. Sources no service cites any more
are dropped, so the catalog's age is the age of what it still relies on.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

from vending.choices import ComplianceClass
from vending.compliance import iam
from vending.compliance.catalog import (
    PROGRAMS,
    Catalog,
    CatalogService,
    CatalogSource,
)

REFERENCE_TABLE = Path(__file__).with_name("reference") / "aws-compliance-services.tsv"
AUTHORITY = {
    "hipaa": "https://aws.amazon.com/compliance/hipaa-eligible-services-reference/",
    "pci": "https://aws.amazon.com/compliance/services-in-scope/PCI/",
}
# Lines of a page that name a service, when the catalog does not know them yet.
_LOOKS_LIKE_SERVICE = re.compile(r"^(Amazon|AWS|Elastic|Alexa)\b")
_UPDATED = re.compile(
    r"(?:last\s+)?updated\s*(?:on)?\s*:?\s*"
    r"(\d{4}-\d{2}-\d{2}|[A-Z][a-z]+\.?\s+\d{1,2},\s*\d{4}|\d{1,2}\s+[A-Z][a-z]+\s+\d{4})",
    re.IGNORECASE,
)


class PageError(Exception):
    """A saved page that cannot be used; the message says why."""


def _normal(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


class _PageParser(HTMLParser):
    """Texts of list items and of the first cell of each table row, and the title."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[str] = []
        self.text: list[str] = []
        self.title = ""
        self._stack: list[list[str]] = []  # open li / first-cell buffers
        self._cell_in_row = 0
        self._in_title = False
        self._skip = 0  # inside <script> or <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "tr":
            self._cell_in_row = 0
        elif tag in ("td", "th"):
            self._cell_in_row += 1
            if self._cell_in_row == 1:
                self._stack.append([])
        elif tag == "li":
            self._stack.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif (tag == "li" or (tag in ("td", "th") and self._cell_in_row == 1)) and self._stack:
            item = _normal("".join(self._stack.pop()))
            if item:
                self.items.append(item)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title += data
        self.text.append(data)
        for buffer in self._stack:
            buffer.append(data)


@dataclass(frozen=True)
class ServicePage:
    program: str
    path: Path
    title: str
    names: tuple[str, ...]  # every list item / first cell, whitespace normalised
    updated: date | None  # the page's own "last updated" date, if it states one


def _parse_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y"):
        try:
            return datetime.strptime(_normal(text).replace(" ,", ","), fmt).date()
        except ValueError:
            continue
    return None


def read_page(path: Path, program: str) -> ServicePage:
    """The service names and date of a saved page; PageError if it has none."""
    try:
        html = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise PageError(f"{path}: cannot read the saved page: {exc.strerror}") from exc
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    names = tuple(dict.fromkeys(parser.items))
    if not names:
        raise PageError(
            f"{path}: no list items or table rows found; save the {program.upper()} page "
            "as complete HTML and try again"
        )
    found = _UPDATED.search(_normal(" ".join(parser.text)))
    return ServicePage(
        program=program,
        path=path,
        title=_normal(parser.title),
        names=names,
        updated=_parse_date(found.group(1)) if found else None,
    )


def reference_prefixes(path: Path = REFERENCE_TABLE) -> dict[str, tuple[str, ...]]:
    """Service name (case-folded) -> IAM prefixes, from the dated cross-check table."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    out: dict[str, tuple[str, ...]] = {}
    for row in csv.DictReader(lines, delimiter="\t"):
        prefixes = tuple(p.strip() for p in (row.get("iam_prefixes") or "").split(",") if p.strip())
        if row.get("service_name") and prefixes:
            out[_normal(row["service_name"]).casefold()] = prefixes
    return out


def page_source(page: ServicePage, *, taken_on: date, page_date: date | None) -> CatalogSource:
    """The catalog's record of a saved page: which page, of when, read when."""
    updated = page_date or page.updated
    if updated is None:
        raise PageError(
            f"{page.path}: the page states no 'last updated' date; give it with "
            f"--{page.program}-date YYYY-MM-DD"
        )
    return CatalogSource(
        id=f"{page.program}-page-{updated.isoformat()}",
        title=page.title or f"AWS {page.program.upper()} services page",
        url=AUTHORITY[page.program],
        authority_url=AUTHORITY[page.program],
        page_updated=updated,
        taken_on=taken_on,
        notes=f"Saved from AWS's page by an operator as {page.path.name} and read by "
        f"`manage.py compliance refresh` on {taken_on.isoformat()}: {len(page.names)} "
        "list items and table rows, matched by service name.",
    )


@dataclass
class ProgramDiff:
    added: list[str] = field(default_factory=list)  # services now covered
    removed: list[str] = field(default_factory=list)  # services no longer covered


@dataclass
class Refresh:
    catalog: Catalog
    programs: dict[str, ProgramDiff]
    # Per compliance class: (IAM prefixes added, removed).
    classes: dict[str, tuple[list[str], list[str]]]
    unmatched: dict[str, list[str]]  # per program: page names neither source knows

    @property
    def changed(self) -> bool:
        return any(d.added or d.removed for d in self.programs.values()) or any(
            a or r for a, r in self.classes.values()
        )


def _sort_key(name: str) -> str:
    return re.sub(r"^(Amazon|AWS)\s+", "", name).casefold()


def _covered(
    service: CatalogService, program: str, source_id: str, on_page: bool
) -> CatalogService:
    """`service` with `program` as the page says; a narrowing of its prefixes is kept
    only while the service stays covered."""
    if program == "hipaa":
        keep = service.hipaa_prefixes if on_page and service.hipaa else None
        return replace(service, hipaa=on_page, hipaa_source=source_id, hipaa_prefixes=keep)
    keep = service.pci_prefixes if on_page and service.pci else None
    return replace(service, pci=on_page, pci_source=source_id, pci_prefixes=keep)


def _apply_page(
    services: list[CatalogService],
    page: ServicePage,
    source_id: str,
    reference: dict[str, tuple[str, ...]],
) -> tuple[list[CatalogService], list[str]]:
    """The services with `page.program` set from the page, and the unmatched names."""
    program = page.program
    index: dict[str, int] = {}
    for i, service in enumerate(services):
        for name in (service.name, service.pci_name):
            if name:
                index.setdefault(_normal(name).casefold(), i)
    on_page: set[int] = set()
    added: list[CatalogService] = []
    unmatched: list[str] = []
    known = iam.service_prefixes()
    for name in page.names:
        key = name.casefold()
        if key in index:
            on_page.add(index[key])
            continue
        prefixes = tuple(p for p in reference.get(key, ()) if p in known)
        if prefixes:
            added.append(
                CatalogService(
                    name=name,
                    iam_prefixes=prefixes,
                    hipaa=program == "hipaa",
                    pci=program == "pci",
                    hipaa_source=source_id if program == "hipaa" else None,
                    pci_source=source_id if program == "pci" else None,
                    notes=f"added from the {program.upper()} page; IAM prefixes from the "
                    "cross-check table",
                )
            )
            index[key] = -1
        elif _LOOKS_LIKE_SERVICE.match(name):
            unmatched.append(name)
    out = [
        _covered(service, program, source_id, i in on_page) for i, service in enumerate(services)
    ]
    for new in added:
        at = next((i for i, s in enumerate(out) if _sort_key(s.name) > _sort_key(new.name)), None)
        out.insert(len(out) if at is None else at, new)
    return out, unmatched


def refresh_catalog(
    catalog: Catalog,
    pages: list[ServicePage],
    sources: dict[str, CatalogSource],
    *,
    reference: dict[str, tuple[str, ...]] | None = None,
) -> Refresh:
    """The catalog with each page's program taken from the page, and what changed."""
    reference = reference if reference is not None else reference_prefixes()
    services = list(catalog.services)
    unmatched: dict[str, list[str]] = {}
    for page in pages:
        services, unmatched[page.program] = _apply_page(
            services, page, sources[page.program].id, reference
        )
    cited = {s.hipaa_source for s in services} | {s.pci_source for s in services}
    kept = [
        s for s in catalog.sources if s.id in cited and s.id not in {x.id for x in sources.values()}
    ]
    new = Catalog(
        path=catalog.path,
        sources=tuple(kept + [sources[p.program] for p in pages]),
        support_prefixes=catalog.support_prefixes,
        services=tuple(services),
    )
    programs = {}
    for program in PROGRAMS:
        before = {s.name for s in catalog.services_for(program)}
        after = {s.name for s in new.services_for(program)}
        programs[program] = ProgramDiff(sorted(after - before), sorted(before - after))
    classes = {}
    for cls in ComplianceClass.values:
        old, now = catalog.class_prefixes(cls), new.class_prefixes(cls)
        if old is None or now is None:
            continue
        classes[cls] = (sorted(set(now) - set(old)), sorted(set(old) - set(now)))
    return Refresh(new, programs, classes, unmatched)
