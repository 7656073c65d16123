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
    if count:
        noun = "violation" if count == 1 else "violations"
        lines.append(f"## {title}: {count} {noun} in `{target}`")
    else:
        lines.append(f"## {title}: no violations in `{target}`")
    facts = []
    if report.seed is not None:
        facts.append(f"seed {report.seed}")
    if report.examples:
        facts.append(f"{report.examples} generated examples")
    if library:
        passed = sum(1 for r in library if r.passed)
        facts.append(f"{passed} of {len(library)} library scenarios passed")
    if facts:
        lines += ["", ", ".join(facts) + "."]
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
        command = ["lifecycle-harness", "replay", scenario]
        if target is not None:
            command += ["--integration", target]
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
    lines = [
        "sequenceDiagram",
        "    participant P as Platform",
        "    participant I as Integration",
        "    participant S as Shopify (fake)",
    ]
    if step is not None:
        where = f"step {violation.step_index + 1} of {len(violation.steps)}: {describe(step)}"
        lines.append(f"    Note over P,S: {_label(where)}")
    if record is not None and record.calls:
        calls = list(record.calls)
        if len(calls) > 1:
            for i, call in enumerate(calls):
                head = "par" if i == 0 else "and"
                lines.append(f"    {head} {_label(f'{call.bot} {call.operation}')}")
                lines += ["    " + line for line in _call_lines(call, redact)]
            lines.append("    end")
        else:
            lines += _call_lines(calls[0], redact)
        return lines
    # No record: the evidence lines (already redacted) in the order they were recorded.
    evidence = violation.evidence
    header = len(lines)
    if step is not None and step_kind(step) in ("register", "unregister", "configure", "crash"):
        lines.append(f"    P->>I: {_label(describe(step))}")
    for text in evidence.exchanges:
        lines.append(f"    I->>S: {_label(text)}")
    for text in evidence.logs:
        lines.append(f"    I->>P: {_label(text.splitlines()[0] if text else text)}")
    for text in evidence.outcomes:
        lines.append(f"    I-->>P: {_label(text)}")
    if len(lines) == header:
        lines.append("    Note over P,S: no hook call in this step")
    return lines


def _call_lines(call: CallLike, redact: Callable[[str], str]) -> list[str]:
    lines = [f"    P->>I: {_label(f'{call.operation} ({call.bot})')}"]
    for exchange in call.exchanges:
        parts = urlsplit(exchange.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if not exchange.served:
            # Refused before it left the process: drawn as a lost message, no answer.
            refused = f"{exchange.method} {parts.netloc}{target} (no fake serves this host)"
            lines.append(f"    I-xS: {_label(redact(refused))}")
            continue
        lines.append(f"    I->>S: {_label(redact(f'{exchange.method} {target}'))}")
        fault = f" [fault {exchange.fault_id}]" if exchange.fault_id else ""
        if exchange.error is not None:
            lines.append(f"    S--xI: {_label(redact(exchange.error + fault))}")
        elif exchange.status is not None:
            lines.append(f"    S-->>I: {_label(f'{exchange.status}{fault}')}")
    for log in call.logs:
        first = log.message.splitlines()[0] if log.message else ""
        lines.append(f"    I->>P: {_label(redact(f'log {log.level}: {first}'))}")
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
    lines.append(f"    I-->>P: {_label(redact(text))}")
    return lines


_ENTITIES = {";": "#59;", "#": "#35;", "<": "#60;", ">": "#62;", "%": "#37;"}


def _label(text: str) -> str:
    """Text safe inside a Mermaid message: one line, short, no statement separators or tags."""
    text = " ".join(text.split())
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 1] + "…"
    return re.sub(r"[;#<>%]", lambda m: _ENTITIES[m.group(0)], text)


def _inline(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")
