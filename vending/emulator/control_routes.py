"""Which control endpoint does what (the routes of :mod:`.control`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .control import ControlRoutes, Handler, no_fields
from .protocol import Caller
from .state import EmulatorState

if TYPE_CHECKING:
    from .app import EmulatorApp


def add_routes(app: EmulatorApp, routes: ControlRoutes) -> None:
    routes.add("/health", GET=lambda body, parts: {"ok": True})
    routes.add(
        "/config",
        GET=lambda body, parts: app.config.to_dict(),
        POST=lambda body, parts: app.update_config(body).to_dict(),
    )
    routes.add("/reset", POST=lambda body, parts: _reset(app))
    routes.add("/stats", GET=lambda body, parts: app.stats())
    routes.add("/stats/reset", POST=lambda body, parts: _reset_stats(app))
    routes.add("/seed-accounts", POST=lambda body, parts: _seed_accounts(app, body))
    routes.add(
        "/clock",
        GET=lambda body, parts: app.read(lambda state: state.clock.to_dict()),
        POST=lambda body, parts: app.advance_clock(body),
    )
    routes.add(
        "/accounts",
        GET=lambda body, parts: app.read(_standalone_accounts),
        POST=lambda body, parts: app.change(
            lambda state: state.accounts.create_standalone(body, state.clock.now()).to_dict()
        ),
    )
    routes.add(
        "/accounts/{account_id}/leave-blocker",
        POST=lambda body, parts: app.change(
            lambda state: state.accounts.set_leave_blocker(parts["account_id"], body)
        ),
    )
    routes.add("/handshakes/{handshake_id}/accept", POST=_responder(app, accept=True))
    routes.add("/handshakes/{handshake_id}/decline", POST=_responder(app, accept=False))


def _responder(app: EmulatorApp, *, accept: bool) -> Handler:
    def handler(body: dict[str, Any], parts: dict[str, str]) -> dict[str, Any]:
        return app.change(lambda state: _respond(state, parts["handshake_id"], body, accept=accept))

    return handler


def _reset(app: EmulatorApp) -> dict[str, Any]:
    app.reset()
    return {"ok": True}


def _reset_stats(app: EmulatorApp) -> dict[str, Any]:
    app.reset_stats()
    return app.stats()


def _seed_accounts(app: EmulatorApp, body: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(body) - {"count"})
    if unknown:
        raise ValueError(f'unknown fields: {unknown}; send {{"count": N}}')
    if "count" not in body:
        raise ValueError('count is required: send {"count": N}')
    return app.seed_accounts(body["count"])


def _standalone_accounts(state: EmulatorState) -> dict[str, Any]:
    return {"accounts": [account.to_dict() for account in state.accounts.standalone.values()]}


def _respond(
    state: EmulatorState, handshake_id: str, body: dict[str, Any], *, accept: bool
) -> dict[str, Any]:
    """Accept or decline as the invited account would, with AcceptHandshake's rules."""
    no_fields(body)
    recipient = state.handshakes.recipient_of(handshake_id, state.accounts)
    handshake = state.handshakes.items[handshake_id]
    caller = Caller(recipient, handshake.partition)
    return state.handshakes.respond(
        caller, {"HandshakeId": handshake_id}, state.clock.now(), state.accounts, accept=accept
    )
