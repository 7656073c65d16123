"""The Markdown report: fit for a pull-request comment (``--report-md PATH``).

Each violation with its minimal steps, a Mermaid sequence diagram of the failing step (the
platform, the integration and the fake Shopify), the evidence, what a fix looks like and the
command that replays it. The diagram is drawn from the failing step's record when the caller has
it (a replay of the minimal steps gives it), otherwise from the violation's evidence lines.

The inputs are typed structurally (``Protocol``) so this module depends on no simulator internals:
violations, reports and step records of ``harness.properties``, ``harness.reports.render`` and
``harness.history`` fit as they are. Violations arrive redacted; everything taken from a record
goes through ``redact`` before it is written.
"""

from __future__ import annotations

import builtins
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from fake_shopify.faults import Match, Next
from harness.common.project import shown_path, shown_target
from harness.steps import Concurrently, ShopifyFault, Step, step_kind

MAX_LABEL = 90  # characters of one diagram message; Mermaid lines get unreadable beyond this


class ExchangeLike(Protocol):
    @property
    def method(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def status(self) -> int | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def fault_id(self) -> str | None: ...
    @property
    def served(self) -> bool: ...


class LogLike(Protocol):
    @property
    def level(self) -> str: ...
    @property
    def message(self) -> str: ...


class OutcomeLike(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def status_reason(self) -> str | None: ...
    @property
    def exception(self) -> str | None: ...
    @property
    def crashed(self) -> bool: ...
    @property
    def timed_out(self) -> bool: ...


class CallLike(Protocol):
    @property
    def bot(self) -> str: ...
    @property
    def operation(self) -> str: ...
    @property
    def outcome(self) -> OutcomeLike: ...
    @property
    def logs(self) -> Sequence[LogLike]: ...
    @property
    def exchanges(self) -> Sequence[ExchangeLike]: ...


class RecordLike(Protocol):
    @property
    def step(self) -> Step: ...
    @property
    def calls(self) -> Sequence[CallLike]: ...


class EvidenceLike(Protocol):
    @property
    def exchanges(self) -> tuple[str, ...]: ...
    @property
    def logs(self) -> tuple[str, ...]: ...
    @property
    def outcomes(self) -> tuple[str, ...]: ...


class ViolationLike(Protocol):
    @builtins.property
    def property(self) -> str: ...
    @builtins.property
    def message(self) -> str: ...
    @builtins.property
    def step_index(self) -> int: ...
    @builtins.property
    def steps(self) -> tuple[Step, ...]: ...
    @builtins.property
    def fix_hint(self) -> str: ...
    @builtins.property
    def evidence(self) -> EvidenceLike: ...


class ReportLike(Protocol):
    @property
    def integration(self) -> str: ...
    @property
    def seed(self) -> int | None: ...
    @property
    def examples(self) -> int: ...
    @property
    def violations(self) -> Sequence[ViolationLike]: ...
    @property
    def scenarios(self) -> Mapping[int, str]: ...


@dataclass(frozen=True)
class LibraryResult:
    """One replayed scenario for the report's summary table."""

    name: str
    passed: bool
    detail: str = ""


def _identity(text: str) -> str:
    return text


def render_markdown(
    report: ReportLike,
    *,
    records: Mapping[int, RecordLike] | None = None,
    redact: Callable[[str], str] = _identity,
    library: Sequence[LibraryResult] = (),
    title: str = "lifecycle-harness",
) -> str:
    """The whole report. ``records`` maps a violation's index to the record of its failing step;
    ``redact`` scrubs text taken from records (violations are already redacted)."""
    count = len(report.violations)
    target = report.integration
    lines: list[str] = []
    noun = "violation" if count == 1 else "violations"
    if count:
        lines.append(f"## {title}: {count} {noun} in `{target}`")
    else:
        lines.append(f"## {title}: no violations in `{target}`")
    for notice in getattr(report, "notices", ()):
        lines += ["", f"> **Note:** {_inline(notice)}"]
    facts = []
    if report.seed is not None:
        facts.append(f"seed {report.seed}")
    if report.examples:
        facts.append(f"{report.examples} generated examples")
    if library:
        passed = sum(1 for r in library if r.passed)
        failed = len(library) - passed
        text = f"{passed} of {len(library)} library scenarios passed"
        if failed and count:
            # The same count as the headline: failed scenarios are ways to reach these bugs.
            verb = "violate" if failed > 1 else "violates"
            text += (
                f" (the {failed} that failed {verb} only properties of the {count} {noun} below)"
            )
        facts.append(text)
    if facts:
        lines += ["", ", ".join(facts) + "."]
    isolation = getattr(report, "isolation", None)
    if isolation:
        lines += ["", f"_{isolation}_"]
    escapes = getattr(report, "escapes", None) or []
    if escapes:
        lines += ["", f"**Network escape attempts:** {len(escapes)}", ""]
        lines += [f"- {_cell(str(line))}" for line in escapes]
    stopped = getattr(report, "stopped", None)
    if isinstance(stopped, Mapping):
        lines += [
            "",
            f"**Stopped early:** {_cell(str(stopped.get('text') or stopped.get('cause')))}",
        ]
    if library:
        lines += ["", "| scenario | result |", "| --- | --- |"]
        for result in library:
            mark = "passed" if result.passed else "**failed**"
            detail = f" ({_cell(result.detail)})" if result.detail else ""
            lines.append(f"| `{result.name}` | {mark}{detail} |")
    for index, violation in enumerate(report.violations):
        record = (records or {}).get(index)
        lines += [
            "",
            render_violation_markdown(
                violation,
                number=index + 1,
                record=record,
                redact=redact,
                scenario=report.scenarios.get(index),
                target=target,
            ),
        ]
    return "\n".join(lines).rstrip() + "\n"


def render_violation_markdown(
    violation: ViolationLike,
    *,
    number: int,
    record: RecordLike | None = None,
    redact: Callable[[str], str] = _identity,
    scenario: str | None = None,
    target: str | None = None,
) -> str:
    lines = [f"### {number}. `{violation.property}`: {_inline(violation.message)}", ""]
    lines.append("Minimal steps:")
    lines.append("")
    for i, step in enumerate(violation.steps):
        marker = " **← fails here**" if i == violation.step_index else ""
        lines.append(f"{i + 1}. `{describe(step)}`{marker}")
    lines += ["", "Failing step:", "", "```mermaid"]
    lines += sequence_diagram(violation, record=record, redact=redact)
    lines += ["```"]
    evidence = violation.evidence
    text = [*evidence.outcomes, *evidence.exchanges, *evidence.logs]
    if text:
        lines += ["", "<details><summary>Evidence: exchanges and log records</summary>", ""]
        lines += ["```text", *(line for item in text for line in item.splitlines()), "```"]
        lines += ["", "</details>"]
    lines += ["", f"Fix: {_inline(violation.fix_hint)}"]
    if scenario is not None:
        # Relative to the project root: the command runs as printed from a checkout of the
        # pull request, wherever the report was made (a CI runner's absolute path would not).
        command = ["lifecycle-harness", "replay", shown_path(scenario)]
        if target is not None:
            command += ["--integration", shown_target(target)]
        lines += ["", "Replay:", "", "```bash", shlex.join(command), "```"]
    return "\n".join(lines)


def describe(step: Step) -> str:
    """A short, stable description of a step: ``fault http_error(429, 2.0) on create_webhook``."""
    from harness.scenarios.writer import effect_data, schedule_data, step_data

    if isinstance(step, Concurrently):
        return "concurrently: " + " | ".join(describe(s) for s in step.steps)
    if isinstance(step, ShopifyFault):
        text = "fault " + _effect_text(effect_data(step.effect))
        if step.match != Match():
            text += " on " + " ".join(v for v in vars(step.match).values() if v is not None)
        if step.schedule != Next():
            text += ", " + _schedule_text(schedule_data(step.schedule))
        return text
    data = step_data(step)
    if isinstance(data, str):
        return data
    kind = step_kind(step)
    fields = dict(data[kind])
    if "schedule" in fields:
        fields["schedule"] = _schedule_text(fields["schedule"])
    return kind + " " + " ".join(f"{k}={v}" for k, v in fields.items())


def _effect_text(data: object) -> str:
    assert isinstance(data, dict)
    ((name, fields),) = data.items()
    values = ", ".join(str(v) for k, v in fields.items() if k != "body")
    return f"{name}({values})"


def _schedule_text(data: object) -> str:
    if isinstance(data, str):
        return data
    assert isinstance(data, dict)
    ((name, value),) = data.items()
    if isinstance(value, dict):
        value = ", ".join(f"{k}={v}" for k, v in value.items())
    return f"{name} {value}"


# -- the diagram ---------------------------------------------------------------------------------


def sequence_diagram(
    violation: ViolationLike,
    *,
    record: RecordLike | None = None,
    redact: Callable[[str], str] = _identity,
) -> list[str]:
    """Mermaid ``sequenceDiagram`` lines for the failing step."""
    step = violation.steps[violation.step_index] if violation.steps else None
    focus = leaked_placeholder(violation.message)
    exchanges: list[tuple[str, str]] = []  # (host, label without the host) of every request
    if record is not None and record.calls:
        hosts = [urlsplit(e.url).netloc for c in record.calls for e in c.exchanges if e.served]
    else:
        exchanges = [_split_evidence(text) for text in violation.evidence.exchanges]
        hosts = [host for host, _ in exchanges if host]
    shops = Shops(hosts, world=getattr(violation, "world", None))
    lines = [
        "sequenceDiagram",
        "    participant P as Platform",
        "    participant I as Integration",
        *shops.participants(),
    ]
    last = shops.last
    if step is not None:
        where = f"step {violation.step_index + 1} of {len(violation.steps)}: {describe(step)}"
        lines.append(f"    Note over P,{last}: {_label(where)}")
    if record is not None and record.calls:
        calls = list(record.calls)
        if len(calls) > 1:
            for i, call in enumerate(calls):
                head = "par" if i == 0 else "and"
                lines.append(f"    {head} {_label(f'{call.bot} {call.operation}')}")
                lines += ["    " + line for line in _call_lines(call, redact, shops, focus)]
            lines.append("    end")
        else:
            lines += _call_lines(calls[0], redact, shops, focus)
        return lines
    # No record: the evidence lines (already redacted) in the order they were recorded.
    evidence = violation.evidence
    header = len(lines)
    if step is not None and step_kind(step) in ("register", "unregister", "configure", "crash"):
        lines.append(f"    P->>I: {_label(describe(step))}")
    for host, text in exchanges:
        lines.append(f"    I->>{shops.id(host)}: {_label(text, focus)}")
    for text in getattr(evidence, "platform", ()):
        lines.append(f"    I->>P: {_label(text, focus)}")
    for text in evidence.logs:
        lines.append(f"    I->>P: {_label(_first_line(text, focus), focus)}")
    for text in evidence.outcomes:
        lines.append(f"    I-->>P: {_label(text, focus)}")
    if len(lines) == header:
        lines.append(f"    Note over P,{last}: no hook call in this step")
    return lines


class Shops:
    """One lifeline per Shopify host a step's requests went to, labelled with the host and the
    bots whose shop it is: a request of one bot to another bot's shop crosses to a lifeline of
    its own, which a single "Shopify" lifeline would hide."""

    def __init__(self, hosts: Sequence[str], *, world: object | None = None) -> None:
        self.owners: dict[str, list[str]] = {}
        for bot in getattr(world, "bots", ()):
            host = f"{bot.shop}.myshopify.com"
            self.owners.setdefault(host, []).append(bot.name)
        self.hosts: list[str] = []
        for host in hosts:
            if host not in self.hosts:
                self.hosts.append(host)

    def id(self, host: str) -> str:
        if host not in self.hosts:
            self.hosts.append(host)  # only before participants() is drawn: hosts come first
        return f"S{self.hosts.index(host) + 1}" if self.hosts else "S"

    @property
    def last(self) -> str:
        return f"S{len(self.hosts)}" if self.hosts else "S"

    def participants(self) -> list[str]:
        if not self.hosts:
            return ["    participant S as Shopify (fake)"]
        lines = []
        for number, host in enumerate(self.hosts, start=1):
            owners = self.owners.get(host)
            whose = f" ({', '.join(owners)})" if owners else ""
            lines.append(f"    participant S{number} as {_label(f'Shopify {host}{whose}')}")
        return lines


_PLACEHOLDER_LEAK = re.compile(r"leaked (<[^<>\s]+>)")


def leaked_placeholder(message: str) -> str | None:
    """The placeholder of the secret a ``no_secret_leak`` message says leaked (``<access_token>``),
    so the diagram shows the secret's place in a line too long to show whole."""
    found = _PLACEHOLDER_LEAK.search(message)
    return found.group(1) if found else None


def _split_evidence(text: str) -> tuple[str, str]:
    """``GET https://acme.myshopify.com/x -> 200`` as ``("acme.myshopify.com", "GET /x -> 200")``."""
    method, _, rest = text.partition(" ")
    parts = urlsplit(rest.split(" ", 1)[0])
    if not parts.netloc:
        return "", text
    tail = rest[len(rest.split(" ", 1)[0]) :]
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return parts.netloc, f"{method} {target}{tail}"


def _first_line(text: str, focus: str | None) -> str:
    """A log record's first line, or the line where the leaked secret is."""
    lines = text.splitlines() or [""]
    if focus is not None:
        for line in lines:
            if focus in line:
                return line
    return lines[0]


def _call_lines(
    call: CallLike, redact: Callable[[str], str], shops: Shops, focus: str | None = None
) -> list[str]:
    lines = [f"    P->>I: {_label(f'{call.operation} ({call.bot})')}"]
    last = shops.last
    for exchange in call.exchanges:
        parts = urlsplit(exchange.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if not exchange.served:
            # Refused before it left the process: drawn as a lost message, no answer.
            refused = f"{exchange.method} {parts.netloc}{target} (no fake serves this host)"
            lines.append(f"    I-x{last}: {_label(redact(refused), focus)}")
            continue
        shop = shops.id(parts.netloc)
        lines.append(f"    I->>{shop}: {_label(redact(f'{exchange.method} {target}'), focus)}")
        # An armed fault, or an answer the fake generated from its own limits (a 429).
        note = getattr(exchange, "fault_note", None) or (
            f"fault {exchange.fault_id}" if exchange.fault_id else None
        )
        fault = f" [{note}]" if note else ""
        if exchange.error is not None:
            lines.append(f"    {shop}--xI: {_label(redact(exchange.error + fault), focus)}")
        elif exchange.status is not None:
            lines.append(f"    {shop}-->>I: {_label(f'{exchange.status}{fault}')}")
    for text in getattr(call, "conditions", ()):
        lines.append(
            f"    Note over I,{last}: {_label(redact(f'persistent fault: {text}'), focus)}"
        )
    for text in getattr(call, "platform_calls", ()):
        lines.append(f"    I->>P: {_label(redact(f'state API: {text}'), focus)}")
    for log in call.logs:
        line = _first_line(redact(log.message), focus)
        lines.append(f"    I->>P: {_label(f'log {log.level}: {line}', focus)}")
    outcome = call.outcome
    text = outcome.status
    if outcome.status_reason:
        text += f": {outcome.status_reason}"
    if outcome.exception:
        text += f" (raised {outcome.exception})"
    if outcome.crashed:
        text += " (aborted by the harness)"
    if outcome.timed_out:
        text += " (stopped: ran too long)"
    lines.append(f"    I-->>P: {_label(redact(text), focus)}")
    return lines


_ENTITIES = {";": "#59;", "#": "#35;", "<": "#60;", ">": "#62;", "%": "#37;"}


def _label(text: str, focus: str | None = None) -> str:
    """Text safe inside a Mermaid message: one line, short, no statement separators or tags.
    A line too long to show whole is cut around ``focus`` (a leaked secret's placeholder) when
    it holds it, so the diagram shows where the secret went."""
    text = " ".join(text.split())
    if len(text) > MAX_LABEL:
        at = text.find(focus) if focus else -1
        if at + len(focus or "") > MAX_LABEL - 1:
            start = max(0, at - MAX_LABEL // 3)
            window = text[start : start + MAX_LABEL - 2]
            text = "…" + window + ("…" if start + len(window) < len(text) else "")
        else:
            text = text[: MAX_LABEL - 1] + "…"
    return re.sub(r"[;#<>%]", lambda m: _ENTITIES[m.group(0)], text)


_MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]<>&|]")
_MARKDOWN_ESCAPES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def _inline(text: str) -> str:
    """``text`` on one line, safe as Markdown prose: a code-hosting site's renderer would take
    ``<access_token>`` for an HTML tag and drop it, and ``*`` or ``[`` for formatting (an
    underscore inside a word is left alone: GitHub-flavoured Markdown does not emphasise it)."""
    text = " ".join(text.split())
    return _MARKDOWN_SPECIAL.sub(
        lambda m: _MARKDOWN_ESCAPES.get(m.group(0), "\\" + m.group(0)), text
    )


def _cell(text: str) -> str:
    return _inline(text)  # "|" is escaped too: a table cell stays one cell
