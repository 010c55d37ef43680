"""The Organizations operations the emulator answers itself, and how.

Each handler takes the call (who asks, what, the settings, the emulator's state and its
clock) and returns the answer, raises the error AWS would answer, or returns ``None`` to
let moto answer. Operations neither here nor in moto answer UnsupportedOperation (HTTP
400, naming the operation), not moto's HTML 500 that clients would retry as an outage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.core.utils import camelcase_to_underscores
from moto.organizations.models import OrganizationsBackend
from moto.organizations.responses import OrganizationsResponse

from .config import EmulatorConfig
from .listing import LISTINGS
from .membership import organization_of
from .protocol import Caller, OrganizationsError
from .rules import RULES
from .state import EmulatorState

_READ_PREFIXES = ("Describe", "List", "Get")


@dataclass(frozen=True)
class Call:
    caller: Caller
    payload: dict[str, Any]
    config: EmulatorConfig
    state: EmulatorState
    now: float

    def organization(self) -> OrganizationsBackend:
        """The caller's moto backend, which must hold an organization it manages."""
        backend = self.caller.backend()
        if backend.org is not None:
            return backend
        if organization_of(self.caller.account_id) is not None:
            raise OrganizationsError(
                "AccessDeniedException",
                "You don't have permissions to perform the requested operation. Only the "
                "management account of the organization can do this.",
            )
        raise OrganizationsError(
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        )


Handler = Callable[[Call], dict[str, Any] | None]


def _rule(rule: Callable[[OrganizationsBackend, dict[str, Any], EmulatorConfig], Any]) -> Handler:
    def handler(call: Call) -> dict[str, Any] | None:
        backend = call.caller.backend()
        if backend.org is None:
            raise OrganizationsError(
                "AWSOrganizationsNotInUseException",
                "Your account is not a member of an organization.",
            )
        answer: dict[str, Any] | None = rule(backend, call.payload, call.config)
        return answer

    return handler


def _create_account(call: Call) -> dict[str, Any]:
    call.organization()
    return call.state.creations.create(
        call.caller, call.payload, call.config, call.now, call.state.accounts.email_taken
    )


def _describe_creation(call: Call) -> dict[str, Any]:
    call.organization()
    return call.state.creations.describe(call.caller, call.payload)


def _list_creations(call: Call) -> dict[str, Any]:
    call.organization()
    return call.state.creations.list(call.caller, call.payload)


def _respond(accept: bool) -> Handler:
    def handler(call: Call) -> dict[str, Any]:
        state = call.state
        return state.handshakes.respond(
            call.caller, call.payload, call.now, state.accounts, accept=accept
        )

    return handler


OPERATIONS: dict[str, Handler] = {
    **{name: _rule(rule) for name, rule in RULES.items()},
    **{name: _rule(listing) for name, listing in LISTINGS.items()},
    "CreateAccount": _create_account,
    "DescribeCreateAccountStatus": _describe_creation,
    "ListCreateAccountStatus": _list_creations,
    "InviteAccountToOrganization": lambda call: call.state.handshakes.invite(
        call.organization(), call.payload, call.config, call.now, call.state.accounts
    ),
    "ListHandshakesForOrganization": lambda call: call.state.handshakes.list_for_organization(
        call.organization(), call.payload, call.now
    ),
    "ListHandshakesForAccount": lambda call: call.state.handshakes.list_for_account(
        call.caller, call.payload, call.now, call.state.accounts
    ),
    "DescribeHandshake": lambda call: call.state.handshakes.describe(
        call.caller, call.payload, call.now, call.state.accounts
    ),
    "CancelHandshake": lambda call: call.state.handshakes.cancel(
        call.caller, call.payload, call.now, call.state.accounts
    ),
    "AcceptHandshake": _respond(accept=True),
    "DeclineHandshake": _respond(accept=False),
    "RemoveAccountFromOrganization": lambda call: call.state.accounts.remove(
        call.organization(), call.payload, call.now
    ),
    "CloseAccount": lambda call: call.state.closures.close(
        call.organization(), call.payload, call.config, call.now
    ),
}


def answer(operation: str, call: Call) -> dict[str, Any] | None:
    """Our answer for ``operation``, or ``None`` when moto should answer."""
    handler = OPERATIONS.get(operation)
    if handler is not None:
        return handler(call)
    if not hasattr(OrganizationsResponse, camelcase_to_underscores(operation)):
        raise OrganizationsError(
            "UnsupportedOperation",
            f"The local Organizations emulator does not implement {operation}.",
        )
    return None


def changes_state(operation: str) -> bool:
    """Whether a call may change what is stored (reads never do)."""
    return not operation.startswith(_READ_PREFIXES)
