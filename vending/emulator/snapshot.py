"""The emulator's state on disk, so a restart shows the same organization.

``--state-file PATH`` (``EMULATOR_STATE_FILE``) turns it on: the file is read at start
and rewritten after every call that may have changed something, before the answer
leaves, so an answered call is never lost to a crash or a restart. Writes are atomic
(a temporary file renamed over the old one): a crash mid-write leaves the previous
snapshot. ``make clean`` deletes it with the rest of ``var/``.

The snapshot is a pickle of moto's Organizations backends (organizations, accounts,
OUs, policies; the member -> management map), of its IAM Identity Center backends
(sso-admin, identitystore), of AWS Budgets and the Account API's alternate contacts, and
of the emulator's own state. A pickle
runs code when loaded: the file is the emulator's own, under ``var/``, never one from
elsewhere. A snapshot written by another moto version, or unreadable, is set aside
(renamed ``*.unreadable``) with a warning and the emulator starts empty.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import moto
from moto.account.models import account_backends
from moto.budgets.models import budgets_backends
from moto.identitystore.models import identitystore_backends
from moto.organizations.models import OrganizationsBackend, organizations_backends
from moto.ssoadmin.models import ssoadmin_backends

from .state import EmulatorState

FORMAT = 2
_BACKEND_FIELDS = ("org", "accounts", "ou", "policies", "services", "admins")
# IAM Identity Center: the instance (its ARN is random per start), permission sets,
# assignments; the identity stores' groups and users.
_SSO_FIELDS = ("instances", "permission_sets", "account_assignments", "deleted_account_assignments")
# Then AWS Budgets' budgets and the Account API's alternate contacts (per partition).
# A snapshot written before they were kept holds the first two only, and loads.
_REGIONAL: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (ssoadmin_backends, _SSO_FIELDS),
    (identitystore_backends, ("identity_stores",)),
    (budgets_backends, ("budgets",)),
    (account_backends, ("_alternate_contacts",)),
)
logger = logging.getLogger("vending.emulator")


def capture(state: EmulatorState) -> tuple[Any, ...]:
    """moto's organizations and Identity Center, and the emulator's own state, as they
    are now (not copied)."""
    backends = {
        (account_id, partition): {name: getattr(backend, name) for name in _BACKEND_FIELDS}
        for account_id, per_account in dict.items(organizations_backends)
        for partition, backend in dict.items(per_account)
        if _holds_anything(backend)
    }
    return (backends, dict(organizations_backends.master_accounts), state, _regional())


def restore(data: tuple[Any, ...]) -> EmulatorState | None:
    """Put what `capture` took into moto; the emulator's own state from it."""
    backends, master_accounts, state, regional = data
    for (account_id, partition), fields in backends.items():
        backend: OrganizationsBackend = organizations_backends[account_id][partition]
        for name, value in fields.items():
            setattr(backend, name, value)
    organizations_backends.master_accounts.clear()
    organizations_backends.master_accounts.update(master_accounts)
    for index, saved in enumerate(regional):
        dictionary, _ = _REGIONAL[index]
        for (account_id, region), fields in saved.items():
            for name, value in fields.items():
                setattr(dictionary[account_id][region], name, value)
    return state if isinstance(state, EmulatorState) else None


def save(path: Path, state: EmulatorState) -> None:
    payload = {
        "format": FORMAT,
        "moto": moto.__version__,
        # One pickle for everything, so objects shared between them (a policy and the
        # accounts it is attached to) stay shared when loaded.
        "data": capture(state),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            pickle.dump(payload, stream, protocol=pickle.HIGHEST_PROTOCOL)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path: Path) -> EmulatorState | None:
    """Put the snapshot's organizations into moto and answer the emulator's own state,
    or None when there is no usable snapshot (moto is left untouched then)."""
    if not path.exists():
        return None
    try:
        with path.open("rb") as stream:
            payload: dict[str, Any] = pickle.load(stream)  # noqa: S301 - our own file, see above
        if payload.get("format") != FORMAT or payload.get("moto") != moto.__version__:
            raise ValueError(
                f"written by format {payload.get('format')} / moto {payload.get('moto')}, "
                f"this is format {FORMAT} / moto {moto.__version__}"
            )
        data = payload["data"]
        if len(data) != 4:
            raise ValueError("not an emulator snapshot")
    except Exception as error:
        aside = path.with_name(path.name + ".unreadable")
        os.replace(path, aside)
        logger.warning("Emulator state %s is unusable (%s); moved to %s", path, error, aside)
        return None
    return restore(data)


def _holds_anything(backend: OrganizationsBackend) -> bool:
    return backend.org is not None or bool(backend.accounts or backend.ou or backend.policies)


def _regional() -> list[dict[tuple[str, str], dict[str, Any]]]:
    """The Identity Center backends that were used, per (account, region)."""
    return [
        {
            (account_id, region): {name: getattr(backend, name) for name in names}
            for account_id, per_account in dict.items(dictionary)
            for region, backend in dict.items(per_account)
        }
        for dictionary, names in _REGIONAL
    ]
