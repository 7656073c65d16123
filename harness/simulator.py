"""The simulator: executes steps against a fake Shopify and the simulated platform runtime.

One ``Simulator`` per integration and exploration. It owns what is costly to start and safe to
share: the virtual time (freezegun is started once and then moved) and the HTTP interception
(one respx router in ``httpx`` mode, a single catch-all route per host family, dispatching into
the current lifecycle's fake). Each lifecycle (``Session``) gets a fresh ``FakeShopify``,
``StateStore`` and ``LogSink``: nothing is shared between examples.

Requests are attributed to the hook call that made them through the runtime's per-call virtual
deadline (``harness.runtime.vtime.current_deadline``), a context variable that every asyncio task and
worker thread of a call carries: overlapping calls (``concurrently``) each find their own
recorder by its label.

An integration that builds a new ``httpx.Client`` per call pays 30-50 ms for an SSL context it
never uses in-process; the simulator keeps the runtime's SSL-context cache
(``harness.runtime.sslcache``) active for its whole life, which removes that cost without touching
the integration.
"""

from __future__ import annotations

import bisect
import dataclasses
import importlib.util
import json
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from unittest import mock

import httpx

from fake_shopify import FakeShopify
from fake_shopify.faults import Latency, Match, Nth, Raise
from fake_shopify.served import ServedShopify, TestCA, shared_ca
from fake_shopify.transports import suspend as _suspend
from harness import runtime as rt
from harness.common.redaction import secret_values
from harness.history import (
    BotWorld,
    CallOutcome,
    Coverage,
    History,
    HookCall,
    HttpExchange,
    LogLine,
    StepRecord,
    TenantInfo,
    WorldSnapshot,
    level_rank,
)
from harness.options import Options
from harness.properties import Violation, check_all
from harness.runtime import watch as _watch
from harness.runtime.events import BotEvents, DeliveryCapture, fail_until_removed, probe_events
from harness.runtime.httpxfast import fast_httpx
from harness.runtime.logs import bounded_text
from harness.runtime.netblock import SocketAttempt, blocked_network
from harness.runtime.sslcache import cached_ssl_contexts
from harness.runtime.turns import turn_point
from harness.runtime.vtime import ClockRangeError, VirtualTime, current_deadline
from harness.steps import (
    Advance,
    Concurrently,
    Configure,
    Crash,
    Drift,
    LoseState,
    PlatformFault,
    Register,
    ShopifyFault,
    Step,
    Unregister,
    describe_step,
)
from harness.targets.node.target import NodeCall, NodeIntegration
from harness.targets.python import (
    HookCrash,
    HookInvocation,
    HookOutcome,
    Integration,
    call_hooks_concurrently,
)
from harness.world import (
    BotSpec,
    ShopSpec,
    Tenant,
    WorldSpec,
    default_world,
    derived_token,
    provision,
    substitute,
)

HOOK_STEPS = (Register, Unregister, Configure, Crash, Concurrently)
"""Steps in which the platform calls hooks: each is preceded by a platform gap."""

SHOPIFY_HOST = r"^[A-Za-z0-9][A-Za-z0-9-]*\.myshopify\.com$"
_SHOPIFY = re.compile(SHOPIFY_HOST)
FOREIGN_SUBSCRIPTION_TOPIC = "orders/create"
REMOVED_SCOPES = frozenset({"read_orders", "write_orders"})  # drift `remove_scope`
LONG_LATENCY = 10.0
"""A ``Latency`` fault of at least this many seconds is a fault (a real client's read timeout
would have expired, and the platform's own budget may); a shorter one only delays a request
that then succeeds."""


class SimulationError(Exception):
    """The simulator cannot execute a step as written (names a bot that does not exist...)."""


class HookHungError(BaseException):
    """A hook hung in wall time: the run (check, exploration, replay) stops at once.

    A ``BaseException`` so that nothing between the hook and the caller mistakes it for a
    property failure: Hypothesis would shrink it (calling the hanging hook again and again, a
    wall timeout each time) and library code that catches ``Exception`` would carry on. One
    hang is enough to report; every further call would cost another wall timeout.
    """

    def __init__(self, reason: str, *, bot: str, operation: str, steps: Sequence[Step]) -> None:
        super().__init__(reason)
        self.reason = reason  # names the hook, the integration, the bot id and file:line
        self.bot = bot
        self.operation = operation
        self.steps = tuple(steps)

    def __str__(self) -> str:
        lines = [f"stopped: {self.reason}", "steps:"]
        for i, step in enumerate(self.steps, 1):
            marker = "  <- hung here" if i == len(self.steps) else ""
            lines.append(f"  {i}. {describe_step(step)}{marker}")
        return "\n".join(lines)


class UnservedRequestError(httpx.ConnectError):
    """A request to a host no fake serves; it is never sent to the network.

    An ``httpx.ConnectError`` so integrations see what a refused connection looks like.
    """


# --- recording -----------------------------------------------------------------------------


@dataclass
class _Recorder:
    """Collects the exchanges of one hook call."""

    bot: str
    exchanges: list[HttpExchange] = field(default_factory=list)
    fault_ids: list[str] = field(default_factory=list)


def _headers(request: httpx.Request) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in request.headers.items())


BODY_LIMIT = 256 * 1024
"""Characters of a request or response body kept in the history (the rest is cut with a
marker): a hook posting 200 MB must not make every step record hold it."""


def _body(request: httpx.Request) -> str:
    try:
        content = request.content
    except httpx.RequestNotRead:
        return ""
    if len(content) <= BODY_LIMIT:
        return content.decode("utf-8", "replace")
    text = content[:BODY_LIMIT].decode("utf-8", "replace")
    return f"{text}... [truncated by lifecycle-harness: {len(content) - BODY_LIMIT} more bytes]"


