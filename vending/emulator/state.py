"""What the emulator keeps beside moto's backends, in one object (so a reset replaces it
and a snapshot saves it whole)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .accounts import AccountCreations
from .clock import EmulatorClock
from .closing import AccountClosures
from .handshakes import Handshakes
from .identity_center import AccountAssignments
from .membership import Accounts


@dataclass
class EmulatorState:
    creations: AccountCreations = field(default_factory=AccountCreations)
    handshakes: Handshakes = field(default_factory=Handshakes)
    accounts: Accounts = field(default_factory=Accounts)
    closures: AccountClosures = field(default_factory=AccountClosures)
    clock: EmulatorClock = field(default_factory=EmulatorClock)
    assignments: AccountAssignments = field(default_factory=AccountAssignments)

    def catch_up(self) -> bool:
        """Carry out what time has made due (creations finished, handshakes expired,
        closures done) before a request is served, so nobody observes anything past its
        deadline. Answers whether anything changed."""
        now = self.clock.now()
        results = (
            self.creations.complete_due(now),
            self.handshakes.expire_due(now),
            self.closures.complete_due(now),
            self.assignments.complete_due(now),
        )
        return any(results)
