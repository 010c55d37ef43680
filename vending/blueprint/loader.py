"""Reading a blueprint file and refusing a bad one before any API call.

Every problem is collected and reported at once, each naming the offending entry, so
an admin fixes the file in one pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from vending.blueprint.access import parse_access
from vending.blueprint.budgets import parse_budgets
from vending.blueprint.model import (
    FULL_AWS_ACCESS,
    AccountPin,
    Blueprint,
    OUSpec,
    PolicySpec,
    Strategy,
)
from vending.blueprint.policy_check import check_policy_document
from vending.choices import ComplianceClass

DEFAULT_BLUEPRINT = Path(__file__).resolve().parent / "default.yaml"
PROGRAMS = ("hipaa", "pci")
_TOP_KEYS = {
    "version", "feature_set", "strategy", "platform_role_arn", "policies", "root",
    "organizational_units", "classes", "accounts", "budgets", "access",
}  # fmt: skip
_POLICY_KEYS = {"name", "description", "file", "document", "generated"}
_OU_KEYS = {"name", "policies", "children", "full_aws_access"}


class BlueprintError(Exception):
    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(
            f"Blueprint {source} is invalid:\n" + "\n".join(f"  - {p}" for p in problems)
        )


def limits() -> tuple[int, int, int]:
    """(OU depth, SCP size, SCPs per target): AWS's published values unless set."""
    return (
        int(getattr(settings, "VENDING_OU_MAX_DEPTH", 5)),
        int(getattr(settings, "VENDING_SCP_MAX_SIZE", 5120)),
        int(getattr(settings, "VENDING_SCP_MAX_PER_TARGET", 5)),
    )


def blueprint_path() -> Path:
    configured = getattr(settings, "VENDING_BLUEPRINT", "")
    return Path(configured) if configured else DEFAULT_BLUEPRINT


def load_blueprint(path: Path | None = None) -> Blueprint:
    path = path or blueprint_path()
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise BlueprintError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc
    except yaml.YAMLError as exc:
        raise BlueprintError(str(path), [f"not valid YAML: {exc}"]) from exc
    return parse_blueprint(raw, source=str(path), base_dir=path.parent)


def parse_blueprint(raw: Any, *, source: str, base_dir: Path) -> Blueprint:
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise BlueprintError(source, ["the top level must be a mapping"])
    _unknown_keys(raw, _TOP_KEYS, "the top level", problems)
    if raw.get("version") != 1:
        problems.append("version: must be 1")
    feature_set = raw.get("feature_set", "ALL")
    if feature_set != "ALL":
        problems.append(f"feature_set: '{feature_set}' does not allow SCPs; the portal needs ALL")
    try:
        strategy = Strategy(raw.get("strategy", Strategy.DENY_LIST))
    except ValueError:
        problems.append(f"strategy: '{raw.get('strategy')}' is not deny_list or allow_list")
        strategy = Strategy.DENY_LIST
    role = str(raw.get("platform_role_arn", ""))

    max_depth, max_size, max_per_target = limits()
    policies = _policies(raw.get("policies") or [], base_dir, role, strategy, max_size, problems)
    root = raw.get("root") or {}
    if not isinstance(root, dict):
        problems.append("root: must be a mapping with 'policies'")
        root = {}
    _unknown_keys(root, {"policies", "full_aws_access"}, "root", problems)
    root_policies = _policy_refs(root.get("policies"), "root", policies, problems)
    ous = tuple(_ous(raw.get("organizational_units") or [], "", max_depth, policies, problems))
    classes = _classes(raw.get("classes") or {}, problems)
    accounts = _accounts(raw.get("accounts") or [], problems)
    budgets = parse_budgets(raw.get("budgets"), problems)
    access = parse_access(raw.get("access"), problems)

    blueprint = Blueprint(
        source=source,
        feature_set="ALL",
        strategy=strategy,
        policies=policies,
        root_policies=root_policies,
        ous=ous,
        classes=classes,
        accounts=accounts,
        root_full_aws_access=root.get("full_aws_access"),
        budgets=budgets,
        access=access,
    )
    known_paths = {ou.path for ou in blueprint.walk()}
    for cls, path in classes.items():
        if path not in known_paths:
            problems.append(f"classes.{cls}: OU path '{path}' is not in organizational_units")
    for pin in accounts:
        if pin.ou_path not in known_paths:
            problems.append(f"accounts.{pin.account_id}: OU path '{pin.ou_path}' is unknown")
    if not problems:
        _check_targets(blueprint, max_per_target, problems)
    if problems:
        raise BlueprintError(source, problems)
    return blueprint


def _unknown_keys(raw: dict[str, Any], allowed: set[str], where: str, problems: list[str]) -> None:
    for key in sorted(set(raw) - allowed):
        problems.append(f"{where}: unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")


def _policies(
    items: Any,
    base_dir: Path,
    role: str,
    strategy: Strategy,
    max_size: int,
    problems: list[str],
) -> dict[str, PolicySpec]:
    out: dict[str, PolicySpec] = {}
    if not isinstance(items, list):
        problems.append("policies: must be a list")
        return out
    for i, item in enumerate(items):
        name = str(item.get("name", "")) if isinstance(item, dict) else ""
        where = f"policies.{name or f'#{i}'}"
        if not isinstance(item, dict) or not name:
            problems.append(f"{where}: each policy needs a name")
            continue
        _unknown_keys(item, _POLICY_KEYS, where, problems)
        if name in out or name == FULL_AWS_ACCESS:
            problems.append(f"{where}: the name is used twice (or is AWS's own FullAWSAccess)")
            continue
        sources = [k for k in ("file", "document", "generated") if k in item]
        if len(sources) != 1:
            problems.append(f"{where}: give exactly one of file, document or generated")
            continue
        document, generated = _policy_document(
            item, sources[0], base_dir, role, strategy, where, problems
        )
        if document is None:
            continue
        for problem in check_policy_document(document):
            problems.append(f"{where}: {problem}")
        content = json.dumps(document, separators=(",", ":"))
        if len(content) > max_size:
            problems.append(
                f"{where}: {len(content)} characters once minified; the SCP size limit is "
                f"{max_size} (VENDING_SCP_MAX_SIZE)"
            )
        out[name] = PolicySpec(
            name=name,
            description=str(item.get("description", ""))[:512],
            content=content,
            generated_from=generated,
        )
    return out