def _platform_line(call: rt.PlatformCall) -> str:
    """``set_state integration/webhooks -> ok`` or ``-> ResourceNotFound [pfault-1]``."""
    target = f" {call.type}/{call.name}" if call.name else ""
    outcome = call.error or "ok"
    fault = f" [platform fault {call.fault_id}]" if call.fault_id else ""
    return f"{call.method}{target} -> {outcome}{fault}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _limit_answer(status: int, body: str) -> str | None:
    """``"429"`` or ``"THROTTLED"`` when the fake answered from its own limits, else None."""
    if status == 429:
        return "429"
    if status == 200 and '"THROTTLED"' in body:
        try:
            errors = json.loads(body).get("errors") or []
        except (ValueError, AttributeError):
            return None
        for error in errors if isinstance(errors, list) else []:
            extensions = error.get("extensions") if isinstance(error, dict) else None
            if isinstance(extensions, dict) and extensions.get("code") == "THROTTLED":
                return "THROTTLED"
    return None


def _shop_of(host: str) -> str | None:
    if host.endswith(".myshopify.com"):
        return host[: -len(".myshopify.com")]
    return None


@dataclass
class _CrashPlan:
    """An armed crash point of one ``crash`` step, and whether the hook reached it."""

    step: Crash
    bot_id: str
    reached: bool = False
    requests_seen: int = 0
    platform_seen: int = 0

    def after_request(self, request: httpx.Request) -> bool:
        """Count a served request; True when the crash comes right after it."""
        if self.step.call != "request" or self.step.when != "after" or self.reached:
            return False
        self.requests_seen += 1
        if self.requests_seen == self.step.at:
            self.reached = True
            return True
        return False

    def observe_platform(self, when: str, method: str, bot_id: str) -> None:
        """The state store's observer: raise the crash at the armed platform call."""
        step = self.step
        if self.reached or bot_id != self.bot_id:
            return
        if step.call not in ("platform", method):
            return
        if when == "before":
            self.platform_seen += 1
        if self.platform_seen == step.at and when == step.when:
            self.reached = True
            raise HookCrash(
                f"the platform aborted {step.operation} of {step.bot} {step.point()} ({method})"
            )


# --- normalisation -------------------------------------------------------------------------

_RESOURCE_FIELDS = ("topic", "address", "format", "fields", "metafield_namespaces", "filter")


_FOREIGN: Any = object()
"""Where an observed subscription belongs when no bot under test owns it."""

_Foreign = tuple[str, tuple[tuple[str, object], ...]]  # (repr, normalised entry): sort key first


class _ObservedView:
    """What ``Session.observe`` keeps between observations of one backend: where each
    subscription belongs, each bot's subscriptions and normalised resources, and the foreign
    entries in their sorted order."""

    def __init__(self, backend: Any, fingerprint: tuple[object, ...], bots: list[str]) -> None:
        self.backend = backend
        self.fingerprint = fingerprint
        self.mark = 0
        self.where: dict[int, Any] = {}  # subscription id -> owning bot name, or _FOREIGN
        self.owned: dict[str, dict[int, Any]] = {name: {} for name in bots}
        self.bots: dict[
            str, tuple[tuple[tuple[tuple[str, object], ...], ...], dict[str, str], frozenset[str]]
        ] = {}
        self.foreign: dict[int, _Foreign] = {}
        self._sorted: list[_Foreign] = []
        self.foreign_tuple: tuple[tuple[tuple[str, object], ...], ...] = ()

    def update_foreign(self, removed: list[_Foreign], added: list[_Foreign]) -> None:
        """Keep the foreign entries sorted by ``repr`` (each holds its id, so keys are unique)."""
        ordered = self._sorted
        if len(removed) + len(added) > 64:  # a crowd: one filter and one sort
            gone = {key[0] for key in removed}
            ordered[:] = [pair for pair in ordered if pair[0] not in gone]
            ordered.extend(added)
            ordered.sort(key=_first)
        else:
            for key in removed:
                del ordered[bisect.bisect_left(ordered, key[0], key=_first)]
            for key in added:
                ordered.insert(bisect.bisect_left(ordered, key[0], key=_first), key)
        self.foreign_tuple = tuple(entry for _, entry in ordered)


def _first(pair: _Foreign) -> str:
    return pair[0]


def _normalise_value(value: object) -> object:
    if isinstance(value, list | tuple):
        return tuple(_normalise_value(v) for v in value)
    return value


