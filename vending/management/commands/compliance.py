"""`manage.py compliance catalog|scp|refresh`: the compliance catalog's summary, its SCPs,
and its refresh from AWS's pages saved as HTML."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vending.choices import ComplianceClass
from vending.compliance.catalog import (
    PROGRAMS,
    Catalog,
    CatalogError,
    clear_catalog_cache,
    load_catalog,
)
from vending.compliance.catalog_writer import write_catalog
from vending.compliance.refresh import PageError, Refresh, page_source, read_page, refresh_catalog
from vending.compliance.scp import (
    STRATEGIES,
    ScpError,
    class_scp_documents,
    max_scp_size,
    minify,
    scp_size,
)

DEFAULT_MAX_AGE_DAYS = 90


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Summarise the HIPAA/PCI service catalog and its age, or print a class's SCP(s)."
    # Reads one data file and touches no model, URL or database: a CI or cron age check
    # should not fail because an unrelated part of the project has a system-check error.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        catalog = sub.add_parser(
            "catalog", help="services per program, prefixes per class, sources and age"
        )
        catalog.add_argument(
            "--max-age-days",
            type=int,
            default=DEFAULT_MAX_AGE_DAYS,
            help="fail (exit 1) when the catalog was taken longer ago than this",
        )
        catalog.add_argument(
            "--today", type=_iso_date, default=None, help="YYYY-MM-DD; default: today"
        )
        scp = sub.add_parser("scp", help="print the minified SCP(s) of a compliance class")
        scp.add_argument(
            "--class",
            dest="compliance_class",
            required=True,
            choices=[c.value for c in ComplianceClass if c != ComplianceClass.GENERAL],
        )
        scp.add_argument("--strategy", choices=STRATEGIES, default="deny_list")
        refresh = sub.add_parser(
            "refresh",
            help="take the HIPAA and/or PCI lists from AWS's pages saved as HTML; shows the "
            "changes, writes them only with --write",
        )
        for program in PROGRAMS:
            refresh.add_argument(
                f"--{program}", type=Path, metavar="PAGE.html",
                help=f"AWS's {program.upper()} page, saved as HTML",
            )  # fmt: skip
            refresh.add_argument(
                f"--{program}-date", type=_iso_date, metavar="YYYY-MM-DD",
                help="the page's 'last updated' date, if the page does not state it",
            )  # fmt: skip
        refresh.add_argument(
            "--taken-on", type=_iso_date, default=None, help="when the pages were saved (today)"
        )
        refresh.add_argument(
            "--catalog", type=Path, default=None, help="catalog file (default: the one in use)"
        )
        refresh.add_argument("--write", action="store_true", help="write the refreshed catalog")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            catalog = load_catalog()
            if options["subcommand"] == "catalog":
                self._catalog(catalog, options["today"] or date.today(), options["max_age_days"])
            elif options["subcommand"] == "refresh":
                self._refresh(options)
            else:
                self._scp(options["compliance_class"], options["strategy"])
        except (CatalogError, ScpError, PageError) as exc:
            raise CommandError(str(exc)) from exc

    def _catalog(self, catalog: Catalog, today: date, max_age_days: int) -> None:
        out = self.stdout
        out.write(f"Compliance catalog: {catalog.path}")
        out.write(f"  services: {len(catalog.services)}")
        for program in PROGRAMS:
            out.write(f"  {program}: {len(catalog.services_for(program))} service(s)")
        out.write(f"  support prefixes (every class): {len(catalog.support_prefixes)}")
        out.write("Allowed IAM prefixes per class:")
        for compliance_class in ComplianceClass:
            prefixes = catalog.class_prefixes(compliance_class.value)
            count = "unrestricted" if prefixes is None else f"{len(prefixes)} prefix(es)"
            out.write(f"  {compliance_class.value}: {count}")
        out.write("Sources (page date = the page's own date; taken = when the project read it):")
        for source in catalog.sources:
            out.write(
                f"  {source.id}: page {source.page_updated.isoformat()}, "
                f"taken {source.taken_on.isoformat()}"
            )
            out.write(f"    {source.title}")
            out.write(f"    {source.url}")
        age = catalog.age_days(today)
        out.write(
            f"Age: {age} day(s), taken on {catalog.taken_on.isoformat()} (max {max_age_days})"
        )
        oldest_page = min(catalog.sources, key=lambda source: source.page_updated)
        if (today - oldest_page.page_updated).days > max_age_days:
            # Re-taking a stale copy does not make its content current: say so, but the
            # exit code follows the catalog's own age, which a re-take resets.
            out.write(
                f"NOTE: the oldest source page is {oldest_page.id} of "
                f"{oldest_page.page_updated.isoformat()}; re-take AWS's pages when reachable."
            )
        if age > max_age_days:
            self.stderr.write(
                self.style.WARNING(
                    f"WARNING: the compliance catalog is {age} days old (taken on "
                    f"{catalog.taken_on.isoformat()}, limit {max_age_days}). Re-take the HIPAA "
                    f"and PCI lists from AWS's pages and update {catalog.path.name}."
                )
            )
            # Like `makemigrations --check`: a non-zero exit for CI and cron, no traceback.
            sys.exit(1)

    def _scp(self, compliance_class: str, strategy: str) -> None:
        documents = class_scp_documents(program=compliance_class, strategy=strategy)
        limit = max_scp_size()
        for index, document in enumerate(documents, start=1):
            self.stdout.write(
                f"# {compliance_class} {strategy} SCP {index}/{len(documents)}: "
                f"{scp_size(document)} of {limit} characters"
            )
            self.stdout.write(minify(document))

    def _refresh(self, options: dict[str, Any]) -> None:
        programs = [p for p in PROGRAMS if options[p]]
        if not programs:
            raise CommandError("Give at least one saved page: --hipaa PAGE.html, --pci PAGE.html")
        catalog = load_catalog(options["catalog"])
        taken_on = options["taken_on"] or date.today()
        pages = [read_page(options[p], p) for p in programs]
        sources = {
            page.program: page_source(
                page, taken_on=taken_on, page_date=options[f"{page.program}_date"]
            )
            for page in pages
        }
        result = refresh_catalog(catalog, pages, sources)
        self._show(result)
        if not options["write"]:
            self.stdout.write("Dry run: nothing written. Pass --write to write these changes.")
            return
        note = (
            f"Refreshed on {taken_on.isoformat()} by `manage.py compliance refresh` from "
            + ", ".join(f"{s.id} ({s.page_updated.isoformat()})" for s in sources.values())
            + "."
        )
        write_catalog(catalog.path, result.catalog, note=note)
        clear_catalog_cache()
        self.stdout.write(f"Wrote {catalog.path}.")

    def _show(self, result: Refresh) -> None:
        out = self.stdout
        for source in result.catalog.sources:
            out.write(
                f"Source {source.id}: page {source.page_updated.isoformat()}, "
                f"taken {source.taken_on.isoformat()}"
            )
        for program, diff in result.programs.items():
            out.write(f"{program}: {len(diff.added)} service(s) added, {len(diff.removed)} removed")
            for sign, names in (("+", diff.added), ("-", diff.removed)):
                for name in names:
                    out.write(f"  {sign} {name}")
        out.write("IAM prefixes per class:")
        for cls, (added, removed) in result.classes.items():
            out.write(
                f"  {cls}: +{len(added)} -{len(removed)}"
                + (f" (+ {', '.join(added)})" if added else "")
                + (f" (- {', '.join(removed)})" if removed else "")
            )
        for program, names in result.unmatched.items():
            for name in names:
                self.stderr.write(
                    f"UNMATCHED on the {program.upper()} page: {name!r} is neither in the "
                    "catalog nor in the cross-check table; add it to the catalog by hand with "
                    "its IAM prefixes"
                )
        if not result.changed:
            out.write("No change: the catalog already says what the pages say.")