def _policy_document(
    item: dict[str, Any],
    kind: str,
    base_dir: Path,
    role: str,
    strategy: Strategy,
    where: str,
    problems: list[str],
) -> tuple[dict[str, Any] | None, str]:
    if kind == "generated":
        program = str(item["generated"])
        if program not in PROGRAMS:
            problems.append(f"{where}: generated must be one of {', '.join(PROGRAMS)}")
            return None, ""
        from vending.compliance.scp import class_scp_document

        return class_scp_document(program=program, strategy=strategy.value), program
    if kind == "document":
        document = item["document"]
    else:
        path = (base_dir / str(item["file"])).resolve()
        try:
            text = path.read_text().replace("{{platform_role_arn}}", role)
        except OSError as exc:
            problems.append(f"{where}: cannot read {path}: {exc.strerror}")
            return None, ""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: {path.name} is not valid JSON ({exc})")
            return None, ""
    if not isinstance(document, dict):
        problems.append(f"{where}: the policy document must be a JSON object")
        return None, ""
    return document, ""


def _policy_refs(
    names: Any, where: str, policies: dict[str, PolicySpec], problems: list[str]
) -> tuple[str, ...]:
    if names is None:
        return ()
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        problems.append(f"{where}.policies: must be a list of policy names")
        return ()
    for name in names:
        if name not in policies and name != FULL_AWS_ACCESS:
            problems.append(f"{where}.policies: unknown policy '{name}'")
    if len(set(names)) != len(names):
        problems.append(f"{where}.policies: a policy is listed twice")
    return tuple(n for n in names if n != FULL_AWS_ACCESS)


def _ous(
    items: Any, parent: str, max_depth: int, policies: dict[str, PolicySpec], problems: list[str]
) -> list[OUSpec]:
    out: list[OUSpec] = []
    if not isinstance(items, list):
        problems.append(f"{parent or 'organizational_units'}: children must be a list")
        return out
    seen: set[str] = set()
    for item in items:
        name = str(item.get("name", "")).strip() if isinstance(item, dict) else ""
        if not name or "/" in name or len(name) > 128:
            problems.append(
                f"{parent or 'root'}: every OU needs a name of 1-128 characters without '/'"
            )
            continue
        path = f"{parent}/{name}" if parent else name
        _unknown_keys(item, _OU_KEYS, f"OU {path}", problems)
        # AWS compares OU names under one parent case-sensitively, but two names that
        # differ only in case are a mistake waiting to happen: refuse both.
        if name.casefold() in seen:
            problems.append(f"OU {path}: the name is used twice under {parent or 'the root'}")
            continue
        seen.add(name.casefold())
        depth = path.count("/") + 1
        if depth > max_depth:
            problems.append(
                f"OU {path}: {depth} levels below the root; AWS allows at most {max_depth}"
            )
            continue
        refs = _policy_refs(item.get("policies"), f"OU {path}", policies, problems)
        children = _ous(item.get("children") or [], path, max_depth, policies, problems)
        keep = item.get("full_aws_access")
        if keep is not None and not isinstance(keep, bool):
            problems.append(f"OU {path}.full_aws_access: must be true or false")
            keep = None
        out.append(OUSpec(name, path, refs, tuple(children), keep))
    return out


def _classes(raw: Any, problems: list[str]) -> dict[str, str]:
    if not isinstance(raw, dict):
        problems.append("classes: must map each compliance class to an OU path")
        return {}
    for cls in sorted(set(raw) - set(ComplianceClass.values)):
        problems.append(f"classes.{cls}: unknown compliance class")
    for cls in ComplianceClass.values:
        if cls not in raw:
            problems.append(f"classes.{cls}: missing; every class needs an OU path")
    return {str(k): str(v) for k, v in raw.items() if k in ComplianceClass.values}


def _accounts(raw: Any, problems: list[str]) -> tuple[AccountPin, ...]:
    if not isinstance(raw, list):
        problems.append("accounts: must be a list of {id, ou}")
        return ()
    pins = []
    for item in raw:
        account_id = str(item.get("id", "")) if isinstance(item, dict) else ""
        if len(account_id) != 12 or not account_id.isdigit():
            problems.append(f"accounts: '{account_id}' is not a 12-digit AWS account id")
            continue
        pins.append(AccountPin(account_id, str(item.get("ou", ""))))
    return tuple(pins)


def _check_targets(blueprint: Blueprint, max_per_target: int, problems: list[str]) -> None:
    targets = [("", "the root"), *((ou.path, f"OU {ou.path}") for ou in blueprint.walk())]
    for target, label in targets:
        desired = blueprint.desired_policies(target)
        if not desired:
            problems.append(
                f"{label}: would be left with no SCP (AWS requires at least one); keep "
                "FullAWSAccess or attach a policy"
            )
        if len(desired) > max_per_target:
            problems.append(
                f"{label}: {len(desired)} SCPs ({', '.join(desired)}); AWS allows "
                f"{max_per_target} per target (VENDING_SCP_MAX_PER_TARGET)"
            )
