"""The properties (README, "The hook contract"), one function each.

Every property is a function ``check(history, options) -> list[Violation]`` that judges the
*last* step record in the light of the ones before it. The Hypothesis machine calls them as
invariants after every step, crash enumeration after every replayed step, scenario replay the
same way: ``PROPERTIES`` maps each stable id to its function.

``exactly_once`` judges what the simulator observed right after the step: real, signed
deliveries of one event per topic, captured per bot (``harness.runtime.events``, issue 6).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from harness.common.redaction import Redactor
from harness.history import (
    BotWorld,
    History,
    HookCall,
    Json,
    LogLine,
    StepRecord,
    level_rank,
    previous_records,
)
from harness.options import Options
from harness.runtime.events import exactly_once_findings
from harness.steps import (
    Advance,
    Configure,
    Crash,
    PlatformFault,
    Register,
    ShopifyFault,
    Step,
    Unregister,
)
from harness.world import WorldSpec

FIX_HINTS: dict[str, str] = {
    "idempotent": "look up what exists (list by address, or verify stored ids) before creating, "
    "and keep stored ids when nothing changed",
    "convergent": "reconcile on every register: verify stored ids against Shopify, re-create "
    "what is missing, adopt or delete what a failed call left behind",
    "clean": "delete every subscription at this bot's webhook_url (list by address, all pages) "
    "and clear the platform state you created; never delete what another bot owns",
    "reported": "do not swallow errors: log them at warning/error level or raise a RuntimeError "
    "when register/unregister could not finish",
    "tolerant_unregister": "treat 'nothing to delete' (missing state, 404) as success in "
    "unregister and log it below error level",
    "no_secret_leak": "log err.message or the response status/body, never the request or the "
    "whole error object; send the token only in the X-Shopify-Access-Token header",
    "tenant_isolation": "build the HTTP client per call from ctx.configuration (or one per "
    "shop/token); never mutate a client shared between bots",
    "exactly_once": "subscribe each topic once per webhook_url and remove every subscription "
    "in unregister",
    "subscribed": "subscribe every topic the bot needs, at exactly the webhook_url the hook "
    "receives, and re-create a subscription that is missing on every register",
}
"""One line per property on what a fix looks like."""

MAX_EVIDENCE_BODY = 300
MAX_EVIDENCE_EXCHANGES = 8


@dataclass(frozen=True)
class Evidence:
    """The HTTP exchanges and log records of the failing step, secrets redacted."""

    exchanges: tuple[str, ...] = ()
    logs: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    platform: tuple[str, ...] = ()  # platform API calls (state reads and writes) and faults


@dataclass(frozen=True)
class Violation:
    """A property that does not hold after step ``step_index`` of ``steps``."""

    property: str
    message: str
    step_index: int
    steps: tuple[Step, ...]
    fix_hint: str
    bot: str | None = None
    evidence: Evidence = field(default_factory=Evidence)
    world: WorldSpec | None = None  # the initial world the steps start from
    kind: str = ""  # which way the property failed, for de-duplication ("leftover", ...)
    # What is wrong, independent of the property that noticed it (a world difference, an
    # exception, a request): findings with the same failing step and cause share a root cause
    # (harness.findings).
    cause: str = ""

    def key(self) -> tuple[str, str]:
        """Identity of the bug for de-duplication: the property and the way it failed."""
        return (self.property, self.kind or _shape(self.message))

    def with_steps(self, steps: tuple[Step, ...]) -> Violation:
        return replace(self, steps=steps, step_index=len(steps) - 1)

    def with_world(self, world: WorldSpec) -> Violation:
        return replace(self, world=world)


MAX_LISTED = 3


def summarise(items: Iterable[str], *, limit: int = MAX_LISTED, sep: str = ", ") -> str:
    """``a, b, c`` or, for a long list, ``7 in all: a, b, c, ...`` (the first ``limit``)."""
    listed = list(items)
    if len(listed) <= limit:
        return sep.join(listed)
    return f"{len(listed)} in all: " + sep.join(listed[:limit]) + sep + "..."


def _shape(message: str) -> str:
    return "".join("#" if ch.isdigit() else ch for ch in message)[:120]


Check = Callable[[History, Options], list[Violation]]


# --- helpers -------------------------------------------------------------------------------


def redactor_for(history: History) -> Redactor:
    """The history's redactor, rebuilt only when a secret was learnt (token rotation)."""
    cached = history.cache.get("redactor")
    if isinstance(cached, Redactor) and history.cache.get("redactor_for") == len(history.secrets):
        return cached
    redactor = Redactor.shared(history.secrets)
    history.cache["redactor"] = redactor
    history.cache["redactor_for"] = len(history.secrets)
    return redactor