class Session:
    """One lifecycle: fresh fake, store and log sink; steps executed one at a time."""

    def __init__(
        self, simulator: Simulator, world: WorldSpec, *, with_reference: bool = True
    ) -> None:
        self.simulator = simulator
        self.world_spec = world
        self.options = simulator.options
        self.vtime = simulator.vtime
        # Deliveries to the bots' webhook_urls are captured (exactly_once, issue 6).
        self.capture = DeliveryCapture()
        self.fake = FakeShopify(clock=self.vtime, delivery_sender=self.capture)
        self._seen_topics: dict[str, set[str]] = {}
        self.store = rt.StateStore(clock=self.vtime)
        self.sink = rt.LogSink(clock=self.vtime)
        self.tenants: dict[str, Tenant] = {t.name: t for t in provision(self.fake, world)}
        self._foreign_counter = 0
        self._moved = 0
        self._known_ids: dict[str, str] = {}  # every webhook id seen -> symbol when it existed
        self._view: _ObservedView | None = None  # what observe() keeps up to date
        self._recorders: dict[str, _Recorder] = {}
        self._hook_ordinal = 0
        self._crash_plan: _CrashPlan | None = None
        self._armed_at: dict[str, int] = {}  # fault id -> index of the step that armed it
        # Persistent faults per bot (revoked token, removed scope): bot -> change -> condition.
        self._impaired: dict[str, dict[str, str]] = {}
        self.history = History(
            tenants={name: self._info(t) for name, t in self.tenants.items()},
            reference=simulator.reference(world) if with_reference else {},
        )
        self._learn_secrets()
        self.history.initial = self.observe()
        self._lock = threading.Lock()

    # -- public ------------------------------------------------------------------------------

    def step(self, step: Step) -> list[Violation]:
        """Execute ``step``, record it, and check every enabled property on it."""
        self.execute(step)
        return [v.with_world(self.world_spec) for v in check_all(self.history, self.options)]

    def execute(self, step: Step) -> StepRecord:
        before = self.history.records[-1].world if self.history.records else self.history.initial
        fired_before = len(self.fake.faults.fired)
        pfired_before = len(self.store.faults.fired)
        watcher = _watch.current()
        if watcher is not None:
            watcher.step(len(self.history.records), lambda: describe_step(step))
        if isinstance(step, HOOK_STEPS):
            # The platform spaces its calls (Options.timing; unverified, docs/decisions.md).
            gap = self.options.timing.gap(self._hook_ordinal)
            self._hook_ordinal += 1
            if gap:
                self.vtime.advance(gap)
        calls = self._dispatch(step)
        for call in calls:
            if call.outcome.hung:
                steps = [r.step for r in self.history.records] + [step]
                raise HookHungError(
                    call.outcome.status_reason or f"{call.operation} of {call.bot} hung",
                    bot=call.bot,
                    operation=call.operation,
                    steps=steps,
                )
        self._learn_secrets()
        # Arming a fault changes nothing until a request meets it.
        world = before if isinstance(step, ShopifyFault | PlatformFault) else self.observe()
        faulted = any(c.faulted for c in calls) or self._faults_reached(fired_before, pfired_before)
        record = StepRecord(
            index=len(self.history.records),
            step=step,
            before=before,
            world=world,
            calls=calls,
            faulted=faulted,
            tenants={name: self._info(t) for name, t in self.tenants.items()},
            events=self._probe(world, calls, faulted),
        )
        self.history.records.append(record)
        self.simulator.coverage.observe(record)
        return record

    def _probe(
        self, world: WorldSnapshot, calls: Sequence[HookCall], faulted: bool
    ) -> dict[str, BotEvents]:
        """Fire one event per topic of interest for each bot whose hook call ``exactly_once``
        judges (fault-free, ended ok) and count what reached its webhook_url."""
        for name in self.tenants:
            seen = self._seen_topics.setdefault(name, set())
            seen.update(str(dict(r).get("topic")) for r in world.bot(name).resources)
            reference = self.history.reference.get(name)
            if reference is not None:
                seen.update(str(dict(r).get("topic")) for r in reference.resources)
        if faulted or not self.options.enabled("exactly_once"):
            return {}
        judged = {c.bot for c in calls if c.outcome.ok and not c.faulted}
        judged -= {c.bot for c in calls if not c.outcome.ok or c.faulted}
        bots = {
            name: (self.tenants[name].shop, self.tenants[name].webhook_url)
            for name in sorted(judged)
            if self._seen_topics.get(name)
        }
        if not bots:
            return {}
        return probe_events(self.fake, self.capture, bots, lambda b: self._seen_topics[b])

    def unreached(self) -> list[str]:
        """What the lifecycle armed and never reached: crash points its hooks never came to,
        and faults no request (or platform call) ever met, one line each, in step order."""
        found: list[tuple[int, str]] = []
        for record in self.history.records:
            for call in record.calls:
                if call.unreached:
                    found.append((record.index, call.unreached))
        unfired = [a.id for a in self.fake.faults.unfired()]
        unfired += [a.id for a in self.store.faults.unfired()]
        for fault_id in unfired:
            index = self._armed_at.get(fault_id)
            if index is None:
                continue
            record = self.history.records[index]
            later = self.history.records[index + 1 :]
            what = "platform API call" if isinstance(record.step, PlatformFault) else "request"
            count = sum(
                len(c.platform_calls) if what != "request" else len(c.exchanges)
                for r in later
                for c in r.calls
            )
            found.append(
                (
                    index,
                    f"fault {fault_id} ({describe_step(record.step)}) never reached: no "
                    f"{what} matched it (the hooks made {_plural(count, what)} after it)",
                )
            )
        found.sort(key=lambda pair: pair[0])
        return [f"step {index + 1}: {text}" for index, text in found]

    # -- world observation -------------------------------------------------------------------

    def observe(self) -> WorldSnapshot:
        """Normalise the world (see ``harness.history``).

        Incremental: the fake's mutation journal (``ShopifyBackend.mutations``) says which
        subscriptions changed since the last observation; only those are re-read, and only the
        bots that own one of them get their resources and symbols recomputed. Everything else
        (other apps' subscriptions, other bots') is reused as it was. A new backend, or a change
        of any bot's webhook_url or shop (ownership and the ``shop`` role depend on them),
        starts from scratch. ``_observe_full`` is the reference this must always agree with.
        """
        backend = self.fake.backend
        view = self._view
        fingerprint = self._tenants_fingerprint()
        if view is None or view.backend is not backend or view.fingerprint != fingerprint:
            view = self._view = _ObservedView(backend, fingerprint, list(self.tenants))
            changed: Iterable[int] = [h.id for h in backend.webhooks()]
        else:
            changed = dict.fromkeys(backend.mutations.since(view.mark))
        view.mark = backend.mutations.mark()
        app = self.world_spec.app
        dirty: set[str] = set()
        foreign_removed: list[tuple[str, tuple[tuple[str, object], ...]]] = []
        foreign_added: list[tuple[str, tuple[tuple[str, object], ...]]] = []
        for hook_id in changed:
            where = view.where.pop(hook_id, None)
            if where is _FOREIGN:
                foreign_removed.append(view.foreign.pop(hook_id))
            elif where is not None:
                del view.owned[where][hook_id]
                dirty.add(where)
            hook = backend.webhook(hook_id)
            if hook is None:
                continue
            owner = self._owner(hook.address) if hook.app == app else None
            if owner is None:
                entry = (
                    ("app", hook.app),
                    ("shop", hook.shop),
                    ("id", hook.id),
                    *((f, _normalise_value(getattr(hook, f))) for f in _RESOURCE_FIELDS),
                )
                keyed = (repr(entry), entry)
                view.foreign[hook_id] = keyed
                view.where[hook_id] = _FOREIGN
                foreign_added.append(keyed)
            else:
                view.owned[owner][hook_id] = hook
                view.where[hook_id] = owner
                dirty.add(owner)
        if foreign_removed or foreign_added:
            view.update_foreign(foreign_removed, foreign_added)
        # Every bot's resources first, then the states: a state may name another bot's id, whose
        # symbol (``_known_ids``) must be this observation's, whatever the order of the bots.
        for name, tenant in self.tenants.items():
            if name in dirty or name not in view.bots:
                view.bots[name] = self._bot_resources(tenant, list(view.owned[name].values()))
        bots: dict[str, BotWorld] = {}
        for name, tenant in self.tenants.items():
            resources, symbols, resource_ids = view.bots[name]
            bots[name] = BotWorld(
                resources=resources,
                states=self._states(tenant, symbols),
                resource_ids=resource_ids,
            )
        return WorldSnapshot(bots=bots, foreign=view.foreign_tuple)

    def _observe_full(self) -> WorldSnapshot:
        """The world rebuilt from every subscription (what ``observe`` keeps up to date)."""
        app = self.world_spec.app
        owned: dict[str, list[Any]] = {name: [] for name in self.tenants}
        foreign: list[tuple[tuple[str, object], ...]] = []
        for hook in self.fake.webhooks():
            owner = self._owner(hook.address) if hook.app == app else None
            if owner is None:
                foreign.append(
                    (
                        ("app", hook.app),
                        ("shop", hook.shop),
                        ("id", hook.id),
                        *((f, _normalise_value(getattr(hook, f))) for f in _RESOURCE_FIELDS),
                    )
                )
            else:
                owned[owner].append(hook)
        computed = {
            name: self._bot_resources(tenant, owned[name]) for name, tenant in self.tenants.items()
        }  # all resources before any state (see ``observe``)
        bots: dict[str, BotWorld] = {}
        for name, tenant in self.tenants.items():
            resources, symbols, resource_ids = computed[name]
            bots[name] = BotWorld(
                resources=resources,
                states=self._states(tenant, symbols),
                resource_ids=resource_ids,
            )
        foreign.sort(key=repr)
        return WorldSnapshot(bots=bots, foreign=tuple(foreign))

    def _tenants_fingerprint(self) -> tuple[object, ...]:
        return (
            self.world_spec.app,
            *((name, t.webhook_url, t.shop) for name, t in self.tenants.items()),
        )

    def _bot_resources(
        self, tenant: Tenant, hooks: list[Any]
    ) -> tuple[tuple[tuple[tuple[str, object], ...], ...], dict[str, str], frozenset[str]]:
        """A bot's normalised subscriptions, the symbol of each id spelling, and the raw ids.
        Records every symbol in ``_known_ids`` (a deleted id keeps its last symbol)."""
        symbols: dict[str, str] = {}
        resources: list[tuple[tuple[str, object], ...]] = []
        for hook in hooks:
            role = "current" if hook.shop == tenant.shop else "previous"
            resources.append(
                (
                    ("shop", role),
                    *((f, _normalise_value(getattr(hook, f))) for f in _RESOURCE_FIELDS),
                )
            )
        resources.sort(key=repr)
        counts: dict[str, int] = {}
        for hook in sorted(hooks, key=lambda h: (repr(self._content(h)), h.id)):
            base = f"webhook[{hook.topic}]"
            counts[base] = counts.get(base, 0) + 1
            symbol = base if counts[base] == 1 else f"{base}#{counts[base]}"
            for spelling in (str(hook.id), f"gid://shopify/WebhookSubscription/{hook.id}"):
                symbols[spelling] = symbol
                self._known_ids[spelling] = symbol
        return tuple(resources), symbols, frozenset(str(h.id) for h in hooks)

    def _states(self, tenant: Tenant, symbols: dict[str, str]) -> tuple[tuple[str, str], ...]:
        states = []
        for (kind, sid, sname), state in sorted(self.store.states(tenant.bot_id).items()):
            sid_norm = "<integration_id>" if sid == tenant.integration_id else sid
            payload = self._normalise_payload(state.payload, symbols, tenant)
            states.append((f"{kind}/{sid_norm}/{sname}", json.dumps(payload, sort_keys=True)))
        return tuple(states)

    @staticmethod
    def _content(hook: Any) -> tuple[object, ...]:
        return tuple(_normalise_value(getattr(hook, f)) for f in _RESOURCE_FIELDS)

    def _normalise_payload(self, value: object, symbols: dict[str, str], tenant: Tenant) -> object:
        if isinstance(value, dict):
            return {k: self._normalise_payload(v, symbols, tenant) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._normalise_payload(v, symbols, tenant) for v in value]
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | str):
            text = str(value)
            if text in symbols:
                return symbols[text]
            if text in self._known_ids:
                return f"<deleted {self._known_ids[text]}>"
            if isinstance(value, str):
                if value == tenant.token:
                    return "<token:current>"
                if value in tenant.past_tokens:
                    return "<token:stale>"
        return value

    def _owner(self, address: str) -> str | None:
        for name, tenant in self.tenants.items():
            url = tenant.webhook_url
            if address == url or address.startswith((url + "/", url + "?")):
                return name
        return None

    # -- steps -------------------------------------------------------------------------------

    def _tenant(self, bot: str) -> Tenant:
        try:
            return self.tenants[bot]
        except KeyError:
            raise SimulationError(
                f"step names bot {bot!r}; this world has {', '.join(self.tenants)}"
            ) from None

    def _dispatch(self, step: Step) -> list[HookCall]:
        if isinstance(step, Register):
            return self._call([(step.bot, "register")])
        if isinstance(step, Unregister):
            return self._call([(step.bot, "unregister")])
        if isinstance(step, Configure):
            self._configure(step)
            return self._call([(step.bot, "register")])
        if isinstance(step, Crash):
            return self._crash(step)
        if isinstance(step, Concurrently):
            pairs: list[tuple[str, str]] = []
            for sub in step.steps:
                if isinstance(sub, Configure):
                    self._configure(sub)
                pairs.append((sub.bot, "unregister" if isinstance(sub, Unregister) else "register"))
            return self._call(pairs)
        if isinstance(step, Drift):
            self._drift(step)
        elif isinstance(step, LoseState):
            self.store.wipe(self._tenant(step.bot).bot_id)
        elif isinstance(step, ShopifyFault):
            armed = self.fake.faults.arm(step.effect, match=step.match, schedule=step.schedule)
            self._armed_at[armed.id] = len(self.history.records)
        elif isinstance(step, PlatformFault):
            parmed = self.store.faults.arm(step.status, method=step.method, schedule=step.schedule)
            self._armed_at[parmed.id] = len(self.history.records)
        elif isinstance(step, Advance):
            try:
                self.vtime.advance(step.seconds)
            except ClockRangeError as exc:
                raise SimulationError(f"step {describe_step(step)}: {exc}") from None
        else:  # pragma: no cover - the Step union is closed
            raise SimulationError(f"unknown step {step!r}")
        return []

    def _configure(self, step: Configure) -> None:
        tenant = self._tenant(step.bot)
        spec = self.world_spec
        if step.change == "move_shop":
            self._moved += 1
            handle = f"{tenant.shop}-moved{self._moved}"
            self.fake.add_shop(handle)
            token = derived_token(handle, spec.app)
            self.fake.install(handle, spec.app, token=token)
            tenant.past_shops.append(tenant.shop)
            tenant.past_tokens.append(tenant.token)
            tenant.shop, tenant.token = handle, token
            tenant.configuration = substitute(
                spec.template,
                shop_key=spec.shop_key,
                token_key=spec.token_key,
                shop=handle,
                token=token,
            )
            return
        # rotate_token: one installation per shop and app, so every bot on it gets the new token.
        old = tenant.token
        generation = len(tenant.past_tokens) + 1
        new = self.fake.backend.rotate_token(
            tenant.shop, spec.app, token=derived_token(tenant.shop, spec.app, generation)
        )
        for other in self.tenants.values():
            if other.shop == tenant.shop and other.token == old:
                other.past_tokens.append(old)
                other.token = new
                other.configuration = {**other.configuration, spec.token_key: new}
                # A new token ends a revocation (not a removed scope).
                self._impaired.get(other.name, {}).pop("revoke_token", None)

    def subscriptions_of(self, bot: str) -> list[Any]:
        """The bot's subscriptions on Shopify now (any shop), by id: what a drift picks from."""
        tenant = self._tenant(bot)
        app = self.world_spec.app
        return [h for h in self.fake.webhooks(app=app) if self._owner(h.address) == tenant.name]

    def _drift(self, step: Drift) -> None:
        tenant = self._tenant(step.bot)
        spec = self.world_spec
        if step.change in ("revoke_token", "remove_scope"):
            self._impair(tenant, step.change)
            return
        if step.change == "foreign_subscription":
            self._foreign_counter += 1
            scoped_out = "remove_scope" in self._impaired.get(tenant.name, {})
            self.fake.add_webhook(
                tenant.shop,
                spec.app,
                # Without the orders scopes the app can only subscribe to other topics.
                topic="customers/create" if scoped_out else FOREIGN_SUBSCRIPTION_TOPIC,
                address=f"https://webhook.botpress.cloud/other-bot-{self._foreign_counter}",
            )
            return
        # remove_subscription / delivery_failures: Shopify removes one of the bot's subscriptions.
        mine = self.subscriptions_of(step.bot)
        if mine:
            victim = mine[step.index % len(mine)]
            if step.change == "delivery_failures":
                # The bot's endpoint fails events of that topic until Shopify gives up on it.
                fail_until_removed(self.fake, self.capture, victim)
            else:
                self.fake.remove_webhook(victim.shop, victim.id)

    def _impair(self, tenant: Tenant, change: str) -> None:
        """A persistent fault on the bot's installation (shared by every bot on its shop)."""
        inst = self.fake.backend.installations.get((tenant.shop, self.world_spec.app))
        if inst is None:  # pragma: no cover - provisioning installs the app on every shop
            raise SimulationError(f"{tenant.name}'s shop {tenant.shop} has no installation")
        if change == "revoke_token":
            if inst.access_token in inst.revoked_tokens:
                return  # already revoked
            self.fake.backend.revoke_token(inst.access_token)
            condition = "its access token was revoked"
        else:
            inst.scopes = inst.scopes - REMOVED_SCOPES
            condition = "the orders scopes were removed"
        for other in self.tenants.values():
            if other.shop == tenant.shop:
                self._impaired.setdefault(other.name, {})[change] = condition

    def _crash(self, step: Crash) -> list[HookCall]:
        """Call the hook with a crash point armed (see ``harness.steps.Crash``)."""
        tenant = self._tenant(step.bot)
        label = f"{step.operation} of {tenant.name}"
        plan = _CrashPlan(step, tenant.bot_id)
        armed = None
        if step.call == "request" and step.when == "before":

            def abort(request: httpx.Request) -> BaseException:
                plan.reached = True
                return HookCrash(f"the platform aborted {label} {step.point()}")

            armed = self.fake.faults.arm(
                Raise(abort), match=Match(shop=tenant.shop), schedule=Nth(step.at)
            )
        self._crash_plan = plan
        if step.call != "request":
            self.store.observer = plan.observe_platform
        try:
            calls = self._call(
                [(step.bot, step.operation)], crash_fault=None if armed is None else armed.id
            )
        finally:
            self._crash_plan = None
            self.store.observer = None
            if armed is not None:
                self.fake.faults.disarm(armed)
        if not plan.reached and calls:
            call = calls[0]
            if step.call == "request":
                made = _plural(len(call.exchanges), "request")
            else:
                what = "platform API call" if step.call == "platform" else f"{step.call} call"
                made = _plural(plan.platform_seen, what)
            call.unreached = (
                f"crash point {step.at} ({step.point()}) never reached: the hook made {made}"
            )
        return calls

    # -- hook calls --------------------------------------------------------------------------

    def _call(
        self, pairs: Sequence[tuple[str, str]], *, crash_fault: str | None = None
    ) -> list[HookCall]:
        tenants = [self._tenant(bot) for bot, _ in pairs]
        calls_made: list[tuple[Tenant, str, rt.Context]] = []
        labels: list[str] = []
        recorders: list[_Recorder] = []
        self._recorders = {}
        for tenant, (bot, op) in zip(tenants, pairs, strict=True):
            ctx = rt.Context(
                bot_id=tenant.bot_id,
                integration_id=tenant.integration_id,
                webhook_id=tenant.webhook_id,
                configuration=dict(tenant.configuration),
                operation=op,
                bot_user_id=tenant.bot_user_id,
                integration_alias=tenant.integration_alias,
            )
            # The runtime labels each call's virtual deadline "<op> of <integration> for <bot
            # id>" in the call's own context; requests are attributed to calls through it.
            label = f"{op} of {self.simulator.integration.name} for {tenant.bot_id}"
            recorder = self._recorders.setdefault(label, _Recorder(bot))
            recorders.append(recorder)
            labels.append(label)
            calls_made.append((tenant, op, ctx))
        pfired = len(self.store.faults.fired)
        target = self.simulator.integration
        pcalls = len(self.store.calls)
        with self.simulator.routing(self):
            if isinstance(target, NodeIntegration):
                # A TypeScript integration: the same calls over the runtime protocol; its
                # exchanges reach self.serve through the served fake, attributed by label.
                outcomes = target.call_hooks(
                    [
                        NodeCall(op, ctx, tenant.webhook_url, label)
                        for (tenant, op, ctx), label in zip(calls_made, labels, strict=True)
                    ],
                    sink=self.sink,
                    vtime=self.vtime,
                    budget_seconds=self.options.hook_budget_seconds,
                    wall_timeout=self.options.hook_wall_seconds,
                )
            else:
                invocations = [
                    HookInvocation(target, op, ctx, tenant.webhook_url)
                    for tenant, op, ctx in calls_made
                ]
                outcomes = call_hooks_concurrently(
                    invocations,
                    store=self.store,
                    sink=self.sink,
                    vtime=self.vtime,
                    budget_seconds=self.options.hook_budget_seconds,
                    wall_timeout=self.options.hook_wall_seconds,
                )
        self._recorders = {}
        pfaults = self.store.faults.fired[pfired:]
        platform_calls = self.store.calls[pcalls:]
        calls = []
        seen: set[int] = set()
        for tenant, (bot, op), recorder, outcome in zip(
            tenants, pairs, recorders, outcomes, strict=True
        ):
            # Overlapping calls of one bot share a recorder; report its exchanges once.
            exchanges = [] if id(recorder) in seen else recorder.exchanges
            fault_ids = [] if id(recorder) in seen else recorder.fault_ids
            seen.add(id(recorder))
            library_floor = level_rank(self.simulator.options.library_log_level)
            logs = [
                LogLine(
                    level=r.level,
                    message=r.message,
                    scope="bot" if r.scope.visible_to_bot_owner else "integration",
                    exc_text=r.exc_text,
                    source=_log_source(r.source),
                    logger=r.logger_name,
                )
                for r in outcome.logs
                # A library's records below the level the platform emits them at never reach
                # anyone (Options.library_log_level).
                if not r.library or level_rank(r.level) >= library_floor
            ]
            mine = [f for f in pfaults if f.bot_id == tenant.bot_id]
            conditions = tuple(self._impaired.get(bot, {}).values())
            shop_faults = [f for f in fault_ids if f != crash_fault]
            calls.append(
                HookCall(
                    bot=bot,
                    operation=op,
                    configuration=dict(tenant.configuration),
                    outcome=_outcome(outcome),
                    logs=logs,
                    exchanges=exchanges,
                    faults_fired=shop_faults,
                    platform_faults_fired=len(mine),
                    faulted=bool(shop_faults)
                    or bool(mine)
                    or any(e.limit for e in exchanges)
                    or bool(conditions),
                    conditions=conditions,
                    platform_calls=[
                        _platform_line(c) for c in platform_calls if c.bot_id == tenant.bot_id
                    ],
                    shop=tenant.shop,
                    token=tenant.token,
                )
            )
        return calls

    # -- HTTP --------------------------------------------------------------------------------

    def serve(self, request: httpx.Request) -> httpx.Response:
        """Route one intercepted request into this lifecycle's fake, recording it."""
        turn_point()  # overlapping plain hooks take turns here (harness.runtime.turns)
        recorder = self._recorder()
        with self._lock:
            mark = self.fake.journal.mark()
            try:
                response = self.fake.handle(request)
            except BaseException as exc:
                entries = self.fake.journal.since(mark)
                self._record(recorder, request, None, exc, entries)
                raise
            entries = self.fake.journal.since(mark)
        self._record(recorder, request, response, None, entries)
        plan = self._crash_plan
        if plan is not None and plan.after_request(request):
            raise HookCrash(
                f"the platform aborted {plan.step.operation} of {plan.step.bot} {plan.step.point()}"
            )
        return response

    def refuse(self, request: httpx.Request) -> httpx.Response:
        """A request to a host no fake serves: recorded, refused, never sent."""
        error = UnservedRequestError(
            f"lifecycle-harness: {request.method} {request.url} goes to {request.url.host}, "
            "which no fake serves; the request was not sent (the harness never uses the network)",
            request=request,
        )
        recorder = self._recorder()
        exchange = HttpExchange(
            method=request.method,
            url=str(request.url),
            host=request.url.host,
            request_headers=_headers(request),
            request_body=_body(request),
            error=f"{type(error).__name__}: {error}",
            served=False,
        )
        if recorder is not None:
            recorder.exchanges.append(exchange)
        raise error

    def refuse_socket(self, attempt: SocketAttempt) -> None:
        """A connection that bypassed httpx: recorded as a refused request (never sent)."""
        recorder = self._recorder()
        if recorder is None:
            return
        port = f":{attempt.port}" if attempt.port is not None else ""
        recorder.exchanges.append(
            HttpExchange(
                method=attempt.method or "CONNECT",
                url=attempt.url or f"{attempt.host}{port}",
                host=attempt.host,
                error=f"NetworkBlockedError: no fake serves {attempt.host}{port} "
                f"(socket {attempt.via}); the request was not sent",
                served=False,
            )
        )

    def _recorder(self) -> _Recorder | None:
        deadline = current_deadline.get()
        if deadline is None:
            return None
        return self._recorders.get(deadline.label)

    def _record(
        self,
        recorder: _Recorder | None,
        request: httpx.Request,
        response: httpx.Response | None,
        error: BaseException | None,
        entries: Sequence[Any],
    ) -> None:
        if recorder is None:
            return
        entry = entries[-1] if entries else None
        fault_id = getattr(entry, "fault_id", None)
        if fault_id is None and error is not None:
            fired = self.fake.faults.fired
            fault_id = fired[-1].fault_id if fired else None
        if fault_id is not None and not self._fault_is_latency(fault_id):
            recorder.fault_ids.append(fault_id)
        body = ""
        if response is not None:
            try:
                body = bounded_text(response.text, BODY_LIMIT)
            except httpx.ResponseNotRead:
                body = ""
        limit = None
        if fault_id is None and response is not None:
            limit = _limit_answer(response.status_code, body)
        recorder.exchanges.append(
            HttpExchange(
                method=request.method,
                url=str(request.url),
                host=request.url.host,
                request_headers=_headers(request),
                request_body=_body(request),
                status=response.status_code if response is not None else None,
                response_body=body,
                error=None if error is None else f"{type(error).__name__}: {error}",
                fault_id=fault_id,
                action=getattr(entry, "action", None),
                shop=_shop_of(request.url.host),
                limit=limit,
            )
        )

    def _fault_is_latency(self, fault_id: str) -> bool:
        # A short latency delays a request that then succeeds: no fault reaches the
        # integration. A long one (LONG_LATENCY) is a fault.
        for fired in reversed(self.fake.faults.fired):
            if fired.fault_id == fault_id:
                effect = fired.effect
                return isinstance(effect, Latency) and effect.seconds < LONG_LATENCY
        return False

    # -- bookkeeping -------------------------------------------------------------------------

    def _faults_reached(self, fired_before: int, pfired_before: int) -> bool:
        return len(self.store.faults.fired) > pfired_before or any(
            not self._fault_is_latency(f.fault_id) for f in self.fake.faults.fired[fired_before:]
        )

    def _learn_secrets(self) -> None:
        seen = set(self.history.secrets)
        for tenant in self.tenants.values():
            found = secret_values(tenant.configuration, token_key=self.world_spec.token_key)
            for pair in found.items():
                if pair not in seen:
                    seen.add(pair)
                    self.history.secrets.append(pair)
            for old in tenant.past_tokens:
                pair = (self.world_spec.token_key, old)
                if pair not in seen:
                    seen.add(pair)
                    self.history.secrets.append(pair)

    @staticmethod
    def _info(tenant: Tenant) -> TenantInfo:
        return TenantInfo(
            name=tenant.name,
            webhook_url=tenant.webhook_url,
            shops=tuple(tenant.shops),
            tokens=tuple(tenant.tokens),
        )


