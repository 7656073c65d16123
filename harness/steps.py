"""The step model of a simulated lifecycle (docs/architecture.md).

A lifecycle is a tuple of steps. The same types are produced by the Hypothesis state machine and
by crash enumeration, read from and written to scenario files, and executed by the simulator.
Every step names the bot it acts on (``bot1`` unless said otherwise); bots are the tenants of
the world (see ``harness.world``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

from fake_shopify.faults import FaultEffect, Match, Next, Schedule

Operation = Literal["register", "unregister"]
ConfigureChange = Literal["rotate_token", "move_shop"]
DriftChange = Literal["remove_subscription", "foreign_subscription", "delivery_failures"]
PlatformMethod = Literal["get_state", "set_state", "get_or_set_state", "patch_state", "any"]


@dataclass(frozen=True)
class Register:
    """The platform calls ``register`` for ``bot``."""

    bot: str = "bot1"


@dataclass(frozen=True)
class Unregister:
    """The platform calls ``unregister`` for ``bot``."""

    bot: str = "bot1"


@dataclass(frozen=True)
class Configure:
    """A configuration save, which the platform follows with ``register``.

    ``rotate_token``: same shop and app, a new access token; the old one is revoked.
    ``move_shop`` (opt-in, stricter): the configuration now names another shop.
    """

    bot: str = "bot1"
    change: ConfigureChange = "rotate_token"


@dataclass(frozen=True)
class Drift:
    """An outside change to Shopify between hook calls.

    ``remove_subscription``: Shopify removes the bot's ``index``-th subscription (by id, modulo
    their number). ``foreign_subscription``: another bot of the same app adds its own.
    ``delivery_failures``: Shopify removes a subscription after repeated failed deliveries.
    """

    change: DriftChange = "remove_subscription"
    bot: str = "bot1"
    index: int = 0


@dataclass(frozen=True)
class LoseState:
    """The platform's states for ``bot`` are wiped."""

    bot: str = "bot1"


@dataclass(frozen=True)
class ShopifyFault:
    """Arm a fault on the fake Shopify for upcoming requests."""

    effect: FaultEffect
    match: Match = field(default_factory=Match)
    schedule: Schedule = field(default_factory=Next)


@dataclass(frozen=True)
class PlatformFault:
    """Arm a platform-client fault: the state API answers ``status`` (an API error)."""

    status: int = 500
    method: PlatformMethod = "any"
    schedule: Schedule = field(default_factory=Next)


@dataclass(frozen=True)
class Crash:
    """The platform calls ``operation`` for ``bot`` and aborts the hook before its request
    number ``at`` (1-based) is sent. The abort is a ``BaseException`` that ``except Exception``
    does not catch; if the hook sends fewer requests, it runs to completion."""

    bot: str = "bot1"
    operation: Operation = "register"
    at: int = 1


@dataclass(frozen=True)
class Advance:
    """Move the virtual clock forward."""

    seconds: float


HookStep = Register | Unregister | Configure


@dataclass(frozen=True)
class Concurrently:
    """Overlapping hook calls: of one bot, of several bots on one shop, or of several shops."""

    steps: tuple[HookStep, ...]


Step = (
    Register
    | Unregister
    | Configure
    | Drift
    | LoseState
    | ShopifyFault
    | PlatformFault
    | Crash
    | Advance
    | Concurrently
)

STEP_KINDS: dict[str, type[Step]] = {
    "register": Register,
    "unregister": Unregister,
    "configure": Configure,
    "drift": Drift,
    "lose_state": LoseState,
    "fault": ShopifyFault,
    "platform_fault": PlatformFault,
    "crash": Crash,
    "advance": Advance,
    "concurrently": Concurrently,
}
"""Step kind names as they appear in scenario files and reports."""


def step_kind(step: Step) -> str:
    """The scenario-file kind name of ``step``."""
    for name, cls in STEP_KINDS.items():
        if isinstance(step, cls):
            return name
    raise TypeError(f"not a step: {step!r}")


def value_to_data(value: object) -> object:
    """JSON-ready data for a step field: dataclasses become ``{"type": ..., fields...}``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data: dict[str, object] = {"type": type(value).__name__}
        for f in dataclasses.fields(value):
            data[f.name] = value_to_data(getattr(value, f.name))
        return data
    if isinstance(value, tuple | list):
        return [value_to_data(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if callable(value):
        return getattr(value, "__qualname__", type(value).__name__)
    return repr(value)


def step_to_data(step: Step) -> dict[str, object]:
    """A step as ``{"kind": <scenario kind>, fields...}``."""
    data: dict[str, object] = {"kind": step_kind(step)}
    for f in dataclasses.fields(step):
        value = getattr(step, f.name)
        if isinstance(step, Concurrently) and f.name == "steps":
            data["steps"] = [step_to_data(s) for s in value]
        else:
            data[f.name] = value_to_data(value)
    return data


def describe_step(step: Step) -> str:
    """One readable line for a step: ``register bot1``, ``fault HttpError(500) on create_webhook``."""
    kind = step_kind(step)
    if isinstance(step, Concurrently):
        return "concurrently: " + " | ".join(describe_step(s) for s in step.steps)
    data = step_to_data(step)
    data.pop("kind")
    parts = []
    for key, value in data.items():
        parts.append(f"{key}={_short(value)}")
    return f"{kind} " + " ".join(parts) if parts else kind


def _short(value: object) -> str:
    if isinstance(value, dict):
        name = str(value.get("type", ""))
        inner = ", ".join(
            f"{k}={_short(v)}" for k, v in value.items() if k != "type" and v is not None
        )
        return f"{name}({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)