def _evidence(record: StepRecord, redactor: Redactor, bot: str | None = None) -> Evidence:
    calls = [c for c in record.calls if bot is None or c.bot == bot] or record.calls
    exchanges: list[str] = []
    logs: list[str] = []
    outcomes: list[str] = []
    platform: list[str] = []
    for call in calls:
        prefix = f"{call.bot} {call.operation}: " if len(record.calls) > 1 else ""
        platform += [redactor.redact(f"{prefix}state API: {line}") for line in call.platform_calls]
        platform += [f"{prefix}persistent fault: {text}" for text in call.conditions]
        shown = list(call.exchanges)
        skipped = 0
        if len(shown) > MAX_EVIDENCE_EXCHANGES:
            # A retry loop makes dozens: the first few and the last tell the story.
            skipped = len(shown) - MAX_EVIDENCE_EXCHANGES
            shown = shown[: MAX_EVIDENCE_EXCHANGES - 1] + shown[-1:]
        for n, ex in enumerate(shown):
            if skipped and n == len(shown) - 1:
                exchanges.append(
                    f"{prefix}... {skipped} more request(s) ({len(call.exchanges)} in all) ..."
                )
            line = prefix + ex.line
            if ex.fault_note:
                line += f"  [{ex.fault_note}]"
            if ex.status is not None and ex.status >= 400 and ex.response_body:
                line += f"  {ex.response_body[:MAX_EVIDENCE_BODY]}"
            exchanges.append(redactor.redact(line))
        for log in call.logs:
            if _transport_chatter(log) and not redactor.find(log.text):
                continue
            text = f"{prefix}[{log.level}] {log.message}"
            if log.exc_text:
                text += "\n" + log.exc_text.rstrip()
            logs.append(redactor.redact(text))
        summary = f"{prefix or f'{call.bot} {call.operation}: '}status {call.outcome.status}"
        if call.outcome.exception:
            summary += f", raised {call.outcome.exception}"
        elif not call.outcome.crashed and not call.outcome.timed_out:
            summary += ", returned"
        if call.outcome.crashed:
            summary += " (aborted by the harness)"
        if call.outcome.timed_out:
            summary += " (stopped: ran too long)"
        outcomes.append(redactor.redact(summary))
    return Evidence(
        exchanges=tuple(exchanges),
        logs=tuple(logs),
        outcomes=tuple(outcomes),
        platform=tuple(platform),
    )


def _transport_chatter(log: LogLine) -> bool:
    """httpx's own "HTTP Request: ..." lines repeat the exchanges; reports leave them out."""
    return log.source == "stdlib" and (log.logger or "").split(".")[0] in ("httpx", "httpcore")


def _violation(
    history: History,
    prop: str,
    message: str,
    *,
    bot: str | None = None,
    kind: str = "",
    cause: str = "",
) -> Violation:
    record = history.records[-1]
    redactor = redactor_for(history)
    return Violation(
        property=prop,
        message=redactor.redact(message),
        step_index=record.index,
        steps=history.steps,
        fix_hint=FIX_HINTS[prop],
        bot=bot,
        evidence=_evidence(record, redactor, bot),
        kind=kind,
        cause=redactor.redact(cause or message),
    )


def _hook_bot(step: Step) -> str | None:
    if isinstance(step, Register | Unregister | Configure | Crash):
        return step.bot
    return None


