"""Injectable platform-client faults: arm a state-API failure for the n-th, next-k or a seeded
share of matching calls (:class:`PlatformFaults`)."""

from __future__ import annotations

import datetime as _dt
import random
from dataclasses import dataclass

from fake_shopify.faults import Always, Next, Nth, Probability, Schedule
from harness.runtime.clock import Clock
from harness.runtime.errors import ApiError, api_error_for_status


@dataclass(frozen=True)
class ArmedPlatformFault:
    id: str
    status: int
    method: str
    schedule: Schedule
    bot_id: str | None = None


@dataclass(frozen=True)
class FiredPlatformFault:
    fault_id: str
    method: str
    status: int
    bot_id: str
    time: _dt.datetime


class PlatformFaults:
    """Platform-client faults: the state API answers an error status instead of serving a call.

    Same schedules as ``fake_shopify.faults``: ``Nth(n)`` the n-th matching call once,
    ``Next(k)`` the next k, ``Always()``, ``Probability(p, seed)`` a seeded coin per call.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._armed: list[_ArmedState] = []
        self._all: list[ArmedPlatformFault] = []
        self._counter = 0
        self.fired: list[FiredPlatformFault] = []

    def arm(
        self,
        status: int,
        *,
        method: str = "any",
        schedule: Schedule | None = None,
        bot_id: str | None = None,
    ) -> ArmedPlatformFault:
        """Arm a fault; ``method`` is a client method name or ``"any"`` (state methods)."""
        if method != "any" and method not in _FAULTABLE:
            raise ValueError(
                f"unknown platform method {method!r}; expected 'any' or one of {_FAULTABLE}"
            )
        if not 400 <= status <= 599:
            raise ValueError(f"a platform fault needs an error status (400-599), got {status}")
        # The same checks as fake_shopify's FaultPlan.arm, so a scenario means the same on both.
        if isinstance(schedule, Nth) and schedule.n < 1:
            raise ValueError(f"Nth(n) is 1-based, got n={schedule.n}")
        if isinstance(schedule, Next) and schedule.k < 1:
            raise ValueError(f"Next(k) needs k >= 1, got k={schedule.k}")
        if isinstance(schedule, Probability) and not 0.0 <= schedule.p <= 1.0:
            raise ValueError(f"Probability(p) needs 0 <= p <= 1, got p={schedule.p}")
        self._counter += 1
        armed = ArmedPlatformFault(
            f"pfault-{self._counter}", status, method, schedule or Next(1), bot_id
        )
        self._armed.append(_ArmedState(armed))
        self._all.append(armed)
        return armed

    def armed(self) -> list[ArmedPlatformFault]:
        """Faults that can still fire, in arming order."""
        return [a.fault for a in self._armed]

    def disarm(self, fault: ArmedPlatformFault) -> None:
        """Stop ``fault`` from firing again."""
        self._armed = [a for a in self._armed if a.fault.id != fault.id]

    def unfired(self) -> list[ArmedPlatformFault]:
        """Faults armed since the last ``clear()`` that never fired (any schedule)."""
        fired = {f.fault_id for f in self.fired}
        return [a for a in self._all if a.id not in fired]

    def clear(self) -> None:
        """Disarm everything (what fired stays recorded in ``fired``)."""
        self._armed.clear()
        self._all.clear()

    def check(self, method: str, bot_id: str) -> tuple[str, ApiError] | None:
        """If an armed fault fires for this call, record it and return (fault id, error)."""
        for state in list(self._armed):
            fault = state.fault
            if fault.method not in ("any", method) or fault.bot_id not in (None, bot_id):
                continue
            state.seen += 1
            if not state.fires():
                continue
            if state.exhausted():
                self._armed.remove(state)
            self.fired.append(
                FiredPlatformFault(fault.id, method, fault.status, bot_id, self._clock.now())
            )
            error = api_error_for_status(
                fault.status, f"injected platform fault {fault.id}: HTTP {fault.status}"
            )
            return fault.id, error
        return None


_FAULTABLE = ("get_state", "set_state", "get_or_set_state", "patch_state", "configure_integration")


class _ArmedState:
    def __init__(self, fault: ArmedPlatformFault) -> None:
        self.fault = fault
        self.seen = 0  # matching calls so far
        self.fires_left = fault.schedule.k if isinstance(fault.schedule, Next) else 1
        schedule = fault.schedule
        self._random = random.Random(schedule.seed) if isinstance(schedule, Probability) else None

    def fires(self) -> bool:
        schedule = self.fault.schedule
        if isinstance(schedule, Nth):
            return self.seen == schedule.n
        if isinstance(schedule, Next):
            if self.fires_left <= 0:
                return False
            self.fires_left -= 1
            return True
        if isinstance(schedule, Always):
            return True
        assert self._random is not None
        return self._random.random() < schedule.p

    def exhausted(self) -> bool:
        schedule = self.fault.schedule
        if isinstance(schedule, Nth):
            return True
        if isinstance(schedule, Next):
            return self.fires_left <= 0
        return False
