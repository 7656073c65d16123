"""The Markdown report, on hand-built violations and step records (no simulator needed)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fake_shopify.faults import HttpError, Match, Nth
from harness.properties import Evidence, Violation
from harness.reports.markdown import LibraryResult, describe, render_markdown, sequence_diagram
from harness.steps import Concurrently, Register, ShopifyFault, Step, Unregister

TOKEN = "shpat_0123456789abcdef0123456789abcdef"


@dataclass
class Exchange:
    method: str
    url: str
    status: int | None = 200
    error: str | None = None
    fault_id: str | None = None
    served: bool = True


@dataclass
class Log:
    level: str
    message: str


@dataclass
class Outcome:
    status: str
    status_reason: str | None = None
    exception: str | None = None
    crashed: bool = False
    timed_out: bool = False


@dataclass
class Call:
    bot: str
    operation: str
    outcome: Outcome
    logs: list[Log] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)


@dataclass
class Record:
    step: Step
    calls: list[Call] = field(default_factory=list)


@dataclass
class Report:
    integration: str
    violations: list[Violation]
    seed: int | None = 7
    examples: int = 100
    scenarios: dict[int, str] = field(default_factory=dict)


STEPS: tuple[Step, ...] = (
    ShopifyFault(HttpError(403), Match(action="create_webhook")),
    Register(),
    Unregister(),
)
LEAK = Violation(
    property="no_secret_leak",
    message="the access token appears in a log record at error level",
    step_index=1,
    steps=STEPS,
    fix_hint="log err.message, never the request",
    evidence=Evidence(
        exchanges=("POST https://acme.myshopify.com/admin/api/2024-07/webhooks.json -> 403",),
        logs=("[error] failed: headers {'X-Shopify-Access-Token': '<access_token>'}",),
        outcomes=("status registered",),
    ),
)
RECORD = Record(
    step=Register(),
    calls=[
        Call(
            bot="bot1",
            operation="register",
            outcome=Outcome("registered"),
            logs=[Log("error", f"failed; headers {{'X-Shopify-Access-Token': '{TOKEN}'}}")],
            exchanges=[
                Exchange(
                    "GET", "https://acme.myshopify.com/admin/api/2024-07/webhooks.json?address=x"
                ),
                Exchange(
                    "POST",
                    "https://acme.myshopify.com/admin/api/2024-07/webhooks.json",
                    status=403,
                    fault_id="fault-1",
                ),
                Exchange(
                    "POST",
                    f"https://logs.example.com/ingest?token={TOKEN}",
                    status=None,
                    error="UnservedRequestError",
                    served=False,
                ),
            ],
        )
    ],
)


def redact(text: str) -> str:
    return text.replace(TOKEN, "<access_token>")


def mermaid_blocks(text: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", text, flags=re.S)


def test_a_violation_has_steps_diagram_fix_and_replay_command() -> None:
    report = Report(
        integration="examples.buggy:integration",
        violations=[LEAK],
        scenarios={0: "lifecycle-scenarios/no_secret_leak-1a2b3c4d.scenario.yaml"},
    )
    text = render_markdown(
        report,
        records={0: RECORD},
        redact=redact,
        library=[
            LibraryResult("register-five-times", True),
            LibraryResult("unregister-twice", False, "tolerant_unregister"),
        ],
    )
    assert text.startswith("## lifecycle-harness: 1 violation in `examples.buggy:integration`\n")
    assert (
        "seed 7, 100 generated examples, 1 of 2 library scenarios passed (the 1 that failed "
        "violates only properties of the 1 violation below)." in text
    )
    assert "| `unregister-twice` | **failed** (tolerant_unregister) |" in text
    assert (
        "### 1. `no_secret_leak`: the access token appears in a log record at error level" in text
    )
    assert (
        "1. `fault http_error(403) on create_webhook`\n2. `register` **← fails here**\n3. `unregister`"
        in text
    )
    assert "Fix: log err.message, never the request" in text
    assert (
        "lifecycle-harness replay lifecycle-scenarios/no_secret_leak-1a2b3c4d.scenario.yaml "
        "--integration examples.buggy:integration"
    ) in text
    (diagram,) = mermaid_blocks(text)
    assert diagram.splitlines()[:4] == [
        "sequenceDiagram",
        "    participant P as Platform",
        "    participant I as Integration",
        "    participant S1 as Shopify acme.myshopify.com",  # one lifeline per shop, its host
    ]
    assert "    P->>I: register (bot1)" in diagram
    assert "    I->>S1: GET /admin/api/2024-07/webhooks.json?address=x" in diagram
    assert "    S1-->>I: 403 [fault fault-1]" in diagram
    assert (
        "    I-xS1: POST logs.example.com/ingest?token=#60;access_token#62; (no fake serves this host)"
        in diagram
    )
    assert "UnservedRequestError" not in diagram  # a refused request gets no answer
    assert "    I-->>P: registered" in diagram
    # Secrets from the record are redacted, and the placeholder's brackets are escaped.
    assert TOKEN not in text
    assert "#60;access_token#62;" in diagram
    assert ";" not in diagram.replace("#59;", "").replace("#60;", "").replace("#62;", "").replace(
        "#35;", ""
    )


def test_without_a_record_the_diagram_comes_from_the_evidence() -> None:
    lines = sequence_diagram(LEAK)
    assert "    P->>I: register" in lines
    assert "    participant S1 as Shopify acme.myshopify.com" in lines
    assert "    I->>S1: POST /admin/api/2024-07/webhooks.json -#62; 403" in lines
    assert any(line.startswith("    I->>P: [error] failed: headers") for line in lines)
    assert "    I-->>P: status registered" in lines


def test_concurrent_calls_are_drawn_in_parallel_blocks() -> None:
    step = Concurrently((Register("bot1"), Register("bot2")))
    violation = Violation(
        "tenant_isolation",
        "bot1's token was sent to acme-2",
        0,
        (step,),
        fix_hint="per-call client",
    )
    record = Record(
        step=step,
        calls=[
            Call("bot1", "register", Outcome("registered")),
            Call("bot2", "register", Outcome("registration_failed", "401")),
        ],
    )
    lines = sequence_diagram(violation, record=record)
    assert lines[lines.index("    par bot1 register") + 1] == "        P->>I: register (bot1)"
    assert "    and bot2 register" in lines
    assert "        I-->>P: registration_failed: 401" in lines
    assert lines[-1] == "    end"


def test_no_violations() -> None:
    text = render_markdown(Report(integration="pkg:ok", violations=[], seed=None, examples=0))
    assert text == "## lifecycle-harness: no violations in `pkg:ok`\n"


def test_labels_are_one_short_line() -> None:
    long = Violation(
        "reported",
        "x",
        0,
        (Register(),),
        fix_hint="log it",
        evidence=Evidence(logs=("a\nb",), outcomes=("y" * 500,)),
    )
    lines = sequence_diagram(long)
    assert all("\n" not in line for line in lines)
    assert max(len(line) for line in lines) < 110


def test_describe_steps() -> None:
    assert describe(Register()) == "register"
    assert describe(Register("bot2")) == "register bot=bot2"
    assert describe(ShopifyFault(HttpError(429, retry_after=2.0))) == "fault http_error(429, 2.0)"
    assert (
        describe(ShopifyFault(HttpError(503), Match(action="create_webhook"), Nth(2)))
        == "fault http_error(503) on create_webhook, nth 2"
    )
    assert (
        describe(Concurrently((Register(), Unregister("bot2"))))
        == "concurrently: register | unregister bot=bot2"
    )