_ARMING = (Advance, ShopifyFault, PlatformFault)
"""Steps that change nothing in the world by themselves (they only arm or move the clock)."""


def _previous_hook_record(history: History, bot: str) -> StepRecord | None:
    """The closest earlier record that called a hook of ``bot``, if only arming steps lie between."""
    for record in previous_records(history):
        if isinstance(record.step, _ARMING):
            continue
        if _hook_bot(record.step) == bot:
            return record
        return None
    return None


def _single_call(record: StepRecord) -> HookCall | None:
    return record.calls[0] if len(record.calls) == 1 else None


def _error_logs(call: HookCall) -> list[str]:
    return [line.message for line in call.logs if line.rank >= level_rank("error")]


Resource = tuple[tuple[str, Json], ...]


def _missing_and_extra(
    actual: BotWorld, expected: BotWorld
) -> tuple[list[Resource], list[Resource]]:
    """The expected subscriptions ``actual`` lacks, and those it has beyond them (as a
    multiset: a duplicate of an expected one is extra)."""
    missing = [r for r in expected.resources if r not in actual.resources]
    extra = list(actual.resources)
    for r in expected.resources:
        if r in extra:
            extra.remove(r)
    return missing, extra


def _world_diff(actual: BotWorld, expected: BotWorld) -> str:
    missing, extra = _missing_and_extra(actual, expected)
    parts = []
    if missing:
        parts.append(f"missing subscriptions: {_fmt_resources(missing)}")
    if extra:
        parts.append(f"extra subscriptions: {_fmt_resources(extra)}")
    if actual.states != expected.states:
        parts.append(f"platform states {dict(actual.states)} instead of {dict(expected.states)}")
    return "; ".join(parts) or "worlds differ"


def _ended(record: StepRecord, bot: str) -> str:
    """How the bot's call of the step ended: ``it returned`` or ``it raised X``."""
    calls = record.calls_of(bot)
    if not calls:
        return "no call"
    outcome = calls[-1].outcome
    if outcome.exception:
        return f"it raised {outcome.exception}"
    if outcome.crashed:
        return "it was aborted"
    if outcome.timed_out:
        return "it was stopped"
    return "it returned"


def _leftover(world: BotWorld, options: Options) -> str:
    """What an unregister left behind, or ``""``."""
    states = [key for key, _ in world.states if not _allowlisted(key, options)]
    left = []
    if world.resources:
        left.append(f"subscriptions {_fmt_resources(world.resources)}")
    if states:
        left.append(f"platform states {summarise(states)}")
    return " and ".join(left)


def _cause(actual: BotWorld, expected: BotWorld) -> str:
    """The root cause of a world difference: what is missing or extra, and the states as they
    are (not as they should be: two properties comparing against different worlds then agree)."""
    missing, extra = _missing_and_extra(actual, expected)
    parts = []
    if missing:
        parts.append(f"missing {_fmt_resources(missing)}")
    if extra:
        parts.append(f"extra {_fmt_resources(extra)}")
    if actual.states != expected.states:
        parts.append(f"states {dict(actual.states)}")
    return "; ".join(parts)


def _fmt_resources(resources: Iterable[tuple[tuple[str, object], ...]]) -> str:
    out = []
    for r in resources:
        d = dict(r)
        out.append(f"{d.get('topic', '?')} -> {d.get('address', '?')} ({d.get('shop', '?')} shop)")
    return summarise(out)


def _registered_ok(call: HookCall) -> str | None:
    """Why a call that should have succeeded did not, or None."""
    if call.outcome.exception:
        return f"it raised {call.outcome.exception}"
    if not call.outcome.ok:
        reason = f": {call.outcome.status_reason}" if call.outcome.status_reason else ""
        return f"it ended {call.outcome.status}{reason}"
    errors = _error_logs(call)
    if errors:
        return f"it logged at error level: {errors[0]!r}"
    return None


