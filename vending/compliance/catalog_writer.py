"""Writing the compliance catalog back to its file, comments kept.

The file is written by people as much as by the refresh command: its header explains
the sources and their staleness, and the support prefixes carry a comment each. The
writer re-emits the `sources:` and `services:` blocks from data, in the file's own
style, and keeps everything else (the header, the `support_prefixes:` block with its
comments) as it was. The result is parsed and validated before it replaces the file,
and it replaces it in one rename, so a failure leaves the old file whole.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import textwrap
from pathlib import Path

import yaml

from vending.compliance.catalog import (
    Catalog,
    CatalogError,
    CatalogService,
    CatalogSource,
    catalog_yaml,
    parse_catalog,
)

_BLOCK = re.compile(r"^(sources|support_prefixes|services):[ \t]*$", re.MULTILINE)


def _text(value: str) -> str:
    """Plain when YAML reads it back unchanged, else double-quoted (a JSON string is a
    valid YAML double-quoted scalar)."""
    plain = value.strip() == value and not set(value) & set("#[]'\"") and ": " not in value
    if plain and value:
        try:
            plain = yaml.safe_load(f"k: {value}") == {"k": value}
        except yaml.YAMLError:
            plain = False
    return value if plain else json.dumps(value, ensure_ascii=False)


def _folded(value: str, indent: str) -> list[str]:
    """A long text as a folded block (`>-`), as the file's hand-written notes are."""
    lines = textwrap.wrap(value, width=88 - len(indent), break_on_hyphens=False)
    if not lines or "\n" in value or "  " in value:
        return [json.dumps(value, ensure_ascii=False)]
    return [">-", *(indent + line for line in lines)]


def _flow(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(values) + "]"


def _source(source: CatalogSource) -> list[str]:
    lines = [
        f"  - id: {source.id}",
        f"    title: {_text(source.title)}",
        f"    url: {_text(source.url)}",
    ]
    if source.authority_url:
        lines.append(f"    authority_url: {_text(source.authority_url)}")
    lines += [
        f"    page_updated: {source.page_updated.isoformat()}",
        f"    taken_on: {source.taken_on.isoformat()}",
    ]
    notes = _folded(source.notes, "      ")
    lines.append(f"    notes: {notes[0]}")
    return lines + notes[1:]


def _service(service: CatalogService) -> list[str]:
    lines = [f"  - name: {_text(service.name)}"]
    if service.pci_name is not None:
        lines.append(f"    pci_name: {_text(service.pci_name)}")
    lines += [
        f"    iam_prefixes: {_flow(service.iam_prefixes)}",
        f"    hipaa: {'true' if service.hipaa else 'false'}",
        f"    pci: {'true' if service.pci else 'false'}",
    ]
    if service.hipaa_prefixes is not None:
        lines.append(f"    hipaa_prefixes: {_flow(service.hipaa_prefixes)}")
    if service.pci_prefixes is not None:
        lines.append(f"    pci_prefixes: {_flow(service.pci_prefixes)}")
    sources = [
        f"{key}: {value}"
        for key, value in (
            ("hipaa_source", service.hipaa_source),
            ("pci_source", service.pci_source),
        )
        if value
    ]
    lines.append("    sources: {" + ", ".join(sources) + "}")
    if service.notes:
        lines.append(f"    notes: {json.dumps(service.notes, ensure_ascii=False)}")
    return lines


def _split(text: str) -> dict[str, tuple[int, int]]:
    """Where each top-level block starts and ends (its key's line to the next key's)."""
    starts = [(m.group(1), m.start()) for m in _BLOCK.finditer(text)]
    names = [name for name, _ in starts]
    if sorted(names) != ["services", "sources", "support_prefixes"]:
        raise CatalogError("the catalog file does not have the expected three top-level blocks")
    ends = [start for _, start in starts[1:]] + [len(text)]
    return {name: (start, end) for (name, start), end in zip(starts, ends, strict=True)}


def _comments_before(text: str, end: int) -> int:
    """Where the comment lines (and blank lines) just before `end` begin."""
    lines = text[:end].splitlines(keepends=True)
    cut = len(lines)
    while cut and (not lines[cut - 1].strip() or lines[cut - 1].lstrip().startswith("#")):
        cut -= 1
    return sum(len(line) for line in lines[:cut])


def render_catalog(original: str, catalog: Catalog, *, note: str = "") -> str:
    """`original` with its sources and services replaced by `catalog`'s. `note`, if
    given, is added as a comment line at the top."""
    blocks = _split(original)
    sources_start, sources_end = blocks["sources"]
    services_start, _ = blocks["services"]
    # The comment block that introduces the next key belongs to that key, not to ours.
    keep_from = _comments_before(original, sources_end)
    sources = "\n".join(["sources:", *(line for s in catalog.sources for line in _source(s))])
    services = "\n".join(["services:", *(line for s in catalog.services for line in _service(s))])
    head = original[:sources_start]
    if note:
        head = f"# {note}\n" + head
    middle = original[keep_from:services_start]
    return f"{head}{sources}\n{middle}{services}\n"


def write_catalog(path: Path, catalog: Catalog, *, note: str = "") -> str:
    """Write `catalog` over the file at `path` (validated first, replaced atomically);
    answers the text written."""
    text = render_catalog(path.read_text(encoding="utf-8"), catalog, note=note)
    parse_catalog(catalog_yaml(text), path=path)  # CatalogError: nothing is written
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return text