def _asyncio_library() -> str:
    return "asyncio"


def _sync_entry(sim: Simulator) -> Any:
    def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        return sim.dispatch(request)

    return handle_request


class _Dispatcher:
    """What the served fake calls per request: the simulator's own dispatch."""

    def __init__(self, sim: Simulator) -> None:
        self.handle = sim.dispatch

    def __repr__(self) -> str:
        return "<the simulator's current lifecycle>"


def _async_entry(sim: Simulator) -> Any:
    async def handle_async_request(
        transport: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        # The body of a streaming request must be read before the fake can parse it.
        await request.aread()
        # A request over a real network suspends the caller at least once; without this
        # yield, overlapping async hooks never interleave at their HTTP awaits and a shared
        # mutable client (one bot's token sent to another bot's shop) goes unseen.
        await _suspend()
        return sim.dispatch(request)

    return handle_async_request


def _outcome(outcome: HookOutcome) -> CallOutcome:
    exc = outcome.exception
    return CallOutcome(
        status=outcome.status,
        status_reason=outcome.status_reason,
        exception=None if exc is None else f"{type(exc).__name__}: {exc}",
        exc_text=outcome.exc_text,
        crashed=outcome.crashed,
        timed_out=outcome.timed_out,
        hung=outcome.hung,
    )


@dataclass
class RunResult:
    """A finished lifecycle: what happened and what it violated."""

    history: History
    violations: list[Violation]

    @property
    def ok(self) -> bool:
        return not self.violations


class Simulator:
    """Runs lifecycles of one integration. Use as a context manager to share the start-up
    (virtual time, interception) across many runs; ``run`` works without it too."""

    def __init__(
        self,
        integration: Integration | NodeIntegration,
        *,
        world: WorldSpec | None = None,
        options: Options | None = None,
    ) -> None:
        self.integration = integration
        self.world = world if world is not None else default_world()
        self.options = options if options is not None else Options()
        self.vtime = VirtualTime()
        self.coverage = Coverage()  # what every register this simulator ran did at all
        self._stack: ExitStack | None = None
        self._session: Session | None = None
        self._references: dict[tuple[object, ...], BotWorld] = {}
        self._ca: TestCA | None = None

    # -- lifetime ----------------------------------------------------------------------------

    def start(self) -> Simulator:
        if self._stack is not None:
            return self
        stack = ExitStack()
        try:
            self._ca = shared_ca()  # made before freezegun freezes time (it cannot sign then)
            stack.enter_context(self.vtime)
            # Every httpx transport answers from the current lifecycle: a patch of the two
            # transport entry points, cheaper than respx's route matching and call recording
            # (which would also grow without bound over an exploration).
            stack.enter_context(
                mock.patch.object(httpx.HTTPTransport, "handle_request", _sync_entry(self))
            )
            stack.enter_context(
                mock.patch.object(
                    httpx.AsyncHTTPTransport, "handle_async_request", _async_entry(self)
                )
            )
            # Proxies never matter in-process; httpx would read them from the environment for
            # every client an integration builds.
            stack.enter_context(mock.patch("httpx._client.get_environment_proxies", dict))
            if importlib.util.find_spec("sniffio") is None:
                # httpcore retries `import sniffio` (a full sys.path search) for every async
                # client; without sniffio its answer is always "asyncio" anyway.
                stack.enter_context(
                    mock.patch("httpcore._synchronization.current_async_library", _asyncio_library)
                )
            # Once for the whole exploration rather than per hook call (the runtime's own use
            # nests inside and does nothing).
            stack.enter_context(cached_ssl_contexts())
            # httpx's URL parsing, cookie jar and charset lookup, memoised or skipped where the
            # answer cannot differ (harness.runtime.httpxfast).
            stack.enter_context(fast_httpx())
            # Other HTTP stacks (requests, urllib3, urllib, http.client, aiohttp, ShopifyAPI)
            # reach the same dispatch through the served fake at socket level; any other
            # non-loopback connection is refused and recorded.
            stack.enter_context(blocked_network(self._refuse_socket, serve=self._served_shopify))
            if isinstance(self.integration, NodeIntegration):
                # A TypeScript integration: served fakes and one Node process for the
                # simulator's life.
                stack.enter_context(self.integration.serving(self))
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        return self

    def close(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def running(self) -> Iterator[Simulator]:
        """Started for the duration of the block (a no-op if already started)."""
        if self._stack is not None:
            yield self
            return
        self.start()
        try:
            yield self
        finally:
            self.close()

    def current_session(self) -> Session | None:
        """The lifecycle whose hook calls are running (served fakes route into it)."""
        return self._session

    @contextmanager
    def routing(self, session: Session) -> Iterator[None]:
        previous, self._session = self._session, session
        try:
            yield
        finally:
            self._session = previous

    def dispatch(self, request: httpx.Request) -> httpx.Response:
        """Answer one intercepted request: a shop's fake, or a loud refusal."""
        host = request.url.host
        if _SHOPIFY.match(host):
            return self._serve(request)
        return self._refuse(request)

    def _serve(self, request: httpx.Request) -> httpx.Response:
        session = self._session
        if session is None:
            raise UnservedRequestError(
                f"lifecycle-harness: {request.method} {request.url} outside a hook call",
                request=request,
            )
        return session.serve(request)

    def _refuse(self, request: httpx.Request) -> httpx.Response:
        session = self._session
        if session is None:
            raise UnservedRequestError(
                f"lifecycle-harness: {request.method} {request.url}: no fake serves "
                f"{request.url.host}; the request was not sent",
                request=request,
            )
        return session.refuse(request)

    def _served_shopify(self) -> ServedShopify:
        # One served fake per run, answering from the current lifecycle like httpx's path;
        # Latency moves the virtual clock only, as in-process.
        return ServedShopify(_Dispatcher(self), latency_scale=0, ca=self._ca)

    def _refuse_socket(self, attempt: SocketAttempt) -> None:
        session = self._session
        if session is not None:
            session.refuse_socket(attempt)

    # -- lifecycles --------------------------------------------------------------------------

    def session(self, world: WorldSpec | None = None) -> Session:
        """A fresh lifecycle (the simulator must be started)."""
        if self._stack is None:
            raise SimulationError("Simulator.session() needs a started simulator (use `with`)")
        return Session(self, world if world is not None else self.world)

    def run(self, steps: Sequence[Step], *, world: WorldSpec | None = None) -> RunResult:
        """Execute ``steps`` on a fresh world, checking every property after each step."""
        with self.running():
            session = self.session(world)
            violations: list[Violation] = []
            for step in steps:
                # Each violation says which world its steps start from (so it can be recorded).
                spec = session.world_spec
                violations.extend(v.with_world(spec) for v in session.step(step))
            return RunResult(history=session.history, violations=violations)

    def reference(self, world: WorldSpec) -> dict[str, BotWorld]:
        """Per bot, the world one fault-free ``register`` reaches on an empty shop (cached)."""
        refs: dict[str, BotWorld] = {}
        for bot in world.bots:
            # A nested configuration holds dicts and lists: key on its canonical JSON text.
            configuration = json.dumps(dict(world.configuration), sort_keys=True, default=str)
            key = (configuration, world.shop_key, world.token_key, world.app, bot)
            if key not in self._references:
                self._references[key] = self._compute_reference(world, bot)
            refs[bot.name] = self._references[key]
        return refs

    def _compute_reference(self, world: WorldSpec, bot: BotSpec) -> BotWorld:
        alone = dataclasses.replace(world, shops=(ShopSpec(bot.shop),), bots=(bot,))
        session = Session(self, alone, with_reference=False)
        session.execute(Register(bot.name))
        return session.history.records[-1].world.bot(bot.name)


def _log_source(source: str) -> Literal["platform", "stdlib", "console"]:
    if source == "stdlib":
        return "stdlib"
    if source == "console":
        return "console"
    return "platform"