def _allowlisted(key: str, options: Options) -> bool:
    kind, _, rest = key.partition("/")
    name = rest.rpartition("/")[2]
    return any(
        fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(f"{kind}/{name}", pattern)
        for pattern in options.clean_allowlist
    )


# --- the properties ------------------------------------------------------------------------


def idempotent(history: History, options: Options) -> list[Violation]:
    """A fault-free ``register`` right after a successful fault-free one changes nothing."""
    record = history.last
    if record is None or not isinstance(record.step, Register) or record.faulted:
        return []
    bot = record.step.bot
    call = _single_call(record)
    prev = _previous_hook_record(history, bot)
    if call is None or prev is None or prev.faulted:
        return []
    if not isinstance(prev.step, Register | Configure):
        return []
    prev_call = _single_call(prev)
    if prev_call is None or _registered_ok(prev_call) is not None:
        return []
    found: list[Violation] = []
    why = _registered_ok(call)
    if why:
        found.append(
            _violation(
                history,
                "idempotent",
                f"a second fault-free register of {bot} did not succeed: {why}",
                bot=bot,
                kind="second-register-failed",
                cause=why,
            )
        )
    before, after = prev.world.bot(bot), record.world.bot(bot)
    if not after.same_as(before):
        found.append(
            _violation(
                history,
                "idempotent",
                f"a second fault-free register of {bot} changed the world: "
                f"{_world_diff(after, before)}",
                bot=bot,
                kind="world-changed",
                cause=_cause(after, before),
            )
        )
    if options.idempotent_level == "requests":
        mutating = [ex for ex in call.exchanges if ex.mutating]
        if mutating:
            found.append(
                _violation(
                    history,
                    "idempotent",
                    f"a second fault-free register of {bot} sent {len(mutating)} mutating "
                    f"request(s) (strict level 'requests'): {mutating[0].line}",
                    bot=bot,
                    kind="mutating-request",
                )
            )
    return found


def convergent(history: History, options: Options) -> list[Violation]:
    """After any history, one fault-free ``register`` reaches the reference world."""
    record = history.last
    if record is None or record.faulted or not isinstance(record.step, Register | Configure):
        return []
    bot = record.step.bot
    call = _single_call(record)
    expected = history.reference.get(bot)
    if call is None or expected is None:
        return []
    # Right after a successful fault-free register this is ``idempotent``'s case: one report.
    prev = _previous_hook_record(history, bot)
    if (
        isinstance(record.step, Register)
        and prev is not None
        and isinstance(prev.step, Register | Configure)
        and not prev.faulted
        and (pc := _single_call(prev)) is not None
        and _registered_ok(pc) is None
    ):
        return []
    what = "register" if isinstance(record.step, Register) else "register after a configure"
    why = _registered_ok(call)
    if why:
        return [
            _violation(
                history,
                "convergent",
                f"a fault-free {what} of {bot} did not succeed: {why}",
                bot=bot,
                kind=f"{what}-failed",
                cause=why,
            )
        ]
    actual = record.world.bot(bot)
    if not actual.same_as(expected):
        return [
            _violation(
                history,
                "convergent",
                f"a fault-free {what} of {bot} did not reach the world a first register "
                f"reaches: {_world_diff(actual, expected)}",
                bot=bot,
                kind=f"{what}-diverged",
                cause=_cause(actual, expected),
            )
        ]
    return []


def clean(history: History, options: Options) -> list[Violation]:
    """A fault-free ``unregister`` leaves nothing behind; no hook touches foreign resources."""
    record = history.last
    if record is None:
        return []
    found: list[Violation] = []
    # ``is not`` first: an unchanged foreign part is the same tuple (observation reuses it), so a
    # crowd of other apps' subscriptions costs nothing here.
    if (
        record.calls
        and record.world.foreign is not record.before.foreign
        and record.world.foreign != record.before.foreign
    ):
        removed = [r for r in record.before.foreign if r not in record.world.foreign]
        added = [r for r in record.world.foreign if r not in record.before.foreign]
        detail = []
        if removed:
            detail.append(f"removed {_fmt_resources(removed)}")
        if added:
            detail.append(f"added {_fmt_resources(added)}")
        found.append(
            _violation(
                history,
                "clean",
                "a hook call touched subscriptions it did not create (another bot's or "
                f"another address'): {'; '.join(detail) or 'changed'}",
                kind="foreign-touched",
            )
        )
    actor = _hook_bot(record.step)
    if actor is not None:
        # One bot's hook ran: every other bot under test keeps exactly what it had.
        for other in record.world.bots:
            if other == actor:
                continue
            was, now = record.before.bot(other), record.world.bot(other)
            if was.resources != now.resources:
                found.append(
                    _violation(
                        history,
                        "clean",
                        f"{record.step.__class__.__name__.lower()} of {actor} changed "
                        f"{other}'s subscriptions: {_world_diff(now, was)}",
                        bot=actor,
                        kind="other-bot-touched",
                    )
                )
    if isinstance(record.step, Unregister) and not record.faulted:
        bot = record.step.bot
        left = _leftover(record.world.bot(bot), options)
        if left:
            found.append(
                _violation(
                    history,
                    "clean",
                    f"after a fault-free unregister of {bot} ({_ended(record, bot)}), "
                    f"{left} remain",
                    bot=bot,
                    kind="leftover",
                    cause=f"{left} remain",
                )
            )
    return found


def reported(history: History, options: Options) -> list[Violation]:
    """A call that a fault reached ends right, or says so (warning+ log or an exception)."""
    record = history.last
    if record is None:
        return []
    found: list[Violation] = []
    for call in record.calls:
        if not call.faulted or call.outcome.crashed or call.outcome.timed_out:
            continue
        if call.outcome.exception or call.logged_at_least("warn") or not call.outcome.ok:
            continue
        if sum(1 for c in record.calls if c.bot == call.bot) > 1:
            # Overlapping calls of one bot: the world after them is no verdict on either call.
            continue
        world = record.world.bot(call.bot)
        if call.operation == "register":
            expected = history.reference.get(call.bot)
            if expected is None or world.same_as(expected):
                continue
            wrong = _world_diff(world, expected)
        else:
            states = [k for k, _ in world.states if not _allowlisted(k, options)]
            if not world.resources and not states:
                continue
            wrong = "left " + (
                _fmt_resources(world.resources) if world.resources else ", ".join(states)
            )
        reasons = [f"{ex.line} [{ex.fault_note}]" for ex in call.exchanges if ex.fault_note]
        if call.platform_faults_fired:
            reasons.append(f"{call.platform_faults_fired} platform state API error(s)")
        reasons += list(call.conditions)
        faults = summarise(reasons) or "a fault"
        quiet = " (mentioned only at info/debug level)" if call.logs else ""
        found.append(
            _violation(
                history,
                "reported",
                f"{call.operation} of {call.bot} failed silently{quiet}: a fault reached it "
                f"({faults}), it ended {call.outcome.status} with no warning, error or "
                f"exception, and the world is wrong: {wrong}",
                bot=call.bot,
                kind=f"silent-{call.operation}",
                cause=wrong
                if call.operation != "register" or expected is None
                else _cause(world, expected),
            )
        )
    return found


def tolerant_unregister(history: History, options: Options) -> list[Violation]:
    """``unregister`` with nothing to clean, or called twice, returns quietly."""
    record = history.last
    if record is None or not isinstance(record.step, Unregister) or record.faulted:
        return []
    bot = record.step.bot
    call = _single_call(record)
    if call is None:
        return []
    nothing = record.before.bot(bot).empty
    prev = _previous_hook_record(history, bot)
    twice = prev is not None and isinstance(prev.step, Unregister)
    if not (nothing or twice):
        return []
    why = _registered_ok(call)
    if why is None:
        return []
    situation = "called twice" if twice else "with nothing to clean"
    return [
        _violation(
            history,
            "tolerant_unregister",
            f"unregister of {bot} {situation} did not return quietly: {why}",
            bot=bot,
            kind=situation,
            cause=why,
        )
    ]


def no_secret_leak(history: History, options: Options) -> list[Violation]:
    """No configuration secret, in any common encoding, where someone else can read it."""
    record = history.last
    if record is None or not history.secrets:
        return []
    redactor = redactor_for(history)
    found: list[Violation] = []
    for call in record.calls:
        places: list[tuple[str, str]] = []
        for line in call.logs:
            places.append((f"a log record at {line.level} level ({line.source})", line.text))
        if call.outcome.exception:
            places.append(("the escaped exception", call.outcome.exception))
        if call.outcome.exc_text:
            places.append(("the escaped exception's traceback", call.outcome.exc_text))
        if call.outcome.status_reason:
            places.append(("the status reason shown to the user", call.outcome.status_reason))
        for ex in call.exchanges:
            if not ex.served:
                blob = "\n".join(
                    [ex.url, *(f"{k}: {v}" for k, v in ex.request_headers), ex.request_body]
                )
                places.append((f"a request to another host ({ex.host})", blob))
            else:
                places.append((f"a URL ({ex.method} {urlsplit(ex.url).path})", ex.url))
        seen: set[str] = set()
        for where, text in places:
            for leak in redactor.find(text):
                key = f"{where}|{leak.name}|{leak.form}"
                if key in seen:
                    continue
                seen.add(key)
                form = "" if leak.form == "raw" else f" ({leak.form}-encoded)"
                found.append(
                    _violation(
                        history,
                        "no_secret_leak",
                        f"{call.operation} of {call.bot} leaked <{leak.name}>{form} in {where}",
                        bot=call.bot,
                        kind=f"{where.split(' (')[0]}|{leak.name}|{leak.form}",
                    )
                )
    return found


def tenant_isolation(history: History, options: Options) -> list[Violation]:
    """No bot's request carries another bot's token, reaches its shop, or touches its resources."""
    record = history.last
    if record is None or len(history.tenants) < 2:
        return []
    found: list[Violation] = []
    for call in record.calls:
        me = history.tenant_at(record, call.bot)
        others = {
            name: history.tenant_at(record, name) for name in history.tenants if name != call.bot
        }
        reported_kinds: set[str] = set()
        for ex in call.exchanges:
            if not ex.served:
                continue
            token = ex.header("X-Shopify-Access-Token")
            # What went wrong with this one request, folded into one report.
            wrongs: dict[str, str] = {}
            if token and token not in me.tokens:
                for name, other in others.items():
                    if token in other.tokens:
                        wrongs["token"] = f"sent {name}'s access token"
            if ex.shop and ex.shop not in me.shops:
                for name, other in others.items():
                    if ex.shop in other.shops:
                        wrongs["shop"] = f"reached {name}'s shop {ex.shop}"
            if ex.mutating:
                text = urlsplit(ex.url).path + " " + ex.request_body
                for name in others:
                    ids = record.before.bot(name).resource_ids
                    if any(_mentions_id(text, rid) for rid in ids):
                        wrongs["touch"] = f"changed a subscription of {name}"
            kind = "+".join(sorted(wrongs))
            if not wrongs or kind in reported_kinds:
                continue
            reported_kinds.add(kind)
            found.append(
                _violation(
                    history,
                    "tenant_isolation",
                    f"{call.operation} of {call.bot} {' and '.join(wrongs.values())}: {ex.line}",
                    bot=call.bot,
                    kind=kind,
                )
            )
    return found


def _mentions_id(text: str, rid: str) -> bool:
    import re

    return re.search(rf"(?<![0-9]){re.escape(rid)}(?![0-9])", text) is not None


def exactly_once(history: History, options: Options) -> list[Violation]:
    """After a fault-free successful ``register`` one event per subscribed topic reaches the
    bot's webhook_url exactly once; after a fault-free successful ``unregister``, never.

    Judges the probe the simulator made right after the step (``StepRecord.events``: real,
    signed deliveries from the fake, captured per bot).
    """
    record = history.last
    if record is None or record.faulted or not record.events:
        return []
    found: list[Violation] = []
    for bot, events in sorted(record.events.items()):
        calls = record.calls_of(bot)
        if not calls or len({c.operation for c in calls}) > 1:
            # No call, or register and unregister overlapping: which one "wins" is a race
            # the platform itself does not order, so there is no expected delivery count.
            continue
        tenant = history.tenant_at(record, bot)
        subscribed = [
            str(dict(r).get("topic"))
            for r in record.world.bot(bot).resources
            if dict(r).get("shop") == "current"
        ]
        reference = history.reference.get(bot)
        expected = [str(dict(r).get("topic")) for r in reference.resources] if reference else []
        for message in exactly_once_findings(
            calls[-1].operation,
            events,
            subscribed=subscribed,
            expected=expected,
            webhook_url=tenant.webhook_url,
        ):
            # The delivery count follows from the world: after an unregister, what it left;
            # after a register, how the world differs from the reference.
            world = record.world.bot(bot)
            if calls[-1].operation == "unregister":
                left = _leftover(world, options)
                cause = f"{left} remain" if left else ""
            else:
                diff = _cause(world, reference) if reference is not None else ""
                cause = "" if reference is None or world.same_as(reference) else diff
            found.append(_violation(history, "exactly_once", message, bot=bot, cause=cause))
    return found


def subscribed(history: History, options: Options) -> list[Violation]:
    """After a fault-free ``register`` that succeeded, every declared topic (``Options.topics``)
    has a subscription of the bot on its current shop at exactly its ``webhook_url``."""
    record = history.last
    if not options.topics or record is None or record.faulted:
        return []
    if not isinstance(record.step, Register | Configure):
        return []
    call = _single_call(record)
    if call is None or _registered_ok(call) is not None:
        return []  # a failed register is convergent's and reported's to judge
    bot = record.step.bot
    tenant = history.tenant_at(record, bot)
    at_url: set[str] = set()
    elsewhere: dict[str, set[str]] = {}
    for resource in record.world.bot(bot).resources:
        fields = dict(resource)
        if fields.get("shop") != "current":
            continue
        topic, address = str(fields.get("topic")), str(fields.get("address"))
        if address == tenant.webhook_url:
            at_url.add(topic)
        else:
            elsewhere.setdefault(topic, set()).add(address)
    problems: list[str] = []
    for topic in options.topics:
        if topic in at_url:
            continue
        if topic in elsewhere:
            addresses = ", ".join(sorted(elsewhere[topic]))
            problems.append(f"{topic} points to {addresses} instead of {tenant.webhook_url}")
        else:
            problems.append(f"{topic} is not subscribed")
    if not problems:
        return []
    return [
        _violation(
            history,
            "subscribed",
            f"after a fault-free register of {bot}, declared topics are not subscribed at its "
            f"webhook_url (shop {tenant.shop}): {'; '.join(problems)}",
            bot=bot,
            kind="; ".join(sorted(problems)),
        )
    ]


PROPERTIES: dict[str, Check] = {
    "idempotent": idempotent,
    "convergent": convergent,
    "clean": clean,
    "reported": reported,
    "tolerant_unregister": tolerant_unregister,
    "no_secret_leak": no_secret_leak,
    "tenant_isolation": tenant_isolation,
    "exactly_once": exactly_once,
    "subscribed": subscribed,
}
"""Property id -> check function (in the README's order)."""


def check_all(history: History, options: Options) -> list[Violation]:
    """Every enabled property on the last step of ``history``."""
    found: list[Violation] = []
    for prop, check in PROPERTIES.items():
        if options.enabled(prop):
            found.extend(check(history, options))
    return found


__all__ = [
    "FIX_HINTS",
    "PROPERTIES",
    "Check",
    "Evidence",
    "Violation",
    "check_all",
    "clean",
    "convergent",
    "exactly_once",
    "idempotent",
    "no_secret_leak",
    "redactor_for",
    "reported",
    "subscribed",
    "tenant_isolation",
    "tolerant_unregister",
]
